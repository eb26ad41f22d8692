//! The sandbox's mailboxes, kept in the embedded database so they survive restarts and crashes.
//!
//! A mailbox is named by its owner's address. Messages get a sequence number that is never
//! reused, which also serves as the POP3 unique id. Sizes live in their own table so a listing
//! never reads message bodies: listing a mailbox of 100,000 messages costs only their sizes.
//!
//! Deliveries are committed in groups: a writer thread of the store takes every delivery that
//! is waiting and stores them in one transaction, so concurrent deliveries share one sync to
//! disk instead of queueing for one each. Each caller still returns only once its own message is
//! durable. Async callers await the writer directly, without a blocking thread in between: each
//! thread hand-off costs a wake-up, which a single client waits for on every message.

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::oneshot;

pub use crate::store::StoreError;

/// Bodies: (mailbox, sequence) → the message as received.
const BODIES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("sandbox_bodies");
/// Sizes: (mailbox, sequence) → size in octets.
const SIZES: TableDefinition<(&str, u64), u64> = TableDefinition::new("sandbox_sizes");
/// Counters: name → the last number handed out.
const COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("sandbox_counters");
const NEXT_SEQ: &str = "message_seq";

/// At most this many deliveries share a transaction…
const MAX_GROUP: usize = 256;
/// …and at most about this many octets of messages.
const MAX_GROUP_OCTETS: usize = 32 * 1024 * 1024;

/// One message of a mailbox listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// Unique and never reused within the store (POP3 UIDL).
    pub uid: String,
    /// Size in octets, as stored.
    pub size: u64,
}

/// A message stored in a mailbox, as those following deliveries see it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The mailbox (the owner's address).
    pub mailbox: String,
    /// The message as stored.
    pub message: Arc<[u8]>,
}

/// The mailboxes. Cheap to clone; clones share the database and its writer.
#[derive(Clone)]
pub struct MailStore {
    db: Arc<Database>,
    /// A trainee's session's mailboxes are apart from every other session's: their names
    /// start with its scope.
    scope: Option<Arc<str>>,
    locked: Arc<Mutex<HashSet<String>>>,
    writer: Arc<Writer>,
    deliveries: tokio::sync::broadcast::Sender<Delivery>,
}

/// One message waiting to be stored in one or more mailboxes, and where its outcome goes.
struct Job {
    mailboxes: Vec<String>,
    message: Vec<u8>,
    done: Answer,
}

impl Job {
    fn octets(&self) -> usize {
        self.message.len() * self.mailboxes.len()
    }
}

type Outcome = Result<Vec<MessageInfo>, StoreError>;

/// Where a job's outcome goes: a thread that blocks for it, or a task that awaits it.
enum Answer {
    Blocking(mpsc::SyncSender<Outcome>),
    Async(oneshot::Sender<Outcome>),
}

impl Answer {
    /// A caller that went away no longer needs the answer; what was stored stays stored.
    fn send(self, outcome: Outcome) {
        match self {
            Answer::Blocking(done) => drop(done.send(outcome)),
            Answer::Async(done) => drop(done.send(outcome)),
        }
    }
}

/// The writer thread that commits deliveries in groups. It ends (and is joined) when the last
/// clone of the store is dropped, so the database file can be opened again right away.
struct Writer {
    queue: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    #[cfg(test)]
    commits: Arc<std::sync::atomic::AtomicUsize>,
}

impl Writer {
    fn start(db: Arc<Database>) -> Result<Self, StoreError> {
        let (queue, jobs) = mpsc::channel();
        #[cfg(test)]
        let commits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let thread = std::thread::Builder::new()
            .name("mail-store-writer".into())
            .spawn({
                #[cfg(test)]
                let commits = Arc::clone(&commits);
                move || {
                    while let Some(group) = next_group(&jobs) {
                        #[cfg(test)]
                        commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        // A panic fails this group's callers (their answer channels drop), not
                        // every later delivery.
                        let stored =
                            panic::catch_unwind(AssertUnwindSafe(|| store_group(&db, group)));
                        if stored.is_err() {
                            tracing::error!("the mail store's writer panicked storing a group");
                        }
                    }
                }
            })
            .map_err(|e| StoreError::from(redb::StorageError::Io(e)))?;
        Ok(Writer {
            queue: Some(queue),
            thread: Some(thread),
            #[cfg(test)]
            commits,
        })
    }

