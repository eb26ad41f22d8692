//! The notice shown while the back end is unreachable, with the next retry.

use leptos::prelude::*;

use crate::model::LinkState;
use crate::use_ui;

/// Says on screen that the state is not live, and when the next attempt comes.
#[component]
pub fn LinkBanner() -> impl IntoView {
    let ui = use_ui();
    let text = move || {
        let lang = ui.lang.get();
        match ui.model.with(|m| m.link) {
            LinkState::Open => None,
            LinkState::Connecting { attempt: 1 } => None,
            LinkState::Connecting { attempt } => Some(format!(
                "{} ({})",
                lang.pick(
                    "バックエンドに再接続しています…",
                    "Reconnecting to the back end…"
                ),
                lang.pick(&format!("{attempt} 回目"), &format!("attempt {attempt}")),
            )),
            LinkState::Closed {
                failures,
                retry_in_ms,
            } => Some(format!(
                "{} {}",
                lang.pick(
                    "バックエンドとの接続が切れました。表示は最新ではありません。",
                    "The back end is unreachable; what you see is not live."
                ),
                lang.pick(
                    &format!(
                        "{:.1} 秒後に再接続します（失敗 {failures} 回）。",
                        f64::from(retry_in_ms) / 1000.0
                    ),
                    &format!(
                        "Retrying in {:.1} s (failed {failures} times).",
                        f64::from(retry_in_ms) / 1000.0
                    ),
                ),
            )),
        }
    };
    view! {
        <Show when=move || text().is_some()>
            <div class="link-banner" data-testid="link-banner" role="alert">
                {move || text().unwrap_or_default()}
            </div>
        </Show>
    }
}
