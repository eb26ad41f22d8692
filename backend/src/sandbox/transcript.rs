//! Publishes the sandbox servers' dialogue for the protocol log view. Each session gets a
//! [`Transcript`]; lines must already be masked by the protocol (passwords, AUTH payloads).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use shared::transcript::{DialogueLine, Direction, Notice, Party, Service, clip};
use tokio::sync::broadcast;

/// How many recent lines a slow subscriber may fall behind before it skips ahead.
const BACKLOG: usize = 1024;

/// Where the dialogue of all sessions goes. Cheap to clone.
#[derive(Clone)]
pub struct Dialogue {
    party: Party,
    lines: broadcast::Sender<DialogueLine>,
    sessions: Arc<AtomicU64>,
}

impl Dialogue {
    /// A dialogue log for one party's sessions.
    pub fn new(party: Party) -> Self {
        Dialogue {
            party,
            lines: broadcast::channel(BACKLOG).0,
            sessions: Arc::default(),
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
        // A subscriber that left meanwhile is fine too.
        let _ = self.dialogue.lines.send(DialogueLine {
            at_unix_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            session: self.session,
            party: self.dialogue.party,
            service: self.service,
            direction,
            text: clip(text),
            text_ja: text_ja.map(clip),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
