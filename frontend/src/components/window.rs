//! A framed window with a blue title bar, the look of the original's screens, optionally with a
//! `?` button that opens the help at the entry about this window.

use leptos::prelude::*;

use crate::components::HelpLink;
use crate::use_ui;

/// A window: `id` names it for tests and ties the title to the frame for screen readers.
#[component]
pub fn Window(
    /// Names the window (`data-testid`, and the title's id).
    id: &'static str,
    /// Japanese title.
    ja: &'static str,
    /// English title.
    en: &'static str,
    /// The help entry the `?` opens, if any.
    #[prop(optional)]
    help: Option<&'static str>,
    /// Extra CSS classes.
    #[prop(optional)]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let lang = use_ui().lang;
    let title_id = format!("{id}-title");
    view! {
        <section class=format!("window {class}") data-testid=id aria-labelledby=title_id.clone()>
            <div class="window-title">
                <h2 id=title_id.clone()>{move || lang.get().pick(ja, en)}</h2>
                {help.map(|entry| view! { <HelpLink entry=entry about_ja=ja about_en=en /> })}
            </div>
            <div class="window-body">{children()}</div>
        </section>
    }
}

/// The short explanation under a window's title (or beside its controls), in the page's language.
#[component]
pub fn FrameHint(
    /// Japanese text.
    ja: &'static str,
    /// English text.
    en: &'static str,
) -> impl IntoView {
    let lang = use_ui().lang;
    view! { <p class="frame-hint">{move || lang.get().pick(ja, en)}</p> }
}
