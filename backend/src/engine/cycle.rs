//! One mail cycle under the applied settings: receive (POP3: list, retrieve, hand to the command
//! layer, record, delete, quit), then send the outbox (SMTP, with PopBeforeSmtp or AUTH LOGIN).
//! Progress goes to the status display as it happens. Executions are recorded, and sent mails
//! leave the outbox, in batches: one durable transaction each rather than one per mail.

use std::collections::HashMap;
use std::time::Instant;

use shared::status::{MailError, MailStatus};
use shared::transcript::{Notice, Service};

use super::Engine;
use super::batch::{self, Batch};
use super::ledger::{self, OutboxMeta};
use super::settings::StoredSettings;
use crate::mail::Transcript;
use crate::mail::clock::now_unix_ms;
use crate::mail::message as mail;
use crate::mailclient::pop3::Pop3Session;
use crate::mailclient::smtp::{Outgoing, SmtpSession};
use crate::mailclient::{ClientError, Trust};

/// Outbox mails sent per cycle at most; the rest wait for the next.
const SEND_BATCH: usize = 100;

impl Engine {
    /// Runs one cycle. `receive` is false when only the outbox is due.
    pub(super) async fn cycle(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
        receive: bool,
    ) -> Result<(), ClientError> {
        if receive {
            self.receive(applied, trust).await?;
        }
        self.send_outbox(applied, trust, !receive).await
    }

    async fn pop_session(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
    ) -> Result<Pop3Session, ClientError> {
        let settings = &applied.settings;
        let (route, security) = self.pop_route(settings)?;
        self.set_status(MailStatus::PopConnect);
        let transcript = self.inner.dialogue.session(Service::Pop3);
        let mut session = Pop3Session::connect(
            &self.inner.routes,
            trust,
            &route,
            security,
            self.inner.options.pop3,
            Some(transcript),
        )
        .await?;
        self.set_status(MailStatus::PopAuth);
        session.login(&settings.user, &applied.password).await?;
        Ok(session)
    }

    async fn receive(&self, applied: &StoredSettings, trust: &Trust) -> Result<(), ClientError> {
        let mut session = self.pop_session(applied, trust).await?;
        let mut batch = Batch::default();
        if let Err(err) = self.receive_all(applied, &mut session, &mut batch).await {
            // Mails executed only on the plant copy are forgotten: they run again next time.
            self.inner.commands.abandoned();
            return Err(err);
        }
        session.quit().await
    }

    async fn receive_all(
        &self,
        applied: &StoredSettings,
        session: &mut Pop3Session,
        batch: &mut Batch,
    ) -> Result<(), ClientError> {
        let uids = session.uidl().await?;
        let sizes: HashMap<u32, u64> = session.list().await?.into_iter().collect();
        let total = uids.len() as u32;
        for (index, (number, uid)) in uids.into_iter().enumerate() {
            self.set_status(MailStatus::PopReceive {
                index: index as u32 + 1,
                total,
            });
            let size = sizes.get(&number).copied().unwrap_or(0);
            self.take_mail(applied, session, batch, number, &uid, size)
                .await?;
            if batch.is_due() {
                self.settle(session, batch).await?;
            }
        }
        self.settle(session, batch).await
    }

    /// Executes message `number` into `batch`, unless it was executed before (then it is deleted
    /// at once) or is too large (then it stays on the server).
    async fn take_mail(
        &self,
        applied: &StoredSettings,
        session: &mut Pop3Session,
        batch: &mut Batch,
        number: u32,
        uid: &str,
        size: u64,
    ) -> Result<(), ClientError> {
        let settings = &applied.settings;
        let mut ids = vec![format!(
            "uidl:{}@{}:{uid}",
            settings.user, settings.pop_server
        )];
        if self.inner.ledger.was_executed(&ids).map_err(store_failed)? {
            // Executed before a crash or a lost connection: only the deletion is left.
            return session.dele(number).await;
        }
        if size > self.inner.options.pop3.max_message as u64 {
            self.notice(Notice::new(
                format!("メール {uid}（{size} オクテット）は大きすぎるため、サーバに残しました"),
                format!("message {uid} ({size} octets) is over the size limit: left on the server"),
            ));
            return Ok(());
        }
        let raw = session.retr(number).await?;
        let Some(received) = mail::parse(&raw) else {
            self.notice(Notice::new(
                format!("メール {uid} はメールとして読めません: 返信せずに削除しました"),
                format!("message {uid} is not a mail: deleted without a reply"),
            ));
            batch.add(number, ids, Vec::new());
            return Ok(());
        };
        if let Some(id) = &received.message_id {
            ids.push(ledger::message_id_key(received.from.as_deref(), id));
        }
        let message_ids = &ids[1..];
        if batch.contains(message_ids)
            || self
                .inner
                .ledger
                .was_executed(message_ids)
                .map_err(store_failed)?
        {
            self.notice(Notice::new(
                format!("メール {uid} は実行済みです（同じ Message-ID）"),
                format!("message {uid} was executed before (same Message-ID)"),
            ));
            ids.truncate(1);
            batch.add(number, ids, Vec::new());
            return Ok(());
        }
        let handling = self.inner.commands.handle(&received, settings);
        self.handled(&received, !handling.replies.is_empty());
        if let Some(notice) = handling.notice {
            self.notice(notice);
        }
        batch.add(number, ids, handling.replies);
        Ok(())
    }

