//! The tokio side of the POP3 server: accepts connections, reads bounded lines, feeds the
//! [`Session`] and performs the side effects its replies ask for (mail store, TLS, lock-out,
//! PopBeforeSmtp, transcript), with the configured faults. Nothing here decides protocol
//! questions; that is `session`'s job.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

use super::protocol::{self, DotStuffer, ParseError, Refusal, Response};
use super::session::{Credentials, LoginOutcome, Reply, Session, TlsState, authorize};
use crate::mail::line::{LineBuffer, LineEvent};
use crate::mail::transcript::{Dialogue, Transcript};
use crate::sandbox::accounts::{Accounts, DOMAIN};
use crate::sandbox::listener::accept_loop;
use crate::sandbox::lockout::Lockout;
use crate::sandbox::mailstore::{MailStore, MailboxLock};
use crate::sandbox::pop_before_smtp::PopBeforeSmtp;
use shared::transcript::Service;

/// RFC 1939 section 3: the autologout timer must be at least 10 minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Message bodies are stuffed and written in pieces of this size.
const CHUNK: usize = 16 * 1024;
/// Messages up to this size are read on the connection's own task: a read of a few pages costs
/// microseconds, less than handing it to a blocking thread, which a pipelining client would pay
/// for every RETR. Larger ones are read on a blocking thread.
const INLINE_READ: u64 = 64 * 1024;
/// Octets read from the socket at a time.
const READ_SIZE: usize = 4096;
/// Replies are gathered up to this size and written when the client's pending commands are
/// answered: a status line, body and terminator in one segment, not one each.
const WRITE_BUFFER: usize = 64 * 1024;

/// Where a fault answers `-ERR [SYS/TEMP]` instead of doing its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultStage {
    /// The greeting is an `-ERR`, then the server closes.
    Greeting,
    /// Every PASS/APOP is refused, right or wrong.
    Auth,
    /// Every RETR/TOP is refused.
    Retr,
}

/// Misbehaviour on purpose, for training. Read once per connection, when it is accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pop3Faults {
    /// Close every connection right after accepting it, without a greeting.
    pub down: bool,
    /// Wait this long before every reply.
    pub slow: Option<Duration>,
    /// Answer `-ERR [SYS/TEMP]` at this stage.
    pub error_at: Option<FaultStage>,
    /// Close the connection after this many octets of a RETR/TOP body.
    pub drop_retr_after: Option<u64>,
}

/// The faults in force, switchable while the server runs. Cheap to clone; clones share.
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch(Arc<RwLock<Pop3Faults>>);

impl FaultSwitch {
    /// A switch set to `faults`.
    pub fn new(faults: Pop3Faults) -> Self {
        FaultSwitch(Arc::new(RwLock::new(faults)))
    }

    /// The faults now.
    pub fn get(&self) -> Pop3Faults {
        self.0.read().map(|f| f.clone()).unwrap_or_default()
    }

    /// Sets the faults for connections accepted from now on.
    pub fn set(&self, faults: Pop3Faults) {
        if let Ok(mut current) = self.0.write() {
            *current = faults;
        }
    }
}

/// Everything a POP3 listener needs. Cheap to clone.
#[derive(Clone)]
pub struct Pop3Context {
    /// Who may log in.
    pub accounts: Accounts,
    /// The mailboxes.
    pub store: MailStore,
    /// Where the (masked) dialogue is published.
    pub dialogue: Dialogue,
    /// Successful logins are recorded here for the SMTP side.
    pub pop_before_smtp: PopBeforeSmtp,
    /// Failed logins by address.
    pub lockout: Lockout,
    /// Logins of the system polling too often.
    pub poll_guard: crate::sandbox::poll_guard::PollGuard,
    /// The certificate for STLS and implicit TLS; `None` means no TLS at all.
    pub tls: Option<TlsAcceptor>,
    /// TLS from the first octet (the "pop3s" port); needs `tls`.
    pub implicit_tls: bool,
    /// Close a connection that completes no command line for this long.
    pub idle_timeout: Duration,
    /// Faults to inject.
    pub faults: FaultSwitch,
    /// Cancelling stops the listener and closes every connection (nothing is deleted).
    pub shutdown: CancellationToken,
    /// The address the system connects from: only its logins are watched for polling too
    /// often.
    pub system_client: std::net::IpAddr,
}

