//! The WebSocket protocol between the browser and the back end.
//!
//! One JSON object per text frame, tagged by `"type"`. On connect the server sends
//! [`ServerMsg::Welcome`] and the current [`ServerMsg::Status`], then a new `Status` whenever the
//! state changes. The client announces its [`PROTOCOL_VERSION`] with [`ClientMsg::Hello`]. A frame
//! the server cannot understand gets a [`ServerMsg::Error`] and the connection stays open.

use serde::{Deserialize, Serialize};

use crate::classroom::SessionView;
use crate::conntest::TestReport;
use crate::engine::{EngineState, SettingsView};
use crate::phone::{Charset, PhoneMessage};
use crate::points::{PointSnapshot, Value};
use crate::sandbox::{SandboxInfo, SandboxPolicy};
use crate::settings::{FieldError, MailSettings, PasswordChange};
use crate::status::MailError;
use crate::training::{Exercise, TrainingView};
use crate::transcript::{DialogueLine, Notice};

/// The version of this protocol. Bumped on every incompatible change.
pub const PROTOCOL_VERSION: u32 = 3;

/// The largest client frame the server reads; larger frames close the connection.
pub const MAX_CLIENT_FRAME_BYTES: usize = 64 * 1024;

/// What the browser sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    /// The first message of a client: the protocol version it speaks.
    Hello {
        /// The client's [`PROTOCOL_VERSION`].
        protocol: u32,
    },
    /// Asks for a [`ServerMsg::Pong`] with the same nonce (a liveness check).
    Ping {
        /// Echoed back unchanged.
        nonce: u64,
    },
    /// 登録: validates and saves the e-mail settings as pending (applied by RST). Answered by
    /// [`ServerMsg::SettingsSaved`], [`ServerMsg::SettingsRejected`], or an error
    /// ([`ErrorCode::Conflict`] when the settings changed since `based_on`).
    SaveSettings {
        /// Fields 1–9, 11, 12.
        settings: MailSettings,
        /// Field 10, write-only.
        password: PasswordChange,
        /// The [`SettingsView::version`] the form was filled from.
        based_on: u64,
    },
    /// RST on the GUI呼出コンソール: the engine restarts with the saved settings.
    Restart,
    /// Polls the mailbox now instead of waiting for the interval.
    ReceiveNow,
    /// The phone sends a mail through the sandbox ISP as `operator@sandbox.test`.
    PhoneSend {
        /// Usually the system's address.
        to: String,
        /// The subject.
        subject: String,
        /// The text.
        body: String,
        /// How the phone encodes it.
        charset: Charset,
    },
    /// The phone checks its inbox.
    PhoneCheck,
    /// Operates a DO or AO from the points screen.
    OperatePoint {
        /// The point's id.
        id: String,
        /// The new value.
        value: Value,
    },
    /// Forces a DI or AI for training (trip DOOR1, push TEMP1).
    SimulatePoint {
        /// The point's id.
        id: String,
        /// The forced value.
        value: Value,
    },
    /// Switches the sandbox ISP's policies (the trainer's ISP panel).
    SetSandboxPolicy {
        /// The new policies, stored and applied to new connections.
        policy: SandboxPolicy,
    },
    /// 接続テスト: tries these settings (the screen's, not the running ones) step by step;
    /// nothing is saved, applied or deleted. Answered by [`ServerMsg::ConnectionTest`] after
    /// every step.
    TestConnection {
        /// Fields 1–9, 11, 12 as on the screen.
        settings: MailSettings,
        /// Field 10: typed now, or the saved one.
        password: PasswordChange,
        /// Also send a test mail to 8.自分のメールアドレス名.
        send_test_mail: bool,
    },
    /// Starts (or starts over) an exercise: every part goes to its starting state.
    StartExercise {
        /// The exercise's id.
        id: String,
    },
    /// Starts the current exercise over.
    ResetExercise,
    /// Returns the whole simulation to the demo's start and leaves any exercise.
    ResetSimulation,
    /// The instructor switch (single-user mode): on, the ISP panel may be changed. Refused
    /// while an exercise is in progress.
    SetInstructor {
        /// On or off.
        on: bool,
    },
    /// Asks for the trainee's record ([`ServerMsg::Record`]).
    GetRecord,
    /// Changes the demo time scale while running (1 to [`MAX_TIME_SCALE`]).
    SetTimeScale {
        /// Demo minutes per real minute.
        scale: u32,
    },
}

