//! The dialogue log every mail party writes for the protocol log view: each session gets a
//! [`Transcript`]. Secrets never reach it: [`mask_secrets`] is the one masking rule, applied to
//! every command line a client sends, whoever the client and whoever logs it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use shared::transcript::{DialogueLine, Direction, Notice, Party, Service, clip};
use tokio::sync::broadcast;

/// How many recent lines a slow subscriber may fall behind before it skips ahead.
const BACKLOG: usize = 1024;
/// How many of the latest lines a page gets when it (re)connects, so a reload keeps the log.
pub const KEPT: usize = 200;

/// Where the dialogue of all sessions goes. Cheap to clone.
#[derive(Clone)]
pub struct Dialogue {
    party: Party,
    lines: broadcast::Sender<DialogueLine>,
    sessions: Arc<AtomicU64>,
    recent: Arc<Mutex<VecDeque<DialogueLine>>>,
}

impl Dialogue {
    /// A dialogue log for one party's sessions.
    pub fn new(party: Party) -> Self {
        Dialogue {
            party,
            lines: broadcast::channel(BACKLOG).0,
            sessions: Arc::default(),
            recent: Arc::default(),
        }
    }

    /// The latest lines (at most [`KEPT`]), oldest first, as a page that was watching saw them.
    pub fn recent(&self) -> Vec<DialogueLine> {
        self.recent
            .lock()
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn keep(&self, line: &DialogueLine) {
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() == KEPT {
                recent.pop_front();
            }
            recent.push_back(line.clone());
        }
    }

    /// Follows every line from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DialogueLine> {
        self.lines.subscribe()
    }

    /// A transcript for a new session of `service`.
    pub fn session(&self, service: Service) -> Transcript {
        Transcript {
            dialogue: self.clone(),
            service,
            session: self.sessions.fetch_add(1, Ordering::Relaxed) + 1,
        }
    }
}

/// The transcript of one session.
pub struct Transcript {
    dialogue: Dialogue,
    service: Service,
    session: u64,
}

impl Transcript {
    /// The session's number within its party.
    pub fn session(&self) -> u64 {
        self.session
    }

    /// A command the client sent (already masked).
    pub fn client(&self, text: &str) {
        self.publish(Direction::ToServer, text, None);
    }

    /// A reply line the server sent.
    pub fn server(&self, text: &str) {
        self.publish(Direction::ToClient, text, None);
    }

    /// A note about the session that is not on the wire.
    pub fn note(&self, text: &str) {
        self.publish(Direction::Note, text, None);
    }

    /// A note for people, in both languages.
    pub fn notice(&self, notice: &Notice) {
        self.publish(Direction::Note, &notice.en, Some(&notice.ja));
    }

    fn publish(&self, direction: Direction, text: &str, text_ja: Option<&str>) {
        // Nobody is watching the log: skip building the line (a server under load writes
        // several per message).
        if self.dialogue.lines.receiver_count() == 0 {
            return;
        }
        let line = DialogueLine {
            at_unix_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            session: self.session,
            party: self.dialogue.party,
            service: self.service,
            direction,
            text: clip(text),
            text_ja: text_ja.map(clip),
        };
        self.dialogue.keep(&line);
        // A subscriber that left meanwhile is fine too.
        let _ = self.dialogue.lines.send(line);
    }
}

