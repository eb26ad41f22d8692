//! The engine's durable bookkeeping: the outbox of mails to send and the ids of command mails
//! already executed. Recording an execution and queueing its reply happen in one transaction,
//! so a crash either loses both (the mail is executed again, as if never read) or keeps both
//! (the mail is only deleted next time, and the reply is still sent): exactly once, at least once.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// Outbox entries: id → JSON of [`OutboxMeta`].
const OUTBOX_META: TableDefinition<u64, &str> = TableDefinition::new("engine_outbox_meta");
/// Outbox bodies: id → the message as sent.
const OUTBOX_BODY: TableDefinition<u64, &[u8]> = TableDefinition::new("engine_outbox_body");
/// Executed mails: `uidl:…` / `msgid:…` → when, in Unix seconds.
const EXECUTED: TableDefinition<&str, u64> = TableDefinition::new("engine_executed");
/// Counters: name → value.
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("engine_counters");

/// Executed ids are forgotten after this long; a server keeping a mail longer would get it
/// executed again, which only a broken server does.
const KEEP_EXECUTED_SECS: u64 = 30 * 24 * 3600;

/// A mail waiting to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMeta {
    /// Envelope sender.
    pub from: String,
    /// Envelope recipients.
    pub to: Vec<String>,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not before this time (Unix seconds): the backoff after a failure.
    pub not_before_unix: u64,
}

/// A mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Envelope sender.
    pub from: String,
    /// Envelope recipients.
    pub to: Vec<String>,
    /// The formatted message.
    pub message: Vec<u8>,
}

/// The outbox and the executed set. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    db: Arc<Database>,
}

/// Now, in Unix seconds.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Ledger {
    /// The ledger in the back end's database.
    pub fn new(db: Arc<Database>) -> Result<Self, StoreError> {
        let txn = db.begin_write()?;
        txn.open_table(OUTBOX_META)?;
        txn.open_table(OUTBOX_BODY)?;
        txn.open_table(EXECUTED)?;
        txn.open_table(COUNTERS)?;
        txn.commit()?;
        Ok(Ledger { db })
    }

    /// True if a mail with any of these ids was executed.
    pub fn was_executed(&self, ids: &[String]) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(EXECUTED)?;
        for id in ids {
            if table.get(id.as_str())?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Records a mail as executed under all its ids and queues its replies, atomically.
    /// `documents` are stored in the same transaction (e.g. the plant's new state).
    pub fn record_execution(
        &self,
        ids: &[String],
        replies: &[NewMail],
        store_documents: impl FnOnce(&redb::WriteTransaction) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let now = now_unix();
        let txn = self.db.begin_write()?;
        {
            let mut executed = txn.open_table(EXECUTED)?;
            for id in ids {
                executed.insert(id.as_str(), now)?;
            }
            let stale: Vec<String> = executed
                .iter()?
                .filter_map(Result::ok)
                .filter(|(_, at)| now.saturating_sub(at.value()) > KEEP_EXECUTED_SECS)
                .map(|(id, _)| id.value().to_string())
                .collect();
            for id in stale {
                executed.remove(id.as_str())?;
            }
            let mut counters = txn.open_table(COUNTERS)?;
            let count = counters.get("executed")?.map_or(0, |v| v.value());
            counters.insert("executed", count + 1)?;
        }
        queue_in(&txn, replies)?;
        store_documents(&txn)?;
        txn.commit()?;
        Ok(())
    }

    /// Queues mails (alarms) on their own.
    pub fn queue(&self, mails: &[NewMail]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        queue_in(&txn, mails)?;
        txn.commit()?;
        Ok(())
    }

    /// Mails due at `now`, oldest first, at most `limit`.
    pub fn due(&self, now: u64, limit: usize) -> Result<Vec<(u64, OutboxMeta)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(OUTBOX_META)?;
        let mut due = Vec::new();
        for entry in table.iter()? {
            let (id, meta) = entry?;
            let meta: OutboxMeta = match serde_json::from_str(meta.value()) {
                Ok(meta) => meta,
                Err(err) => {
                    tracing::error!(%err, id = id.value(), "unreadable outbox entry skipped");
                    continue;
                }
            };
            if meta.not_before_unix <= now {
                due.push((id.value(), meta));
                if due.len() == limit {
                    break;
                }
            }
        }
        Ok(due)
    }

    /// True while some mail has failed to go out and waits for another attempt.
    pub fn failing(&self) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(OUTBOX_META)?;
        for entry in table.iter()? {
            let (_, meta) = entry?;
            if serde_json::from_str::<OutboxMeta>(meta.value()).is_ok_and(|m| m.attempts > 0) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The message of an outbox entry.
    pub fn body(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(OUTBOX_BODY)?;
        Ok(table.get(id)?.map(|b| b.value().to_vec()))
    }

    /// Removes a sent mail.
    pub fn sent(&self, id: u64) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        txn.open_table(OUTBOX_META)?.remove(id)?;
        txn.open_table(OUTBOX_BODY)?.remove(id)?;
        txn.commit()?;
        Ok(())
    }

    /// Notes a failed attempt; the mail waits `backoff_secs` before the next.
    pub fn failed(
        &self,
        id: u64,
        mut meta: OutboxMeta,
        backoff_secs: u64,
    ) -> Result<(), StoreError> {
        meta.attempts += 1;
        meta.not_before_unix = now_unix() + backoff_secs;
        let json = serde_json::to_string(&meta).expect("outbox entries serialize");
        let txn = self.db.begin_write()?;
        txn.open_table(OUTBOX_META)?.insert(id, json.as_str())?;
        txn.commit()?;
        Ok(())
    }

    /// Mails waiting, and mails executed so far.
    pub fn counts(&self) -> Result<(u32, u64), StoreError> {
        let txn = self.db.begin_read()?;
        let outbox = txn.open_table(OUTBOX_META)?.len()? as u32;
        let executed = txn
            .open_table(COUNTERS)?
            .get("executed")?
            .map_or(0, |v| v.value());
        Ok((outbox, executed))
    }
}

