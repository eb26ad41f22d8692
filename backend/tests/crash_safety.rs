//! Crash safety of the mail cycle: the real binary is killed with SIGKILL at random points of
//! its mail dialogue while it works through a mailbox of command mails, and started again on the same data, many
//! times. In the end every command mail must have been executed exactly once (the ledger's
//! counter, which is written in the same transaction as each execution) and answered at least
//! once (every Message-ID appears in a reply's In-Reply-To).

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use common::{Client, Env, sandbox_env, sandbox_python};
use shared::ServerMsg;
use shared::settings::{MailSettings, PasswordChange};

// Enough that every kill lands while the engine still has mail to work through.
const MAILS: usize = 400;
const KILLS: usize = 8;
/// A kill comes after 1 to this many lines of mail dialogue seen since the instance started.
const MAX_LINES_BEFORE_KILL: u64 = 150;

/// The real binary, every port picked by the system.
struct Instance {
    child: Child,
    url: String,
}

impl Instance {
    fn start(data: &Path) -> Instance {
        let mut command = Command::new(env!("CARGO_BIN_EXE_karacrix-mail"));
        command
            .args(["--listen", "127.0.0.1:0", "--static-dir", "/nonexistent"])
            .arg("--data-dir")
            .arg(data)
            .args(["--time-scale", "60", "--mail-timeout-secs", "5"])
            // A load test: the one phone sends hundreds of command mails within the hour.
            .args(["--replies-per-hour", "10000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for service in ["smtp", "submission", "smtps", "pop3", "pop3s"] {
            command.arg(format!("--sandbox-{service}-port")).arg("0");
        }
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("the back end printed its URL").unwrap();
            if let Some(url) = line.split("simulator: ").nth(1) {
                break url.trim().to_string();
            }
        };
        Instance { child, url }
    }

    async fn client(&self) -> Client {
        let ws = self.url.replace("http://", "ws://") + "ws";
        Client::connect(ws).await.expect("the back end's socket")
    }

    /// Pulls the plug: SIGKILL, no chance to finish anything.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Instance {
    /// A failing test leaves no back end running behind it.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tiny deterministic generator for kill moments (xorshift).
struct Moments(u64);

impl Moments {
    fn next(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max
    }
}

/// Waits until `lines` lines of mail dialogue (the sandbox's or the engine's) have gone by.
async fn dialogue_lines(client: &mut Client, lines: u64) {
    let mut seen = 0;
    client
        .wait_for("the engine at work", |m| {
            if let ServerMsg::Dialogue(_) = m {
                seen += 1;
            }
            (seen >= lines).then_some(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_engine_anywhere_loses_nothing_and_repeats_nothing() {
    let data = tempfile::tempdir().unwrap();
    let mut instance = Instance::start(data.path());
    let mut client = instance.client().await;
    let mut env: Env = sandbox_env(&client.sandbox().await, data.path());
    env.insert("MAILS".into(), MAILS.to_string());

    // The mailbox fills before the engine is configured, so every kill hits real work.
    sandbox_python(
        r#"
s = submission("operator")
for i in range(int(os.environ["MAILS"])):
    s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"],
        f"From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\nSubject: GET PUMP1\r\nMessage-ID: <crash-{i}@phone.sandbox.test>\r\n\r\nLIST\r\n".encode())
s.quit()
"#,
        &env,
    )
    .await;
    let mut settings = MailSettings::sandbox_demo();
    settings.smtp_service = "submission".into();
    settings.smtp_auth_login = true;
    settings.pop_before_smtp = false;
    client
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .await;

    // Let it work for a random stretch of its mail dialogue, then pull the plug; again on the
    // same data, with the engine resuming where the last commit left it.
    let mut moments = Moments(0x5eed_cafe);
    for _ in 0..KILLS {
        dialogue_lines(&mut client, 1 + moments.next(MAX_LINES_BEFORE_KILL)).await;
        instance.kill();
        instance = Instance::start(data.path());
        client = instance.client().await;
    }

    let started = Instant::now();
    let executed = client
        .engine_until("every mail executed and answered", |s| {
            s.outbox == 0 && s.executed >= MAILS as u64
        })
        .await
        .executed;
    assert_eq!(
        executed, MAILS as u64,
        "every command mail executed exactly once"
    );

    // A fresh connection: the sandbox (its ports change with every start) is told on connect.
    let env = sandbox_env(&instance.client().await.sandbox().await, data.path());
    let out = sandbox_python(
        r#"
p = pop3("operator")
n, _ = p.stat()
for i in range(1, n + 1):
    for l in p.top(i, 0)[1]:
        if l.startswith(b"In-Reply-To:"):
            print(l.decode().split()[1])
p.quit()
p = pop3("karacrix")
print("left", p.stat()[0])
p.quit()
"#,
        &env,
    )
    .await;
    let answered: HashSet<&str> = out.lines().filter(|l| l.starts_with('<')).collect();
    for i in 0..MAILS {
        assert!(
            answered.contains(format!("<crash-{i}@phone.sandbox.test>").as_str()),
            "mail {i} got no reply; replies: {answered:?}"
        );
    }
    assert!(out.contains("left 0"), "every mail was deleted: {out}");
    eprintln!("recovered in {:?} after {KILLS} kills", started.elapsed());
    instance.kill();
}
