//! Training exercises (研修課題): what an exercise is ([`Exercise`]), how it is written (a TOML
//! file, [`file::parse`], refused with its line when wrong), what happened in the simulation
//! ([`Happening`], also the trainee's record) and how a trainee's result is judged
//! ([`Progress`]: declarative [`Check`]s evaluated step by step against what really happened).
//! Pure: the back end feeds the happenings in, the front end shows the progress.

mod check;
pub mod file;
mod happening;

use serde::{Deserialize, Serialize};

use crate::Lang;
use crate::points::Value;
use crate::sandbox::SandboxPolicy;
use crate::settings::MailSettings;

pub use check::{Check, Condition, Facts, Progress, StatusKind, StepState, field_text};
pub use happening::{Happening, RecordEntry};

/// A text in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// Japanese, shown first.
    pub ja: String,
    /// English.
    pub en: String,
}

impl Text {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.ja, &self.en)
    }
}

/// How the sandbox ISP lets the account send, as its account notice says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeAuth {
    /// No authentication.
    None,
    /// Log in to POP before sending (11.PopBeforeSmtp).
    PopBeforeSmtp,
    /// SMTP AUTH (12.SmtpAuthLogin).
    SmtpAuth,
}

/// ご契約内容のお知らせ: what the ISP gives the trainee, mapped by the help onto fields 5–10
/// (the seed's list: ユーザ名 → 9, パスワード → 10, メールアドレス → 8, POPサーバ名 → 6,
/// SMTPサーバ名 → 7, SMTP名(services) → 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountNotice {
    /// ユーザ名 → 9.E-Mailユーザ名.
    pub user: String,
    /// パスワード → 10.E-Mailパスワード (a public training password).
    pub password: String,
    /// メールアドレス → 8.自分のメールアドレス名.
    pub address: String,
    /// POPサーバ名 → 6.POPサーバ名.
    pub pop_server: String,
    /// SMTPサーバ名 → 7.SMTPサーバ名.
    pub smtp_server: String,
    /// 送信ポート (service name) → 5.SMTP名.
    pub smtp_service: String,
    /// The port the service stands for.
    pub smtp_port: u16,
    /// 送信時の認証 → 11. or 12.
    pub auth: NoticeAuth,
    /// A remark of the ISP (e.g. the minimum receive interval).
    #[serde(default)]
    pub remark: Option<Text>,
}

/// How the settings form starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsStart {
    /// Every field empty: the trainee types the account notice in.
    Blank,
    /// The sandbox demo account, changed by [`Start::settings`].
    #[default]
    Given,
}

/// A mail already in a mailbox when the exercise starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMail {
    /// The mailbox's owner (`karacrix` or `operator`).
    pub mailbox: String,
    /// The From address.
    pub from: String,
    /// The subject.
    pub subject: String,
    /// The text.
    #[serde(default)]
    pub body: String,
}

/// A point's value at the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartPoint {
    /// The point's id.
    pub id: String,
    /// Its value.
    pub value: Value,
}

/// Where an exercise starts: the state reset returns to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Start {
    /// Blank form or given values.
    pub form: SettingsStart,
    /// The settings saved (pending) at the start.
    pub settings: MailSettings,
    /// 10.E-Mailパスワード at the start (empty: none).
    pub password: String,
    /// Whether the start settings are also running (RST done before the trainee came).
    pub applied: bool,
    /// The sandbox ISP's policies.
    pub isp: SandboxPolicy,
    /// Points whose value differs from the plant's initial one.
    pub points: Vec<StartPoint>,
    /// Mails in the mailboxes.
    pub mails: Vec<SeedMail>,
}

/// A hint, optionally pointing at a `?` help entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hint {
    /// The hint.
    #[serde(flatten)]
    pub text: Text,
    /// The help entry it links to (e.g. `err-timeout`).
    #[serde(default)]
    pub help: Option<String>,
}

/// One exercise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exercise {
    /// Short, stable id (`op25b`).
    pub id: String,
    /// Where it comes in the list.
    pub order: u32,
    /// The title.
    pub title: Text,
    /// What the trainee is to reach.
    pub goal: Text,
    /// The ISP's account notice.
    pub notice: AccountNotice,
    /// Where it starts.
    pub start: Start,
    /// Hints, in order.
    pub hints: Vec<Hint>,
    /// The steps that must happen, in order.
    pub checks: Vec<Check>,
}

impl Exercise {
    /// The exercise as the list of exercises shows it: the notice without its password.
    pub fn listed(&self) -> Exercise {
        let mut listed = self.clone();
        listed.notice.password.clear();
        listed.start.password.clear();
        listed
    }
}

/// How far a trainee got with an exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseState {
    /// 未着手.
    NotStarted,
    /// 実施中.
    InProgress,
    /// 完了, with the time it took.
    Done {
        /// Seconds from start to the last check.
        secs: u64,
    },
}

impl ExerciseState {
    /// 未着手 / 実施中 / 完了 as the list shows it.
    pub fn label(self, lang: Lang) -> String {
        match (self, lang) {
            (ExerciseState::NotStarted, _) => lang.pick("未着手", "Not started").into(),
            (ExerciseState::InProgress, _) => lang.pick("実施中", "In progress").into(),
            (ExerciseState::Done { secs }, Lang::Ja) => {
                format!("完了（{}分{:02}秒）", secs / 60, secs % 60)
            }
            (ExerciseState::Done { secs }, Lang::En) => {
                format!("Done ({}:{:02})", secs / 60, secs % 60)
            }
        }
    }
}

/// What the training panel shows besides the exercises themselves (sent once): each one's
/// state, and the current one's steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingView {
    /// Each exercise's id and state, in the exercises' order.
    pub states: Vec<(String, ExerciseState)>,
    /// The exercise in progress, if any, and its steps.
    pub current: Option<Progress>,
    /// The instructor switch: on, the ISP panel may be changed from this page (single-user
    /// mode); an exercise in progress locks it off.
    pub instructor: bool,
    /// Entries in the trainee's record.
    pub record_len: u64,
    /// The password of the current exercise's account notice: the ISP hands it to the trainee
    /// with the exercise; the list of exercises goes out without any.
    #[serde(default)]
    pub notice_password: Option<String>,
}

impl TrainingView {
    /// The state of exercise `id`.
    pub fn state_of(&self, id: &str) -> ExerciseState {
        self.states
            .iter()
            .find(|(e, _)| e == id)
            .map_or(ExerciseState::NotStarted, |(_, s)| *s)
    }

    /// True while the ISP panel is locked (an exercise is in progress).
    pub fn isp_locked(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|p| p.completed_at_ms.is_none())
    }
}
