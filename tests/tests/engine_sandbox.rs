//! The engine against the embedded sandbox ISP, driven as the UI drives it (save, RST, receive
//! now) with a phone played by Python: every policy gives its status code, and fixing the
//! settings makes the engine recover by itself.

mod common;

use common::{Backend, Env, Sandbox, sandbox_env, sandbox_python};
use shared::ClientMsg;
use shared::engine::EngineState;
use shared::sandbox::Op25b;
use shared::settings::{MailSettings, PasswordChange};
use shared::status::{MailError, MailStatus};

const PHONE_SENDS: &str = r#"
s = submission("operator")
s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"],
           b"From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\n"
           b"Subject: LIST\r\nMessage-ID: <cmd-1@phone.sandbox.test>\r\n\r\nLIST\r\n")
s.quit()
print("sent")
"#;

const PHONE_READS: &str = r#"
p = pop3(os.environ["USER"])
count, _ = p.stat()
print("count:", count)
for i in range(1, count + 1):
    _, lines, _ = p.retr(i)
    for l in lines:
        if l.split(b":")[0] in (b"Subject", b"In-Reply-To", b"From"):
            print(l.decode())
p.quit()
"#;

async fn mailbox(env: &Env, user: &str) -> String {
    let mut env = env.clone();
    env.insert("USER".into(), user.into());
    sandbox_python(PHONE_READS, &env).await
}

fn is_error(state: &EngineState, error: MailError) -> bool {
    matches!(&state.status, MailStatus::Error { error: e, .. } if *e == error)
}

#[tokio::test]
async fn op25b_times_out_on_smtp_and_submission_with_auth_login_recovers() {
    let backend = Backend::start(|c| {
        c.time_scale = 60;
        c.mail_timeout_secs = 2;
    })
    .await;
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
    assert!(sandbox_python(PHONE_SENDS, &env).await.contains("sent"));
    client.send(ClientMsg::ReceiveNow).await;
    let state = client
        .engine_until("the OP25B timeout", |s| is_error(s, MailError::Timeout))
        .await;
    assert_eq!(state.executed, 1, "the command mail was executed once");
    assert_eq!(state.outbox, 1, "its reply waits in the outbox");
    assert!(
        mailbox(&env, "karacrix").await.contains("count: 0"),
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
    let phone = mailbox(&env, "operator").await;
    assert!(phone.contains("count: 1"), "{phone}");
    assert!(phone.contains("Subject: Re: LIST"), "{phone}");
    assert!(
        phone.contains("In-Reply-To: <cmd-1@phone.sandbox.test>"),
        "{phone}"
    );
    backend.stop().await;
}

#[tokio::test]
async fn a_wrong_password_fails_the_pop_login_until_corrected() {
    let backend = Backend::start(|c| {
        c.time_scale = 60;
        c.mail_timeout_secs = 2;
    })
    .await;
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
async fn alarm_mail_without_pop_before_smtp_is_relay_denied_and_sent_once_enabled() {
    use backend::engine::commands::EchoLayer;
    use backend::engine::ledger::NewMail;
    use backend::engine::{Engine, EngineOptions};
    use std::sync::Arc;
    use std::time::Duration;

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
    let engine = Engine::start(
        &isp.store,
        Some(sandbox.clone()),
        Arc::new(EchoLayer),
        options,
        isp.cancel.child_token(),
    )
    .unwrap();
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
        .save_settings(
            settings.clone(),
            PasswordChange::Set("karacrix-pass".into()),
        )
        .unwrap();
    engine.restart().unwrap();
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
        .save_settings(settings, PasswordChange::Keep)
        .unwrap();
    engine.restart().unwrap();
    until("the alarm sent", &|s| {
        s.outbox == 0 && s.status == MailStatus::Stop
    })
    .await;
    assert_eq!(
        sandbox.mail().list("operator@sandbox.test").unwrap().len(),
        1
    );
}
