//! The tokio side of the sandbox SMTP server: accept, read, hand octets to the [`Session`],
//! write its replies, perform its actions. Nothing about SMTP is decided here except the faults
//! that happen below SMTP (a port that never answers, a dropped connection, a slow server).
//!
//! - Input is read into a fixed buffer and fed to the session, which bounds what it keeps, so a
//!   client cannot make the server hold more than one command line or one `max_size` message.
//! - Pipelined commands that arrive together are answered together, in order (RFC 2920).
//! - STARTTLS upgrades the same TCP connection; plaintext that arrived behind the STARTTLS
//!   command is thrown away (RFC 3207 5, command injection).
//! - A connection that is idle for `idle_timeout` is told 421 and closed.
//! - Delivery is durable before `250 … queued` is sent; a connection lost during DATA delivers
//!   nothing.
//! - The listener's [`SmtpSettings`] are read once per connection from a `watch` channel, so the
//!   UI can switch policies and faults while the server runs; sessions already open keep theirs.

use std::net::IpAddr;
use std::time::Duration;

pub use shared::sandbox::{Op25b, Op25bClients};
use shared::transcript::Service;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::protocol::{self, Reply};
use super::session::{Action, Clock, Delivery, Log, ReplyFault, Session, SessionConfig, Step};
use super::session::{SmtpPolicy, StartTls};
use crate::mail::transcript::{Dialogue, Transcript};
use crate::sandbox::accounts::Accounts;
use crate::sandbox::listener::accept_loop;
use crate::sandbox::lockout::Lockout;
use crate::sandbox::mailstore::MailStore;
use crate::sandbox::pop_before_smtp::PopBeforeSmtp;

/// How long a client may stay silent, as RFC 5321 4.5.3.2.7 suggests for the server.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The server's default host name.
pub const DEFAULT_HOSTNAME: &str = "mail.sandbox.test";

const READ_BUFFER: usize = 16 * 1024;

/// Faults a listener simulates, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SmtpFaults {
    /// Port 25 blocking…
    pub op25b: Op25b,
    /// …of these clients.
    pub op25b_clients: Op25bClients,
    /// The server is down: every connection is closed right after accept.
    pub down: bool,
    /// A delay before each reply.
    pub slow: Option<Duration>,
    /// An error reply at one stage.
    pub reply: Option<ReplyFault>,
    /// Drop the connection after this many octets of message text.
    pub drop_data_after: Option<u64>,
}

/// What one listener does: its policy and its faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SmtpSettings {
    /// What clients must do.
    pub policy: SmtpPolicy,
    /// What goes wrong on purpose.
    pub faults: SmtpFaults,
}

/// Everything one listener needs. Cheap to clone.
#[derive(Clone)]
pub struct SmtpContext {
    /// The server's name in the greeting, EHLO and `Received:`.
    pub hostname: String,
    /// Who may log in, who has a mailbox.
    pub accounts: Accounts,
    /// Where accepted mail goes.
    pub store: MailStore,
    /// Recent POP3 logins.
    pub pop_before_smtp: PopBeforeSmtp,
    /// Where the dialogue is published.
    pub dialogue: Dialogue,
    /// The server certificate, for STARTTLS and implicit TLS.
    pub tls: Option<TlsAcceptor>,
    /// TLS from the first octet (the `smtps` port).
    pub implicit_tls: bool,
    /// How long a client may stay silent.
    pub idle_timeout: Duration,
    /// The listener's current settings.
    pub settings: watch::Receiver<SmtpSettings>,
    /// Failed AUTH attempts by address and account (shared with POP3 by the provider).
    pub lockout: Lockout,
    /// Cancelled when the listener and its connections are to end.
    pub shutdown: CancellationToken,
    /// The address the system connects from (OP25B blocks it; other clients may reach 25).
    pub system_client: IpAddr,
}

