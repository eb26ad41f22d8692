//! Training mode: the exercises, the trainee's progress in the current one, and the record of
//! what the trainee did and what came of it. The simulation feeds every [`Happening`] in
//! ([`Trainer::observe`]); the checks are judged as they come (see `shared::training`), and the
//! panel's [`TrainingView`] is published on every change. Applying an exercise's starting state
//! to the engine, the ISP and the plant is the simulation's job: this module touches none of
//! them.

pub mod load;
pub mod record;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use shared::training::{Exercise, ExerciseState, Happening, Progress, RecordEntry, TrainingView};
use tokio::sync::watch;

use crate::mail::clock::now_unix_ms;
use crate::store::{Store, StoreError};
use record::Record;

/// The document that keeps the progress across restarts.
const STATE_KEY: &str = "training.state";

/// What survives a restart besides the record.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    /// The exercise in progress (or just completed, still on show).
    current: Option<Progress>,
    /// Each exercise started so far, and how it ended the last time.
    states: BTreeMap<String, ExerciseState>,
    /// The instructor switch.
    instructor: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            current: None,
            states: BTreeMap::new(),
            // Outside an exercise this page is its own instructor (single-user mode).
            instructor: true,
        }
    }
}

/// Why the instructor switch did not move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the ISP is the instructor's while an exercise is in progress")]
pub struct Locked;

/// Exercises, progress and record. Cheap to clone.
#[derive(Clone)]
pub struct Trainer {
    inner: Arc<Inner>,
}

struct Inner {
    exercises: Vec<Exercise>,
    state: Mutex<State>,
    record: Record,
    store: Store,
    view: watch::Sender<TrainingView>,
}

impl Trainer {
    /// The trainer for `exercises`, with the progress and record kept in `store`.
    pub fn new(store: &Store, exercises: Vec<Exercise>) -> Result<Self, StoreError> {
        let state: State = store.load(STATE_KEY)?.unwrap_or_default();
        let record = Record::new(store)?;
        let view = view_of(&exercises, &state, record.len()?);
        Ok(Trainer {
            inner: Arc::new(Inner {
                exercises,
                state: Mutex::new(state),
                record,
                store: store.clone(),
                view: watch::channel(view).0,
            }),
        })
    }

    /// Follows the panel's view.
    pub fn subscribe(&self) -> watch::Receiver<TrainingView> {
        self.inner.view.subscribe()
    }

    /// Every exercise, in order.
    pub fn exercises(&self) -> &[Exercise] {
        &self.inner.exercises
    }

    /// The exercise with `id`.
    pub fn exercise(&self, id: &str) -> Option<&Exercise> {
        self.inner.exercises.iter().find(|e| e.id == id)
    }

    /// The exercise in progress (or just completed), if any.
    pub fn current(&self) -> Option<Exercise> {
        let id = self.state().current.as_ref()?.exercise.clone();
        self.exercise(&id).cloned()
    }

    /// True while an exercise is in progress: the ISP is the instructor's then.
    pub fn in_progress(&self) -> bool {
        in_progress(&self.state())
    }

    /// True when the ISP panel may not be changed from the page.
    pub fn isp_locked(&self) -> bool {
        let state = self.state();
        in_progress(&state) || !state.instructor
    }

    /// Moves the instructor switch; refused while an exercise is in progress.
    pub fn set_instructor(&self, on: bool) -> Result<(), Locked> {
        let mut state = self.state();
        if in_progress(&state) {
            return Err(Locked);
        }
        state.instructor = on;
        self.settle(state);
        Ok(())
    }

    /// Starts (or starts over) exercise `id`: its progress from nothing, the ISP locked.
    pub fn begin(&self, id: &str) -> Option<Exercise> {
        let exercise = self.exercise(id)?.clone();
        let mut state = self.state();
        state.current = Some(Progress::start(&exercise, now_unix_ms()));
        state
            .states
            .insert(exercise.id.clone(), ExerciseState::InProgress);
        state.instructor = false;
        self.append(&state, Happening::ExerciseStarted { id: id.into() });
        self.settle(state);
        Some(exercise)
    }

