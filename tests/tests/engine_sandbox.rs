//! The engine against the embedded sandbox ISP, driven as the UI drives it (save, RST, receive
//! now) with a phone played by Python: every policy gives its status code, and fixing the
//! settings makes the engine recover by itself.

mod common;

use common::{
    Backend, Sandbox, phone_sends, read_mailbox, sandbox_env, sandbox_python, submission_settings,
};
use shared::engine::EngineState;
use shared::sandbox::Op25b;
use shared::settings::{MailSettings, PasswordChange};
use shared::status::{MailError, MailStatus};
use shared::{ClientMsg, ServerMsg};

/// The phone's command mail.
const COMMAND: &str = "From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\n\
    Subject: LIST\r\nMessage-ID: <cmd-1@phone.sandbox.test>\r\n\r\nLIST\r\n";

fn is_error(state: &EngineState, error: MailError) -> bool {
    matches!(&state.status, MailStatus::Error { error: e, .. } if *e == error)
}

#[tokio::test]
async fn op25b_times_out_on_smtp_and_submission_with_auth_login_recovers() {
    let backend = Backend::fast().await;
    let mut client = backend.client().await;
    let env = sandbox_env(&client.sandbox().await, backend.data.path());

    // The trainee enters the account with 5.SMTP名 = smtp (the demo preset) and restarts.
    let mut settings = MailSettings::sandbox_demo();
    settings.receive_interval_min = 10;
    client
        .save_and_restart(
            settings.clone(),
            PasswordChange::Set("karacrix-pass".into()),
        )
        .await;
    phone_sends(&env, &[COMMAND.into()]).await;
    client.send(ClientMsg::ReceiveNow).await;
    let state = client
        .engine_until("the OP25B timeout", |s| is_error(s, MailError::Timeout))
        .await;
    assert_eq!(state.executed, 1, "the command mail was executed once");
    assert_eq!(state.outbox, 1, "its reply waits in the outbox");
    // The retry shows a normal state for the whole timeout; the error stays on display.
    let retrying = client
        .engine_until("the retry", |s| s.status == MailStatus::SmtpConnect)
        .await;
    let standing = retrying
        .standing_error
        .expect("the error stands during the retry");
    assert_eq!(standing.error, MailError::Timeout);
    assert!(
        read_mailbox(&env, "karacrix").await.is_empty(),
        "read mail is deleted"
    );

    // The fix from the help: submission with SmtpAuthLogin, then RST.
    settings.smtp_service = "submission".into();
    settings.smtp_auth_login = true;
    settings.pop_before_smtp = false;
    client
        .save_and_restart(settings, PasswordChange::Keep)
        .await;
    let state = client
        .engine_until("run (N)", |s| {
            matches!(s.status, MailStatus::Run { .. }) && s.outbox == 0
        })
        .await;
    assert_eq!(state.executed, 1, "nothing ran twice");
    let phone = read_mailbox(&env, "operator").await;
    // One reply; an alarm the plant drifted into before the first RST may arrive beside it.
    let replies: Vec<_> = phone.iter().filter(|m| !m.in_reply_to.is_empty()).collect();
    assert_eq!(replies.len(), 1, "{phone:?}");
    assert!(replies[0].subject.starts_with("Re: LIST"), "{phone:?}");
    assert_eq!(replies[0].in_reply_to, "<cmd-1@phone.sandbox.test>");
    backend.stop().await;
}

#[tokio::test]
async fn a_wrong_password_fails_the_pop_login_until_corrected() {
    let backend = Backend::fast().await;
    let mut client = backend.client().await;
    client.sandbox().await;
    let mut settings = MailSettings::sandbox_demo();
    settings.receive_interval_min = 1;
    client
        .save_and_restart(settings.clone(), PasswordChange::Set("wrong".into()))
        .await;
    let state = client
        .engine_until("POP login failed", |s| {
            is_error(s, MailError::PopLoginFailed)
        })
        .await;
    assert!(state.last_failure.is_some());

    client
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .await;
    client
        .engine_until("run (N)", |s| matches!(s.status, MailStatus::Run { .. }))
        .await;
    backend.stop().await;
}

