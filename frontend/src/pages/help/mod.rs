//! The `?` help: the account, every field, the two authentication methods, OP25B and
//! `submission`, the receive interval, RST, every state and error of frame (3) with its meaning
//! and fix (from the same catalogue the live display reads), the command reference (from the
//! catalogue the HELP mail reads), and a section for each screen. Opened at an entry, it
//! scrolls there; 戻る returns to the screen it was opened from.

pub mod commands;
pub mod entries;

use leptos::prelude::*;

use crate::components::ScreenBar;
use crate::help::Section;
use crate::nav::{self, Page};
use crate::use_ui;

/// True when `id` is the entry the help was opened at (a `Copy` closure for every section).
type IsTarget = std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The help page, scrolled to `entry` when given.
#[component]
pub fn HelpPage(entry: Option<String>) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    focus_entry(entry.clone());
    let is_target: IsTarget = std::sync::Arc::new(move |id: &str| entry.as_deref() == Some(id));
    let toc = Section::ALL.map(|section| {
        view! {
            <li>
                <button type="button" class="link-button"
                    on:click=move |_| nav::go(ui.page, Page::Help { entry: Some(section.id().into()) })>
                    {move || section.title(lang.get())}
                </button>
            </li>
        }
    });
    let body = move |section: Section, target: &IsTarget| match section {
        Section::Account => entries::provider_table().into_any(),
        Section::Fields => entries::fields(target.clone()).into_any(),
        Section::Status => entries::status(target.clone()).into_any(),
        Section::Commands => commands::reference().into_any(),
        _ => ().into_any(),
    };
    let sections = Section::ALL.map(|s| {
        let target = is_target.clone();
        view! {
            <section class="window help-section" class:target=target(s.id()) id=format!("help-{}", s.id())
                data-testid=format!("help-entry-{}", s.id()) tabindex="-1" aria-labelledby=format!("help-{}-title", s.id())>
                <div class="window-title"><h2 id=format!("help-{}-title", s.id())>{move || s.title(lang.get())}</h2></div>
                <div class="window-body">
                    {move || s.paragraphs(lang.get()).iter().map(|p| view! { <p>{*p}</p> }).collect_view()}
                    {body(s, &target)}
                </div>
            </section>
        }
    });
    view! {
        <div class="screen help" data-testid="help-screen">
            <ScreenBar ja="ヘルプ『?』" en="Help (?)" />
            <div class="button-row">
                <button type="button" class="btn btn-primary" data-testid="help-back" on:click=move |_| go_back(ui.page)>
                    {move || lang.get().pick("戻る（開いた画面へ）", "Back (to where you came from)")}
                </button>
                <button type="button" class="btn" data-testid="help-to-settings"
                    on:click=move |_| nav::go(ui.page, Page::Settings)>
                    {move || lang.get().pick("Eメール接続環境設定へ", "To the e-mail connection settings")}
                </button>
                <button type="button" class="btn" data-testid="help-to-console"
                    on:click=move |_| nav::go(ui.page, Page::Console)>
                    {move || lang.get().pick("GUI呼出コンソールへ", "To the GUI console")}
                </button>
            </div>
            <nav class="window toc" aria-labelledby="help-toc-title">
                <div class="window-title"><h2 id="help-toc-title">{move || lang.get().pick("目次", "Contents")}</h2></div>
                <ul class="window-body plain">{toc}</ul>
            </nav>
            {sections}
        </div>
    }
}

/// Goes back to the screen the help was opened from; the main menu when there is none (the
/// help was opened from a bookmark).
fn go_back(page: RwSignal<Page>) {
    let history = web_sys::window().and_then(|w| w.history().ok());
    match history {
        Some(history) if history.length().unwrap_or(0) > 1 => {
            let _ = history.back();
        }
        _ => nav::go(page, Page::Menu),
    }
}

/// Brings the named entry into view once it is on the page, and gives it the focus so that
/// keyboard and screen-reader users land there too.
fn focus_entry(entry: Option<String>) {
    Effect::new(move |_| {
        if let Some(id) = entry.clone() {
            request_animation_frame(move || {
                let element = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(&format!("help-{id}")));
                if let Some(element) = element {
                    element.scroll_into_view();
                    if let Ok(html) =
                        wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(element)
                    {
                        let _ = html.focus();
                    }
                }
            });
        }
    });
}
