//! 接続テスト: tries settings that are not running (the screen's) step by step, as Thunderbird's
//! account check and industrial mail modules do — POP3 connect, TLS, login, STAT, QUIT; then
//! PopBeforeSmtp, SMTP connect, STARTTLS, AUTH, a test mail to the own address only when asked,
//! QUIT. Nothing is saved, applied, retrieved or deleted, and the running engine goes on as it
//! was. Each step is published as it starts and ends; the dialogue goes to the engine's log.

use shared::Lang;
use shared::conntest::{Outcome, Step, StepReport, TestReport};
use shared::settings::{Field, MailSettings, PasswordChange, Security};
use shared::transcript::{Notice, Service};
use tokio::sync::watch;

use super::Engine;
use crate::mail::text::{self as mailtext, TextMail};
use crate::mailclient::pop3::{self, Pop3Session};
use crate::mailclient::smtp::{self, Outgoing, SmtpSession};
use crate::mailclient::{ClientError, Trust};
use crate::store::StoreError;

/// The report under way, published to whoever watches.
struct Progress {
    report: TestReport,
    out: watch::Sender<TestReport>,
}

impl Progress {
    fn publish(&self) {
        self.out.send_replace(self.report.clone());
    }

    fn push(&mut self, step: Step, outcome: Outcome, detail: Notice) {
        self.report.steps.push(StepReport {
            step,
            outcome,
            detail,
        });
        self.publish();
    }

    fn start(&mut self, step: Step) {
        self.push(step, Outcome::Running, Notice::default());
    }

    /// Ends the running step.
    fn end(&mut self, outcome: Outcome, detail: Notice) {
        if let Some(last) = self.report.steps.last_mut()
            && last.outcome == Outcome::Running
        {
            last.outcome = outcome;
            last.detail = detail;
        }
        self.publish();
    }

    /// Ends the running step as passed, with what the server said (the same in both
    /// languages: a reply, a host name, a protocol word).
    fn pass(&mut self, detail: impl Into<String>) {
        self.end(Outcome::Passed, Notice::same(detail));
    }

    fn fail(&mut self, err: &ClientError) {
        self.end(Outcome::Failed { error: err.kind }, err.detail.clone());
    }

    fn running(&self, step: Step) -> bool {
        self.report
            .steps
            .last()
            .is_some_and(|s| s.step == step && s.outcome == Outcome::Running)
    }

    /// The server greeted: the connect step passes with `shown` (where it connected), and the
    /// TLS step `tls` starts, or is skipped when `plain` (the security `field` chose none).
    fn greeted(&mut self, shown: String, plain: bool, tls: Step, field: Field) {
        self.pass(shown);
        if plain {
            self.push(tls, Outcome::Skipped, tls_not_used(field));
        } else {
            self.start(tls);
        }
    }

    fn not_tried(&mut self, steps: &[Step]) {
        for step in steps {
            self.push(*step, Outcome::NotTried, Notice::default());
        }
    }
}

/// The log's note that a connection test (or one of its parts) begins.
fn test_note(part: &str) -> Notice {
    let (ja, en) = if part.is_empty() {
        ("接続テスト".to_string(), "connection test".to_string())
    } else {
        (
            format!("接続テスト: {part}"),
            format!("connection test: {part}"),
        )
    };
    Notice::new(ja, en)
}

/// The TLS step when its security field (13. or 14.) is set to none: not a failure, the
/// choice made on the screen.
fn tls_not_used(field: Field) -> Notice {
    Notice::new(
        format!(
            "TLS は使いません（{} が「{}」）。暗号化せずに続けます",
            field.label(Lang::Ja),
            Security::None.label(Lang::Ja)
        ),
        format!(
            "TLS is not used ({} is {}): the session goes on unencrypted",
            field.label(Lang::En),
            Security::None.label(Lang::En)
        ),
    )
}

/// A step not needed because the check box `field` is off.
fn off(field: Field) -> Notice {
    Notice::new(
        format!("{} がオフのため行いません", field.label(Lang::Ja)),
        format!("{} is off: not needed", field.label(Lang::En)),
    )
}

/// The TLS step when the server does not offer `command`: the session goes on in plaintext.
fn not_offered(command: &str) -> Notice {
    Notice::new(
        format!("サーバが {command} を提供していないため、暗号化なしで続けました"),
        format!("the server does not offer {command}: went on in plaintext"),
    )
}

