//! The sandbox ISP as it runs inside the back end, with its default policies, spoken to by
//! Python's smtplib and poplib as a phone and a mail program would: port 25 is blocked (OP25B),
//! submission takes mail after STARTTLS and AUTH, and the mail arrives in the POP3 mailbox.

use std::process::Stdio;
use std::time::Duration;

use futures_util::StreamExt;
use shared::ServerMsg;
use shared::sandbox::{MailService, SandboxInfo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::time::timeout;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

/// Runs a Python script with the sandbox's ports and CA in its environment; returns stdout.
async fn python(script: &str, info: &SandboxInfo, ca_file: &std::path::Path) -> String {
    let mut command = tokio::process::Command::new("python3");
    command
        .arg("-c")
        .arg(script)
        .env("CA_FILE", ca_file)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for endpoint in &info.endpoints {
        command.env(
            format!("PORT_{}", endpoint.service.name().to_uppercase()),
            endpoint.port.to_string(),
        );
    }
    let output = timeout(WAIT, command.output())
        .await
        .expect("python did not finish")
        .expect("python3 is needed for these tests");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn the_default_isp_blocks_port_25_and_delivers_through_submission() {
    let data = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = backend::Config::local(
        addr,
        data.path().join("data"),
        data.path().join("no-front-end"),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(backend::serve(listener, config, async {
        let _ = stopped.await;
    }));

    // The browser's view of the ISP tells us its ports and CA.
    let (mut socket, _) = timeout(WAIT, connect_async(format!("ws://{addr}/ws")))
        .await
        .unwrap()
        .unwrap();
    let info = loop {
        let frame = timeout(WAIT, socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Message::Text(text) = frame
            && let Ok(ServerMsg::Sandbox(info)) = ServerMsg::decode(&text)
        {
            break info;
        }
    };
    let ca_file = data.path().join("sandbox-ca.pem");
    std::fs::write(&ca_file, &info.ca_pem).unwrap();
    assert!(
        info.endpoints
            .iter()
            .any(|e| e.service == MailService::Submission)
    );

    let out = python(
        r#"
import os, smtplib, poplib, socket, ssl
ctx = ssl.create_default_context(cafile=os.environ["CA_FILE"])

# OP25B: port 25 accepts the connection but never greets.
try:
    smtplib.SMTP("127.0.0.1", int(os.environ["PORT_SMTP"]), timeout=1.5)
    print("port25: answered")
except (socket.timeout, TimeoutError, smtplib.SMTPServerDisconnected) as e:
    # smtplib reports a greeting that never comes as a disconnect "timed out".
    print("port25: timeout" if "timed out" in str(e) else f"port25: {e}")

# The phone sends through submission with STARTTLS and AUTH LOGIN.
s = smtplib.SMTP("127.0.0.1", int(os.environ["PORT_SUBMISSION"]), timeout=10)
s.ehlo("phone.sandbox.test")
s.starttls(context=ctx)
s.ehlo("phone.sandbox.test")
try:
    s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"], b"Subject: x\r\n\r\nx\r\n")
    print("unauthenticated: accepted")
except smtplib.SMTPSenderRefused as e:
    print("unauthenticated:", e.smtp_code)
s.login("operator", "operator-pass")
s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"],
           b"From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\nSubject: LIST\r\n\r\nLIST\r\n")
s.quit()
print("sent")

# The system's mail program reads its mailbox with STLS.
p = poplib.POP3("127.0.0.1", int(os.environ["PORT_POP3"]), timeout=10)
p.stls(context=ctx)
p.user("karacrix")
p.pass_("karacrix-pass")
count, _ = p.stat()
print("messages:", count)
_, lines, _ = p.retr(1)
print("subject:", [l.decode() for l in lines if l.startswith(b"Subject:")][0])
p.dele(1)
p.quit()
"#,
        &info,
        &ca_file,
    )
    .await;
    assert!(out.contains("port25: timeout"), "{out}");
    assert!(out.contains("unauthenticated: 530"), "{out}");
    assert!(out.contains("sent"), "{out}");
    assert!(out.contains("messages: 1"), "{out}");
    assert!(out.contains("subject: Subject: LIST"), "{out}");

    stop.send(()).unwrap();
    timeout(WAIT, server).await.unwrap().unwrap().unwrap();
}
