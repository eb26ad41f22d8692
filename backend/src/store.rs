//! The embedded database (redb): one file in the data directory holding everything that must
//! survive a restart or a crash — settings, sandbox policies, mailboxes, the outbox, the ids of
//! executed command mails and the plant's state. Modules open their own tables on the shared
//! database.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::transcript::Notice;

/// The database file inside the data directory.
pub const FILE_NAME: &str = "karacrix.redb";

/// The database's page cache. With 32 MiB, a backlog of 10,000 command mails kept 9.5 MB of
/// written pages (replies, executions) in it and took the bridge's peak to 29–30 MB; with 4 MiB
/// it stays near 24 MiB, costing about a sixth of the in-process engine's 10,000-mail rate (still
/// over 3,500 mails/s), and the bridge, held by the real servers, runs as fast (BENCHMARKS.md).
const CACHE_BYTES: usize = 4 * 1024 * 1024;

/// Small documents (settings, policies) as JSON, by name.
const DOCUMENTS: TableDefinition<&str, &str> = TableDefinition::new("documents");

/// A failure of the embedded database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database itself failed.
    #[error("database: {0}")]
    Database(#[source] redb::Error),
    /// The file or its directory could not be made private.
    #[error("cannot restrict access to {path}: {source}")]
    Permissions {
        /// The file or directory.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A stored document no longer parses (e.g. written by another version).
    #[error("stored {key:?} is unreadable: {source}")]
    Document {
        /// The document's name.
        key: String,
        /// The parse error.
        source: serde_json::Error,
    },
}

impl StoreError {
    /// What failed, for people, in both languages; the database's or the system's own error
    /// text is kept as written.
    pub fn notice(&self) -> Notice {
        match self {
            StoreError::Database(e) => Notice::new(
                format!("この機器のデータベースのエラー: {e}"),
                format!("database: {e}"),
            ),
            StoreError::Permissions { path, source } => Notice::new(
                format!("{} のアクセス権を制限できません: {source}", path.display()),
                format!("cannot restrict access to {}: {source}", path.display()),
            ),
            StoreError::Document { key, source } => Notice::new(
                format!("保存されている {key:?} を読めません: {source}"),
                format!("stored {key:?} is unreadable: {source}"),
            ),
        }
    }
}

impl StoreError {
    /// True after an I/O failure of the database file (disk full, a failing disk): redb then
    /// refuses every later transaction until the file is opened again.
    pub fn needs_reopen(&self) -> bool {
        matches!(
            self,
            StoreError::Database(redb::Error::Io(_) | redb::Error::PreviousIo)
        )
    }
}

/// Set once the database met an I/O failure; the process has one database.
static IO_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static IO_FAILED_NOTIFY: tokio::sync::Notify = tokio::sync::Notify::const_new();

impl From<redb::Error> for StoreError {
    fn from(e: redb::Error) -> Self {
        let err = StoreError::Database(e);
        if err.needs_reopen() && !IO_FAILED.swap(true, std::sync::atomic::Ordering::SeqCst) {
            tracing::error!(%err, "database I/O failure");
            IO_FAILED_NOTIFY.notify_waiters();
        }
        err
    }
}

/// True once the database has met an I/O failure.
pub fn io_failed() -> bool {
    IO_FAILED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Completes once the database has met an I/O failure. Every later write would fail until the
/// file is opened again, and every module holds the open database, so the back end stops
/// (see `serve`) rather than run on with a store that can no longer record anything: a service
/// manager starts it again, redb recovers the file on opening, and the ledger's crash safety
/// covers the stop as it covers a crash.
pub async fn io_failure() {
    let notified = IO_FAILED_NOTIFY.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    if io_failed() {
        return;
    }
    notified.await;
}

/// What the back end says when it stops after an I/O failure of the database.
pub const IO_FAILURE_EXIT: &str = "データベースへの書き込みに失敗しました（ディスクの空き不足など）。\
     データベースを開き直すため終了します。空きを作ってから起動し直してください。 / \
     The database could not be written (disk full?). Stopping so that it is opened again: free \
     some space and start the back end again (a service manager restarts it by itself).";

macro_rules! store_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::from(redb::Error::from(e))
            }
        }
    )*};
}
store_error_from!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Runs `work`, which waits on the disk (a commit's fsync, or another writer's turn), without
/// holding up the other tasks of a multi-threaded runtime's worker: the runtime hands them to
/// another thread meanwhile. In a classroom every trainee's simulation writes to the one
/// database, and a commit stalled on a busy disk would otherwise stop every trainee's pages
/// served by that worker. Elsewhere (a current-thread runtime, a plain thread) it just runs.
pub fn off_the_workers<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Starts a write transaction on `db`, waiting for the writer before it off the workers.
pub fn begin_write(db: &Database) -> Result<redb::WriteTransaction, StoreError> {
    Ok(off_the_workers(|| db.begin_write())?)
}