impl Engine {
    /// Runs the connection test of `settings` (with the password typed now, or the saved one),
    /// publishing the report after every step on `out`; returns when it is finished.
    pub async fn test_connection(
        &self,
        settings: MailSettings,
        password: PasswordChange,
        send_test_mail: bool,
        out: watch::Sender<TestReport>,
    ) -> Result<(), StoreError> {
        let password = match password {
            PasswordChange::Set(password) => password,
            PasswordChange::Keep => self.inner.settings.pending()?.password,
        };
        let mut progress = Progress {
            report: TestReport {
                steps: Vec::new(),
                finished: false,
            },
            out,
        };
        match Trust::new(
            self.inner.options.ca_file.as_deref(),
            self.inner.sandbox_ca.as_deref(),
        ) {
            Err(err) => {
                progress.start(Step::PopConnect);
                progress.fail(&err);
            }
            Ok(trust) => {
                self.test_pop(&settings, &password, &trust, &mut progress)
                    .await;
                self.test_smtp(&settings, &password, send_test_mail, &trust, &mut progress)
                    .await;
            }
        }
        progress.report.finished = true;
        progress.publish();
        Ok(())
    }

    async fn test_pop(
        &self,
        settings: &MailSettings,
        password: &str,
        trust: &Trust,
        progress: &mut Progress,
    ) {
        const AFTER_CONNECT: [Step; 4] =
            [Step::PopTls, Step::PopLogin, Step::PopStat, Step::PopQuit];
        progress.start(Step::PopConnect);
        let session = self.test_pop_connect(settings, trust, progress).await;
        let mut session = match session {
            Ok(session) => session,
            Err(err) => {
                progress.fail(&err);
                let left = AFTER_CONNECT
                    .iter()
                    .filter(|s| !progress.report.steps.iter().any(|r| r.step == **s))
                    .copied()
                    .collect::<Vec<_>>();
                progress.not_tried(&left);
                return;
            }
        };
        progress.start(Step::PopLogin);
        if let Err(err) = session.login(&settings.user, password).await {
            progress.fail(&err);
            progress.not_tried(&[Step::PopStat, Step::PopQuit]);
            return;
        }
        progress.pass(settings.user.clone());
        progress.start(Step::PopStat);
        match session.stat().await {
            Ok((count, octets)) => progress.pass(format!("+OK {count} {octets}")),
            Err(err) => {
                progress.fail(&err);
                progress.not_tried(&[Step::PopQuit]);
                return;
            }
        }
        progress.start(Step::PopQuit);
        match session.quit().await {
            Ok(()) => progress.pass("+OK"),
            Err(err) => progress.fail(&err),
        }
    }

    /// Connects and secures, moving the report from connect to TLS as the session gets there.
    async fn test_pop_connect(
        &self,
        settings: &MailSettings,
        trust: &Trust,
        progress: &mut Progress,
    ) -> Result<Pop3Session, ClientError> {
        let (route, security) = self.pop_route(settings)?;
        let target = route.target();
        let implicit = security == pop3::Security::Implicit;
        let plain = security == pop3::Security::Plain;
        let transcript = self.inner.dialogue.session(Service::Pop3);
        transcript.notice(&test_note(""));
        // On pop3s the greeting comes through TLS, so it ends the TLS step there.
        let mut report = |phase| match phase {
            pop3::Phase::Connected if implicit => {
                progress.pass(target.clone());
                progress.start(Step::PopTls);
            }
            pop3::Phase::Greeted if progress.running(Step::PopConnect) => {
                progress.greeted(target.clone(), plain, Step::PopTls, Field::PopSecurity);
            }
            pop3::Phase::Greeted if implicit => progress.pass("TLS (pop3s)"),
            pop3::Phase::Secured if !implicit => progress.pass("STLS"),
            _ => {}
        };
        let session = self
            .pop_connect((route, security), trust, transcript, &mut report)
            .await?;
        if progress.running(Step::PopTls) {
            // Nothing to secure with: the server offers no STLS.
            progress.end(Outcome::Skipped, not_offered("STLS"));
        }
        Ok(session)
    }