impl SmtpContext {
    /// A plaintext listener with the training accounts and the default name and timeout.
    pub fn new(
        store: MailStore,
        pop_before_smtp: PopBeforeSmtp,
        dialogue: Dialogue,
        settings: watch::Receiver<SmtpSettings>,
    ) -> SmtpContext {
        SmtpContext {
            hostname: DEFAULT_HOSTNAME.into(),
            accounts: Accounts::training(),
            store,
            pop_before_smtp,
            dialogue,
            tls: None,
            implicit_tls: false,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            settings,
            lockout: Lockout::default(),
            shutdown: CancellationToken::new(),
            system_client: shared::sandbox::SYSTEM_CLIENT.into(),
        }
    }

    /// Why `settings` cannot be served by this listener, if they cannot.
    pub fn check(&self, settings: &SmtpSettings) -> Result<(), Misconfigured> {
        if self.tls.is_none() && self.implicit_tls {
            return Err(Misconfigured::ImplicitTlsWithoutCertificate);
        }
        if self.tls.is_none() && settings.policy.starttls == StartTls::Required {
            return Err(Misconfigured::StartTlsWithoutCertificate);
        }
        Ok(())
    }
}

/// Why a listener cannot serve its settings; every client is then told 421.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Misconfigured {
    /// The `smtps` port without a server certificate.
    #[error("implicit TLS needs a certificate")]
    ImplicitTlsWithoutCertificate,
    /// A policy requiring STARTTLS without a server certificate.
    #[error("STARTTLS is required but there is no certificate")]
    StartTlsWithoutCertificate,
}

/// Serves SMTP on `listener` until `ctx.shutdown` is cancelled; open connections end with it.
pub async fn serve(listener: TcpListener, ctx: SmtpContext) {
    accept_loop(
        listener,
        &ctx.shutdown.clone(),
        "SMTP",
        busy_reply_of(&ctx.hostname),
        |stream, peer| serve_connection(stream, peer.ip(), ctx.clone()),
    )
    .await;
}

/// What a client over the connection limit is told, as sent, by the ISP's own name.
pub fn busy_reply() -> Vec<u8> {
    busy_reply_of(DEFAULT_HOSTNAME)
}

fn busy_reply_of(hostname: &str) -> Vec<u8> {
    protocol::too_many_connections(hostname)
        .to_wire()
        .into_bytes()
}

/// Serves one accepted connection from `peer` to its end.
pub async fn serve_connection(stream: TcpStream, peer: IpAddr, ctx: SmtpContext) {
    let settings = *ctx.settings.borrow();
    let faults = settings.faults;
    let transcript = ctx.dialogue.session(Service::Smtp);
    if faults.down {
        transcript.note(&format!(
            "connection from {peer} closed: server down (fault)"
        ));
        return;
    }
    let blocking = if faults.op25b_clients.includes(peer, ctx.system_client) {
        faults.op25b
    } else {
        Op25b::Off
    };
    match blocking {
        Op25b::Off => {}
        Op25b::Refuse => {
            transcript.note(&format!(
                "connection from {peer} closed: port blocked (OP25B)"
            ));
            return;
        }
        Op25b::Timeout => {
            transcript.note(&format!(
                "connection from {peer} ignored: port blocked (OP25B), no answer"
            ));
            swallow(stream, ctx.idle_timeout).await;
            return;
        }
    }
    transcript.note(&format!("connection from {peer}"));
    let mut conn = Connection {
        transcript,
        faults,
        idle: ctx.idle_timeout,
        store: ctx.store.clone(),
        hostname: ctx.hostname.clone(),
        data_octets: 0,
    };
    if let Err(reason) = ctx.check(&settings) {
        tracing::error!(%reason, "sandbox SMTP listener misconfigured");
        conn.transcript
            .note(&format!("configuration problem: {reason}"));
        let mut stream = stream;
        conn.send_now(&mut stream, &protocol::misconfigured(&ctx.hostname))
            .await;
        return;
    }
    let mut session = Session::new(SessionConfig {
        hostname: ctx.hostname.clone(),
        policy: settings.policy,
        fault: faults.reply,
        peer,
        implicit_tls: ctx.implicit_tls,
        tls_available: ctx.tls.is_some(),
        session_id: conn.transcript.session(),
        accounts: ctx.accounts.clone(),
        pop_before_smtp: ctx.pop_before_smtp.clone(),
        lockout: ctx.lockout.clone(),
    });
    match (&ctx.tls, ctx.implicit_tls) {
        (Some(acceptor), true) => {
            if let Some(tls) = conn.handshake(acceptor, stream).await {
                conn.converse(tls, &mut session, true).await;
            }
        }
        _ => {
            let Some(plain) = conn.converse(stream, &mut session, true).await else {
                return;
            };
            // The session asked for STARTTLS, so a certificate exists.
            if let Some(acceptor) = &ctx.tls
                && let Some(tls) = conn.handshake(acceptor, plain).await
            {
                conn.converse(tls, &mut session, false).await;
            }
        }
    }
}

