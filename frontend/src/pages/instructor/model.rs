//! The instructor's page as pure state: the class messages folded in by [`ClassModel::apply`],
//! and the class table's rows and cells as text. Unit-tested on native.

use shared::Lang;
use shared::classroom::{ClassMsg, TraineeRow};
use shared::protocol::ProtocolError;
use shared::training::{Exercise, ExerciseState};

use crate::model::{LinkState, retry_delay_ms};

/// Something that happened to the instructor's socket.
#[derive(Debug, Clone, PartialEq)]
pub enum ClassEvent {
    /// A connection attempt starts.
    Connecting,
    /// The socket opened.
    Opened,
    /// The socket closed or could not open.
    Closed,
    /// The back end sent a message.
    Message(ClassMsg),
}

/// What the last request came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Carried out for this many trainees.
    Done(u32),
    /// Refused or failed.
    Refused(ProtocolError),
}

/// Everything the instructor's page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassModel {
    /// The socket.
    pub link: LinkState,
    failures: u32,
    /// The socket has been open at least once (else a refusal likely means a wrong key).
    pub ever_open: bool,
    /// The classes this back end serves.
    pub classes: Vec<String>,
    /// The exercises that can be pushed.
    pub exercises: Vec<Exercise>,
    /// Every trainee.
    pub trainees: Vec<TraineeRow>,
    /// The last request's outcome, numbered so the page sees a repeat.
    pub outcome: Option<(u64, Outcome)>,
    /// The last records received, numbered, with their class.
    pub records: Option<(u64, String, String)>,
    seq: u64,
}

impl Default for ClassModel {
    fn default() -> Self {
        ClassModel {
            link: LinkState::Connecting { attempt: 1 },
            failures: 0,
            ever_open: false,
            classes: Vec::new(),
            exercises: Vec::new(),
            trainees: Vec::new(),
            outcome: None,
            records: None,
            seq: 0,
        }
    }
}

impl ClassModel {
    /// Applies one event.
    pub fn apply(&mut self, event: ClassEvent) {
        match event {
            ClassEvent::Connecting => {
                self.link = LinkState::Connecting {
                    attempt: self.failures + 1,
                }
            }
            ClassEvent::Opened => {
                self.failures = 0;
                self.ever_open = true;
                self.link = LinkState::Open;
            }
            ClassEvent::Closed => {
                self.failures += 1;
                self.link = LinkState::Closed {
                    failures: self.failures,
                    retry_in_ms: retry_delay_ms(self.failures),
                };
            }
            ClassEvent::Message(ClassMsg::Welcome { classes, exercises }) => {
                self.classes = classes;
                self.exercises = exercises;
            }
            ClassEvent::Message(ClassMsg::Class { trainees }) => self.trainees = trainees,
            ClassEvent::Message(ClassMsg::Done { trainees }) => {
                self.seq += 1;
                self.outcome = Some((self.seq, Outcome::Done(trainees)));
            }
            ClassEvent::Message(ClassMsg::Error(error)) => {
                self.seq += 1;
                self.outcome = Some((self.seq, Outcome::Refused(error)));
            }
            ClassEvent::Message(ClassMsg::Records { class, json_lines }) => {
                self.seq += 1;
                self.records = Some((self.seq, class, json_lines));
            }
        }
    }

    /// The trainees of `class`, by name.
    pub fn rows(&self, class: &str) -> Vec<TraineeRow> {
        let mut rows: Vec<TraineeRow> = self
            .trainees
            .iter()
            .filter(|t| t.class == class)
            .cloned()
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        rows
    }

    /// The error states seen in `class`, and how many of its trainees are in one now.
    pub fn errors(&self, class: &str) -> (u32, usize) {
        let of_class = self.trainees.iter().filter(|t| t.class == class);
        let total = of_class.clone().map(|t| t.errors).sum();
        let now = of_class.filter(|t| in_error(t)).count();
        (total, now)
    }

    /// The title of exercise `id` with its number, or the id itself when it is not listed.
    pub fn exercise_title(&self, id: &str, lang: Lang) -> String {
        self.exercises.iter().find(|e| e.id == id).map_or_else(
            || id.to_string(),
            |e| format!("{}. {}", e.order, e.title.get(lang)),
        )
    }
}

/// The trainee's status code is an error now (`err timeout`, …).
pub fn in_error(row: &TraineeRow) -> bool {
    row.last_status
        .as_deref()
        .is_some_and(|s| s.starts_with("err"))
}

