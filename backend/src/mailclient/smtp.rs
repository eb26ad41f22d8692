//! Sending through SMTP with lettre: the service name picks the port, 14.SMTP接続の暗号化 the TLS
//! mode (STARTTLS, implicit TLS on any port, or none), 12.SmtpAuthLogin adds AUTH LOGIN, certificates are verified
//! (the sandbox's CA for sandbox hosts, the public roots plus an optional lab CA otherwise), and
//! every failure is classified for the status display.

use std::time::Duration;

use lettre::Address;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use shared::settings::Security;
use shared::status::MailError;
use shared::transcript::Notice;
use tokio::time::timeout;

use super::net::{ClientError, MaybeTls, Route, Routes, Trust};
use crate::mail::Transcript;

/// How to reach and use the SMTP server.
#[derive(Debug, Clone)]
pub struct SmtpTarget {
    /// Where it is.
    pub route: Route,
    /// How the connection is secured.
    pub security: Security,
    /// With [`Security::Starttls`]: refuse to send when the server offers no STARTTLS, rather
    /// than fall back to plaintext.
    pub require_starttls: bool,
    /// AUTH LOGIN with these, when 12.SmtpAuthLogin is on.
    pub credentials: Option<(String, String)>,
    /// The EHLO name: the domain of 8.自分のメールアドレス名.
    pub hello_name: String,
    /// For the whole exchange, connect to QUIT.
    pub timeout: Duration,
}

/// One mail to send.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// The envelope sender.
    pub from: &'a str,
    /// The envelope recipients.
    pub to: &'a [String],
    /// The message as sent (headers and body, CRLF line ends).
    pub message: &'a [u8],
}

/// How far [`SmtpSession::open_reporting`] got, for a caller that shows each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connected, greeted, EHLO answered (over TLS already on smtps).
    Greeted,
    /// STARTTLS is done.
    Secured,
    /// AUTH starts.
    Authenticating,
    /// AUTH is done.
    Authenticated,
}

/// One SMTP connection, authenticated and ready to send any number of mails: a cycle's whole
/// outbox goes over one connection. The socket is ours (TCP_NODELAY, sandbox routing); lettre
/// speaks the protocol over it.
pub struct SmtpSession {
    conn: AsyncSmtpConnection,
    route: Route,
    timeout: Duration,
}

impl SmtpSession {
    /// Connects, secures (implicit TLS or STARTTLS as `target` says) and authenticates.
    pub async fn open(
        routes: &Routes,
        trust: &Trust,
        target: &SmtpTarget,
        transcript: Option<&Transcript>,
    ) -> Result<Self, ClientError> {
        Self::open_reporting(routes, trust, target, transcript, &mut |_| {}).await
    }

    /// [`SmtpSession::open`], telling `progress` each [`Phase`] reached.
    pub async fn open_reporting(
        routes: &Routes,
        trust: &Trust,
        target: &SmtpTarget,
        transcript: Option<&Transcript>,
        progress: &mut (dyn FnMut(Phase) + Send),
    ) -> Result<Self, ClientError> {
        let route = &target.route;
        if let Some(t) = transcript {
            t.note(&format!(
                "SMTP to {} ({}{})",
                route.target(),
                match (target.security, target.require_starttls) {
                    (Security::Tls, _) => "implicit TLS",
                    (Security::Starttls, true) => "STARTTLS required",
                    (Security::Starttls, false) => "STARTTLS if offered",
                    (Security::None, _) => "plaintext",
                },
                if target.credentials.is_some() {
                    ", AUTH LOGIN"
                } else {
                    ""
                },
            ));
        }
        let tcp = routes.connect(route, target.timeout).await?;
        let stream = if target.security == Security::Tls {
            let tls = trust.handshake(route, tcp, target.timeout).await.map_err(|e| {
                e.hint(
                    "サーバが暗号化なしで応答する場合は 14.SMTP接続の暗号化 で STARTTLS かなしを選んでください",
                    "if the server greets in plaintext, choose STARTTLS or None for 14. SMTP connection security",
                )
            })?;
            MaybeTls::Tls(Box::new(tls))
        } else {
            MaybeTls::Plain(tcp)
        };
        let hello = ClientId::Domain(target.hello_name.clone());
        // `what` names what was awaited, in Japanese and in English.
        let limit = |(ja, en): (&str, &str)| {
            let secs = target.timeout.as_secs();
            ClientError::at(
                MailError::Timeout,
                &route.target(),
                format!("{secs} 秒以内に{ja}がありません"),
                format!("no {en} within {secs} s"),
            )
        };
        let mut conn = timeout(
            target.timeout,
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello),
        )
        .await
        .map_err(|_| {
            let err = limit(("サーバの挨拶（220）", "greeting (220) from the server"));
            if target.security == Security::Tls {
                err
            } else {
                // A server that starts with TLS waits for our handshake and never greets.
                err.hint(
                    "最初から TLS のポートなら 14.SMTP接続の暗号化 で TLS を選んでください",
                    "if the port expects TLS from the start, choose TLS for 14. SMTP connection security",
                )
            }
        })?
        .map_err(|e| classify(route, &e))?;
        progress(Phase::Greeted);
        if target.security == Security::Starttls {
            if conn.can_starttls() {
                timeout(
                    target.timeout,
                    conn.starttls(tls_parameters(trust, route)?, &hello),
                )
                .await
                .map_err(|_| limit(("STARTTLS の応答", "answer to STARTTLS")))?
                .map_err(|e| classify(route, &e))?;
                progress(Phase::Secured);
            } else if target.require_starttls {
                return Err(ClientError::at(
                    MailError::Tls,
                    &route.target(),
                    "サーバが STARTTLS を提供していません",
                    "the server offers no STARTTLS",
                ));
            }
        }
        if let Some((user, password)) = &target.credentials {
            progress(Phase::Authenticating);
            let credentials = Credentials::new(user.clone(), password.clone());
            timeout(
                target.timeout,
                conn.auth(&[Mechanism::Login, Mechanism::Plain], &credentials),
            )
            .await
            .map_err(|_| limit(("AUTH の応答", "answer to AUTH")))?
            .map_err(|e| classify(route, &e))?;
            progress(Phase::Authenticated);
        }
        Ok(SmtpSession {
            conn,
            route: route.clone(),
            timeout: target.timeout,
        })
    }

    /// Sends one mail; returns the server's final reply.
    pub async fn send(
        &mut self,
        mail: Outgoing<'_>,
        transcript: Option<&Transcript>,
    ) -> Result<String, ClientError> {
        let envelope = envelope(&mail)?;
        if let Some(t) = transcript {
            // The commands lettre sends for this mail, as the protocol writes them.
            t.client(&format!("MAIL FROM:<{}>", mail.from));
            for to in mail.to {
                t.client(&format!("RCPT TO:<{to}>"));
            }
            t.client(&format!("DATA ({} octets)", mail.message.len()));
        }
        let result = match timeout(self.timeout, self.conn.send(&envelope, mail.message)).await {
            Err(_) => Err(ClientError::at(
                MailError::Timeout,
                &self.route.target(),
                format!("{} 秒以内に応答がありません", self.timeout.as_secs()),
                format!("no answer within {} s", self.timeout.as_secs()),
            )),
            Ok(Err(err)) => Err(classify(&self.route, &err)),
            Ok(Ok(response)) => Ok(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
        };
        if let Some(t) = transcript {
            match &result {
                Ok(reply) => t.server(reply),
                Err(err) => t.notice(&Notice::new(
                    format!("送信できませんでした: {}", err.detail.ja),
                    format!("failed: {}", err.detail.en),
                )),
            }
        }
        result
    }

    /// Ends the session politely.
    pub async fn quit(mut self) {
        let _ = timeout(self.timeout, self.conn.quit()).await;
    }
}

