//! The classroom: a simulation for every trainee in one process. Trainees join a class from the
//! browser and are known by a secret in their cookie; each gets a [`Simulation`] built like
//! single-user mode's, in a scope of the one database and with the ISP reached from loopback
//! addresses of its own. A simulation with no page open leaves memory after the idle time and
//! comes back from disk, as it was, with the next page. The instructor sees the class list and
//! acts on trainees or the whole class.

mod rows;
mod session;

use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::classroom::{JoinError, JoinRequest, Joined, SessionView, TraineeRow};
use shared::sandbox::{Clients, SandboxPolicy};
use shared::secret::constant_time_eq;
use shared::training::Exercise;
use shared::transcript::Notice;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ClassArgs;
use crate::simulation::build::{Parts, Place};
use crate::simulation::{ResetScope, Simulation};
use crate::store::StoreError;
use session::Resident;

/// The document listing every trainee who joined.
const TRAINEES_KEY: &str = "classroom.trainees";
/// How often idle simulations are looked for and the class list refreshed.
const SWEEP: Duration = Duration::from_millis(500);

/// A trainee as stored: who, in which class, and where their simulation lives.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredTrainee {
    /// Public: the instructor's pages name the trainee by it.
    id: String,
    /// Secret: the cookie.
    secret: String,
    class: String,
    name: String,
    /// The simulation's number: its database scope and its ISP addresses.
    index: u32,
}

impl StoredTrainee {
    fn place(&self) -> Option<Place> {
        Some(Place {
            scope: format!("trainee-{}", self.index),
            clients: Clients::of_session(self.index)?,
            view: SessionView {
                joined: Some(self.joined()),
                read_only: false,
                isp_panel: false,
                client_addresses: Clients::of_session(self.index)
                    .map(|c| (c.system.to_string(), c.phone.to_string())),
            },
        })
    }

    fn joined(&self) -> Joined {
        Joined {
            class: self.class.clone(),
            name: self.name.clone(),
        }
    }
}

