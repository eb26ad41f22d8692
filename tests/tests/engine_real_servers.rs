//! The engine against real mail servers installed on this machine: Dovecot (POP3 with STLS, and
//! POP3S on 995) and Postfix (submission on 587 with STARTTLS and SASL AUTH through Dovecot),
//! with a test CA given as --ca-file. A command mail delivered by Postfix into the Dovecot
//! mailbox is fetched, executed and deleted, and its reply lands in the sender's mailbox.
//! Ports 587 and 995 are the real ones, so `submission` and implicit TLS mean what they say.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Backend, Client, Env, cycles, free_port, python};
use shared::points::Value;
use shared::settings::{MailSettings, PasswordChange, Security};
use shared::status::MailStatus;
use shared::{ClientMsg, ServerMsg};

/// The servers, stopped when dropped (also when the test fails).
struct MailPeers {
    root: tempfile::TempDir,
    env: Env,
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("mailpeers")
        .join(name)
}

impl MailPeers {
    /// The servers with POP3S on 995 and submission on 587.
    fn start() -> MailPeers {
        Self::start_on(995, 587)
    }

    /// The servers with POP3S and submission on the given ports.
    fn start_on(pop3s: u16, submission: u16) -> MailPeers {
        let root = tempfile::tempdir().unwrap();
        let env: Env = [
            ("ROOT", root.path().display().to_string()),
            ("POP3_PORT", free_port().to_string()),
            ("POP3S_PORT", pop3s.to_string()),
            ("SMTP_PORT", free_port().to_string()),
            ("SUBMISSION_PORT", submission.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let out = Command::new("bash")
            .arg(script("start.sh"))
            .envs(&env)
            .output()
            .expect("bash runs the mail servers' start script");
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ready"),
            "Dovecot/Postfix did not start (scripts/test installs them):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        MailPeers { root, env }
    }

    fn ca(&self) -> PathBuf {
        self.root.path().join("tls").join("ca.pem")
    }
}

impl Drop for MailPeers {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script("stop.sh"))
            .envs(&self.env)
            .status();
    }
}

/// 4.コマンド暗証番号 for these servers: off the sandbox, SET runs only with a PIN of at least
/// six digits, and every command mail then carries it.
const PIN: &str = "246813";

/// The settings every test here starts from: the system's account on the real servers, with
/// the PIN a real server needs for SET.
fn real_settings() -> MailSettings {
    let mut settings = MailSettings::sandbox_demo();
    settings.receive_interval_min = 60;
    settings.command_pin = PIN.into();
    settings.smtp_server = "127.0.0.1".into();
    settings.smtp_auth_login = true;
    settings.pop_before_smtp = false;
    settings
}

/// Sends from the phone through Postfix's plain SMTP port (local delivery needs no AUTH): the
/// command in the Subject and the body, the PIN in the body.
const DELIVER: &str = r#"
import os, smtplib
s = smtplib.SMTP("127.0.0.1", int(os.environ["SMTP_PORT"]), timeout=10)
s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"],
    ("From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\nSubject: " + os.environ["CMD"] +
     "\r\nMessage-ID: <" + os.environ["ID"] + ">\r\n\r\nPIN " + os.environ["PIN"] + "\r\n" +
     os.environ["CMD"] + "\r\n").encode())
s.quit()
print("delivered")
"#;

/// Waits until Postfix has delivered `COUNT` messages into `USER`'s Maildir (it delivers after its
/// 250, tens of milliseconds later): inotify tells when a file lands in `new/` or `cur/`, so
/// nothing sleeps. Then reads the mailbox over POP3S with the test CA and prints the count and
/// every Subject and In-Reply-To header.
const MAILBOX: &str = r#"
import ctypes, os, poplib, select, ssl
maildir = os.path.join(os.environ["ROOT"], "mail", os.environ["USER"])
folders = [os.path.join(maildir, f) for f in ("new", "cur")]
libc = ctypes.CDLL("libc.so.6", use_errno=True)
watch = libc.inotify_init1(os.O_NONBLOCK)
IN_CREATE, IN_MOVED_TO = 0x100, 0x80
for folder in folders:
    assert libc.inotify_add_watch(watch, folder.encode(), IN_CREATE | IN_MOVED_TO) >= 0, folder
# Watching before counting: a delivery between the two still wakes the select.
while sum(len(os.listdir(f)) for f in folders) < int(os.environ["COUNT"]):
    if not select.select([watch], [], [], 20)[0]:
        break
    os.read(watch, 65536)
ctx = ssl.create_default_context(cafile=os.environ["CA_FILE"])
p = poplib.POP3_SSL("127.0.0.1", int(os.environ["POP3S_PORT"]), context=ctx, timeout=10)
p.user(os.environ["USER"]); p.pass_(os.environ["USER"] + "-pass")
count, _ = p.stat()
print("count:", count)
for i in range(1, count + 1):
    _, lines, _ = p.retr(i)
    for l in lines:
        if l.split(b":")[0] in (b"Subject", b"In-Reply-To"):
            print(l.decode())