    async fn test_smtp(
        &self,
        settings: &MailSettings,
        password: &str,
        send_test_mail: bool,
        trust: &Trust,
        progress: &mut Progress,
    ) {
        if settings.pop_before_smtp {
            progress.start(Step::PopBeforeSmtp);
            match self.test_pop_login(settings, password, trust).await {
                Ok(()) => progress.pass(settings.pop_server.clone()),
                Err(err) => progress.fail(&err),
            }
        } else {
            progress.push(
                Step::PopBeforeSmtp,
                Outcome::Skipped,
                off(Field::PopBeforeSmtp),
            );
        }
        progress.start(Step::SmtpConnect);
        let mut session = match self
            .test_smtp_open(settings, password, trust, progress)
            .await
        {
            Ok(session) => session,
            Err(err) => {
                progress.fail(&err);
                let left = [
                    Step::SmtpTls,
                    Step::SmtpAuth,
                    Step::SmtpTestMail,
                    Step::SmtpQuit,
                ]
                .into_iter()
                .filter(|s| !progress.report.steps.iter().any(|r| r.step == *s))
                .collect::<Vec<_>>();
                progress.not_tried(&left);
                return;
            }
        };
        if send_test_mail {
            progress.start(Step::SmtpTestMail);
            match self.send_test_mail(settings, &mut session).await {
                Ok(reply) => progress.pass(reply),
                Err(err) => progress.fail(&err),
            }
        } else {
            progress.push(
                Step::SmtpTestMail,
                Outcome::Skipped,
                Notice::new(
                    "テストメールは送らない選択です",
                    "no test mail was asked for",
                ),
            );
        }
        progress.start(Step::SmtpQuit);
        session.quit().await;
        progress.pass("QUIT");
    }

    async fn test_pop_login(
        &self,
        settings: &MailSettings,
        password: &str,
        trust: &Trust,
    ) -> Result<(), ClientError> {
        let server = self.pop_route(settings)?;
        let transcript = self.inner.dialogue.session(Service::Pop3);
        transcript.notice(&test_note("PopBeforeSmtp"));
        let login = (settings.user.as_str(), password);
        let session = self
            .pop_login(server, login, trust, transcript, || {})
            .await?;
        session.quit().await
    }

    /// Opens the SMTP session, moving the report through connect, TLS and AUTH.
    async fn test_smtp_open(
        &self,
        settings: &MailSettings,
        password: &str,
        trust: &Trust,
        progress: &mut Progress,
    ) -> Result<SmtpSession, ClientError> {
        let target = self.smtp_target(settings, password)?;
        let transcript = self.inner.dialogue.session(Service::Smtp);
        transcript.notice(&test_note(""));
        let implicit = target.security == Security::Tls;
        let plain = target.security == Security::None;
        let shown = target.route.target();
        let session = SmtpSession::open_reporting(
            &self.inner.routes,
            trust,
            &target,
            Some(&transcript),
            &mut |phase| match phase {
                smtp::Phase::Greeted => {
                    progress.greeted(shown.clone(), plain, Step::SmtpTls, Field::SmtpSecurity);
                    if implicit {
                        progress.pass("TLS (smtps)");
                    }
                }
                smtp::Phase::Secured => progress.pass("STARTTLS"),
                smtp::Phase::Authenticating => {
                    if progress.running(Step::SmtpTls) {
                        progress.end(Outcome::Skipped, not_offered("STARTTLS"));
                    }
                    progress.start(Step::SmtpAuth);
                }
                smtp::Phase::Authenticated => progress.pass("235"),
            },
        )
        .await?;
        if progress.running(Step::SmtpTls) {
            progress.end(Outcome::Skipped, not_offered("STARTTLS"));
        }
        if target.credentials.is_none() {
            progress.push(Step::SmtpAuth, Outcome::Skipped, off(Field::SmtpAuthLogin));
        }
        Ok(session)
    }

    async fn send_test_mail(
        &self,
        settings: &MailSettings,
        session: &mut SmtpSession,
    ) -> Result<String, ClientError> {
        let to = vec![settings.address.clone()];
        let lang = settings.mail_lang;
        let message = mailtext::compose(&TextMail {
            from: &settings.address,
            to: &to,
            subject: lang.pick("KaracrixBuilder 接続テスト", "KaracrixBuilder connection test"),
            body: lang.pick(
                "Eメール接続環境設定の接続テストで送ったメールです。返信は不要です。\n\n-- \nKaracrixBuilder\n",
                "Sent by the connection test of the e-mail settings. No reply is needed.\n\n-- \nKaracrixBuilder\n",
            ),
            charset: shared::phone::Charset::Utf8,
            // An automatic mail: no auto-responder, ours included, answers it (RFC 3834).
            extra_headers: &[("Auto-Submitted", "auto-generated".to_string())],
        })?;
        let transcript = self.inner.dialogue.session(Service::Smtp);
        session
            .send(
                Outgoing {
                    from: &settings.address,
                    to: &to,
                    message: &message,
                },
                Some(&transcript),
            )
            .await
    }
}