/// Sends one mail on its own connection; returns the server's final reply.
pub async fn send(
    routes: &Routes,
    trust: &Trust,
    target: &SmtpTarget,
    mail: Outgoing<'_>,
    transcript: Option<&Transcript>,
) -> Result<String, ClientError> {
    let mut session = SmtpSession::open(routes, trust, target, transcript).await?;
    let reply = session.send(mail, transcript).await;
    session.quit().await;
    reply
}

fn envelope(mail: &Outgoing<'_>) -> Result<Envelope, ClientError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        ClientError::quoting(MailError::SmtpRejected, format!("{what}: {e}"))
    };
    let from: Address = mail.from.parse().map_err(|e| bad(mail.from, &e))?;
    let to = mail
        .to
        .iter()
        .map(|a| a.parse::<Address>().map_err(|e| bad(a, &e)))
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(Some(from), to).map_err(|e| bad("envelope", &e))
}

/// TLS for `route`: its host name verified against the trusted CAs.
fn tls_parameters(trust: &Trust, route: &Route) -> Result<TlsParameters, ClientError> {
    let tls_error = |e: lettre::transport::smtp::Error| {
        ClientError::quoting(MailError::Tls, format!("{}: {e}", route.target()))
    };
    let mut params = TlsParameters::builder(route.host.clone());
    if let Some(pem) = trust.extra_pem_for(route) {
        params =
            params.add_root_certificate(Certificate::from_pem(pem.as_bytes()).map_err(tls_error)?);
    }
    if trust.private_only(route) {
        params = params.certificate_store(CertificateStore::None);
    }
    params.build_rustls().map_err(tls_error)
}

impl AsyncTokioStream for MaybeTls {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        match self {
            MaybeTls::Plain(tcp) => tcp.peer_addr(),
            MaybeTls::Tls(tls) => tls.get_ref().0.peer_addr(),
        }
    }
}

/// Maps a lettre error onto the status catalogue.
fn classify(route: &Route, err: &lettre::transport::smtp::Error) -> ClientError {
    let text = err.to_string();
    let detail = format!("{}: {text}", route.target());
    let kind = if err.is_timeout() {
        MailError::Timeout
    } else if err.is_tls() {
        MailError::Tls
    } else if let Some(code) = err.status() {
        match code.to_string().as_str() {
            "535" => MailError::SmtpAuthFailed,
            "530" => MailError::AuthRequired,
            "550" | "551" | "553" | "554" if text.to_ascii_lowercase().contains("relay") => {
                MailError::RelayDenied
            }
            _ => MailError::SmtpRejected,
        }
    } else if io_kind(err) == Some(std::io::ErrorKind::ConnectionRefused) {
        MailError::Refused
    } else if io_kind(err).is_some_and(|k| k == std::io::ErrorKind::TimedOut) {
        MailError::Timeout
    } else if text.to_ascii_lowercase().contains("failed to lookup")
        || text.to_ascii_lowercase().contains("resolve")
    {
        MailError::NameNotFound
    } else {
        MailError::Protocol
    };
    ClientError::quoting(kind, detail)
}

fn io_kind(err: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = e.source();
    }
    None
}
