//! 登録 and the line that says how the last save went, in the UI's language.

use leptos::prelude::*;
use shared::Lang;

use crate::form::SaveOutcome;
use crate::use_ui;

/// The save button and its outcome.
#[component]
pub fn SaveBar(outcome: RwSignal<SaveOutcome>) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let text = move || {
        let l = lang.get();
        match outcome.get() {
            SaveOutcome::Idle => String::new(),
            SaveOutcome::Waiting { .. } => l.pick("登録中…", "Saving…").into(),
            SaveOutcome::Saved => l
                .pick(
                    "登録しました。反映するには GUI呼出コンソールで RST してください。",
                    "Saved. Restart with RST on the GUI console to apply it.",
                )
                .into(),
            SaveOutcome::Invalid(n) => match l {
                Lang::Ja => format!("入力に誤りがあります（{n} 件）。登録していません。"),
                Lang::En => format!("{n} field(s) need fixing. Nothing was saved."),
            },
            SaveOutcome::Refused => {
                let why = ui.model.with(|m| m.refusal(l)).unwrap_or_default();
                match l {
                    Lang::Ja => format!("登録できませんでした。{why}"),
                    Lang::En => format!("Not saved. {why}"),
                }
            }
            SaveOutcome::Lost => l
                .pick(
                    "登録の途中で接続が切れました。登録されたかどうかは、再接続後に「RST 待ち」の表示で確認し、必要ならもう一度登録してください。",
                    "The connection dropped while saving. Once reconnected, check whether the settings wait for RST, and save again if not.",
                )
                .into(),
        }
    };
    let class = move || match outcome.get() {
        SaveOutcome::Saved => "save-outcome ok",
        SaveOutcome::Invalid(_) | SaveOutcome::Refused | SaveOutcome::Lost => "save-outcome error",
        _ => "save-outcome",
    };
    view! {
        <div class="save-bar">
            <button
                type="submit"
                class="btn btn-primary"
                data-testid="save"
                disabled=move || !ui.model.with(|m| m.can_change())
            >
                {move || lang.get().pick("登録", "Save")}
            </button>
            <span class=class data-testid="save-outcome" role="status">{text}</span>
        </div>
    }
}
