//! The command reference: every command of `shared::command::REFERENCE` (the catalogue the HELP
//! mail is written from) with its forms, examples and what the reply says, and the reply to a
//! mail without commands (the sentence the engine and the phone's preview share).

use leptos::prelude::*;
use shared::command::{REFERENCE, no_commands_text};

use crate::use_ui;

/// The reference table.
pub fn reference() -> impl IntoView {
    let lang = use_ui().lang;
    let rows = REFERENCE
        .iter()
        .enumerate()
        .map(|(i, command)| {
            let examples = command
                .examples
                .iter()
                .map(|e| view! { <code class="example" lang="ja">{*e}</code> })
                .collect_view();
            view! {
                <tr data-testid=format!("command-{i}")>
                    // The forms are the language itself (一覧, 警報 …), the same in both languages.
                    <td><code lang="ja">{move || command.forms_in(lang.get())}</code></td>
                    <td>{move || lang.get().pick(command.ja, command.en)}</td>
                    <td>{examples}</td>
                    <td><pre lang="ja">{move || lang.get().pick(command.reply_ja, command.reply_en)}</pre></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="help-table" data-testid="command-reference">
            <thead>
                <tr>
                    <th scope="col">{move || lang.get().pick("書き方", "Forms")}</th>
                    <th scope="col">{move || lang.get().pick("意味", "What it does")}</th>
                    <th scope="col">{move || lang.get().pick("例", "Examples")}</th>
                    <th scope="col">{move || lang.get().pick("返信の例", "What the reply says")}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        // The example name is the plant's Japanese data, the same in either language.
        <p>
            {move || lang.get().pick("<ポイント>: ポイント ID（例 PUMP1）または名称（例 ", "<point>: a point id (e.g. PUMP1) or its name (e.g. ")}
            <span lang="ja">"給水ポンプ"</span>
            {move || lang.get().pick("）", ")")}
        </p>
        <p data-testid="no-commands-reply">
            {move || lang.get().pick("コマンドが 1 つもないメールへの返信: ", "The reply to a mail without any command: ")}
            <q>{move || no_commands_text(lang.get())}</q>
        </p>
    }
}
