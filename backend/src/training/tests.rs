use shared::status::{MailError, MailStatus};

use super::*;

fn trainer(dir: &std::path::Path) -> Trainer {
    let store = Store::open(dir).unwrap();
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../exercises");
    let exercises = load::load_dir(std::path::Path::new(shipped), &|_| true).unwrap();
    Trainer::new(&store, exercises).unwrap()
}

fn timeout() -> Happening {
    Happening::Status {
        status: MailStatus::Error {
            error: MailError::Timeout,
            detail: shared::transcript::Notice::same("port 25"),
        },
    }
}

#[test]
fn an_exercise_locks_the_isp_until_it_is_completed_and_everything_is_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let trainer = trainer(dir.path());
    assert!(!trainer.isp_locked());
    trainer.begin("op25b").unwrap();
    assert!(trainer.isp_locked() && trainer.in_progress());
    assert_eq!(trainer.set_instructor(true), Err(Locked));
    trainer.observe(timeout());
    trainer.observe(Happening::Restarted);
    let mut settings = shared::settings::MailSettings::sandbox_demo();
    settings.smtp_service = "submission".into();
    trainer.observe(Happening::Applied {
        settings: Box::new(settings),
    });
    trainer.observe(Happening::Delivered {
        to: "operator@sandbox.test".into(),
        from: "karacrix@sandbox.test".into(),
        subject: "Re: SET PUMP1 ON".into(),
        text: "> SET PUMP1 ON".into(),
    });
    assert!(!trainer.in_progress());
    let view = trainer.subscribe().borrow().clone();
    assert!(matches!(view.state_of("op25b"), ExerciseState::Done { .. }));
    assert_eq!(view.state_of("first-setup"), ExerciseState::NotStarted);
    let kinds: Vec<String> = trainer
        .record_json_lines()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["type"].to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "\"exercise_started\"",
            "\"status\"",
            "\"step_met\"",
            "\"restarted\"",
            "\"step_met\"",
            "\"delivered\"",
            "\"step_met\"",
            "\"completed\""
        ]
    );
    trainer.set_instructor(true).unwrap();
}

#[test]
fn progress_survives_a_restart_and_leaving_forgets_an_unfinished_exercise() {
    let dir = tempfile::tempdir().unwrap();
    {
        let trainer = trainer(dir.path());
        trainer.begin("op25b").unwrap();
        trainer.observe(timeout());
    }
    let trainer = trainer(dir.path());
    let view = trainer.subscribe().borrow().clone();
    let progress = view.current.clone().unwrap();
    assert_eq!(progress.next_step(), Some(1));
    assert_eq!(view.state_of("op25b"), ExerciseState::InProgress);
    assert_eq!(view.record_len, 3);
    trainer.leave(Happening::SimulationReset);
    let view = trainer.subscribe().borrow().clone();
    assert!(view.current.is_none() && view.instructor);
    assert_eq!(view.state_of("op25b"), ExerciseState::NotStarted);
    assert!(trainer.begin("no-such-exercise").is_none());
}