impl Pop3Context {
    /// A plain-text server with the default idle timeout and lock-out, and no faults.
    pub fn new(
        accounts: Accounts,
        store: MailStore,
        dialogue: Dialogue,
        pop_before_smtp: PopBeforeSmtp,
    ) -> Self {
        Pop3Context {
            accounts,
            store,
            dialogue,
            pop_before_smtp,
            lockout: Lockout::default(),
            poll_guard: Default::default(),
            tls: None,
            implicit_tls: false,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            faults: FaultSwitch::default(),
            shutdown: CancellationToken::new(),
            system_client: shared::sandbox::SYSTEM_CLIENT.into(),
        }
    }
}

/// Serves POP3 on `listener` until `ctx.shutdown` is cancelled. Fails at once if the context
/// asks for implicit TLS without a certificate.
pub async fn serve(listener: TcpListener, ctx: Pop3Context) -> io::Result<()> {
    if ctx.implicit_tls && ctx.tls.is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "implicit TLS needs a certificate (tls is None)",
        ));
    }
    let busy = busy_reply();
    accept_loop(
        listener,
        &ctx.shutdown.clone(),
        "POP3",
        busy,
        |stream, peer| handle_connection(stream, peer, ctx.clone()),
    )
    .await;
    Ok(())
}

/// What a client over the connection limit is told, as sent.
pub fn busy_reply() -> Vec<u8> {
    Refusal::TooManyConnections.response().to_wire()
}

/// Runs one POP3 connection to its end. Errors end the connection and go to the transcript.
pub async fn handle_connection(stream: TcpStream, peer: SocketAddr, ctx: Pop3Context) {
    let faults = ctx.faults.get();
    let transcript = ctx.dialogue.session(Service::Pop3);
    if faults.down {
        transcript.note(&format!("connection from {peer} refused (fault: down)"));
        return;
    }
    transcript.note(&format!("connection from {peer}"));
    let mut conn = Connection {
        ctx,
        faults,
        transcript,
        peer: peer.ip(),
        lock: None,
    };
    match conn.run(stream).await {
        Ok(end) => conn.transcript.note(end),
        Err(error) => conn.transcript.note(&format!("connection ended: {error}")),
    }
}

/// A socket that may have been upgraded to TLS.
type Socket = crate::tls::stream::MaybeTls<TlsStream<TcpStream>>;
/// The socket with its reply buffer; flushed once the commands read so far are answered.
type Stream = BufWriter<Socket>;

/// How answering the commands read so far ended.
enum Answered {
    Continue,
    StartTls,
    /// The connection is over; the note says how.
    Ended(&'static str),
}

/// What the read loop does after a reply.
enum Flow {
    Continue,
    StartTls,
    /// Close politely (QUIT, greeting fault).
    Close,
    /// Close abruptly, mid-transfer (fault).
    Drop,
}

struct Connection {
    ctx: Pop3Context,
    faults: Pop3Faults,
    transcript: Transcript,
    peer: IpAddr,
    /// The mailbox and its lock, held from login to the end of the connection.
    lock: Option<(String, MailboxLock)>,
}

impl Connection {
    /// The session from greeting to close; returns the note describing how it ended.
    async fn run(&mut self, tcp: TcpStream) -> io::Result<&'static str> {
        let socket = match (&self.ctx.tls, self.ctx.implicit_tls) {
            (Some(acceptor), true) => {
                let acceptor = acceptor.clone();
                let tls = self.handshake(&acceptor, tcp).await?;
                self.transcript.note("TLS established (implicit)");
                Socket::Tls(Box::new(tls))
            }
            _ => Socket::Plain(tcp),
        };
        let mut stream = BufWriter::with_capacity(WRITE_BUFFER, socket);
        let tls = TlsState {
            available: self.ctx.tls.is_some(),
            active: stream.get_ref().is_tls(),
        };
        let mut session = Session::new(new_timestamp(), tls);
        if self.faults.error_at == Some(FaultStage::Greeting) {
            self.send(&mut stream, &Refusal::TempFailure.response())
                .await?;
            self.close(&mut stream).await;
            return Ok("closed after the greeting (fault: greeting error)");
        }
        self.send(&mut stream, &session.greeting()).await?;
        stream.flush().await?;

