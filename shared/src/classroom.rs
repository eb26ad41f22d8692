//! The classroom: trainees who join a class from the browser, each with a simulation of their
//! own, and the instructor's view of the class. Types and checks only; the back end keeps the
//! sessions, the front end shows them.
//!
//! HTTP around `/ws` (JSON bodies):
//! - `GET /api/session` → [`SessionInfo`]: single-user mode, or a class and whether this browser
//!   has joined (its session cookie [`SESSION_COOKIE`], HttpOnly, SameSite=Strict).
//! - `POST /api/join` with [`JoinRequest`] → 200 [`SessionInfo`] and the cookie, or 4xx with a
//!   [`Notice`] saying why not in both languages.
//! - `/ws` then serves the session's simulation; `/ws?watch=ID&key=TOKEN` serves trainee `ID`'s
//!   simulation read-only to the instructor.
//! - `/ws/instructor?key=TOKEN`: [`InstructorMsg`] in, [`ClassMsg`] out.

use serde::{Deserialize, Serialize};

use crate::protocol::ProtocolError;
use crate::sandbox::SandboxPolicy;
use crate::training::{Exercise, ExerciseState};
use crate::transcript::Notice;

/// The cookie that names a trainee's session (HttpOnly, SameSite=Strict).
pub const SESSION_COOKIE: &str = "kx_session";
/// The longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// The longest class code, in characters.
pub const MAX_CLASS_CHARS: usize = 32;

/// What this page is: the reply to `GET /api/session` and to a successful join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum SessionInfo {
    /// No class: one simulation for everyone who opens the page (the default).
    Single,
    /// A classroom; `joined` is this browser's place in it, if it has joined.
    Class {
        /// The trainee this browser is, if any.
        joined: Option<Joined>,
    },
}

/// A trainee's place in a class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    /// The class code.
    pub class: String,
    /// The display name.
    pub name: String,
}

/// `POST /api/join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    /// The class code the instructor gave.
    pub class: String,
    /// The name the instructor sees.
    pub name: String,
}

/// Why a join was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// No display name.
    #[error("name missing")]
    NameMissing,
    /// A display name over [`MAX_NAME_CHARS`] or with control characters.
    #[error("name not usable")]
    NameUnusable,
    /// No class of that code runs here.
    #[error("unknown class")]
    UnknownClass,
    /// Another trainee of the class has that name.
    #[error("name taken")]
    NameTaken,
    /// The class is full.
    #[error("class full")]
    ClassFull,
}

impl JoinError {
    /// What the trainee reads, in both languages.
    pub fn notice(self) -> Notice {
        let (ja, en) = match self {
            JoinError::NameMissing => ("名前を入力してください。", "Enter your name."),
            JoinError::NameUnusable => (
                "名前は 40 文字以内で、制御文字を含めないでください。",
                "The name must be at most 40 characters, without control characters.",
            ),
            JoinError::UnknownClass => (
                "そのクラスコードのクラスはありません。講師に確認してください。",
                "There is no class with that code here. Ask your instructor.",
            ),
            JoinError::NameTaken => (
                "その名前はこのクラスで使われています。別の名前にしてください。",
                "That name is taken in this class. Choose another one.",
            ),
            JoinError::ClassFull => (
                "クラスが満員です。講師に連絡してください。",
                "The class is full. Tell your instructor.",
            ),
        };
        Notice::new(ja, en)
    }
}

impl JoinRequest {
    /// The request with its name and code trimmed, or why it cannot be used. Whether the class
    /// exists and the name is free is the back end's to say.
    pub fn normalized(&self) -> Result<JoinRequest, JoinError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(JoinError::NameMissing);
        }
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(JoinError::NameUnusable);
        }
        let class = self.class.trim();
        if class.is_empty() || class.chars().count() > MAX_CLASS_CHARS {
            return Err(JoinError::UnknownClass);
        }
        Ok(JoinRequest {
            class: class.to_string(),
            name: name.to_string(),
        })
    }
}

/// What a trainee's page is told about its session, right after the welcome.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionView {
    /// The class and name, in a classroom.
    pub joined: Option<Joined>,
    /// The instructor watching: every change is refused.
    pub read_only: bool,
    /// The ISP panel may be changed from this page (single-user mode only; the instructor
    /// runs the class's ISP).
    pub isp_panel: bool,
    /// The loopback addresses this session's system and phone connect to the ISP from, so a
    /// real mail client can reach its mailboxes (e.g. `curl --interface`).
    pub client_addresses: Option<(String, String)>,
}

