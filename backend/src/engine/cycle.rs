//! One mail cycle under the applied settings: receive (POP3: list, retrieve, hand to the command
//! layer, record, delete, quit), then send the outbox (SMTP, with PopBeforeSmtp or AUTH LOGIN).
//! Progress goes to the status display as it happens.

use shared::settings::{parse_host_port, parse_smtp_service};
use shared::status::{MailError, MailStatus};
use shared::transcript::Service;

use super::Engine;
use super::ledger::now_unix;
use super::mail;
use super::settings::StoredSettings;
use crate::mailclient::pop3::{Pop3Session, Security};
use crate::mailclient::smtp::{Outgoing, SmtpSession, SmtpTarget};
use crate::mailclient::{ClientError, Trust};

/// Outbox mails sent per cycle at most; the rest wait for the next.
const SEND_BATCH: usize = 100;
/// The POP3 port that starts with TLS.
const POP3S_PORT: u16 = 995;

impl Engine {
    /// Runs one cycle. `receive` is false when only the outbox is due.
    pub(super) async fn cycle(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
        receive: bool,
    ) -> Result<(), ClientError> {
        if receive {
            self.receive(applied, trust).await?;
        }
        self.send_outbox(applied, trust, !receive).await
    }

    async fn pop_session(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
    ) -> Result<Pop3Session, ClientError> {
        let settings = &applied.settings;
        let (host, port) = parse_host_port(&settings.pop_server).ok_or_else(|| {
            ClientError::new(MailError::NameNotFound, settings.pop_server.clone())
        })?;
        let port = port.unwrap_or(110);
        let route = self.inner.routes.route(&host, port)?;
        let security = if port == POP3S_PORT {
            Security::Implicit
        } else {
            Security::StlsIfOffered
        };
        self.set_status(MailStatus::PopConnect);
        let transcript = self.inner.dialogue.session(Service::Pop3);
        let mut session = Pop3Session::connect(
            &self.inner.routes,
            trust,
            &route,
            security,
            self.inner.options.pop3,
            Some(transcript),
        )
        .await?;
        self.set_status(MailStatus::PopAuth);
        session.login(&settings.user, &applied.password).await?;
        Ok(session)
    }

    async fn receive(&self, applied: &StoredSettings, trust: &Trust) -> Result<(), ClientError> {
        let mut session = self.pop_session(applied, trust).await?;
        let uids = session.uidl().await?;
        let sizes = session.list().await?;
        let total = uids.len() as u32;
        let account = format!("{}@{}", applied.settings.user, applied.settings.pop_server);
        for (index, (number, uid)) in uids.into_iter().enumerate() {
            self.set_status(MailStatus::PopReceive {
                index: index as u32 + 1,
                total,
            });
            let mut ids = vec![format!("uidl:{account}:{uid}")];
            if self.inner.ledger.was_executed(&ids).map_err(store_failed)? {
                // Executed before a crash or a lost connection: only the deletion is left.
                session.dele(number).await?;
                continue;
            }
            let size = sizes
                .iter()
                .find(|(n, _)| *n == number)
                .map_or(0, |(_, s)| *s);
            if size > self.inner.options.pop3.max_message as u64 {
                self.notice(format!(
                    "message {uid} ({size} octets) is over the size limit: left on the server"
                ));
                continue;
            }
            let raw = session.retr(number).await?;
            let Some(received) = mail::parse(&raw) else {
                self.notice(format!(
                    "message {uid} is not a mail: deleted without a reply"
                ));
                self.inner
                    .ledger
                    .record_execution(&ids, &[], |_| Ok(()))
                    .map_err(store_failed)?;
                session.dele(number).await?;
                continue;
            };
            if let Some(id) = &received.message_id {
                ids.push(format!("msgid:{id}"));
            }
            if self
                .inner
                .ledger
                .was_executed(&ids[1..])
                .map_err(store_failed)?
            {
                self.notice(format!(
                    "message {uid} was executed before (same Message-ID)"
                ));
                self.inner
                    .ledger
                    .record_execution(&ids[..1], &[], |_| Ok(()))
                    .map_err(store_failed)?;
                session.dele(number).await?;
                continue;
            }
            let handling = self.inner.commands.handle(&received, &applied.settings);
            if let Some(notice) = handling.notice {
                self.notice(notice);
            }
            let commit = handling.commit;
            self.inner
                .ledger
                .record_execution(&ids, &handling.replies, |txn| match commit {
                    Some(commit) => commit(txn),
                    None => Ok(()),
                })
                .map_err(store_failed)?;
            self.inner.commands.committed();
            self.publish_counts();
            session.dele(number).await?;
        }
        session.quit().await
    }