p.quit()
"#;

async fn mailbox(peers: &MailPeers, user: &str, count: u32) -> String {
    let mut env = peers.env.clone();
    env.insert("CA_FILE".into(), peers.ca().display().to_string());
    env.insert("USER".into(), user.into());
    env.insert("COUNT".into(), count.to_string());
    python(MAILBOX, &env).await
}

/// The phone's command mail, delivered into the system's mailbox (empty before).
async fn deliver(peers: &MailPeers, command: &str, id: &str) {
    let mut env = peers.env.clone();
    env.insert("CMD".into(), command.into());
    env.insert("PIN".into(), PIN.into());
    env.insert("ID".into(), id.into());
    assert!(python(DELIVER, &env).await.contains("delivered"));
    assert!(mailbox(peers, "karacrix", 1).await.contains("count: 1"));
}

/// Saves `settings` with RST and waits until `executed` mails are done and answered.
async fn run_until_answered(
    client: &mut Client,
    settings: MailSettings,
    password: PasswordChange,
    executed: u64,
) {
    client.save_and_restart(settings, password).await;
    client
        .engine_until(&format!("{executed} mails done and answered"), |s| {
            s.executed == executed && s.outbox == 0 && matches!(s.status, MailStatus::Run { .. })
        })
        .await;
}

#[tokio::test]
async fn a_command_mail_round_trips_through_dovecot_and_postfix() {
    let peers = MailPeers::start();
    let ca = peers.ca();
    let backend = Backend::start(|c| {
        c.time_scale = 60;
        c.mail_timeout_secs = 10;
        c.ca_file = Some(ca);
    })
    .await;
    let mut client = backend.client().await;

    // POP3S (implicit TLS on 995) and submission (587, STARTTLS, AUTH LOGIN).
    deliver(&peers, "SET PUMP1 ON", "real-1@phone.sandbox.test").await;
    let mut settings = real_settings();
    settings.pop_server = "127.0.0.1:995".into();
    settings.pop_security = Security::Tls;
    settings.smtp_service = "submission".into();
    run_until_answered(
        &mut client,
        settings.clone(),
        PasswordChange::Set("karacrix-pass".into()),
        1,
    )
    .await;
    let phone = mailbox(&peers, "operator", 1).await;
    assert!(phone.contains("Subject: Re: SET PUMP1 ON"), "{phone}");
    assert!(
        phone.contains("In-Reply-To: <real-1@phone.sandbox.test>"),
        "{phone}"
    );
    assert!(
        mailbox(&peers, "karacrix", 0).await.contains("count: 0"),
        "read mail is deleted"
    );
    client
        .wait_for("PUMP1 on", |m| match m {
            ServerMsg::Points { points } => points
                .iter()
                .any(|p| p.id == "PUMP1" && p.value == Value::Digital(true))
                .then_some(()),
            _ => None,
        })
        .await;

    // POP3 on a plain port with STLS offered by Dovecot.
    deliver(&peers, "LIST", "real-2@phone.sandbox.test").await;
    settings.pop_server = format!("127.0.0.1:{}", peers.env["POP3_PORT"]);
    settings.pop_security = Security::Starttls;
    run_until_answered(&mut client, settings, PasswordChange::Keep, 2).await;
    let phone = mailbox(&peers, "operator", 2).await;
    assert!(phone.contains("Subject: Re: LIST"), "{phone}");
    backend.stop().await;
}

/// Implicit TLS and STARTTLS are choices, not ports: POP3S and submission on ports no service
/// name stands for work when chosen, and the wrong choice shows its error (with the fix) in
/// frame (3) as soon as the connection fails.
#[tokio::test]
async fn tls_and_starttls_work_on_any_port_and_a_wrong_choice_fails_visibly() {
    let (pop3s, submission) = (free_port(), free_port());
    let peers = MailPeers::start_on(pop3s, submission);
    let ca = peers.ca();
    let backend = Backend::start(|c| {
        c.time_scale = 60;
        c.mail_timeout_secs = 3;
        c.ca_file = Some(ca);
    })
    .await;
    let mut client = backend.client().await;
    let error_saying = |error: shared::status::MailError, fix: &'static str| {
        move |s: &shared::engine::EngineState| matches!(&s.status, MailStatus::Error { error: e, detail } if *e == error && detail.en.contains(fix))
    };

    // Plaintext-first on the TLS port: no greeting ever comes; the error names the fix.
    let mut settings = real_settings();
    settings.pop_server = format!("127.0.0.1:{pop3s}");
    settings.pop_security = Security::Starttls;
    settings.smtp_service = submission.to_string();
    settings.smtp_security = Security::Starttls;
    client
        .save_and_restart(
            settings.clone(),
            PasswordChange::Set("karacrix-pass".into()),
        )
        .await;
    client
        .engine_until(
            "a timeout that says choose TLS",
            error_saying(shared::status::MailError::Timeout, "choose TLS"),
        )
        .await;

    // TLS on the plaintext POP3 port: the handshake fails at once, naming the fix.
    settings.pop_server = format!("127.0.0.1:{}", peers.env["POP3_PORT"]);
    settings.pop_security = Security::Tls;
    client
        .save_and_restart(settings.clone(), PasswordChange::Keep)
        .await;
    client
        .engine_until(
            "a TLS error that says choose STARTTLS",
            error_saying(shared::status::MailError::Tls, "choose STARTTLS"),
        )
        .await;

    // The right choices: TLS on an arbitrary port, STARTTLS + AUTH on another.
    deliver(&peers, "SET PUMP1 ON", "any-port-1@phone.sandbox.test").await;
    settings.pop_server = format!("127.0.0.1:{pop3s}");
    run_until_answered(&mut client, settings, PasswordChange::Keep, 1).await;
    let phone = mailbox(&peers, "operator", 1).await;
    assert!(phone.contains("Subject: Re: SET PUMP1 ON"), "{phone}");
    backend.stop().await;
}

