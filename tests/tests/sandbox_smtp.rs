//! The sandbox SMTP server in-process on a free loopback port, driven by real clients: Python's
//! smtplib, curl and lettre, plus raw sockets for input no polite client sends. Every check of
//! what was accepted reads the mail store afterwards.

mod common;

use std::time::{Duration, Instant};

use backend::sandbox::smtp::{
    Op25b, Op25bClients, ReplyFault, Requirement, SmtpFaults, SmtpPolicy, Stage, StartTls,
};
use common::sandbox::{Builder, wait_for_line};
use common::{Ran, SMTP_LOGIN_CODE, Sandbox, WAIT, curl, python_args};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use shared::sandbox::{PHONE_CLIENT, SYSTEM_CLIENT};
use shared::transcript::{DialogueLine, Direction};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio::time::timeout;
use tokio_rustls::rustls::pki_types::ServerName;

const SYSTEM: &str = "karacrix@sandbox.test";
const PHONE: &str = "operator@sandbox.test";

/// A sandbox whose SMTP server demands AUTH, with `starttls` as its STARTTLS policy.
fn auth_required(starttls: StartTls) -> Builder {
    Sandbox::builder().smtp_policy(SmtpPolicy {
        requirement: Requirement::Auth,
        starttls,
        ..SmtpPolicy::default()
    })
}

/// A sandbox whose SMTP server has a certificate and offers STARTTLS without demanding it.
fn starttls_offered() -> Builder {
    Sandbox::builder()
        .smtp_policy(SmtpPolicy {
            starttls: StartTls::Offered,
            ..SmtpPolicy::default()
        })
        .tls()
}

async fn raw(sandbox: &Sandbox) -> Raw<TcpStream> {
    Raw::new(sandbox.connect().await)
}

/// A line-level SMTP client for what real clients never send.
struct Raw<S> {
    stream: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Raw<S> {
    fn new(stream: S) -> Raw<S> {
        Raw {
            stream: BufReader::new(stream),
        }
    }

    async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        timeout(WAIT, self.stream.get_mut().write_all(bytes.as_ref()))
            .await
            .unwrap()
            .unwrap();
    }

