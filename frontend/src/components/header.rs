//! The title bar: product name, connection badge and the JA/EN switch.

use leptos::prelude::*;

use crate::model::LinkState;
use crate::use_ui;

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
    view! {
        <header class="titlebar">
            <div class="brand">
                <span class="product">"KaracrixBuilder"</span>
                <span class="subtitle">
                    {move || lang.get().pick("Eメール環境シミュレータ", "E-mail environment simulator")}
                </span>
            </div>
            <div class="titlebar-right">
                <span
                    class=move || format!("badge {}", badge().0)
                    data-testid="link-state"
                    data-state=move || badge().0
                    role="status"
                >
                    {move || badge().1}
                </span>
                <button
                    class="lang-switch"
                    data-testid="lang-switch"
                    on:click=move |_| lang.update(|l| *l = l.toggled())
                    title=move || lang.get().pick("Switch to English", "日本語に切り替え")
                >
                    {move || lang.get().pick("English", "日本語")}
                </button>
            </div>
        </header>
    }
}