/// The state cell: 未着手 / 実施中 with the time so far / 完了 with the time taken, and its kind
/// for styling and tests.
pub fn state_cell(row: &TraineeRow, now_ms: u64, lang: Lang) -> (&'static str, String) {
    match row.exercise.as_ref().map(|(_, state)| *state) {
        None => ("none", "—".into()),
        Some(ExerciseState::NotStarted) => ("not-started", ExerciseState::NotStarted.label(lang)),
        Some(state @ ExerciseState::Done { .. }) => ("done", state.label(lang)),
        Some(ExerciseState::InProgress) => {
            let label = ExerciseState::InProgress.label(lang);
            let text = match row.started_at_ms {
                Some(start) => {
                    let secs = now_ms.saturating_sub(start) / 1000;
                    match lang {
                        Lang::Ja => format!("{label}（{}分{:02}秒）", secs / 60, secs % 60),
                        Lang::En => format!("{label} ({}:{:02})", secs / 60, secs % 60),
                    }
                }
                None => label,
            };
            ("in-progress", text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(class: &str, name: &str, status: Option<&str>, errors: u32) -> TraineeRow {
        TraineeRow {
            id: format!("{class}-{name}"),
            class: class.into(),
            name: name.into(),
            from: "127.0.0.1".into(),
            pages: 1,
            resident: true,
            exercise: None,
            started_at_ms: None,
            last_status: status.map(Into::into),
            errors,
        }
    }

    fn with_class(trainees: Vec<TraineeRow>) -> ClassModel {
        let mut model = ClassModel::default();
        model.apply(ClassEvent::Opened);
        model.apply(ClassEvent::Message(ClassMsg::Welcome {
            classes: vec!["A".into(), "B".into()],
            exercises: Vec::new(),
        }));
        model.apply(ClassEvent::Message(ClassMsg::Class { trainees }));
        model
    }

    #[test]
    fn a_class_lists_its_own_trainees_by_name_and_counts_errors() {
        let model = with_class(vec![
            row("A", "佐藤", Some("err timeout"), 3),
            row("B", "鈴木", Some("err auth"), 5),
            row("A", "伊藤", Some("run (2)"), 1),
            row("A", "Ann", None, 0),
        ]);
        let names: Vec<String> = model.rows("A").into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["Ann", "伊藤", "佐藤"]);
        assert_eq!(model.errors("A"), (4, 1));
        assert_eq!(model.errors("B"), (5, 1));
        assert_eq!(model.errors("C"), (0, 0));
        assert!(model.ever_open);
    }

    #[test]
    fn the_state_cell_says_how_far_and_how_long() {
        let mut r = row("A", "x", None, 0);
        assert_eq!(state_cell(&r, 0, Lang::Ja), ("none", "—".into()));
        r.exercise = Some(("op25b".into(), ExerciseState::InProgress));
        r.started_at_ms = Some(10_000);
        assert_eq!(
            state_cell(&r, 10_000 + 185_500, Lang::Ja),
            ("in-progress", "実施中（3分05秒）".into())
        );
        assert_eq!(
            state_cell(&r, 10_000 + 185_500, Lang::En).1,
            "In progress (3:05)"
        );
        // A clock behind the back end's never shows a negative time.
        assert_eq!(state_cell(&r, 0, Lang::Ja).1, "実施中（0分00秒）");
        r.exercise = Some(("op25b".into(), ExerciseState::Done { secs: 61 }));
        assert_eq!(
            state_cell(&r, 0, Lang::Ja),
            ("done", "完了（1分01秒）".into())
        );
    }

    #[test]
    fn answers_are_numbered_so_a_repeat_shows() {
        let mut model = with_class(Vec::new());
        model.apply(ClassEvent::Message(ClassMsg::Done { trainees: 2 }));
        model.apply(ClassEvent::Message(ClassMsg::Done { trainees: 2 }));
        assert_eq!(model.outcome, Some((2, Outcome::Done(2))));
        model.apply(ClassEvent::Message(ClassMsg::Records {
            class: "A".into(),
            json_lines: "{}\n".into(),
        }));
        assert_eq!(model.records, Some((3, "A".into(), "{}\n".into())));
        model.apply(ClassEvent::Closed);
        assert!(matches!(model.link, LinkState::Closed { failures: 1, .. }));
        assert_eq!(model.exercise_title("nope", Lang::Ja), "nope");
    }
}
