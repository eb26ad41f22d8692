//! Safe to point at a real mailbox: the engine, an automatic responder, never answers automatic
//! mail (RFC 3834) — its own alarms, mail from its own address, vacation notices, bounces — so
//! no mail loop can start; it limits replies per sender; it locks out a sender guessing the PIN
//! and tells the alarm recipients; it never echoes the PIN; and a stranger cannot have a phone's
//! command taken for done by sending its Message-ID first. Each case ends with a counted number
//! of mails: the test runs one more receive cycle and sees nothing new.

mod common;

use common::{
    Backend, Client, Env, Mail, cycles, phone_sends, read_mailbox, sandbox_env, submission_settings,
};
use shared::engine::{EngineState, Hold};
use shared::points::Value;
use shared::settings::{MailSettings, PasswordChange};
use shared::status::MailStatus;
use shared::transcript::{Direction, Party, Service};
use shared::{ClientMsg, ServerMsg};

const OWN: &str = "karacrix@sandbox.test";
const PHONE: &str = "operator@sandbox.test";

/// A command mail as a phone writes it, with `extra` headers.
fn command(from: &str, id: &str, extra: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {OWN}\r\nSubject: {subject}\r\nMessage-ID: <{id}@phone.sandbox.test>\r\n\
         {extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n"
    )
}

struct Rig {
    backend: Backend,
    client: Client,
    env: Env,
    /// Receive cycles run so far.
    cycles: u64,
}

/// The back end on the sandbox, with `edit` applied to the demo settings and `--replies-per-hour`
/// at `replies_per_hour`. Real time and an hour's interval: only the test starts a poll.
async fn rig(replies_per_hour: u32, edit: impl FnOnce(&mut MailSettings)) -> Rig {
    let backend = Backend::start(|c| {
        c.mail_timeout_secs = 5;
        c.replies_per_hour = replies_per_hour;
    })
    .await;
    let mut client = backend.client().await;
    let env = sandbox_env(&client.sandbox().await, backend.data.path());
    let mut settings = submission_settings();
    settings.receive_interval_min = 60;
    // A whole domain allowed, as sites do: the system's own address and MAILER-DAEMON included.
    settings.allowed_senders = vec!["@sandbox.test".into()];
    edit(&mut settings);
    client
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .await;
    let state = client
        .engine_until("run after RST", |s| {
            matches!(s.status, MailStatus::Run { .. })
        })
        .await;
    Rig {
        backend,
        client,
        cycles: cycles(&state).unwrap(),
        env,
    }
}

impl Rig {
    async fn send(&self, mails: &[String]) {
        phone_sends(&self.env, mails).await;
    }

    async fn mailbox(&self, user: &str) -> Vec<Mail> {
        read_mailbox(&self.env, user).await
    }

    /// Runs one receive cycle to its end with the outbox empty; returns the state and the
    /// engine's notices (English) on the way.
    async fn receive(&mut self) -> (EngineState, Vec<String>) {
        let done = self.client.receive_cycle(self.cycles).await;
        self.cycles += 1;
        done
    }

    /// Waits until the engine has handed a mail to the SMTP server (an alarm mail).
    async fn mail_sent(&mut self) {
        let mut data = false;
        self.client
            .wait_for("a mail sent", |m| match m {
                ServerMsg::Dialogue(l)
                    if l.party == Party::Engine && l.service == Service::Smtp =>
                {
                    data |= l.text.starts_with("DATA");
                    (data && l.direction == Direction::ToClient && l.text.starts_with("250"))
                        .then_some(())
                }
                _ => None,
            })
            .await;
    }

    /// One more cycle: nothing new arrives, nothing goes out — the loop, if any, has ended.
    async fn quiet(&mut self, executed: u64) {
        let (state, notices) = self.receive().await;
        assert_eq!(state.executed, executed, "nothing new: {notices:?}");
        assert!(self.mailbox("karacrix").await.is_empty());
    }
}

fn said(notices: &[String], part: &str) -> bool {
    notices.iter().any(|n| n.contains(part))
}