/// Commits `txn` durably, the fsync off the workers.
pub fn commit(txn: redb::WriteTransaction) -> Result<(), StoreError> {
    Ok(off_the_workers(|| txn.commit())?)
}

/// The database, or one simulation's part of it. Cheap to clone.
///
/// In a classroom every trainee's simulation keeps its documents and tables in the one
/// database file under a scope of its own (a prefix of document names and table names), so
/// sessions share one file, one page cache and one set of writers.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    scope: Option<Arc<str>>,
}

impl Store {
    /// Opens (or creates) the database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_file(&data_dir.join(FILE_NAME))
    }

    /// Opens (or creates) the database file at `path`, readable and writable by this user only
    /// (0600): it holds the mail password and the PIN.
    pub fn open_file(path: &Path) -> Result<Self, StoreError> {
        create_private_file(path).map_err(|source| StoreError::Permissions {
            path: path.to_path_buf(),
            source,
        })?;
        // redb's default cache (up to 1 GiB) would grow with the mailboxes; bodies are read
        // once, so a small cache keeps memory flat at no cost to ingest.
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(DOCUMENTS)?;
        commit(txn)?;
        Ok(Store {
            db: Arc::new(db),
            scope: None,
        })
    }

    /// The part of this database that belongs to `scope` (a trainee's session): its documents
    /// and tables are apart from every other scope's and from the unscoped ones.
    pub fn scoped(&self, scope: &str) -> Store {
        Store {
            db: Arc::clone(&self.db),
            scope: Some(Arc::from(self.key(scope).as_ref())),
        }
    }

    /// This store's scope, unless it is the whole database's.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The name of table `base` in this scope.
    pub fn table(&self, base: &str) -> String {
        self.key(base).into_owned()
    }

    /// A document's or table's name in this scope.
    fn key<'a>(&self, name: &'a str) -> std::borrow::Cow<'a, str> {
        match &self.scope {
            None => std::borrow::Cow::Borrowed(name),
            Some(scope) => std::borrow::Cow::Owned(format!("{scope}/{name}")),
        }
    }

    /// The database, for modules that keep their own tables.
    pub fn database(&self) -> Arc<Database> {
        Arc::clone(&self.db)
    }

    /// A stored document, or `None` if it was never saved.
    pub fn load<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.snapshot()?.load(key)
    }

    /// The documents as they are now: what is read through it stays consistent while others
    /// write.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            txn: self.db.begin_read()?,
            store: self.clone(),
        })
    }

    /// Saves a document durably.
    pub fn save<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let txn = begin_write(&self.db)?;
        self.save_in(&txn, key, value)?;
        commit(txn)?;
        Ok(())
    }

    /// Forgets a document (a reset); nothing happens if it was never saved.
    pub fn remove(&self, key: &str) -> Result<(), StoreError> {
        let txn = begin_write(&self.db)?;
        self.remove_in(&txn, key)?;
        commit(txn)?;
        Ok(())
    }

    /// Starts a write transaction: documents read and written in it change together, and no
    /// other writer runs in between.
    pub fn begin_write(&self) -> Result<redb::WriteTransaction, StoreError> {
        begin_write(&self.db)
    }

    /// A stored document as a write transaction sees it.
    pub fn load_in<T: DeserializeOwned>(
        &self,
        txn: &redb::WriteTransaction,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let table = txn.open_table(DOCUMENTS)?;
        let Some(json) = table.get(self.key(key).as_ref())? else {
            return Ok(None);
        };
        parse(key, json.value()).map(Some)
    }

    /// Forgets a document as part of a larger transaction (committed by the caller).
    pub fn remove_in(&self, txn: &redb::WriteTransaction, key: &str) -> Result<(), StoreError> {
        txn.open_table(DOCUMENTS)?.remove(self.key(key).as_ref())?;
        Ok(())
    }

    /// Saves the document `value` makes inside the write transaction, so it is taken after every
    /// transaction before it has committed: writers that take their snapshot first could write
    /// it over a newer one.
    pub fn save_with<T: Serialize>(
        &self,
        key: &str,
        value: impl FnOnce() -> Option<T>,
    ) -> Result<(), StoreError> {
        let txn = begin_write(&self.db)?;
        if let Some(value) = value() {
            self.save_in(&txn, key, &value)?;
            commit(txn)?;
        }
        Ok(())
    }

    /// Saves a document as part of a larger transaction (committed by the caller).
    pub fn save_in<T: Serialize>(
        &self,
        txn: &redb::WriteTransaction,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(value).map_err(|source| StoreError::Document {
            key: key.to_string(),
            source,
        })?;
        txn.open_table(DOCUMENTS)?
            .insert(self.key(key).as_ref(), json.as_str())?;
        Ok(())
    }
}

