//! Sending through SMTP with lettre: the service name picks the port, 14.SMTP接続の暗号化 the TLS
//! mode (STARTTLS, implicit TLS on any port, or none), 12.SmtpAuthLogin adds AUTH LOGIN, certificates are verified
//! (the sandbox's CA for sandbox hosts, the public roots plus an optional lab CA otherwise), and
//! every failure is classified for the status display. Where the server offers PIPELINING
//! (RFC 2920) a mail's MAIL, RCPT and DATA go out in one write: two round trips a mail instead
//! of four. lettre has no pipelining of its own; its connection lets us write a group as one
//! command and read the replies that follow it, which is all RFC 2920 asks of a client.

use std::time::Duration;

use lettre::Address;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
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
    /// The server offers PIPELINING.
    pipelining: bool,
    /// A pipelined mail failed: the connection may be inside a DATA nobody will end, so no
    /// polite QUIT (it would wait for a reply that never comes); it is only closed.
    broken: bool,
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
        match starttls_decision(target, conn.can_starttls()) {
            StarttlsDecision::Upgrade => {
                timeout(
                    target.timeout,
                    conn.starttls(tls_parameters(trust, route)?, &hello),
                )
                .await
                .map_err(|_| limit(("STARTTLS の応答", "answer to STARTTLS")))?
                .map_err(|e| classify(route, &e))?;
                progress(Phase::Secured);
            }
            StarttlsDecision::Continue => {}
            StarttlsDecision::Refuse => return Err(no_starttls(target, transcript)),
        }
        // lettre keeps only the EHLO keywords it uses itself: ask once more to learn PIPELINING.
        let pipelining = match timeout(target.timeout, conn.command(Ehlo::new(hello.clone())))
            .await
            .map_err(|_| limit(("EHLO の応答", "answer to EHLO")))?
        {
            Ok(reply) => offers_pipelining(reply.message()),
            // Refused the second time (no server we know does): go on without pipelining.
            Err(e) if e.status().is_some() => false,
            Err(e) => return Err(classify(route, &e)),
        };
        if let Some((user, password)) = &target.credentials {
            // Only reachable encrypted, or in plaintext where 14. says "None" (see above).
            debug_assert!(conn.is_encrypted() || target.security == Security::None);
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
            pipelining,
            broken: false,
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
        // 8-bit text or addresses need lettre's checks and MAIL parameters: sent unpipelined.
        let ascii = mail.message.is_ascii()
            && mail.from.is_ascii()
            && mail.to.iter().all(|to| to.is_ascii());
        let pipelined = self.pipelining && ascii;
        let exchange = async {
            if pipelined {
                send_pipelined(&mut self.conn, &envelope, mail.message).await
            } else {
                self.conn.send(&envelope, mail.message).await
            }
        };
        let outcome = timeout(self.timeout, exchange).await;
        self.broken |= pipelined && !matches!(outcome, Ok(Ok(_)));
        let result = match outcome {
            Err(_) => Err(ClientError::at(
                MailError::Timeout,
                &self.route.target(),
                format!("{} 秒以内に応答がありません", self.timeout.as_secs()),
                format!("no answer within {} s", self.timeout.as_secs()),
            )),
            // lettre refuses on its own a mail this server cannot carry (8-bit text without
            // 8BITMIME): that mail would meet the same refusal every time.
            Ok(Err(err)) if err.is_client() => Err(classify(&self.route, &err).for_good()),
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
        if self.broken {
            return;
        }
        let _ = timeout(self.timeout, self.conn.quit()).await;
    }
}

/// True if an EHLO reply's lines (after the code) name the PIPELINING extension.
fn offers_pipelining<'a>(mut lines: impl Iterator<Item = &'a str>) -> bool {
    lines.any(|line| {
        line.split_whitespace()
            .next()
            .is_some_and(|word| word.eq_ignore_ascii_case("PIPELINING"))
    })
}

