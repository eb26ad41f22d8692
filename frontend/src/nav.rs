//! Which screen is open. The screen lives in a signal and in the address's `#hash`, so a reload
//! or a bookmark opens the same screen and the browser's back button goes back a screen.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// A screen of the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// メインメニュー.
    Menu,
    /// システム設定: the main menu's sub-menu that holds 2.Eメール環境.
    System,
    /// 「Eメール接続環境設定」.
    Settings,
    /// GUI呼出コンソール: outside the main menu, reached by closing it.
    Console,
    /// ポイント一覧.
    Points,
    /// 携帯メール.
    Phone,
    /// 通信ログ.
    Log,
    /// サンドボックスISP.
    Sandbox,
    /// The `?` help, scrolled to an entry when one is named.
    Help {
        /// The id of the entry to show first.
        entry: Option<String>,
    },
}

impl Page {
    /// The page a `#hash` (with or without the `#`) stands for; unknown hashes open the menu.
    pub fn from_hash(hash: &str) -> Page {
        let hash = hash.trim_start_matches('#').trim_start_matches('/');
        let (head, rest) = hash.split_once('/').unwrap_or((hash, ""));
        match head {
            "system" => Page::System,
            "settings" => Page::Settings,
            "console" => Page::Console,
            "points" => Page::Points,
            "phone" => Page::Phone,
            "log" => Page::Log,
            "isp" => Page::Sandbox,
            "help" => Page::Help {
                entry: is_entry_id(rest).then(|| rest.to_string()),
            },
            _ => Page::Menu,
        }
    }

    /// The `#hash` of this page (empty for the menu).
    pub fn hash(&self) -> String {
        match self {
            Page::Menu => String::new(),
            Page::System => "#system".into(),
            Page::Settings => "#settings".into(),
            Page::Console => "#console".into(),
            Page::Points => "#points".into(),
            Page::Phone => "#phone".into(),
            Page::Log => "#log".into(),
            Page::Sandbox => "#isp".into(),
            Page::Help { entry: None } => "#help".into(),
            Page::Help { entry: Some(id) } => format!("#help/{id}"),
        }
    }
}

/// Help entry ids are plain slugs; anything else in the address is ignored.
fn is_entry_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The page the address names now.
pub fn current() -> Page {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Page::from_hash(&hash)
}

/// Opens `page`: sets the signal and the address, so the browser's history has it too.
pub fn go(signal: RwSignal<Page>, page: Page) {
    if let Some(window) = web_sys::window() {
        let hash = page.hash();
        if hash.is_empty() {
            // Drop a lone `#` too, so the menu's address is the plain one.
            let location = window.location();
            if let (Ok(path), Ok(history)) = (location.pathname(), window.history()) {
                let search = location.search().unwrap_or_default();
                let _ = history.push_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(&format!("{path}{search}")),
                );
            }
        } else {
            let _ = window.location().set_hash(&hash);
        }
        window.scroll_to_with_x_and_y(0.0, 0.0);
    }
    signal.set(page);
}

/// Follows the address when the user goes back or forward, for the life of the app.
pub fn follow_address(signal: RwSignal<Page>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let on_change = Closure::<dyn FnMut()>::new(move || {
        let page = current();
        if signal.get_untracked() != page {
            signal.set(page);
        }
    });
    let callback = on_change.as_ref().unchecked_ref();
    let _ = window.add_event_listener_with_callback("hashchange", callback);
    let _ = window.add_event_listener_with_callback("popstate", callback);
    // The listener lives as long as the page does.
    on_change.forget();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_survives_its_hash() {
        let pages = [
            Page::Menu,
            Page::System,
            Page::Settings,
            Page::Console,
            Page::Points,
            Page::Phone,
            Page::Log,
            Page::Sandbox,
            Page::Help { entry: None },
            Page::Help {
                entry: Some("err-timeout".into()),
            },
        ];
        for page in pages {
            assert_eq!(Page::from_hash(&page.hash()), page, "{page:?}");
        }
    }

    #[test]
    fn unknown_or_odd_hashes_fall_back_safely() {
        assert_eq!(Page::from_hash(""), Page::Menu);
        assert_eq!(Page::from_hash("#nowhere"), Page::Menu);
        assert_eq!(Page::from_hash("#/console"), Page::Console);
        assert_eq!(
            Page::from_hash("#help/<script>"),
            Page::Help { entry: None }
        );
    }
}
