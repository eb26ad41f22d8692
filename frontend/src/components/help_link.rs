//! The `?` button: opens the help at one entry.

use leptos::prelude::*;

use crate::nav::{self, Page};
use crate::use_ui;

/// A `?` button opening the help entry `entry` (about the window or field named): white on a
/// title bar, or `inline` in the blue of links beside a field or a heading.
#[component]
pub fn HelpLink(
    /// The help entry id.
    #[prop(into)]
    entry: String,
    /// What the help is about, in Japanese (for screen readers).
    #[prop(into)]
    about_ja: String,
    /// The same in English.
    #[prop(into)]
    about_en: String,
    /// Beside a field or a heading rather than in a title bar.
    #[prop(optional)]
    inline: bool,
) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let testid = format!("help-{entry}");
    let label = move || {
        let l = lang.get();
        format!(
            "{}: {}",
            l.pick("ヘルプ", "Help"),
            l.pick(&about_ja, &about_en)
        )
    };
    view! {
        <button
            type="button"
            class="help-button"
            class:inline=inline
            data-testid=testid
            aria-label=label.clone()
            title=label
            on:click=move |_| nav::go(ui.page, Page::Help { entry: Some(entry.clone()) })
        >
            "?"
        </button>
    }
}
