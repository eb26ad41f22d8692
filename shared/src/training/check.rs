//! The check language and its evaluation. An exercise's checks are steps that must happen in
//! order: a step is judged only once the steps before it are met, and an event counts for it
//! only if it happens after that — "RST, then a reply arrives" means a reply after the RST.
//! Conditions on state (the applied settings, a point's value) hold when the state does at that
//! moment. A met step stays met.

use serde::{Deserialize, Serialize};

use super::{Exercise, ExerciseState, Happening, Text};
use crate::points::Value;
use crate::settings::{Field, MailSettings};
use crate::status::{MailError, MailStatus};

/// One step of an exercise and how it is recognised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The step, as the panel lists it ("返信が携帯に届く").
    pub step: Text,
    /// What to tell the trainee while it is not met: which step is missing, not the answer.
    pub missing: Text,
    /// The condition.
    pub when: Condition,
}

/// What frame (3) shows, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    /// `run (N)`.
    Run,
    /// `stop`.
    Stop,
    /// `wait`.
    Wait,
    /// An error.
    Error,
}

/// A condition on what really happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// A field of the running (applied) settings has this value (`smtp_service` = `submission`,
    /// `smtp_auth_login` = `true`, `receive_interval_min` = `0`).
    Applied {
        /// The field.
        field: Field,
        /// Its value as text (case does not matter).
        equals: String,
        /// For `receive_interval_min`: at least this many minutes instead of `equals`.
        #[serde(default)]
        at_least: bool,
    },
    /// Frame (3) shows this kind of state (and this error, if given).
    Status {
        /// The kind.
        is: StatusKind,
        /// The error, for `is = "error"`.
        #[serde(default)]
        error: Option<MailError>,
    },
    /// A receive cycle succeeded (the run count went up).
    Received,
    /// The ISP stored a mail for `to` whose subject or text contains every string of `contains`.
    Delivered {
        /// The recipient's address.
        to: String,
        /// The sender's address, if it matters.
        #[serde(default)]
        from: Option<String>,
        /// Strings the subject and text must contain.
        #[serde(default)]
        contains: Vec<String>,
    },
    /// The system read a mail from `from` and answered it (`replied`) or deleted it unanswered.
    Handled {
        /// The sender.
        from: String,
        /// Whether it was answered.
        replied: bool,
    },
    /// A point has this value (`ON`, `OFF` or a number).
    Point {
        /// The point's id.
        id: String,
        /// The value.
        equals: String,
    },
}

/// How far a step is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepState {
    /// When it was met (Unix ms); `None` while it is not.
    pub met_at_ms: Option<u64>,
}

/// What the checks need to remember between happenings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// The running settings.
    pub applied: Option<MailSettings>,
    /// The points' values.
    pub points: Vec<(String, Value)>,
    /// The run count last shown, to see it go up.
    pub cycles: u64,
    /// What frame (3) shows now.
    pub status: Option<MailStatus>,
}

/// A trainee's progress in one exercise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The exercise.
    pub exercise: String,
    /// When it started (Unix ms).
    pub started_at_ms: u64,
    /// One per check.
    pub steps: Vec<StepState>,
    /// When the last step was met.
    pub completed_at_ms: Option<u64>,
    /// What the checks remember.
    pub facts: Facts,
}

impl Progress {
    /// A fresh start of `exercise` at `now_ms`.
    pub fn start(exercise: &Exercise, now_ms: u64) -> Self {
        Progress {
            exercise: exercise.id.clone(),
            started_at_ms: now_ms,
            steps: vec![StepState::default(); exercise.checks.len()],
            completed_at_ms: None,
            facts: Facts::default(),
        }
    }

    /// The first step not met yet.
    pub fn next_step(&self) -> Option<usize> {
        self.steps.iter().position(|s| s.met_at_ms.is_none())
    }

    /// 実施中 or 完了.
    pub fn state(&self) -> ExerciseState {
        match self.completed_at_ms {
            Some(done) => ExerciseState::Done {
                secs: done.saturating_sub(self.started_at_ms) / 1000,
            },
            None => ExerciseState::InProgress,
        }
    }

    /// Takes in one happening at `now_ms`; returns the steps it met, in order.
    pub fn observe(&mut self, checks: &[Check], happening: &Happening, now_ms: u64) -> Vec<usize> {
        let received = self.learn(happening);
        let mut met = Vec::new();
        while let Some(next) = self.next_step() {
            let Some(check) = checks.get(next) else { break };
            if !check.when.holds(&self.facts, happening, received) {
                break;
            }
            self.steps[next].met_at_ms = Some(now_ms);
            met.push(next);
        }
        if !met.is_empty() && self.next_step().is_none() {
            self.completed_at_ms = Some(now_ms);
        }
        met
    }

