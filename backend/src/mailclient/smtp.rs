//! Sending through SMTP with lettre: the service name picks the port and the TLS mode (STARTTLS
//! on 25/587, implicit TLS on 465), 12.SmtpAuthLogin adds AUTH LOGIN, certificates are verified
//! (the sandbox's CA for sandbox hosts, the public roots plus an optional lab CA otherwise), and
//! every failure is classified for the status display.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use shared::status::MailError;

use super::net::{ClientError, Route, Trust};
use crate::sandbox::Transcript;

/// How to reach and use the SMTP server.
#[derive(Debug, Clone)]
pub struct SmtpTarget {
    /// Where it is.
    pub route: Route,
    /// TLS from the first octet (465).
    pub implicit_tls: bool,
    /// Refuse to send without STARTTLS (submission) rather than fall back to plaintext.
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

/// Sends one mail; returns the server's final reply code.
pub async fn send(
    trust: &Trust,
    target: &SmtpTarget,
    mail: Outgoing<'_>,
    transcript: Option<&Transcript>,
) -> Result<String, ClientError> {
    let route = &target.route;
    let envelope = envelope(&mail)?;
    let transport = transport(trust, target)?;
    if let Some(t) = transcript {
        t.note(&format!(
            "SMTP to {} ({}{})",
            route.target(),
            if target.implicit_tls {
                "implicit TLS"
            } else if target.require_starttls {
                "STARTTLS required"
            } else {
                "STARTTLS if offered"
            },
            if target.credentials.is_some() {
                ", AUTH LOGIN"
            } else {
                ""
            },
        ));
        t.client(&format!(
            "MAIL FROM:<{}> RCPT TO:{:?} ({} octets)",
            mail.from,
            mail.to,
            mail.message.len()
        ));
    }
    let outcome =
        tokio::time::timeout(target.timeout, transport.send_raw(&envelope, mail.message)).await;
    let result = match outcome {
        Err(_) => Err(ClientError::new(
            MailError::Timeout,
            format!(
                "{}: no answer within {} s",
                route.target(),
                target.timeout.as_secs()
            ),
        )),
        Ok(Err(err)) => Err(classify(route, &err)),
        Ok(Ok(response)) => Ok(format!(
            "{} {}",
            response.code(),
            response.message().collect::<Vec<_>>().join(" ")
        )),
    };
    if let Some(t) = transcript {
        match &result {
            Ok(reply) => t.server(reply),
            Err(err) => t.note(&format!("failed: {}", err.detail)),
        }
    }
    result
}

fn envelope(mail: &Outgoing<'_>) -> Result<Envelope, ClientError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        ClientError::new(MailError::SmtpRejected, format!("{what}: {e}"))
    };
    let from: Address = mail.from.parse().map_err(|e| bad(mail.from, &e))?;
    let to = mail
        .to
        .iter()
        .map(|a| a.parse::<Address>().map_err(|e| bad(a, &e)))
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(Some(from), to).map_err(|e| bad("envelope", &e))
}

fn transport(
    trust: &Trust,
    target: &SmtpTarget,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, ClientError> {
    let route = &target.route;
    let tls_error = |e: lettre::transport::smtp::Error| {
        ClientError::new(MailError::Tls, format!("{}: {e}", route.target()))
    };
    let mut params = TlsParameters::builder(route.host.clone());
    if let Some(pem) = trust.extra_pem_for(route) {
        params =
            params.add_root_certificate(Certificate::from_pem(pem.as_bytes()).map_err(tls_error)?);
    }
    if trust.private_only(route) {
        params = params.certificate_store(CertificateStore::None);
    }
    let params = params.build_rustls().map_err(tls_error)?;
    let tls = if target.implicit_tls {
        Tls::Wrapper(params)
    } else if target.require_starttls {
        Tls::Required(params)
    } else {
        Tls::Opportunistic(params)
    };
    // A sandbox host is reached at its loopback listener; TLS still verifies the host name.
    let (connect_host, port) = match route.sandbox {
        Some(addr) => (addr.ip().to_string(), addr.port()),
        None => (route.host.clone(), route.port),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(connect_host)
        .port(port)
        .tls(tls)
        .hello_name(ClientId::Domain(target.hello_name.clone()))
        .timeout(Some(target.timeout));
    if let Some((user, password)) = &target.credentials {
        builder = builder
            .credentials(Credentials::new(user.clone(), password.clone()))
            .authentication(vec![Mechanism::Login, Mechanism::Plain]);
    }
    Ok(builder.build())
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
    ClientError::new(kind, detail)
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