#[tokio::test]
async fn a_temporary_pop_server_failure_is_not_a_password_and_clears_on_success() {
    let backend = Backend::fast().await;
    let mut client = backend.client().await;
    let info = client.sandbox().await;
    let mut policy = info.policy.clone();
    policy.faults.pop3_error = Some(shared::sandbox::Pop3Stage::Auth);
    client
        .send(ClientMsg::SetSandboxPolicy {
            policy: policy.clone(),
        })
        .await;
    let mut settings = MailSettings::sandbox_demo();
    settings.receive_interval_min = 1;
    client
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .await;
    let state = client
        .engine_until("the server's temporary failure", |s| {
            is_error(s, MailError::PopServerTemp)
        })
        .await;
    let standing = state.standing_error.expect("the error stands");
    assert_eq!(standing.error, MailError::PopServerTemp);
    assert!(standing.detail.en.contains("[SYS/TEMP]"), "{standing:?}");

    // The ISP recovers; the next cycle succeeds and the standing error goes.
    policy.faults.pop3_error = None;
    client.send(ClientMsg::SetSandboxPolicy { policy }).await;
    let state = client
        .engine_until("run (N)", |s| matches!(s.status, MailStatus::Run { .. }))
        .await;
    assert_eq!(state.standing_error, None);
    assert!(state.last_failure.is_some(), "the history keeps it");
    backend.stop().await;
}

#[tokio::test]
async fn alarm_mail_without_pop_before_smtp_is_relay_denied_and_sent_once_enabled() {
    use backend::engine::EngineOptions;
    use backend::engine::commands::{CommandLayer, Handling};
    use backend::engine::ledger::NewMail;
    use backend::mail::message::ReceivedMail;
    use std::sync::Arc;
    use std::time::Duration;

    /// Receiving is off in this test: no mail reaches a command layer.
    struct NoCommands;
    impl CommandLayer for NoCommands {
        fn handle(&self, _: &ReceivedMail, _: &MailSettings) -> Handling {
            Handling::default()
        }
    }

    // The engine and the ISP on their own, so an alarm can be queued with no receive before it
    // (a receive's POP login would itself open PopBeforeSmtp).
    let isp = Sandbox::builder().op25b(Op25b::Off).isp().await;
    let sandbox = &isp.provider;
    let mut options = EngineOptions {
        time_scale: 60,
        smtp_timeout: Duration::from_secs(2),
        ..EngineOptions::default()
    };
    options.pop3.reply_timeout = Duration::from_secs(2);
    let engine = isp.engine(Arc::new(NoCommands), options);
    let mut state = engine.subscribe();
    let mut until = async |what: &str, wanted: &dyn Fn(&EngineState) -> bool| {
        tokio::time::timeout(common::WAIT, state.wait_for(|s| wanted(s)))
            .await
            .unwrap_or_else(|_| panic!("waited in vain for {what}"))
            .unwrap()
            .clone()
    };

    let mut settings = MailSettings::sandbox_demo();
    settings.receive_interval_min = 0; // sending only, as for a plant that only raises alarms
    settings.pop_before_smtp = false;
    engine
        .save_and_restart(
            settings.clone(),
            PasswordChange::Set("karacrix-pass".into()),
        )
        .unwrap();
    until("stop", &|s| s.status == MailStatus::Stop).await;

    let alarm = NewMail {
        from: "karacrix@sandbox.test".into(),
        to: vec!["operator@sandbox.test".into()],
        message: b"From: karacrix@sandbox.test\r\nTo: operator@sandbox.test\r\nSubject: DOOR1\r\n\r\nopen\r\n".to_vec(),
    };
    engine.queue(&[alarm]).unwrap();
    until("relay denied", &|s| is_error(s, MailError::RelayDenied)).await;
    assert!(
        sandbox
            .mail()
            .list("operator@sandbox.test")
            .unwrap()
            .is_empty()
    );

    settings.pop_before_smtp = true;
    engine
        .save_and_restart(settings, PasswordChange::Keep)
        .unwrap();
    until("the alarm sent", &|s| {
        s.outbox == 0 && s.status == MailStatus::Stop
    })
    .await;
    assert_eq!(
        sandbox.mail().list("operator@sandbox.test").unwrap().len(),
        1
    );
}

