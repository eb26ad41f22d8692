//! Command mails executed but not yet recorded: the receiving side of the mail cycle collects
//! them and records them in one ledger transaction, then deletes them from the server. A batch
//! is bounded in mails, in reply octets and in time, so memory stays small and a slow server
//! does not hold executions (and the plant copy they run on) back for long.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::commands::CommandLayer;
use super::ledger::{Execution, Ledger, NewMail, OutboxMeta};
use crate::store::StoreError;

/// Mails recorded per transaction at most.
const MAX_MAILS: usize = 100;
/// Reply octets held per batch at most.
const MAX_OCTETS: usize = 1024 * 1024;
/// How long the first mail of a batch waits for its record at most.
pub(super) const MAX_WAIT: Duration = Duration::from_millis(100);

/// A recorded batch.
pub(super) struct Recorded {
    /// POP3 message numbers to delete now.
    pub(super) numbers: Vec<u32>,
    /// The replies' outbox entries, to hand to the sender.
    pub(super) queued: Vec<(u64, OutboxMeta)>,
}

/// Executions waiting for their record.
#[derive(Default)]
pub(super) struct Batch {
    executions: Vec<Execution>,
    /// POP3 message numbers to delete once the batch is recorded.
    numbers: Vec<u32>,
    /// Every id in the batch: a second mail with the same Message-ID is caught before the record.
    ids: HashSet<String>,
    octets: usize,
    started: Option<Instant>,
}

impl Batch {
    /// Adds message `number`, executed under `ids`.
    pub(super) fn add(&mut self, number: u32, ids: Vec<String>, replies: Vec<NewMail>) {
        self.started.get_or_insert_with(Instant::now);
        self.octets += replies.iter().map(|r| r.message.len()).sum::<usize>();
        self.ids.extend(ids.iter().cloned());
        self.executions.push(Execution { ids, replies });
        self.numbers.push(number);
    }

    /// True if a mail in the batch has any of these ids.
    pub(super) fn contains(&self, ids: &[String]) -> bool {
        ids.iter().any(|id| self.ids.contains(id))
    }

    /// Mails waiting for their record.
    pub(super) fn len(&self) -> usize {
        self.executions.len()
    }

    /// True when nothing waits for a record.
    pub(super) fn is_empty(&self) -> bool {
        self.executions.is_empty()
    }

    /// True when the batch should be recorded now.
    pub(super) fn is_due(&self) -> bool {
        self.executions.len() >= MAX_MAILS
            || self.octets >= MAX_OCTETS
            || self.started.is_some_and(|t| t.elapsed() >= MAX_WAIT)
    }

    /// Records the batch, with what `commands` stores, in one transaction and empties it.
    /// On failure nothing is recorded and the batch is empty all the same.
    pub(super) fn record(
        &mut self,
        ledger: &Ledger,
        commands: &dyn CommandLayer,
    ) -> Result<Recorded, StoreError> {
        let Batch {
            executions,
            numbers,
            ..
        } = std::mem::take(self);
        let queued = ledger.record_executions(&executions, |txn| commands.store(txn))?;
        Ok(Recorded { numbers, queued })
    }
}
