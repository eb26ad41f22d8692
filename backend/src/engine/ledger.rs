//! The engine's durable bookkeeping: the outbox of mails to send and the ids of command mails
//! already executed. Recording an execution and queueing its reply happen in one transaction,
//! so a crash either loses both (the mail is executed again, as if never read) or keeps both
//! (the mail is only deleted next time, and the reply is still sent): exactly once, at least once.
//! Executions are recorded in batches, one transaction each: a durable commit costs a sync to
//! disk, which would otherwise dominate a cycle.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde::{Deserialize, Serialize};

use crate::mail::clock::{now_unix, now_unix_ms};
use crate::store::{Store, StoreError, Table};

/// Outbox entries: id → JSON of [`OutboxMeta`].
const OUTBOX_META: &str = "engine_outbox_meta";
/// Outbox bodies: id → the message as sent.
const OUTBOX_BODY: &str = "engine_outbox_body";
/// Executed mails: `uidl:…` / `msgid:…` → when, in Unix seconds.
const EXECUTED: &str = "engine_executed";
/// Counters: name → value.
const COUNTERS: &str = "engine_counters";

/// The ledger's tables in its store's scope.
struct Tables {
    outbox_meta: Table<u64, &'static str>,
    outbox_body: Table<u64, &'static [u8]>,
    executed: Table<&'static str, u64>,
    counters: Table<&'static str, u64>,
}

impl Tables {
    fn of(store: &Store) -> Self {
        Tables {
            outbox_meta: Table::of(store, OUTBOX_META),
            outbox_body: Table::of(store, OUTBOX_BODY),
            executed: Table::of(store, EXECUTED),
            counters: Table::of(store, COUNTERS),
        }
    }
}

/// Executed ids are forgotten after this long; a server keeping a mail longer would get it
/// executed again, which only a broken server does.
const KEEP_EXECUTED_SECS: u64 = 30 * 24 * 3600;
/// Forgetting old ids scans the whole executed set, so it runs at most this often.
const PRUNE_EVERY_SECS: u64 = 3600;

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
    /// The same in Unix milliseconds, so a scaled backoff keeps its fraction (entries written
    /// before it existed have 0 here and are timed by the seconds).
    #[serde(default)]
    pub not_before_ms: u64,
}

impl OutboxMeta {
    /// When this mail may be tried, in Unix milliseconds.
    pub fn due_at_ms(&self) -> u64 {
        self.not_before_ms
            .max(self.not_before_unix.saturating_mul(1000))
    }
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

/// One executed mail: the ids it is known by and its replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// `uidl:…` and, when the mail has one, its [`message_id_key`].
    pub ids: Vec<String>,
    /// Mails to queue with it.
    pub replies: Vec<NewMail>,
}

/// The executed-set key of a mail's Message-ID. It includes the sender (the From address,
/// lowercase): otherwise a stranger could send a mail under the Message-ID a phone will use
/// next, and the phone's real command would be taken for done and deleted unexecuted. Keys
/// written before the sender was part of them (`msgid:<id>`) match nothing any more and are
/// forgotten with the other old ids; the mails they stand for are still known by their UIDL.
pub fn message_id_key(sender: Option<&str>, message_id: &str) -> String {
    format!("msgid:{} {message_id}", sender.unwrap_or_default())
}

/// The outbox and the executed set. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    db: Arc<Database>,
    tables: Arc<Tables>,
    /// When stale executed ids were last forgotten (Unix seconds).
    pruned_at: Arc<AtomicU64>,
}

impl Ledger {
    /// The ledger in the back end's database.
    pub fn new(store: &Store) -> Result<Self, StoreError> {
        let db = store.database();
        let tables = Tables::of(store);
        let t = &tables;
        let txn = crate::store::begin_write(&db)?;
        txn.open_table(t.outbox_meta.def())?;
        txn.open_table(t.outbox_body.def())?;
        txn.open_table(t.executed.def())?;
        txn.open_table(t.counters.def())?;
        crate::store::commit(txn)?;
        Ok(Ledger {
            db,
            tables: Arc::new(tables),
            pruned_at: Arc::default(),
        })
    }