    async fn send_outbox(
        &self,
        applied: &StoredSettings,
        trust: &Trust,
        pop_needed: bool,
    ) -> Result<(), ClientError> {
        let due = self
            .inner
            .ledger
            .due(now_unix(), SEND_BATCH)
            .map_err(store_failed)?;
        if due.is_empty() {
            return Ok(());
        }
        let settings = &applied.settings;
        if settings.pop_before_smtp && pop_needed {
            // PopBeforeSmtp: a POP login from this address opens the SMTP server for a while.
            let session = self.pop_session(applied, trust).await?;
            self.set_status(MailStatus::SmtpAuth);
            session.quit().await?;
        }
        let endpoint = parse_smtp_service(&settings.smtp_service).ok_or_else(|| {
            ClientError::new(
                MailError::Refused,
                format!("5.SMTP名 {}", settings.smtp_service),
            )
        })?;
        let route = self
            .inner
            .routes
            .route(&settings.smtp_server, endpoint.port)?;
        let target = SmtpTarget {
            route,
            implicit_tls: endpoint.implicit_tls,
            require_starttls: endpoint.port == 587 && !self.inner.options.allow_plain_submission,
            credentials: settings
                .smtp_auth_login
                .then(|| (settings.user.clone(), applied.password.clone())),
            hello_name: settings
                .address
                .rsplit_once('@')
                .map_or("localhost", |(_, d)| d)
                .to_string(),
            timeout: self.inner.options.smtp_timeout,
        };
        let mut total = due.len() as u32;
        let transcript = self.inner.dialogue.session(Service::Smtp);
        self.set_status(MailStatus::SmtpConnect);
        // The whole batch goes over one connection.
        let opened = SmtpSession::open(&self.inner.routes, trust, &target, Some(&transcript)).await;
        let mut session = match opened {
            Ok(session) => session,
            Err(err) => {
                let (id, meta) = due.into_iter().next().expect("due is not empty");
                let backoff = self.backoff_secs(meta.attempts);
                self.inner
                    .ledger
                    .failed(id, meta, backoff)
                    .map_err(store_failed)?;
                return Err(err);
            }
        };
        let mut due = due;
        let mut sent = 0u32;
        // Batches of SEND_BATCH keep memory small; all of them go over this one connection.
        loop {
            let batch = due.len() as u32;
            for (index, (id, meta)) in due.into_iter().enumerate() {
                self.set_status(MailStatus::SmtpSend {
                    index: sent + index as u32 + 1,
                    total,
                });
                let Some(message) = self.inner.ledger.body(id).map_err(store_failed)? else {
                    // An entry without a body can never be sent: drop it rather than retry forever.
                    tracing::error!(id, "outbox entry without a message dropped");
                    self.inner.ledger.sent(id).map_err(store_failed)?;
                    continue;
                };
                let mail = Outgoing {
                    from: &meta.from,
                    to: &meta.to,
                    message: &message,
                };
                match session.send(mail, Some(&transcript)).await {
                    Ok(_) => {
                        self.inner.ledger.sent(id).map_err(store_failed)?;
                        self.publish_counts();
                    }
                    Err(err) => {
                        let backoff = self.backoff_secs(meta.attempts);
                        self.inner
                            .ledger
                            .failed(id, meta, backoff)
                            .map_err(store_failed)?;
                        // The server's problem is everyone's: the rest waits for the next cycle.
                        return Err(err);
                    }
                }
            }
            sent += batch;
            due = self
                .inner
                .ledger
                .due(now_unix(), SEND_BATCH)
                .map_err(store_failed)?;
            if due.is_empty() {
                break;
            }
            total = sent + due.len() as u32;
        }
        session.quit().await;
        Ok(())
    }

    /// Seconds before the next attempt after `attempts` failures: 1, 2, 4 … 60 minutes,
    /// shortened by the demo time scale.
    fn backoff_secs(&self, attempts: u32) -> u64 {
        let minutes = 1u64 << attempts.min(6);
        (minutes * 60 / u64::from(self.inner.options.time_scale.max(1))).max(1)
    }
}

fn store_failed(err: crate::store::StoreError) -> ClientError {
    ClientError::new(MailError::Protocol, format!("local store: {err}"))
}
