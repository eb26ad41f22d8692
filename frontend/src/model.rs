//! The state the screens show, changed only by [`Model::apply`]: a pure reducer over the
//! connection's events and the server's messages, unit-tested on native.

use std::collections::VecDeque;

use shared::conntest::TestReport;
use shared::engine::{EngineState, SettingsView};
use shared::phone::PhoneMessage;
use shared::points::PointSnapshot;
use shared::protocol::{BackendStatus, ErrorCode, ProtocolError, ServerInfo};
use shared::sandbox::SandboxInfo;
use shared::settings::FieldError;
use shared::status::MailError;
use shared::training::{Exercise, TrainingView};
use shared::transcript::{DialogueLine, Party, Service};
use shared::{Lang, ServerMsg};

/// The first retry waits this long; each failure doubles it up to [`MAX_RETRY_MS`].
pub const FIRST_RETRY_MS: u32 = 500;
/// The longest wait between reconnection attempts.
pub const MAX_RETRY_MS: u32 = 5_000;
/// How many dialogue lines the page keeps per party and protocol; older ones scroll away. Kept
/// apart so that the sandbox's busy POP3 polling never pushes the engine's SMTP out of the log.
pub const DIALOGUE_KEPT: usize = 500;

/// What the protocol log shows: one party or both, one protocol or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// `None` for both.
    pub party: Option<Party>,
    /// `None` for both.
    pub service: Option<Service>,
}

impl LogFilter {
    /// True when `line` passes.
    pub fn admits(&self, line: &DialogueLine) -> bool {
        self.party.is_none_or(|p| line.party == p) && self.service.is_none_or(|s| line.service == s)
    }
}

/// The four logs kept apart, each its newest lines with their numbers.
fn lane(line: &DialogueLine) -> usize {
    let party = match line.party {
        Party::Sandbox => 0,
        Party::Engine => 2,
    };
    party
        + match line.service {
            Service::Pop3 => 0,
            Service::Smtp => 1,
        }
}

/// The state of the WebSocket to the back end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Opening; `attempt` counts since the last open connection.
    Connecting {
        /// 1 for the first attempt.
        attempt: u32,
    },
    /// Open: the state on screen is live.
    Open,
    /// Lost; the next attempt comes after `retry_in_ms`.
    Closed {
        /// Failed attempts since the last open connection.
        failures: u32,
        /// Wait before the next attempt.
        retry_in_ms: u32,
    },
}

/// Something that happened to the connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A connection attempt starts.
    Connecting,
    /// The socket opened.
    Opened,
    /// The socket closed or could not open.
    Closed,
    /// The back end sent a message.
    Message(ServerMsg),
}

/// What the back end answered to the phone's last send or check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneResult {
    /// The ISP accepted the mail; its final reply.
    Sent(String),
    /// The inbox was read; how many messages it holds.
    Checked(usize),
    /// Sending or checking failed.
    Failed {
        /// The catalogue error.
        error: MailError,
        /// What happened, in both languages.
        detail: shared::transcript::Notice,
    },
}

