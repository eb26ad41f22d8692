//! One trainee of the classroom: who they are, and their simulation while it is in memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use shared::classroom::TraineeRow;
use shared::status::MailStatus;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::StoredTrainee;
use crate::simulation::Simulation;
use crate::simulation::build::Parts;

/// A trainee, in memory or not.
pub(super) struct Trainee {
    pub(super) stored: StoredTrainee,
    /// Where their page last connected from.
    pub(super) from: String,
    pub(super) resident: Option<Resident>,
    /// An evicted simulation's tasks, still finishing their last save.
    pub(super) stopping: Option<TaskTracker>,
    /// Error states seen since the process started.
    errors: Arc<AtomicU32>,
    /// The class list's row as last seen while in memory.
    last_row: TraineeRow,
}

impl Trainee {
    pub(super) fn new(stored: StoredTrainee) -> Self {
        let last_row = TraineeRow {
            id: stored.id.clone(),
            class: stored.class.clone(),
            name: stored.name.clone(),
            from: String::new(),
            pages: 0,
            resident: false,
            exercise: None,
            started_at_ms: None,
            last_status: None,
            errors: 0,
        };
        Trainee {
            stored,
            from: String::new(),
            resident: None,
            stopping: None,
            errors: Arc::default(),
            last_row,
        }
    }

    /// The class list's row: live while in memory, as last seen otherwise.
    pub(super) fn row(&self) -> TraineeRow {
        let mut row = self.last_row.clone();
        row.from.clone_from(&self.from);
        row.errors = self.errors.load(Ordering::Relaxed);
        row.resident = self.resident.is_some();
        row.pages = 0;
        if let Some(resident) = &self.resident {
            super::rows::fill(&mut row, &resident.simulation);
        }
        row
    }

    /// Stops the simulation if no page has been open for `idle`; true if it did.
    pub(super) fn evict_if_idle(&mut self, idle: Duration) -> Option<()> {
        let resident = self.resident.as_mut()?;
        if !resident.idle_for(idle) {
            return None;
        }
        self.last_row = self.row();
        let resident = self.resident.take()?;
        self.stopping = Some(resident.stop());
        Some(())
    }

    /// The counter the resident's watcher adds error states to.
    pub(super) fn errors(&self) -> Arc<AtomicU32> {
        Arc::clone(&self.errors)
    }
}

/// A trainee's simulation in memory.
pub(super) struct Resident {
    pub(super) simulation: Simulation,
    cancel: CancellationToken,
    tasks: TaskTracker,
    /// Since when no page has been open.
    idle_since: Option<Instant>,
}

impl Resident {
    /// Starts the simulation of `trainee` on `parts`; its tasks are awaited by `tasks` at
    /// shutdown. Error states are counted into `errors`.
    pub(super) fn start(
        parts: &Parts,
        trainee: &StoredTrainee,
        errors: Arc<AtomicU32>,
        root: &CancellationToken,
        tasks: &TaskTracker,
    ) -> anyhow::Result<Resident> {
        let place = trainee
            .place()
            .ok_or_else(|| anyhow::anyhow!("no addresses left for trainee {}", trainee.index))?;
        let cancel = root.child_token();
        let own = TaskTracker::new();
        let simulation = parts.simulation(Some(&place), cancel.clone(), &own)?;
        own.spawn(count_errors(simulation.clone(), errors));
        // Shutdown waits for the simulation's last save as it does for single-user mode's.
        let (stop, wait) = (cancel.clone(), own.clone());
        tasks.spawn(async move {
            stop.cancelled().await;
            wait.close();
            wait.wait().await;
        });
        Ok(Resident {
            simulation,
            cancel,
            tasks: own,
            idle_since: None,
        })
    }

    /// A page asked for it: it is not idle.
    pub(super) fn touch(&mut self) {
        self.idle_since = None;
    }

    /// True once no page has been open for `idle`.
    fn idle_for(&mut self, idle: Duration) -> bool {
        if self.simulation.clients() > 0 {
            self.idle_since = None;
            return false;
        }
        let since = *self.idle_since.get_or_insert_with(Instant::now);
        since.elapsed() >= idle
    }

    /// Stops it: its tasks end (the plant saves) and the ISP no longer serves its addresses;
    /// returns what to wait on before starting it again.
    fn stop(self) -> TaskTracker {
        self.cancel.cancel();
        self.tasks.close();
        self.tasks
    }
}

/// Counts the engine's error states (a retry showing the same error again is not counted).
async fn count_errors(simulation: Simulation, errors: Arc<AtomicU32>) {
    let Some(engine) = simulation.engine() else {
        return;
    };
    let mut state = engine.subscribe();
    let mut last_error = None;
    loop {
        tokio::select! {
            () = simulation.cancelled() => return,
            changed = state.changed() => if changed.is_err() { return },
        }
        let status = state.borrow_and_update().status.clone();
        match status {
            MailStatus::Error { error, .. } if last_error != Some(error) => {
                last_error = Some(error);
                errors.fetch_add(1, Ordering::Relaxed);
            }
            MailStatus::Run { .. } => last_error = None,
            _ => {}
        }
    }
}
