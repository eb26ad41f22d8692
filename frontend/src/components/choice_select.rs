//! A labelled `<select>` over a [`Choice`], bound to a signal.

use leptos::prelude::*;

use crate::policy_form::Choice;
use crate::use_lang;

/// A `<select>` with its label; `get` reads the current choice, `set` stores a new one.
#[component]
pub fn ChoiceSelect<C, G, S>(
    /// The element id (and `data-testid`).
    id: &'static str,
    /// The label in Japanese.
    ja: &'static str,
    /// The label in English.
    en: &'static str,
    /// The current choice.
    get: G,
    /// Stores a new choice.
    set: S,
    /// False greys the control out (its choice only matters when something else is on).
    #[prop(optional, into)]
    enabled: Option<Signal<bool>>,
) -> impl IntoView
where
    C: Choice + Send + Sync,
    G: Fn() -> C + Copy + Send + Sync + 'static,
    S: Fn(C) + Copy + Send + Sync + 'static,
{
    let lang = use_lang();
    let options = move || {
        C::ALL
            .iter()
            .map(|choice| {
                let choice = *choice;
                view! {
                    <option value=choice.value() selected=move || get() == choice>
                        {move || choice.label(lang.get())}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <div class="control">
            <label for=id>{move || lang.get().pick(ja, en)}</label>
            <select
                id=id
                data-testid=id
                disabled=move || enabled.is_some_and(|on| !on.get())
                prop:value=move || get().value()
                on:change=move |ev| {
                    if let Some(choice) = C::from_value(&event_target_value(&ev)) {
                        set(choice);
                    }
                }
            >
                {options}
            </select>
        </div>
    }
}
