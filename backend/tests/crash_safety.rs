//! Crash safety of the mail cycle: the real binary is killed with SIGKILL at random moments
//! while it works through a mailbox of command mails, and started again on the same data, many
//! times. In the end every command mail must have been executed exactly once (the ledger's
//! counter, which is written in the same transaction as each execution) and answered at least
//! once (every Message-ID appears in a reply's In-Reply-To).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use shared::settings::{MailSettings, PasswordChange};
use shared::{ClientMsg, ServerMsg};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

// Enough that every kill lands while the engine still has mail to work through (a cycle
// executes well over a thousand mails a second).
const MAILS: usize = 400;
const KILLS: usize = 8;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Instance {
    child: Child,
    url: String,
}

fn start(data: &std::path::Path, ports: &HashMap<&str, u16>) -> Instance {
    let mut command = Command::new(env!("CARGO_BIN_EXE_karacrix-mail"));
    command
        .args(["--listen", "127.0.0.1:0", "--static-dir", "/nonexistent"])
        .arg("--data-dir")
        .arg(data)
        .args(["--time-scale", "60", "--mail-timeout-secs", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (service, port) in ports {
        command
            .arg(format!("--sandbox-{service}-port"))
            .arg(port.to_string());
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

/// A tiny deterministic generator for kill moments (xorshift).
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max
    }
}

fn python(script: &str, env: &HashMap<String, String>) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .envs(env)
        .output()
        .expect("python3 is needed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str) -> Socket {
    let ws = url.replace("http://", "ws://") + "ws";
    connect_async(ws).await.unwrap().0
}

async fn wait_for<T>(socket: &mut Socket, pick: impl Fn(ServerMsg) -> Option<T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Message::Text(text) = socket.next().await.unwrap().unwrap()
                && let Some(found) = pick(ServerMsg::decode(&text).unwrap())
            {
                return found;
            }
        }
    })
    .await
    .expect("the state wanted did not come")
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_engine_anywhere_loses_nothing_and_repeats_nothing() {
    let data = tempfile::tempdir().unwrap();
    let ports: HashMap<&str, u16> = ["smtp", "submission", "smtps", "pop3", "pop3s"]
        .into_iter()
        .map(|s| (s, free_port()))
        .collect();
    let mut instance = start(data.path(), &ports);
    let mut socket = connect(&instance.url).await;
    let ca = wait_for(&mut socket, |m| match m {
        ServerMsg::Sandbox(info) => Some(info.ca_pem),
        _ => None,
    })
    .await;
    let ca_file = data.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let env: HashMap<String, String> = [
        ("CA_FILE", ca_file.display().to_string()),
        ("SUBMISSION", ports["submission"].to_string()),
        ("POP3", ports["pop3"].to_string()),
        ("MAILS", MAILS.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    // The mailbox fills before the engine is configured, so every kill hits real work.
    python(
        r#"
import os, smtplib, ssl
ctx = ssl.create_default_context(cafile=os.environ["CA_FILE"])
s = smtplib.SMTP("127.0.0.1", int(os.environ["SUBMISSION"]), timeout=10)
s.starttls(context=ctx); s.login("operator", "operator-pass")
for i in range(int(os.environ["MAILS"])):
    s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"],
        f"From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\nSubject: GET PUMP1\r\nMessage-ID: <crash-{i}@phone.sandbox.test>\r\n\r\nLIST\r\n".encode())
s.quit()
"#,
        &env,
    );
    let mut settings = MailSettings::sandbox_demo();
    settings.smtp_service = "submission".into();
    settings.smtp_auth_login = true;
    settings.pop_before_smtp = false;
    let save = ClientMsg::SaveSettings {
        settings,
        password: PasswordChange::Set("karacrix-pass".into()),
    };
    socket.send(Message::text(save.encode())).await.unwrap();
    wait_for(&mut socket, |m| match m {
        ServerMsg::Settings(v) if v.pending.password_set => Some(()),
        _ => None,
    })
    .await;
    socket
        .send(Message::text(ClientMsg::Restart.encode()))
        .await
        .unwrap();
    wait_for(&mut socket, |m| match m {
        ServerMsg::Settings(v) if !v.restart_needed() => Some(()),
        _ => None,
    })
    .await;

    let mut moments = Moments(0x5eed_cafe);
    for _ in 0..KILLS {
        // Let it work for a random while, then pull the plug.
        tokio::time::sleep(Duration::from_millis(20 + moments.next_ms(400))).await;
        instance.child.kill().unwrap();
        instance.child.wait().unwrap();
        instance = start(data.path(), &ports);
    }

    let mut socket = connect(&instance.url).await;
    let started = Instant::now();
    let executed = wait_for(&mut socket, |m| match m {
        ServerMsg::Engine(s) if s.outbox == 0 && s.executed >= MAILS as u64 => Some(s.executed),
        _ => None,
    })
    .await;
    assert_eq!(
        executed, MAILS as u64,
        "every command mail executed exactly once"
    );

    let out = python(
        r#"
import os, poplib, ssl
ctx = ssl.create_default_context(cafile=os.environ["CA_FILE"])
p = poplib.POP3("127.0.0.1", int(os.environ["POP3"]), timeout=10)
p.stls(context=ctx); p.user("operator"); p.pass_("operator-pass")
n, _ = p.stat()
for i in range(1, n + 1):
    for l in p.top(i, 0)[1]:
        if l.startswith(b"In-Reply-To:"):
            print(l.decode().split()[1])
p.quit()
p = poplib.POP3("127.0.0.1", int(os.environ["POP3"]), timeout=10)
p.stls(context=ctx); p.user("karacrix"); p.pass_("karacrix-pass")
print("left", p.stat()[0])
p.quit()
"#,
        &env,
    );
    let answered: HashSet<&str> = out.lines().filter(|l| l.starts_with('<')).collect();
    for i in 0..MAILS {
        assert!(
            answered.contains(format!("<crash-{i}@phone.sandbox.test>").as_str()),
            "mail {i} got no reply; replies: {answered:?}"
        );
    }
    assert!(out.contains("left 0"), "every mail was deleted: {out}");
    eprintln!("recovered in {:?} after {KILLS} kills", started.elapsed());
    instance.child.kill().unwrap();
    instance.child.wait().unwrap();
}
