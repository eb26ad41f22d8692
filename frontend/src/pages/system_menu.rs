//! システム設定: the main menu's sub-menu. The manual names only its item 2.Eメール環境, which
//! opens 「Eメール接続環境設定」; the original's other items are not part of this simulator and
//! are shown greyed so the numbering reads as in the manual.

use leptos::prelude::*;

use crate::components::ScreenBar;
use crate::nav::Page;
use crate::pages::main_menu::{MenuEntry, menu_items};
use crate::use_ui;

const ITEMS: &[MenuEntry] = &[
    MenuEntry {
        no: 1,
        ja: "（元の製品の項目）",
        en: "(an item of the original)",
        page: None,
        testid: "system-1",
    },
    MenuEntry {
        no: 2,
        ja: "Eメール環境",
        en: "E-mail environment",
        page: Some(|| Page::Settings),
        testid: "system-email",
    },
];

/// The システム設定 sub-menu.
#[component]
pub fn SystemMenu() -> impl IntoView {
    let lang = use_ui().lang;
    view! {
        <div class="screen" data-testid="system-screen">
            <ScreenBar ja="システム設定" en="System settings"
                path_ja="メインメニュー → システム設定" path_en="Main menu → System settings" />
            <section class="window" aria-labelledby="system-menu-title">
                <h2 class="window-title" id="system-menu-title">
                    {move || lang.get().pick("システム設定", "System settings")}
                </h2>
                <ul class="menu">{menu_items(ITEMS)}</ul>
            </section>
        </div>
    }
}
