//! The trainer is told what happened in the order it happened, whatever runs faster than its
//! record is written: the engine, the ISP and the plant run beside it as the back end runs
//! them, and a step waiting for "the mail after the RST" or "the reply after the point" is
//! met however soon that comes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use shared::points::Value;
use shared::settings::PasswordChange;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use backend::Config;
use backend::simulation::{ResetScope, Simulation};

/// Rounds of the same exercise: a race the trainer loses only now and then is lost in one.
const ROUNDS: usize = 20;

/// The exercises that ship.
fn shipped() -> PathBuf {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../exercises").into()
}

/// A single-user simulation as the back end builds it (sandbox ISP, plant, the exercises in
/// `exercises`) on a database in `dir`, at demo time 60.
async fn simulation(
    dir: &Path,
    exercises: PathBuf,
    cancel: &CancellationToken,
    tasks: &TaskTracker,
) -> Simulation {
    let data = dir.join("data");
    let mut config = Config::local("127.0.0.1:0".parse().unwrap(), data.clone(), dir.into());
    config.exercises = Some(exercises);
    config.time_scale = 60;
    backend::store::create_private_dir(&data).unwrap();
    let store = backend::store::Store::open(&data).unwrap();
    let parts = backend::parts(&config, &store, cancel, tasks)
        .await
        .unwrap();
    parts.simulation(None, cancel.clone(), tasks).unwrap()
}

/// Waits until step `step` of the current exercise is met; false if it is not within 10 s.
async fn step_met(simulation: &Simulation, step: usize) -> bool {
    let mut view = simulation.trainer().unwrap().subscribe();
    let met = view.wait_for(|v| {
        v.current
            .as_ref()
            .is_some_and(|p| p.steps[step].met_at_ms.is_some())
    });
    tokio::time::timeout(Duration::from_secs(10), met)
        .await
        .is_ok()
}

/// 研修課題 9: the stranger's command waits in the mailbox before RST; the first cycle after
/// RST drops it at once. The trainer must have the RST and the settings it applied before that
/// mail is read, or the step "dropped without a reply" waits for a mail that has gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_rst_applied_are_told_before_the_first_mail_they_read() {
    let dir = tempfile::tempdir().unwrap();
    let (cancel, tasks) = (CancellationToken::new(), TaskTracker::new());
    let simulation = simulation(dir.path(), shipped(), &cancel, &tasks).await;
    let engine = simulation.engine().unwrap().clone();
    for round in 0..ROUNDS {
        let exercise = ResetScope::Exercise("strangers".into());
        simulation.reset(exercise).await.unwrap();
        let mut settings = engine.settings_now().unwrap().settings;
        settings.allowed_senders = vec!["operator@sandbox.test".into()];
        settings.command_pin = "2468".into();
        let version = engine.settings_version();
        let mut handled = engine.subscribe_handled();
        simulation
            .save_settings(settings, PasswordChange::Keep, version)
            .unwrap();
        simulation.restart().unwrap();
        let stranger = handled.recv().await.unwrap();
        assert_eq!(stranger.from, "stranger@example.com");
        assert!(!stranger.replied);
        assert!(
            step_met(&simulation, 2).await,
            "round {round}: the stranger's mail was dropped, but the trainer did not see it after the RST"
        );
    }
    cancel.cancel();
}

/// 研修課題 7 from its second step on: PUMP1 turns ON, then the reply reaches the phone.
fn pump_then_reply() -> String {
    let exercise = std::fs::read_to_string(shipped().join("07-remote-control.toml")).unwrap();
    let (head, checks) = exercise.split_once("[[check]]").unwrap();
    let (_handled, later) = checks.split_once("[[check]]").unwrap();
    format!("{head}[[check]]{later}")
}

/// The system's reply to the phone, as it reaches the phone's mailbox.
const REPLY: &[u8] = b"From: karacrix@sandbox.test\r\nTo: operator@sandbox.test\r\n\
Subject: Re: SET PUMP1 ON\r\n\r\nPUMP1 = ON\r\n";

/// 研修課題 7's last steps: a command sets the point, and only then does its reply go out.
/// When the trainer is busy (its record is written to disk) both are waiting by the time it
/// looks again; it must take the point first, or the reply counts for no step and the
/// exercise cannot be completed.
#[tokio::test]
async fn a_point_set_before_a_mail_is_delivered_is_told_first() {
    let dir = tempfile::tempdir().unwrap();
    let exercises = dir.path().join("exercises");
    std::fs::create_dir(&exercises).unwrap();
    std::fs::write(exercises.join("07.toml"), pump_then_reply()).unwrap();
    let (cancel, tasks) = (CancellationToken::new(), TaskTracker::new());
    let simulation = simulation(dir.path(), exercises, &cancel, &tasks).await;
    for round in 0..ROUNDS {
        let exercise = ResetScope::Exercise("remote-control".into());
        simulation.reset(exercise).await.unwrap();
        // On this one-thread runtime the simulation's tasks run only while the test waits:
        // the trainer's feed starts (and follows the ISP) before the stretch below.
        tokio::task::yield_now().await;
        // One stretch without an await: the trainer cannot look in between.
        let plant = simulation.plant().unwrap();
        plant.operate("PUMP1", Value::Digital(true)).unwrap();
        let mail = simulation.sandbox().unwrap().mail();
        mail.deliver("operator@sandbox.test", REPLY).unwrap();
        assert!(
            step_met(&simulation, 1).await,
            "round {round}: the reply came after PUMP1 turned ON, but the trainer took it first"
        );
    }
    cancel.cancel();
}
