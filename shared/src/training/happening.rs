//! What happened in a simulation: the trainee's actions and their consequences, as the back end
//! observes them. The checks are judged on these; most of them are also the trainee's record.

use serde::{Deserialize, Serialize};

use crate::points::Value;
use crate::settings::{Field, MailSettings};
use crate::status::MailStatus;

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Happening {
    /// An exercise was started (or restarted by reset).
    ExerciseStarted {
        /// Its id.
        id: String,
    },
    /// The whole simulation was reset to the demo's start.
    SimulationReset,
    /// The trainee left the exercise; the simulation stays as it is.
    ExerciseLeft {
        /// Its id.
        id: String,
    },
    /// 登録: which fields changed (never their values: the password is one).
    Saved {
        /// The fields whose value differs from what was pending.
        changed: Vec<Field>,
    },
    /// RST.
    Restarted,
    /// The settings the engine runs with now (after RST or reset); state, not recorded.
    Applied {
        /// Fields 1–9, 11–14 (no password).
        settings: Box<MailSettings>,
    },
    /// 今すぐ受信.
    ReceiveNow,
    /// The demo time scale was changed from the console.
    TimeScale {
        /// Demo minutes per real minute.
        scale: u32,
    },
    /// The phone sent a mail to the system.
    PhoneSent {
        /// The recipient.
        to: String,
        /// The subject.
        subject: String,
    },
    /// A point was operated (DO/AO) or forced (DI/AI) from the points screen.
    PointSet {
        /// The point.
        id: String,
        /// The new value.
        value: Value,
    },
    /// Frame (3) changed to another kind of state (a new error, run, stop, wait).
    Status {
        /// The new state.
        status: MailStatus,
    },
    /// The ISP stored a mail in a mailbox.
    Delivered {
        /// The mailbox's address.
        to: String,
        /// The From address.
        from: String,
        /// The subject.
        subject: String,
        /// The beginning of the text.
        text: String,
    },
    /// The system read a mail and decided about it.
    Handled {
        /// The sender.
        from: String,
        /// The subject.
        subject: String,
        /// Whether a reply was queued.
        replied: bool,
    },
    /// The points' values now; state, not recorded.
    Points {
        /// Each point's id and value.
        values: Vec<(String, Value)>,
    },
    /// The ISP's policies were changed from the ISP panel.
    PolicyChanged,
    /// A step of the current exercise was met.
    StepMet {
        /// The exercise.
        id: String,
        /// The step's index, from 0.
        step: usize,
    },
    /// Every step of the exercise was met.
    Completed {
        /// The exercise.
        id: String,
        /// Seconds it took.
        secs: u64,
    },
}

impl Happening {
    /// False for pure state updates that the record leaves out (they repeat constantly).
    pub fn is_recorded(&self) -> bool {
        !matches!(self, Happening::Applied { .. } | Happening::Points { .. })
    }
}

/// One line of the trainee's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordEntry {
    /// Counts from 1, in order.
    pub seq: u64,
    /// When, in Unix milliseconds.
    pub at_unix_ms: u64,
    /// The exercise in progress, if any.
    pub exercise: Option<String>,
    /// What happened.
    #[serde(flatten)]
    pub happening: Happening,
}
