//! ポイント一覧: the plant's points, live, with their values and alarms. DO and AO are operated
//! here as a command mail would; DI and AI take training inputs (open a door, push a
//! temperature). The back end refuses what it cannot do and the reason is shown. The page and
//! its report line are here; one point's row in `row`, its controls in `controls`.

pub mod controls;
pub mod row;

use leptos::prelude::*;

use crate::components::{FrameHint, ScreenBar, Window};
use crate::point_form::alarm_count;
use crate::use_ui;
use row::PointRow;

/// A request of this screen, for the line that reports how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
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
                <FrameHint
                    ja="DO と AO はコマンドメールと同じように操作できます。DI と AI の「模擬」は研修用の入力です（扉を開ける、温度を上げるなど）。"
                    en="DO and AO are operated as a command mail would. The simulate controls of DI and AI are training inputs (open a door, raise a temperature)."
                />
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
