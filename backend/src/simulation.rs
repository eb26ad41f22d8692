//! One simulation: the mail engine, the sandbox ISP, the plant and the phone, wired together,
//! and the live state that the browsers watch. It is a value, not a global, so that several can
//! run in one process (one per test, later one per trainee). The web layer reaches the parts only
//! through it: the types it names are re-exported here.

mod actions;
pub mod build;
mod feed;
mod reset;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use shared::classroom::SessionView;
use shared::protocol::{BackendStatus, ServerInfo};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use crate::engine::Engine;
pub use crate::engine::settings::SaveError;
pub use crate::phone::ClientError;
pub use crate::phone::Phone;
pub use crate::plant::PlantError;
pub use crate::plant::runtime::PlantRuntime;
pub use crate::sandbox::SandboxProvider;
pub use crate::sandbox::provider::PolicyError;
pub use crate::training::Trainer;
pub use reset::{ResetError, ResetScope};

/// Simulations started in this process, to tell instances apart.
static STARTS: AtomicU32 = AtomicU32::new(0);

/// A running simulation. Cheap to clone: clones share the same state.
#[derive(Clone)]
pub struct Simulation {
    inner: Arc<Inner>,
}

struct Inner {
    info: ServerInfo,
    started: Instant,
    clients: AtomicU32,
    status: watch::Sender<BackendStatus>,
    cancel: CancellationToken,
    tasks: TaskTracker,
    sandbox: Option<SandboxProvider>,
    engine: Option<Engine>,
    phone: Option<Phone>,
    plant: Option<PlantRuntime>,
    trainer: Option<Trainer>,
    view: SessionView,
}

/// The running parts a simulation is made of (each may be missing in tests), and what its
/// pages are told about it.
#[derive(Default)]
pub struct Running {
    /// The sandbox ISP as this simulation sees it.
    pub sandbox: Option<SandboxProvider>,
    /// The engine.
    pub engine: Option<Engine>,
    /// The plant.
    pub plant: Option<PlantRuntime>,
    /// The exercises, progress and record.
    pub trainer: Option<Trainer>,
    /// Class, name and what its pages may change.
    pub view: SessionView,
}

impl Simulation {
    /// Starts a simulation whose background tasks run on `tasks` until `cancel` is cancelled,
    /// around its running parts: a sandbox ISP (or none, when it is turned off), the engine,
    /// the plant and the trainer (none in unit tests).
    pub fn start(cancel: CancellationToken, tasks: &TaskTracker, parts: Running) -> Self {
        let Running {
            sandbox,
            engine,
            plant,
            trainer,
            view,
        } = parts;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let info = ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            instance: format!(
                "{:x}-{:x}-{}",
                now.as_nanos(),
                std::process::id(),
                STARTS.fetch_add(1, Ordering::Relaxed)
            ),
            started_at_unix: now.as_secs(),
        };
        let (status, _) = watch::channel(BackendStatus::default());
        let simulation = Simulation {
            inner: Arc::new(Inner {
                info,
                started: Instant::now(),
                clients: AtomicU32::new(0),
                status,
                cancel,
                tasks: tasks.clone(),
                phone: sandbox.as_ref().and_then(|s| {
                    let password = s.accounts().by_user(crate::phone::USER)?.password.clone();
                    Phone::new(s.addresses(), password, Duration::from_secs(30))
                        .inspect_err(|err| tracing::error!(%err, "no phone"))
                        .ok()
                }),
                sandbox,
                engine,
                plant,
                trainer,
                view,
            }),
        };
        tasks.spawn(simulation.clone().tick_uptime());
        if let Some(trainer) = simulation.trainer().cloned() {
            tasks.spawn(simulation.clone().feed(trainer));
        }
        simulation
    }

    /// Which back end this is.
    pub fn info(&self) -> &ServerInfo {
        &self.inner.info
    }

    /// The sandbox ISP, unless it is turned off.
    pub fn sandbox(&self) -> Option<&SandboxProvider> {
        self.inner.sandbox.as_ref()
    }

    /// The operator's simulated phone (needs the sandbox).
    pub fn phone(&self) -> Option<&Phone> {
        self.inner.phone.as_ref()
    }

    /// The plant.
    pub fn plant(&self) -> Option<&PlantRuntime> {
        self.inner.plant.as_ref()
    }

    /// The engine (the system's mail module).
    pub fn engine(&self) -> Option<&Engine> {
        self.inner.engine.as_ref()
    }

    /// The exercises, the trainee's progress and record.
    pub fn trainer(&self) -> Option<&Trainer> {
        self.inner.trainer.as_ref()
    }

    /// What its pages are told about it: class, name, whether the ISP panel is theirs.
    pub fn view(&self) -> &SessionView {
        &self.inner.view
    }

    /// Browsers connected now.
    pub fn clients(&self) -> u32 {
        self.inner.clients.load(Ordering::SeqCst)
    }

    /// Follows the live state: the receiver sees the latest value and every later change.
    pub fn subscribe(&self) -> watch::Receiver<BackendStatus> {
        self.inner.status.subscribe()
    }

    /// Completes when the simulation is shut down.
    pub fn cancelled(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.inner.cancel.cancelled()
    }

    /// Runs `work` (a browser's request that waits on the network) beside the simulation: it
    /// is dropped at shutdown, which therefore never waits for a mail server's timeout.
    pub fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        let cancel = self.inner.cancel.clone();
        self.inner.tasks.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = work => {}
            }
        });
    }

    /// Counts a connected browser until the returned guard is dropped.
    pub fn client_connected(&self) -> ClientGuard {
        self.inner.clients.fetch_add(1, Ordering::SeqCst);
        self.publish();
        ClientGuard {
            simulation: self.clone(),
        }
    }

    fn publish(&self) {
        let status = BackendStatus {
            uptime_secs: self.inner.started.elapsed().as_secs(),
            clients: self.inner.clients.load(Ordering::SeqCst),
        };
        self.inner.status.send_if_modified(|current| {
            let changed = *current != status;
            *current = status;
            changed
        });
    }

    async fn tick_uptime(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = self.inner.cancel.cancelled() => break,
                _ = tick.tick() => self.publish(),
            }
        }
    }
}

/// Keeps a browser counted as connected while alive.
pub struct ClientGuard {
    simulation: Simulation,
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.simulation.inner.clients.fetch_sub(1, Ordering::SeqCst);
        self.simulation.publish();
    }
}

/// A simulation of no parts (no sandbox, engine, plant or trainer), for unit tests of what
/// stands around them.
#[cfg(test)]
pub(crate) fn without_parts(cancel: CancellationToken) -> Simulation {
    Simulation::start(cancel, &TaskTracker::new(), Running::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn uptime_and_clients_are_published() {
        let cancel = CancellationToken::new();
        let sim = without_parts(cancel.clone());
        let mut status = sim.subscribe();
        let guard = sim.client_connected();
        assert_eq!(status.borrow_and_update().clients, 1);
        tokio::time::advance(Duration::from_secs(3)).await;
        status.changed().await.unwrap();
        assert!(status.borrow().uptime_secs >= 1);
        drop(guard);
        assert_eq!(status.borrow_and_update().clients, 0);
        cancel.cancel();
    }

    #[tokio::test]
    async fn every_start_is_a_new_instance() {
        let a = without_parts(CancellationToken::new());
        let b = without_parts(CancellationToken::new());
        assert_ne!(a.info().instance, b.info().instance);
    }
}
