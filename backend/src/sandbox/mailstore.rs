//! The sandbox's mailboxes, kept in the embedded database so they survive restarts and crashes.
//!
//! A mailbox is named by its owner's address. Messages get a sequence number that is never
//! reused, which also serves as the POP3 unique id. Sizes live in their own table so a listing
//! never reads message bodies: listing a mailbox of 100,000 messages costs only their sizes.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

pub use crate::store::StoreError;

/// Bodies: (mailbox, sequence) → the message as received.
const BODIES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("sandbox_bodies");
/// Sizes: (mailbox, sequence) → size in octets.
const SIZES: TableDefinition<(&str, u64), u64> = TableDefinition::new("sandbox_sizes");
/// Counters: name → the last number handed out.
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("sandbox_counters");
const NEXT_SEQ: &str = "message_seq";

/// One message of a mailbox listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// Unique and never reused within the store (POP3 UIDL).
    pub uid: String,
    /// Size in octets, as stored.
    pub size: u64,
}

/// The mailboxes. Cheap to clone; clones share the database.
#[derive(Clone)]
pub struct MailStore {
    db: Arc<Database>,
    locked: Arc<Mutex<HashSet<String>>>,
}

/// Exclusive use of one mailbox (one POP3 session at a time, RFC 1939 section 8).
/// Released on drop.
pub struct MailboxLock {
    mailbox: String,
    locked: Arc<Mutex<HashSet<String>>>,
}

impl Drop for MailboxLock {
    fn drop(&mut self) {
        if let Ok(mut locked) = self.locked.lock() {
            locked.remove(&self.mailbox);
        }
    }
}

impl MailStore {
    /// Opens (or creates) a store of its own in the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::new(Arc::new(Database::create(path)?))
    }

    /// The mailboxes kept in `db` (the back end's one database).
    pub fn new(db: Arc<Database>) -> Result<Self, StoreError> {
        let txn = db.begin_write()?;
        txn.open_table(BODIES)?;
        txn.open_table(SIZES)?;
        txn.open_table(COUNTERS)?;
        txn.commit()?;
        Ok(MailStore {
            db,
            locked: Arc::default(),
        })
    }

    /// Stores a message at the end of `mailbox`; durable when this returns.
    pub fn deliver(&self, mailbox: &str, message: &[u8]) -> Result<MessageInfo, StoreError> {
        let txn = self.db.begin_write()?;
        let seq = {
            let mut counters = txn.open_table(COUNTERS)?;
            let seq = counters.get(NEXT_SEQ)?.map_or(0, |v| v.value()) + 1;
            counters.insert(NEXT_SEQ, seq)?;
            seq
        };
        txn.open_table(BODIES)?.insert((mailbox, seq), message)?;
        let size = message.len() as u64;
        txn.open_table(SIZES)?.insert((mailbox, seq), size)?;
        txn.commit()?;
        Ok(MessageInfo {
            uid: uid_of(seq),
            size,
        })
    }

    /// The messages of `mailbox` in delivery order.
    pub fn list(&self, mailbox: &str) -> Result<Vec<MessageInfo>, StoreError> {
        let txn = self.db.begin_read()?;
        let sizes = txn.open_table(SIZES)?;
        let mut list = Vec::new();
        for entry in sizes.range((mailbox, 0)..=(mailbox, u64::MAX))? {
            let (key, size) = entry?;
            list.push(MessageInfo {
                uid: uid_of(key.value().1),
                size: size.value(),
            });
        }
        Ok(list)
    }

    /// One message's octets, or `None` if it is not (or no longer) there.
    pub fn read(&self, mailbox: &str, uid: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(seq) = seq_of(uid) else {
            return Ok(None);
        };
        let txn = self.db.begin_read()?;
        let bodies = txn.open_table(BODIES)?;
        Ok(bodies
            .get((mailbox, seq))?
            .map(|body| body.value().to_vec()))
    }

    /// Deletes the given messages in one transaction: all or none. Returns how many existed.
    pub fn delete(&self, mailbox: &str, uids: &[String]) -> Result<usize, StoreError> {
        let txn = self.db.begin_write()?;
        let mut removed = 0;
        {
            let mut bodies = txn.open_table(BODIES)?;
            let mut sizes = txn.open_table(SIZES)?;
            for seq in uids.iter().filter_map(|uid| seq_of(uid)) {
                sizes.remove((mailbox, seq))?;
                if bodies.remove((mailbox, seq))?.is_some() {
                    removed += 1;
                }
            }
        }
        txn.commit()?;
        Ok(removed)
    }

    /// Takes the mailbox for one session, or `None` while another session has it.
    pub fn try_lock(&self, mailbox: &str) -> Option<MailboxLock> {
        let mut locked = self.locked.lock().ok()?;
        locked.insert(mailbox.to_string()).then(|| MailboxLock {
            mailbox: mailbox.to_string(),
            locked: Arc::clone(&self.locked),
        })
    }
}