#[tokio::test]
async fn the_connection_test_tries_unsaved_settings_step_by_step_and_applies_nothing() {
    use shared::conntest::{Outcome, Step, TestReport};
    let backend = Backend::fast().await;
    let mut client = backend.client().await;
    client.sandbox().await;
    let settings = submission_settings();
    let outcome = |report: &TestReport, step: Step| {
        report
            .steps
            .iter()
            .find(|s| s.step == step)
            .map(|s| s.outcome.clone())
            .unwrap_or_else(|| panic!("no {step:?} in {report:?}"))
    };

    client
        .send(ClientMsg::TestConnection {
            settings: settings.clone(),
            password: PasswordChange::Set("wrong".into()),
            send_test_mail: true,
        })
        .await;
    let report = finished_test(&mut client).await;
    assert_eq!(outcome(&report, Step::PopConnect), Outcome::Passed);
    assert_eq!(
        outcome(&report, Step::PopLogin),
        Outcome::Failed {
            error: MailError::PopLoginFailed
        }
    );
    assert_eq!(outcome(&report, Step::PopStat), Outcome::NotTried);
    assert_eq!(
        outcome(&report, Step::SmtpAuth),
        Outcome::Failed {
            error: MailError::SmtpAuthFailed
        }
    );
    assert_eq!(outcome(&report, Step::SmtpTestMail), Outcome::NotTried);

    client
        .send(ClientMsg::TestConnection {
            settings,
            password: PasswordChange::Set("karacrix-pass".into()),
            send_test_mail: true,
        })
        .await;
    let report = finished_test(&mut client).await;
    assert!(report.passed(), "{report:?}");
    let order: Vec<Step> = report.steps.iter().map(|s| s.step).collect();
    assert_eq!(
        order,
        [
            Step::PopConnect,
            Step::PopTls,
            Step::PopLogin,
            Step::PopStat,
            Step::PopQuit,
            Step::PopBeforeSmtp,
            Step::SmtpConnect,
            Step::SmtpTls,
            Step::SmtpAuth,
            Step::SmtpTestMail,
            Step::SmtpQuit,
        ]
    );
    // Nothing was saved or applied.
    let view = backend
        .client()
        .await
        .wait_for("the settings", |m| match m {
            ServerMsg::Settings(view) => Some(*view),
            _ => None,
        })
        .await;
    assert_eq!(view.applied, None);
    backend.stop().await;
}

async fn finished_test(client: &mut common::Client) -> shared::conntest::TestReport {
    client
        .wait_for("the finished connection test", |m| match m {
            ServerMsg::ConnectionTest(report) if report.finished => Some(*report),
            _ => None,
        })
        .await
}

