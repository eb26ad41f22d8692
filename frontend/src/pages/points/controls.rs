//! The controls of one point: ON/OFF for a DO, a value for an AO, and the training inputs of
//! a DI and an AI, each with the hint that says what the point accepts or what raises its
//! alarm. A request is remembered for the page's report line.

use leptos::prelude::*;
use shared::ClientMsg;
use shared::points::{PointKind, PointSnapshot, Value};

use super::Request;
use crate::point_form::{analog_value, range_text};
use crate::{Ui, use_ui};

/// The controls `kind` allows for point `id`: operations for a DO and an AO, training inputs
/// for a DI and an AI, a dash otherwise.
pub fn point_controls(
    id: String,
    kind: Option<PointKind>,
    snapshot: Memo<Option<PointSnapshot>>,
    last: RwSignal<Option<Request>>,
) -> AnyView {
    let target = |simulate| Target {
        snapshot,
        last,
        simulate,
        ui: use_ui(),
    };
    match kind {
        Some(PointKind::Do) => digital_controls(id, target(false)).into_any(),
        Some(PointKind::Di) => digital_controls(id, target(true)).into_any(),
        Some(PointKind::Ao) => analog_controls(id, target(false)).into_any(),
        Some(PointKind::Ai) => analog_controls(id, target(true)).into_any(),
        _ => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

/// What both kinds of controls of a point work on; `Copy`, so every closure takes its own.
#[derive(Clone, Copy)]
struct Target {
    snapshot: Memo<Option<PointSnapshot>>,
    /// The request the report line shows.
    last: RwSignal<Option<Request>>,
    /// Training inputs (DI, AI) rather than operations (DO, AO).
    simulate: bool,
    ui: Ui,
}

impl Target {
    /// Whether the back end is connected, so that the controls can be used.
    fn live(self) -> bool {
        self.ui.model.with(|m| m.can_change())
    }

    /// Sends an operation (DO, AO) or a training input (DI, AI) to point `id`, remembering it
    /// (as `text`) for the report line.
    fn send(self, id: &str, value: Value, text: String) {
        self.ui.model.update(|m| m.clear_error());
        self.last.set(Some(Request {
            id: id.to_string(),
            value: text,
            local_error: None,
        }));
        let id = id.to_string();
        self.ui.link.send(&if self.simulate {
            ClientMsg::SimulatePoint { id, value }
        } else {
            ClientMsg::OperatePoint { id, value }
        });
    }
}

/// ON and OFF buttons; for a DI they are training inputs.
fn digital_controls(id: String, target: Target) -> impl IntoView {
    let Target {
        snapshot, simulate, ..
    } = target;
    let lang = target.ui.lang;
    let is_on = move || {
        snapshot.with(|p| matches!(p.as_ref().map(|p| p.value), Some(Value::Digital(true))))
    };
    let prefix = if simulate { "sim" } else { "op" };
    let hint_id = id.clone();
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
                disabled=move || !target.live()
                on:click=move |_| {
                    let text = if on { "ON" } else { "OFF" };
                    target.send(&id, Value::Digital(on), text.to_string());
                }
            >
                {label}
            </button>
        }
    };
    // A DI's hint says what raises its alarm, as an AI's does.
    let hint = move || {
        let l = lang.get();
        simulate
            .then(|| snapshot.with(|p| p.as_ref().and_then(|p| p.alarm_rule(l))))
            .flatten()
    };
    view! {
        <div class="op-row" role="group">
            {button.clone()(true)}
            {button(false)}
            {move || hint().map(|h| hint_view(&hint_id, h))}
        </div>
    }
}

/// The line beside a point's controls: what raises its alarm, or what it accepts.
fn hint_view(id: &str, text: String) -> impl IntoView + use<> {
    view! { <span class="range-hint" data-testid=format!("hint-{id}")>{text}</span> }
}

/// A number input and its button; for an AI it is a training input.
fn analog_controls(id: String, target: Target) -> impl IntoView {
    let Target {
        snapshot, simulate, ..
    } = target;
    let lang = target.ui.lang;
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
                    target.send(&id, value, shown);
                }
                Err(bad) => target.last.set(Some(Request {
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
                disabled=move || !target.live()
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
                hint.map(|h| hint_view(&id, h))
            }}
        </form>
    }
}