/// A table of one scope: its name in that scope, and its key and value types.
pub struct Table<K: redb::Key + 'static, V: redb::Value + 'static> {
    name: String,
    types: std::marker::PhantomData<(K, V)>,
}

impl<K: redb::Key + 'static, V: redb::Value + 'static> Table<K, V> {
    /// Table `base` of `store`'s scope.
    pub fn of(store: &Store, base: &str) -> Self {
        Table {
            name: store.table(base),
            types: std::marker::PhantomData,
        }
    }

    /// What redb opens.
    pub fn def(&self) -> TableDefinition<'_, K, V> {
        TableDefinition::new(&self.name)
    }
}

/// The documents at one moment (a read transaction).
pub struct Snapshot {
    txn: redb::ReadTransaction,
    store: Store,
}

impl Snapshot {
    /// A stored document, or `None` if it was never saved.
    pub fn load<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let table = self.txn.open_table(DOCUMENTS)?;
        let Some(json) = table.get(self.store.key(key).as_ref())? else {
            return Ok(None);
        };
        parse(key, json.value()).map(Some)
    }
}

/// A stored document's JSON, read back.
fn parse<T: DeserializeOwned>(key: &str, json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|source| StoreError::Document {
        key: key.to_string(),
        source,
    })
}

/// Creates `dir` and its parents for this user only (0700) and takes access away from others on
/// an existing one: the database inside holds the mail password and the PIN (OpenSSH keeps
/// `~/.ssh` the same way).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    restrict(dir, 0o700)
}

/// Creates `path` empty with mode 0600 if it is missing (redb initialises an empty file), and
/// sets 0600 on an existing one, so there is no moment in which others could open it.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?;
    restrict(path, 0o600)
}

fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        // Elsewhere the user's profile directory is private by default.
        let _ = (path, mode);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_database_and_its_directory_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        Store::open(&dir).unwrap();
        assert_eq!(mode(&dir.join(FILE_NAME)), 0o600);
        // An existing, too open directory and database are tightened.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join(FILE_NAME);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_private_dir(&dir).unwrap();
        Store::open(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
    }

    #[tokio::test]
    async fn an_io_failure_of_the_database_is_signalled_to_stop() {
        let other = StoreError::Database(redb::Error::Corrupted("test".into()));
        assert!(!other.needs_reopen());
        let full = std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device");
        let err = StoreError::from(redb::StorageError::Io(full));
        assert!(err.needs_reopen(), "{err}");
        tokio::time::timeout(std::time::Duration::from_secs(5), io_failure())
            .await
            .expect("the stop is signalled");
        assert!(StoreError::from(redb::StorageError::PreviousIo).needs_reopen());
    }

    #[test]
    fn documents_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(store.load::<Vec<u32>>("numbers").unwrap(), None);
            store.save("numbers", &vec![1, 2, 3]).unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.load::<Vec<u32>>("numbers").unwrap(),
            Some(vec![1, 2, 3])
        );
        let err = store.load::<String>("numbers").unwrap_err();
        assert!(err.to_string().contains("numbers"), "{err}");
    }
}
