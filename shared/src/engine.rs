//! What the browser sees of the engine (the system's mail module): its live state for frame (3)
//! and the GUI呼出コンソール, and the settings pending versus applied.

use serde::{Deserialize, Serialize};

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
}

impl SettingsView {
    /// True while saved settings wait for RST.
    pub fn restart_needed(&self) -> bool {
        self.applied.as_ref() != Some(&self.pending)
    }
}
