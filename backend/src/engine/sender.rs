//! The sending side of a mail cycle: a small pool of SMTP connections (`--smtp-connections`)
//! that take outbox mails as they become sendable — what was due when the cycle started, then
//! the replies the receiving side records while it is still reading the mailbox — and send them
//! side by side. A connection is opened only once there is a mail for it, so one reply opens
//! one connection. With PopBeforeSmtp the pool waits for the cycle's POP login (see [`Feed`]).
//!
//! Sent mails leave the outbox together, at least every [`batch::MAX_WAIT`]; a crash before
//! that sends them again (at least once). The first failure stops the pool: the failed mail
//! waits out its backoff, the others stay due for the next cycle, and the error is the cycle's.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::future::join_all;
use shared::status::MailStatus;
use shared::transcript::Service;
use tokio::sync::mpsc;

use super::Engine;
use super::batch;
use super::cycle::store_failed;
use super::ledger::OutboxMeta;
use super::settings::StoredSettings;
use crate::mail::Transcript;
use crate::mail::clock::now_unix_ms;
use crate::mailclient::smtp::{Outgoing, SmtpSession, SmtpTarget};
use crate::mailclient::{ClientError, Trust};

/// Outbox mails taken at the start of a cycle at most (their entries stay in memory until
/// sent); the rest go in the next cycle, which comes within a second.
const FIRST_TAKE: usize = 10_000;
/// Sent mails that leave the outbox in one transaction at most.
const SENT_BATCH: usize = 100;

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
        if feed.is_none() {
            if first.is_empty() {
                return Ok(());
            }
            self.pop_before_smtp(applied, trust).await?;
        }
        let target = self.smtp_target(&applied.settings, &applied.password)?;
        let (work, queue) = mpsc::unbounded_channel();
        let pool = Pool {
            engine: self,
            trust,
            target,
            progress,
            work: tokio::sync::Mutex::new(queue),
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

    /// Records a failed attempt at mail `id`, which waits out its backoff before the next.
    fn back_off(&self, id: u64, meta: OutboxMeta) -> Result<(), ClientError> {
        let backoff = self.backoff(meta.attempts);
        self.inner
            .ledger
            .failed(id, meta, backoff)
            .map_err(store_failed)
    }

    /// The wait before the next attempt after `attempts` failures: 1, 2, 4 … 64 minutes,
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
                    Ok(opened) => open = Some(opened),
                    Err(err) => return self.failed(id, meta, err),
                }
            }
            let (session, transcript) = open.as_mut().expect("opened above");
            if let Err(err) = self.send(session, transcript, id, &meta).await {
                return self.failed(id, meta, err);
            }
        }
        if let Some((session, _)) = open {
            session.quit().await;
        }
    }

    async fn open(&self) -> Result<(SmtpSession, Transcript), ClientError> {
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

    /// Stops the pool: `id` waits out its backoff, the others stay due.
    fn failed(&self, id: u64, meta: OutboxMeta, err: ClientError) {
        let err = match self.engine.back_off(id, meta) {
            Ok(()) => err,
            Err(store) => store,
        };
        lock(&self.tally).error.get_or_insert(err);
    }

    /// Takes what was sent out of the outbox; the first failure, if any.
    fn finish(self) -> Result<(), ClientError> {
        let tally = self.tally.into_inner().unwrap_or_else(|p| p.into_inner());
        self.engine.mark_sent(&tally.sent)?;
        tally.error.map_or(Ok(()), Err)
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
