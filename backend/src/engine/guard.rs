//! The guard in front of every command layer, as RFC 3834 asks of an automatic responder:
//! automatic mail (see [`autoreply`]) is never answered or executed, and each sender gets at
//! most `--replies-per-hour` replies an hour (RFC 3834 §2: responders limit their responses per
//! sender; Dovecot's vacation answers once per `:days`, Postfix's vacation once a week). A mail
//! over the limit is neither executed nor answered, like any other refused mail: executing it
//! unconfirmed would leave its sender guessing, and a loop that no header gives away still ends.
//!
//! The count follows the exactly-once design of [`CommandLayer`]: replies of a batch count at
//! once for the mails after them, and stay counted only if the batch is recorded. The count is
//! kept in memory: a restart may allow one more hour's worth.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use shared::engine::Hold;
use shared::settings::MailSettings;
use shared::transcript::Notice;

use super::autoreply;
use super::commands::{CommandLayer, Handling, unix_at};
use crate::mail::message::ReceivedMail;
use crate::store::StoreError;

/// Replies per sender in this long at most.
pub const REPLY_WINDOW: Duration = Duration::from_secs(3600);
/// The default of `--replies-per-hour`.
pub const DEFAULT_REPLIES_PER_HOUR: u32 = 20;

/// When the replies of the last [`REPLY_WINDOW`] went out, per recipient.
#[derive(Debug, Clone)]
pub struct ReplyLimit {
    per_window: usize,
    /// Replies recorded, oldest first.
    sent: HashMap<String, VecDeque<Instant>>,
    /// Replies of the batch not recorded yet.
    pending: Vec<(String, Instant)>,
}

impl ReplyLimit {
    /// At most `per_hour` replies to a sender in [`REPLY_WINDOW`].
    pub fn new(per_hour: u32) -> Self {
        ReplyLimit {
            per_window: per_hour as usize,
            sent: HashMap::new(),
            pending: Vec::new(),
        }
    }

    /// Replies to `sender` in the window before `now`, recorded or pending.
    pub fn count(&mut self, sender: &str, now: Instant) -> usize {
        self.forget_before(now);
        let sent = self.sent.get(sender).map_or(0, VecDeque::len);
        sent + self.pending.iter().filter(|(s, _)| s == sender).count()
    }

    /// True while `sender` may get another reply at `now`.
    pub fn allows(&mut self, sender: &str, now: Instant) -> bool {
        self.count(sender, now) < self.per_window
    }

    /// Notes a reply to `sender` at `now`, pending until [`ReplyLimit::committed`].
    pub fn note(&mut self, sender: &str, now: Instant) {
        self.pending.push((sender.to_string(), now));
    }

    /// The pending replies were recorded: they count from now on.
    pub fn committed(&mut self) {
        for (sender, at) in self.pending.drain(..) {
            self.sent.entry(sender).or_default().push_back(at);
        }
    }

    /// The pending replies were not recorded: their mails will be handled again.
    pub fn abandoned(&mut self) {
        self.pending.clear();
    }

    /// The senders at the limit at `now`, each with when its oldest reply leaves the window.
    pub fn full(&mut self, now: Instant) -> Vec<(String, Instant)> {
        self.forget_before(now);
        let mut full: Vec<(String, Instant)> = self
            .sent
            .iter()
            .filter(|(_, times)| times.len() >= self.per_window)
            .filter_map(|(sender, times)| Some((sender.clone(), *times.front()? + REPLY_WINDOW)))
            .collect();
        full.sort();
        full
    }

    fn forget_before(&mut self, now: Instant) {
        self.sent.retain(|_, times| {
            while times
                .front()
                .is_some_and(|at| now.duration_since(*at) >= REPLY_WINDOW)
            {
                times.pop_front();
            }
            !times.is_empty()
        });
    }

    fn notice(&self, sender: &str) -> Notice {
        let max = self.per_window;
        Notice::new(
            format!(
                "{sender} への返信が 1 時間に {max} 通に達しました（--replies-per-hour）: メールループを防ぐため、実行も返信もせずに削除しました"
            ),
            format!(
                "{sender} has had {max} replies within an hour (--replies-per-hour): deleted without executing or answering, so no mail loop can go on"
            ),
        )
    }
}

/// A command layer behind the guard.
pub struct Guarded {
    inner: Arc<dyn CommandLayer>,
    limit: Mutex<ReplyLimit>,
}

impl Guarded {
    /// Guards `inner`, with at most `replies_per_hour` replies per sender.
    pub fn new(inner: Arc<dyn CommandLayer>, replies_per_hour: u32) -> Self {
        Guarded {
            inner,
            limit: Mutex::new(ReplyLimit::new(replies_per_hour)),
        }
    }

