//! ポイント一覧: the plant's points, live, with their values and alarms. DO and AO are operated
//! here as a command mail would; DI and AI take training inputs (open a door, push a
//! temperature). The back end refuses what it cannot do and the reason is shown.

use leptos::prelude::*;
use shared::ClientMsg;
use shared::points::{PointKind, PointSnapshot, Value};

use crate::components::{ScreenBar, Window};
use crate::point_form::{alarm_count, analog_value, range_text};
use crate::use_ui;

/// A request of this screen, for the line that reports how it went.
#[derive(Debug, Clone, PartialEq)]
struct Request {
    id: String,
    value: String,
    local_error: Option<String>,
}

/// The points screen.
#[component]
pub fn PointsPage() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let last = RwSignal::new(None::<Request>);
    let ids = Memo::new(move |_| {
        ui.model
            .with(|m| m.points.iter().map(|p| p.id.clone()).collect::<Vec<_>>())
    });
    let alarms = Memo::new(move |_| ui.model.with(|m| alarm_count(&m.points)));
    let server_error = move || ui.model.with(|m| m.refusal(lang.get()));
    let outcome = move || {
        let l = lang.get();
        let request = last.get()?;
        if let Some(why) = request.local_error {
            return Some(("error", format!("{}: {why}", request.id)));
        }
        if let Some(why) = server_error() {
            return Some((
                "error",
                format!(
                    "{}: {} {why}",
                    request.id,
                    l.pick("操作できませんでした。", "The operation was refused.")
                ),
            ));
        }
        Some((
            "ok",
            match l {
                shared::Lang::Ja => format!("{} に {} を送りました。", request.id, request.value),
                shared::Lang::En => format!("Sent {} to {}.", request.value, request.id),
            },
        ))
    };

    view! {
        <div class="screen" data-testid="points-screen">
            <ScreenBar ja="ポイント一覧" en="Points" help="points" />
            <Window id="points-window" ja="ポイント（ライブ）" en="Points (live)" class="wide">
                <div class="points-summary">
                    <p
                        class="alarm-summary"
                        class:active=move || { alarms.get() > 0 }
                        data-testid="alarm-summary"
                        role="status"
                    >
                        {move || match (lang.get(), alarms.get()) {
                            (shared::Lang::Ja, 0) => "警報はありません。".to_string(),
                            (shared::Lang::Ja, n) => format!("警報発生中のポイント: {n}"),
                            (shared::Lang::En, 0) => "No alarms.".to_string(),
                            (shared::Lang::En, 1) => "1 point in alarm".to_string(),
                            (shared::Lang::En, n) => format!("{n} points in alarm"),
                        }}
                    </p>
                    <p
                        data-testid="points-outcome"
                        role="status"
                        class=move || format!("save-outcome {}", outcome().map_or("", |o| o.0))
                    >
                        {move || outcome().map(|o| o.1)}
                    </p>
                </div>
                <p class="frame-hint">{move || lang.get().pick(
                    "DO と AO はコマンドメールと同じように操作できます。DI と AI の「模擬」は研修用の入力です（扉を開ける、温度を上げるなど）。",
                    "DO and AO are operated as a command mail would. The simulate controls of DI and AI are training inputs (open a door, raise a temperature).",
                )}</p>
                <Show
                    when=move || !ids.with(Vec::is_empty)
                    fallback=move || view! {
                        <p class="empty-note">{move || lang.get().pick(
                            "ポイントはまだ届いていません。",
                            "No points have arrived yet.",
                        )}</p>
                    }
                >
                    <table class="points-table" data-testid="points-table">
                        <thead>
                            <tr>
                                <th scope="col">{move || lang.get().pick("ID", "ID")}</th>
                                <th scope="col">{move || lang.get().pick("名称", "Name")}</th>
                                <th scope="col">{move || lang.get().pick("種別", "Type")}</th>
                                <th scope="col">{move || lang.get().pick("値", "Value")}</th>
                                <th scope="col">{move || lang.get().pick("警報", "Alarm")}</th>
                                <th scope="col">{move || lang.get().pick("操作", "Operate")}</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || ids.get() key=|id| id.clone() let(id)>
                                <PointRow id last />
                            </For>
                        </tbody>
                    </table>
                </Show>
            </Window>
        </div>
    }
}