    /// Hands `job` to the writer thread.
    fn submit(&self, job: Job) -> Result<(), StoreError> {
        self.queue
            .as_ref()
            .and_then(|queue| queue.send(job).ok())
            .ok_or_else(writer_stopped)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has stored what was already submitted.
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn writer_stopped() -> StoreError {
    redb::StorageError::Io(std::io::Error::other("the mail store's writer has stopped")).into()
}

/// Waits for a delivery, then takes every other one already waiting (within the limits);
/// `None` once the store is gone.
fn next_group(jobs: &mpsc::Receiver<Job>) -> Option<Vec<Job>> {
    let first = jobs.recv().ok()?;
    let mut octets = first.octets();
    let mut group = vec![first];
    while group.len() < MAX_GROUP && octets < MAX_GROUP_OCTETS {
        let Ok(job) = jobs.try_recv() else { break };
        octets += job.octets();
        group.push(job);
    }
    Some(group)
}

/// Stores `group` in one transaction and tells each caller. If that transaction fails, each
/// message is tried in a transaction of its own, so one bad message cannot fail the others and
/// every caller learns its own outcome.
fn store_group(db: &Database, group: Vec<Job>) {
    match append(db, &group) {
        Ok(infos) => {
            for (job, infos) in group.into_iter().zip(infos) {
                job.done.send(Ok(infos));
            }
        }
        Err(error) if group.len() == 1 => {
            if let Some(job) = group.into_iter().next() {
                job.done.send(Err(error));
            }
        }
        Err(_) => {
            for job in group {
                let outcome = append(db, std::slice::from_ref(&job))
                    .and_then(|mut jobs| jobs.pop().ok_or_else(writer_stopped));
                job.done.send(outcome);
            }
        }
    }
}

/// Appends each job's message to its mailboxes in one durable transaction, in order; returns
/// the new messages of each job.
fn append(db: &Database, jobs: &[Job]) -> Result<Vec<Vec<MessageInfo>>, StoreError> {
    let txn = db.begin_write()?;
    let mut infos = Vec::with_capacity(jobs.len());
    {
        let mut counters = txn.open_table(COUNTERS)?;
        let mut bodies = txn.open_table(BODIES)?;
        let mut sizes = txn.open_table(SIZES)?;
        let mut seq = counters.get(NEXT_SEQ)?.map_or(0, |v| v.value());
        for job in jobs {
            let size = job.message.len() as u64;
            let mut stored = Vec::with_capacity(job.mailboxes.len());
            for mailbox in &job.mailboxes {
                seq += 1;
                bodies.insert((mailbox.as_str(), seq), job.message.as_slice())?;
                sizes.insert((mailbox.as_str(), seq), size)?;
                stored.push(MessageInfo {
                    uid: uid_of(seq),
                    size,
                });
            }
            infos.push(stored);
        }
        counters.insert(NEXT_SEQ, seq)?;
    }
    txn.commit()?;
    Ok(infos)
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
            writer: Arc::new(Writer::start(Arc::clone(&db))?),
            db,
            scope: None,
            locked: Arc::default(),
            deliveries: tokio::sync::broadcast::channel(64).0,
        })
    }

    /// The mailboxes of `scope` (a trainee's session), sharing this store's database and
    /// writer; its followers hear only its own deliveries.
    pub fn scoped(&self, scope: &str) -> MailStore {
        MailStore {
            db: Arc::clone(&self.db),
            scope: Some(Arc::from(self.key(scope).as_ref())),
            locked: Arc::clone(&self.locked),
            writer: Arc::clone(&self.writer),
            deliveries: tokio::sync::broadcast::channel(16).0,
        }
    }

    /// The stored name of `mailbox` in this scope.
    fn key<'a>(&self, mailbox: &'a str) -> std::borrow::Cow<'a, str> {
        match &self.scope {
            None => std::borrow::Cow::Borrowed(mailbox),
            Some(scope) => std::borrow::Cow::Owned(format!("{scope}/{mailbox}")),
        }
    }

    /// Follows the messages stored from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Delivery> {
        self.deliveries.subscribe()
    }

    /// Tells the followers, if any, about a message stored in `mailboxes`.
    fn announce(&self, mailboxes: &[String], message: Option<Arc<[u8]>>) {
        let Some(message) = message else { return };
        for mailbox in mailboxes {
            let _ = self.deliveries.send(Delivery {
                mailbox: mailbox.clone(),
                message: Arc::clone(&message),
            });
        }
    }

    /// A copy of `message` for the followers, only when someone follows.
    fn copy_for_followers(&self, message: &[u8]) -> Option<Arc<[u8]>> {
        (self.deliveries.receiver_count() > 0).then(|| Arc::from(message))
    }

    /// Empties `mailbox` (a training reset); returns how many messages it held.
    pub fn clear(&self, mailbox: &str) -> Result<usize, StoreError> {
        let uids: Vec<String> = self.list(mailbox)?.into_iter().map(|m| m.uid).collect();
        self.delete(mailbox, &uids)
    }

    /// Stores a message at the end of `mailbox`; durable when this returns. Blocks until then:
    /// call it off the async workers. Concurrent deliveries share a transaction.
    pub fn deliver(&self, mailbox: &str, message: &[u8]) -> Result<MessageInfo, StoreError> {
        let (done, outcome) = mpsc::sync_channel(1);
        self.writer.submit(Job {
            mailboxes: vec![self.key(mailbox).into_owned()],
            message: message.to_vec(),
            done: Answer::Blocking(done),
        })?;
        let stored = only_one(outcome.recv().unwrap_or_else(|_| Err(writer_stopped())))?;
        self.announce(&[mailbox.to_string()], self.copy_for_followers(message));
        Ok(stored)
    }

    /// Stores `message` at the end of each of `mailboxes`, all or none, without blocking the
    /// caller's thread; durable when the future completes. Concurrent deliveries share a
    /// transaction.
    pub async fn deliver_to(
        &self,
        mailboxes: Vec<String>,
        message: Vec<u8>,
    ) -> Result<Vec<MessageInfo>, StoreError> {
        let (done, outcome) = oneshot::channel();
        let copy = self.copy_for_followers(&message);
        let names = copy.as_ref().map(|_| mailboxes.clone()).unwrap_or_default();
        self.writer.submit(Job {
            mailboxes: mailboxes.iter().map(|m| self.key(m).into_owned()).collect(),
            message,
            done: Answer::Async(done),
        })?;
        let stored = outcome.await.unwrap_or_else(|_| Err(writer_stopped()))?;
        self.announce(&names, copy);
        Ok(stored)
    }

    /// The messages of `mailbox` in delivery order.
    pub fn list(&self, mailbox: &str) -> Result<Vec<MessageInfo>, StoreError> {
        let mailbox = self.key(mailbox);
        let mailbox = mailbox.as_ref();
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
            .get((self.key(mailbox).as_ref(), seq))?
            .map(|body| body.value().to_vec()))
    }

    /// Deletes the given messages in one transaction: all or none. Returns how many existed.
    pub fn delete(&self, mailbox: &str, uids: &[String]) -> Result<usize, StoreError> {
        let mailbox = self.key(mailbox);
        let mailbox = mailbox.as_ref();
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
        let mailbox = self.key(mailbox).into_owned();
        let mut locked = self.locked.lock().ok()?;
        locked.insert(mailbox.clone()).then(|| MailboxLock {
            mailbox,
            locked: Arc::clone(&self.locked),
        })
    }
}