    fn limit(&self) -> MutexGuard<'_, ReplyLimit> {
        // The counts stay valid values after a panic elsewhere.
        self.limit.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl CommandLayer for Guarded {
    fn handle(&self, mail: &ReceivedMail, settings: &MailSettings) -> Handling {
        let refused = |notice| Handling {
            notice: Some(notice),
            ..Handling::default()
        };
        let sender = mail.from.as_deref();
        if let Some(why) = autoreply::automatic(sender, &mail.auto, &settings.address) {
            return refused(why.notice());
        }
        let now = Instant::now();
        if let Some(sender) = sender {
            let mut limit = self.limit();
            if !limit.allows(sender, now) {
                return refused(limit.notice(sender));
            }
        }
        let handling = self.inner.handle(mail, settings);
        if let Some(sender) = sender
            && handling
                .replies
                .iter()
                .any(|r| r.to.iter().any(|to| to.eq_ignore_ascii_case(sender)))
        {
            self.limit().note(sender, now);
        }
        handling
    }

    fn store(&self, txn: &redb::WriteTransaction) -> Result<(), StoreError> {
        self.inner.store(txn)
    }

    fn committed(&self) {
        self.limit().committed();
        self.inner.committed();
    }

    fn abandoned(&self) {
        self.limit().abandoned();
        self.inner.abandoned();
    }

    fn holds(&self, now: Instant, now_unix: u64) -> Vec<Hold> {
        let mut limit = self.limit();
        let max = u32::try_from(limit.per_window).unwrap_or(u32::MAX);
        let mut holds: Vec<Hold> = limit
            .full(now)
            .into_iter()
            .map(|(sender, until)| Hold::ReplyLimit {
                sender,
                max,
                until_unix: unix_at(until, now, now_unix),
            })
            .collect();
        drop(limit);
        holds.extend(self.inner.holds(now, now_unix));
        holds
    }

    fn reset(&self) {
        let mut limit = self.limit();
        limit.sent.clear();
        limit.pending.clear();
        drop(limit);
        self.inner.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::commands::EchoLayer;
    use crate::mail::message as mail;

    const PHONE: &str = "operator@sandbox.test";

    #[test]
    fn replies_per_sender_are_limited_within_the_hour() {
        let start = Instant::now();
        let mut limit = ReplyLimit::new(2);
        for n in 0..2 {
            assert!(limit.allows(PHONE, start));
            limit.note(PHONE, start + Duration::from_secs(n));
        }
        assert!(!limit.allows(PHONE, start), "pending replies count");
        assert!(limit.allows("chief@sandbox.test", start), "per sender");
        limit.abandoned();
        assert!(limit.allows(PHONE, start), "abandoned replies do not");
        limit.note(PHONE, start);
        limit.note(PHONE, start + Duration::from_secs(1));
        limit.committed();
        assert_eq!(
            limit.full(start),
            vec![(PHONE.to_string(), start + REPLY_WINDOW)],
            "held until the oldest reply leaves the hour"
        );
        assert!(!limit.allows(PHONE, start + REPLY_WINDOW - Duration::from_secs(1)));
        assert_eq!(limit.count(PHONE, start + REPLY_WINDOW), 1);
        assert!(limit.allows(PHONE, start + REPLY_WINDOW), "an hour later");
    }

    fn phone_mail(extra: &str) -> ReceivedMail {
        let raw = format!("From: {PHONE}\r\nSubject: LIST\r\n{extra}\r\nLIST\r\n");
        mail::parse(raw.as_bytes()).unwrap()
    }

    #[test]
    fn automatic_mail_and_mail_over_the_limit_get_nothing() {
        let guard = Guarded::new(Arc::new(EchoLayer), 1);
        let settings = MailSettings::sandbox_demo();
        let vacation = phone_mail("Auto-Submitted: auto-replied\r\n");
        let handling = guard.handle(&vacation, &settings);
        assert!(handling.replies.is_empty());
        assert!(handling.notice.unwrap().en.contains("auto-replied"));

        assert_eq!(guard.handle(&phone_mail(""), &settings).replies.len(), 1);
        guard.committed();
        let handling = guard.handle(&phone_mail(""), &settings);
        assert!(handling.replies.is_empty(), "over the limit");
        assert!(handling.notice.unwrap().en.contains("--replies-per-hour"));
    }

    /// The reply keeps the sender's spelling; the limit counts it all the same.
    #[test]
    fn a_sender_spelled_in_capitals_is_limited_too() {
        let guard = Guarded::new(Arc::new(EchoLayer), 1);
        let settings = MailSettings::sandbox_demo();
        let raw = b"From: Operator@Sandbox.Test\r\nSubject: LIST\r\n\r\nLIST\r\n";
        let mail = mail::parse(raw).unwrap();
        let handling = guard.handle(&mail, &settings);
        assert_eq!(handling.replies[0].to, ["Operator@Sandbox.Test"]);
        guard.committed();
        assert!(
            guard.handle(&mail, &settings).replies.is_empty(),
            "over the limit"
        );
    }
}