/// Everything the screens show.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The connection.
    pub link: LinkState,
    /// This page's session: class, name, read-only (single-user mode: the default).
    pub session: shared::classroom::SessionView,
    /// The back end, once it said welcome.
    pub server: Option<ServerInfo>,
    /// Its live state.
    pub status: Option<BackendStatus>,
    /// The last protocol error the back end reported.
    pub last_error: Option<ProtocolError>,
    /// How often a reconnection found a new back-end instance (a restart).
    pub restarts_seen: u32,
    /// The sandbox ISP, when it runs.
    pub sandbox: Option<SandboxInfo>,
    /// The engine's live state (frame (3)).
    pub engine: Option<EngineState>,
    /// The e-mail settings, pending and applied.
    pub settings: Option<SettingsView>,
    /// Field errors of the last refused save; cleared by the next accepted one.
    pub settings_errors: Vec<FieldError>,
    /// The plant's points, live.
    pub points: Vec<PointSnapshot>,
    /// The phone's inbox as last checked.
    pub phone_inbox: Vec<PhoneMessage>,
    /// What happened to the phone's last send or check, for its status line.
    pub phone_result: Option<PhoneResult>,
    /// How many phone answers came, so the phone screen can tell its request was answered even
    /// when the answer reads the same as the last one.
    pub phone_seq: u64,
    /// The settings version this page's last save stored: other pages' saves never change it,
    /// so only the page that saved is told it did.
    pub own_save: Option<u64>,
    /// The latest protocol dialogue per party and protocol, oldest first, at most
    /// [`DIALOGUE_KEPT`] lines each, numbered in arrival order (the numbers key the lines on
    /// screen).
    dialogue: [VecDeque<(u64, DialogueLine)>; 4],
    /// How many dialogue lines came in all.
    pub dialogue_seq: u64,
    /// The protocol log's filter, kept while the screen is left.
    pub log_filter: LogFilter,
    /// The connection test this page asked for, as far as it got.
    pub conn_test: Option<TestReport>,
    /// The training exercises, in order.
    pub exercises: Vec<Exercise>,
    /// The training panel's state.
    pub training: Option<TrainingView>,
    /// How many resets this page asked for were completed.
    pub resets_done: u64,
    /// The trainee's record as last fetched, and how many times it came.
    pub record: Option<(u64, String)>,
    failures: u32,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            link: LinkState::Connecting { attempt: 1 },
            server: None,
            status: None,
            last_error: None,
            restarts_seen: 0,
            sandbox: None,
            engine: None,
            settings: None,
            settings_errors: Vec::new(),
            points: Vec::new(),
            phone_inbox: Vec::new(),
            phone_result: None,
            phone_seq: 0,
            own_save: None,
            dialogue: Default::default(),
            dialogue_seq: 0,
            log_filter: LogFilter::default(),
            conn_test: None,
            exercises: Vec::new(),
            training: None,
            resets_done: 0,
            record: None,
            failures: 0,
            session: Default::default(),
        }
    }
}

