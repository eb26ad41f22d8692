//! The plant: the points that command mails read and operate, a small model linking them, and
//! alarm evaluation. It is a plain value with no clock, no I/O and no randomness: the caller
//! says how much time passed ([`Plant::tick`]) and what time it is (for the alarm events), so
//! every behaviour is testable with explicit times.
//!
//! - Points come from a TOML points file ([`file`]); [`DEFAULT_POINTS`] is the default plant.
//! - Commands operate DO and AO points only ([`Plant::set`]); training inputs force DI and AI
//!   points ([`Plant::simulate`]).
//! - Entering and leaving an alarm produce [`AlarmEvent`]s, returned rather than sent: mailing
//!   them to the alarm recipients is the engine's.
//! - [`Plant::snapshot`] / [`Plant::restore`] give a serde document for the store
//!   (under [`STORE_KEY`]); when to save is the caller's.

pub mod file;
mod model;
pub mod runtime;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::Lang;
use shared::command::{PointLookup, point_matches};
use shared::points::{AlarmEvent, AlarmState, PointKind, PointSnapshot, Value};

pub use file::{PlantConfig, PlantFileError, PointDef, Rule};

/// The default plant of the spec, documented for people who edit a copy.
pub const DEFAULT_POINTS: &str = include_str!("../../plant.default.toml");

/// The store document that holds the plant's state.
pub const STORE_KEY: &str = "plant";

/// Why a point cannot take a value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlantError {
    /// No point has this id.
    #[error("there is no point {id:?}")]
    UnknownPoint {
        /// The id asked for.
        id: String,
    },
    /// Commands operate DO and AO only.
    #[error("{id} is a {} and cannot be operated", kind.code())]
    NotOperable {
        /// The point.
        id: String,
        /// Its kind.
        kind: PointKind,
    },
    /// Training inputs force DI and AI only.
    #[error("{id} is a {} and cannot be forced as an input", kind.code())]
    NotAnInput {
        /// The point.
        id: String,
        /// Its kind.
        kind: PointKind,
    },
    /// A number for an ON/OFF point, or the other way round, or a number that is not finite.
    #[error("{id} takes {}", if *digital { "ON or OFF" } else { "a number" })]
    WrongType {
        /// The point.
        id: String,
        /// True when the point wants ON/OFF.
        digital: bool,
    },
    /// Outside what the point allows.
    #[error("{id}: {value} is outside {min} to {max}")]
    OutOfRange {
        /// The point.
        id: String,
        /// The value asked for.
        value: f64,
        /// The lowest allowed.
        min: f64,
        /// The highest allowed.
        max: f64,
    },
}

impl PlantError {
    /// The reason, for a command reply, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (PlantError::UnknownPoint { id }, Lang::Ja) => {
                format!("ポイント「{id}」はありません。")
            }
            (PlantError::NotOperable { id, kind }, Lang::Ja) => format!(
                "{id} は{}（{}）のため操作できません。",
                kind.label(Lang::Ja),
                kind.code()
            ),
            (PlantError::NotAnInput { id, kind }, Lang::Ja) => format!(
                "{id} は{}（{}）のため模擬入力できません。",
                kind.label(Lang::Ja),
                kind.code()
            ),
            (PlantError::WrongType { id, digital }, Lang::Ja) => format!(
                "{id} の値は{}で指定してください。",
                if *digital { "ON/OFF" } else { "数値" }
            ),
            (
                PlantError::OutOfRange {
                    id,
                    value,
                    min,
                    max,
                },
                Lang::Ja,
            ) => format!("{id} に {value} は設定できません（{min}〜{max}）。"),
            (error, Lang::En) => format!("{error}."),
        }
    }
}

/// What survives a restart: every point's value and alarm, by id.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PlantState {
    /// Values by point id.
    pub values: BTreeMap<String, Value>,
    /// Points in alarm, by id, so a restart does not announce known alarms again.
    pub alarms: BTreeMap<String, AlarmState>,
}

/// The plant.
#[derive(Debug, Clone)]
pub struct Plant {
    config: PlantConfig,
    values: Vec<Value>,
    alarms: Vec<Option<AlarmState>>,
}

