//! The title bar: product name, the class and name of a trainee, connection badge and the JA/EN
//! switch. [`Brand`] and [`LangSwitch`] serve the pages without a simulation too.

use leptos::prelude::*;

use crate::model::LinkState;
use crate::{use_lang, use_ui};

/// The product name.
#[component]
pub fn Brand() -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="brand">
            <span class="product">"KaracrixBuilder"</span>
            <span class="subtitle">
                {move || lang.get().pick("Eメール環境シミュレータ", "E-mail environment simulator")}
            </span>
        </div>
    }
}

/// The JA/EN switch.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    view! {
        <button
            class="lang-switch"
            data-testid="lang-switch"
            on:click=move |_| lang.update(|l| *l = l.toggled())
            title=move || lang.get().pick("Switch to English", "日本語に切り替え")
        >
            {move || lang.get().pick("English", "日本語")}
        </button>
    }
}

/// The top bar of every screen.
#[component]
pub fn Header() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let badge = move || {
        let l = lang.get();
        match ui.model.with(|m| m.link) {
            LinkState::Open => ("online", l.pick("接続中", "Connected")),
            LinkState::Connecting { .. } => ("connecting", l.pick("接続処理中", "Connecting")),
            LinkState::Closed { .. } => ("offline", l.pick("切断", "Disconnected")),
        }
    };
    // A trainee's class and name; not on the instructor's read-only view, whose banner says it.
    let joined = move || {
        ui.model
            .with(|m| m.session.joined.clone().filter(|_| !m.session.read_only))
    };
    view! {
        <header class="titlebar">
            <Brand />
            <div class="titlebar-right">
                {move || joined().map(|j| view! {
                    <span class="session-joined" data-testid="session-joined">
                        {move || lang.get().pick("クラス ", "Class ")}
                        <span data-testid="session-class">{j.class.clone()}</span>
                        " ・ "
                        <span data-testid="session-name">{j.name.clone()}</span>
                    </span>
                })}
                <span
                    class=move || format!("badge {}", badge().0)
                    data-testid="link-state"
                    data-state=move || badge().0
                    role="status"
                >
                    {move || badge().1}
                </span>
                <LangSwitch />
            </div>
        </header>
    }
}