    /// Records the batch, then deletes its mails: never before their execution is durable.
    async fn settle(
        &self,
        session: &mut Pop3Session,
        batch: &mut Batch,
    ) -> Result<(), ClientError> {
        if batch.is_empty() {
            return Ok(());
        }
        let numbers = batch
            .record(&self.inner.ledger, self.inner.commands.as_ref())
            .map_err(store_failed)?;
        self.inner.commands.committed();
        self.publish_counts();
        for number in numbers {
            session.dele(number).await?;
        }
        Ok(())
    }

    async fn send_outbox(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
        pop_needed: bool,
    ) -> Result<(), ClientError> {
        let due = self
            .inner
            .ledger
            .due(now_unix_ms(), SEND_BATCH)
            .map_err(store_failed)?;
        if due.is_empty() {
            return Ok(());
        }
        let settings = &applied.settings;
        if settings.pop_before_smtp && pop_needed {
            // PopBeforeSmtp: a POP login from this address opens the SMTP server for a while.
            let session = self.pop_session(applied, trust).await?;
            self.set_status(MailStatus::SmtpAuth);
            session.quit().await?;
        }
        let target = self.smtp_target(settings, &applied.password)?;
        let mut total = due.len() as u32;
        let transcript = self.inner.dialogue.session(Service::Smtp);
        self.set_status(MailStatus::SmtpConnect);
        // The whole batch goes over one connection.
        let opened = SmtpSession::open(&self.inner.routes, trust, &target, Some(&transcript)).await;
        let mut session = match opened {
            Ok(session) => session,
            Err(err) => {
                let (id, meta) = due.into_iter().next().expect("due is not empty");
                self.back_off(id, meta)?;
                return Err(err);
            }
        };
        let mut due = due;
        let mut done = 0u32;
        // Batches of SEND_BATCH keep memory small; all of them go over this one connection.
        loop {
            let batch = due.len() as u32;
            self.send_due(&mut session, &transcript, due, done, total)
                .await?;
            done += batch;
            due = self
                .inner
                .ledger
                .due(now_unix_ms(), SEND_BATCH)
                .map_err(store_failed)?;
            if due.is_empty() {
                break;
            }
            total = done + due.len() as u32;
        }
        session.quit().await;
        Ok(())
    }

    /// Records a failed attempt at mail `id`, which waits out its backoff before the next.
    fn back_off(&self, id: u64, meta: OutboxMeta) -> Result<(), ClientError> {
        let backoff = self.backoff(meta.attempts);
        self.inner
            .ledger
            .failed(id, meta, backoff)
            .map_err(store_failed)
    }

    /// Sends `due`, the `done`+1st … of `total` mails. Sent mails leave the outbox together, at
    /// least every [`batch::MAX_WAIT`]; a crash before that sends them again (at least once).
    async fn send_due(
        &self,
        session: &mut SmtpSession,
        transcript: &Transcript,
        due: Vec<(u64, OutboxMeta)>,
        done: u32,
        total: u32,
    ) -> Result<(), ClientError> {
        let mut sent = Vec::with_capacity(due.len());
        let mut since = Instant::now();
        for (index, (id, meta)) in due.into_iter().enumerate() {
            self.set_status(MailStatus::SmtpSend {
                index: done + index as u32 + 1,
                total,
            });
            let Some(message) = self.inner.ledger.body(id).map_err(store_failed)? else {
                // An entry without a body can never be sent: drop it rather than retry forever.
                tracing::error!(id, "outbox entry without a message dropped");
                sent.push(id);
                continue;
            };
            let mail = Outgoing {
                from: &meta.from,
                to: &meta.to,
                message: &message,
            };
            if let Err(err) = session.send(mail, Some(transcript)).await {
                self.mark_sent(&sent)?;
                self.back_off(id, meta)?;
                // The server's problem is everyone's: the rest waits for the next cycle.
                return Err(err);
            }
            sent.push(id);
            if since.elapsed() >= batch::MAX_WAIT {
                self.mark_sent(&std::mem::take(&mut sent))?;
                since = Instant::now();
            }
        }
        self.mark_sent(&sent)
    }

    fn mark_sent(&self, ids: &[u64]) -> Result<(), ClientError> {
        if !ids.is_empty() {
            self.inner.ledger.sent(ids).map_err(store_failed)?;
            self.publish_counts();
        }
        Ok(())
    }

    /// The wait before the next attempt after `attempts` failures: 1, 2, 4 … 64 minutes,
    /// shortened by the demo time scale (fractions kept: at 40, a minute is 1.5 s).
    fn backoff(&self, attempts: u32) -> std::time::Duration {
        let minutes = 1u64 << attempts.min(6);
        self.scaled(std::time::Duration::from_secs(minutes * 60))
    }
}

fn store_failed(err: crate::store::StoreError) -> ClientError {
    ClientError::new(MailError::Protocol, format!("local store: {err}"))
}