/// Two systems on one real mail server that each allow the other as a sender and mail their
/// alarms to each other: the loop every auto-responder must not start (RFC 3834). One command
/// from system B's address to system A is answered once; A's alarm goes to B once; B deletes
/// both unanswered (they say `Auto-Submitted`), and a further cycle on each side finds nothing:
/// three mails in all.
#[tokio::test]
async fn two_systems_that_allow_each_other_exchange_a_bounded_number_of_mails() {
    const A: &str = "karacrix@sandbox.test";
    const B: &str = "operator@sandbox.test";
    let peers = MailPeers::start_on(free_port(), free_port());
    let system = |address: &str, peer: &str| {
        let mut settings = real_settings();
        settings.address = address.into();
        settings.user = address.split('@').next().unwrap().into();
        settings.allowed_senders = vec![peer.into()];
        settings.alarm_recipients = vec![peer.into()];
        settings.pop_server = format!("127.0.0.1:{}", peers.env["POP3_PORT"]);
        settings.pop_security = Security::Starttls;
        settings.smtp_service = peers.env["SUBMISSION_PORT"].clone();
        settings.smtp_security = Security::Starttls;
        settings
    };
    let mut a = SystemOnPeers::start(&peers, system(A, B), "karacrix-pass").await;
    let mut b = SystemOnPeers::start(&peers, system(B, A), "operator-pass").await;
    let (mut a_done, mut b_done) = (a.cycles, b.cycles);

    // B's address sends A a command; A answers it and mails B an alarm.
    deliver(&peers, "LIST", "loop-1@operator.sandbox.test").await;
    let (state, _) = a.client.receive_cycle(a_done).await;
    a_done += 1;
    assert_eq!(state.executed, 1);
    a.client
        .send(ClientMsg::SimulatePoint {
            id: "DOOR1".into(),
            value: Value::Digital(true),
        })
        .await;
    let inbox = mailbox(&peers, "operator", 2).await;
    assert!(
        inbox.contains("count: 2") && inbox.contains("Subject: Re: LIST"),
        "{inbox}"
    );

    // B, allowing A, reads both and answers neither.
    let (state, notices) = b.client.receive_cycle(b_done).await;
    b_done += 1;
    assert_eq!(state.executed, 2, "{notices:?}");
    for automatic in [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
    ] {
        assert!(
            notices
                .iter()
                .any(|n| n.contains(automatic) && n.contains("no mail loop")),
            "{automatic}: {notices:?}"
        );
    }

    // One more cycle on each side: nothing arrives, nothing goes out.
    let (state, notices) = a.client.receive_cycle(a_done).await;
    assert_eq!(state.executed, 1, "A got nothing back: {notices:?}");
    let (state, notices) = b.client.receive_cycle(b_done).await;
    assert_eq!(state.executed, 2, "B got nothing new: {notices:?}");
    for user in ["karacrix", "operator"] {
        assert!(
            mailbox(&peers, user, 0).await.contains("count: 0"),
            "{user}"
        );
    }
    a.backend.stop().await;
    b.backend.stop().await;
}

/// A back end whose system has its account on the real servers, running `settings`.
struct SystemOnPeers {
    backend: Backend,
    client: Client,
    /// Receive cycles it had run when it was ready.
    cycles: u64,
}

impl SystemOnPeers {
    async fn start(peers: &MailPeers, settings: MailSettings, password: &str) -> SystemOnPeers {
        let ca = peers.ca();
        let backend = Backend::start(|c| {
            c.mail_timeout_secs = 10;
            c.ca_file = Some(ca);
        })
        .await;
        let mut client = backend.client().await;
        client
            .save_and_restart(settings, PasswordChange::Set(password.into()))
            .await;
        let state = client
            .engine_until("run after RST", |s| cycles(s).is_some())
            .await;
        SystemOnPeers {
            backend,
            client,
            cycles: cycles(&state).unwrap(),
        }
    }
}