fn uid_of(seq: u64) -> String {
    format!("sb{seq:010}")
}

fn seq_of(uid: &str) -> Option<u64> {
    uid.strip_prefix("sb")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, MailStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = MailStore::open(&dir.path().join("store.redb")).unwrap();
        (dir, store)
    }

    #[test]
    fn delivered_mail_is_listed_read_and_deleted() {
        let (_dir, store) = store();
        let a = store
            .deliver("karacrix@sandbox.test", b"Subject: a\r\n\r\nA\r\n")
            .unwrap();
        let b = store
            .deliver("karacrix@sandbox.test", b"Subject: b\r\n\r\nBB\r\n")
            .unwrap();
        store.deliver("operator@sandbox.test", b"other").unwrap();
        assert_ne!(a.uid, b.uid);
        let list = store.list("karacrix@sandbox.test").unwrap();
        assert_eq!(list, vec![a.clone(), b.clone()]);
        assert_eq!(list[1].size, 18);
        assert_eq!(
            store
                .read("karacrix@sandbox.test", &b.uid)
                .unwrap()
                .unwrap(),
            b"Subject: b\r\n\r\nBB\r\n"
        );
        assert_eq!(store.read("operator@sandbox.test", &b.uid).unwrap(), None);
        assert_eq!(
            store.read("karacrix@sandbox.test", "garbage").unwrap(),
            None
        );
        let removed = store
            .delete("karacrix@sandbox.test", &[a.uid.clone(), "nope".into()])
            .unwrap();
        assert_eq!(removed, 1);
        assert_eq!(store.list("karacrix@sandbox.test").unwrap(), vec![b]);
        assert_eq!(store.list("operator@sandbox.test").unwrap().len(), 1);
    }

    #[test]
    fn mail_survives_reopening_and_uids_are_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let first = {
            let store = MailStore::open(&path).unwrap();
            let first = store.deliver("m@sandbox.test", b"one").unwrap();
            store
                .delete("m@sandbox.test", std::slice::from_ref(&first.uid))
                .unwrap();
            store.deliver("m@sandbox.test", b"two").unwrap();
            first
        };
        let store = MailStore::open(&path).unwrap();
        let list = store.list("m@sandbox.test").unwrap();
        assert_eq!(list.len(), 1);
        let third = store.deliver("m@sandbox.test", b"three").unwrap();
        assert!(third.uid != first.uid && third.uid != list[0].uid);
    }

    #[test]
    fn a_mailbox_has_one_session_at_a_time() {
        let (_dir, store) = store();
        let lock = store.try_lock("m@sandbox.test").unwrap();
        assert!(store.try_lock("m@sandbox.test").is_none());
        assert!(store.try_lock("n@sandbox.test").is_some());
        drop(lock);
        assert!(store.try_lock("m@sandbox.test").is_some());
    }
}