impl Model {
    /// Applies one event.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Connecting => {
                self.link = LinkState::Connecting {
                    attempt: self.failures + 1,
                }
            }
            Event::Opened => {
                self.failures = 0;
                self.link = LinkState::Open;
            }
            Event::Closed => {
                self.failures += 1;
                self.link = LinkState::Closed {
                    failures: self.failures,
                    retry_in_ms: retry_delay_ms(self.failures),
                };
            }
            Event::Message(ServerMsg::Welcome { server, .. }) => {
                if self
                    .server
                    .as_ref()
                    .is_some_and(|old| old.instance != server.instance)
                {
                    self.restarts_seen += 1;
                }
                self.server = Some(server);
            }
            Event::Message(ServerMsg::Status(status)) => self.status = Some(status),
            Event::Message(ServerMsg::Session(view)) => self.session = *view,
            Event::Message(ServerMsg::Error(error)) => self.last_error = Some(error),
            Event::Message(ServerMsg::Sandbox(info)) => self.sandbox = Some(*info),
            Event::Message(ServerMsg::Engine(state)) => self.engine = Some(*state),
            Event::Message(ServerMsg::Settings(view)) => {
                self.settings = Some(*view);
                self.settings_errors.clear();
            }
            Event::Message(ServerMsg::SettingsSaved { version }) => self.own_save = Some(version),
            Event::Message(ServerMsg::SettingsRejected { errors }) => self.settings_errors = errors,
            Event::Message(ServerMsg::Dialogue(line)) => {
                let lane = &mut self.dialogue[lane(&line)];
                if lane.len() == DIALOGUE_KEPT {
                    lane.pop_front();
                }
                lane.push_back((self.dialogue_seq, line));
                self.dialogue_seq += 1;
            }
            Event::Message(ServerMsg::Points { points }) => self.points = points,
            Event::Message(ServerMsg::PhoneSent { reply }) => {
                self.phone_answered(PhoneResult::Sent(reply));
            }
            Event::Message(ServerMsg::PhoneInbox { messages }) => {
                self.phone_answered(PhoneResult::Checked(messages.len()));
                self.phone_inbox = messages;
            }
            Event::Message(ServerMsg::PhoneFailed { error, detail }) => {
                self.phone_answered(PhoneResult::Failed { error, detail });
            }
            Event::Message(ServerMsg::ConnectionTest(report)) => self.conn_test = Some(*report),
            Event::Message(ServerMsg::Exercises { exercises }) => self.exercises = exercises,
            Event::Message(ServerMsg::Training(view)) => self.training = Some(*view),
            Event::Message(ServerMsg::ResetDone) => self.resets_done += 1,
            Event::Message(ServerMsg::Record { json_lines }) => {
                let count = self.record.as_ref().map_or(0, |(n, _)| *n) + 1;
                self.record = Some((count, json_lines));
            }
            Event::Message(ServerMsg::Pong { .. }) => {}
        }
    }

    fn phone_answered(&mut self, result: PhoneResult) {
        self.phone_result = Some(result);
        self.phone_seq += 1;
    }

    /// The dialogue lines `filter` admits with their numbers, oldest first.
    pub fn numbered_dialogue(&self, filter: LogFilter) -> Vec<(u64, &DialogueLine)> {
        let mut lines: Vec<(u64, &DialogueLine)> = self
            .dialogue
            .iter()
            .flatten()
            .filter(|(_, line)| filter.admits(line))
            .map(|(n, line)| (*n, line))
            .collect();
        lines.sort_unstable_by_key(|(n, _)| *n);
        lines
    }

    /// Forgets the last protocol error, before a request whose answer the screen waits for.
    pub fn clear_error(&mut self) {
        self.last_error = None;
    }

    /// The exercise in progress or just completed, with its progress.
    pub fn current_exercise(&self) -> Option<(&Exercise, &shared::training::Progress)> {
        let progress = self.training.as_ref()?.current.as_ref()?;
        let exercise = self.exercises.iter().find(|e| e.id == progress.exercise)?;
        Some((exercise, progress))
    }

    /// True while the ISP panel may not be changed from this page.
    pub fn isp_locked(&self) -> bool {
        self.training
            .as_ref()
            .is_some_and(|t| t.isp_locked() || !t.instructor)
    }

    /// True while the state on screen is live.
    pub fn is_live(&self) -> bool {
        self.link == LinkState::Open
    }

    /// True while this page may change the simulation: live, and not the instructor's
    /// read-only view of a trainee.
    pub fn can_change(&self) -> bool {
        self.is_live() && !self.session.read_only
    }

    /// True on a page of a class whose ISP the instructor runs (a trainee's, or the read-only
    /// view of one); never in single-user mode.
    pub fn isp_is_instructors(&self) -> bool {
        let in_class = self.session.joined.is_some() || self.session.read_only;
        in_class && !self.session.isp_panel
    }

    /// Why the back end refused the last request (out of range, failed, or a part not
    /// running), in `lang`; protocol errors of the page itself are not shown to people.
    pub fn refusal(&self, lang: Lang) -> Option<String> {
        self.last_error
            .as_ref()
            .filter(|e| {
                matches!(
                    e.code,
                    ErrorCode::InvalidRequest
                        | ErrorCode::Failed
                        | ErrorCode::NotAvailable
                        | ErrorCode::RateLimited
                        | ErrorCode::Conflict
                        | ErrorCode::NotAllowed
                )
            })
            .map(|e| e.text(lang).to_string())
    }
}

/// Exponential backoff: 0.5 s, 1 s, 2 s, 4 s, then 5 s.
pub fn retry_delay_ms(failures: u32) -> u32 {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_RETRY_MS
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_MS)
}

