//! The trainee's record: every action and consequence, in order, kept in the database so it
//! survives reloads and restarts, and downloadable as JSON Lines.

use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use shared::training::RecordEntry;

use crate::store::{Store, StoreError, Table};

/// Entries: seq → JSON of [`RecordEntry`].
const RECORD: &str = "training_record";

/// The record in the back end's database. Cheap to clone.
#[derive(Clone)]
pub struct Record {
    db: Arc<Database>,
    table: Arc<Table<u64, &'static str>>,
}

impl Record {
    /// The record in `store`'s scope.
    pub fn new(store: &Store) -> Result<Self, StoreError> {
        let db = store.database();
        let table = Table::of(store, RECORD);
        let txn = crate::store::begin_write(&db)?;
        txn.open_table(table.def())?;
        crate::store::commit(txn)?;
        Ok(Record {
            db,
            table: Arc::new(table),
        })
    }

    /// Appends an entry; its `seq` is set to follow the last one. Returns the entry stored.
    pub fn append(&self, mut entry: RecordEntry) -> Result<RecordEntry, StoreError> {
        let txn = crate::store::begin_write(&self.db)?;
        {
            let mut table = txn.open_table(self.table.def())?;
            let last = table.last()?.map_or(0, |(seq, _)| seq.value());
            entry.seq = last + 1;
            let json = serde_json::to_string(&entry).map_err(|source| StoreError::Document {
                key: RECORD.to_string(),
                source,
            })?;
            table.insert(entry.seq, json.as_str())?;
        }
        crate::store::commit(txn)?;
        Ok(entry)
    }

    /// How many entries there are.
    pub fn len(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(self.table.def())?.len()?)
    }

    /// True when nothing was recorded yet.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// The whole record as JSON Lines, oldest first.
    pub fn json_lines(&self) -> Result<String, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(self.table.def())?;
        let mut out = String::new();
        for entry in table.iter()? {
            let (_, json) = entry?;
            out.push_str(json.value());
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use shared::training::Happening;

    use super::*;

    #[test]
    fn entries_are_numbered_in_order_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let entry = |h| RecordEntry {
            seq: 0,
            at_unix_ms: 5,
            exercise: None,
            happening: h,
        };
        {
            let store = crate::store::Store::open(dir.path()).unwrap();
            let record = Record::new(&store).unwrap();
            assert!(record.is_empty().unwrap());
            assert_eq!(record.append(entry(Happening::Restarted)).unwrap().seq, 1);
            record.append(entry(Happening::ReceiveNow)).unwrap();
        }
        let store = crate::store::Store::open(dir.path()).unwrap();
        let record = Record::new(&store).unwrap();
        assert_eq!(record.len().unwrap(), 2);
        let lines = record.json_lines().unwrap();
        let parsed: Vec<RecordEntry> = lines
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(parsed[0].seq, 1);
        assert_eq!(parsed[1].happening, Happening::ReceiveNow);
        assert!(
            lines.starts_with(r#"{"seq":1,"at_unix_ms":5,"exercise":null,"type":"restarted"}"#)
        );
    }
}