/// The largest demo time scale (an hour of interval in a second).
pub const MAX_TIME_SCALE: u32 = 3600;

/// What the back end sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The first message on every connection.
    Welcome {
        /// The server's [`PROTOCOL_VERSION`].
        protocol: u32,
        /// Which back end this is.
        server: ServerInfo,
    },
    /// The back end's live state; sent on connect and on every change.
    Status(BackendStatus),
    /// What this page's session is (class, name, read-only); sent on connect, after the
    /// welcome.
    Session(Box<SessionView>),
    /// The engine's live state; sent on connect and on every change.
    Engine(Box<EngineState>),
    /// The settings, pending and applied; sent on connect and on every change.
    Settings(Box<SettingsView>),
    /// This page's save was stored (to the browser that saved; every browser then receives the
    /// new [`ServerMsg::Settings`]).
    SettingsSaved {
        /// The new [`SettingsView::version`].
        version: u64,
    },
    /// A save was refused; nothing was stored.
    SettingsRejected {
        /// Every field with a problem.
        errors: Vec<FieldError>,
    },
    /// The sandbox ISP's listeners and policies; sent on connect and on every change.
    Sandbox(Box<SandboxInfo>),
    /// Every point with its value and alarm state; sent on connect and on every change.
    Points {
        /// In the order of the points file.
        points: Vec<PointSnapshot>,
    },
    /// The phone's mail was accepted by the ISP.
    PhoneSent {
        /// The server's final reply.
        reply: String,
    },
    /// The phone's inbox, newest first.
    PhoneInbox {
        /// The newest messages.
        messages: Vec<PhoneMessage>,
    },
    /// The phone could not send or check mail.
    PhoneFailed {
        /// The catalogue error.
        error: MailError,
        /// What happened, in both languages.
        detail: Notice,
    },
    /// One line of protocol dialogue (masked), live.
    Dialogue(DialogueLine),
    /// The connection test so far (to the browser that asked).
    ConnectionTest(Box<TestReport>),
    /// The training exercises; sent on connect.
    Exercises {
        /// In order.
        exercises: Vec<Exercise>,
    },
    /// The training panel's state; sent on connect and on every change.
    Training(Box<TrainingView>),
    /// A reset or an exercise start is complete (to the browser that asked).
    ResetDone,
    /// The trainee's record (to the browser that asked).
    Record {
        /// One JSON object a line, oldest first.
        json_lines: String,
    },
    /// The answer to [`ClientMsg::Ping`].
    Pong {
        /// The nonce of the ping.
        nonce: u64,
    },
    /// A client frame was not understood; the connection stays open.
    Error(ProtocolError),
}

/// Identifies a running back end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The back end's crate version.
    pub version: String,
    /// Changes on every start, so a client can tell that the back end was restarted.
    pub instance: String,
    /// When this instance started, in seconds since the Unix epoch.
    pub started_at_unix: u64,
}

/// The live state of the back end.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendStatus {
    /// Seconds since the back end started.
    pub uptime_secs: u64,
    /// How many browsers are connected to `/ws` now.
    pub clients: u32,
}

/// A part of the back end that a request needs and that may not be running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The mail engine (settings, RST, receive now).
    Engine,
    /// The plant (the points).
    Plant,
    /// The sandbox ISP (its policies, and the phone, which mails through it).
    Sandbox,
    /// The training layer (exercises, record).
    Training,
}

impl Part {
    /// Japanese and English: what is missing and what to do.
    fn missing(self) -> (&'static str, &'static str) {
        match self {
            Part::Engine => (
                "メールエンジンが動いていないため、この操作はできません。バックエンドを起動し直してください。",
                "The mail engine is not running, so this cannot be done. Restart the back end.",
            ),
            Part::Plant => (
                "ポイント（プラント）が読み込まれていないため、操作できません。",
                "No plant (points) is loaded, so points cannot be operated.",
            ),
            Part::Sandbox => (
                "サンドボックスISP が止まっているため、この操作はできません（--no-sandbox で起動されています）。",
                "The sandbox ISP is turned off (the back end runs with --no-sandbox), so this cannot be done.",
            ),
            Part::Training => (
                "研修機能が動いていないため、この操作はできません。",
                "Training is not running, so this cannot be done.",
            ),
        }
    }
}