impl Plant {
    /// A plant from a checked description, every point at its initial value and out of alarm
    /// (the first [`Plant::evaluate_alarms`] raises what is already in alarm).
    pub fn new(config: PlantConfig) -> Self {
        let values = config.points.iter().map(|p| p.initial).collect();
        let alarms = vec![None; config.points.len()];
        Plant {
            config,
            values,
            alarms,
        }
    }

    /// A plant from the text of a points file.
    pub fn from_toml(text: &str) -> Result<Self, PlantFileError> {
        file::parse(text).map(Plant::new)
    }

    /// The default plant of [`DEFAULT_POINTS`].
    pub fn default_plant() -> Self {
        // A test parses the embedded file, so this cannot fail in a build that passed its tests.
        Plant::from_toml(DEFAULT_POINTS).expect("the embedded default plant is valid")
    }

    /// The checked description the plant was built from.
    pub fn config(&self) -> &PlantConfig {
        &self.config
    }

    /// Every point, in file order, as the points list and `LIST` show them.
    pub fn points(&self) -> Vec<PointSnapshot> {
        (0..self.values.len())
            .map(|i| self.snapshot_of(i))
            .collect()
    }

    /// One point by id (any case).
    pub fn point(&self, id: &str) -> Option<PointSnapshot> {
        self.index(id).map(|i| self.snapshot_of(i))
    }

    /// The points in alarm now, as `ALARM` shows them.
    pub fn active_alarms(&self) -> Vec<PointSnapshot> {
        (0..self.values.len())
            .filter(|&i| self.alarms[i].is_some())
            .map(|i| self.snapshot_of(i))
            .collect()
    }

    /// Operates a DO or AO point for a command: returns the old and the new value. An AO value
    /// outside its min..max is refused, not clamped, so the reply says what happened.
    pub fn set(&mut self, id: &str, value: Value) -> Result<(Value, Value), PlantError> {
        let i = self.find(id)?;
        let point = &self.config.points[i];
        match (&point.rule, value) {
            (Rule::Do, Value::Digital(_)) => {}
            (Rule::Ao { min, max }, Value::Analog(x)) => check_range(point, x, *min, *max)?,
            (Rule::Do | Rule::Ao { .. }, _) => return Err(wrong_type(point)),
            _ => {
                return Err(PlantError::NotOperable {
                    id: point.id.clone(),
                    kind: point.kind,
                });
            }
        }
        Ok(self.replace(i, value))
    }

    /// Forces a DI or AI for training (trip DOOR1, push TEMP1): returns the old and the new
    /// value. The model keeps moving an AI afterwards, as a real measurement would.
    pub fn simulate(&mut self, id: &str, value: Value) -> Result<(Value, Value), PlantError> {
        let i = self.find(id)?;
        let point = &self.config.points[i];
        match (&point.rule, value) {
            (Rule::Di { .. }, Value::Digital(_)) => {}
            (Rule::Ai { range, .. }, Value::Analog(x)) => check_range(point, x, range.0, range.1)?,
            (Rule::Di { .. } | Rule::Ai { .. }, _) => return Err(wrong_type(point)),
            _ => {
                return Err(PlantError::NotAnInput {
                    id: point.id.clone(),
                    kind: point.kind,
                });
            }
        }
        Ok(self.replace(i, value))
    }

    /// Lets `dt_seconds` pass in the model, then evaluates the alarms at `at_unix_ms`.
    pub fn tick(&mut self, dt_seconds: f64, at_unix_ms: u64) -> Vec<AlarmEvent> {
        model::step(
            &self.config.points,
            &self.config.links,
            &mut self.values,
            dt_seconds,
        );
        self.evaluate_alarms(at_unix_ms)
    }