/// One trainee in the instructor's class list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraineeRow {
    /// The session's public id (not its cookie).
    pub id: String,
    /// The class code.
    pub class: String,
    /// The display name.
    pub name: String,
    /// Where the trainee's browser connects from (the proxy's address unless it is trusted).
    pub from: String,
    /// Open pages of the trainee now.
    pub pages: u32,
    /// False while the session is evicted from memory (it returns with the next page).
    pub resident: bool,
    /// The exercise in progress or last worked on, and its state.
    pub exercise: Option<(String, ExerciseState)>,
    /// When the exercise in progress started (Unix ms).
    pub started_at_ms: Option<u64>,
    /// Frame (3)'s last status code, e.g. `run` or `err timeout`.
    pub last_status: Option<String>,
    /// Error states seen since the session started.
    pub errors: u32,
}

/// What the instructor's page sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InstructorMsg {
    /// Returns trainee `id` to the start (settings, mailboxes, plant, progress kept in the
    /// record).
    ResetTrainee {
        /// The trainee's id.
        id: String,
    },
    /// Starts `exercise` for every trainee of `class`.
    PushExercise {
        /// The class code.
        class: String,
        /// The exercise's id.
        exercise: String,
    },
    /// Sets these ISP policies for every trainee of `class`.
    PushPolicy {
        /// The class code.
        class: String,
        /// The policies.
        policy: SandboxPolicy,
    },
    /// The records of every trainee of `class`, as one JSON Lines text.
    GetRecords {
        /// The class code.
        class: String,
    },
}

/// What the instructor's page receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClassMsg {
    /// First: the classes this process serves and the exercises that can be pushed.
    Welcome {
        /// The class codes.
        classes: Vec<String>,
        /// The exercises.
        exercises: Vec<Exercise>,
    },
    /// The class list, again after every change (at most a few times a second).
    Class {
        /// Every trainee, by class and name.
        trainees: Vec<TraineeRow>,
    },
    /// A request was carried out for this many trainees.
    Done {
        /// How many trainees it reached.
        trainees: u32,
    },
    /// The answer to [`InstructorMsg::GetRecords`]: one line per record entry, each with the
    /// trainee's name.
    Records {
        /// The class code.
        class: String,
        /// JSON Lines.
        json_lines: String,
    },
    /// A refused or failed request.
    Error(ProtocolError),
}

impl InstructorMsg {
    /// Parses a frame from the instructor's page.
    pub fn decode(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The JSON text of this message.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("instructor messages always serialize")
    }
}

impl ClassMsg {
    /// Parses a frame for the instructor's page.
    pub fn decode(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The JSON text of this message.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("class messages always serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(class: &str, name: &str) -> JoinRequest {
        JoinRequest {
            class: class.into(),
            name: name.into(),
        }
    }

    #[test]
    fn a_join_is_trimmed_and_checked() {
        assert_eq!(join(" A1 ", " 山田 ").normalized(), Ok(join("A1", "山田")));
        assert_eq!(join("A1", "  ").normalized(), Err(JoinError::NameMissing));
        assert_eq!(
            join("A1", &"名".repeat(41)).normalized(),
            Err(JoinError::NameUnusable)
        );
        assert_eq!(
            join("A1", "a\u{7}b").normalized(),
            Err(JoinError::NameUnusable)
        );
        assert_eq!(join("", "x").normalized(), Err(JoinError::UnknownClass));
        assert!(join("A1", &"名".repeat(40)).normalized().is_ok());
    }

    #[test]
    fn every_refusal_is_said_in_both_languages() {
        for error in [
            JoinError::NameMissing,
            JoinError::NameUnusable,
            JoinError::UnknownClass,
            JoinError::NameTaken,
            JoinError::ClassFull,
        ] {
            let notice = error.notice();
            assert!(!notice.ja.is_empty() && !notice.en.is_empty());
            assert_ne!(notice.ja, notice.en);
        }
    }

    #[test]
    fn messages_round_trip() {
        let msg = InstructorMsg::PushExercise {
            class: "A".into(),
            exercise: "02-op25b".into(),
        };
        assert_eq!(InstructorMsg::decode(&msg.encode()).unwrap(), msg);
        let info = SessionInfo::Class {
            joined: Some(Joined {
                class: "A".into(),
                name: "山田".into(),
            }),
        };
        let text = serde_json::to_string(&info).unwrap();
        assert!(text.contains(r#""mode":"class""#), "{text}");
        assert_eq!(serde_json::from_str::<SessionInfo>(&text).unwrap(), info);
    }
}