/// Why a client frame was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolError {
    /// What kind of problem.
    pub code: ErrorCode,
    /// A sentence for people: what was wrong and what is expected (English).
    pub message: String,
    /// The same in Japanese, where the back end has it (errors the UI shows to trainees).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_ja: Option<String>,
}

/// The kinds of [`ProtocolError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or JSON that is not a known message.
    MalformedMessage,
    /// A binary frame; the protocol is text only.
    BinaryFrame,
    /// The client speaks another protocol version.
    UnsupportedProtocol,
    /// The request needs a part that is not running (e.g. the sandbox was turned off).
    NotAvailable,
    /// The request's values are out of range; nothing changed.
    InvalidRequest,
    /// The back end could not carry out the request (e.g. storing failed).
    Failed,
    /// Too many requests of this kind from this page; the message says when to try again.
    RateLimited,
    /// The request was based on a state another page has changed since; nothing changed.
    Conflict,
    /// This page may not make that change: the instructor's read-only view, or the ISP panel
    /// of a trainee in a class.
    NotAllowed,
}

impl ClientMsg {
    /// Parses one text frame, explaining what is wrong when it cannot.
    pub fn decode(text: &str) -> Result<Self, ProtocolError> {
        serde_json::from_str(text).map_err(|err| {
            ProtocolError::english(
                ErrorCode::MalformedMessage,
                format!(
                    "not a client message ({err}); expected JSON such as {{\"type\":\"hello\",\"protocol\":{PROTOCOL_VERSION}}}"
                ),
            )
        })
    }

    /// The JSON text of this message.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("client messages always serialize")
    }
}

impl ServerMsg {
    /// True for state the server pushes on its own (status, engine, settings, sandbox, points,
    /// dialogue), as opposed to answers to a request.
    pub fn is_push(&self) -> bool {
        matches!(
            self,
            ServerMsg::Status(_)
                | ServerMsg::Session(_)
                | ServerMsg::Engine(_)
                | ServerMsg::Settings(_)
                | ServerMsg::Sandbox(_)
                | ServerMsg::Points { .. }
                | ServerMsg::Dialogue(_)
                | ServerMsg::Exercises { .. }
                | ServerMsg::Training(_)
        )
    }

    /// Parses one text frame from the server.
    pub fn decode(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The JSON text of this message.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialize")
    }
}

impl ProtocolError {
    /// An error said in English only.
    fn english(code: ErrorCode, message: String) -> Self {
        ProtocolError {
            code,
            message,
            message_ja: None,
        }
    }

    /// The error for a client that speaks another protocol version: an old page after an
    /// update, so people see it, in both languages.
    pub fn unsupported_protocol(client: u32) -> Self {
        ProtocolError {
            code: ErrorCode::UnsupportedProtocol,
            message: format!(
                "client speaks protocol {client}, this back end speaks {PROTOCOL_VERSION}; reload the page"
            ),
            message_ja: Some(format!(
                "この画面はプロトコル {client}、バックエンドは {PROTOCOL_VERSION} です。ページを再読み込みしてください。"
            )),
        }
    }

    /// The error for a request whose part is not running, said in both languages.
    pub fn missing(part: Part) -> Self {
        let (ja, en) = part.missing();
        ProtocolError {
            code: ErrorCode::NotAvailable,
            message: en.to_string(),
            message_ja: Some(ja.to_string()),
        }
    }

    /// The error for a request with values out of range, said in both languages.
    pub fn invalid_in(ja: String, en: String) -> Self {
        ProtocolError {
            code: ErrorCode::InvalidRequest,
            message: en,
            message_ja: Some(ja),
        }
    }

    /// The error for a request refused because this page sent too many of its kind.
    pub fn rate_limited(ja: String, en: String) -> Self {
        ProtocolError {
            code: ErrorCode::RateLimited,
            message: en,
            message_ja: Some(ja),
        }
    }

    /// The error for a request that failed in the back end. `why` is the cause (e.g. what the
    /// database could not do) in both languages; a system's own error text inside it is kept
    /// as written.
    pub fn failed(why: &Notice) -> Self {
        ProtocolError {
            code: ErrorCode::Failed,
            message: format!(
                "The back end could not carry this out, nothing changed ({}).",
                why.en
            ),
            message_ja: Some(format!(
                "バックエンドで処理できませんでした。変更はされていません（{}）。",
                why.ja
            )),
        }
    }

