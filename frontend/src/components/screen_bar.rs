//! The top of every screen but the menu: where it sits in the menu and the way back.

use leptos::prelude::*;

use crate::nav::{self, Page};
use crate::use_ui;

/// The screen's title, its menu path and the "back to main menu" button.
#[component]
pub fn ScreenBar(
    /// The screen's name in Japanese.
    ja: &'static str,
    /// The same in English.
    en: &'static str,
    /// The menu path in Japanese, e.g. 「メインメニュー → システム設定」.
    #[prop(optional)]
    path_ja: &'static str,
    /// The same in English.
    #[prop(optional)]
    path_en: &'static str,
) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    view! {
        <div class="screen-bar">
            <div>
                {(!path_ja.is_empty()).then(|| view! {
                    <p class="menu-path">{move || lang.get().pick(path_ja, path_en)}</p>
                })}
                <h1 class="screen-title" data-testid="screen-title">
                    {move || lang.get().pick(ja, en)}
                </h1>
            </div>
            <button
                type="button"
                class="btn"
                data-testid="back-to-menu"
                on:click=move |_| nav::go(ui.page, Page::Menu)
            >
                {move || lang.get().pick("メインメニューへ戻る", "Back to main menu")}
            </button>
        </div>
    }
}