fn only_one(outcome: Outcome) -> Result<MessageInfo, StoreError> {
    outcome.and_then(|mut infos| infos.pop().ok_or_else(writer_stopped))
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
    fn concurrent_deliveries_share_commits_and_each_is_stored_once() {
        const THREADS: usize = 16;
        const EACH: usize = 40;
        let (_dir, store) = store();
        let delivered: Vec<Vec<(String, MessageInfo, Vec<u8>)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let store = store.clone();
                    scope.spawn(move || {
                        let mailbox = format!("m{}@sandbox.test", t % 2);
                        (0..EACH)
                            .map(|i| {
                                let body = format!("Subject: {t}/{i}\r\n\r\n{}\r\n", "x".repeat(i))
                                    .into_bytes();
                                let info = store.deliver(&mailbox, &body).unwrap();
                                assert_eq!(info.size, body.len() as u64);
                                (mailbox.clone(), info, body)
                            })
                            .collect()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut uids = HashSet::new();
        for mine in &delivered {
            // Each caller waited for its mail, so its own mails are in delivery order.
            assert!(mine.windows(2).all(|w| w[0].1.uid < w[1].1.uid));
            for (mailbox, info, body) in mine {
                assert!(uids.insert(info.uid.clone()), "uid {} twice", info.uid);
                assert_eq!(store.read(mailbox, &info.uid).unwrap().as_ref(), Some(body));
            }
        }
        let listed: usize = ["m0@sandbox.test", "m1@sandbox.test"]
            .iter()
            .map(|m| store.list(m).unwrap().len())
            .sum();
        assert_eq!(listed, THREADS * EACH);
        let commits = store
            .writer
            .commits
            .load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            commits < THREADS * EACH,
            "{commits} commits for {} deliveries: none was shared",
            THREADS * EACH
        );
    }

    #[tokio::test]
    async fn an_async_delivery_stores_one_copy_per_mailbox_in_one_go() {
        let (_dir, store) = store();
        let mailboxes = vec!["a@sandbox.test".to_string(), "b@sandbox.test".to_string()];
        let infos = store
            .deliver_to(mailboxes.clone(), b"Subject: both\r\n\r\nx\r\n".to_vec())
            .await
            .unwrap();
        assert_eq!(infos.len(), 2);
        assert_ne!(infos[0].uid, infos[1].uid);
        for (mailbox, info) in mailboxes.iter().zip(&infos) {
            assert_eq!(store.list(mailbox).unwrap(), vec![info.clone()]);
            assert_eq!(
                store.read(mailbox, &info.uid).unwrap().unwrap(),
                b"Subject: both\r\n\r\nx\r\n"
            );
        }
        assert_eq!(
            store
                .writer
                .commits
                .load(std::sync::atomic::Ordering::Relaxed),
            1,
            "both copies belong in one transaction"
        );
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
