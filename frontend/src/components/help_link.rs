//! The `?` button: opens the help at one entry.

use leptos::prelude::*;

use crate::nav::{self, Page};
use crate::use_ui;

/// A `?` button in a title bar, opening the help entry `entry` (about the window named).
#[component]
pub fn HelpLink(
    /// The help entry id.
    #[prop(into)]
    entry: String,
    /// What the help is about, in Japanese (for screen readers).
    about_ja: &'static str,
    /// The same in English.
    about_en: &'static str,
) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let testid = format!("help-{entry}");
    let label = move || {
        let l = lang.get();
        format!(
            "{}: {}",
            l.pick("ヘルプ", "Help"),
            l.pick(about_ja, about_en)
        )
    };
    view! {
        <button
            type="button"
            class="help-button"
            data-testid=testid
            aria-label=label
            title=label
            on:click=move |_| nav::go(ui.page, Page::Help { entry: Some(entry.clone()) })
        >
            "?"
        </button>
    }
}