    /// Updates the facts; true when this happening is a successful receive.
    fn learn(&mut self, happening: &Happening) -> bool {
        let facts = &mut self.facts;
        match happening {
            Happening::Applied { settings } => facts.applied = Some((**settings).clone()),
            Happening::Points { values } => facts.points = values.clone(),
            Happening::Restarted => facts.cycles = 0,
            Happening::Status { status } => {
                facts.status = Some(status.clone());
                if let MailStatus::Run { cycles } = status {
                    let up = *cycles > facts.cycles;
                    facts.cycles = *cycles;
                    return up;
                }
            }
            _ => {}
        }
        false
    }
}

impl Condition {
    fn holds(&self, facts: &Facts, happening: &Happening, received: bool) -> bool {
        match (self, happening) {
            (
                Condition::Applied {
                    field,
                    equals,
                    at_least,
                },
                _,
            ) => facts.applied.as_ref().is_some_and(|s| {
                let value = field_text(s, *field);
                if *at_least {
                    value.parse::<u64>().ok() >= equals.trim().parse::<u64>().ok()
                } else {
                    value.eq_ignore_ascii_case(equals.trim())
                }
            }),
            // Seen now, or still on display (the RST that stops receiving shows `stop` at once).
            (Condition::Status { is, error }, _) => facts
                .status
                .as_ref()
                .is_some_and(|status| status_is(status, *is, *error)),
            (Condition::Received, _) => received,
            (Condition::Delivered { to, from, contains }, Happening::Delivered { .. }) => {
                delivered(happening, to, from.as_deref(), contains)
            }
            (
                Condition::Handled { from, replied },
                Happening::Handled {
                    from: sender,
                    replied: answered,
                    ..
                },
            ) => sender.eq_ignore_ascii_case(from) && replied == answered,
            (Condition::Point { id, equals }, _) => facts
                .points
                .iter()
                .find(|(p, _)| p.eq_ignore_ascii_case(id))
                .is_some_and(|(_, value)| value_is(*value, equals)),
            _ => false,
        }
    }
}

fn status_is(status: &MailStatus, is: StatusKind, error: Option<MailError>) -> bool {
    match (status, is) {
        (MailStatus::Run { .. }, StatusKind::Run)
        | (MailStatus::Stop, StatusKind::Stop)
        | (MailStatus::Wait, StatusKind::Wait) => true,
        (MailStatus::Error { error: shown, .. }, StatusKind::Error) => {
            error.is_none_or(|e| e == *shown)
        }
        _ => false,
    }
}

fn delivered(happening: &Happening, to: &str, from: Option<&str>, contains: &[String]) -> bool {
    let Happening::Delivered {
        to: rcpt,
        from: sender,
        subject,
        text,
    } = happening
    else {
        return false;
    };
    let all = format!("{subject}\n{text}");
    rcpt.eq_ignore_ascii_case(to)
        && from.is_none_or(|f| f.eq_ignore_ascii_case(sender))
        && contains.iter().all(|c| all.contains(c.as_str()))
}

fn value_is(value: Value, wanted: &str) -> bool {
    let wanted = wanted.trim();
    match value {
        Value::Digital(on) => wanted.eq_ignore_ascii_case(if on { "ON" } else { "OFF" }),
        Value::Analog(x) => wanted.parse::<f64>().is_ok_and(|w| (w - x).abs() < 1e-9),
    }
}

/// A field's value as text, as a check compares it (never the password).
pub fn field_text(s: &MailSettings, field: Field) -> String {
    match field {
        Field::ReceiveInterval => s.receive_interval_min.to_string(),
        Field::AlarmRecipients => s.alarm_recipients.join(","),
        Field::AllowedSenders => s.allowed_senders.join(","),
        Field::CommandPin => (!s.command_pin.is_empty()).to_string(),
        Field::SmtpService => s.smtp_service.clone(),
        Field::PopServer => s.pop_server.clone(),
        Field::SmtpServer => s.smtp_server.clone(),
        Field::Address => s.address.clone(),
        Field::User => s.user.clone(),
        Field::Password => s.password_set.to_string(),
        Field::PopBeforeSmtp => s.pop_before_smtp.to_string(),
        Field::SmtpAuthLogin => s.smtp_auth_login.to_string(),
        Field::PopSecurity => s.pop_security.value().to_string(),
        Field::SmtpSecurity => s.smtp_security.value().to_string(),
    }
}

#[cfg(test)]
mod tests;
