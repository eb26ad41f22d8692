//! 接続テスト: tries settings that are not running (the screen's) step by step, as Thunderbird's
//! account check and industrial mail modules do — POP3 connect, TLS, login, STAT, QUIT; then
//! PopBeforeSmtp, SMTP connect, STARTTLS, AUTH, a test mail to the own address only when asked,
//! QUIT. Nothing is saved, applied, retrieved or deleted, and the running engine goes on as it
//! was. Each step is published as it starts and ends; the dialogue goes to the engine's log.

use shared::conntest::{Outcome, Step, StepReport, TestReport};
use shared::settings::{MailSettings, PasswordChange};
use shared::transcript::Service;
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

    fn push(&mut self, step: Step, outcome: Outcome, detail: impl Into<String>) {
        self.report.steps.push(StepReport {
            step,
            outcome,
            detail: detail.into(),
        });
        self.publish();
    }

    fn start(&mut self, step: Step) {
        self.push(step, Outcome::Running, "");
    }

    /// Ends the running step.
    fn end(&mut self, outcome: Outcome, detail: impl Into<String>) {
        if let Some(last) = self.report.steps.last_mut()
            && last.outcome == Outcome::Running
        {
            last.outcome = outcome;
            last.detail = detail.into();
        }
        self.publish();
    }

    fn pass(&mut self, detail: impl Into<String>) {
        self.end(Outcome::Passed, detail);
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

    fn not_tried(&mut self, steps: &[Step]) {
        for step in steps {
            self.push(*step, Outcome::NotTried, "");
        }
    }
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
        let transcript = self.inner.dialogue.session(Service::Pop3);
        transcript.note("connection test (接続テスト)");
        let session = Pop3Session::connect_reporting(
            &self.inner.routes,
            trust,
            &route,
            security,
            self.inner.options.pop3,
            Some(transcript),
            // On pop3s the greeting comes through TLS, so it ends the TLS step there.
            &mut |phase| match phase {
                pop3::Phase::Connected if implicit => {
                    progress.pass(target.clone());
                    progress.start(Step::PopTls);
                }
                pop3::Phase::Greeted if progress.running(Step::PopConnect) => {
                    progress.pass(target.clone());
                    progress.start(Step::PopTls);
                }
                pop3::Phase::Greeted if implicit => progress.pass("TLS (pop3s)"),
                pop3::Phase::Secured if !implicit => progress.pass("STLS"),
                _ => {}
            },
        )
        .await?;
        if progress.running(Step::PopTls) {
            // Nothing to secure with: the server offers no STLS.
            progress.end(Outcome::Skipped, "STLS not offered: plaintext");
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
                "11.PopBeforeSmtp off",
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
            progress.push(Step::SmtpTestMail, Outcome::Skipped, "");
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
        let (route, security) = self.pop_route(settings)?;
        let transcript = self.inner.dialogue.session(Service::Pop3);
        transcript.note("connection test: PopBeforeSmtp");
        let mut session = Pop3Session::connect(
            &self.inner.routes,
            trust,
            &route,
            security,
            self.inner.options.pop3,
            Some(transcript),
        )
        .await?;
        session.login(&settings.user, password).await?;
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
        transcript.note("connection test (接続テスト)");
        let implicit = target.security == shared::settings::Security::Tls;
        let shown = target.route.target();
        let session = SmtpSession::open_reporting(
            &self.inner.routes,
            trust,
            &target,
            Some(&transcript),
            &mut |phase| match phase {
                smtp::Phase::Greeted => {
                    progress.pass(shown.clone());
                    progress.start(Step::SmtpTls);
                    if implicit {
                        progress.pass("TLS (smtps)");
                    }
                }
                smtp::Phase::Secured => progress.pass("STARTTLS"),
                smtp::Phase::Authenticating => {
                    if progress.running(Step::SmtpTls) {
                        progress.end(Outcome::Skipped, "STARTTLS not offered: plaintext");
                    }
                    progress.start(Step::SmtpAuth);
                }
                smtp::Phase::Authenticated => progress.pass("235"),
            },
        )
        .await?;
        if progress.running(Step::SmtpTls) {
            progress.end(Outcome::Skipped, "STARTTLS not offered: plaintext");
        }
        if target.credentials.is_none() {
            progress.push(Step::SmtpAuth, Outcome::Skipped, "12.SmtpAuthLogin off");
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
        });
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