#[tokio::test]
async fn an_alarm_mailed_to_the_system_itself_is_deleted_unanswered() {
    let mut rig = rig(20, |s| s.alarm_recipients = vec![OWN.into()]).await;
    rig.client
        .send(ClientMsg::SimulatePoint {
            id: "DOOR1".into(),
            value: Value::Digital(true),
        })
        .await;
    rig.mail_sent().await;
    let (state, notices) = rig.receive().await;
    assert_eq!(state.executed, 1);
    assert!(
        said(&notices, "Auto-Submitted: auto-generated") && said(&notices, "no mail loop"),
        "{notices:?}"
    );
    rig.quiet(1).await;
    rig.backend.stop().await;
}

#[tokio::test]
async fn a_mail_from_the_system_s_own_address_is_deleted_unanswered() {
    let mut rig = rig(20, |_| {}).await;
    rig.send(&[command(OWN, "own-1", "", "LIST", "LIST")]).await;
    let (state, notices) = rig.receive().await;
    assert_eq!(state.executed, 1);
    assert!(said(&notices, "own address"), "{notices:?}");
    rig.quiet(1).await;
    assert!(rig.mailbox("operator").await.is_empty());
    rig.backend.stop().await;
}

#[tokio::test]
async fn a_vacation_auto_reply_is_deleted_unanswered() {
    let mut rig = rig(20, |_| {}).await;
    let vacation = command(
        PHONE,
        "away-1",
        "Auto-Submitted: auto-replied\r\n",
        "Re: 【警報】DOOR1 扉 接点警報 発生",
        "I am away until Monday.\r\nLIST",
    );
    rig.send(&[vacation]).await;
    let (state, notices) = rig.receive().await;
    assert_eq!(state.executed, 1);
    assert!(
        said(&notices, "Auto-Submitted: auto-replied"),
        "{notices:?}"
    );
    rig.quiet(1).await;
    assert!(rig.mailbox("operator").await.is_empty(), "no answer");
    rig.backend.stop().await;
}

#[tokio::test]
async fn bounces_are_deleted_unanswered() {
    let mut rig = rig(20, |_| {}).await;
    let null_path = command(PHONE, "dsn-1", "Return-Path: <>\r\n", "LIST", "LIST");
    let daemon = command(
        "MAILER-DAEMON@sandbox.test",
        "dsn-2",
        "",
        "Undelivered Mail Returned to Sender",
        "LIST",
    );
    rig.send(&[null_path, daemon]).await;
    let (state, notices) = rig.receive().await;
    assert_eq!(state.executed, 2);
    assert!(said(&notices, "Return-Path: <>"), "{notices:?}");
    assert!(
        said(&notices, "system sender mailer-daemon@sandbox.test"),
        "{notices:?}"
    );
    rig.quiet(2).await;
    assert!(rig.mailbox("operator").await.is_empty(), "no answer");
    rig.backend.stop().await;
}

#[tokio::test]
async fn replies_to_one_sender_are_limited_and_marked_automatic() {
    let mut rig = rig(2, |_| {}).await;
    let mails: Vec<String> = (1..=3)
        .map(|n| command(PHONE, &format!("many-{n}"), "", "LIST", "LIST"))
        .collect();
    rig.send(&mails).await;
    let (state, notices) = rig.receive().await;
    assert_eq!(state.executed, 3);
    assert!(said(&notices, "--replies-per-hour"), "{notices:?}");
    // Frame (3) shows the limit, so an operator whose mails go unanswered sees why.
    assert!(
        matches!(state.holds.as_slice(), [Hold::ReplyLimit { sender, max: 2, .. }] if sender == PHONE),
        "{:?}",
        state.holds
    );
    let inbox = rig.mailbox("operator").await;
    assert_eq!(inbox.len(), 2, "{inbox:#?}");
    for reply in &inbox {
        assert_eq!(reply.auto_submitted, "auto-replied", "{reply:?}");
    }
    rig.quiet(3).await;
    rig.backend.stop().await;
}

