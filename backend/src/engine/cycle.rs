//! One mail cycle under the applied settings, streaming: the receiving side (POP3: list,
//! retrieve in pipelined groups, hand to the command layer, record, delete, quit) and the
//! sending side (a pool of SMTP connections, see [`sender`](super::sender)) run side by side.
//! Executions are recorded in batches, one durable transaction each, and each batch's replies
//! go to the sender as soon as it is recorded — while the mailbox is still being read — so the
//! first reply leaves within a batch's time of the start, whatever the backlog. The guarantees
//! stay those of the [`ledger`]: an execution is durable before its mail is deleted (exactly
//! once), a reply is in the outbox before it is handed to the sender (at least once).

use std::collections::HashMap;
use std::sync::Arc;

use shared::status::{MailError, MailStatus};
use shared::transcript::{Notice, Service};
use tokio::sync::mpsc;

use super::Engine;
use super::batch::Batch;
use super::ledger;
use super::sender::{Feed, Progress};
use super::settings::StoredSettings;
use crate::mail::Transcript;
use crate::mail::message as mail;
use crate::mailclient::pop3::{Phase, Pop3Session, Security};
use crate::mailclient::{ClientError, Route, Trust};
use shared::settings::MailSettings;

/// Mails retrieved in one pipelined group at most.
const GROUP_MAILS: usize = 32;
/// A group closes once its mails (by LIST) reach this many octets.
const GROUP_OCTETS: u64 = 1024 * 1024;

/// The first batch of a cycle is recorded, and its replies handed to the sender, after this
/// many mails at most: the first reply does not wait for a full batch.
const FIRST_BATCH: usize = 10;

/// A mail to retrieve and execute.
struct Wanted {
    number: u32,
    uid: String,
    /// Its `uidl:` id.
    ids: Vec<String>,
}

/// The receiving side's state through one mailbox.
struct Reading<'a> {
    settings: &'a MailSettings,
    session: Pop3Session,
    batch: Batch,
    feed: &'a mpsc::UnboundedSender<Feed>,
    progress: &'a Progress,
    index: u32,
    total: u32,
    /// A batch was recorded in this cycle.
    settled: bool,
}

/// The sender's task, stopped when the cycle is dropped (RST, shutdown).
struct Sending(tokio::task::JoinHandle<Result<(), ClientError>>);

impl Drop for Sending {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Engine {
    /// Runs one cycle. `receive` is false when only the outbox is due.
    pub(super) async fn cycle(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
        receive: bool,
    ) -> Result<(), ClientError> {
        let progress = Arc::new(Progress::default());
        if !receive {
            return self.send_outbox(applied, trust, &progress, None).await;
        }
        let (feed, fed) = mpsc::unbounded_channel();
        // Its own task, so the receiving side's executions and commits do not hold it up.
        let mut sending = Sending(tokio::spawn({
            let (engine, applied, trust) = (self.clone(), applied.clone(), trust.clone());
            let progress = Arc::clone(&progress);
            async move {
                engine
                    .send_outbox(&applied, &trust, &progress, Some(fed))
                    .await
            }
        }));
        let received = self.receive(applied, trust, &progress, feed).await;
        let sent = (&mut sending.0).await.unwrap_or_else(|err| {
            Err(ClientError::new(
                MailError::Protocol,
                Notice::new(
                    format!("送信タスクが異常終了しました: {err}"),
                    format!("the sending task failed: {err}"),
                ),
            ))
        });
        received.and(sent)
    }

    pub(super) async fn pop_session(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
    ) -> Result<Pop3Session, ClientError> {
        let settings = &applied.settings;
        let server = self.pop_route(settings)?;
        self.set_status(MailStatus::PopConnect);
        let transcript = self.inner.dialogue.session(Service::Pop3);
        let login = (settings.user.as_str(), applied.password.as_str());
        self.pop_login(server, login, trust, transcript, || {
            self.set_status(MailStatus::PopAuth);
        })
        .await
    }

    /// Connects to `server` and logs in with `login` (user, password), the dialogue going to
    /// `transcript`; `logging_in` runs between the two.
    pub(super) async fn pop_login(
        &self,
        server: (Route, Security),
        (user, password): (&str, &str),
        trust: &Trust,
        transcript: Transcript,
        logging_in: impl FnOnce(),
    ) -> Result<Pop3Session, ClientError> {
        let mut session = self
            .pop_connect(server, trust, transcript, &mut |_| {})
            .await?;
        logging_in();
        session.login(user, password).await?;
        Ok(session)
    }

    /// Connects to `server` with the engine's routes and POP3 options, the dialogue going to
    /// `transcript`, telling `progress` each phase reached.
    pub(super) async fn pop_connect(
        &self,
        (route, security): (Route, Security),
        trust: &Trust,
        transcript: Transcript,
        progress: &mut (dyn FnMut(Phase) + Send),
    ) -> Result<Pop3Session, ClientError> {
        let options = self.inner.options.pop3;
        let routes = &self.inner.routes;
        let transcript = Some(transcript);
        Pop3Session::connect_reporting(
            routes, trust, &route, security, options, transcript, progress,
        )
        .await
    }

