//! The embedded database (redb): one file in the data directory holding everything that must
//! survive a restart or a crash — settings, sandbox policies, mailboxes, and (later) the outbox
//! and the ids of executed command mails. Modules open their own tables on the shared database.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The database file inside the data directory.
pub const FILE_NAME: &str = "karacrix.redb";

/// The database's page cache.
const CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Small documents (settings, policies) as JSON, by name.
const DOCUMENTS: TableDefinition<&str, &str> = TableDefinition::new("documents");

/// A failure of the embedded database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database itself failed.
    #[error("database: {0}")]
    Database(#[from] redb::Error),
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

macro_rules! store_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Database(e.into())
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

/// The database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
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
        txn.commit()?;
        Ok(Store { db: Arc::new(db) })
    }

    /// The database, for modules that keep their own tables.
    pub fn database(&self) -> Arc<Database> {
        Arc::clone(&self.db)
    }

    /// A stored document, or `None` if it was never saved.
    pub fn load<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(DOCUMENTS)?;
        let Some(json) = table.get(key)? else {
            return Ok(None);
        };
        serde_json::from_str(json.value())
            .map(Some)
            .map_err(|source| StoreError::Document {
                key: key.to_string(),
                source,
            })
    }

    /// Saves a document durably.
    pub fn save<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        Self::save_in(&txn, key, value)?;
        txn.commit()?;
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
        let txn = self.db.begin_write()?;
        if let Some(value) = value() {
            Self::save_in(&txn, key, &value)?;
            txn.commit()?;
        }
        Ok(())
    }

    /// Saves a document as part of a larger transaction (committed by the caller).
    pub fn save_in<T: Serialize>(
        txn: &redb::WriteTransaction,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(value).map_err(|source| StoreError::Document {
            key: key.to_string(),
            source,
        })?;
        txn.open_table(DOCUMENTS)?.insert(key, json.as_str())?;
        Ok(())
    }
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