    /// True if a mail with any of these ids was executed.
    pub fn was_executed(&self, ids: &[String]) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(self.tables.executed.def())?;
        for id in ids {
            if table.get(id.as_str())?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Records mails as executed under all their ids and queues their replies, atomically;
    /// returns the queued replies' outbox entries. `store_documents` writes in the same
    /// transaction (e.g. the plant's new state).
    pub fn record_executions(
        &self,
        executions: &[Execution],
        store_documents: impl FnOnce(&redb::WriteTransaction) -> Result<(), StoreError>,
    ) -> Result<Vec<(u64, OutboxMeta)>, StoreError> {
        let now = now_unix();
        let txn = crate::store::begin_write(&self.db)?;
        {
            let mut executed = txn.open_table(self.tables.executed.def())?;
            for id in executions.iter().flat_map(|e| &e.ids) {
                executed.insert(id.as_str(), now)?;
            }
            let mut counters = txn.open_table(self.tables.counters.def())?;
            let count = counters.get("executed")?.map_or(0, |v| v.value());
            counters.insert("executed", count + executions.len() as u64)?;
        }
        let queued = queue_in(
            &txn,
            &self.tables,
            executions.iter().flat_map(|e| &e.replies),
        )?;
        let prune = now.saturating_sub(self.pruned_at.load(Ordering::Relaxed)) >= PRUNE_EVERY_SECS;
        if prune {
            prune_executed(&txn, &self.tables, now)?;
        }
        store_documents(&txn)?;
        crate::store::commit(txn)?;
        if prune {
            self.pruned_at.store(now, Ordering::Relaxed);
        }
        Ok(queued)
    }

    /// Forgets everything: the outbox, the executed ids and the counters (a training reset).
    pub fn clear(&self) -> Result<(), StoreError> {
        let txn = crate::store::begin_write(&self.db)?;
        txn.delete_table(self.tables.outbox_meta.def())
            .map_err(redb::Error::from)?;
        txn.delete_table(self.tables.outbox_body.def())
            .map_err(redb::Error::from)?;
        txn.delete_table(self.tables.executed.def())
            .map_err(redb::Error::from)?;
        txn.delete_table(self.tables.counters.def())
            .map_err(redb::Error::from)?;
        txn.open_table(self.tables.outbox_meta.def())?;
        txn.open_table(self.tables.outbox_body.def())?;
        txn.open_table(self.tables.executed.def())?;
        txn.open_table(self.tables.counters.def())?;
        crate::store::commit(txn)?;
        Ok(())
    }

    /// Queues mails (alarms) on their own.
    pub fn queue(&self, mails: &[NewMail]) -> Result<(), StoreError> {
        let txn = crate::store::begin_write(&self.db)?;
        queue_in(&txn, &self.tables, mails)?;
        crate::store::commit(txn)?;
        Ok(())
    }

    /// Mails due at `now_ms` (Unix milliseconds), oldest first, at most `limit`.
    pub fn due(&self, now_ms: u64, limit: usize) -> Result<Vec<(u64, OutboxMeta)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(self.tables.outbox_meta.def())?;
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
            if meta.due_at_ms() <= now_ms {
                due.push((id.value(), meta));
                if due.len() == limit {
                    break;
                }
            }
        }
        Ok(due)
    }

    /// When the next mail waiting out a backoff may be tried (Unix milliseconds), if any does.
    pub fn next_retry_ms(&self) -> Result<Option<u64>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(self.tables.outbox_meta.def())?;
        let mut next: Option<u64> = None;
        for entry in table.iter()? {
            let (_, meta) = entry?;
            if let Ok(meta) = serde_json::from_str::<OutboxMeta>(meta.value())
                && meta.attempts > 0
            {
                next = Some(next.map_or(meta.due_at_ms(), |n| n.min(meta.due_at_ms())));
            }
        }
        Ok(next)
    }

    /// True while some mail has failed to go out and waits for another attempt.
    pub fn failing(&self) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(self.tables.outbox_meta.def())?;
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
        let table = txn.open_table(self.tables.outbox_body.def())?;
        Ok(table.get(id)?.map(|b| b.value().to_vec()))
    }

    /// Removes sent mails.
    pub fn sent(&self, ids: &[u64]) -> Result<(), StoreError> {
        self.remove(ids)
    }

    /// Removes a mail the server refused for good, after the caller has told the operator.
    pub fn give_up(&self, id: u64) -> Result<(), StoreError> {
        self.remove(&[id])
    }

    fn remove(&self, ids: &[u64]) -> Result<(), StoreError> {
        let txn = crate::store::begin_write(&self.db)?;
        {
            let mut meta = txn.open_table(self.tables.outbox_meta.def())?;
            let mut body = txn.open_table(self.tables.outbox_body.def())?;
            for &id in ids {
                meta.remove(id)?;
                body.remove(id)?;
            }
        }
        crate::store::commit(txn)?;
        Ok(())
    }

    /// Notes a failed attempt; the mail waits `backoff` before the next.
    pub fn failed(
        &self,
        id: u64,
        mut meta: OutboxMeta,
        backoff: std::time::Duration,
    ) -> Result<(), StoreError> {
        meta.attempts += 1;
        meta.not_before_ms = now_unix_ms() + backoff.as_millis() as u64;
        meta.not_before_unix = meta.not_before_ms / 1000;
        let json = serde_json::to_string(&meta).expect("outbox entries serialize");
        let txn = crate::store::begin_write(&self.db)?;
        txn.open_table(self.tables.outbox_meta.def())?
            .insert(id, json.as_str())?;
        crate::store::commit(txn)?;
        Ok(())
    }

    /// Mails waiting, and mails executed so far.
    pub fn counts(&self) -> Result<(u32, u64), StoreError> {
        let txn = self.db.begin_read()?;
        let outbox = txn.open_table(self.tables.outbox_meta.def())?.len()? as u32;
        let executed = txn
            .open_table(self.tables.counters.def())?
            .get("executed")?
            .map_or(0, |v| v.value());
        Ok((outbox, executed))
    }
}

