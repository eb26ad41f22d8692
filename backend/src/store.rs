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

    /// Opens (or creates) the database file at `path`.
    pub fn open_file(path: &Path) -> Result<Self, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