/// A command line as a log may show it: the secret words of `PASS`, `APOP` and `AUTH` lines
/// replaced by `****` whatever separates the words (space or tab: servers accept both), and
/// control characters made visible. Works on any octets, parseable or not.
pub fn mask_secrets(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mut words = text.split([' ', '\t']).filter(|w| !w.is_empty());
    let keyword = words.next().unwrap_or_default();
    let masked = match keyword.to_ascii_uppercase().as_str() {
        "PASS" => Some(format!("{keyword} ****")),
        "APOP" | "AUTH" => Some(match (words.next(), words.next()) {
            (Some(name), Some(_)) => format!("{keyword} {name} ****"),
            (Some(name), None) => format!("{keyword} {name}"),
            _ => keyword.to_string(),
        }),
        _ => None,
    };
    let shown = masked.unwrap_or_else(|| text.into_owned());
    shown
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

/// The command verbs of SMTP (RFC 5321, 3207, 4954, 3030) and POP3 (RFC 1939, 2449, 2595, 5034).
const VERBS: &[&str] = &[
    "EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP",
    "ETRN", "STARTTLS", "AUTH", "USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "TOP",
    "UIDL", "CAPA", "STLS",
];

/// [`mask_secrets`] for the lines of one session, in order, adding what a single line cannot
/// show: the lines that answer an AUTH (RFC 4954 §4, RFC 5034 §4) carry base64 credentials with
/// no keyword, and a client may send them even after the AUTH was refused (it pipelines, or
/// does not read the reply), when the server reads them as unknown commands. So after an AUTH
/// every line that is not a command shows as `****` until a command comes.
#[derive(Debug, Default)]
pub struct SecretMasker {
    after_auth: bool,
}

impl SecretMasker {
    /// The next line of the session, as a log may show it.
    pub fn mask(&mut self, line: &[u8]) -> String {
        let verb = line
            .split(|b| *b == b' ' || *b == b'\t')
            .find(|w| !w.is_empty())
            .unwrap_or_default();
        if VERBS
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(verb))
        {
            self.after_auth = verb.eq_ignore_ascii_case(b"AUTH");
        } else if self.after_auth {
            return "****".into();
        }
        mask_secrets(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_masks_every_secret_whatever_the_separator() {
        let cases: &[(&[u8], &str)] = &[
            (b"PASS hunter2 and more", "PASS ****"),
            (b"pass x", "pass ****"),
            (b"PASS\thunter2", "PASS ****"),
            (b"PASS  \t hunter2", "PASS ****"),
            (
                b"APOP karacrix 0123456789abcdef0123456789abcdef",
                "APOP karacrix ****",
            ),
            (b"APOP\tkaracrix\tdigest", "APOP karacrix ****"),
            (b"AUTH PLAIN AGthcmFjcml4AHB3", "AUTH PLAIN ****"),
            (b"auth\tplain\tAGthcmFjcml4AHB3", "auth plain ****"),
            (b"AUTH LOGIN", "AUTH LOGIN"),
            (b"USER karacrix", "USER karacrix"),
            (b"MAIL FROM:<a@b>", "MAIL FROM:<a@b>"),
            (b"NO\0OP", "NO\u{FFFD}OP"),
        ];
        for (line, shown) in cases {
            assert_eq!(
                mask_secrets(line),
                *shown,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn lines_answering_an_auth_are_masked_even_after_a_refusal() {
        let mut masker = SecretMasker::default();
        let session: &[(&[u8], &str)] = &[
            (b"EHLO pc", "EHLO pc"),
            (b"AUTH LOGIN", "AUTH LOGIN"),
            // The server refused the AUTH; the client sends its answers anyway.
            (b"a2FyYWNyaXg=", "****"),
            (b"a2FyYWNyaXgtcGFzcw==", "****"),
            (b"*", "****"),
            (b"MAIL FROM:<a@b>", "MAIL FROM:<a@b>"),
            (b"GARBAGE", "GARBAGE"),
            (b"auth\tplain", "auth plain"),
            (b"AGthcmFjcml4AHB3", "****"),
            (b"quit", "quit"),
        ];
        for (line, shown) in session {
            assert_eq!(
                masker.mask(line),
                *shown,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn sessions_are_numbered_and_lines_published() {
        let dialogue = Dialogue::new(Party::Sandbox);
        let mut lines = dialogue.subscribe();
        let a = dialogue.session(Service::Pop3);
        let b = dialogue.session(Service::Smtp);
        assert_eq!((a.session(), b.session()), (1, 2));
        a.client("USER karacrix");
        b.server("250 OK");
        let first = lines.try_recv().unwrap();
        assert_eq!((first.session, first.direction), (1, Direction::ToServer));
        assert_eq!(first.text, "USER karacrix");
        let second = lines.try_recv().unwrap();
        assert_eq!(
            (second.service, second.direction),
            (Service::Smtp, Direction::ToClient)
        );
    }
}