        let mut lines = LineBuffer::new(protocol::MAX_LINE);
        let mut masker = crate::mail::SecretMasker::default();
        let mut inputs = Vec::new();
        let mut buf = vec![0u8; READ_SIZE];
        let mut deadline = tokio::time::Instant::now() + self.ctx.idle_timeout;
        loop {
            let read = tokio::select! {
                read = tokio::time::timeout_at(deadline, stream.read(&mut buf)) => read,
                () = self.ctx.shutdown.cancelled() => return Ok("closed: server shutting down"),
            };
            let n = match read {
                Ok(result) => result?,
                Err(_elapsed) => {
                    self.send(&mut stream, &Refusal::Idle.response()).await?;
                    self.close(&mut stream).await;
                    return Ok("closed: idle timeout (nothing deleted)");
                }
            };
            if n == 0 {
                return Ok(if self.lock.is_some() {
                    "client closed without QUIT (nothing deleted)"
                } else {
                    "client closed"
                });
            }
            lines.feed(&buf[..n], &mut inputs);
            if !inputs.is_empty() {
                deadline = tokio::time::Instant::now() + self.ctx.idle_timeout;
            }
            // A client that sends commands but never reads the replies cannot hold the
            // connection: the replies must be taken within the idle timeout too.
            let answered = tokio::time::timeout(
                self.ctx.idle_timeout,
                self.answer(&mut stream, &mut session, &mut masker, &mut inputs),
            )
            .await;
            let upgrade = match answered {
                Err(_elapsed) => return Ok("closed: the client does not take its replies"),
                Ok(answered) => match answered? {
                    Answered::Continue => false,
                    Answered::StartTls => true,
                    Answered::Ended(note) => return Ok(note),
                },
            };
            inputs.clear();
            if upgrade {
                lines.clear();
                let Socket::Plain(tcp) = stream.into_inner() else {
                    return Err(io::Error::other("STLS on a TLS connection"));
                };
                let Some(acceptor) = self.ctx.tls.clone() else {
                    return Err(io::Error::other("STLS without a certificate"));
                };
                let tls = self.handshake(&acceptor, tcp).await?;
                stream = BufWriter::with_capacity(WRITE_BUFFER, Socket::Tls(Box::new(tls)));
                session.tls_started();
                self.transcript.note("TLS established (STLS)");
                deadline = tokio::time::Instant::now() + self.ctx.idle_timeout;
            }
        }
    }

    /// Answers the commands read so far and sends the replies.
    async fn answer(
        &mut self,
        stream: &mut Stream,
        session: &mut Session,
        masker: &mut crate::mail::SecretMasker,
        inputs: &mut Vec<LineEvent>,
    ) -> io::Result<Answered> {
        let mut answered = Answered::Continue;
        for input in inputs.drain(..) {
            let reply = match input {
                LineEvent::TooLong => {
                    self.transcript.client("(over-long line discarded)");
                    session.unparsable(ParseError::TooLong)
                }
                LineEvent::Line(line) => {
                    self.transcript.client(&masker.mask(&line));
                    match protocol::parse(&line) {
                        Ok(command) => session.handle(command),
                        Err(error) => session.unparsable(error),
                    }
                }
            };
            match self.perform(stream, session, reply).await? {
                Flow::Continue => {}
                // Anything pipelined behind STLS was sent in clear: it is dropped with `inputs`.
                Flow::StartTls => {
                    answered = Answered::StartTls;
                    break;
                }
                Flow::Close => {
                    self.close(stream).await;
                    return Ok(Answered::Ended(if session.state_name() == "CLOSED" {
                        "closed after QUIT"
                    } else {
                        "closed"
                    }));
                }
                Flow::Drop => {
                    return Ok(Answered::Ended("connection dropped mid-transfer (fault)"));
                }
            }
        }
        stream.flush().await?;
        Ok(answered)
    }