/// Forgets executed ids older than [`KEEP_EXECUTED_SECS`].
fn prune_executed(txn: &redb::WriteTransaction, t: &Tables, now: u64) -> Result<(), StoreError> {
    let mut executed = txn.open_table(t.executed.def())?;
    let stale: Vec<String> = executed
        .iter()?
        .filter_map(Result::ok)
        .filter(|(_, at)| now.saturating_sub(at.value()) > KEEP_EXECUTED_SECS)
        .map(|(id, _)| id.value().to_string())
        .collect();
    for id in stale {
        executed.remove(id.as_str())?;
    }
    Ok(())
}

fn queue_in<'a>(
    txn: &redb::WriteTransaction,
    t: &Tables,
    mails: impl IntoIterator<Item = &'a NewMail>,
) -> Result<Vec<(u64, OutboxMeta)>, StoreError> {
    let mut counters = txn.open_table(t.counters.def())?;
    let mut meta = txn.open_table(t.outbox_meta.def())?;
    let mut body = txn.open_table(t.outbox_body.def())?;
    let last = counters.get("outbox_seq")?.map_or(0, |v| v.value());
    let mut id = last;
    let mut queued = Vec::new();
    for mail in mails {
        id += 1;
        let entry = OutboxMeta {
            from: mail.from.clone(),
            to: mail.to.clone(),
            attempts: 0,
            not_before_unix: 0,
            not_before_ms: 0,
        };
        let json = serde_json::to_string(&entry).expect("outbox entries serialize");
        meta.insert(id, json.as_str())?;
        body.insert(id, mail.message.as_slice())?;
        queued.push((id, entry));
    }
    if id != last {
        counters.insert("outbox_seq", id)?;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, Ledger::new(&store).unwrap())
    }

    fn mail(text: &str) -> NewMail {
        NewMail {
            from: "karacrix@sandbox.test".into(),
            to: vec!["operator@sandbox.test".into()],
            message: text.as_bytes().to_vec(),
        }
    }

    fn execution(ids: &[&str], replies: &[&str]) -> Execution {
        Execution {
            ids: ids.iter().map(|id| id.to_string()).collect(),
            replies: replies.iter().map(|text| mail(text)).collect(),
        }
    }

    #[test]
    fn executions_and_their_replies_are_recorded_together() {
        let (_dir, ledger) = ledger();
        let ids = vec!["uidl:sb1".to_string(), "msgid:<a@b>".to_string()];
        assert!(!ledger.was_executed(&ids).unwrap());
        let batch = [
            execution(&["uidl:sb1", "msgid:<a@b>"], &["reply 1"]),
            execution(&["uidl:sb2"], &[]),
            execution(&["uidl:sb3"], &["reply 3"]),
        ];
        let queued = ledger.record_executions(&batch, |_| Ok(())).unwrap();
        assert_eq!(queued.len(), 2, "the replies' entries, for the sender");
        assert!(ledger.was_executed(&["msgid:<a@b>".to_string()]).unwrap());
        assert!(ledger.was_executed(&["uidl:sb2".to_string()]).unwrap());
        assert_eq!(ledger.counts().unwrap(), (2, 3));
        let due = ledger.due(now_unix_ms(), 10).unwrap();
        assert_eq!(due.len(), 2);
        assert_eq!(ledger.body(due[0].0).unwrap().unwrap(), b"reply 1");
        assert_eq!(ledger.body(due[1].0).unwrap().unwrap(), b"reply 3");
    }

    #[test]
    fn a_message_id_is_known_only_with_its_sender() {
        let (_dir, ledger) = ledger();
        let stranger = message_id_key(Some("stranger@sandbox.test"), "next@phone");
        let phone = message_id_key(Some("operator@sandbox.test"), "next@phone");
        assert_ne!(stranger, phone);
        let batch = [Execution {
            ids: vec!["uidl:sb1".into(), stranger.clone()],
            replies: Vec::new(),
        }];
        ledger.record_executions(&batch, |_| Ok(())).unwrap();
        assert!(ledger.was_executed(&[stranger]).unwrap());
        assert!(
            !ledger.was_executed(&[phone]).unwrap(),
            "the phone's mail runs"
        );
    }

    #[test]
    fn a_failed_document_write_rolls_the_batch_back() {
        let (_dir, ledger) = ledger();
        let batch = [
            execution(&["uidl:sb8"], &["reply"]),
            execution(&["uidl:sb9"], &["reply"]),
        ];
        let result = ledger.record_executions(&batch, |_| {
            Err(StoreError::Database(redb::Error::Corrupted("test".into())))
        });
        assert!(result.is_err());
        assert!(!ledger.was_executed(&["uidl:sb8".to_string()]).unwrap());
        assert_eq!(ledger.counts().unwrap(), (0, 0));
    }

    #[test]
    fn old_executed_ids_are_forgotten() {
        let (_dir, ledger) = ledger();
        let now = now_unix();
        let txn = ledger.db.begin_write().unwrap();
        {
            let mut executed = txn.open_table(ledger.tables.executed.def()).unwrap();
            executed
                .insert("uidl:old", now - KEEP_EXECUTED_SECS - 1)
                .unwrap();
            executed.insert("uidl:new", now - 1).unwrap();
        }
        prune_executed(&txn, &ledger.tables, now).unwrap();
        txn.commit().unwrap();
        assert!(!ledger.was_executed(&["uidl:old".to_string()]).unwrap());
        assert!(ledger.was_executed(&["uidl:new".to_string()]).unwrap());
    }

    #[test]
    fn failures_back_off_and_sent_mail_leaves() {
        let (_dir, ledger) = ledger();
        ledger.queue(&[mail("a"), mail("b")]).unwrap();
        let due = ledger.due(now_unix_ms(), 10).unwrap();
        assert_eq!(due.len(), 2);
        let (first, meta) = due[0].clone();
        assert!(!ledger.failing().unwrap());
        assert_eq!(ledger.next_retry_ms().unwrap(), None);
        let before = now_unix_ms();
        ledger
            .failed(first, meta, std::time::Duration::from_millis(1500))
            .unwrap();
        assert!(ledger.failing().unwrap());
        // The backoff keeps its fraction of a second.
        let retry = ledger.next_retry_ms().unwrap().unwrap();
        assert!(
            (before + 1500..=now_unix_ms() + 1500).contains(&retry),
            "{retry}"
        );
        let due_now = ledger.due(now_unix_ms(), 10).unwrap();
        assert_eq!(due_now.len(), 1);
        assert_eq!(ledger.due(retry - 1, 10).unwrap().len(), 1);
        let later = ledger.due(retry, 10).unwrap();
        assert_eq!(later[0].1.attempts, 1);
        ledger.sent(&[due_now[0].0]).unwrap();
        assert_eq!(ledger.counts().unwrap().0, 1);
        ledger.sent(&[first]).unwrap();
        assert_eq!(ledger.counts().unwrap().0, 0);
    }
}
