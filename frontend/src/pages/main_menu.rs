//! メインメニュー: the entry of the original product, and the back end's live state.

use leptos::prelude::*;

use crate::model::format_duration;
use crate::nav::{self, Page};
use crate::use_ui;

/// An entry of the main menu: its Japanese and English name and its screen, if it exists yet.
struct MenuEntry {
    ja: &'static str,
    en: &'static str,
    page: Option<fn() -> Page>,
    testid: &'static str,
}

const MENU: &[MenuEntry] = &[
    MenuEntry {
        ja: "システム設定 → 2.Eメール環境",
        en: "System settings → 2. E-mail environment",
        page: Some(|| Page::Settings),
        testid: "menu-settings",
    },
    MenuEntry {
        ja: "GUI呼出コンソール",
        en: "GUI console",
        page: Some(|| Page::Console),
        testid: "menu-console",
    },
    MenuEntry {
        ja: "ポイント一覧",
        en: "Points",
        page: Some(|| Page::Points),
        testid: "menu-points",
    },
    MenuEntry {
        ja: "携帯メール",
        en: "Phone (mail)",
        page: Some(|| Page::Phone),
        testid: "menu-phone",
    },
    MenuEntry {
        ja: "通信ログ",
        en: "Protocol log",
        page: Some(|| Page::Log),
        testid: "menu-log",
    },
    MenuEntry {
        ja: "サンドボックスISP",
        en: "Sandbox ISP",
        page: Some(|| Page::Sandbox),
        testid: "menu-isp",
    },
];

/// The main menu window beside the back-end state window.
#[component]
pub fn MainMenu() -> impl IntoView {
    let ui = use_ui();
    let lang = ui.lang;
    let page = ui.page;
    let entries = MENU
        .iter()
        .enumerate()
        .map(|(i, entry)| {
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
                        <span class="menu-no">{format!("{}.", i + 1)}</span>
                        <span>{move || lang.get().pick(entry.ja, entry.en)}</span>
                        {entry.page.is_none().then(|| view! {
                            <span class="tag">{move || lang.get().pick("準備中", "coming")}</span>
                        })}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="window" aria-labelledby="main-menu-title">
            <h1 class="window-title" id="main-menu-title">
                {move || lang.get().pick("メインメニュー", "Main menu")}
            </h1>
            <ul class="menu">{entries}</ul>
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
    let row = move |ja: &'static str,
                    en: &'static str,
                    testid: &'static str,
                    value: Box<dyn Fn() -> String + Send + Sync>| {
        view! {
            <tr>
                <th scope="row">{move || lang.get().pick(ja, en)}</th>
                <td data-testid=testid>{value}</td>
            </tr>
        }
    };
    view! {
        <section class="window" aria-labelledby="backend-title">
            <h2 class="window-title" id="backend-title">
                {move || lang.get().pick("バックエンド状態", "Back-end state")}
            </h2>
            <table class="fields" class:stale=move || !model.with(|m| m.is_live())>
                <tbody>
                    {row("バージョン", "Version", "server-version",
                        Box::new(field(|m| m.server.as_ref().map(|s| s.version.clone()))))}
                    {row("インスタンス", "Instance", "server-instance",
                        Box::new(field(|m| m.server.as_ref().map(|s| s.instance.clone()))))}
                    {row("稼働時間", "Uptime", "uptime",
                        Box::new(field(|m| m.status.as_ref().map(|s| format_duration(s.uptime_secs)))))}
                    {row("接続ブラウザ数", "Browsers connected", "clients",
                        Box::new(field(|m| m.status.as_ref().map(|s| s.clients.to_string()))))}
                    {row("再起動の検出", "Restarts seen", "restarts",
                        Box::new(field(|m| Some(m.restarts_seen.to_string()))))}
                </tbody>
            </table>
        </section>
    }
}
