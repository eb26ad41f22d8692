//! The classroom with real simulations: trainees apart, the ISP telling them apart by source
//! address, and eviction and return.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use shared::settings::PasswordChange;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpSocket;

use backend::Config;
use backend::classroom::Classroom;
use backend::engine::ledger::NewMail;
use backend::simulation::{ResetScope, Simulation};
use backend::store::Store;
use shared::classroom::{JoinError, JoinRequest, TraineeRow};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

const EXERCISE: &str = "op25b";
const FROM: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

struct Class {
    _dir: tempfile::TempDir,
    classroom: Classroom,
    cancel: CancellationToken,
}

/// A classroom of class `A` whose idle simulations leave memory after one second.
async fn class() -> Class {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::local(
        "127.0.0.1:0".parse().unwrap(),
        dir.path().to_path_buf(),
        dir.path().join("dist"),
    );
    config.exercises = Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../exercises").into());
    config.classroom.classes = vec!["A".into()];
    config.classroom.instructor_token = Some("instructor-key-0123456789".into());
    config.classroom.session_idle_secs = 1;
    let store = Store::open(dir.path()).unwrap();
    let cancel = CancellationToken::new();
    let tasks = TaskTracker::new();
    let parts = backend::parts(&config, &store, &cancel, &tasks)
        .await
        .unwrap();
    let classroom =
        Classroom::start(parts, config.classroom.clone(), cancel.clone(), &tasks).unwrap();
    Class {
        _dir: dir,
        classroom,
        cancel,
    }
}

fn join(class: &str, name: &str) -> JoinRequest {
    JoinRequest {
        class: class.into(),
        name: name.into(),
    }
}

/// Waits until trainee `name`'s row satisfies `done`.
async fn row_until(classroom: &Classroom, name: &str, done: impl Fn(&TraineeRow) -> bool) {
    let mut rows = classroom.subscribe();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if rows
                .borrow_and_update()
                .iter()
                .any(|r| r.name == name && done(r))
            {
                return;
            }
            rows.changed().await.unwrap();
        }
    })
    .await
    .expect("the class list never showed it");
}

/// The first line a POP3 server says to a client connecting from `source`.
async fn greeting(address: std::net::SocketAddr, source: Ipv4Addr) -> String {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    let stream = socket.connect(address).await.unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).await.unwrap();
    line
}

