//! The sending side of a mail cycle: a small pool of SMTP connections (`--smtp-connections`)
//! that take outbox mails as they become sendable — what was due when the cycle started, then
//! the replies the receiving side records while it is still reading the mailbox — and send them
//! side by side. A connection is opened only once there is a mail for it, so one reply opens
//! one connection. With PopBeforeSmtp the pool waits for the cycle's POP login (see [`Feed`]).
//!
//! Sent mails leave the outbox together, at least every [`batch::MAX_WAIT`]; a crash before
//! that sends them again (at least once). Failures are of two kinds, as in Postfix:
//! - the server refuses one mail for good (5xx to MAIL, RCPT or DATA): that mail waits out a
//!   backoff of its own and is given up after [`MAX_REFUSALS`] tries, which the protocol log and
//!   frame (3) say; the pool goes on with the other mails;
//! - anything else (no connection, timeout, 4xx, refused AUTH) is the server's: the pool stops,
//!   every mail stays due, and the server is not tried again before its backoff
//!   ([`ServerBackoff`]) has passed; the error is the cycle's.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::future::join_all;
use shared::status::MailStatus;
use shared::transcript::{Notice, Service};
use tokio::sync::mpsc;

use super::Engine;
use super::batch;
use super::cycle::store_failed;
use super::ledger::OutboxMeta;
use super::settings::StoredSettings;
use crate::mail::Transcript;
use crate::mail::clock::now_unix_ms;
use crate::mailclient::smtp::{Outgoing, SmtpSession, SmtpTarget, refuses_the_mail};
use crate::mailclient::{ClientError, Trust};

/// Outbox mails taken at the start of a cycle at most (their entries stay in memory until
/// sent); the rest go in the next cycle, which comes within a second.
const FIRST_TAKE: usize = 10_000;
/// Sent mails that leave the outbox in one transaction at most.
const SENT_BATCH: usize = 100;
/// Tries of a mail the server refuses for good before it is given up. Postfix returns a mail at
/// the first 5xx; an alarm is worth a few tries more, spread over the backoff, for a server that
/// answers 5xx to a passing trouble of its own (a full mailbox, a filter being fixed), while a
/// mail that can never go still leaves the outbox instead of being tried for ever.
pub(super) const MAX_REFUSALS: u32 = 3;

/// When the SMTP server may be tried again after a failure that was not one mail's. One
/// schedule for the server, whatever the number of mails waiting — as Postfix's queue manager
/// holds back a dead destination rather than timing each mail — so an outage of the ISP sees
/// one attempt per backoff, not one per mail.
#[derive(Debug, Default)]
pub(super) struct ServerBackoff {
    held: Option<Held>,
}

#[derive(Debug)]
struct Held {
    /// `host:port` of the server.
    server: String,
    /// Failures in a row.
    failures: u32,
    /// Not before this time (Unix milliseconds).
    until_ms: u64,
}

impl ServerBackoff {
    /// Until when (Unix milliseconds) `server` is not to be tried, if it is held at `now_ms`.
    pub(super) fn held_until(&self, server: &str, now_ms: u64) -> Option<u64> {
        self.held
            .as_ref()
            .filter(|h| h.server == server && h.until_ms > now_ms)
            .map(|h| h.until_ms)
    }

    /// When a held server may be tried again (Unix milliseconds), if one is held.
    pub(super) fn until_ms(&self) -> Option<u64> {
        self.held.as_ref().map(|h| h.until_ms)
    }

    /// `server` failed at `now_ms`; `wait` gives the pause after so many failures in a row
    /// before this one.
    pub(super) fn failed(
        &mut self,
        server: &str,
        now_ms: u64,
        wait: impl FnOnce(u32) -> std::time::Duration,
    ) {
        let failures = match &self.held {
            Some(h) if h.server == server => h.failures,
            _ => 0,
        };
        self.held = Some(Held {
            server: server.to_string(),
            failures: failures + 1,
            until_ms: now_ms + wait(failures).as_millis() as u64,
        });
    }

    /// `server` took mail: its schedule starts over.
    pub(super) fn succeeded(&mut self, server: &str) {
        if self.held.as_ref().is_some_and(|h| h.server == server) {
            self.held = None;
        }
    }

    /// Forgets the schedule: the settings were applied anew (RST), so the operator may just
    /// have fixed what failed.
    pub(super) fn clear(&mut self) {
        self.held = None;
    }
}

/// An outbox entry to send.
pub(super) type Due = (u64, OutboxMeta);

/// What the receiving side tells the sender.
#[derive(Debug)]
pub(super) enum Feed {
    /// The POP login succeeded (which, with PopBeforeSmtp, opens the SMTP server): send.
    Open,
    /// Replies just recorded in the outbox.
    Queued(Vec<Due>),
}

