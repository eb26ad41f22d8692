//! Command mails end to end: Python's `email` package writes them the way phones and mail
//! programs do (UTF-8, ISO-2022-JP labelled and not, Shift_JIS, quoted-printable, HTML-only
//! commands, attachments), smtplib sends them through the sandbox, the engine executes them on
//! the plant, and poplib fetches the replies, which are checked for results, charset and
//! threading. Strangers and wrong PINs get nothing; alarms arrive once, not once per wobble.

mod common;

use common::{
    Backend, Client, Env, read_mailbox, sandbox_env, sandbox_python, submission_settings,
};
use shared::points::{PointSnapshot, Value};
use shared::settings::PasswordChange;
use shared::status::MailStatus;
use shared::{ClientMsg, ServerMsg};

const SEND: &str = r#"
import os
from email.message import EmailMessage
from email.mime.text import MIMEText
from email.header import Header

def envelope(msg, n, sender="operator@sandbox.test"):
    msg["From"] = sender
    msg["To"] = "karacrix@sandbox.test"
    msg["Message-ID"] = f"<case{n}@phone.sandbox.test>"
    return msg

mails = []
m = MIMEText("GET PUMP1\n", "plain", "utf-8"); m["Subject"] = "SET PUMP1 ON"
mails.append(("operator@sandbox.test", envelope(m, 1).as_bytes()))
m = MIMEText("給水ポンプ=切\n", "plain", "iso-2022-jp"); m["Subject"] = Header("ポンプ停止", "iso-2022-jp")
mails.append(("operator@sandbox.test", envelope(m, 2).as_bytes()))
raw = (b"From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\nSubject: old phone\r\n"
       b"Message-ID: <case3@phone.sandbox.test>\r\n\r\n" + "状態 扉\r\n".encode("iso-2022-jp"))
mails.append(("operator@sandbox.test", raw))
# Python's MIMEText turns shift_jis into iso-2022-jp on output, so this one is written by hand.
import base64
b64 = lambda text: base64.b64encode(text.encode("shift_jis")).decode()
raw = (f"From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\n"
       f"Subject: =?Shift_JIS?B?{b64('一覧')}?=\r\nMessage-ID: <case4@phone.sandbox.test>\r\n"
       f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\n"
       f"Content-Transfer-Encoding: base64\r\n\r\n{b64('一覧')}\r\n").encode()
mails.append(("operator@sandbox.test", raw))
m = EmailMessage(); m["Subject"] = "qp"; m.set_content("状態 室温\n", cte="quoted-printable")
mails.append(("operator@sandbox.test", envelope(m, 5).as_bytes()))
m = EmailMessage(); m["Subject"] = "html"; m.set_content(" \n"); m.add_alternative("<html><body><p>SET FAN1 ON</p></body></html>", subtype="html")
mails.append(("operator@sandbox.test", envelope(m, 6).as_bytes()))
m = EmailMessage(); m["Subject"] = "with attachment"; m.set_content("ALARM\n")
m.add_attachment(bytes(range(256)) * 40, maintype="application", subtype="octet-stream", filename="log.bin")
mails.append(("operator@sandbox.test", envelope(m, 7).as_bytes()))
m = MIMEText("SET LIGHT1 ON\n", "plain", "utf-8"); m["Subject"] = "hello"
mails.append(("stranger@sandbox.test", envelope(m, 8, "stranger@sandbox.test").as_bytes()))
only = os.environ.get("ONLY")
s = submission("operator")
for i, (sender, data) in enumerate(mails, 1):
    if only and str(i) not in only.split(","):
        continue
    s.sendmail(sender, ["karacrix@sandbox.test"], data)
s.quit()
print("sent")
"#;

async fn setup(time_scale: u32, pin: &str) -> (Backend, Client, Env) {
    let backend = Backend::start(|c| {
        c.time_scale = time_scale;
        c.mail_timeout_secs = 5;
    })
    .await;
    let mut client = backend.client().await;
    let env = sandbox_env(&client.sandbox().await, backend.data.path());
    let mut settings = submission_settings();
    settings.receive_interval_min = 60;
    settings.command_pin = pin.into();
    client
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .await;
    client
        .engine_until("run after RST", |s| {
            matches!(s.status, MailStatus::Run { .. })
        })
        .await;
    (backend, client, env)
}

async fn point(
    client: &mut Client,
    id: &str,
    wanted: impl Fn(&PointSnapshot) -> bool,
) -> PointSnapshot {
    client
        .wait_for(id, |m| match m {
            ServerMsg::Points { points } => points.into_iter().find(|p| p.id == id && wanted(p)),
            _ => None,
        })
        .await
}

