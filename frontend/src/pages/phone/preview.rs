//! What the command layer will make of the mail being written, by the parser the back end runs.
//! A mail without commands shows the very sentence the engine replies with
//! (`shared::command::no_commands_text`), so the preview promises what arrives.

use leptos::prelude::*;
use shared::command::no_commands_text;

use super::Draft;
use crate::components::{FrameHint, Window};
use crate::phone_form::preview;
use crate::use_ui;

/// The preview window.
#[component]
pub fn Preview(draft: Draft) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let points = Memo::new(move |_| ui.model.with(|m| m.points.clone()));
    let parsed = Memo::new(move |_| {
        let l = lang.get();
        let (s, b) = (draft.subject.get(), draft.body.get());
        points.with(|p| preview(&s, &b, p, l))
    });
    let lines = move || {
        parsed.with(|p| {
            p.lines
                .iter()
                .map(|line| {
                    let line = line.clone();
                    view! {
                        <li class=if line.ok { "preview-line ok" } else { "preview-line error" }
                            data-testid="preview-line" data-ok=line.ok.to_string()>
                            <span class="preview-source">
                                <span class="tag">{move || if line.from_subject {
                                    lang.get().pick("件名", "Subject")
                                } else {
                                    lang.get().pick("本文", "Body")
                                }}</span>
                                <code>{line.line.clone()}</code>
                            </span>
                            <span class="preview-meaning">
                                {if line.ok { "✓ " } else { "✗ " }}{line.meaning.clone()}
                            </span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <Window id="phone-preview" ja="コマンドとしての解釈（送信前の確認）" en="As commands (check before sending)">
            <FrameHint
                ja="システムが受信したときと同じ規則で読み取った結果です。"
                en="Read by the same rules the system applies when the mail arrives."
            />
            <ol class="plain preview-list" data-testid="preview-list">{lines}</ol>
            <Show when=move || parsed.with(|p| p.lines.is_empty() && p.refused.is_none())>
                <p class="empty-note" data-testid="preview-empty">
                    {move || lang.get().pick("コマンドはありません。システムの返信: ", "No commands. The system will reply: ")}
                    <q>{move || no_commands_text(lang.get())}</q>
                </p>
            </Show>
            {move || parsed.with(|p| p.refused.clone()).map(|why| view! {
                <p class="save-outcome error" data-testid="preview-refused">{why}</p>
            })}
            <p data-testid="preview-pin">
                {move || lang.get().pick("暗証番号: ", "PIN: ")}
                {move || parsed.with(|p| p.pin.clone())
                    .unwrap_or_else(|| lang.get().pick("なし", "none").to_string())}
            </p>
        </Window>
    }
}