/// One mail as RFC 2920 allows: MAIL, every RCPT and DATA in one write, their replies read in
/// order, then the message. Every reply of the group is read, so the first refusal is the one
/// reported. After a refusal the connection is not used again, as after lettre's own `send`:
/// ended with QUIT when the server refused DATA too, only closed when it had accepted DATA
/// (some recipients taken): closing mid-DATA discards the transaction, where a lone "." would
/// deliver an empty mail.
async fn send_pipelined(
    conn: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    message: &[u8],
) -> Result<Response, lettre::transport::smtp::Error> {
    let mut group = Mail::new(envelope.from().cloned(), Vec::new()).to_string();
    for to in envelope.to() {
        group.push_str(&Rcpt::new(to.clone(), Vec::new()).to_string());
    }
    group.push_str(&Data.to_string());
    let mut refusal = None;
    let mut note = |reply: Result<Response, lettre::transport::smtp::Error>| match reply {
        Ok(_) => Ok(()),
        // A reply with a code: the server is still in step, read on.
        Err(err) if err.status().is_some() => {
            refusal.get_or_insert(err);
            Ok(())
        }
        Err(err) => Err(err),
    };
    note(conn.command(group).await)?;
    for _ in envelope.to() {
        note(conn.read_response().await)?;
    }
    let data = conn.read_response().await;
    let in_data = data.is_ok();
    note(data)?;
    match refusal {
        Some(err) => {
            if !in_data {
                conn.abort().await;
            }
            Err(err)
        }
        None => conn.message(message).await,
    }
}

/// What to do after EHLO, by 14.SMTP接続の暗号化 and whether the server offers STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StarttlsDecision {
    /// Send STARTTLS and go on encrypted.
    Upgrade,
    /// Go on as the channel is (already TLS, or plaintext by choice or without a password).
    Continue,
    /// Stop before AUTH or MAIL: going on would cross the wire readable.
    Refuse,
}

/// The policy of 14.SMTP接続の暗号化 after EHLO. AUTH never goes out in plaintext unless
/// "None" was chosen; without AUTH a server lacking STARTTLS is still used (the mail itself
/// goes in clear, as between most mail servers), except on submission where
/// `require_starttls` says otherwise.
fn starttls_decision(target: &SmtpTarget, offered: bool) -> StarttlsDecision {
    match target.security {
        Security::Tls | Security::None => StarttlsDecision::Continue,
        Security::Starttls if offered => StarttlsDecision::Upgrade,
        Security::Starttls if target.credentials.is_some() || target.require_starttls => {
            StarttlsDecision::Refuse
        }
        Security::Starttls => StarttlsDecision::Continue,
    }
}

fn no_starttls(target: &SmtpTarget, transcript: Option<&Transcript>) -> ClientError {
    let (what_ja, what) = if target.credentials.is_some() {
        (
            "暗号化なしでは AUTH を送りません",
            "not sending AUTH without encryption",
        )
    } else {
        (
            "submission では暗号化なしで送信しません",
            "not sending without encryption on submission",
        )
    };
    if let Some(t) = transcript {
        t.note(&format!("no STARTTLS offered: stopped, {what}"));
    }
    ClientError::at(
        MailError::NoStarttls,
        &target.route.target(),
        format!(
            "サーバが STARTTLS を提供していないため、{what_ja}（14.SMTP接続の暗号化 は STARTTLS）"
        ),
        format!("the server offers no STARTTLS; {what} (14. SMTP connection security is STARTTLS)"),
    )
}

