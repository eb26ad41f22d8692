//! Training mode through the real back end: a bad exercise file stops the start with its line;
//! starting an exercise (a reset) really returns every part — settings pending and applied, the
//! ISP's policies, both mailboxes, the outbox and executed ids, the plant — to the exercise's
//! start, and a whole reset to the demo's.

mod common;

use std::path::PathBuf;

use common::{Backend, sandbox_env, sandbox_python, submission_settings};
use shared::points::Value;
use shared::sandbox::{Op25b, SandboxPolicy};
use shared::settings::{MailSettings, PasswordChange};
use shared::training::file::parse;
use shared::training::{Exercise, TrainingView};
use shared::{ClientMsg, ServerMsg};

fn shipped() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../exercises"))
}

fn exercise(file: &str) -> Exercise {
    let text = std::fs::read_to_string(shipped().join(file)).unwrap();
    parse(&text, &|_| true).unwrap()
}

#[tokio::test]
async fn a_bad_exercise_file_is_refused_with_its_name_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(shipped().join("02-op25b.toml")).unwrap();
    let bad = good.replacen("kind = \"delivered\"", "kind = \"arrived\"", 1);
    std::fs::write(dir.path().join("02-op25b.toml"), bad).unwrap();
    let data = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = backend::Config::local(
        listener.local_addr().unwrap(),
        data.path().join("data"),
        data.path().join("no-front-end"),
    );
    config.exercises = Some(dir.path().to_path_buf());
    let err = backend::serve(listener, config, std::future::pending())
        .await
        .expect_err("a bad exercise must stop the start");
    let text = format!("{err:#}");
    let line = good
        .lines()
        .position(|l| l.contains("kind = \"delivered\""))
        .unwrap()
        + 1;
    assert!(text.contains("02-op25b.toml"), "{text}");
    assert!(
        text.contains(&format!("line {line}: unknown variant `arrived`")),
        "{text}"
    );
}

/// The mailbox of `user` as POP3 lists it: one `from|subject` line per message.
async fn mailbox(user: &str, env: &common::Env) -> Vec<String> {
    let script = format!(
        r#"
from email import policy
from email.parser import BytesParser
p = pop3("{user}")
count, _ = p.stat()
for i in range(1, count + 1):
    _, lines, _ = p.top(i, 0)
    msg = BytesParser(policy=policy.default).parsebytes(b"\r\n".join(lines))
    print(f"{{msg['From']}}|{{msg['Subject']}}")
p.quit()
"#
    );
    sandbox_python(&script, env)
        .await
        .lines()
        .map(str::to_string)
        .collect()
}

/// What a page is told on connect, up to the training state.
struct Snapshot {
    settings: shared::engine::SettingsView,
    policy: SandboxPolicy,
    pump: Value,
    outbox: u32,
    executed: u64,
    training: TrainingView,
}

async fn snapshot(backend: &Backend) -> Snapshot {
    let mut client = backend.client().await;
    let (mut settings, mut policy, mut pump, mut engine) = (None, None, None, None);
    let training = client
        .wait_for("the greeting", |m| match m {
            ServerMsg::Settings(view) => {
                settings = Some(*view);
                None
            }
            ServerMsg::Sandbox(info) => {
                policy = Some(info.policy);
                None
            }
            ServerMsg::Points { points } => {
                pump = points.iter().find(|p| p.id == "PUMP1").map(|p| p.value);
                None
            }
            ServerMsg::Engine(state) => {
                engine = Some(*state);
                None
            }
            ServerMsg::Training(view) => Some(*view),
            _ => None,
        })
        .await;
    let engine = engine.unwrap();
    Snapshot {
        settings: settings.unwrap(),
        policy: policy.unwrap(),
        pump: pump.unwrap(),
        outbox: engine.outbox,
        executed: engine.executed,
        training,
    }
}