/// The number of messages in `user`'s mailbox, asked over POP3 from `source`.
async fn pop3_count(simulation: &Simulation, source: Ipv4Addr, user: &str, pass: &str) -> String {
    let isp = simulation.sandbox().unwrap();
    let address = isp.endpoint(shared::sandbox::MailService::Pop3).unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    let stream = socket.connect(address).await.unwrap();
    let mut stream = BufReader::new(stream);
    let mut exchange = async |command: &str| {
        if !command.is_empty() {
            stream
                .get_mut()
                .write_all(command.as_bytes())
                .await
                .unwrap();
        }
        let mut line = String::new();
        stream.read_line(&mut line).await.unwrap();
        line
    };
    exchange("").await;
    exchange(&format!("USER {user}\r\n")).await;
    let pass = exchange(&format!("PASS {pass}\r\n")).await;
    assert!(pass.starts_with("+OK"), "login from {source}: {pass}");
    let stat = exchange("STAT\r\n").await;
    exchange("QUIT\r\n").await;
    stat
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_is_checked() {
    let class = class().await;
    let classroom = &class.classroom;
    classroom.join(&join("A", "alice"), FROM).unwrap();
    assert_eq!(
        classroom.join(&join("A", " alice "), FROM).unwrap_err(),
        JoinError::NameTaken
    );
    assert_eq!(
        classroom.join(&join("B", "bob"), FROM).unwrap_err(),
        JoinError::UnknownClass
    );
    assert_eq!(
        classroom.join(&join("A", ""), FROM).unwrap_err(),
        JoinError::NameMissing
    );
    assert!(classroom.key_matches("instructor-key-0123456789"));
    assert!(!classroom.key_matches("instructor-key-012345678"));
    assert!(classroom.enter("not-a-secret", FROM).await.is_none());
    class.cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trainees_are_apart_and_the_isp_knows_them_by_address() {
    let class = class().await;
    let classroom = &class.classroom;
    let (alice_key, _) = classroom.join(&join("A", "alice"), FROM).unwrap();
    let (bob_key, _) = classroom.join(&join("A", "bob"), FROM).unwrap();
    let alice = classroom.enter(&alice_key, FROM).await.unwrap();
    let bob = classroom.enter(&bob_key, FROM).await.unwrap();
    assert_eq!(alice.view().joined.as_ref().unwrap().name, "alice");

    let mail = b"From: x@example.com\r\nSubject: only alice\r\n\r\nhello\r\n".to_vec();
    let alice_isp = alice.sandbox().unwrap();
    alice_isp
        .mail()
        .deliver_to(vec!["operator@sandbox.test".into()], mail)
        .await
        .unwrap();
    let (alice_phone, bob_phone) = (
        alice_isp.clients().phone,
        bob.sandbox().unwrap().clients().phone,
    );
    assert_ne!(alice_phone, bob_phone);
    let count = |sim, from| async move { pop3_count(sim, from, "operator", "operator-pass").await };
    assert!(count(&alice, alice_phone).await.starts_with("+OK 1 "));
    assert!(count(&bob, bob_phone).await.starts_with("+OK 0 "));

    let pump = |sim: &Simulation| {
        sim.plant()
            .unwrap()
            .subscribe()
            .borrow()
            .iter()
            .find(|p| p.id == "PUMP1")
            .unwrap()
            .value
    };
    let off = shared::points::Value::Digital(false);
    assert_eq!(pump(&bob), off);
    alice
        .plant()
        .unwrap()
        .operate("PUMP1", shared::points::Value::Digital(true))
        .unwrap();
    assert_ne!(pump(&alice), off);
    assert_eq!(pump(&bob), off, "alice's pump is not bob's");
    class.cancel.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evicted_trainee_comes_back_as_it_was() {
    let class = class().await;
    let classroom = &class.classroom;
    let (key, _) = classroom.join(&join("A", "alice"), FROM).unwrap();
    let alice = classroom.enter(&key, FROM).await.unwrap();
    alice
        .reset(ResetScope::Exercise(EXERCISE.into()))
        .await
        .unwrap();
    let isp = alice.sandbox().unwrap().clone();
    let mut policy = isp.policy();
    policy.faults.down = true;
    isp.set_policy(policy).unwrap();
    let engine = alice.engine().unwrap().clone();
    let mut settings = engine.subscribe_settings().borrow().pending.clone();
    settings.command_pin = "2468".into();
    let version = alice
        .save_settings(settings, PasswordChange::Keep, engine.settings_version())
        .unwrap();
    engine
        .queue(&[NewMail {
            from: "karacrix@sandbox.test".into(),
            to: vec!["operator@sandbox.test".into()],
            message: b"Subject: waiting\r\n\r\nfor the ISP\r\n".to_vec(),
        }])
        .unwrap();
    isp.mail()
        .deliver_to(
            vec!["operator@sandbox.test".into()],
            b"Subject: kept\r\n\r\nx\r\n".to_vec(),
        )
        .await
        .unwrap();
    let pop3 = isp.endpoint(shared::sandbox::MailService::Pop3).unwrap();
    let phone = isp.clients().phone;
    drop((alice, isp, engine));

    row_until(classroom, "alice", |r| r.resident).await;
    row_until(classroom, "alice", |r| !r.resident).await;
    assert!(
        greeting(pop3, phone)
            .await
            .starts_with("-ERR [SYS/PERM] no simulation"),
        "an evicted trainee's addresses reach nobody"
    );
    let alice = classroom.enter(&key, FROM).await.unwrap();
    row_until(classroom, "alice", |r| r.resident).await;
    let engine = alice.engine().unwrap();
    let view = engine.subscribe_settings().borrow().clone();
    assert_eq!(view.version, version);
    assert_eq!(view.pending.command_pin, "2468");
    assert!(
        engine.subscribe().borrow().outbox >= 1,
        "the outbox came back"
    );
    let isp = alice.sandbox().unwrap();
    assert!(isp.policy().faults.down, "the ISP's policies came back");
    assert_eq!(isp.mail().list("operator@sandbox.test").unwrap().len(), 1);
    let training = alice.trainer().unwrap().subscribe().borrow().clone();
    assert_eq!(
        training.current.map(|p| p.exercise).as_deref(),
        Some(EXERCISE)
    );
    class.cancel.cancel();
}