    /// Compares every point with its alarm rule and returns the alarms raised and cleared
    /// since the last evaluation, in point order. Call it after [`Plant::set`] or
    /// [`Plant::simulate`] to report at once rather than at the next tick.
    pub fn evaluate_alarms(&mut self, at_unix_ms: u64) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        for (i, point) in self.config.points.iter().enumerate() {
            let next = model::next_alarm(&point.rule, self.values[i], self.alarms[i]);
            events.extend(model::transition(
                point,
                self.values[i],
                self.alarms[i],
                next,
                at_unix_ms,
            ));
            self.alarms[i] = next;
        }
        events
    }

    /// The state to save.
    pub fn snapshot(&self) -> PlantState {
        let ids = self.config.points.iter().map(|p| p.id.clone());
        PlantState {
            values: ids.clone().zip(self.values.iter().copied()).collect(),
            alarms: ids
                .zip(self.alarms.iter())
                .filter_map(|(id, alarm)| alarm.map(|a| (id, a)))
                .collect(),
        }
    }

    /// Takes back a saved state. The points file wins over the saved state: entries for points
    /// that no longer exist or whose type changed are skipped, values outside a changed range
    /// are brought into it. Returns the ids of the entries skipped or adjusted, for the log.
    pub fn restore(&mut self, state: &PlantState) -> Vec<String> {
        let mut notes = Vec::new();
        for (id, value) in &state.values {
            let Some(i) = self.index(id) else {
                notes.push(id.clone());
                continue;
            };
            let point = &self.config.points[i];
            let restored = match (&point.rule, *value) {
                (Rule::Di { .. } | Rule::Do, Value::Digital(on)) => Some(Value::Digital(on)),
                (rule, Value::Analog(x)) if x.is_finite() && !point.kind.is_digital() => {
                    let (lo, hi) = match rule {
                        Rule::Ai { range, .. } => *range,
                        Rule::Ao { min, max } => (*min, *max),
                        _ => (0.0, f64::MAX),
                    };
                    let clamped = x.clamp(lo, hi);
                    if clamped != x {
                        notes.push(id.clone());
                    }
                    Some(Value::Analog(clamped))
                }
                _ => None,
            };
            match restored {
                Some(v) => self.values[i] = v,
                None => notes.push(id.clone()),
            }
        }
        for (i, point) in self.config.points.iter().enumerate() {
            self.alarms[i] = state.alarms.get(&point.id).copied();
        }
        notes
    }

    fn snapshot_of(&self, i: usize) -> PointSnapshot {
        let point = &self.config.points[i];
        let (low, high) = match point.rule {
            Rule::Ai { low, high, .. } => (low, high),
            Rule::Ao { min, max } => (Some(min), Some(max)),
            _ => (None, None),
        };
        let alarm_when = match point.rule {
            Rule::Di { alarm_when } => alarm_when,
            _ => None,
        };
        PointSnapshot {
            id: point.id.clone(),
            name: point.name.clone(),
            name_en: point.name_en.clone(),
            kind: point.kind,
            value: self.values[i],
            unit: point.unit.clone(),
            decimals: point.decimals,
            alarm: self.alarms[i],
            low,
            high,
            alarm_when,
        }
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.config
            .points
            .iter()
            .position(|p| p.id.eq_ignore_ascii_case(id.trim()))
    }

    fn find(&self, id: &str) -> Result<usize, PlantError> {
        self.index(id)
            .ok_or_else(|| PlantError::UnknownPoint { id: id.to_string() })
    }

    fn replace(&mut self, i: usize, value: Value) -> (Value, Value) {
        let old = std::mem::replace(&mut self.values[i], value);
        (old, value)
    }
}

impl PointLookup for Plant {
    fn find_point(&self, key: &str) -> Option<(String, PointKind)> {
        self.config
            .points
            .iter()
            .find(|p| point_matches(&p.id, &p.name, key))
            .map(|p| (p.id.clone(), p.kind))
    }
}

fn check_range(point: &PointDef, x: f64, min: f64, max: f64) -> Result<(), PlantError> {
    if !x.is_finite() {
        return Err(wrong_type(point));
    }
    if !(min..=max).contains(&x) {
        return Err(PlantError::OutOfRange {
            id: point.id.clone(),
            value: x,
            min,
            max,
        });
    }
    Ok(())
}

fn wrong_type(point: &PointDef) -> PlantError {
    PlantError::WrongType {
        id: point.id.clone(),
        digital: point.kind.is_digital(),
    }
}

#[cfg(test)]
mod tests;