async fn reset(backend: &Backend, msg: ClientMsg) -> Snapshot {
    let mut client = backend.client().await;
    client.send(msg).await;
    client
        .wait_for("the reset", |m| match m {
            ServerMsg::ResetDone => Some(()),
            ServerMsg::Error(e) => panic!("reset refused: {e:?}"),
            _ => None,
        })
        .await;
    snapshot(backend).await
}

#[tokio::test]
async fn starting_an_exercise_returns_every_part_to_its_start() {
    let backend = Backend::start(|c| {
        c.time_scale = 60;
        c.exercises = Some(shipped());
    })
    .await;
    let mut client = backend.client().await;
    let env = sandbox_env(&client.sandbox().await, backend.data.path());

    // A trainee has been busy: settings running, the ISP opened, the pump on, mail answered.
    let settings = submission_settings();
    client
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .await;
    let open = SandboxPolicy {
        op25b: Op25b::Off,
        ..SandboxPolicy::default()
    };
    client
        .send(ClientMsg::SetSandboxPolicy {
            policy: open.clone(),
        })
        .await;
    client
        .send(ClientMsg::OperatePoint {
            id: "PUMP1".into(),
            value: Value::Digital(true),
        })
        .await;
    client
        .send(ClientMsg::PhoneSend {
            to: "karacrix@sandbox.test".into(),
            subject: "LIST".into(),
            body: String::new(),
            charset: shared::phone::Charset::Utf8,
        })
        .await;
    client
        .wait_for("the phone's mail", |m| {
            matches!(m, ServerMsg::PhoneSent { .. }).then_some(())
        })
        .await;
    client.send(ClientMsg::ReceiveNow).await;
    client
        .engine_until("the reply sent", |s| s.executed > 0 && s.outbox == 0)
        .await;
    let before = snapshot(&backend).await;
    assert_eq!(before.policy, open);
    assert_eq!(before.pump, Value::Digital(true));
    assert_eq!(mailbox("operator", &env).await.len(), 1);

    // Exercise 9 starts with its own settings, not running, the ISP it names, the pump off,
    // only the stranger's mail waiting, and nothing sent or executed.
    let strangers = exercise("09-strangers.toml");
    let after = reset(
        &backend,
        ClientMsg::StartExercise {
            id: strangers.id.clone(),
        },
    )
    .await;
    assert_eq!(after.settings.pending, strangers.start.settings);
    assert_eq!(after.settings.applied, None);
    assert_eq!(after.policy, strangers.start.isp);
    assert_eq!(after.pump, Value::Digital(false));
    assert_eq!((after.outbox, after.executed), (0, 0));
    assert!(mailbox("operator", &env).await.is_empty());
    assert_eq!(
        mailbox("karacrix", &env).await,
        ["stranger@example.com|SET PUMP1 ON"]
    );
    let progress = after
        .training
        .current
        .clone()
        .expect("the exercise is current");
    assert_eq!(progress.exercise, strangers.id);
    assert_eq!(progress.next_step(), Some(0));
    assert!(after.training.isp_locked() && !after.training.instructor);

    // While it runs, the ISP is not the trainee's.
    client
        .send(ClientMsg::SetSandboxPolicy { policy: open })
        .await;
    let refusal = client
        .wait_for("the refusal", |m| match m {
            ServerMsg::Error(e) => Some(e.message),
            _ => None,
        })
        .await;
    assert!(refusal.contains("instructor"), "{refusal}");

    // The whole simulation goes back to the demo's start.
    let demo = reset(&backend, ClientMsg::ResetSimulation).await;
    assert_eq!(demo.settings.pending, MailSettings::sandbox_demo());
    assert_eq!(demo.settings.applied, None);
    assert_eq!(demo.policy, SandboxPolicy::default());
    assert!(mailbox("karacrix", &env).await.is_empty());
    assert!(demo.training.current.is_none() && demo.training.instructor);
    backend.stop().await;
}