/// True when `err`, from [`SmtpSession::send`], refuses that one mail for good: a 5xx reply to
/// MAIL, RCPT or DATA, or a mail that cannot be put on the wire. A refusal about the account
/// (530 authentication required, relay denied) is not the mail's: every mail meets it, and it
/// ends when the settings are fixed, so it is retried like an outage.
pub fn refuses_the_mail(err: &ClientError) -> bool {
    err.permanent
        && !matches!(
            err.kind,
            MailError::AuthRequired | MailError::RelayDenied | MailError::SmtpAuthFailed
        )
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
        // An address the server could never take: no later attempt can do better.
        ClientError::quoting(MailError::SmtpRejected, format!("{what}: {e}")).for_good()
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
    let err_out = ClientError::quoting(kind, detail);
    if err.is_permanent() {
        err_out.for_good()
    } else {
        err_out
    }
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

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

    use super::*;
    use crate::mailclient::scripted::{self, record_lines, serve, write_line};

    /// A server offering AUTH but no STARTTLS that records every line the client sends until
    /// it hangs up.
    async fn no_starttls_server() -> (Routes, Route, tokio::task::JoinHandle<Vec<String>>) {
        serve(|mut io| async move {
            write_line(&mut io, "220 smtp.example.jp").await;
            record_lines(&mut io, |line| {
                let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                match verb.as_str() {
                    "EHLO" => b"250-smtp.example.jp\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n",
                    "AUTH" => b"334 VXNlcm5hbWU6\r\n",
                    "QUIT" => b"221 bye\r\n",
                    _ => b"250 ok\r\n",
                }
            })
            .await
        })
        .await
    }

    fn target(route: Route, security: Security, port_25: bool) -> SmtpTarget {
        SmtpTarget {
            route,
            security,
            require_starttls: !port_25,
            credentials: Some(("karacrix".into(), "hunter2".into())),
            hello_name: "example.jp".into(),
            timeout: Duration::from_secs(5),
        }
    }

    /// A server that answers MAIL FROM with a multi-line reply that never ends, one line every
    /// 100 ms: each line comes quickly, so only the whole send's deadline can end it.
    #[tokio::test]
    async fn a_trickling_reply_hits_the_send_deadline() {
        let (routes, route, _) = serve(|mut io| async move {
            write_line(&mut io, "220 slow.example.jp").await;
            let mut line = String::new();
            while io.read_line(&mut line).await.unwrap_or(0) > 0 {
                if line.to_uppercase().starts_with("EHLO") {
                    let hello = b"250-slow.example.jp\r\n250 8BITMIME\r\n";
                    io.get_mut().write_all(hello).await.unwrap();
                } else {
                    while write_line(&mut io, "250-still here").await {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    return;
                }
                line.clear();
            }
        })
        .await;
        let trust = scripted::trust();
        let target = SmtpTarget {
            credentials: None,
            timeout: Duration::from_secs(1),
            ..target(route, Security::None, true)
        };
        let mut session = SmtpSession::open(&routes, &trust, &target, None)
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let to = ["operator@example.jp".to_string()];
        let mail = Outgoing {
            from: "karacrix@example.jp",
            to: &to,
            message: b"Subject: hi\r\n\r\nhello\r\n",
        };
        let err = session.send(mail, None).await.unwrap_err();
        assert_eq!(err.kind, MailError::Timeout, "{err}");
        assert!(err.detail.en.contains("no answer within 1 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3), "{err}");
    }

    /// A server offering PIPELINING that answers nothing of a mail's envelope until it has read
    /// MAIL, every RCPT and DATA: a client waiting for each reply would wait for ever. It then
    /// answers MAIL with 250, the RCPTs with `rcpt_replies` and DATA with `data_reply`, and
    /// records every line it reads.
    async fn pipelining_server(
        rcpt_replies: &'static [&'static str],
        data_reply: &'static str,
    ) -> (Routes, Route, tokio::task::JoinHandle<Vec<String>>) {
        serve(move |mut io| async move {
            write_line(&mut io, "220 smtp.example.jp").await;
            let mut seen = Vec::new();
            let mut line = String::new();
            let mut envelope = Vec::new();
            while io.read_line(&mut line).await.unwrap_or(0) > 0 {
                let text = line.trim_end().to_string();
                line.clear();
                seen.push(text.clone());
                let verb = text.split([' ', ':']).next().unwrap_or("").to_uppercase();
                let reply = match verb.as_str() {
                    "EHLO" => "250-smtp.example.jp\r\n250-PIPELINING\r\n250 8BITMIME\r\n".into(),
                    "MAIL" | "RCPT" => {
                        envelope.push(verb);
                        continue;
                    }
                    "DATA" => {
                        assert_eq!(envelope.len(), 1 + rcpt_replies.len(), "{envelope:?}");
                        envelope.clear();
                        let rcpts: String =
                            rcpt_replies.iter().map(|r| format!("{r}\r\n")).collect();
                        format!("250 2.1.0 ok\r\n{rcpts}{data_reply}\r\n")
                    }
                    "." => "250 2.0.0 queued as 1\r\n".into(),
                    "QUIT" => "221 bye\r\n".into(),
                    _ => continue,
                };
                let _ = io.get_mut().write_all(reply.as_bytes()).await;
            }
            seen
        })
        .await
    }

    /// Sends one mail to `to` through [`pipelining_server`], then quits; the send's result and
    /// the lines the server read.
    async fn send_pipelined_to(
        to: &[String],
        rcpt_replies: &'static [&'static str],
        data_reply: &'static str,
    ) -> (Result<String, ClientError>, Vec<String>) {
        let (routes, route, seen) = pipelining_server(rcpt_replies, data_reply).await;
        let target = SmtpTarget {
            credentials: None,
            timeout: Duration::from_secs(2),
            ..target(route, Security::None, true)
        };
        let mut session = SmtpSession::open(&routes, &scripted::trust(), &target, None)
            .await
            .unwrap();
        let mail = Outgoing {
            from: "karacrix@example.jp",
            to,
            message: b"Subject: hi\r\n\r\nhello\r\n",
        };
        let reply = session.send(mail, None).await;
        session.quit().await;
        (reply, seen.await.unwrap())
    }

    #[tokio::test]
    async fn where_pipelining_is_offered_the_envelope_goes_out_in_one_write() {
        let to = ["operator@example.jp".to_string()];
        let (reply, seen) = send_pipelined_to(&to, &["250 2.1.5 ok"], "354 go ahead").await;
        assert_eq!(reply.unwrap(), "250 2.0.0 queued as 1");
        assert!(seen.contains(&"hello".to_string()), "{seen:?}");
        assert_eq!(seen.last().map(String::as_str), Some("QUIT"), "{seen:?}");
    }

    #[tokio::test]
    async fn a_pipelined_refusal_is_the_recipients_and_no_message_follows() {
        let to = ["nobody@example.jp".to_string()];
        let replies = &["550 5.1.1 no such user"];
        let (reply, seen) = send_pipelined_to(&to, replies, "554 5.5.1 no valid recipients").await;
        let err = reply.unwrap_err();
        assert_eq!(err.kind, MailError::SmtpRejected, "{err}");
        assert!(err.detail.en.contains("no such user"), "{err}");
        assert!(refuses_the_mail(&err), "{err}");
        assert!(!seen.contains(&"hello".to_string()), "{seen:?}");
    }

    /// One recipient of two refused: the server opens DATA for the other, and the client must
    /// neither send the message (the refused one would silently miss it) nor end the DATA
    /// with a QUIT the server would take as message text: it closes the connection.
    #[tokio::test]
    async fn a_refused_recipient_among_others_sends_nothing_and_closes() {
        let to = [
            "operator@example.jp".to_string(),
            "nobody@example.jp".to_string(),
        ];
        let replies = &["250 2.1.5 ok", "550 5.1.1 no such user"];
        let (reply, seen) = send_pipelined_to(&to, replies, "354 go ahead").await;
        let err = reply.unwrap_err();
        assert!(err.detail.en.contains("no such user"), "{err}");
        assert_eq!(seen.last().map(String::as_str), Some("DATA"), "{seen:?}");
    }

    #[tokio::test]
    async fn auth_never_goes_out_in_plaintext_unless_none_was_chosen() {
        // On a port that does not require STARTTLS for plain sending (25 or any other).
        let (routes, route, seen) = no_starttls_server().await;
        let trust = scripted::trust();
        let target = target(route, Security::Starttls, true);
        let err = SmtpSession::open(&routes, &trust, &target, None)
            .await
            .err()
            .expect("no session without STARTTLS");
        assert_eq!(err.kind, MailError::NoStarttls, "{err}");
        assert!(
            err.detail.en.contains("not sending AUTH") && err.detail.ja.contains("AUTH"),
            "{err}"
        );
        let seen = seen.await.unwrap();
        assert!(seen[0].starts_with("EHLO"), "{seen:?}");
        assert!(
            !seen.iter().any(|l| l.to_uppercase().starts_with("AUTH")),
            "{seen:?}"
        );
        assert!(!seen.iter().any(|l| l.contains("aHVudGVyMg")), "{seen:?}");
    }

    #[test]
    fn pipelining_is_a_keyword_of_its_own_line_in_any_case() {
        assert!(offers_pipelining(
            ["smtp.example.jp", "PIPELINING", "SIZE 10240000"].into_iter()
        ));
        assert!(offers_pipelining(
            ["smtp.example.jp", "pipelining"].into_iter()
        ));
        assert!(!offers_pipelining(
            ["smtp.example.jp", "X-NOPIPELINING", "8BITMIME"].into_iter()
        ));
    }

    #[test]
    fn the_security_choice_decides_what_may_go_in_plaintext() {
        let route = Routes::new(None).route("127.0.0.1", 25).unwrap();
        let with_auth = target(route.clone(), Security::Starttls, true);
        let mut without_auth = with_auth.clone();
        without_auth.credentials = None;
        let mut submission = without_auth.clone();
        submission.require_starttls = true;
        let plain = target(route, Security::None, true);
        use StarttlsDecision::*;
        assert_eq!(starttls_decision(&with_auth, true), Upgrade);
        assert_eq!(starttls_decision(&with_auth, false), Refuse);
        assert_eq!(starttls_decision(&without_auth, false), Continue);
        assert_eq!(starttls_decision(&submission, false), Refuse);
        assert_eq!(starttls_decision(&plain, false), Continue);
        assert_eq!(starttls_decision(&plain, true), Continue);
    }
}