    async fn handshake(
        &self,
        acceptor: &TlsAcceptor,
        tcp: TcpStream,
    ) -> io::Result<TlsStream<TcpStream>> {
        match tokio::time::timeout(self.ctx.idle_timeout, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => Ok(tls),
            Ok(Err(error)) => Err(io::Error::other(format!("TLS handshake failed: {error}"))),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "TLS handshake timed out",
            )),
        }
    }

    async fn perform(
        &mut self,
        stream: &mut Stream,
        session: &mut Session,
        reply: Reply,
    ) -> io::Result<Flow> {
        match reply {
            Reply::Send(status) => self.send(stream, &status).await?,
            Reply::Lines(status, lines) => {
                self.send(stream, &status).await?;
                stream.write_all(&protocol::multiline(&lines)).await?;
            }
            Reply::Message {
                status,
                uid,
                size,
                top,
            } => {
                return self.send_message(stream, status, &uid, size, top).await;
            }
            Reply::Authenticate(credentials) => {
                let outcome = self.login(session, &credentials).await;
                let reply = session.login_result(outcome);
                return Box::pin(self.perform(stream, session, reply)).await;
            }
            Reply::StartTls(status) => {
                self.send(stream, &status).await?;
                return Ok(Flow::StartTls);
            }
            Reply::Commit { mailbox, uids } => {
                let store = self.ctx.store.clone();
                let result = tokio::task::spawn_blocking(move || store.delete(&mailbox, &uids))
                    .await
                    .map_err(|_| ())
                    .and_then(|r| r.map_err(|_| ()));
                match &result {
                    Ok(removed) => self.transcript.note(&format!("{removed} messages deleted")),
                    Err(()) => self.transcript.note("deleting messages failed"),
                }
                let reply = session.update_result(result);
                return Box::pin(self.perform(stream, session, reply)).await;
            }
            Reply::Close(status) => {
                self.send(stream, &status).await?;
                return Ok(Flow::Close);
            }
        }
        Ok(Flow::Continue)
    }

    /// Checks the credentials, takes the mailbox and reads its listing.
    async fn login(&mut self, session: &Session, credentials: &Credentials) -> LoginOutcome {
        if self.faults.error_at == Some(FaultStage::Auth) {
            self.transcript.note("login refused (fault: auth error)");
            return LoginOutcome::Refused(Refusal::TempFailure);
        }
        let now = Instant::now();
        let account = match authorize(
            &self.ctx.accounts,
            &self.ctx.lockout,
            self.peer,
            now,
            credentials,
            session.timestamp(),
        ) {
            Ok(account) => account.clone(),
            Err(refusal) => {
                if refusal == Refusal::LockedOut {
                    self.transcript
                        .note(&format!("login refused: {} is locked out", self.peer));
                }
                return LoginOutcome::Refused(refusal);
            }
        };
        // Only the system is a customer that polls; the phone and mail programs are not watched.
        if self.peer == self.ctx.system_client
            && self.ctx.poll_guard.login(&account.user, now).is_err()
        {
            self.transcript
                .note(&format!("login refused: {} polls too often", account.user));
            return LoginOutcome::Refused(Refusal::PollingTooOften);
        }
        let mailbox = account.address();
        let Some(lock) = self.ctx.store.try_lock(&mailbox) else {
            return LoginOutcome::Refused(Refusal::InUse);
        };
        let store = self.ctx.store.clone();
        let name = mailbox.clone();
        match tokio::task::spawn_blocking(move || store.list(&name)).await {
            Ok(Ok(listing)) => {
                self.lock = Some((mailbox.clone(), lock));
                self.ctx.pop_before_smtp.record(self.peer, Instant::now());
                self.transcript.note(&format!("logged in to {mailbox}"));
                LoginOutcome::Granted { mailbox, listing }
            }
            _ => LoginOutcome::Refused(Refusal::TempFailure),
        }
    }

    /// RETR/TOP: the status line, then the body stuffed and written a chunk at a time.
    async fn send_message(
        &mut self,
        stream: &mut Stream,
        status: Response,
        uid: &str,
        size: u64,
        top: Option<u32>,
    ) -> io::Result<Flow> {
        if self.faults.error_at == Some(FaultStage::Retr) {
            self.send(stream, &Refusal::TempFailure.response()).await?;
            return Ok(Flow::Continue);
        }
        let Some(mailbox) = self.lock.as_ref().map(|(name, _)| name.clone()) else {
            self.send(stream, &Refusal::TempFailure.response()).await?;
            return Ok(Flow::Continue);
        };
        let message = if size <= INLINE_READ {
            Ok(self.ctx.store.read(&mailbox, uid))
        } else {
            let store = self.ctx.store.clone();
            let key = uid.to_string();
            tokio::task::spawn_blocking(move || store.read(&mailbox, &key)).await
        };
        let Ok(Ok(Some(message))) = message else {
            self.transcript
                .note(&format!("message {uid} could not be read"));
            self.send(stream, &Refusal::TempFailure.response()).await?;
            return Ok(Flow::Continue);
        };
        self.send(stream, &status).await?;
        let body = match top {
            Some(lines) => protocol::top(&message, lines),
            None => &message,
        };
        let mut budget = self.faults.drop_retr_after;
        let mut stuffer = DotStuffer::default();
        let mut out = Vec::with_capacity(CHUNK + CHUNK / 8);
        for chunk in body.chunks(CHUNK) {
            out.clear();
            stuffer.feed(chunk, &mut out);
            if !write_within(stream, &out, &mut budget).await? {
                self.transcript
                    .note("connection dropped mid-transfer (fault: drop during RETR)");
                return Ok(Flow::Drop);
            }
        }
        out.clear();
        stuffer.finish(&mut out);
        if !write_within(stream, &out, &mut budget).await? {
            self.transcript
                .note("connection dropped mid-transfer (fault: drop during RETR)");
            return Ok(Flow::Drop);
        }
        Ok(Flow::Continue)
    }

    /// One status line, after the "slow" delay, published to the transcript.
    async fn send(&self, stream: &mut Stream, response: &Response) -> io::Result<()> {
        if let Some(delay) = self.faults.slow {
            // What is buffered goes out first, so each reply is late on its own.
            stream.flush().await?;
            tokio::time::sleep(delay).await;
        }
        self.transcript.server(&response.to_string());
        stream.write_all(&response.to_wire()).await
    }

    async fn close(&self, stream: &mut Stream) {
        // The client may already be gone, or not reading; there is nothing left to tell it.
        let _ = tokio::time::timeout(self.ctx.idle_timeout, async {
            stream.flush().await?;
            stream.shutdown().await
        })
        .await;
    }
}

/// Writes `bytes` unless the drop-mid-transfer budget runs out; then writes what the budget
/// allows and returns false.
async fn write_within(
    stream: &mut Stream,
    bytes: &[u8],
    budget: &mut Option<u64>,
) -> io::Result<bool> {
    if let Some(left) = budget {
        if (bytes.len() as u64) > *left {
            let allowed = usize::try_from(*left).unwrap_or(usize::MAX);
            stream.write_all(&bytes[..allowed]).await?;
            stream.flush().await?;
            return Ok(false);
        }
        *left -= bytes.len() as u64;
    }
    stream.write_all(bytes).await?;
    Ok(true)
}

/// A fresh APOP challenge, `<pid.time.n@sandbox.test>`, unique within the process.
fn new_timestamp() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let secs = crate::mail::clock::now_unix();
    format!("<{}.{secs}.{n}@{DOMAIN}>", std::process::id())
}