/// Why an instructor's request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClassError {
    /// No trainee of that id.
    #[error("no such trainee")]
    NoTrainee,
    /// No class of that code here.
    #[error("no such class")]
    NoClass,
    /// No exercise of that id.
    #[error("no such exercise")]
    NoExercise,
    /// A simulation could not be started, reset or changed.
    #[error("{0}")]
    Failed(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ClassError {
    /// What the instructor reads, in both languages.
    pub fn notice(&self) -> Notice {
        match self {
            ClassError::NoTrainee => {
                Notice::new("その研修生はいません。", "There is no such trainee.")
            }
            ClassError::NoClass => {
                Notice::new("そのクラスはありません。", "There is no such class.")
            }
            ClassError::NoExercise => {
                Notice::new("その研修課題はありません。", "There is no such exercise.")
            }
            ClassError::Failed(why) => Notice::new(
                format!("実行できませんでした: {why}"),
                format!("It could not be done: {why}"),
            ),
            ClassError::Store(err) => err.notice(),
        }
    }
}

/// The classroom. Cheap to clone.
#[derive(Clone)]
pub struct Classroom {
    inner: Arc<Inner>,
}

struct Inner {
    parts: Parts,
    args: ClassArgs,
    cancel: CancellationToken,
    tasks: TaskTracker,
    trainees: Mutex<Vec<session::Trainee>>,
    /// The simulation being brought back or started for a trainee: one at a time per
    /// trainee, so two pages opening at once share one.
    entering: tokio::sync::Mutex<()>,
    rows: watch::Sender<Vec<TraineeRow>>,
}

impl Classroom {
    /// The classroom of `args` on `parts`, with the trainees who joined before; their
    /// simulations start when their pages open. Its tasks run on `tasks` until `cancel`.
    pub fn start(
        parts: Parts,
        args: ClassArgs,
        cancel: CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<Self, StoreError> {
        let stored: Vec<StoredTrainee> = parts.store.load(TRAINEES_KEY)?.unwrap_or_default();
        let trainees = stored.into_iter().map(session::Trainee::new).collect();
        let classroom = Classroom {
            inner: Arc::new(Inner {
                parts,
                args,
                cancel,
                tasks: tasks.clone(),
                trainees: Mutex::new(trainees),
                entering: tokio::sync::Mutex::new(()),
                rows: watch::channel(Vec::new()).0,
            }),
        };
        classroom.publish();
        tasks.spawn(classroom.clone().sweep());
        Ok(classroom)
    }

    /// The class codes served here.
    pub fn classes(&self) -> &[String] {
        &self.inner.args.classes
    }

    /// The exercises the instructor can push, as trainees see them listed.
    pub fn exercises(&self) -> Vec<Exercise> {
        self.inner
            .parts
            .exercises
            .iter()
            .map(|e| e.listed())
            .collect()
    }

    /// True if `key` is the instructor's.
    pub fn key_matches(&self, key: &str) -> bool {
        self.inner
            .args
            .instructor_token
            .as_deref()
            .is_some_and(|expected| constant_time_eq(key, expected))
    }

    /// Adds a trainee to a class; returns the secret for their cookie.
    pub fn join(&self, request: &JoinRequest, from: IpAddr) -> Result<(String, Joined), JoinError> {
        let request = request.normalized()?;
        if !self.classes().contains(&request.class) {
            return Err(JoinError::UnknownClass);
        }
        let mut trainees = self.trainees();
        if trainees
            .iter()
            .any(|t| t.stored.class == request.class && t.stored.name == request.name)
        {
            return Err(JoinError::NameTaken);
        }
        let index = u32::try_from(trainees.len()).map_err(|_| JoinError::ClassFull)?;
        if index >= self.inner.args.max_sessions || Clients::of_session(index).is_none() {
            return Err(JoinError::ClassFull);
        }
        let stored = StoredTrainee {
            id: random_hex(8).ok_or(JoinError::ClassFull)?,
            secret: random_hex(16).ok_or(JoinError::ClassFull)?,
            class: request.class,
            name: request.name,
            index,
        };
        let mut all: Vec<StoredTrainee> = trainees.iter().map(|t| t.stored.clone()).collect();
        all.push(stored.clone());
        if let Err(err) = self.inner.parts.store.save(TRAINEES_KEY, &all) {
            tracing::error!(%err, "a trainee could not be stored");
            return Err(JoinError::ClassFull);
        }
        let joined = stored.joined();
        let secret = stored.secret.clone();
        let mut trainee = session::Trainee::new(stored);
        trainee.from = from.to_string();
        trainees.push(trainee);
        drop(trainees);
        tracing::info!(class = %joined.class, "a trainee joined");
        self.publish();
        Ok((secret, joined))
    }

    /// The trainee whose cookie holds `secret`.
    pub fn joined(&self, secret: &str) -> Option<Joined> {
        self.trainees()
            .iter()
            .find(|t| constant_time_eq(&t.stored.secret, secret))
            .map(|t| t.stored.joined())
    }

    /// The simulation of the trainee whose cookie holds `secret`, started or brought back
    /// from disk when it is not in memory; `from` is where their page connects from.
    pub async fn enter(&self, secret: &str, from: IpAddr) -> Option<Simulation> {
        let id = {
            let mut trainees = self.trainees();
            let trainee = trainees
                .iter_mut()
                .find(|t| constant_time_eq(&t.stored.secret, secret))?;
            trainee.from = from.to_string();
            trainee.stored.id.clone()
        };
        self.resident(&id).await
    }

    /// Trainee `id`'s simulation, for the instructor's read-only view.
    pub async fn watch(&self, id: &str) -> Option<Simulation> {
        self.resident(id).await
    }

    /// Follows the class list.
    pub fn subscribe(&self) -> watch::Receiver<Vec<TraineeRow>> {
        self.inner.rows.subscribe()
    }

    /// Returns trainee `id`'s simulation to its start (the record keeps what happened).
    pub async fn reset_trainee(&self, id: &str) -> Result<(), ClassError> {
        let simulation = self.resident(id).await.ok_or(ClassError::NoTrainee)?;
        simulation
            .reset(ResetScope::Simulation)
            .await
            .map_err(|err| ClassError::Failed(err.to_string()))
    }

    /// Starts `exercise` for every trainee of `class`; returns how many.
    pub async fn push_exercise(&self, class: &str, exercise: &str) -> Result<u32, ClassError> {
        if !self.inner.parts.exercises.iter().any(|e| e.id == exercise) {
            return Err(ClassError::NoExercise);
        }
        let mut count = 0;
        for simulation in self.class_simulations(class).await? {
            simulation
                .reset(ResetScope::Exercise(exercise.to_string()))
                .await
                .map_err(|err| ClassError::Failed(err.to_string()))?;
            count += 1;
        }
        Ok(count)
    }

    /// Sets `policy` on the ISP of every trainee of `class`; returns how many.
    pub async fn push_policy(&self, class: &str, policy: SandboxPolicy) -> Result<u32, ClassError> {
        let mut count = 0;
        for simulation in self.class_simulations(class).await? {
            if let Some(isp) = simulation.sandbox() {
                isp.set_policy(policy.clone())
                    .map_err(|err| ClassError::Failed(err.to_string()))?;
                count += 1;
            }
        }
        Ok(count)
    }

    /// The records of every trainee of `class` as one JSON Lines text, each line naming its
    /// trainee; read from disk, so evicted trainees' records are there too.
    pub fn records(&self, class: &str) -> Result<String, ClassError> {
        let mut out = String::new();
        for trainee in self.members(class)? {
            let Some(place) = trainee.place() else {
                continue;
            };
            for line in self.inner.parts.record(&place)?.lines() {
                out.push_str(&rows::named_line(line, &trainee.id, &trainee.name));
                out.push('\n');
            }
        }
        Ok(out)
    }

    /// Every trainee of `class`'s simulation, brought into memory.
    async fn class_simulations(&self, class: &str) -> Result<Vec<Simulation>, ClassError> {
        let members = self.members(class)?;
        let mut simulations = Vec::with_capacity(members.len());
        for trainee in members {
            let simulation = self.resident(&trainee.id).await;
            simulations.push(simulation.ok_or(ClassError::NoTrainee)?);
        }
        Ok(simulations)
    }

    /// The trainees of `class`, in the order they joined.
    fn members(&self, class: &str) -> Result<Vec<StoredTrainee>, ClassError> {
        if !self.classes().iter().any(|c| c == class) {
            return Err(ClassError::NoClass);
        }
        Ok(self
            .trainees()
            .iter()
            .filter(|t| t.stored.class == class)
            .map(|t| t.stored.clone())
            .collect())
    }

    /// Trainee `id`'s simulation in memory: the one running, or a new one on what is stored
    /// (after the evicted one, if any, has finished its last save).
    async fn resident(&self, id: &str) -> Option<Simulation> {
        let _one_at_a_time = self.inner.entering.lock().await;
        let (stored, stopping) = {
            let mut trainees = self.trainees();
            let trainee = trainees.iter_mut().find(|t| t.stored.id == id)?;
            if let Some(resident) = &mut trainee.resident {
                resident.touch();
                return Some(resident.simulation.clone());
            }
            (trainee.stored.clone(), trainee.stopping.take())
        };
        if let Some(stopping) = stopping {
            stopping.wait().await;
        }
        let errors = self
            .trainees()
            .iter()
            .find(|t| t.stored.id == id)
            .map(session::Trainee::errors)?;
        let resident = Resident::start(
            &self.inner.parts,
            &stored,
            errors,
            &self.inner.cancel,
            &self.inner.tasks,
        )
        .inspect_err(|err| tracing::error!(%err, "a trainee's simulation did not start"))
        .ok()?;
        let simulation = resident.simulation.clone();
        let mut trainees = self.trainees();
        let trainee = trainees.iter_mut().find(|t| t.stored.id == id)?;
        trainee.resident = Some(resident);
        drop(trainees);
        self.publish();
        Some(simulation)
    }

    /// Every [`SWEEP`]: evicts simulations idle for longer than the idle time, and publishes
    /// the class list when it changed.
    async fn sweep(self) {
        let idle = Duration::from_secs(self.inner.args.session_idle_secs);
        let mut tick = tokio::time::interval(SWEEP);
        loop {
            tokio::select! {
                () = self.inner.cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            let evicted = {
                let mut trainees = self.trainees();
                trainees
                    .iter_mut()
                    .filter_map(|t| t.evict_if_idle(idle))
                    .count()
            };
            if evicted > 0 {
                tracing::info!(evicted, "idle trainees' simulations left memory");
            }
            self.publish();
        }
    }

    /// Publishes the class list if it changed.
    fn publish(&self) {
        let rows: Vec<TraineeRow> = self.trainees().iter().map(session::Trainee::row).collect();
        self.inner.rows.send_if_modified(|current| {
            let changed = *current != rows;
            if changed {
                *current = rows;
            }
            changed
        });
    }

    fn trainees(&self) -> MutexGuard<'_, Vec<session::Trainee>> {
        self.inner
            .trainees
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `bytes` random bytes as lower-case hex, from the operating system's generator.
fn random_hex(bytes: usize) -> Option<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).ok()?;
    Some(buffer.iter().map(|b| format!("{b:02x}")).collect())
}
