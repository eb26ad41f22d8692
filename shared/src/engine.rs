//! What the browser sees of the engine (the system's mail module): its live state for frame (3)
//! and the GUI呼出コンソール, and the settings pending versus applied.

use serde::{Deserialize, Serialize};

use crate::Lang;
use crate::settings::MailSettings;
use crate::status::{MailError, MailStatus};
use crate::transcript::Notice;

/// A failure kept for display until the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// When, in seconds since the Unix epoch.
    pub at_unix: u64,
    /// Which catalogue error.
    pub error: MailError,
    /// What happened (never a password), in both languages.
    pub detail: Notice,
}

/// A safety limit the engine enforces right now: some command mails are deleted unexecuted and
/// unanswered until `until_unix`. Frame (3) lists them, so that an operator whose commands go
/// unanswered sees why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hold", rename_all = "snake_case")]
pub enum Hold {
    /// `sender` had `max` replies within the hour (`--replies-per-hour`): no mail loop.
    ReplyLimit {
        /// Whose mails are held.
        sender: String,
        /// The replies an hour allowed.
        max: u32,
        /// When its oldest reply leaves the hour (seconds since the Unix epoch).
        until_unix: u64,
    },
    /// Too many wrong PINs (4.コマンド暗証番号): commands are refused, the right PIN included.
    PinLockout {
        /// Whose commands; `None` for every sender's.
        sender: Option<String>,
        /// When the lock-out ends (seconds since the Unix epoch).
        until_unix: u64,
    },
}

impl Hold {
    /// When it ends, in seconds since the Unix epoch.
    pub fn until_unix(&self) -> u64 {
        match self {
            Hold::ReplyLimit { until_unix, .. } | Hold::PinLockout { until_unix, .. } => {
                *until_unix
            }
        }
    }

    /// What it means, in `lang` (the caller adds the time it ends).
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Hold::ReplyLimit { sender, max, .. }, Lang::Ja) => format!(
                "返信の上限: {sender} への返信が 1 時間に {max} 通に達したため、そのメールは実行も返信もせずに削除しています（メールループ防止）。"
            ),
            (Hold::ReplyLimit { sender, max, .. }, Lang::En) => format!(
                "Reply limit: {sender} has had {max} replies within an hour, so its mails are deleted without executing or answering them (no mail loop)."
            ),
            (Hold::PinLockout { sender, .. }, Lang::Ja) => format!(
                "暗証番号の受付停止: PIN の誤りが続いたため、{}のコマンドを正しい PIN でも受け付けていません。",
                sender
                    .as_ref()
                    .map_or_else(|| "すべての送信元".to_string(), |s| format!("{s} から"))
            ),
            (Hold::PinLockout { sender, .. }, Lang::En) => format!(
                "PIN lock-out: after too many wrong PINs, commands from {} are refused, even with the right PIN.",
                sender.as_deref().unwrap_or("every sender")
            ),
        }
    }
}

/// The engine's live state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineState {
    /// What frame (3) shows now.
    pub status: MailStatus,
    /// When the last cycle succeeded.
    pub last_success_unix: Option<u64>,
    /// The last failure.
    pub last_failure: Option<Failure>,
    /// The last failure while no success came after it: frame (3) keeps it on display while
    /// the engine retries (a retry shows `smtp connect` for the whole timeout, and the error
    /// itself would only flash between attempts). A cycle that succeeds with nothing left
    /// failing clears it.
    #[serde(default)]
    pub standing_error: Option<Failure>,
    /// Mails waiting to be sent (replies and alarms).
    pub outbox: u32,
    /// Command mails executed since the store was created.
    pub executed: u64,
    /// Demo time scale: 60 means a minute of interval passes in a second.
    pub time_scale: u32,
    /// The reply limits and PIN lock-outs in force (absent from states sent before they were).
    #[serde(default)]
    pub holds: Vec<Hold>,
}

impl Default for EngineState {
    fn default() -> Self {
        EngineState {
            status: MailStatus::Wait,
            last_success_unix: None,
            last_failure: None,
            standing_error: None,
            outbox: 0,
            executed: 0,
            time_scale: 1,
            holds: Vec::new(),
        }
    }
}

/// The settings as saved (pending) and as running (applied at the last RST).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// What 登録 saved.
    pub pending: MailSettings,
    /// What the engine runs with; `None` before the first RST.
    pub applied: Option<MailSettings>,
    /// Goes up whenever the pending settings are replaced (登録, a training reset), not on RST;
    /// a save names the version it was based on.
    #[serde(default)]
    pub version: u64,
}

impl SettingsView {
    /// True while saved settings wait for RST.
    pub fn restart_needed(&self) -> bool {
        self.applied.as_ref() != Some(&self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_say_who_and_why_in_both_languages() {
        let limit = Hold::ReplyLimit {
            sender: "operator@example.jp".into(),
            max: 20,
            until_unix: 7,
        };
        assert!(limit.text(Lang::Ja).contains("20 通"));
        assert!(limit.text(Lang::En).contains("operator@example.jp"));
        let everyone = Hold::PinLockout {
            sender: None,
            until_unix: 9,
        };
        assert!(everyone.text(Lang::Ja).contains("すべての送信元"));
        assert!(everyone.text(Lang::En).contains("every sender"));
        assert_eq!(everyone.until_unix(), 9);
        let mut old = serde_json::to_value(EngineState::default()).unwrap();
        old.as_object_mut().unwrap().remove("holds");
        let state: EngineState = serde_json::from_value(old).unwrap();
        assert!(state.holds.is_empty());
    }
}
