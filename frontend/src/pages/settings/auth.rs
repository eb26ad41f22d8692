//! Frame (2): the authentication method, 11.PopBeforeSmtp and 12.SmtpAuthLogin, each with its
//! `?`.

use leptos::prelude::*;
use shared::settings::Field;

use super::Form;
use crate::components::field_row::input_id;
use crate::components::{FieldErrors, FieldHelp, Window};
use crate::form::Draft;
use crate::use_ui;

/// Frame (2).
#[component]
pub fn AuthFrame(form: Form) -> impl IntoView {
    let lang = use_ui().lang;
    view! {
        <Window id="frame-2" ja="(2) 認証方式" en="(2) Authentication" help="auth">
            <p class="frame-hint">{move || lang.get().pick(
                "通常は 11.PopBeforeSmtp。サーバがログイン認証を求めるなら 12.SmtpAuthLogin。",
                "Usually 11. PopBeforeSmtp; 12. SmtpAuthLogin when the server requires login authentication.",
            )}</p>
            {checkbox(form, Field::PopBeforeSmtp, |d| d.pop_before_smtp, |d, v| d.pop_before_smtp = v)}
            {checkbox(form, Field::SmtpAuthLogin, |d| d.smtp_auth_login, |d, v| d.smtp_auth_login = v)}
        </Window>
    }
}

fn checkbox(
    form: Form,
    field: Field,
    get: fn(&Draft) -> bool,
    set: fn(&mut Draft, bool),
) -> impl IntoView {
    let lang = use_ui().lang;
    let Form { draft, errors } = form;
    let id = input_id(field);
    view! {
        <div class="check-row" data-testid=format!("row-{}", field.number())>
            <input
                type="checkbox"
                id=id.clone()
                prop:checked=move || draft.with(get)
                on:change=move |ev| draft.update(|d| set(d, event_target_checked(&ev)))
            />
            <label for=id>{move || field.label(lang.get())}</label>
            <FieldHelp field />
            <FieldErrors field errors />
        </div>
    }
}
