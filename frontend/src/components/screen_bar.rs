//! The top of every screen but the menu: where it sits in the menu, its `?` help, and the way
//! back one level (システム設定 for the e-mail screen, the main menu for the others; on the GUI
//! 呼出コンソール, which lies outside the closed main menu, the way back opens the menu again).

use leptos::prelude::*;

use crate::components::HelpLink;
use crate::nav::{self, Page};
use crate::use_ui;

/// Where the screen's back button leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Back {
    /// Back to the main menu.
    #[default]
    Menu,
    /// Back to the システム設定 sub-menu.
    System,
    /// Open the main menu again (from the GUI呼出コンソール).
    OpenMenu,
}

impl Back {
    fn page(self) -> Page {
        match self {
            Back::Menu | Back::OpenMenu => Page::Menu,
            Back::System => Page::System,
        }
    }

    fn label(self, lang: shared::Lang) -> &'static str {
        match self {
            Back::Menu => lang.pick("メインメニューへ戻る", "Back to main menu"),
            Back::System => lang.pick("システム設定へ戻る", "Back to system settings"),
            Back::OpenMenu => lang.pick("メインメニューを開く", "Open the main menu"),
        }
    }
}

/// The screen's title, its menu path, its `?` and the back button.
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
    /// Where the back button leads.
    #[prop(optional)]
    back: Back,
    /// The help entry about this screen, if any.
    #[prop(optional)]
    help: Option<&'static str>,
) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    view! {
        <div class="screen-bar">
            <div>
                {(!path_ja.is_empty()).then(|| view! {
                    <p class="menu-path" data-testid="menu-path">{move || lang.get().pick(path_ja, path_en)}</p>
                })}
                <h1 class="screen-title" data-testid="screen-title">
                    {move || lang.get().pick(ja, en)}
                    {help.map(|entry| view! { <HelpLink entry=entry about_ja=ja about_en=en inline=true /> })}
                </h1>
            </div>
            <button
                type="button"
                class="btn"
                data-testid="back-to-menu"
                on:click=move |_| nav::go(ui.page, back.page())
            >
                {move || back.label(lang.get())}
            </button>
        </div>
    }
}
