//! The `?` help: every field, the two authentication methods, OP25B and `submission`, the
//! receive interval, RST, and every state and error of frame (3) with its meaning and fix, from
//! the same catalogue the live display reads. Opened at an entry, it scrolls there.

use leptos::prelude::*;
use shared::settings::Field;
use shared::status::MailError;

use crate::components::ScreenBar;
use crate::help::{Section, error_id, field_help, field_id, states, status_id};
use crate::nav::{self, Page};
use crate::use_ui;

/// The help page, scrolled to `entry` when given.
#[component]
pub fn HelpPage(entry: Option<String>) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let target = entry.clone();
    // Bring the named entry into view once it is on the page, and give it the focus so that
    // keyboard and screen-reader users land there too.
    Effect::new(move |_| {
        if let Some(id) = target.clone() {
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
    let is_target = move |id: &str| entry.as_deref() == Some(id);
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
    let paragraphs = move |section: Section| {
        move || {
            section
                .paragraphs(lang.get())
                .iter()
                .map(|p| view! { <p>{*p}</p> })
                .collect_view()
        }
    };
    let fields = Field::ALL.map(|field| {
        let id = field_id(field);
        view! {
            <div class="help-entry" class:target=is_target(&id) id=format!("help-{id}") data-testid=format!("help-entry-{id}") tabindex="-1">
                <dt>
                    {move || field.label(lang.get())}
                    {field.is_ours().then(|| view! {
                        <span class="tag ours">{move || lang.get().pick("本シミュレータの追加", "our addition")}</span>
                    })}
                </dt>
                <dd>{move || field_help(field, lang.get())}</dd>
            </div>
        }
    });
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
    let section = move |s: Section, body: AnyView| {
        view! {
            <section class="window help-section" class:target=is_target(s.id()) id=format!("help-{}", s.id())
                data-testid=format!("help-entry-{}", s.id()) tabindex="-1" aria-labelledby=format!("help-{}-title", s.id())>
                <div class="window-title"><h2 id=format!("help-{}-title", s.id())>{move || s.title(lang.get())}</h2></div>
                <div class="window-body">{paragraphs(s)}{body}</div>
            </section>
        }
    };
    view! {
        <div class="screen help" data-testid="help-screen">
            <ScreenBar ja="ヘルプ『?』" en="Help (?)" path_ja="Eメール接続環境設定" path_en="E-mail connection settings" />
            <div class="button-row">
                <button type="button" class="btn" data-testid="help-to-settings"
                    on:click=move |_| nav::go(ui.page, Page::Settings)>
                    {move || lang.get().pick("設定画面へ", "To the settings screen")}
                </button>
            </div>
            <nav class="window toc" aria-labelledby="help-toc-title">
                <div class="window-title"><h2 id="help-toc-title">{move || lang.get().pick("目次", "Contents")}</h2></div>
                <ul class="window-body plain">{toc}</ul>
            </nav>
            {section(Section::Fields, view! { <dl class="help-list">{fields}</dl> }.into_any())}
            {section(Section::Auth, ().into_any())}
            {section(Section::Op25b, ().into_any())}
            {section(Section::Interval, ().into_any())}
            {section(Section::Restart, ().into_any())}
            {section(Section::Status, view! {
                <h3>{move || lang.get().pick("通常の表示", "Normal states")}</h3>
                <dl class="help-list">{state_entries}</dl>
                <h3>{move || lang.get().pick("エラー表示と対処", "Errors and what to do")}</h3>
                <dl class="help-list">{error_entries}</dl>
            }.into_any())}
            {section(Section::MailLang, ().into_any())}
            {section(Section::ConnTest, ().into_any())}
        </div>
    }
}
