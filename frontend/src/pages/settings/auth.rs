//! Frame (2): the authentication method, 11.PopBeforeSmtp and 12.SmtpAuthLogin, and how each
//! connection is encrypted (our 13 and 14), each with its `?`.

use leptos::prelude::*;
use shared::settings::{Field, Security};

use super::Form;
use crate::components::field_row::input_id;
use crate::components::{FieldErrors, FieldHelp, FrameHint, OursTag, Window};
use crate::form::Draft;
use crate::use_ui;

/// Frame (2).
#[component]
pub fn AuthFrame(form: Form) -> impl IntoView {
    view! {
        <Window id="frame-2" ja="(2) 認証方式と暗号化" en="(2) Authentication and encryption" help="auth">
            <FrameHint
                ja="通常は 11.PopBeforeSmtp。サーバがログイン認証を求めるなら 12.SmtpAuthLogin。"
                en="Usually 11. PopBeforeSmtp; 12. SmtpAuthLogin when the server requires login authentication."
            />
            {checkbox(form, Field::PopBeforeSmtp, |d| d.pop_before_smtp, |d, v| d.pop_before_smtp = v)}
            {checkbox(form, Field::SmtpAuthLogin, |d| d.smtp_auth_login, |d, v| d.smtp_auth_login = v)}
            <SecurityRow form field=Field::PopSecurity get=|d| d.pop_security set=|d, v| d.pop_security = v />
            <SecurityRow form field=Field::SmtpSecurity get=|d| d.smtp_security set=|d, v| d.smtp_security = v />
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

/// 13. or 14.: how a connection is secured, as a `<select>` with its numbered label, `?` and errors.
#[component]
fn SecurityRow(
    form: Form,
    field: Field,
    get: fn(&Draft) -> Security,
    set: fn(&mut Draft, Security),
) -> impl IntoView {
    let lang = use_ui().lang;
    let Form { draft, errors } = form;
    let id = input_id(field);
    let invalid = move || errors.with(|all| all.iter().any(|e| e.field == field));
    let options = move || {
        Security::ALL
            .iter()
            .map(|choice| {
                let choice = *choice;
                view! {
                    <option value=choice.value() selected=move || draft.with(get) == choice>
                        {move || choice.label(lang.get())}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <div class="field-row" class:invalid=invalid data-testid=format!("row-{}", field.number())>
            <div class="field-label">
                <label for=id.clone()>
                    {move || field.label(lang.get())}
                    <OursTag />
                </label>
                <FieldHelp field />
            </div>
            <div class="field-input">
                <select
                    id=id.clone()
                    aria-invalid=move || invalid().to_string()
                    aria-describedby=format!("{id}-error")
                    prop:value=move || draft.with(get).value()
                    on:change=move |ev| {
                        if let Some(choice) = Security::from_value(&event_target_value(&ev)) {
                            draft.update(|d| set(d, choice));
                        }
                    }
                >
                    {options}
                </select>
                <FieldErrors field errors />
            </div>
        </div>
    }
}
