use super::*;
use crate::training::file::parse;

fn op25b() -> Exercise {
    let text = include_str!("../../../../exercises/02-op25b.toml");
    parse(text, &|_| true).unwrap()
}

fn applied(smtp_service: &str) -> Happening {
    let mut settings = MailSettings::sandbox_demo();
    settings.smtp_service = smtp_service.into();
    Happening::Applied {
        settings: Box::new(settings),
    }
}

fn status(status: MailStatus) -> Happening {
    Happening::Status { status }
}

fn timeout() -> Happening {
    status(MailStatus::Error {
        error: MailError::Timeout,
        detail: crate::transcript::Notice::default(),
    })
}

fn reply(contains: &str) -> Happening {
    Happening::Delivered {
        to: "operator@sandbox.test".into(),
        from: "karacrix@sandbox.test".into(),
        subject: format!("Re: {contains}"),
        text: format!("> {contains}\nOK"),
    }
}

/// Feeds `happenings` one a millisecond; returns the steps met after each.
fn run(exercise: &Exercise, happenings: &[Happening]) -> (Progress, Vec<Vec<usize>>) {
    let mut progress = Progress::start(exercise, 0);
    let met = happenings
        .iter()
        .enumerate()
        .map(|(t, h)| progress.observe(&exercise.checks, h, 1000 * (t as u64 + 1)))
        .collect();
    (progress, met)
}

#[test]
fn the_op25b_exercise_is_met_step_by_step_and_completes() {
    let exercise = op25b();
    let (progress, met) = run(
        &exercise,
        &[
            applied("smtp"),
            status(MailStatus::Run { cycles: 1 }),
            timeout(),
            Happening::Restarted,
            applied("submission"),
            reply("SET PUMP1 ON"),
        ],
    );
    assert_eq!(met, [vec![], vec![], vec![0], vec![], vec![1], vec![2]]);
    assert_eq!(progress.state(), ExerciseState::Done { secs: 6 });
    assert_eq!(progress.next_step(), None);
}

#[test]
fn a_step_is_judged_only_after_the_steps_before_it() {
    let exercise = op25b();
    // The right settings and a reply before the error was ever seen do not count: the reply
    // came before the step that asks for it.
    let (progress, met) = run(
        &exercise,
        &[applied("submission"), reply("SET PUMP1 ON"), timeout()],
    );
    assert_eq!(met, [vec![], vec![], vec![0, 1]]);
    assert_eq!(progress.next_step(), Some(2));
    assert_eq!(progress.state(), ExerciseState::InProgress);
    assert_eq!(
        exercise.checks[2].missing.get(crate::Lang::En),
        "The reply has not reached the phone yet. Watch frame (3)."
    );
}

#[test]
fn a_reply_to_another_command_or_another_error_does_not_count() {
    let exercise = op25b();
    let refused = status(MailStatus::Error {
        error: MailError::Refused,
        detail: crate::transcript::Notice::default(),
    });
    let (progress, _) = run(
        &exercise,
        &[
            refused,
            timeout(),
            applied("submission"),
            reply("GET PUMP1"),
        ],
    );
    assert_eq!(progress.next_step(), Some(2));
}

fn check(when: Condition) -> Check {
    Check {
        step: Text::default(),
        missing: Text::default(),
        when,
    }
}

#[test]
fn received_needs_the_run_count_to_go_up_and_points_are_state() {
    let checks = [
        check(Condition::Received),
        check(Condition::Point {
            id: "pump1".into(),
            equals: "ON".into(),
        }),
        check(Condition::Handled {
            from: "Stranger@example.com".into(),
            replied: false,
        }),
    ];
    let mut progress = Progress {
        exercise: "x".into(),
        started_at_ms: 0,
        steps: vec![StepState::default(); 3],
        completed_at_ms: None,
        facts: Facts::default(),
    };
    let mut see = |h: Happening| progress.observe(&checks, &h, 1);
    assert!(see(status(MailStatus::Wait)).is_empty());
    let points = |on| Happening::Points {
        values: vec![("PUMP1".into(), Value::Digital(on))],
    };
    assert!(see(points(true)).is_empty());
    // The first run after a restart counts; the same count again does not.
    assert_eq!(see(status(MailStatus::Run { cycles: 1 })), [0, 1]);
    let handled = |replied| Happening::Handled {
        from: "stranger@example.com".into(),
        subject: "SET PUMP1 ON".into(),
        replied,
    };
    assert!(see(handled(true)).is_empty());
    assert_eq!(see(handled(false)), [2]);
}

#[test]
fn status_conditions_also_hold_on_the_state_already_shown() {
    let checks = [
        check(Condition::Applied {
            field: Field::ReceiveInterval,
            equals: "0".into(),
            at_least: false,
        }),
        check(Condition::Status {
            is: StatusKind::Stop,
            error: None,
        }),
    ];
    let mut progress = Progress::start(
        &Exercise {
            checks: checks.to_vec(),
            ..op25b()
        },
        0,
    );
    assert!(
        progress
            .observe(&checks, &status(MailStatus::Stop), 1)
            .is_empty()
    );
    let mut stopped = MailSettings::sandbox_demo();
    stopped.receive_interval_min = 0;
    let applied = Happening::Applied {
        settings: Box::new(stopped),
    };
    assert_eq!(progress.observe(&checks, &applied, 2), [0, 1]);
}

#[test]
fn field_texts_never_carry_secrets() {
    let mut s = MailSettings::sandbox_demo();
    s.command_pin = "2468".into();
    s.password_set = true;
    assert_eq!(field_text(&s, Field::CommandPin), "true");
    assert_eq!(field_text(&s, Field::Password), "true");
    assert_eq!(
        field_text(&s, Field::AllowedSenders),
        "operator@sandbox.test"
    );
    let at_least = Condition::Applied {
        field: Field::ReceiveInterval,
        equals: "10".into(),
        at_least: true,
    };
    let facts = Facts {
        applied: Some(s),
        ..Facts::default()
    };
    assert!(at_least.holds(&facts, &Happening::Restarted, false));
}