/// The status display while receiving and sending overlap: the receiving side's progress is
/// shown, the sender's only once receiving is over.
#[derive(Default)]
pub(super) struct Progress {
    receiving: AtomicBool,
    sending: Mutex<Option<MailStatus>>,
}

impl Progress {
    pub(super) fn receiving(&self, engine: &Engine, status: MailStatus) {
        self.receiving.store(true, Ordering::Relaxed);
        engine.set_status(status);
    }

    /// Receiving is over: the sender's state is what is going on now.
    pub(super) fn received(&self, engine: &Engine) {
        self.receiving.store(false, Ordering::Relaxed);
        if let Some(status) = lock(&self.sending).clone() {
            engine.set_status(status);
        }
    }

    fn sending(&self, engine: &Engine, status: MailStatus) {
        *lock(&self.sending) = Some(status.clone());
        if !self.receiving.load(Ordering::Relaxed) {
            engine.set_status(status);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing held here is left half-changed by a panic.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The pool's shared state.
struct Pool<'a> {
    engine: &'a Engine,
    trust: &'a Trust,
    target: SmtpTarget,
    progress: &'a Progress,
    work: tokio::sync::Mutex<mpsc::UnboundedReceiver<Due>>,
    tally: Mutex<Tally>,
    /// True once a connection of this cycle has opened: until then connections open one at a
    /// time, so a server that is down sees one attempt, not one per worker (Postfix, too,
    /// probes a destination that failed with a single connection).
    reached: tokio::sync::Mutex<bool>,
}

/// What the pool did so far.
struct Tally {
    /// Sent, not yet out of the outbox.
    sent: Vec<u64>,
    since: Instant,
    /// Mails handed to the pool, and sent, in this cycle.
    queued: u32,
    done: u32,
    /// The first failure; it stops the pool.
    error: Option<ClientError>,
}

impl Engine {
    /// Sends the outbox over the pool. With a `feed` (a receiving cycle) it waits for
    /// [`Feed::Open`] and then also sends what the feed brings until it closes; without one it
    /// sends what is due now, after a PopBeforeSmtp login of its own when the settings ask.
    pub(super) async fn send_outbox(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
        progress: &Progress,
        mut feed: Option<mpsc::UnboundedReceiver<Feed>>,
    ) -> Result<(), ClientError> {
        if let Some(feed) = &mut feed
            && !matches!(feed.recv().await, Some(Feed::Open))
        {
            // Receiving failed before its login: this cycle sends nothing, as before.
            return Ok(());
        }
        let first = self
            .inner
            .ledger
            .due(now_unix_ms(), FIRST_TAKE)
            .map_err(store_failed)?;
        if feed.is_none() && first.is_empty() {
            return Ok(());
        }
        let target = self.smtp_target(&applied.settings, &applied.password)?;
        if self.smtp_held(&target) {
            // The server waits out its backoff; what this cycle records stays in the outbox.
            return Ok(());
        }
        if feed.is_none() {
            self.pop_before_smtp(applied, trust).await?;
        }
        let (work, queue) = mpsc::unbounded_channel();
        let pool = Pool {
            engine: self,
            trust,
            target,
            progress,
            work: tokio::sync::Mutex::new(queue),
            reached: tokio::sync::Mutex::new(false),
            tally: Mutex::new(Tally {
                sent: Vec::new(),
                since: Instant::now(),
                queued: 0,
                done: 0,
                error: None,
            }),
        };
        let workers = (0..self.inner.options.smtp_connections.max(1)).map(|_| pool.worker());
        tokio::join!(pool.dispatch(first, feed, work), join_all(workers));
        pool.finish()
    }

    /// PopBeforeSmtp: a POP login from this address opens the SMTP server for a while.
    async fn pop_before_smtp(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
    ) -> Result<(), ClientError> {
        if !applied.settings.pop_before_smtp {
            return Ok(());
        }
        let session = self.pop_session(applied, trust).await?;
        self.set_status(MailStatus::SmtpAuth);
        session.quit().await
    }

    /// True while the server of `target` waits out its backoff.
    fn smtp_held(&self, target: &SmtpTarget) -> bool {
        lock(&self.inner.smtp_backoff)
            .held_until(&target.route.target(), now_unix_ms())
            .is_some()
    }

    /// When the SMTP server may be tried again (Unix milliseconds), while it is held.
    pub(super) fn smtp_held_until_ms(&self) -> Option<u64> {
        let now = now_unix_ms();
        lock(&self.inner.smtp_backoff)
            .until_ms()
            .filter(|&until| until > now)
    }

    /// Forgets the SMTP server's backoff (RST).
    pub(super) fn forget_smtp_backoff(&self) {
        lock(&self.inner.smtp_backoff).clear();
    }

    /// The server refused mail `id` for good: it waits out its own backoff, or leaves the
    /// outbox after [`MAX_REFUSALS`] tries — said in the protocol log and in frame (3), never
    /// silently.
    fn refused(
        &self,
        id: u64,
        meta: OutboxMeta,
        err: &ClientError,
        transcript: &Transcript,
    ) -> Result<(), ClientError> {
        let tries = meta.attempts + 1;
        if tries < MAX_REFUSALS {
            let backoff = self.backoff(meta.attempts);
            return self
                .inner
                .ledger
                .failed(id, meta, backoff)
                .map_err(store_failed);
        }
        self.inner.ledger.give_up(id).map_err(store_failed)?;
        let notice = given_up_notice(&meta.to, tries, &err.detail);
        tracing::error!(id, notice = %notice.en, "outbox mail given up");
        transcript.notice(&notice);
        let failure = shared::engine::Failure {
            at_unix: crate::mail::clock::now_unix(),
            error: err.kind,
            detail: notice,
        };
        self.inner
            .state
            .send_modify(|s| s.last_failure = Some(failure));
        self.publish_counts();
        Ok(())
    }

    /// The wait before the next attempt after `attempts` failures (of the server, or of a mail
    /// it refused): 1, 2, 4 … 64 minutes,
    /// shortened by the demo time scale (fractions kept: at 40, a minute is 1.5 s).
    fn backoff(&self, attempts: u32) -> std::time::Duration {
        let minutes = 1u64 << attempts.min(6);
        self.scaled(std::time::Duration::from_secs(minutes * 60))
    }
}

impl Pool<'_> {
    /// Hands every mail to the workers once: first `first`, then what `feed` brings.
    async fn dispatch(
        &self,
        first: Vec<Due>,
        feed: Option<mpsc::UnboundedReceiver<Feed>>,
        work: mpsc::UnboundedSender<Due>,
    ) {
        let mut seen = HashSet::new();
        let mut hand = |items: Vec<Due>| {
            let fresh: Vec<Due> = items
                .into_iter()
                .filter(|(id, _)| seen.insert(*id))
                .collect();
            lock(&self.tally).queued += fresh.len() as u32;
            for item in fresh {
                // The workers are gone only after a failure: the mail stays due.
                let _ = work.send(item);
            }
        };
        hand(first);
        if let Some(mut feed) = feed {
            while let Some(message) = feed.recv().await {
                if let Feed::Queued(items) = message {
                    hand(items);
                }
            }
        }
    }

    /// The next mail for a worker; None when there is none left or the pool stopped.
    async fn next(&self) -> Option<Due> {
        if self.stopped() {
            return None;
        }
        let item = self.work.lock().await.recv().await;
        // A failure while this worker waited stops it too: the mail stays due.
        item.filter(|_| !self.stopped())
    }

    fn stopped(&self) -> bool {
        lock(&self.tally).error.is_some()
    }

    /// One connection: opened for the first mail it gets, used until there are no more.
    async fn worker(&self) {
        let mut open: Option<(SmtpSession, Transcript)> = None;
        while let Some((id, meta)) = self.next().await {
            if open.is_none() {
                match self.open().await {
                    Some(opened) => open = Some(opened),
                    // The server failed (or failed another worker meanwhile): the mail stays due.
                    None => break,
                }
            }
            let (session, transcript) = open.as_mut().expect("opened above");
            match self.send(session, transcript, id, &meta).await {
                Ok(()) => {}
                Err(err) if refuses_the_mail(&err) => {
                    // A connection is not used after a refusal: the next mail opens another.
                    let (_, transcript) = open.take().expect("opened above");
                    if let Err(err) = self.engine.refused(id, meta, &err, &transcript) {
                        return self.stop(err);
                    }
                }
                Err(err) => return self.failed(err),
            }
        }
        if let Some((session, _)) = open {
            session.quit().await;
        }
    }

    /// A new connection; None when it failed, which stops the pool, or when the pool stopped
    /// while this one waited for the first.
    async fn open(&self) -> Option<(SmtpSession, Transcript)> {
        let mut reached = self.reached.lock().await;
        if *reached {
            drop(reached);
            return self.connect().await.map_err(|err| self.failed(err)).ok();
        }
        if self.stopped() {
            return None;
        }
        match self.connect().await {
            Ok(opened) => {
                *reached = true;
                Some(opened)
            }
            // Stopped before the next worker waiting here sees the lock.
            Err(err) => {
                self.failed(err);
                None
            }
        }
    }

    async fn connect(&self) -> Result<(SmtpSession, Transcript), ClientError> {
        self.progress.sending(self.engine, MailStatus::SmtpConnect);
        let transcript = self.engine.inner.dialogue.session(Service::Smtp);
        let routes = &self.engine.inner.routes;
        let session =
            SmtpSession::open(routes, self.trust, &self.target, Some(&transcript)).await?;
        Ok((session, transcript))
    }

    async fn send(
        &self,
        session: &mut SmtpSession,
        transcript: &Transcript,
        id: u64,
        meta: &OutboxMeta,
    ) -> Result<(), ClientError> {
        let ledger = &self.engine.inner.ledger;
        let Some(message) = ledger.body(id).map_err(store_failed)? else {
            // An entry without a body can never be sent: drop it rather than retry forever.
            tracing::error!(id, "outbox entry without a message dropped");
            return self.sent(id);
        };
        let status = {
            let tally = lock(&self.tally);
            MailStatus::SmtpSend {
                index: tally.done + 1,
                total: tally.queued,
            }
        };
        self.progress.sending(self.engine, status);
        let mail = Outgoing {
            from: &meta.from,
            to: &meta.to,
            message: &message,
        };
        session.send(mail, Some(transcript)).await?;
        self.sent(id)
    }

    /// Notes a sent mail; the sent ones leave the outbox together when enough have gathered.
    fn sent(&self, id: u64) -> Result<(), ClientError> {
        let due = {
            let mut tally = lock(&self.tally);
            tally.sent.push(id);
            tally.done += 1;
            if tally.sent.len() >= SENT_BATCH || tally.since.elapsed() >= batch::MAX_WAIT {
                tally.since = Instant::now();
                std::mem::take(&mut tally.sent)
            } else {
                Vec::new()
            }
        };
        self.engine.mark_sent(&due)
    }

    /// The server failed: it waits out its backoff, and every mail stays due for then. Only
    /// the pool's first failure counts: connections failing together are one failure.
    fn failed(&self, err: ClientError) {
        let first = {
            let mut tally = lock(&self.tally);
            let first = tally.error.is_none();
            tally.error.get_or_insert(err);
            first
        };
        if first {
            let server = self.target.route.target();
            lock(&self.engine.inner.smtp_backoff).failed(&server, now_unix_ms(), |failures| {
                self.engine.backoff(failures)
            });
        }
    }

    /// Stops the pool with `err`; the first one stands.
    fn stop(&self, err: ClientError) {
        lock(&self.tally).error.get_or_insert(err);
    }

    /// Takes what was sent out of the outbox; the first failure, if any.
    fn finish(self) -> Result<(), ClientError> {
        let tally = self.tally.into_inner().unwrap_or_else(|p| p.into_inner());
        self.engine.mark_sent(&tally.sent)?;
        match tally.error {
            Some(err) => Err(err),
            None => {
                lock(&self.engine.inner.smtp_backoff).succeeded(&self.target.route.target());
                Ok(())
            }
        }
    }
}

impl Engine {
    fn mark_sent(&self, ids: &[u64]) -> Result<(), ClientError> {
        if !ids.is_empty() {
            self.inner.ledger.sent(ids).map_err(store_failed)?;
            self.publish_counts();
        }
        Ok(())
    }
}

/// What the log and frame (3) say of a mail given up: to whom, after how many tries, and the
/// server's last refusal.
fn given_up_notice(to: &[String], tries: u32, refusal: &Notice) -> Notice {
    let to = to.join(", ");
    Notice::new(
        format!(
            "{to} 宛てのメールはサーバに {tries} 回拒否されたため、送信をあきらめて送信待ちから削除しました: {}",
            refusal.ja
        ),
        format!(
            "the mail to {to} was refused {tries} times by the server: given up and removed from the outbox: {}",
            refusal.en
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_server_backoff_doubles_per_failure_and_ends_with_a_success() {
        let minutes = |failures: u32| Duration::from_secs(60 << failures);
        let mut backoff = ServerBackoff::default();
        let server = "smtp.example.jp:587";
        assert_eq!(backoff.held_until(server, 0), None);
        backoff.failed(server, 1_000, minutes);
        assert_eq!(backoff.held_until(server, 1_000), Some(61_000));
        assert_eq!(backoff.held_until("other.example.jp:587", 1_000), None);
        assert_eq!(backoff.held_until(server, 61_000), None, "due again then");
        backoff.failed(server, 61_000, minutes);
        assert_eq!(
            backoff.until_ms(),
            Some(181_000),
            "two minutes after the second"
        );
        backoff.succeeded("other.example.jp:587");
        assert_eq!(backoff.until_ms(), Some(181_000));
        backoff.succeeded(server);
        assert_eq!(backoff.until_ms(), None);
        backoff.failed(server, 200_000, minutes);
        assert_eq!(
            backoff.until_ms(),
            Some(260_000),
            "a new outage starts over"
        );
    }
}
