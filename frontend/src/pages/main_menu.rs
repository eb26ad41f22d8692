//! メインメニュー: the entry of the original product, and the back end's live state. As in the
//! original, the GUI呼出コンソール is not an entry of the menu: closing the menu reveals it
//! (「メインメニューを閉じて、GUI呼出コンソール画面より再起動(RST)」).

use leptos::prelude::*;

use crate::components::{FrameHint, value_row};
use crate::model::format_duration;
use crate::nav::{self, Page};
use crate::use_ui;

/// An entry of a menu: its Japanese and English name and its screen, if this simulator has it.
pub struct MenuEntry {
    /// The number shown before the name, as the original numbers it.
    pub no: u8,
    /// Japanese name.
    pub ja: &'static str,
    /// English name.
    pub en: &'static str,
    /// The screen it opens; `None` for an item of the original this simulator leaves out.
    pub page: Option<fn() -> Page>,
    /// The entry's `data-testid`.
    pub testid: &'static str,
}

/// The original's own entry.
const MENU: &[MenuEntry] = &[MenuEntry {
    no: 1,
    ja: "システム設定",
    en: "System settings",
    page: Some(|| Page::System),
    testid: "menu-settings",
}];

/// Screens the original does not have, which the simulator needs.
const OURS: &[MenuEntry] = &[
    MenuEntry {
        no: 2,
        ja: "ポイント一覧",
        en: "Points",
        page: Some(|| Page::Points),
        testid: "menu-points",
    },
    MenuEntry {
        no: 3,
        ja: "携帯メール",
        en: "Phone (mail)",
        page: Some(|| Page::Phone),
        testid: "menu-phone",
    },
    MenuEntry {
        no: 4,
        ja: "通信ログ",
        en: "Protocol log",
        page: Some(|| Page::Log),
        testid: "menu-log",
    },
    MenuEntry {
        no: 5,
        ja: "サンドボックスISP",
        en: "Sandbox ISP",
        page: Some(|| Page::Sandbox),
        testid: "menu-isp",
    },
];

/// The buttons of a menu.
pub fn menu_items(entries: &'static [MenuEntry]) -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let page = ui.page;
    entries
        .iter()
        .map(|entry| {
            view! {
                <li>
                    <button
                        type="button"
                        class="menu-item"
                        data-testid=entry.testid
                        disabled=entry.page.is_none()
                        on:click=move |_| {
                            if let Some(open) = entry.page {
                                nav::go(page, open());
                            }
                        }
                    >
                        <span class="menu-no">{format!("{}.", entry.no)}</span>
                        <span>{move || lang.get().pick(entry.ja, entry.en)}</span>
                        {entry.page.is_none().then(|| view! {
                            <span class="tag">{move || lang.get().pick("本シミュレータでは省略", "not simulated")}</span>
                        })}
                    </button>
                </li>
            }
        })
        .collect_view()
}

/// The main menu window beside the back-end state window.
#[component]
pub fn MainMenu() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    view! {
        <section class="window" aria-labelledby="main-menu-title" data-testid="main-menu">
            <h1 class="window-title" id="main-menu-title">
                {move || lang.get().pick("メインメニュー", "Main menu")}
            </h1>
            <ul class="menu">{menu_items(MENU)}</ul>
            <p class="menu-section">{move || lang.get().pick("本シミュレータの追加", "This simulator's additions")}</p>
            <ul class="menu">{menu_items(OURS)}</ul>
            <div class="menu-foot">
                <FrameHint
                    ja="メインメニューを閉じると GUI呼出コンソール（RST）が現れます。"
                    en="Closing the main menu shows the GUI console (RST)."
                />
                <button type="button" class="btn" data-testid="menu-close"
                    on:click=move |_| nav::go(ui.page, Page::Console)>
                    {move || lang.get().pick("メインメニューを閉じる", "Close the main menu")}
                </button>
            </div>
        </section>
        <BackendState />
    }
}

/// The back end's identity and live counters.
#[component]
fn BackendState() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let model = ui.model;
    let field = move |f: fn(&crate::model::Model) -> Option<String>| {
        move || model.with(f).unwrap_or_else(|| "—".to_string())
    };
    view! {
        <section class="window" aria-labelledby="backend-title">
            <h2 class="window-title" id="backend-title">
                {move || lang.get().pick("バックエンド状態", "Back-end state")}
            </h2>
            <table class="fields" class:stale=move || !model.with(|m| m.is_live())>
                <tbody>
                    {value_row("バージョン", "Version", "server-version",
                        field(|m| m.server.as_ref().map(|s| s.version.clone())))}
                    {value_row("インスタンス", "Instance", "server-instance",
                        field(|m| m.server.as_ref().map(|s| s.instance.clone())))}
                    {value_row("稼働時間", "Uptime", "uptime",
                        field(|m| m.status.as_ref().map(|s| format_duration(s.uptime_secs))))}
                    {value_row("接続ブラウザ数", "Browsers connected", "clients",
                        field(|m| m.status.as_ref().map(|s| s.clients.to_string())))}
                    {value_row("バックエンドの再起動（検出回数）", "Back-end restarts seen", "restarts",
                        field(|m| Some(m.restarts_seen.to_string())))}
                </tbody>
            </table>
        </section>
    }
}