/// The cycle streams: with a backlog of command mails, the first batch is executed, recorded,
/// handed to the sender and deleted before the engine has even asked for the last mail, and
/// every mail gets exactly one reply. Seen in the engine's own dialogue, in order: a DELE (which
/// follows the batch's record and its hand-over to the sender) before the last RETR. Whether
/// the first reply also reaches the ISP before the last RETR depends on the machine's speed;
/// the bridge benchmark measures that time.
#[tokio::test]
async fn a_backlog_is_executed_and_handed_to_the_sender_while_it_is_still_being_read() {
    use shared::transcript::{Direction, Party, Service};
    const BACKLOG: usize = 300;
    let backend = Backend::start(|c| {
        c.time_scale = 60;
        // A load test: the one phone sends hundreds of command mails within the hour.
        c.replies_per_hour = 10_000;
    })
    .await;
    let mut client = backend.client().await;
    let mut env = sandbox_env(&client.sandbox().await, backend.data.path());
    env.insert("BACKLOG".into(), BACKLOG.to_string());
    sandbox_python(
        r#"
s = submission("operator")
for i in range(int(os.environ["BACKLOG"])):
    s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"],
        f"From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\nSubject: GET PUMP1\r\nMessage-ID: <backlog-{i}@phone.sandbox.test>\r\n\r\nGET TEMP1\r\n".encode())
s.quit()
"#,
        &env,
    )
    .await;
    let mut settings = submission_settings();
    settings.receive_interval_min = 1440;
    client
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .await;

    // The engine's dialogue: the first batch's DELE before the last RETR.
    let last_retr = format!("RETR {BACKLOG}");
    let first = client
        .wait_for("the first DELE or the last RETR", |m| {
            let ServerMsg::Dialogue(line) = m else {
                return None;
            };
            if line.party != Party::Engine
                || (line.service, line.direction) != (Service::Pop3, Direction::ToServer)
            {
                return None;
            }
            if line.text.starts_with("DELE ") {
                return Some("first DELE");
            }
            (line.text == last_retr).then_some("last RETR")
        })
        .await;
    assert_eq!(
        first, "first DELE",
        "the first batch waited for the whole mailbox"
    );

    let state = client
        .engine_until("every mail answered", |s| {
            s.executed == BACKLOG as u64 && s.outbox == 0
        })
        .await;
    assert_eq!(state.executed, BACKLOG as u64);
    let replies = sandbox_python(
        r#"
p = pop3("operator")
n, _ = p.stat()
for i in range(1, n + 1):
    for l in p.top(i, 0)[1]:
        if l.startswith(b"In-Reply-To:"):
            print(l.decode().split()[1])
p.quit()
"#,
        &env,
    )
    .await;
    let mut answered: Vec<&str> = replies.lines().filter(|l| l.starts_with('<')).collect();
    answered.sort_unstable();
    let mut expected: Vec<String> = (0..BACKLOG)
        .map(|i| format!("<backlog-{i}@phone.sandbox.test>"))
        .collect();
    expected.sort_unstable();
    assert_eq!(answered, expected, "exactly one reply per command mail");
    backend.stop().await;
}

/// A mail over the size limit is not left on the server to be met every cycle: it is deleted
/// unread, the log says so, and its sender gets no reply; the mail beside it is executed.
#[tokio::test]
async fn an_oversized_mail_is_deleted_unread_with_a_notice() {
    use backend::engine::EngineOptions;
    use backend::engine::commands::{CommandLayer, Handling};
    use backend::mail::message::ReceivedMail;
    use std::sync::Arc;

    /// Counts the mails it is handed; answers none.
    #[derive(Default)]
    struct Counting(std::sync::atomic::AtomicUsize);
    impl CommandLayer for Counting {
        fn handle(&self, _: &ReceivedMail, _: &MailSettings) -> Handling {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Handling::default()
        }
    }

    const OWN: &str = "karacrix@sandbox.test";
    let isp = Sandbox::builder().op25b(Op25b::Off).isp().await;
    let sandbox = &isp.provider;
    let mut options = EngineOptions::default();
    options.pop3.max_message = 4096;
    let commands = Arc::new(Counting::default());
    let engine = isp.engine(commands.clone(), options);
    let mut log = engine.dialogue().subscribe();
    let big = format!(
        "From: stranger@example.jp\r\nSubject: big\r\n\r\n{}\r\n",
        "0123456789abcdef".repeat(512)
    );
    sandbox.mail().deliver(OWN, big.as_bytes()).unwrap();
    let small = "From: operator@sandbox.test\r\nSubject: LIST\r\n\r\nLIST\r\n";
    sandbox.mail().deliver(OWN, small.as_bytes()).unwrap();

    let mut settings = MailSettings::sandbox_demo();
    settings.receive_interval_min = 60;
    let mut state = engine.subscribe();
    engine
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .unwrap();
    tokio::time::timeout(
        common::WAIT,
        state.wait_for(|s| matches!(s.status, MailStatus::Run { cycles: 1 })),
    )
    .await
    .expect("one cycle")
    .unwrap();
    assert!(sandbox.mail().list(OWN).unwrap().is_empty(), "nothing left");
    // Only the small mail reached the command layer: the big one was never read, so its
    // sender cannot be answered.
    assert_eq!(commands.0.load(std::sync::atomic::Ordering::Relaxed), 1);
    let mut notices = Vec::new();
    while let Ok(line) = log.try_recv() {
        notices.push(line.text);
    }
    assert!(
        notices
            .iter()
            .any(|n| n.contains("over the limit of 4096 octets: deleted unread")),
        "{notices:?}"
    );
}
