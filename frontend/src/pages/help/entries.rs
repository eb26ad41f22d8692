//! The help's lists: the manual's "what the provider gives → which field" table, one entry a
//! field, and one entry a state and an error of frame (3).

use leptos::prelude::*;
use shared::settings::Field;
use shared::status::MailError;

use super::IsTarget;
use crate::help::{PROVIDER_TABLE, error_id, field_help, field_id, states, status_id};
use crate::nav::{self, Page};
use crate::use_ui;

/// The manual's list 「ユーザ名 → 9.E-Mailユーザ名」… as a table whose fields link to their entry.
pub fn provider_table() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let rows = PROVIDER_TABLE
        .iter()
        .map(|&(ja, en, field)| {
            let fields = if field == Field::SmtpAuthLogin {
                vec![Field::PopBeforeSmtp, Field::SmtpAuthLogin]
            } else {
                vec![field]
            };
            let links = fields
                .into_iter()
                .map(|f| {
                    view! {
                        <button type="button" class="link-button" data-testid=format!("provider-{}", f.number())
                            on:click=move |_| nav::go(ui.page, Page::Help { entry: Some(field_id(f)) })>
                            {move || f.label(lang.get())}
                        </button>
                        " "
                    }
                })
                .collect_view();
            view! {
                <tr>
                    <td>{move || lang.get().pick(ja, en)}</td>
                    <td>{links}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="help-table" data-testid="provider-table">
            <thead>
                <tr>
                    <th scope="col">{move || lang.get().pick("プロバイダから受け取る情報", "What your provider gives you")}</th>
                    <th scope="col">{move || lang.get().pick("設定する項目", "The field it goes into")}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// One entry a field, 1–12.
pub fn fields(is_target: IsTarget) -> impl IntoView {
    let lang = use_ui().lang;
    let entries = Field::ALL.map(|field| {
        let id = field_id(field);
        view! {
            <div class="help-entry" class:target=is_target(&id) id=format!("help-{id}") data-testid=format!("help-entry-{id}") tabindex="-1">
                <dt>
                    {move || field.label(lang.get())}
                    {field.is_ours().then(|| view! {
                        <span class="tag ours">{move || lang.get().pick("本シミュレータの追加", "this simulator's addition")}</span>
                    })}
                </dt>
                <dd>{move || field_help(field, lang.get())}</dd>
            </div>
        }
    });
    view! { <dl class="help-list">{entries}</dl> }
}

/// One entry a state of frame (3), then one an error with its meaning and fix.
pub fn status(is_target: IsTarget) -> impl IntoView {
    let lang = use_ui().lang;
    let state_entries = states().map(|status| {
        let id = status_id(&status);
        let shown = status.display();
        view! {
            <div class="help-entry" class:target=is_target(&id) id=format!("help-{id}") data-testid=format!("help-entry-{id}") tabindex="-1">
                <dt><code class="status-display">{shown}</code></dt>
                <dd>{move || status.meaning(lang.get())}</dd>
            </div>
        }
    });
    let error_entries = MailError::ALL.map(|error| {
        let id = error_id(error);
        view! {
            <div class="help-entry" class:target=is_target(&id) id=format!("help-{id}") data-testid=format!("help-entry-{id}") tabindex="-1">
                <dt><code class="status-display error">{error.code()}</code></dt>
                <dd>
                    <p>{move || error.meaning(lang.get())}</p>
                    <p class="fix"><strong>{move || lang.get().pick("対処: ", "Fix: ")}</strong>{move || error.fix(lang.get())}</p>
                </dd>
            </div>
        }
    });
    view! {
        <h3>{move || lang.get().pick("通常の表示", "Normal states")}</h3>
        <dl class="help-list">{state_entries}</dl>
        <h3>{move || lang.get().pick("エラー表示と対処", "Errors and what to do")}</h3>
        <dl class="help-list">{error_entries}</dl>
    }
}