fn queue_in(txn: &redb::WriteTransaction, mails: &[NewMail]) -> Result<(), StoreError> {
    let mut counters = txn.open_table(COUNTERS)?;
    let mut meta = txn.open_table(OUTBOX_META)?;
    let mut body = txn.open_table(OUTBOX_BODY)?;
    for mail in mails {
        let id = counters.get("outbox_seq")?.map_or(0, |v| v.value()) + 1;
        counters.insert("outbox_seq", id)?;
        let entry = OutboxMeta {
            from: mail.from.clone(),
            to: mail.to.clone(),
            attempts: 0,
            not_before_unix: 0,
        };
        let json = serde_json::to_string(&entry).expect("outbox entries serialize");
        meta.insert(id, json.as_str())?;
        body.insert(id, mail.message.as_slice())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, Ledger::new(store.database()).unwrap())
    }

    fn mail(text: &str) -> NewMail {
        NewMail {
            from: "karacrix@sandbox.test".into(),
            to: vec!["operator@sandbox.test".into()],
            message: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_execution_and_its_reply_are_recorded_together() {
        let (_dir, ledger) = ledger();
        let ids = vec!["uidl:sb1".to_string(), "msgid:<a@b>".to_string()];
        assert!(!ledger.was_executed(&ids).unwrap());
        ledger
            .record_execution(&ids, &[mail("reply")], |_| Ok(()))
            .unwrap();
        assert!(ledger.was_executed(&["msgid:<a@b>".to_string()]).unwrap());
        assert_eq!(ledger.counts().unwrap(), (1, 1));
        let due = ledger.due(now_unix(), 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(ledger.body(due[0].0).unwrap().unwrap(), b"reply");
    }

    #[test]
    fn a_failed_document_write_rolls_the_execution_back() {
        let (_dir, ledger) = ledger();
        let ids = vec!["uidl:sb9".to_string()];
        let result = ledger.record_execution(&ids, &[mail("reply")], |_| {
            Err(StoreError::Database(redb::Error::Corrupted("test".into())))
        });
        assert!(result.is_err());
        assert!(!ledger.was_executed(&ids).unwrap());
        assert_eq!(ledger.counts().unwrap(), (0, 0));
    }

    #[test]
    fn failures_back_off_and_sent_mail_leaves() {
        let (_dir, ledger) = ledger();
        ledger.queue(&[mail("a"), mail("b")]).unwrap();
        let due = ledger.due(now_unix(), 10).unwrap();
        assert_eq!(due.len(), 2);
        let (first, meta) = due[0].clone();
        assert!(!ledger.failing().unwrap());
        ledger.failed(first, meta, 60).unwrap();
        assert!(ledger.failing().unwrap());
        let due_now = ledger.due(now_unix(), 10).unwrap();
        assert_eq!(due_now.len(), 1);
        let later = ledger.due(now_unix() + 61, 10).unwrap();
        assert_eq!(later[0].1.attempts, 1);
        ledger.sent(due_now[0].0).unwrap();
        assert_eq!(ledger.counts().unwrap().0, 1);
    }
}