    /// The error for a save based on settings another page has replaced since.
    pub fn settings_changed_elsewhere() -> Self {
        ProtocolError {
            code: ErrorCode::Conflict,
            message: "The settings were changed elsewhere. Reload them before saving.".into(),
            message_ja: Some(
                "他の画面で設定が変更されています。読み込み直してから登録してください。".into(),
            ),
        }
    }

    /// The error for a change asked from the instructor's read-only view of a trainee.
    pub fn read_only() -> Self {
        ProtocolError {
            code: ErrorCode::NotAllowed,
            message: "This is a read-only view of a trainee's simulation.".into(),
            message_ja: Some("研修生の画面を閲覧しています（閲覧専用）。操作はできません。".into()),
        }
    }

    /// The error for a change that only the instructor makes in a class (the ISP panel).
    pub fn instructor_only() -> Self {
        ProtocolError {
            code: ErrorCode::NotAllowed,
            message: "In a class, only the instructor changes the ISP.".into(),
            message_ja: Some("クラスでは ISP の設定は講師だけが変更できます。".into()),
        }
    }

    /// The error for a binary frame.
    pub fn binary_frame() -> Self {
        Self::english(
            ErrorCode::BinaryFrame,
            "binary frames are not part of the protocol; send JSON text".into(),
        )
    }

    /// The message in `lang`: the Japanese one where there is one, else the English.
    pub fn text(&self, lang: crate::Lang) -> &str {
        match (lang, &self.message_ja) {
            (crate::Lang::Ja, Some(ja)) => ja,
            _ => &self.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_round_trip_with_a_type_tag() {
        let hello = ClientMsg::Hello { protocol: 1 };
        assert_eq!(hello.encode(), r#"{"type":"hello","protocol":1}"#);
        assert_eq!(ClientMsg::decode(&hello.encode()), Ok(hello));
        let ping = ClientMsg::Ping { nonce: 7 };
        assert_eq!(ClientMsg::decode(&ping.encode()), Ok(ping));
    }

    #[test]
    fn server_messages_round_trip() {
        let msgs = [
            ServerMsg::Welcome {
                protocol: PROTOCOL_VERSION,
                server: ServerInfo {
                    version: "0.1.0".into(),
                    instance: "abc".into(),
                    started_at_unix: 1,
                },
            },
            ServerMsg::Status(BackendStatus {
                uptime_secs: 3,
                clients: 2,
            }),
            ServerMsg::Pong { nonce: 9 },
            ServerMsg::Error(ProtocolError::binary_frame()),
        ];
        for msg in msgs {
            assert_eq!(ServerMsg::decode(&msg.encode()).unwrap(), msg);
        }
        let status = ServerMsg::Status(BackendStatus::default()).encode();
        assert_eq!(status, r#"{"type":"status","uptime_secs":0,"clients":0}"#);
    }

    #[test]
    fn refusals_people_see_come_in_both_languages() {
        for error in [
            ProtocolError::missing(Part::Engine),
            ProtocolError::missing(Part::Plant),
            ProtocolError::missing(Part::Sandbox),
            ProtocolError::missing(Part::Training),
            ProtocolError::unsupported_protocol(9),
            ProtocolError::settings_changed_elsewhere(),
            ProtocolError::failed(&Notice::new("ディスクが一杯です", "disk full")),
        ] {
            let ja = error.text(crate::Lang::Ja);
            let en = error.text(crate::Lang::En);
            assert_ne!(ja, en);
            assert!(
                !en.chars().any(|c| ('\u{3040}'..='\u{9fff}').contains(&c)),
                "{en}"
            );
        }
        let failed = ProtocolError::failed(&Notice::new("ディスクが一杯です", "disk full"));
        assert!(failed.text(crate::Lang::Ja).contains("ディスクが一杯です"));
        assert!(failed.text(crate::Lang::En).contains("disk full"));
    }

    #[test]
    fn malformed_frames_are_explained() {
        for bad in [
            "",
            "not json",
            "{}",
            r#"{"type":"launch"}"#,
            r#"{"type":"hello"}"#,
        ] {
            let err = ClientMsg::decode(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::MalformedMessage, "{bad:?}");
            assert!(err.message.contains("expected JSON"), "{}", err.message);
        }
    }
}