/// One point's row: its live snapshot and the controls its kind allows.
#[component]
fn PointRow(id: String, last: RwSignal<Option<Request>>) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let snapshot = {
        let id = id.clone();
        Memo::new(move |_| {
            ui.model
                .with(|m| m.points.iter().find(|p| p.id == id).cloned())
        })
    };
    let read = move |f: fn(&PointSnapshot, shared::Lang) -> String| {
        move || {
            let l = lang.get();
            snapshot.with(|p| p.as_ref().map(|p| f(p, l)).unwrap_or_default())
        }
    };
    let in_alarm = move || snapshot.with(|p| p.as_ref().is_some_and(|p| p.alarm.is_some()));
    let kind = snapshot.with_untracked(|p| p.as_ref().map(|p| p.kind));
    let cell = move |ja: &'static str, en: &'static str| move || lang.get().pick(ja, en);

    let controls = match kind {
        Some(PointKind::Do) => digital_controls(id.clone(), snapshot, last, false).into_any(),
        Some(PointKind::Di) => digital_controls(id.clone(), snapshot, last, true).into_any(),
        Some(PointKind::Ao) => analog_controls(id.clone(), snapshot, last, false).into_any(),
        Some(PointKind::Ai) => analog_controls(id.clone(), snapshot, last, true).into_any(),
        _ => view! { <span class="muted">"—"</span> }.into_any(),
    };

    view! {
        <tr
            class:alarm=in_alarm
            data-testid=format!("point-{id}")
            data-alarm=move || in_alarm().to_string()
        >
            <th scope="row" data-label=cell("ID", "ID")><code>{id.clone()}</code></th>
            <td data-label=cell("名称", "Name") data-testid=format!("name-{id}")>
                // The plant's data: the English name on English screens when the points file
                // gives one; else the Japanese name, marked as such.
                <span lang=move || snapshot.with(|p| {
                    let english = lang.get() == shared::Lang::En && p.as_ref().is_some_and(|p| !p.name_en.is_empty());
                    if english { "en" } else { "ja" }
                })>{read(|p, l| p.display_name(l).to_string())}</span>
            </td>
            <td data-label=cell("種別", "Type")>
                {read(|p, l| format!("{} {}", p.kind.code(), p.kind.label(l)))}
            </td>
            <td class="point-value" data-label=cell("値", "Value") data-testid=format!("value-{id}")>
                {read(|p, _| p.value_text())}
            </td>
            <td data-label=cell("警報", "Alarm") data-testid=format!("alarm-{id}")>
                <span class="alarm-label" class:active=in_alarm>
                    {read(|p, l| {
                        p.alarm.map_or_else(|| l.pick("正常", "normal").to_string(), |a| a.label(l).to_string())
                    })}
                </span>
            </td>
            <td class="point-controls" data-label=cell("操作", "Operate")>{controls}</td>
        </tr>
    }
}

/// Sends an operation (DO, AO) or a training input (DI, AI), remembering it for the report line.
fn send(last: RwSignal<Option<Request>>, id: &str, value: Value, simulate: bool, text: String) {
    let ui = use_ui();
    ui.model.update(|m| m.clear_error());
    last.set(Some(Request {
        id: id.to_string(),
        value: text,
        local_error: None,
    }));
    let id = id.to_string();
    ui.link.send(&if simulate {
        ClientMsg::SimulatePoint { id, value }
    } else {
        ClientMsg::OperatePoint { id, value }
    });
}

