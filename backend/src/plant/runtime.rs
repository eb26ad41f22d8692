//! The running plant: one shared [`Plant`] that ticks with the demo time scale, publishes its
//! points for the browser, keeps its state in the store, and hands alarm transitions to a sink
//! (the engine's alarm mail).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use shared::points::{AlarmEvent, PointSnapshot, Value};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Plant, PlantError, PlantState, STORE_KEY};
use crate::store::Store;

/// Real time between ticks.
const TICK: Duration = Duration::from_secs(1);
/// Ticks between saves of the slowly drifting values (changes by command save at once).
const SAVE_EVERY: u32 = 10;

/// Receives alarm transitions as they happen.
pub type AlarmSink = Arc<dyn Fn(Vec<AlarmEvent>) + Send + Sync>;

/// The shared plant. Cheap to clone.
#[derive(Clone)]
pub struct PlantRuntime {
    plant: Arc<Mutex<Plant>>,
    points: watch::Sender<Vec<PointSnapshot>>,
    store: Store,
    time_scale: Arc<std::sync::atomic::AtomicU32>,
    /// Set while the engine's transaction has stored a newer state than the live plant's (it
    /// goes live at [`PlantRuntime::replace`]): saving the live plant then would undo it.
    newer_stored: Arc<AtomicBool>,
    /// A save was skipped for that reason: the next tick saves.
    save_due: Arc<AtomicBool>,
}

impl PlantRuntime {
    /// Restores `plant`'s state from the store and starts ticking `time_scale` times faster
    /// than real time until `cancel`, on `tasks`; the tick's task saves the plant once more
    /// before it ends, so waiting for `tasks` waits for that save.
    pub fn start(
        mut plant: Plant,
        store: Store,
        time_scale: u32,
        alarms: AlarmSink,
        cancel: CancellationToken,
        tasks: &TaskTracker,
    ) -> Self {
        match store.load::<PlantState>(STORE_KEY) {
            Ok(Some(state)) => {
                let skipped = plant.restore(&state);
                if !skipped.is_empty() {
                    tracing::info!(?skipped, "points file changed since the plant was saved");
                }
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(%err, "stored plant state unreadable: starting fresh"),
        }
        let runtime = PlantRuntime {
            points: watch::channel(plant.points()).0,
            plant: Arc::new(Mutex::new(plant)),
            store,
            time_scale: Arc::new(std::sync::atomic::AtomicU32::new(time_scale.max(1))),
            newer_stored: Arc::default(),
            save_due: Arc::default(),
        };
        tasks.spawn(runtime.clone().tick(alarms, cancel));
        runtime
    }

    /// [`PlantRuntime::start`] at real time, its alarms told nobody and its task on a tracker of
    /// its own: a plant for tests and benchmarks that read, command or subscribe to it.
    pub fn unattended(plant: Plant, store: Store, cancel: CancellationToken) -> Self {
        Self::start(
            plant,
            store,
            1,
            Arc::new(|_| {}),
            cancel,
            &TaskTracker::new(),
        )
    }

    /// Follows the points.
    pub fn subscribe(&self) -> watch::Receiver<Vec<PointSnapshot>> {
        self.points.subscribe()
    }

    /// A copy of the plant to prepare changes on (see [`PlantRuntime::replace`]).
    pub fn copy(&self) -> Plant {
        self.lock().clone()
    }

    /// The caller's transaction stores a state that goes live at [`PlantRuntime::replace`] or
    /// is dropped at [`PlantRuntime::keep`]; until then the live plant is not saved.
    pub fn storing(&self) {
        self.newer_stored.store(true, Ordering::SeqCst);
    }

    /// Stores `state` as part of the caller's transaction (after [`PlantRuntime::storing`]).
    pub fn save_in(
        &self,
        txn: &redb::WriteTransaction,
        state: &PlantState,
    ) -> Result<(), crate::store::StoreError> {
        self.store.save_in(txn, STORE_KEY, state)
    }

    /// Puts a prepared plant in place (its state is already stored by the caller).
    pub fn replace(&self, plant: Plant) {
        *self.lock() = plant;
        self.newer_stored.store(false, Ordering::SeqCst);
        self.publish();
    }

    /// A training reset: every point back to its initial value and out of alarm, then
    /// `values` set (outputs operated, inputs forced). Saved and published at once.
    pub fn reset(&self, values: &[(String, Value)]) -> Result<(), PlantError> {
        let mut plant = Plant::new(self.lock().config().clone());
        for (id, value) in values {
            let operable = plant.point(id).is_some_and(|p| p.kind.is_operable());
            if operable {
                plant.set(id, *value)?;
            } else {
                plant.simulate(id, *value)?;
            }
        }
        *self.lock() = plant;
        self.save();
        self.publish();
        Ok(())
    }

    /// The state announced by [`PlantRuntime::storing`] was not stored: the live plant stays.
    pub fn keep(&self) {
        self.newer_stored.store(false, Ordering::SeqCst);
    }

    /// Operates a DO or AO from the UI.
    pub fn operate(&self, id: &str, value: Value) -> Result<(Value, Value), PlantError> {
        self.change(|plant| plant.set(id, value))
    }

    /// Forces a DI or AI for training (trip DOOR1, push TEMP1).
    pub fn simulate(&self, id: &str, value: Value) -> Result<(Value, Value), PlantError> {
        self.change(|plant| plant.simulate(id, value))
    }

    fn change(
        &self,
        apply: impl FnOnce(&mut Plant) -> Result<(Value, Value), PlantError>,
    ) -> Result<(Value, Value), PlantError> {
        let result = apply(&mut self.lock());
        if result.is_ok() {
            self.save();
            self.publish();
        }
        result
    }

    fn lock(&self) -> MutexGuard<'_, Plant> {
        // A panic while holding the lock leaves a plant that is still a valid value.
        self.plant
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn publish(&self) {
        let points = self.lock().points();
        self.points.send_if_modified(|current| {
            let changed = *current != points;
            *current = points;
            changed
        });
    }

    /// Saves the live plant, its snapshot taken inside the write transaction: one writer order
    /// with the engine's transactions, so a SET stored with its execution is never overwritten
    /// by an older snapshot.
    fn save(&self) {
        let snapshot = || {
            if self.newer_stored.load(Ordering::SeqCst) {
                self.save_due.store(true, Ordering::SeqCst);
                return None;
            }
            Some(self.lock().snapshot())
        };
        if let Err(err) = self.store.save_with(STORE_KEY, snapshot) {
            tracing::error!(%err, "saving the plant failed");
        }
    }

    /// Changes the demo time scale while running.
    pub fn set_time_scale(&self, scale: u32) {
        self.time_scale
            .store(scale.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    async fn tick(self, alarms: AlarmSink, cancel: CancellationToken) {
        let mut interval = tokio::time::interval(TICK);
        let mut ticks = 0u32;
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = interval.tick() => {}
            }
            let now_ms = crate::mail::clock::now_unix() * 1000;
            let scale = self.time_scale.load(std::sync::atomic::Ordering::Relaxed);
            let events = self
                .lock()
                .tick(TICK.as_secs_f64() * f64::from(scale), now_ms);
            ticks += 1;
            let due = self.save_due.swap(false, Ordering::SeqCst);
            if due || !events.is_empty() || ticks.is_multiple_of(SAVE_EVERY) {
                self.save();
            }
            self.publish();
            if !events.is_empty() {
                alarms(events);
            }
        }
        self.save();
    }
}
