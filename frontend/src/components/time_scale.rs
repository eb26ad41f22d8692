//! The demo speed, changed while running: how many demo minutes (of the receive interval, of
//! the plant, of the ISP's clocks) pass in a real one. Ours; the original runs in real time.

use leptos::prelude::*;
use shared::ClientMsg;
use shared::protocol::MAX_TIME_SCALE;

use crate::use_ui;

/// A number input and a button that sends it.
#[component]
pub fn TimeScaleControl() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let current = move || {
        ui.model
            .with(|m| m.engine.as_ref().map_or(1, |e| e.time_scale))
    };
    let typed = RwSignal::new(String::new());
    let set = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(scale) = typed.get_untracked().trim().parse::<u32>() {
            ui.model.update(|m| m.clear_error());
            ui.link.send(&ClientMsg::SetTimeScale { scale });
        }
    };
    view! {
        <form class="time-scale" on:submit=set>
            <label for="time-scale-input">
                {move || lang.get().pick("デモの時間倍率（1〜3600）", "Demo time scale (1 to 3600)")}
            </label>
            <input id="time-scale-input" data-testid="time-scale-input" type="number" min="1"
                max=MAX_TIME_SCALE.to_string() inputmode="numeric"
                prop:value=move || current().to_string()
                on:input=move |ev| typed.set(event_target_value(&ev)) />
            <button type="submit" class="btn btn-small" data-testid="time-scale-set"
                disabled=move || !ui.model.with(|m| m.can_change())>
                {move || lang.get().pick("変更", "Change")}
            </button>
        </form>
    }
}
