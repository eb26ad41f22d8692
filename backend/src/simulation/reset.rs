//! Starting an exercise and resetting: every part goes back to a starting state — the settings
//! pending and applied, the mailboxes, the outbox and the executed ids, the plant, the ISP's
//! policies — and the trainer starts the progress afresh.

use shared::sandbox::SandboxPolicy;
use shared::settings::MailSettings;
use shared::training::{Happening, SettingsStart, Start};

use super::Simulation;
use crate::engine::settings::StoredSettings;

/// What a reset returns to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetScope {
    /// Start (or start over) this exercise.
    Exercise(String),
    /// Start the current exercise over.
    Current,
    /// The whole simulation back to the demo's start; no exercise.
    Simulation,
}

/// Why a reset did not happen (or not completely).
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// No such exercise, or none in progress.
    #[error("no such exercise: {0}")]
    NoExercise(String),
    /// A part could not be reset.
    #[error("{0}")]
    Part(String),
}

impl Simulation {
    /// Resets to `scope`'s starting state.
    pub async fn reset(&self, scope: ResetScope) -> Result<(), ResetError> {
        let Some(trainer) = self.trainer() else {
            return Err(ResetError::NoExercise("training is off".into()));
        };
        let start = match scope {
            ResetScope::Simulation => {
                trainer.leave(Happening::SimulationReset);
                demo_start()
            }
            ResetScope::Current => {
                let current = trainer.current().map(|e| e.id);
                let id = current.ok_or_else(|| ResetError::NoExercise("none started".into()))?;
                self.begin(&id)?
            }
            ResetScope::Exercise(id) => self.begin(&id)?,
        };
        self.apply_start(&start).await
    }

    fn begin(&self, id: &str) -> Result<Start, ResetError> {
        let trainer = self.trainer().expect("checked by the caller");
        let exercise = trainer
            .begin(id)
            .ok_or_else(|| ResetError::NoExercise(id.to_string()))?;
        Ok(exercise.start)
    }

    /// Puts every part in `start`'s state. The engine stops first, so no cycle runs on a
    /// half-reset ISP; it restarts on the new settings last.
    async fn apply_start(&self, start: &Start) -> Result<(), ResetError> {
        let part = |what: &str, err: &dyn std::fmt::Display| {
            tracing::error!(%err, what, "reset failed");
            ResetError::Part(format!("{what}: {err}"))
        };
        let pending = StoredSettings {
            settings: start.settings.clone(),
            password: start.password.clone(),
        };
        if let Some(engine) = self.engine() {
            engine
                .reset(&pending, None)
                .map_err(|e| part("engine", &e))?;
        }
        if let Some(sandbox) = self.sandbox() {
            sandbox
                .reset(start.isp.clone(), &start.mails)
                .await
                .map_err(|e| part("sandbox ISP", &e))?;
        }
        if let Some(plant) = self.plant() {
            let values: Vec<_> = start
                .points
                .iter()
                .map(|p| (p.id.clone(), p.value))
                .collect();
            plant.reset(&values).map_err(|e| part("plant", &e))?;
        }
        if let Some(engine) = self.engine() {
            let applied = start.applied.then_some(&pending);
            engine
                .reset(&pending, applied)
                .map_err(|e| part("engine", &e))?;
            if start.applied {
                self.observe(Happening::Applied {
                    settings: Box::new(start.settings.clone()),
                });
            }
        }
        Ok(())
    }
}

/// Where `scripts/run` starts: the demo account saved (no password yet), never restarted, the
/// default ISP, the plant's initial values, empty mailboxes.
fn demo_start() -> Start {
    Start {
        form: SettingsStart::Given,
        settings: MailSettings::sandbox_demo(),
        password: String::new(),
        applied: false,
        isp: SandboxPolicy::default(),
        points: Vec::new(),
        mails: Vec::new(),
    }
}