#[tokio::test]
async fn every_encoding_is_understood_and_answered_in_kind() {
    let (backend, mut client, env) = setup(60, "").await;
    assert!(sandbox_python(SEND, &env).await.contains("sent"));
    client.send(ClientMsg::ReceiveNow).await;
    // A failure would show as an error status and never reach run with an empty outbox.
    client
        .engine_until("8 mails executed, 7 replies sent, run", |s| {
            s.executed == 8 && s.outbox == 0 && matches!(s.status, MailStatus::Run { .. })
        })
        .await;

    let replies = read_mailbox(&env, "operator").await;
    assert_eq!(replies.len(), 7, "no reply to the stranger: {replies:#?}");
    let reply = |n: u32| {
        replies
            .iter()
            .find(|r| r.in_reply_to == format!("<case{n}@phone.sandbox.test>"))
            .unwrap_or_else(|| panic!("no reply to case {n}: {replies:#?}"))
    };
    let r = reply(1);
    assert_eq!(
        (r.subject.as_str(), r.charset.as_str()),
        ("Re: SET PUMP1 ON", "utf-8")
    );
    assert!(
        r.body.contains("> SET PUMP1 ON") && r.body.contains("OFF → ON"),
        "{}",
        r.body
    );
    assert!(r.body.contains("PUMP1 給水ポンプ"), "{}", r.body);
    let r = reply(2);
    assert_eq!(
        (r.subject.as_str(), r.charset.as_str()),
        ("Re: ポンプ停止", "iso-2022-jp")
    );
    assert!(
        r.body.contains("> 給水ポンプ=切") && r.body.contains("ON → OFF"),
        "{}",
        r.body
    );
    let r = reply(3);
    assert_eq!(
        r.charset, "iso-2022-jp",
        "an unlabelled ISO-2022-JP mail is answered in kind"
    );
    assert!(r.body.contains("DOOR1 扉"), "{}", r.body);
    let r = reply(4);
    assert_eq!(
        (r.subject.as_str(), r.charset.as_str()),
        ("Re: 一覧", "shift_jis")
    );
    assert!(
        r.body.contains("KWH1") && r.body.contains("LEVEL1"),
        "{}",
        r.body
    );
    assert!(reply(5).body.contains("TEMP1 室温"), "{}", reply(5).body);
    assert!(
        reply(6).body.contains("OFF → ON"),
        "HTML-only command: {}",
        reply(6).body
    );
    assert!(reply(7).body.contains("> ALARM"), "{}", reply(7).body);

    point(&mut client, "FAN1", |p| p.value == Value::Digital(true)).await;
    point(&mut client, "LIGHT1", |p| p.value == Value::Digital(false)).await;
    backend.stop().await;
}

#[tokio::test]
async fn a_wrong_or_missing_pin_executes_nothing_and_answers_nothing() {
    let (backend, mut client, mut env) = setup(60, "2468").await;
    env.insert("ONLY".into(), "1".into());
    sandbox_python(SEND, &env).await;
    client.send(ClientMsg::ReceiveNow).await;
    client
        .engine_until("the mail handled", |s| {
            s.executed == 1 && !s.status.is_error()
        })
        .await;
    assert!(read_mailbox(&env, "operator").await.is_empty());
    point(&mut client, "PUMP1", |p| p.value == Value::Digital(false)).await;

    let with_pin = r#"
s = submission("operator")
s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"],
    "From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\nSubject: go\r\n"
    "Message-ID: <pin@phone.sandbox.test>\r\n\r\n暗証 2468\r\nSET PUMP1 ON\r\n".encode("utf-8"))
s.quit()
"#;
    sandbox_python(with_pin, &env).await;
    client.send(ClientMsg::ReceiveNow).await;
    client
        .engine_until("the reply sent", |s| s.executed == 2 && s.outbox == 0)
        .await;
    let replies = read_mailbox(&env, "operator").await;
    assert_eq!(replies.len(), 1);
    assert!(!replies[0].body.contains("2468"), "the PIN is never quoted");
    point(&mut client, "PUMP1", |p| p.value == Value::Digital(true)).await;
    backend.stop().await;
}

#[tokio::test]
async fn alarms_are_mailed_once_per_transition_not_per_wobble() {
    // Real time, so the plant's own drift stays small between the forced values.
    let (backend, mut client, env) = setup(1, "").await;
    let simulate = |id: &str, value: Value| ClientMsg::SimulatePoint {
        id: id.into(),
        value,
    };
    client.send(simulate("TEMP1", Value::Analog(30.6))).await;
    point(&mut client, "TEMP1", |p| p.alarm.is_some()).await;
    // Hovering at the limit, inside the deadband: no new transition.
    for v in [29.8, 30.4, 29.7, 30.3] {
        client.send(simulate("TEMP1", Value::Analog(v))).await;
        point(&mut client, "TEMP1", |p| {
            p.value == Value::Analog(v) || p.alarm.is_some()
        })
        .await;
    }
    // A marker: the door's alarm mail is queued after anything TEMP1 could have caused.
    client.send(simulate("DOOR1", Value::Digital(true))).await;
    let mut door_mail = None;
    for _ in 0..50 {
        client
            .engine_until("the outbox empty", |s| s.outbox == 0)
            .await;
        let inbox = read_mailbox(&env, "operator").await;
        if inbox.iter().any(|r| r.subject.contains("DOOR1")) {
            door_mail = Some(inbox);
            break;
        }
    }
    let inbox = door_mail.expect("the door's alarm mail arrived");
    let temp: Vec<_> = inbox
        .iter()
        .filter(|r| r.subject.contains("TEMP1"))
        .collect();
    assert_eq!(
        temp.len(),
        1,
        "one mail for the hovering temperature: {inbox:#?}"
    );
    assert!(temp[0].subject.contains("発生"), "{}", temp[0].subject);
    assert!(temp[0].body.contains("30.6"), "{}", temp[0].body);
    backend.stop().await;
}