/// ON and OFF buttons; for a DI they are training inputs.
fn digital_controls(
    id: String,
    snapshot: Memo<Option<PointSnapshot>>,
    last: RwSignal<Option<Request>>,
    simulate: bool,
) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let live = move || ui.model.with(|m| m.is_live());
    let is_on = move || {
        snapshot.with(|p| matches!(p.as_ref().map(|p| p.value), Some(Value::Digital(true))))
    };
    let prefix = if simulate { "sim" } else { "op" };
    let button = move |on: bool| {
        let id = id.clone();
        let label = move || {
            let state = if on { "ON" } else { "OFF" };
            if simulate {
                format!("{} {state}", lang.get().pick("模擬", "Simulate"))
            } else {
                state.to_string()
            }
        };
        let aria = {
            let id = id.clone();
            move || format!("{id}: {}", label())
        };
        view! {
            <button
                type="button"
                class="btn btn-small"
                class:selected=move || is_on() == on
                aria-pressed=move || (is_on() == on).to_string()
                aria-label=aria
                data-testid=format!("{prefix}-{}-{id}", if on { "on" } else { "off" })
                disabled=move || !live()
                on:click=move |_| {
                    let text = if on { "ON" } else { "OFF" };
                    send(last, &id, Value::Digital(on), simulate, text.to_string());
                }
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="op-row" role="group">
            {button.clone()(true)}
            {button(false)}
        </div>
    }
}

/// A number input and its button; for an AI it is a training input.
fn analog_controls(
    id: String,
    snapshot: Memo<Option<PointSnapshot>>,
    last: RwSignal<Option<Request>>,
    simulate: bool,
) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let live = move || ui.model.with(|m| m.is_live());
    let draft = RwSignal::new(String::new());
    let prefix = if simulate { "sim" } else { "ao" };
    let input_id = format!("{prefix}-input-{id}");
    let range = move || snapshot.with(|p| p.as_ref().and_then(range_text));
    let submit = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(point) = snapshot.get_untracked() else {
                return;
            };
            let text = draft.get_untracked();
            match analog_value(&point, &text) {
                Ok(value) => {
                    let shown = value.display(&point.unit, point.decimals);
                    send(last, &id, value, simulate, shown);
                }
                Err(bad) => last.set(Some(Request {
                    id: id.clone(),
                    value: text,
                    local_error: Some(bad.message(&point, lang.get_untracked())),
                })),
            }
        }
    };
    let label = {
        let id = id.clone();
        move || {
            let l = lang.get();
            if simulate {
                format!("{id} {}", l.pick("の模擬値", "simulated value"))
            } else {
                format!("{id} {}", l.pick("の設定値", "set-point"))
            }
        }
    };
    view! {
        <form class="op-row" on:submit=submit novalidate=true>
            <label class="sr-only" for=input_id.clone()>{label}</label>
            <input
                id=input_id.clone()
                data-testid=input_id
                type="text"
                inputmode="decimal"
                size="6"
                placeholder=move || snapshot.with(|p| p.as_ref().map(|p| match p.value {
                    Value::Analog(x) => Value::Analog(x).display("", p.decimals),
                    Value::Digital(_) => String::new(),
                }))
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
            />
            <button
                type="submit"
                class="btn btn-small"
                data-testid=format!("{prefix}-set-{id}")
                disabled=move || !live()
            >
                {move || if simulate {
                    lang.get().pick("模擬入力", "Simulate")
                } else {
                    lang.get().pick("設定", "Set")
                }}
            </button>
            // An AI's hint says what raises its alarm; an AO's, what it accepts.
            {move || {
                let l = lang.get();
                let hint = if simulate {
                    snapshot.with(|p| p.as_ref().and_then(|p| p.alarm_rule(l)))
                } else {
                    range().map(|r| format!("{} {r}", l.pick("範囲", "range")))
                };
                hint.map(|h| view! { <span class="range-hint" data-testid=format!("hint-{id}")>{h}</span> })
            }}
        </form>
    }
}