    /// The receiving side; `feed` closes when it returns, which ends the sender's work.
    async fn receive(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
        progress: &Progress,
        feed: mpsc::UnboundedSender<Feed>,
    ) -> Result<(), ClientError> {
        let session = self.pop_session(applied, trust).await?;
        // The sender may start: with PopBeforeSmtp this login has opened the SMTP server.
        let _ = feed.send(Feed::Open);
        let mut reading = Reading {
            settings: &applied.settings,
            session,
            batch: Batch::default(),
            feed: &feed,
            progress,
            index: 0,
            total: 0,
            settled: false,
        };
        let result = self.receive_all(&mut reading).await;
        progress.received(self);
        if let Err(err) = result {
            // Mails executed only on the plant copy are forgotten: they run again next time.
            self.inner.commands.abandoned();
            return Err(err);
        }
        reading.session.quit().await
    }

    async fn receive_all(&self, reading: &mut Reading<'_>) -> Result<(), ClientError> {
        let uids = reading.session.uidl().await?;
        let sizes: HashMap<u32, u64> = reading.session.list().await?.into_iter().collect();
        reading.total = uids.len() as u32;
        let (mut group, mut octets, mut stale) = (Vec::new(), 0u64, Vec::new());
        for (number, uid) in uids {
            let size = sizes.get(&number).copied().unwrap_or(0);
            let Some(wanted) = self.wanted(reading.settings, number, uid, size, &mut stale)? else {
                reading.index += 1;
                continue;
            };
            group.push(wanted);
            octets += size;
            if group.len() >= GROUP_MAILS || octets >= GROUP_OCTETS {
                // Executed before a crash or a lost connection: only the deletion is left.
                reading
                    .session
                    .dele_many(&std::mem::take(&mut stale))
                    .await?;
                self.take_group(reading, std::mem::take(&mut group)).await?;
                octets = 0;
            }
        }
        reading.session.dele_many(&stale).await?;
        self.take_group(reading, group).await?;
        self.settle(reading).await
    }

    /// Message `number` if it is to be retrieved: not when it was executed before or is over
    /// the size limit (then it goes to `stale`, to be deleted). Read mail is not left on the
    /// server, as the manual says, and one left there would be met again every cycle; an
    /// oversized mail is no command a phone writes, so it is deleted unread with a notice in
    /// the log, and no reply goes to a sender nobody has checked.
    fn wanted(
        &self,
        settings: &MailSettings,
        number: u32,
        uid: String,
        size: u64,
        stale: &mut Vec<u32>,
    ) -> Result<Option<Wanted>, ClientError> {
        let ids = vec![format!(
            "uidl:{}@{}:{uid}",
            settings.user, settings.pop_server
        )];
        if self.inner.ledger.was_executed(&ids).map_err(store_failed)? {
            stale.push(number);
            return Ok(None);
        }
        let max = self.inner.options.pop3.max_message;
        if size > max as u64 {
            tracing::warn!(uid, size, max, "oversized mail deleted unread");
            self.notice(Notice::new(
                format!(
                    "メール {uid}（{size} オクテット）は上限 {max} オクテットを超えるため、読まずに削除しました（返信はしません）"
                ),
                format!(
                    "message {uid} ({size} octets) is over the limit of {max} octets: deleted unread, no reply"
                ),
            ));
            stale.push(number);
            return Ok(None);
        }
        Ok(Some(Wanted { number, uid, ids }))
    }

    /// Retrieves `group` in one pipelined exchange and executes its mails in order, recording
    /// whenever the batch is due.
    async fn take_group(
        &self,
        reading: &mut Reading<'_>,
        group: Vec<Wanted>,
    ) -> Result<(), ClientError> {
        if group.is_empty() {
            return Ok(());
        }
        let numbers: Vec<u32> = group.iter().map(|w| w.number).collect();
        let raws = reading.session.retr_many(&numbers).await?;
        for (wanted, raw) in group.into_iter().zip(raws) {
            reading.index += 1;
            let status = MailStatus::PopReceive {
                index: reading.index,
                total: reading.total,
            };
            reading.progress.receiving(self, status);
            self.execute(reading.settings, &mut reading.batch, wanted, &raw)?;
            let first_due = !reading.settled && reading.batch.len() >= FIRST_BATCH;
            if first_due || reading.batch.is_due() {
                self.settle(reading).await?;
            }
        }
        Ok(())
    }

    /// Executes one retrieved mail into `batch`.
    fn execute(
        &self,
        settings: &MailSettings,
        batch: &mut Batch,
        wanted: Wanted,
        raw: &[u8],
    ) -> Result<(), ClientError> {
        let Wanted {
            number,
            uid,
            mut ids,
        } = wanted;
        let Some(received) = mail::parse(raw) else {
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

    /// Records the batch, hands its replies to the sender, then deletes its mails: never
    /// before their execution is durable.
    async fn settle(&self, reading: &mut Reading<'_>) -> Result<(), ClientError> {
        if reading.batch.is_empty() {
            return Ok(());
        }
        let recorded = reading
            .batch
            .record(&self.inner.ledger, self.inner.commands.as_ref())
            .map_err(store_failed)?;
        self.inner.commands.committed();
        reading.settled = true;
        self.publish_counts();
        if !recorded.queued.is_empty() {
            let _ = reading.feed.send(Feed::Queued(recorded.queued));
        }
        reading.session.dele_many(&recorded.numbers).await
    }
}

pub(super) fn store_failed(err: crate::store::StoreError) -> ClientError {
    ClientError::new(MailError::LocalStore, err.notice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_failure_is_reported_as_the_store_not_the_server() {
        let err = store_failed(crate::store::StoreError::Database(redb::Error::Corrupted(
            "test".into(),
        )));
        assert_eq!(err.kind, MailError::LocalStore);
        assert_eq!(err.kind.code(), "err store");
        assert!(!err.detail.is_empty());
    }
}
