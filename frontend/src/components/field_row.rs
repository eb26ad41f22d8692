//! One input of 「Eメール接続環境設定」: its numbered label with the `?` that opens its help
//! entry, the input, a warning the manual gives about the value, and the errors of that field
//! next to it.

use leptos::prelude::*;
use shared::settings::{Field, FieldError};

use crate::components::HelpLink;
use crate::form::Draft;
use crate::use_ui;

/// How a field is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One line of text.
    Text,
    /// A whole number.
    Number,
    /// A list: one entry a line, or comma-separated.
    List,
    /// Write-only: never filled in from the back end.
    Password,
}

/// The DOM id of a field's input.
pub fn input_id(field: Field) -> String {
    format!("field-{}", field.number())
}

/// The `?` beside a field's label, opening its help entry.
#[component]
pub fn FieldHelp(field: Field) -> impl IntoView {
    view! {
        <HelpLink
            entry=crate::help::field_id(field)
            // Not the label itself: the input alone is what the label names.
            about_ja=format!("項目 {}", field.number())
            about_en=format!("field {}", field.number())
            inline=true
        />
    }
}

/// The tag of fields 1–4, our additions: the one name the screens and the help use for them.
#[component]
pub fn OursTag() -> impl IntoView {
    let lang = use_ui().lang;
    view! {
        <span class="tag ours">{move || lang.get().pick("本シミュレータの追加", "this simulator's addition")}</span>
    }
}

/// The errors of one field, as sentences next to it.
#[component]
pub fn FieldErrors(field: Field, errors: Signal<Vec<FieldError>>) -> impl IntoView {
    let lang = use_ui().lang;
    let mine = move || {
        let l = lang.get();
        errors.with(|all| {
            all.iter()
                .filter(|e| e.field == field)
                .map(|e| e.message(l))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div
            class="field-error"
            id=format!("{}-error", input_id(field))
            data-testid=format!("error-{}", field.number())
            role="alert"
        >
            {move || mine().into_iter().map(|m| view! { <p>{m}</p> }).collect_view()}
        </div>
    }
}

/// A labelled input bound to one part of the [`Draft`].
#[component]
pub fn FieldRow(
    field: Field,
    kind: Kind,
    draft: RwSignal<Draft>,
    get: fn(&Draft) -> String,
    set: fn(&mut Draft, String),
    errors: Signal<Vec<FieldError>>,
    /// A line under the input (e.g. "set" for the password).
    #[prop(optional, into)]
    note: Option<Signal<String>>,
    /// A caution about the value typed (the manual's), shown under the input when there is one.
    #[prop(optional, into)]
    warning: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let lang = use_ui().lang;
    let id = input_id(field);
    let invalid = move || errors.with(|all| all.iter().any(|e| e.field == field));
    let described = format!("{id}-error {id}-note {id}-warning");
    let value = move || draft.with(get);
    let on_input = move |ev| draft.update(|d| set(d, event_target_value(&ev)));
    let input = match kind {
        Kind::List => view! {
            <textarea
                id=id.clone()
                rows="3"
                spellcheck="false"
                aria-invalid=move || invalid().to_string()
                aria-describedby=described.clone()
                prop:value=value
                on:input=on_input
            ></textarea>
        }
        .into_any(),
        _ => {
            let (input_type, mode, complete) = match kind {
                Kind::Number => ("text", "numeric", "off"),
                Kind::Password => ("password", "text", "new-password"),
                _ => ("text", "text", "off"),
            };
            view! {
                <input
                    id=id.clone()
                    type=input_type
                    inputmode=mode
                    autocomplete=complete
                    spellcheck="false"
                    list=(field == Field::SmtpService).then_some("smtp-services")
                    aria-invalid=move || invalid().to_string()
                    aria-describedby=described.clone()
                    prop:value=value
                    on:input=on_input
                />
            }
            .into_any()
        }
    };
    let hint = move || {
        let l = lang.get();
        match kind {
            Kind::List => Some(
                l.pick(
                    "1 行に 1 件、またはカンマ区切り",
                    "One a line, or comma-separated",
                )
                .to_string(),
            ),
            _ => note.map(|n| n.get()),
        }
    };
    view! {
        <div class="field-row" class:invalid=invalid data-testid=format!("row-{}", field.number())>
            <div class="field-label">
                <label for=id.clone()>
                    {move || field.label(lang.get())}
                    {field.is_ours().then(|| view! { <OursTag /> })}
                </label>
                <FieldHelp field />
            </div>
            <div class="field-input">
                {input}
                <p class="field-note" id=format!("{id}-note") data-testid=format!("note-{}", field.number())>
                    {hint}
                </p>
                <p class="field-warning" id=format!("{id}-warning") data-testid=format!("warning-{}", field.number()) role="status">
                    {move || warning.and_then(|w| w.get())}
                </p>
                <FieldErrors field=field errors=errors />
            </div>
        </div>
    }
}