/// Reads and ignores whatever the client sends, never answers; ends when the client gives up.
async fn swallow(mut stream: TcpStream, idle: Duration) {
    let mut buf = [0u8; 1024];
    while let Ok(Ok(n)) = timeout(idle, stream.read(&mut buf)).await {
        if n == 0 {
            break;
        }
    }
}

/// What happened at the end of [`Connection::converse`].
enum Next {
    Continue,
    StartTls,
    Close,
}

struct Connection {
    transcript: Transcript,
    faults: SmtpFaults,
    idle: Duration,
    store: MailStore,
    hostname: String,
    /// Octets of message text received in the current DATA, for the drop fault.
    data_octets: u64,
}

impl Connection {
    async fn handshake(
        &self,
        acceptor: &TlsAcceptor,
        stream: TcpStream,
    ) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
        match timeout(self.idle, acceptor.accept(stream)).await {
            Ok(Ok(tls)) => {
                self.transcript.note("TLS established");
                Some(tls)
            }
            Ok(Err(e)) => {
                self.transcript.note(&format!("TLS handshake failed: {e}"));
                None
            }
            Err(_) => {
                self.transcript.note("TLS handshake timed out");
                None
            }
        }
    }

    /// Runs the session over `stream`. Returns the stream if the session asked for STARTTLS.
    async fn converse<S>(&mut self, mut stream: S, session: &mut Session, greet: bool) -> Option<S>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut out = Vec::new();
        if greet {
            let step = session.greeting();
            match self.apply(step, &mut stream, &mut out).await {
                Next::Continue => {}
                Next::StartTls | Next::Close => {
                    self.close(&mut stream, &out).await;
                    return None;
                }
            }
            if !self.flush(&mut stream, &mut out).await {
                return None;
            }
        }
        let mut buf = vec![0u8; READ_BUFFER];
        loop {
            let n = match timeout(self.idle, stream.read(&mut buf)).await {
                Err(_) => {
                    self.transcript.note("idle timeout");
                    let reply = protocol::idle_timeout(&self.hostname);
                    self.push_reply(&reply, &mut out);
                    self.close(&mut stream, &out).await;
                    return None;
                }
                Ok(Ok(0)) | Ok(Err(_)) => {
                    if session.receiving_data() {
                        self.transcript
                            .note("connection lost during DATA: nothing delivered");
                    } else {
                        self.transcript.note("connection closed by the client");
                    }
                    return None;
                }
                Ok(Ok(n)) => n,
            };
            let mut rest = &buf[..n];
            while !rest.is_empty() {
                let was_data = session.receiving_data();
                let mut offered = rest.len();
                if was_data && let Some(limit) = self.faults.drop_data_after {
                    let left = limit.saturating_sub(self.data_octets);
                    offered = offered.min(usize::try_from(left).unwrap_or(usize::MAX));
                }
                let step = session.handle(&rest[..offered], Clock::now());
                rest = &rest[step.consumed..];
                if was_data {
                    self.data_octets += step.consumed as u64;
                }
                match self.apply(step, &mut stream, &mut out).await {
                    Next::Continue => {}
                    Next::StartTls => {
                        // Anything the client pipelined behind STARTTLS was sent in the clear
                        // and must not be executed inside TLS.
                        if !rest.is_empty() {
                            self.transcript.note(&format!(
                                "discarded {} octets sent after STARTTLS",
                                rest.len()
                            ));
                        }
                        if !self.flush(&mut stream, &mut out).await {
                            return None;
                        }
                        return Some(stream);
                    }
                    Next::Close => {
                        self.close(&mut stream, &out).await;
                        return None;
                    }
                }
                if !was_data && session.receiving_data() {
                    self.data_octets = 0;
                }
                if session.receiving_data()
                    && self
                        .faults
                        .drop_data_after
                        .is_some_and(|limit| self.data_octets >= limit)
                {
                    let _ = self.flush(&mut stream, &mut out).await;
                    self.transcript.note(&format!(
                        "connection dropped after {} octets of DATA (fault): nothing delivered",
                        self.data_octets
                    ));
                    return None;
                }
            }
            if !self.flush(&mut stream, &mut out).await {
                return None;
            }
        }
    }

    /// Logs the step, performs its delivery, queues its reply.
    async fn apply<S>(&mut self, step: Step, stream: &mut S, out: &mut Vec<u8>) -> Next
    where
        S: AsyncWrite + Unpin,
    {
        for line in &step.log {
            match line {
                Log::Client(text) => self.transcript.client(text),
                Log::Note(text) => self.transcript.note(text),
            }
        }
        let mut reply = step.reply;
        let next = match step.action {
            Action::None => Next::Continue,
            Action::StartTls => Next::StartTls,
            Action::Close => Next::Close,
            Action::Deliver(delivery) => {
                if !self.deliver(delivery).await {
                    reply = Some(protocol::STORE_FAILED.into());
                }
                Next::Continue
            }
        };
        if let Some(reply) = reply {
            if let Some(delay) = self.faults.slow {
                // Whatever is queued goes out first, so each reply is late on its own.
                if !self.flush(stream, out).await {
                    return Next::Close;
                }
                tokio::time::sleep(delay).await;
            }
            self.push_reply(&reply, out);
        }
        next
    }

    async fn deliver(&self, delivery: Delivery) -> bool {
        let Delivery {
            id,
            mailboxes,
            message,
            ..
        } = delivery;
        let targets = mailboxes.join(", ");
        match self.store.deliver_to(mailboxes, message).await {
            Ok(_) => {
                self.transcript
                    .note(&format!("{id} delivered to {targets}"));
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "sandbox SMTP delivery failed");
                self.transcript.note(&format!("{id} not delivered: {e}"));
                false
            }
        }
    }

    fn push_reply(&self, reply: &Reply, out: &mut Vec<u8>) {
        for line in reply.wire_lines() {
            self.transcript.server(&line);
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Writes what is queued. False if the client is gone or does not read.
    async fn flush<S>(&self, stream: &mut S, out: &mut Vec<u8>) -> bool
    where
        S: AsyncWrite + Unpin,
    {
        if out.is_empty() {
            return true;
        }
        let written = timeout(self.idle, async {
            stream.write_all(out).await?;
            stream.flush().await
        })
        .await;
        out.clear();
        matches!(written, Ok(Ok(())))
    }

    async fn send_now<S>(&self, stream: &mut S, reply: &Reply)
    where
        S: AsyncWrite + Unpin,
    {
        let mut out = Vec::new();
        self.push_reply(reply, &mut out);
        self.close(stream, &out).await;
    }

    /// Sends the last replies and closes the write side (TLS close_notify included).
    async fn close<S>(&self, stream: &mut S, out: &[u8])
    where
        S: AsyncWrite + Unpin,
    {
        let _ = timeout(self.idle, async {
            stream.write_all(out).await?;
            stream.shutdown().await
        })
        .await;
        self.transcript.note("connection closed by the server");
    }
}