#[tokio::test]
async fn wrong_pins_lock_the_sender_out_and_the_alarm_recipients_are_told() {
    let mut rig = rig(20, |s| s.command_pin = "2468".into()).await;
    let mut mails: Vec<String> = (1..=5)
        .map(|n| {
            let id = format!("guess-{n}");
            command(PHONE, &id, "", "go", &format!("PIN 11{n}1\r\nSET PUMP1 ON"))
        })
        .collect();
    // The right PIN, too late: the lock-out refuses it as well.
    mails.push(command(
        PHONE,
        "right",
        "",
        "go",
        "PIN 2468\r\nSET PUMP1 ON",
    ));
    rig.send(&mails).await;
    let (state, notices) = rig.receive().await;
    assert_eq!(state.executed, 6);
    assert!(said(&notices, "too many wrong PINs"), "{notices:?}");
    assert!(said(&notices, "locked out"), "{notices:?}");
    assert!(
        state
            .holds
            .iter()
            .any(|h| matches!(h, Hold::PinLockout { sender: Some(s), .. } if s == PHONE)),
        "{:?}",
        state.holds
    );
    let inbox = rig.mailbox("operator").await;
    let [alarm] = inbox.as_slice() else {
        panic!("only the alarm mail: {inbox:#?}");
    };
    assert!(alarm.subject.starts_with("【警報】"), "{alarm:?}");
    assert_eq!(alarm.auto_submitted, "auto-generated");
    assert!(alarm.body.contains(PHONE), "{}", alarm.body);
    let pump = rig
        .client
        .wait_for("the points", |m| match m {
            ServerMsg::Points { points } => points.into_iter().find(|p| p.id == "PUMP1"),
            _ => None,
        })
        .await;
    assert_eq!(pump.value, Value::Digital(false), "nothing was executed");
    rig.quiet(6).await;
    rig.backend.stop().await;
}

#[tokio::test]
async fn a_pin_in_the_subject_is_not_echoed() {
    let mut rig = rig(20, |s| s.command_pin = "2468".into()).await;
    rig.send(&[command(PHONE, "subject-pin", "", "暗証 2468", "LIST")])
        .await;
    let (state, _) = rig.receive().await;
    assert_eq!(state.executed, 1);
    let inbox = rig.mailbox("operator").await;
    let [reply] = inbox.as_slice() else {
        panic!("one reply: {inbox:#?}");
    };
    assert_eq!(reply.subject, "Re: 暗証 ****");
    assert!(!reply.body.contains("2468"), "{}", reply.body);
    rig.backend.stop().await;
}

#[tokio::test]
async fn a_stranger_cannot_have_a_phone_s_command_taken_for_done() {
    let mut rig = rig(20, |s| s.allowed_senders = vec![PHONE.into()]).await;
    // The stranger guesses the Message-ID the phone uses next and sends first.
    let stranger = command("stranger@example.jp", "next", "", "hello", "hello");
    let phone = command(PHONE, "next", "", "go", "SET PUMP1 ON");
    rig.send(&[stranger, phone]).await;
    let (state, notices) = rig.receive().await;
    assert_eq!(state.executed, 2, "{notices:?}");
    let inbox = rig.mailbox("operator").await;
    let [reply] = inbox.as_slice() else {
        panic!("the phone's reply: {inbox:#?} {notices:?}");
    };
    assert_eq!(reply.to, PHONE);
    assert!(reply.body.contains("OFF → ON"), "{}", reply.body);
    rig.backend.stop().await;
}

#[tokio::test]
async fn a_hostile_mail_gets_a_reply_whose_headers_fit() {
    let mut rig = rig(20, |_| {}).await;
    // Folded as a mail program would send them: 5,000 characters of Subject, 200 References.
    let subject = vec!["LIST"; 1000].join("\r\n ");
    let references: Vec<String> = (0..200)
        .map(|n| format!("<thread-{n}@phone.sandbox.test>"))
        .collect();
    let extra = format!("References: {}\r\n", references.join("\r\n "));
    rig.send(&[command(PHONE, "hostile", &extra, &subject, "LIST")])
        .await;
    let (state, notices) = rig.receive().await;
    assert_eq!(state.executed, 1, "{notices:?}");
    let inbox = rig.mailbox("operator").await;
    let [reply] = inbox.as_slice() else {
        panic!("one reply: {inbox:#?} {notices:?}");
    };
    assert!(reply.longest_line <= 998, "{reply:?}");
    assert_eq!(reply.references, 10, "the first and the latest");
    assert!(reply.subject.starts_with("Re: LIST LIST"), "{reply:?}");
    assert!(reply.subject.chars().count() < 300, "{reply:?}");
    rig.backend.stop().await;
}