    /// One complete reply, all its lines, or `None` when the server closed.
    async fn reply(&mut self) -> Option<String> {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            let n = timeout(WAIT, self.stream.read_line(&mut line))
                .await
                .expect("the server did not answer in time")
                .ok()?;
            if n == 0 {
                return (!reply.is_empty()).then_some(reply);
            }
            reply.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return Some(reply);
            }
        }
    }

    async fn expect(&mut self, code: &str) -> String {
        let reply = self.reply().await.expect("connection closed");
        assert!(reply.starts_with(code), "expected {code}, got {reply:?}");
        reply
    }

    async fn command(&mut self, line: &str, code: &str) -> String {
        self.send(format!("{line}\r\n")).await;
        self.expect(code).await
    }

    /// MAIL FROM the system, RCPT TO the phone, DATA: ready for the message.
    async fn envelope(&mut self) {
        self.command("MAIL FROM:<karacrix@sandbox.test>", "250")
            .await;
        self.command("RCPT TO:<operator@sandbox.test>", "250").await;
        self.command("DATA", "354").await;
    }

    /// True once the server has closed the connection (EOF or reset).
    async fn closed(&mut self) -> bool {
        let mut line = String::new();
        matches!(
            timeout(WAIT, self.stream.read_line(&mut line)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    fn into_inner(self) -> S {
        self.stream.into_inner()
    }
}

/// Runs a Python program after [`PYTHON_PRELUDE`] and [`SMTP_LOGIN_CODE`] against `sandbox`;
/// returns its stdout.
async fn smtplib(script: &str, sandbox: &Sandbox) -> String {
    smtplib_args(script, sandbox, &[]).await
}

/// The same with `args` in `sys.argv[1:]`.
async fn smtplib_args(script: &str, sandbox: &Sandbox, args: &[&str]) -> String {
    let program = format!("{PYTHON_PRELUDE}\n{SMTP_LOGIN_CODE}\n{script}");
    python_args(&program, args, &sandbox.env()).await
}

const PYTHON_PRELUDE: &str = r#"
import os, smtplib, socket, ssl, sys
HOST = "127.0.0.1"
PORT = int(os.environ["PORT"])
def tls_context():
    return ssl.create_default_context(cafile=os.environ["CA_FILE"])
MESSAGE = "From: karacrix@sandbox.test\r\nTo: operator@sandbox.test\r\nSubject: {}\r\n\r\nbody line\r\n.starts with a dot\r\n"
"#;

/// The phone's mailbox, which must hold `count` messages.
fn phone_mails(sandbox: &Sandbox, count: usize) -> Vec<String> {
    let mails = sandbox.mailbox(PHONE);
    assert_eq!(mails.len(), count, "{mails:#?}");
    mails
}

fn drain(lines: &mut broadcast::Receiver<DialogueLine>) -> Vec<DialogueLine> {
    std::iter::from_fn(|| lines.try_recv().ok()).collect()
}

fn lettre_message(subject: &str) -> Message {
    Message::builder()
        .from(SYSTEM.parse().unwrap())
        .to(PHONE.parse().unwrap())
        .subject(subject)
        .body(String::from("from lettre\r\n"))
        .unwrap()
}

fn lettre_tls(sandbox: &Sandbox) -> TlsParameters {
    TlsParameters::builder("127.0.0.1".into())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(Certificate::from_pem(sandbox.ca_pem().as_bytes()).unwrap())
        .build_rustls()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_smtplib_sends_in_plaintext_and_pipelines() {
    let sandbox = Sandbox::builder().smtp().await;
    let out = smtplib(
        r#"
s = smtplib.SMTP(HOST, PORT, local_hostname="pc.example", timeout=10)
code, features = s.ehlo()
assert code == 250, code
for ext in ["pipelining", "size", "8bitmime", "enhancedstatuscodes"]:
    assert s.has_extn(ext), ext
assert not s.has_extn("starttls")
refused = s.sendmail("karacrix@sandbox.test", ["operator@sandbox.test"], MESSAGE.format("plain"))
assert refused == {}, refused
# Pipelined: three commands in one write, three replies in order.
s.send(b"MAIL FROM:<karacrix@sandbox.test> BODY=8BITMIME SIZE=200\r\nRCPT TO:<operator@sandbox.test>\r\nDATA\r\n")
print([s.getreply()[0] for _ in range(3)])
s.send("Subject: pipelined 8bit \u00e9\r\n\r\n\u7d66\u6c34\r\n.\r\nNOOP\r\n".encode())
print(s.getreply()[0], s.getreply()[0])
print(s.verify("operator")[0])
s.quit()
"#,
        &sandbox,
    )
    .await;
    assert_eq!(out, "[250, 250, 354]\n250 250\n252\n");
    let mails = phone_mails(&sandbox, 2);
    assert!(mails[0].starts_with("Received: from pc.example ([127.0.0.1])\r\n"));
    assert!(mails[0].contains("with ESMTP id"));
    assert!(mails[0].ends_with("Subject: plain\r\n\r\nbody line\r\n.starts with a dot\r\n"));
    assert!(mails[1].ends_with("Subject: pipelined 8bit \u{e9}\r\n\r\n\u{7d66}\u{6c34}\r\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_starttls_then_auth_plain_and_login() {
    let sandbox = auth_required(StartTls::Required).tls().smtp().await;
    let mut log = sandbox.dialogue.subscribe();
    let out = smtplib(
        r#"
for mechanism in ["PLAIN", "LOGIN", "LOGIN-no-initial"]:
    s = smtplib.SMTP(HOST, PORT, timeout=10)
    s.ehlo()
    assert s.has_extn("starttls") and not s.has_extn("auth")
    code, text = s.mail("karacrix@sandbox.test")
    print(code, text.decode())
    s.starttls(context=tls_context())
    s.ehlo()
    assert s.has_extn("auth") and not s.has_extn("starttls"), s.esmtp_features
    assert s.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
    s.user, s.password = "karacrix", "karacrix-pass"
    if mechanism == "PLAIN":
        code, _ = s.auth("PLAIN", s.auth_plain)
    elif mechanism == "LOGIN":
        code, _ = s.auth("LOGIN", s.auth_login)
    else:
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
    print(mechanism, code)
    s.sendmail("karacrix@sandbox.test", ["operator@sandbox.test"], MESSAGE.format(mechanism))
    s.quit()
s = smtplib.SMTP(HOST, PORT, timeout=10)
s.starttls(context=tls_context())
try:
    s.login("karacrix", "wrong")
except smtplib.SMTPAuthenticationError as e:
    print("wrong password", e.smtp_code)
s.quit()
"#,
        &sandbox,
    )
    .await;
    assert_eq!(
        out,
        "530 5.7.0 Must issue a STARTTLS command first\nPLAIN 235\n\
         530 5.7.0 Must issue a STARTTLS command first\nLOGIN 235\n\
         530 5.7.0 Must issue a STARTTLS command first\nLOGIN-no-initial 235\n\
         wrong password 535\n"
    );
    let mails = phone_mails(&sandbox, 3);
    assert!(mails.iter().all(|m| m.contains(
        "(Authenticated sender: karacrix@sandbox.test)\r\n\tby mail.sandbox.test (KaracrixBuilder sandbox) with ESMTPSA"
    )));

    // The protocol log shows the dialogue but never a credential.
    let lines = drain(&mut log);
    assert!(
        lines
            .iter()
            .any(|l| l.direction == Direction::ToServer && l.text == "AUTH PLAIN ****")
    );
    assert!(lines.iter().any(|l| l.text == "****"));
    assert!(lines.iter().any(|l| l.text.starts_with("message of ")));
    for line in &lines {
        for secret in [
            "karacrix-pass",
            "a2FyYWNyaXgtcGFzcw",
            "AGthcmFjcml4AGthcmFjcml4LXBhc3M",
        ] {
            assert!(!line.text.contains(secret), "{line:?}");
        }
        assert!(!line.text.contains("body line"), "{line:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_smtp_ssl_implicit_tls() {
    let sandbox = auth_required(StartTls::Off).implicit_tls().smtp().await;
    let out = smtplib(
        r#"
s = smtplib.SMTP_SSL(HOST, PORT, context=tls_context(), timeout=10)
s.ehlo()
assert not s.has_extn("starttls")
print(s.login("karacrix@sandbox.test", "karacrix-pass")[0])
s.sendmail("karacrix@sandbox.test", ["operator@sandbox.test"], MESSAGE.format("smtps"))
print(s.docmd("STARTTLS")[0])
s.quit()
"#,
        &sandbox,
    )
    .await;
    assert_eq!(out, "235\n554\n");
    let mails = phone_mails(&sandbox, 1);
    assert!(mails[0].contains("with ESMTPSA"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_sends_plain_with_starttls_and_with_auth() {
    let sandbox = starttls_offered().smtp().await;
    let file = sandbox.dir.path().join("mail.eml");
    // LF line ends on purpose: they are stored as CRLF.
    std::fs::write(
        &file,
        "From: karacrix@sandbox.test\nTo: operator@sandbox.test\nSubject: curl\n\nline\n.dot line\n",
    )
    .unwrap();
    let file = file.display().to_string();
    let url = format!("smtp://127.0.0.1:{}/client.name", sandbox.port());
    let envelope = ["--mail-from", SYSTEM, "--mail-rcpt", PHONE, "-T", &file];
    let ca_file = sandbox.ca_file();

    let Ran {
        code, stderr: err, ..
    } = curl(&[&[url.as_str()][..], &envelope].concat()).await;
    assert_eq!(code, 0, "{err}");
    let tls = ["--ssl-reqd", "--cacert", &ca_file];
    let Ran {
        code, stderr: err, ..
    } = curl(&[&[url.as_str()][..], &tls, &envelope].concat()).await;
    assert_eq!(code, 0, "{err}");

    // Now the listener wants AUTH; LOGIN and PLAIN both work, a wrong password does not.
    sandbox.switch_smtp(|s| s.policy.requirement = Requirement::Auth);
    let Ran {
        code, stderr: err, ..
    } = curl(&[&[url.as_str()][..], &envelope].concat()).await;
    assert_ne!(code, 0);
    assert!(err.contains("530"), "{err}");
    for mechanism in ["AUTH=LOGIN", "AUTH=PLAIN"] {
        let auth = ["-u", "karacrix:karacrix-pass", "--login-options", mechanism];
        let Ran {
            code, stderr: err, ..
        } = curl(&[&[url.as_str()][..], &tls, &auth, &envelope].concat()).await;
        assert_eq!(code, 0, "{mechanism}: {err}");
    }
    let wrong = ["-u", "karacrix:nope", "--login-options", "AUTH=LOGIN"];
    let Ran {
        code, stderr: err, ..
    } = curl(&[&[url.as_str()][..], &tls, &wrong, &envelope].concat()).await;
    assert_eq!(code, 67, "{err}"); // CURLE_LOGIN_DENIED

    let mails = phone_mails(&sandbox, 4);
    assert!(mails[0].starts_with("Received: from client.name ([127.0.0.1])"));
    assert!(mails[0].contains("with ESMTP id"));
    assert!(mails[1].contains("with ESMTPS id"));
    assert!(mails[2].contains("with ESMTPSA id"));
    for mail in &mails {
        assert!(
            mail.contains("\r\nSubject: curl\r\n\r\nline\r\n.dot line\r\n"),
            "{mail:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_smtps_and_refusals() {
    let sandbox = Sandbox::builder().implicit_tls().smtp().await;
    let file = sandbox.dir.path().join("mail.eml");
    std::fs::write(&file, "Subject: smtps\r\n\r\nhi\r\n").unwrap();
    let file = file.display().to_string();
    let url = format!("smtps://127.0.0.1:{}/client.name", sandbox.port());
    let ca_file = sandbox.ca_file();
    let base = [
        url.as_str(),
        "--cacert",
        &ca_file,
        "--mail-from",
        SYSTEM,
        "-T",
        &file,
    ];
    let Ran {
        code, stderr: err, ..
    } = curl(&[&base[..], &["--mail-rcpt", PHONE]].concat()).await;
    assert_eq!(code, 0, "{err}");
    let Ran {
        code, stderr: err, ..
    } = curl(&[&base[..], &["--mail-rcpt", "someone@example.com"]].concat()).await;
    assert_eq!(code, 55, "{err}");
    assert!(err.contains("550"), "{err}");
    let Ran {
        code, stderr: err, ..
    } = curl(&[&base[..], &["--mail-rcpt", "ghost@sandbox.test"]].concat()).await;
    assert_eq!(code, 55, "{err}");
    assert_eq!(sandbox.mailbox(PHONE).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lettre_sends_over_starttls_and_implicit_tls_with_auth() {
    let submission = auth_required(StartTls::Required).tls().smtp().await;
    let smtps = auth_required(StartTls::Required)
        .implicit_tls()
        .smtp()
        .await;
    let credentials = Credentials::new("karacrix".into(), "karacrix-pass".into());
    for (sandbox, implicit, mechanism) in [
        (&submission, false, Mechanism::Login),
        (&submission, false, Mechanism::Plain),
        (&smtps, true, Mechanism::Plain),
    ] {
        let tls = if implicit {
            Tls::Wrapper(lettre_tls(sandbox))
        } else {
            Tls::Required(lettre_tls(sandbox))
        };
        let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(sandbox.addr.port())
            .tls(tls)
            .credentials(credentials.clone())
            .authentication(vec![mechanism])
            .timeout(Some(WAIT))
            .build();
        let response = mailer
            .send(lettre_message(&format!("{mechanism:?}")))
            .await
            .unwrap();
        assert!(response.is_positive());
        let text = response.message().next().unwrap();
        assert!(text.starts_with("2.0.0 Ok: queued as"), "{text}");
    }
    assert_eq!(submission.mailbox(PHONE).len(), 2);
    assert_eq!(smtps.mailbox(PHONE).len(), 1);

    // Without credentials the server's 530 comes back as a permanent error.
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(submission.addr.port())
        .tls(Tls::Required(lettre_tls(&submission)))
        .timeout(Some(WAIT))
        .build();
    let error = mailer.send(lettre_message("no auth")).await.unwrap_err();
    assert!(error.is_permanent(), "{error}");
    assert_eq!(error.status().map(u16::from), Some(530));
    // A wrong password: 535, nothing sent.
    let wrong = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(submission.addr.port())
        .credentials(Credentials::new("karacrix".into(), "wrong".into()))
        .tls(Tls::Required(lettre_tls(&submission)))
        .timeout(Some(WAIT))
        .build();
    let error = wrong.send(lettre_message("wrong")).await.unwrap_err();
    assert_eq!(error.status().map(u16::from), Some(535), "{error}");
    assert_eq!(submission.mailbox(PHONE).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_required_without_auth_gets_530() {
    let sandbox = auth_required(StartTls::Off).smtp().await;
    let out = smtplib(
        r#"
s = smtplib.SMTP(HOST, PORT, timeout=10)
try:
    s.sendmail("karacrix@sandbox.test", ["operator@sandbox.test"], MESSAGE.format("x"))
except smtplib.SMTPSenderRefused as e:
    print(e.smtp_code, e.smtp_error.decode())
"#,
        &sandbox,
    )
    .await;
    assert_eq!(out, "530 5.7.0 Authentication required\n");
    assert!(sandbox.mailbox(PHONE).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pop_before_smtp_needs_a_recent_pop_login_from_the_same_address() {
    let sandbox = Sandbox::builder()
        .smtp_policy(SmtpPolicy {
            requirement: Requirement::PopBeforeSmtp {
                window: Duration::from_secs(600),
            },
            ..SmtpPolicy::default()
        })
        .smtp()
        .await;
    let script = r#"
s = smtplib.SMTP(HOST, PORT, timeout=10, source_address=(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1", 0))
try:
    s.sendmail("karacrix@sandbox.test", ["operator@sandbox.test"], MESSAGE.format("pbs"))
    print("sent")
except smtplib.SMTPRecipientsRefused as e:
    code, text = e.recipients["operator@sandbox.test"]
    print(code, text.decode())
"#;
    let refused = smtplib(script, &sandbox).await;
    assert_eq!(
        refused,
        "554 5.7.1 <operator@sandbox.test>: Relay access denied\n"
    );
    assert!(sandbox.mailbox(PHONE).is_empty());

    sandbox
        .pop
        .record("127.0.0.1".parse().unwrap(), Instant::now());
    assert_eq!(smtplib(script, &sandbox).await, "sent\n");
    assert_eq!(sandbox.mailbox(PHONE).len(), 1);

    // Another loopback address is another client: it did not log in.
    let mut other = Raw::new(sandbox.connect_from("127.0.0.2".parse().unwrap()).await);
    other.expect("220").await;
    other.command("EHLO other", "250").await;
    other
        .command("MAIL FROM:<karacrix@sandbox.test>", "250")
        .await;
    other
        .command("RCPT TO:<operator@sandbox.test>", "554 5.7.1")
        .await;
    assert_eq!(sandbox.mailbox(PHONE).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_to_other_domains_is_refused_and_nothing_is_stored() {
    let sandbox = Sandbox::builder().smtp().await;
    let out = smtplib(
        r#"
s = smtplib.SMTP(HOST, PORT, timeout=10)
try:
    s.sendmail("karacrix@sandbox.test", ["someone@example.com"], MESSAGE.format("relay"))
except smtplib.SMTPRecipientsRefused as e:
    code, text = e.recipients["someone@example.com"]
    print(code, text.decode())
# One good and one foreign recipient: only the good one gets it.
print(s.sendmail("karacrix@sandbox.test", ["someone@example.com", "operator@sandbox.test"], MESSAGE.format("mixed")))
"#,
        &sandbox,
    )
    .await;
    assert_eq!(
        out,
        "550 5.7.1 <someone@example.com>: Relay access denied: the sandbox delivers only to its own domain\n\
         {'someone@example.com': (550, b'5.7.1 <someone@example.com>: Relay access denied: the sandbox delivers only to its own domain')}\n"
    );
    for mailbox in ["someone@example.com", "someone"] {
        assert!(sandbox.store.list(mailbox).unwrap().is_empty());
    }
    let mails = phone_mails(&sandbox, 1);
    assert!(mails[0].contains("Subject: mixed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn op25b_blocks_the_system_s_address_by_timeout_or_refusal_and_others_get_through() {
    let sandbox = Sandbox::builder()
        .smtp_faults(SmtpFaults {
            op25b: Op25b::Timeout,
            op25b_clients: Op25bClients::System,
            ..SmtpFaults::default()
        })
        .smtp()
        .await;
    // Connects from each source address in turn; prints one outcome per address.
    let script = r#"
for source in sys.argv[1:]:
    try:
        smtplib.SMTP(HOST, PORT, timeout=1, source_address=(source, 0)).quit()
        print(source, "connected")
    except smtplib.SMTPServerDisconnected as e:
        # smtplib reports a read timeout as a disconnection "…: timed out".
        print(source, "timeout" if "timed out" in str(e) else "disconnected")
"#;
    let system = SYSTEM_CLIENT.to_string();
    let phone = PHONE_CLIENT.to_string();
    let from = |outcomes: &[(&str, &str)]| {
        outcomes
            .iter()
            .map(|(source, outcome)| format!("{source} {outcome}\n"))
            .collect::<String>()
    };
    let sources = ["127.0.0.1", phone.as_str(), system.as_str()];
    assert_eq!(
        smtplib_args(script, &sandbox, &sources).await,
        from(&[
            ("127.0.0.1", "connected"),
            (&phone, "connected"),
            (&system, "timeout")
        ])
    );

    // lettre's own timeout covers only the TCP connect, which succeeds here: a client of
    // lettre must bound the whole send itself to see OP25B as a timeout.
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sandbox.addr.port())
        .timeout(Some(Duration::from_millis(500)))
        .build();
    let outcome = timeout(WAIT, mailer.send(lettre_message("op25b"))).await;
    assert!(
        matches!(outcome, Ok(Ok(_))),
        "127.0.0.1 is not the system: {outcome:?}"
    );

    let all = |op25b| SmtpFaults {
        op25b,
        op25b_clients: Op25bClients::All,
        ..SmtpFaults::default()
    };
    let down = SmtpFaults {
        down: true,
        ..SmtpFaults::default()
    };
    let loopback: &[&str] = &["127.0.0.1"];
    let every = |outcome: &str| {
        from(&[
            ("127.0.0.1", outcome),
            (&phone, outcome),
            (&system, outcome),
        ])
    };
    let switched = [
        (all(Op25b::Refuse), &sources[..], every("disconnected")),
        (
            all(Op25b::Timeout),
            loopback,
            from(&[("127.0.0.1", "timeout")]),
        ),
        (down, loopback, from(&[("127.0.0.1", "disconnected")])),
        (SmtpFaults::default(), &sources[..], every("connected")),
    ];
    for (faults, sources, outcomes) in switched {
        sandbox.set_smtp_faults(faults);
        let ran = smtplib_args(script, &sandbox, sources).await;
        assert_eq!(ran, outcomes, "{faults:?}");
    }
    // Only lettre's one message got through.
    assert_eq!(sandbox.mailbox(PHONE).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_answer_with_their_exact_codes() {
    let sandbox = Sandbox::builder().smtp().await;
    let script = [
        ("EHLO pc", "250"),
        ("AUTH PLAIN AGthcmFjcml4AGthcmFjcml4LXBhc3M=", "235"),
        ("MAIL FROM:<karacrix@sandbox.test>", "250"),
        ("RCPT TO:<operator@sandbox.test>", "250"),
        ("DATA", "354"),
        ("Subject: fault\r\n\r\nx\r\n.", "250"),
    ];
    let cases = [
        (Stage::Ehlo, 421, 0),
        (Stage::Auth, 454, 1),
        (Stage::Mail, 451, 2),
        (Stage::Rcpt, 550, 3),
        (Stage::Data, 452, 4),
        (Stage::EndOfData, 554, 5),
    ];
    for (stage, code, at) in cases {
        sandbox.set_smtp_faults(SmtpFaults {
            reply: Some(ReplyFault::new(stage, code).unwrap()),
            ..SmtpFaults::default()
        });
        let mut client = raw(&sandbox).await;
        client.expect("220").await;
        for (line, expected) in &script[..at] {
            client.command(line, expected).await;
        }
        let reply = client.command(script[at].0, &code.to_string()).await;
        assert!(reply.contains("(sandbox fault)"), "{reply}");
        if code == 421 {
            assert!(client.closed().await, "421 closes");
        }
    }

    // At the greeting: 421 closes at once, 554 leaves only QUIT.
    for (code, then) in [(421, None), (554, Some("503 5.5.1"))] {
        sandbox.set_smtp_faults(SmtpFaults {
            reply: Some(ReplyFault::new(Stage::Greeting, code).unwrap()),
            ..SmtpFaults::default()
        });
        let mut client = raw(&sandbox).await;
        client.expect(&code.to_string()).await;
        match then {
            None => assert!(client.closed().await),
            Some(expected) => {
                client.command("EHLO pc", expected).await;
                client.command("QUIT", "221").await;
            }
        }
    }
    assert!(sandbox.mailbox(PHONE).is_empty());

    // Slow: every reply comes late.
    let delay = Duration::from_millis(300);
    sandbox.set_smtp_faults(SmtpFaults {
        slow: Some(delay),
        ..SmtpFaults::default()
    });
    let started = Instant::now();
    let mut client = raw(&sandbox).await;
    client.expect("220").await;
    client.command("NOOP", "250").await;
    assert!(started.elapsed() >= 2 * delay);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_data_delivers_nothing() {
    let sandbox = Sandbox::builder().smtp().await;
    sandbox.set_smtp_faults(SmtpFaults {
        drop_data_after: Some(100),
        ..SmtpFaults::default()
    });
    let mut client = raw(&sandbox).await;
    client.expect("220").await;
    client.command("EHLO pc", "250").await;
    client.envelope().await;
    client
        .send(format!("Subject: cut\r\n\r\n{}\r\n.\r\n", "x".repeat(500)))
        .await;
    assert!(client.closed().await, "the server drops the connection");
    assert!(sandbox.mailbox(PHONE).is_empty());

    // A short message under the limit gets through the same listener.
    let mut client = raw(&sandbox).await;
    client.expect("220").await;
    client.command("HELO pc", "250").await;
    client.command("MAIL FROM:<>", "250").await;
    client
        .command("RCPT TO:<operator@sandbox.test>", "250")
        .await;
    client.command("DATA", "354").await;
    client.command("short\r\n.", "250 2.0.0").await;
    let mails = phone_mails(&sandbox, 1);
    assert!(mails[0].contains("with SMTP id") && mails[0].ends_with("\r\nshort\r\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_over_raw_sockets_is_refused_and_survived() {
    let sandbox = Sandbox::builder()
        .smtp_policy(SmtpPolicy {
            max_size: 1000,
            ..SmtpPolicy::default()
        })
        .smtp()
        .await;
    let mut log = sandbox.dialogue.subscribe();
    let mut client = raw(&sandbox).await;
    client.expect("220").await;
    client.command("EHLO pc", "250").await;
    client
        .command(&format!("NOOP {}", "x".repeat(10_000)), "500 5.5.2")
        .await;
    client.command("NOOP", "250").await;
    client.command("NOOP \0 nul", "500 5.5.2").await;
    client.send(b"\0\0\0\r\n").await;
    client.expect("500 5.5.2").await;

    // DATA over SIZE: read to the end, refused, nothing stored; the session goes on.
    client
        .command("MAIL FROM:<karacrix@sandbox.test> SIZE=5000", "552 5.3.4")
        .await;
    client.envelope().await;
    let line = format!("{}\r\n", "y".repeat(98));
    client.send(line.repeat(50)).await;
    client.command(".", "552 5.3.4").await;
    assert!(sandbox.mailbox(PHONE).is_empty());
    client.envelope().await;
    client
        .command(&format!("{}.", line.repeat(5)), "250 2.0.0")
        .await;
    assert_eq!(sandbox.mailbox(PHONE).len(), 1);
    client.command("QUIT", "221").await;

    // A client that vanishes mid-DATA: nothing stored, the next client is served.
    let mut vanishing = raw(&sandbox).await;
    vanishing.expect("220").await;
    vanishing.command("EHLO pc", "250").await;
    vanishing.envelope().await;
    vanishing.send("Subject: half\r\n\r\nhalf a messa").await;
    drop(vanishing);
    wait_for_line(&mut log, "connection lost during DATA").await;
    assert_eq!(sandbox.mailbox(PHONE).len(), 1);

    let mut next = raw(&sandbox).await;
    next.expect("220").await;
    next.command("EHLO pc", "250").await;
    next.command("QUIT", "221").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_pipelined_behind_starttls_is_discarded() {
    let sandbox = starttls_offered().smtp().await;
    let mut client = raw(&sandbox).await;
    client.expect("220").await;
    client.command("EHLO pc", "250").await;
    // An attacker on the path appends a command to the client's STARTTLS.
    client
        .send("STARTTLS\r\nMAIL FROM:<evil@example.com>\r\n")
        .await;
    client.expect("220 2.0.0").await;
    let tcp = client.into_inner();
    let tls = sandbox
        .tls_connector()
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .unwrap();
    let mut client = Raw::new(tls);
    // The first reply inside TLS answers our EHLO, not the injected MAIL.
    let ehlo = client.command("EHLO pc", "250").await;
    assert!(!ehlo.contains("STARTTLS"));
    // And the session starts over: MAIL is a fresh transaction, not "nested".
    client.envelope().await;
    client
        .command("Subject: tls\r\n\r\nsecret\r\n.", "250")
        .await;
    client.command("QUIT", "221").await;
    let mails = phone_mails(&sandbox, 1);
    assert!(mails[0].contains("with ESMTPS id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_clients_are_told_421_and_closed() {
    let sandbox = Sandbox::builder()
        .idle_timeout(Duration::from_millis(300))
        .smtp()
        .await;
    let mut client = raw(&sandbox).await;
    client.expect("220").await;
    client.command("EHLO pc", "250").await;
    client.expect("421 4.4.2").await;
    assert!(client.closed().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_settings_without_a_certificate_are_refused_with_the_reason() {
    let sandbox = Sandbox::builder()
        .smtp_policy(SmtpPolicy {
            starttls: StartTls::Required,
            ..SmtpPolicy::default()
        })
        .smtp()
        .await;
    let mut log = sandbox.dialogue.subscribe();
    let mut client = raw(&sandbox).await;
    let reply = client.expect("421 4.3.5").await;
    assert!(reply.contains("Server configuration problem"));
    assert!(client.closed().await);
    wait_for_line(&mut log, "STARTTLS is required but there is no certificate").await;
}

/// What a web page can make a browser do: POST to the SMTP port with a whole mail transaction
/// as the body (curl stands in for the browser; `--http0.9` shows the server's answer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_post_to_the_smtp_port_is_cut_off_at_its_request_line() {
    let sandbox = Sandbox::builder().smtp().await;
    let mut log = sandbox.dialogue.subscribe();
    let body = "EHLO page\r\nMAIL FROM:<karacrix@sandbox.test>\r\n\
                RCPT TO:<operator@sandbox.test>\r\nDATA\r\nSubject: forged\r\n\r\nx\r\n.\r\nQUIT\r\n";
    let ran = curl(&[
        "--http0.9",
        "--data-binary",
        body,
        &format!("http://127.0.0.1:{}/", sandbox.port()),
    ])
    .await;
    assert!(
        !ran.stdout.contains("250"),
        "the body was obeyed: {}",
        ran.stdout
    );
    let seen = timeout(WAIT, async {
        let mut seen = Vec::new();
        loop {
            let text = log.recv().await.unwrap().text;
            let bye = text == "221 2.7.0 Error: I can break rules, too. Goodbye.";
            seen.push(text);
            if bye {
                return seen;
            }
        }
    })
    .await
    .expect("no 221 in the log");
    assert!(
        seen.iter().any(|l| l.starts_with("POST / HTTP/1.1")),
        "{seen:#?}"
    );
    assert!(!seen.iter().any(|l| l.starts_with("EHLO")), "{seen:#?}");
    assert!(sandbox.mailbox(PHONE).is_empty());
}

/// Password guessing over SMTP AUTH: smtplib guesses five times, then even the right password is
/// refused with a temporary 454, from that address and for that account from any address, while
/// another account elsewhere still logs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_auth_locks_out_the_address_and_the_account() {
    let sandbox = auth_required(StartTls::Off).smtp().await;
    let out = smtplib(
        r#"
def login(source, user, password):
    s = smtplib.SMTP(HOST, PORT, timeout=10, source_address=(source, 0))
    s.ehlo()
    # One guess per login: smtplib would try LOGIN after a refused PLAIN.
    s.esmtp_features["auth"] = "PLAIN"
    result = login_code(s, user, password)
    s.quit()
    return result
print(" ".join(login("127.0.0.2", "karacrix", "guess%d" % i) for i in range(5)))
print(login("127.0.0.2", "karacrix", "karacrix-pass"))
print(login("127.0.0.3", "karacrix", "karacrix-pass"))
print(login("127.0.0.3", "operator", "operator-pass"))
"#,
        &sandbox,
    )
    .await;
    assert_eq!(out, "535 535 535 535 535\n454\n454\n235\n");
}
