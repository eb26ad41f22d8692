//! The browser UI of the KaracrixBuilder e-mail environment simulator.
//!
//! [`model`] is the pure state the screens show, fed by [`link`] (the one WebSocket). Screens are
//! in [`pages`], shared pieces in [`components`]. All texts come in Japanese and English.

pub mod address;
pub mod components;
pub mod form;
pub mod help;
pub mod link;
pub mod model;
pub mod nav;
pub mod pages;
pub mod phone_form;
pub mod point_form;
pub mod policy_form;
pub mod session;
pub mod socket;
pub mod start;

use leptos::prelude::*;
use shared::Lang;

use crate::address::{Place, SocketTarget};
use crate::components::{Header, LinkBanner, ReadOnlyBanner, TrainingPanel};
use crate::link::Link;
use crate::model::Model;
use crate::nav::Page;
use crate::pages::{
    ConsolePage, HelpPage, InstructorPage, LogPage, MainMenu, PhonePage, PointsPage, SandboxPage,
    SettingsPage, SystemMenu,
};

/// What every component reaches through context. `Copy`, so closures take it freely.
#[derive(Clone, Copy)]
pub struct Ui {
    /// The state shown on screen, as the back end last told it.
    pub model: RwSignal<Model>,
    /// The display language.
    pub lang: RwSignal<Lang>,
    /// The connection to the back end.
    pub link: Link,
    /// The screen on show (mirrored in the address's `#hash`).
    pub page: RwSignal<Page>,
}

/// Reads the [`Ui`] context.
pub fn use_ui() -> Ui {
    expect_context::<Ui>()
}

/// The display language, on every page (the instructor's too, which has no [`Ui`]).
pub fn use_lang() -> RwSignal<Lang> {
    expect_context::<RwSignal<Lang>>()
}

const LANG_KEY: &str = "karacrix.lang";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn saved_lang() -> Lang {
    let saved = local_storage().and_then(|s| s.get_item(LANG_KEY).ok().flatten());
    match saved.as_deref() {
        Some("en") => Lang::En,
        _ => Lang::Ja,
    }
}

/// The whole page: the simulator, the join form, the instructor's page or the read-only view,
/// as the address says.
#[component]
pub fn App() -> impl IntoView {
    let lang = RwSignal::new(saved_lang());
    provide_context(lang);

    // Keep <html lang> and the saved choice in step with the switch.
    Effect::new(move || {
        let lang = lang.get();
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(lang.pick(
                "KaracrixBuilder Eメール環境シミュレータ",
                "KaracrixBuilder e-mail environment simulator",
            ));
            if let Some(root) = document.document_element() {
                let _ = root.set_attribute("lang", lang.tag());
            }
        }
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(LANG_KEY, lang.tag());
        }
    });

    match address::current_place() {
        Place::Instructor => view! { <InstructorPage /> }.into_any(),
        Place::Watch { id } => match address::instructor_key() {
            Some(key) => view! { <Simulator target=SocketTarget::Watch { id, key } /> }.into_any(),
            None => view! { <start::KeyMissing /> }.into_any(),
        },
        Place::App { class } => view! { <start::Start class /> }.into_any(),
    }
}

/// The simulator, talking to the back end over `target`.
#[component]
pub fn Simulator(target: SocketTarget) -> impl IntoView {
    let model = RwSignal::new(Model::default());
    let lang = use_lang();
    let link = Link::start(model, target);
    let page = RwSignal::new(nav::current());
    nav::follow_address(page);
    provide_context(Ui {
        model,
        lang,
        link,
        page,
    });

    view! {
        <Header />
        <LinkBanner />
        <ReadOnlyBanner />
        <div class="workspace">
        <main class="desktop" data-page=move || page.get().hash()>
            {move || match page.get() {
                Page::Menu => view! { <MainMenu /> }.into_any(),
                Page::System => view! { <SystemMenu /> }.into_any(),
                Page::Settings => view! { <SettingsPage /> }.into_any(),
                Page::Console => view! { <ConsolePage /> }.into_any(),
                Page::Points => view! { <PointsPage /> }.into_any(),
                Page::Phone => view! { <PhonePage /> }.into_any(),
                Page::Log => view! { <LogPage /> }.into_any(),
                Page::Sandbox => view! { <SandboxPage /> }.into_any(),
                Page::Help { entry } => view! { <HelpPage entry /> }.into_any(),
            }}
        </main>
        <TrainingPanel />
        </div>
    }
}
