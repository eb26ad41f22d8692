//! The instructor's class list rows and the class's record lines.

use shared::classroom::TraineeRow;

use crate::simulation::Simulation;

/// Fills `row` from a simulation in memory: pages, exercise, last status.
pub(super) fn fill(row: &mut TraineeRow, simulation: &Simulation) {
    row.pages = simulation.clients();
    if let Some(trainer) = simulation.trainer() {
        let view = trainer.subscribe().borrow().clone();
        match &view.current {
            Some(progress) => {
                row.exercise = Some((progress.exercise.clone(), view.state_of(&progress.exercise)));
                row.started_at_ms = Some(progress.started_at_ms);
            }
            None => {
                row.started_at_ms = None;
                row.exercise = view
                    .states
                    .iter()
                    .rev()
                    .find(|(_, state)| *state != shared::training::ExerciseState::NotStarted)
                    .cloned();
            }
        }
    }
    if let Some(engine) = simulation.engine() {
        let state = engine.subscribe().borrow().clone();
        row.last_status = Some(match &state.standing_error {
            Some(failure) => failure.error.code().to_string(),
            None => state.status.display(),
        });
    }
}

/// One record line with the trainee it belongs to (`trainee_id`, `trainee`) added; a line that
/// is not a JSON object is kept as it is.
pub(super) fn named_line(line: &str, id: &str, name: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.insert("trainee_id".into(), id.into());
            fields.insert("trainee".into(), name.into());
            serde_json::Value::Object(fields).to_string()
        }
        _ => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_line_names_its_trainee() {
        let line = named_line(r#"{"seq":1,"kind":"saved"}"#, "ab12", "山田");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["trainee"], "山田");
        assert_eq!(value["trainee_id"], "ab12");
        assert_eq!(value["seq"], 1);
        assert_eq!(named_line("not json", "a", "b"), "not json");
    }
}