    /// Leaves the current exercise (after a whole-simulation reset, or to practise freely).
    pub fn leave(&self, happening: Happening) {
        let mut state = self.state();
        self.append(&state, happening);
        if let Some(progress) = state.current.take()
            && progress.completed_at_ms.is_none()
        {
            state.states.remove(&progress.exercise);
        }
        state.instructor = true;
        self.settle(state);
    }

    /// Takes in what happened: records it (unless it is only state) and judges the checks.
    pub fn observe(&self, happening: Happening) {
        let mut state = self.state();
        let recorded = happening.is_recorded();
        if recorded {
            self.append(&state, happening.clone());
        }
        let met = self.judge(&mut state, &happening);
        if recorded || met {
            self.settle(state);
        }
    }

    /// The record as JSON Lines.
    pub fn record_json_lines(&self) -> Result<String, StoreError> {
        self.inner.record.json_lines()
    }

    /// Judges the current exercise's checks; true when a step was met.
    fn judge(&self, state: &mut State, happening: &Happening) -> bool {
        let Some(progress) = state.current.as_mut() else {
            return false;
        };
        if progress.completed_at_ms.is_some() {
            return false;
        }
        let Some(exercise) = self.exercise(&progress.exercise) else {
            return false;
        };
        let now = now_unix_ms();
        let met = progress.observe(&exercise.checks, happening, now);
        let id = exercise.id.clone();
        let done = progress.state();
        for step in &met {
            tracing::info!(exercise = %id, step, "training step met");
        }
        let mut notes: Vec<Happening> = met
            .iter()
            .map(|&step| Happening::StepMet {
                id: id.clone(),
                step,
            })
            .collect();
        if let ExerciseState::Done { secs } = done {
            notes.push(Happening::Completed {
                id: id.clone(),
                secs,
            });
            state.states.insert(id, done);
        }
        for note in notes {
            self.append(state, note);
        }
        !met.is_empty()
    }

    fn append(&self, state: &State, happening: Happening) {
        let entry = RecordEntry {
            seq: 0,
            at_unix_ms: now_unix_ms(),
            exercise: state.current.as_ref().map(|p| p.exercise.clone()),
            happening,
        };
        if let Err(err) = self.inner.record.append(entry) {
            tracing::error!(%err, "the trainee's record could not be written");
        }
    }

    /// Stores the state and publishes the view.
    fn settle(&self, state: MutexGuard<'_, State>) {
        if let Err(err) = self.inner.store.save(STATE_KEY, &*state) {
            tracing::error!(%err, "the training progress could not be stored");
        }
        let len = self.inner.record.len().unwrap_or_default();
        let view = view_of(&self.inner.exercises, &state, len);
        drop(state);
        self.inner.view.send_if_modified(|current| {
            let changed = *current != view;
            *current = view;
            changed
        });
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves a state that is still a valid value.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn in_progress(state: &State) -> bool {
    state
        .current
        .as_ref()
        .is_some_and(|p| p.completed_at_ms.is_none())
}

fn view_of(exercises: &[Exercise], state: &State, record_len: u64) -> TrainingView {
    TrainingView {
        states: exercises
            .iter()
            .map(|e| {
                let s = state.states.get(&e.id).copied();
                (e.id.clone(), s.unwrap_or(ExerciseState::NotStarted))
            })
            .collect(),
        current: state.current.clone(),
        instructor: state.instructor,
        record_len,
        notice_password: state
            .current
            .as_ref()
            .and_then(|p| exercises.iter().find(|e| e.id == p.exercise))
            .map(|e| e.notice.password.clone()),
    }
}

#[cfg(test)]
mod tests;
