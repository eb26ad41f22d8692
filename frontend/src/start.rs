//! Start-up: asks the back end what this page is before any socket opens. Single-user mode
//! opens the simulator as it always was; in a class, a browser that has not joined sees the join
//! form first, and one that has opens the simulator as that trainee.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::classroom::SessionInfo;

use crate::address::SocketTarget;
use crate::pages::JoinPage;
use crate::{Simulator, use_lang};

/// What the page shows while and after asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Asking (or asking again after a failure).
    Asking {
        /// The back end did not answer the last time.
        failed: bool,
    },
    /// The join form.
    Join,
    /// The simulator on this socket.
    Run(SocketTarget),
}

impl Stage {
    /// Where the back end's answer leads.
    pub fn after(info: &SessionInfo) -> Stage {
        match info {
            SessionInfo::Single => Stage::Run(SocketTarget::Single),
            SessionInfo::Class { joined: None } => Stage::Join,
            SessionInfo::Class {
                joined: Some(joined),
            } => Stage::Run(SocketTarget::Trainee {
                class: joined.class.clone(),
            }),
        }
    }
}

/// How long to wait before asking again when the back end did not answer.
const RETRY: Duration = Duration::from_secs(2);

/// Asks, then shows what the answer says; `class` is the address's `?class=`, for the form.
#[component]
pub fn Start(class: Option<String>) -> impl IntoView {
    let lang = use_lang();
    let stage = RwSignal::new(Stage::Asking { failed: false });
    ask(stage);
    let joined = move |info: SessionInfo| stage.set(Stage::after(&info));
    move || match stage.get() {
        Stage::Asking { failed } => view! {
            <div class="start-notice" data-testid="start-notice" role="status">
                {move || if failed {
                    lang.get().pick(
                        "サーバに接続できません。再試行しています…",
                        "The server cannot be reached; trying again…",
                    )
                } else {
                    lang.get().pick("接続しています…", "Connecting…")
                }}
            </div>
        }
        .into_any(),
        Stage::Join => view! { <JoinPage class=class.clone() joined /> }.into_any(),
        Stage::Run(target) => view! { <Simulator target /> }.into_any(),
    }
}

/// Asks `GET /api/session` until it answers.
fn ask(stage: RwSignal<Stage>) {
    spawn_local(async move {
        match crate::session::fetch_session().await {
            Some(info) => stage.set(Stage::after(&info)),
            None => {
                stage.set(Stage::Asking { failed: true });
                set_timeout(move || ask(stage), RETRY);
            }
        }
    });
}

/// The read-only view opened without the instructor's key.
#[component]
pub fn KeyMissing() -> impl IntoView {
    let lang = use_lang();
    crate::address::reload_when_a_key_arrives();
    view! {
        <div class="start-notice error" data-testid="key-missing" role="alert">
            {move || lang.get().pick(
                "講師キーがありません。講師ページの「閲覧」から開いてください。",
                "The instructor's key is missing. Open this view from the instructor's page (View).",
            )}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::classroom::Joined;

    #[test]
    fn the_answer_decides_the_page() {
        assert_eq!(
            Stage::after(&SessionInfo::Single),
            Stage::Run(SocketTarget::Single)
        );
        assert_eq!(
            Stage::after(&SessionInfo::Class { joined: None }),
            Stage::Join
        );
        let joined = SessionInfo::Class {
            joined: Some(Joined {
                class: "A1".into(),
                name: "山田".into(),
            }),
        };
        assert_eq!(
            Stage::after(&joined),
            Stage::Run(SocketTarget::Trainee { class: "A1".into() })
        );
    }
}