/// Seconds as `h:mm:ss`, the way the uptime is shown.
pub fn format_duration(secs: u64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_shown_in_the_ui_language_and_page_errors_are_not() {
        let mut model = Model::default();
        model.apply(Event::Message(ServerMsg::Error(
            ProtocolError::binary_frame(),
        )));
        assert_eq!(model.refusal(Lang::Ja), None);
        model.apply(Event::Message(ServerMsg::Error(ProtocolError::invalid_in(
            "範囲外".into(),
            "out of range".into(),
        ))));
        assert_eq!(model.refusal(Lang::Ja).as_deref(), Some("範囲外"));
        assert_eq!(model.refusal(Lang::En).as_deref(), Some("out of range"));
        model.apply(Event::Message(ServerMsg::Error(ProtocolError::failed(
            &shared::transcript::Notice::new("データベース: disk", "database: disk"),
        ))));
        // A failure is said in both languages, with its technical cause kept.
        let ja = model.refusal(Lang::Ja).unwrap();
        assert!(
            ja.contains("バックエンドで処理できませんでした") && ja.contains("disk"),
            "{ja}"
        );
        let en = model.refusal(Lang::En).unwrap();
        assert!(en.contains("could not") && en.contains("disk"), "{en}");
        model.apply(Event::Message(ServerMsg::Error(
            ProtocolError::rate_limited("多すぎます".into(), "too many".into()),
        )));
        assert_eq!(model.refusal(Lang::Ja).as_deref(), Some("多すぎます"));
    }

    #[test]
    fn a_class_session_decides_what_may_change_here() {
        use shared::classroom::{Joined, SessionView};
        let session = |joined: bool, read_only: bool, isp_panel: bool| {
            Event::Message(ServerMsg::Session(Box::new(SessionView {
                joined: joined.then(|| Joined {
                    class: "A1".into(),
                    name: "山田".into(),
                }),
                read_only,
                isp_panel,
                client_addresses: None,
            })))
        };
        let mut model = Model::default();
        model.apply(Event::Opened);
        // Single-user mode, before and after its session view: the ISP panel is the page's.
        assert!(model.can_change() && !model.isp_is_instructors());
        model.apply(session(false, false, true));
        assert!(model.can_change() && !model.isp_is_instructors());
        // A trainee: changes allowed, the ISP the instructor's.
        model.apply(session(true, false, false));
        assert!(model.can_change() && model.isp_is_instructors());
        // The instructor's view of a trainee: nothing changes from here, and a refusal shows.
        model.apply(session(true, true, false));
        assert!(!model.can_change() && model.isp_is_instructors());
        model.apply(Event::Message(ServerMsg::Error(ProtocolError::read_only())));
        assert!(model.refusal(Lang::Ja).unwrap().contains("閲覧専用"));
    }

    fn welcome(instance: &str) -> Event {
        Event::Message(ServerMsg::Welcome {
            protocol: 1,
            server: ServerInfo {
                version: "0.1.0".into(),
                instance: instance.into(),
                started_at_unix: 0,
            },
        })
    }

    #[test]
    fn a_session_goes_live_and_takes_the_status() {
        let mut model = Model::default();
        model.apply(Event::Opened);
        model.apply(welcome("a"));
        model.apply(Event::Message(ServerMsg::Status(BackendStatus {
            uptime_secs: 5,
            clients: 1,
        })));
        assert!(model.is_live());
        assert_eq!(model.status.as_ref().unwrap().uptime_secs, 5);
        assert_eq!(model.restarts_seen, 0);
    }

    #[test]
    fn losing_the_link_backs_off_and_a_new_instance_counts_as_a_restart() {
        let mut model = Model::default();
        model.apply(Event::Opened);
        model.apply(welcome("a"));
        let delays: Vec<u32> = (0..6)
            .map(|_| {
                model.apply(Event::Connecting);
                model.apply(Event::Closed);
                match model.link {
                    LinkState::Closed { retry_in_ms, .. } => retry_in_ms,
                    other => panic!("expected closed, got {other:?}"),
                }
            })
            .collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 5000, 5000]);
        assert!(!model.is_live());
        model.apply(Event::Connecting);
        assert_eq!(model.link, LinkState::Connecting { attempt: 7 });
        // The last known state stays on screen while disconnected.
        assert!(model.server.is_some());

        model.apply(Event::Opened);
        model.apply(welcome("b"));
        assert_eq!(model.restarts_seen, 1);
        model.apply(Event::Closed);
        assert_eq!(
            model.link,
            LinkState::Closed {
                failures: 1,
                retry_in_ms: 500
            }
        );
    }

    fn line(party: Party, service: Service, text: String) -> Event {
        Event::Message(ServerMsg::Dialogue(DialogueLine {
            at_unix_ms: 0,
            session: 1,
            party,
            service,
            direction: shared::transcript::Direction::ToServer,
            text,
            text_ja: None,
        }))
    }

    #[test]
    fn the_dialogue_keeps_only_the_latest_lines() {
        let mut model = Model::default();
        for i in 0..DIALOGUE_KEPT + 3 {
            model.apply(line(Party::Sandbox, Service::Pop3, format!("NOOP {i}")));
        }
        let all = model.numbered_dialogue(LogFilter::default());
        assert_eq!(all.len(), DIALOGUE_KEPT);
        let (first, line) = all[0];
        assert_eq!((first, line.text.as_str()), (3, "NOOP 3"));
        assert_eq!(all.last().map(|(n, _)| *n), Some(DIALOGUE_KEPT as u64 + 2));
    }

    #[test]
    fn busy_polling_never_pushes_the_other_party_or_protocol_out() {
        let mut model = Model::default();
        model.apply(line(
            Party::Engine,
            Service::Smtp,
            "MAIL FROM:<karacrix@sandbox.test>".into(),
        ));
        model.apply(line(Party::Sandbox, Service::Smtp, "250 OK".into()));
        for i in 0..10 * DIALOGUE_KEPT {
            model.apply(line(Party::Sandbox, Service::Pop3, format!("STAT {i}")));
        }
        let smtp = LogFilter {
            party: None,
            service: Some(Service::Smtp),
        };
        let texts: Vec<&str> = model
            .numbered_dialogue(smtp)
            .iter()
            .map(|(_, l)| l.text.as_str())
            .collect();
        assert_eq!(texts, ["MAIL FROM:<karacrix@sandbox.test>", "250 OK"]);
        let engine = LogFilter {
            party: Some(Party::Engine),
            service: None,
        };
        assert_eq!(model.numbered_dialogue(engine).len(), 1);
        // Everything together is in arrival order.
        let all = model.numbered_dialogue(LogFilter::default());
        assert_eq!(all.len(), DIALOGUE_KEPT + 2);
        assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn phone_answers_are_counted_and_the_inbox_replaced() {
        use shared::phone::PhoneMessage;
        let mut model = Model::default();
        let message = |uid: &str| PhoneMessage {
            uid: uid.into(),
            from: "karacrix@sandbox.test".into(),
            subject: "Re: SET PUMP1 ON".into(),
            date: String::new(),
            text: String::new(),
            charset: None,
            raw: String::new(),
        };
        model.apply(Event::Message(ServerMsg::PhoneSent {
            reply: "250 OK".into(),
        }));
        assert_eq!(model.phone_result, Some(PhoneResult::Sent("250 OK".into())));
        for _ in 0..2 {
            model.apply(Event::Message(ServerMsg::PhoneInbox {
                messages: vec![message("2"), message("1")],
            }));
        }
        assert_eq!(model.phone_result, Some(PhoneResult::Checked(2)));
        assert_eq!(
            model.phone_seq, 3,
            "an answer like the last one still counts"
        );
        assert_eq!(model.phone_inbox.len(), 2);
        model.apply(Event::Message(ServerMsg::PhoneFailed {
            error: MailError::Refused,
            detail: shared::transcript::Notice::same("127.0.0.1:2587: connection refused"),
        }));
        assert!(matches!(
            model.phone_result,
            Some(PhoneResult::Failed {
                error: MailError::Refused,
                ..
            })
        ));
        // A failed check keeps the inbox last read.
        assert_eq!(model.phone_inbox.len(), 2);
    }

    #[test]
    fn durations_read_as_clock_time() {
        assert_eq!(format_duration(0), "0:00:00");
        assert_eq!(format_duration(61), "0:01:01");
        assert_eq!(format_duration(3600 * 25 + 59), "25:00:59");
    }
}
