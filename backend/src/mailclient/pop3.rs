//! The engine's POP3 client (RFC 1939; STLS from RFC 2595; CAPA from RFC 2449).
//!
//! Every reply is awaited with a timeout, every line and multi-line answer is bounded, and every
//! command's whole answer has a deadline, and so has the whole session (a server trickling one line
//! at a time, or answering each command just in time, cannot hold a cycle), so a hostile or broken
//! server costs a clear [`ClientError`] and bounded memory, never a hang. RETR and DELE are
//! pipelined when the server advertises PIPELINING (RFC 2449 §6.6). Logins use APOP when the
//! greeting carries a timestamp and the channel is plaintext, else USER/PASS. With
//! [`Security::StlsRequired`] a server that offers no STLS (or no CAPA) ends the session before any
//! credential leaves: plaintext logins happen only where the caller asked for plaintext. The
//! dialogue goes to a [`Transcript`] with secrets masked. An `-ERR` that carries an RFC 2449/3206
//! response code is told apart by it: a wrong password (`[AUTH]`) from the server's own trouble
//! (`[SYS/TEMP]`, `[SYS/PERM]`) or a busy mailbox (`[IN-USE]`, `[LOGIN-DELAY]`).

use std::time::Duration;

use shared::status::MailError;
use shared::transcript::Notice;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::time::{Instant, timeout_at};

use super::net::{ClientError, MaybeTls, Route, Routes, Trust};
use crate::mail::Transcript;
use crate::mail::line::{LineError, read_line};
use crate::mail::mask_secrets;
use crate::mail::pop3::{RespCode, apop_digest, apop_timestamp};

/// The longest reply line accepted, line ending not counted (RFC 1939 allows 512; real servers
/// stay well below this).
pub const MAX_LINE: usize = 8 * 1024;

/// Added to a handshake failure in TLS mode: the usual cause is a plaintext port.
const HINT_PLAIN_SERVER: (&str, &str) = (
    "サーバが暗号化なしで応答する場合は 13.POP接続の暗号化 で STARTTLS かなしを選んでください",
    "if the server greets in plaintext, choose STARTTLS or None for 13. POP connection security",
);
/// Added to a missing greeting in plaintext mode: the usual cause is a TLS port.
const HINT_TLS_SERVER: (&str, &str) = (
    "最初から TLS のポートなら 13.POP接続の暗号化 で TLS を選んでください",
    "if the port expects TLS from the start, choose TLS for 13. POP connection security",
);

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first octet (pop3s, 995).
    Implicit,
    /// STLS, or no login at all: a server that does not offer it is a
    /// [`MailError::NoStarttls`] before any user name or password is sent.
    StlsRequired,
    /// STLS if the server offers it, else plaintext (the sandbox's own simulated phone only).
    StlsIfOffered,
    /// Plaintext only.
    Plain,
}

/// Limits and timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// For TCP connect and the TLS handshake.
    pub connect_timeout: Duration,
    /// For each reply (each line of a multi-line reply restarts it).
    pub reply_timeout: Duration,
    /// For one command's (or one pipelined group's) whole answer.
    pub exchange_timeout: Duration,
    /// For the whole session, from the connection to QUIT: every read and write ends by then.
    pub session_timeout: Duration,
    /// The largest message RETR accepts.
    pub max_message: usize,
    /// The most entries of a UIDL or LIST answer taken in one session; the rest of a larger
    /// mailbox is read past (the server must still finish its answer within the exchange
    /// deadline) and comes in the next session, once these are deleted.
    pub max_entries: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connect_timeout: Duration::from_secs(15),
            reply_timeout: Duration::from_secs(30),
            exchange_timeout: Duration::from_secs(300),
            session_timeout: Duration::from_secs(600),
            max_message: 10 * 1024 * 1024,
            max_entries: 100_000,
        }
    }
}

/// How far [`Pop3Session::connect_reporting`] got, for a caller that shows each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// TCP is up (TLS comes next on 995).
    Connected,
    /// The greeting came; STLS comes next if offered.
    Greeted,
    /// TLS is up.
    Secured,
}

/// A logged-in or logging-in POP3 session, over a network connection (`S` = [`MaybeTls`]) or,
/// for tests and fuzzing, any stream ([`Pop3Session::over`]).
pub struct Pop3Session<S = MaybeTls> {
    io: BufReader<S>,
    options: Options,
    transcript: Option<Transcript>,
    timestamp: Option<String>,
    tls: bool,
    target: String,
    /// The server takes commands without waiting for each answer (CAPA PIPELINING).
    pipelining: bool,
    /// When the session must be over ([`Options::session_timeout`] after it began).
    deadline: Instant,
}

/// Commands sent ahead of their answers at most: the server buffers them, we hold the answers.
const PIPELINE_WINDOW: usize = 32;

impl Pop3Session {
    /// Connects, reads the greeting and secures the channel as asked.
    pub async fn connect(
        routes: &Routes,
        trust: &Trust,
        route: &Route,
        security: Security,
        options: Options,
        transcript: Option<Transcript>,
    ) -> Result<Self, ClientError> {
        Self::connect_reporting(
            routes,
            trust,
            route,
            security,
            options,
            transcript,
            &mut |_| {},
        )
        .await
    }

    /// [`Pop3Session::connect`], telling `progress` each [`Phase`] reached.
    pub async fn connect_reporting(
        routes: &Routes,
        trust: &Trust,
        route: &Route,
        security: Security,
        options: Options,
        transcript: Option<Transcript>,
        progress: &mut (dyn FnMut(Phase) + Send),
    ) -> Result<Self, ClientError> {
        let deadline = Instant::now() + options.session_timeout;
        let tcp = routes.connect(route, options.connect_timeout).await?;
        note(&transcript, &format!("connected to {}", route.target()));
        progress(Phase::Connected);
        let (stream, tls) = match security {
            Security::Implicit => {
                let tls = trust
                    .handshake(route, tcp, options.connect_timeout)
                    .await
                    .map_err(|e| e.hint(HINT_PLAIN_SERVER.0, HINT_PLAIN_SERVER.1))?;
                note(&transcript, "TLS established");
                progress(Phase::Secured);
                (MaybeTls::Tls(Box::new(tls)), true)
            }
            Security::StlsRequired | Security::StlsIfOffered | Security::Plain => {
                (MaybeTls::Plain(tcp), false)
            }
        };
        let mut session = Pop3Session {
            io: BufReader::new(stream),
            options,
            transcript,
            timestamp: None,
            tls,
            target: route.target(),
            pipelining: false,
            deadline,
        };
        let greeting = session.status_line().await.map_err(|e| {
            // A server that starts with TLS waits for our handshake and never greets.
            if !tls && e.kind == MailError::Timeout {
                e.hint(HINT_TLS_SERVER.0, HINT_TLS_SERVER.1)
            } else {
                e
            }
        })?;
        session.timestamp = apop_timestamp(&greeting);
        progress(Phase::Greeted);
        if matches!(security, Security::StlsRequired | Security::StlsIfOffered) {
            let offered = session
                .capabilities()
                .await?
                .iter()
                .any(|c| c.eq_ignore_ascii_case("STLS"));
            match stls_decision(security, offered) {
                StlsDecision::Upgrade => {
                    session.command("STLS").await?;
                    session = session.start_tls(trust, route).await?;
                    progress(Phase::Secured);
                }
                StlsDecision::Plaintext => {}
                StlsDecision::Refuse => return Err(session.no_stls()),
            }
        }
        Ok(session)
    }

    fn no_stls(&self) -> ClientError {
        note(
            &self.transcript,
            "no STLS offered: stopped before the login, the password was not sent",
        );
        ClientError::at(
            MailError::NoStarttls,
            &self.target,
            "サーバが STLS を提供していないため、暗号化なしではログインしません\
             （13.POP接続の暗号化 は STARTTLS）",
            "the server offers no STLS; not logging in without encryption \
             (13. POP connection security is STARTTLS)",
        )
    }

    /// True once the channel is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    async fn start_tls(self, trust: &Trust, route: &Route) -> Result<Self, ClientError> {
        if !self.io.buffer().is_empty() {
            // Anything sent before the handshake could be an injection (RFC 2595 §4).
            return Err(ClientError::at(
                MailError::Protocol,
                &self.target,
                "TLS のハンドシェイクの前にデータが届きました",
                "data before the TLS handshake",
            ));
        }
        let MaybeTls::Plain(tcp) = self.io.into_inner() else {
            return Err(ClientError::at(
                MailError::Protocol,
                &self.target,
                "TLS の中で STLS を求められました",
                "STLS inside TLS",
            ));
        };
        let tls = trust
            .handshake(route, tcp, self.options.connect_timeout)
            .await?;
        note(&self.transcript, "TLS established (STLS)");
        Ok(Pop3Session {
            io: BufReader::new(MaybeTls::Tls(Box::new(tls))),
            tls: true,
            ..self
        })
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Pop3Session<S> {
    /// A plaintext session over `stream`, after reading its greeting: the same reader the
    /// network sessions use, for a scripted or fuzzed server.
    pub async fn over(stream: S, options: Options) -> Result<Self, ClientError> {
        let mut session = Pop3Session {
            io: BufReader::new(stream),
            options,
            transcript: None,
            timestamp: None,
            tls: false,
            target: "stream".into(),
            pipelining: false,
            deadline: Instant::now() + options.session_timeout,
        };
        let greeting = session.status_line().await?;
        session.timestamp = apop_timestamp(&greeting);
        Ok(session)
    }

    /// Logs in: APOP when the greeting offered it on a plaintext channel, else USER/PASS.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), ClientError> {
        let steps: Vec<String> = match (&self.timestamp, self.tls) {
            (Some(timestamp), false) => {
                vec![format!("APOP {user} {}", apop_digest(timestamp, password))]
            }
            _ => vec![format!("USER {user}"), format!("PASS {password}")],
        };
        for line in steps {
            if let Reply::Err(text) = self.exchange(&line).await? {
                return Err(ClientError::quoting(
                    refusal(&text, MailError::PopLoginFailed),
                    format!("{}: {text}", self.target),
                ));
            }
        }
        // After login, as a server may announce more to a known user (RFC 2449 §5).
        self.pipelining = self
            .within("CAPA", |s| Box::pin(s.capabilities()))
            .await?
            .iter()
            .any(|c| c.eq_ignore_ascii_case("PIPELINING"));
        Ok(())
    }

    /// True when the server takes commands ahead of their answers.
    pub fn pipelining(&self) -> bool {
        self.pipelining
    }

    /// Several whole messages, in order; pipelined when the server allows it. The caller
    /// bounds how many octets it asks for at once.
    pub async fn retr_many(&mut self, numbers: &[u32]) -> Result<Vec<Vec<u8>>, ClientError> {
        let mut messages = Vec::with_capacity(numbers.len());
        for group in numbers.chunks(self.window()) {
            let lines: Vec<String> = group.iter().map(|n| format!("RETR {n}")).collect();
            let max = self.options.max_message;
            let answers = self
                .within("RETR", move |s| {
                    Box::pin(async move {
                        s.send_lines(&lines).await?;
                        let mut answers = Vec::with_capacity(lines.len());
                        for line in &lines {
                            s.expect_ok(line).await?;
                            answers.push(s.multiline(max).await?);
                        }
                        Ok(answers)
                    })
                })
                .await?;
            messages.extend(answers);
        }
        Ok(messages)
    }

    /// Marks messages for deletion at QUIT; pipelined when the server allows it.
    pub async fn dele_many(&mut self, numbers: &[u32]) -> Result<(), ClientError> {
        for group in numbers.chunks(self.window()) {
            let lines: Vec<String> = group.iter().map(|n| format!("DELE {n}")).collect();
            self.within("DELE", move |s| {
                Box::pin(async move {
                    s.send_lines(&lines).await?;
                    for line in &lines {
                        s.expect_ok(line).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        }
        Ok(())
    }

    fn window(&self) -> usize {
        if self.pipelining { PIPELINE_WINDOW } else { 1 }
    }

    /// Runs one exchange under the overall deadline.
    async fn within<T>(
        &mut self,
        what: &str,
        exchange: impl for<'s> FnOnce(
            &'s mut Self,
        ) -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<T, ClientError>> + Send + 's>,
        >,
    ) -> Result<T, ClientError> {
        let limit = self.options.exchange_timeout;
        let (until, session_ends) = self.until(limit);
        let target = self.target.clone();
        let ended = timeout_at(until, exchange(self)).await;
        if session_ends && ended.is_err() {
            return Err(self.session_over());
        }
        ended.unwrap_or_else(|_| {
            Err(ClientError::at(
                MailError::Timeout,
                &target,
                format!("{what} の応答に {} 秒以上かかりました", limit.as_secs()),
                format!(
                    "the answer to {what} took longer than {} s",
                    limit.as_secs()
                ),
            ))
        })
    }

    /// Writes command lines in one go (shown as they are: RETR and DELE carry no secret).
    async fn send_lines(&mut self, lines: &[String]) -> Result<(), ClientError> {
        let mut out = String::new();
        for line in lines {
            if let Some(t) = &self.transcript {
                t.client(line);
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        let (until, session_ends) = self.until(self.options.reply_timeout);
        let write = async {
            self.io.get_mut().write_all(out.as_bytes()).await?;
            self.io.get_mut().flush().await
        };
        match timeout_at(until, write).await {
            Err(_) if session_ends => Err(self.session_over()),
            Err(_) => Err(self.timed_out()),
            Ok(Err(e)) => Err(ClientError::io(&self.target, &e)),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Reads the status line answering `shown`; `-ERR` is an error naming it.
    async fn expect_ok(&mut self, shown: &str) -> Result<String, ClientError> {
        match self.reply().await? {
            Reply::Ok(text) => Ok(text),
            Reply::Err(text) => Err(ClientError::at(
                MailError::Protocol,
                &self.target,
                format!("{shown} を拒否されました: {text}"),
                format!("{shown} refused: {text}"),
            )),
        }
    }

    /// The lines of a multi-line listing (UIDL, LIST), within the exchange deadline.
    async fn listing(&mut self, command: &'static str) -> Result<Vec<String>, ClientError> {
        self.within(command, |s| {
            Box::pin(async move {
                s.command(command).await?;
                s.multiline_lines().await
            })
        })
        .await
    }

    /// Message numbers and unique ids.
    pub async fn uidl(&mut self) -> Result<Vec<(u32, String)>, ClientError> {
        let lines = self.listing("UIDL").await?;
        lines
            .iter()
            .map(|line| {
                let (n, uid) = line.split_once(' ').ok_or_else(|| self.garbage(line))?;
                let n = n.parse().map_err(|_| self.garbage(line))?;
                let uid = uid.trim();
                if uid.is_empty() || uid.len() > 70 {
                    return Err(self.garbage(line));
                }
                Ok((n, uid.to_string()))
            })
            .collect()
    }

    /// How many messages the mailbox holds, and their octets (STAT).
    pub async fn stat(&mut self) -> Result<(u32, u64), ClientError> {
        let reply = self.command("STAT").await?;
        let mut parts = reply.split_whitespace().skip(1);
        let count = parts.next().and_then(|n| n.parse().ok());
        let octets = parts.next().and_then(|n| n.parse().ok());
        count.zip(octets).ok_or_else(|| self.garbage(&reply))
    }

    /// Message numbers and sizes.
    pub async fn list(&mut self) -> Result<Vec<(u32, u64)>, ClientError> {
        let lines = self.listing("LIST").await?;
        lines
            .iter()
            .map(|line| {
                let mut parts = line.split_whitespace();
                let n = parts.next().and_then(|n| n.parse().ok());
                let size = parts.next().and_then(|s| s.parse().ok());
                n.zip(size).ok_or_else(|| self.garbage(line))
            })
            .collect()
    }

    /// One whole message, dot-unstuffed, lines ending in CRLF.
    pub async fn retr(&mut self, n: u32) -> Result<Vec<u8>, ClientError> {
        Ok(self.retr_many(&[n]).await?.pop().unwrap_or_default())
    }

    /// Marks a message for deletion at QUIT.
    pub async fn dele(&mut self, n: u32) -> Result<(), ClientError> {
        self.dele_many(&[n]).await
    }

    /// Ends the session; the server deletes the marked messages now.
    pub async fn quit(mut self) -> Result<(), ClientError> {
        self.command("QUIT").await?;
        let _ = self.io.get_mut().shutdown().await;
        Ok(())
    }

    async fn capabilities(&mut self) -> Result<Vec<String>, ClientError> {
        // Servers without CAPA answer -ERR: that is "no capabilities", not a failure.
        match self.exchange("CAPA").await? {
            Reply::Ok(_) => self.multiline_lines().await,
            Reply::Err(_) => Ok(Vec::new()),
        }
    }

    /// Sends a command; `-ERR` becomes an error naming the command and the reply.
    async fn command(&mut self, line: &str) -> Result<String, ClientError> {
        match self.exchange(line).await? {
            Reply::Ok(text) => Ok(text),
            Reply::Err(text) => Err(ClientError::at(
                refusal(&text, MailError::Protocol),
                &self.target,
                format!("{line} を拒否されました: {text}"),
                format!("{line} refused: {text}"),
            )),
        }
    }

    /// Sends a command (masked in the transcript) and reads its status line.
    async fn exchange(&mut self, line: &str) -> Result<Reply, ClientError> {
        if let Some(t) = &self.transcript {
            t.client(&mask_secrets(line.as_bytes()));
        }
        let (until, session_ends) = self.until(self.options.reply_timeout);
        let write = async {
            self.io
                .get_mut()
                .write_all(format!("{line}\r\n").as_bytes())
                .await?;
            self.io.get_mut().flush().await
        };
        match timeout_at(until, write).await {
            Err(_) if session_ends => return Err(self.session_over()),
            Err(_) => return Err(self.timed_out()),
            Ok(Err(e)) => return Err(ClientError::io(&self.target, &e)),
            Ok(Ok(())) => {}
        }
        self.reply().await
    }

    /// A status line that must be `+OK` (the greeting).
    async fn status_line(&mut self) -> Result<String, ClientError> {
        match self.reply().await? {
            Reply::Ok(text) => Ok(text),
            Reply::Err(text) => Err(ClientError::quoting(
                refusal(&text, MailError::Protocol),
                format!("{}: {text}", self.target),
            )),
        }
    }

    async fn reply(&mut self) -> Result<Reply, ClientError> {
        let line = self.line().await?;
        let text = String::from_utf8_lossy(&line).into_owned();
        if let Some(t) = &self.transcript {
            t.server(&text);
        }
        if text.starts_with("+OK") {
            Ok(Reply::Ok(text))
        } else if text.starts_with("-ERR") {
            Ok(Reply::Err(text))
        } else {
            Err(self.garbage(&text))
        }
    }

    /// A multi-line answer as text lines (UIDL, LIST, CAPA): its first `max_entries` lines.
    /// A longer answer is read to its end without keeping the rest, so memory stays bounded
    /// and the session stays in step; a mailbox of more messages is worked through over
    /// several sessions, as each deletes what it read.
    async fn multiline_lines(&mut self) -> Result<Vec<String>, ClientError> {
        let max = self.options.max_entries;
        let (mut lines, mut skipped) = (Vec::new(), 0u64);
        loop {
            let line = self.line().await?;
            if line == b"." {
                break;
            }
            if lines.len() == max {
                skipped += 1;
                continue;
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            lines.push(String::from_utf8_lossy(line).into_owned());
        }
        if skipped > 0
            && let Some(t) = &self.transcript
        {
            t.notice(&Notice::new(
                format!("一覧の最初の {max} 件だけを処理します（残り {skipped} 件は次回）"),
                format!("taking the first {max} entries of the listing ({skipped} more next time)"),
            ));
        }
        Ok(lines)
    }

    /// A multi-line answer as octets (RETR), dot-unstuffed, at most `max` octets.
    async fn multiline(&mut self, max: usize) -> Result<Vec<u8>, ClientError> {
        let mut body = Vec::new();
        loop {
            let line = self.line().await?;
            if line == b"." {
                return Ok(body);
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            if body.len() + line.len() + 2 > max {
                return Err(ClientError::at(
                    MailError::Protocol,
                    &self.target,
                    format!("メールが {max} オクテットを超えました"),
                    format!("message larger than {max} octets"),
                ));
            }
            body.extend_from_slice(line);
            body.extend_from_slice(b"\r\n");
        }
    }

    /// One line without its line ending, bounded and timed.
    async fn line(&mut self) -> Result<Vec<u8>, ClientError> {
        let (until, session_ends) = self.until(self.options.reply_timeout);
        match timeout_at(until, read_line(&mut self.io, MAX_LINE + 2)).await {
            Err(_) if session_ends => Err(self.session_over()),
            Err(_) => Err(self.timed_out()),
            Ok(Err(LineError::Io(e))) => Err(ClientError::io(&self.target, &e)),
            Ok(Err(LineError::TooLong { .. })) => Err(ClientError::at(
                MailError::Protocol,
                &self.target,
                format!("応答の行が {MAX_LINE} オクテットを超えました"),
                format!("reply line over {MAX_LINE} octets"),
            )),
            Ok(Err(LineError::Eof)) => Err(ClientError::at(
                MailError::Protocol,
                &self.target,
                "サーバが接続を切りました",
                "the server closed the connection",
            )),
            Ok(Ok(line)) => Ok(line),
        }
    }

    /// The earlier of `limit` from now and the session's deadline; true when it is the latter.
    fn until(&self, limit: Duration) -> (Instant, bool) {
        let own = Instant::now() + limit;
        if self.deadline < own {
            (self.deadline, true)
        } else {
            (own, false)
        }
    }

    fn session_over(&self) -> ClientError {
        let secs = self.options.session_timeout.as_secs();
        ClientError::at(
            MailError::Timeout,
            &self.target,
            format!("POP3 のセッションが {secs} 秒を超えました"),
            format!("the POP3 session took longer than {secs} s"),
        )
    }

    fn timed_out(&self) -> ClientError {
        let secs = self.options.reply_timeout.as_secs();
        ClientError::at(
            MailError::Timeout,
            &self.target,
            format!("{secs} 秒以内に応答がありません"),
            format!("no reply within {secs} s"),
        )
    }

    fn garbage(&self, line: &str) -> ClientError {
        let shown: String = line.chars().take(80).collect();
        ClientError::at(
            MailError::Protocol,
            &self.target,
            format!("予期しない応答 {shown:?}"),
            format!("unexpected reply {shown:?}"),
        )
    }
}

/// The catalogue error of an `-ERR` line: by its response code when it has one, else
/// `otherwise` (a login refused without a code can only be read as wrong credentials).
pub fn refusal(line: &str, otherwise: MailError) -> MailError {
    match RespCode::of_reply(line) {
        Some(RespCode::Auth) => MailError::PopLoginFailed,
        Some(RespCode::SysTemp) => MailError::PopServerTemp,
        Some(RespCode::SysPerm) => MailError::PopServerPerm,
        Some(RespCode::InUse) => MailError::PopInUse,
        Some(RespCode::LoginDelay) => MailError::PopLoginDelay,
        None => otherwise,
    }
}

/// What to do after CAPA on a plaintext channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StlsDecision {
    /// Send STLS and secure the channel before the login.
    Upgrade,
    /// Log in in plaintext, as the caller allowed.
    Plaintext,
    /// Stop: the login would cross the wire readable.
    Refuse,
}

/// The policy of 13.POP接続の暗号化 once CAPA has answered (`-ERR` counts as "no STLS"):
/// plaintext only where the caller chose it.
fn stls_decision(security: Security, offered: bool) -> StlsDecision {
    match (security, offered) {
        (Security::StlsRequired | Security::StlsIfOffered, true) => StlsDecision::Upgrade,
        (Security::StlsRequired, false) => StlsDecision::Refuse,
        (Security::StlsIfOffered | Security::Plain | Security::Implicit, _) => {
            StlsDecision::Plaintext
        }
    }
}

/// A status line: `+OK …` or `-ERR …`.
enum Reply {
    Ok(String),
    Err(String),
}

fn note(transcript: &Option<Transcript>, text: &str) {
    if let Some(t) = transcript {
        t.note(text);
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};

    use super::*;
    use crate::mailclient::scripted::{self, record_lines, serve, write_line};

    /// What a server says from its greeting to a login without CAPA: greeting, USER, PASS, and
    /// CAPA refused.
    const LOGGED_IN: &[u8] = b"+OK hi\r\n+OK\r\n+OK\r\n-ERR no CAPA\r\n";

    /// A server that writes `script` after accepting, then stalls; returns its route.
    async fn hostile(script: Vec<u8>) -> (Routes, Route) {
        let (routes, route, _) = serve(move |mut io| async move {
            let _ = io.get_mut().write_all(&script).await;
            // Never answer again, never close.
            let mut sink = [0u8; 1024];
            while io.read(&mut sink).await.is_ok_and(|n| n > 0) {}
        })
        .await;
        (routes, route)
    }

    /// A plaintext session with the server at `route`.
    async fn plain_session(
        routes: &Routes,
        route: &Route,
        options: Options,
    ) -> Result<Pop3Session, ClientError> {
        let trust = scripted::trust();
        Pop3Session::connect(routes, &trust, route, Security::Plain, options, None).await
    }

    fn quick() -> Options {
        Options {
            connect_timeout: Duration::from_secs(2),
            reply_timeout: Duration::from_millis(300),
            exchange_timeout: Duration::from_secs(1),
            session_timeout: Duration::from_secs(60),
            max_message: 64 * 1024,
            max_entries: 100,
        }
    }

    async fn session_on(script: &[u8]) -> Result<Pop3Session, ClientError> {
        let (routes, route) = hostile(script.to_vec()).await;
        plain_session(&routes, &route, quick()).await
    }

    #[tokio::test]
    async fn hostile_servers_give_clear_errors_not_hangs_or_floods() {
        // Garbage greeting.
        let err = session_on(b"HELLO THERE\r\n").await.err().unwrap();
        assert_eq!(err.kind, MailError::Protocol, "{err}");
        // An endless first line.
        let err = session_on(&vec![b'A'; 100_000]).await.err().unwrap();
        assert_eq!(err.kind, MailError::Protocol, "{err}");
        assert!(err.detail.en.contains("over"), "{err}");
        // Silence.
        let err = session_on(b"").await.err().unwrap();
        assert_eq!(err.kind, MailError::Timeout, "{err}");

        // A never-ending multi-line answer (UIDL) ends at the deadline, its lines not kept.
        let mut script = [LOGGED_IN, b"+OK list follows\r\n"].concat();
        for i in 0..10_000 {
            script.extend_from_slice(format!("{i} uid{i}\r\n").as_bytes());
        }
        let mut session = session_on(&script).await.unwrap();
        session.login("u", "p").await.unwrap();
        let err = session.uidl().await.unwrap_err();
        assert_eq!(err.kind, MailError::Timeout, "{err}");

        // A message larger than allowed, and a stall in the middle of RETR.
        let mut script = b"+OK hi\r\n+OK\r\n+OK\r\n-ERR\r\n+OK\r\n".to_vec();
        script.extend(
            std::iter::repeat_n(b"0123456789abcdef0123456789abcdef\r\n".to_vec(), 4000).flatten(),
        );
        let mut session = session_on(&script).await.unwrap();
        session.login("u", "p").await.unwrap();
        let err = session.retr(1).await.unwrap_err();
        assert!(err.detail.en.contains("larger than"), "{err}");
        let mut session =
            session_on(b"+OK hi\r\n+OK\r\n+OK\r\n-ERR\r\n+OK\r\nSubject: x\r\n\r\nhalf")
                .await
                .unwrap();
        session.login("u", "p").await.unwrap();
        let err = session.retr(1).await.unwrap_err();
        assert_eq!(err.kind, MailError::Timeout, "{err}");
    }

    /// A mailbox larger than the entry limit is no failure: the first entries are taken, the
    /// rest read past, and the session stays in step for the next command.
    #[tokio::test]
    async fn a_listing_over_the_entry_limit_gives_its_first_entries() {
        let mut script = [LOGGED_IN, b"+OK list follows\r\n"].concat();
        for i in 1..=150 {
            script.extend_from_slice(format!("{i} uid{i}\r\n").as_bytes());
        }
        script.extend_from_slice(b".\r\n+OK\r\n1 120\r\n.\r\n");
        let mut session = session_on(&script).await.unwrap();
        session.login("u", "p").await.unwrap();
        let uids = session.uidl().await.unwrap();
        assert_eq!(uids.len(), 100);
        assert_eq!(uids[99], (100, "uid100".to_string()));
        assert_eq!(session.list().await.unwrap(), [(1, 120)], "still in step");
    }

    /// A server that writes `script` at once, then records every line the client sends until
    /// it hangs up.
    async fn recording(
        script: &'static [u8],
    ) -> (Routes, Route, tokio::task::JoinHandle<Vec<String>>) {
        serve(move |mut io| async move {
            io.get_mut().write_all(script).await.unwrap();
            record_lines(&mut io, |_| b"").await
        })
        .await
    }

    #[tokio::test]
    async fn starttls_chosen_and_not_offered_stops_before_any_credential() {
        let no_stls: &[&'static [u8]] = &[
            // CAPA without STLS (the greeting even offers APOP).
            b"+OK ready <1.2@pop.example.jp>\r\n+OK\r\nUSER\r\nUIDL\r\n.\r\n",
            // No CAPA at all.
            b"+OK ready <1.2@pop.example.jp>\r\n-ERR unknown command\r\n",
        ];
        for script in no_stls {
            let (routes, route, seen) = recording(script).await;
            let trust = scripted::trust();
            let result = Pop3Session::connect(
                &routes,
                &trust,
                &route,
                Security::StlsRequired,
                quick(),
                None,
            )
            .await;
            let err = result.err().expect("no session without STLS");
            assert_eq!(err.kind, MailError::NoStarttls, "{err}");
            assert!(
                err.detail.en.contains("no STLS") && err.detail.ja.contains("STLS"),
                "{err}"
            );
            assert_eq!(seen.await.unwrap(), vec!["CAPA".to_string()]);
        }
    }

    #[test]
    fn plaintext_logins_happen_only_where_chosen() {
        use StlsDecision::*;
        assert_eq!(stls_decision(Security::StlsRequired, true), Upgrade);
        assert_eq!(stls_decision(Security::StlsRequired, false), Refuse);
        assert_eq!(stls_decision(Security::StlsIfOffered, true), Upgrade);
        assert_eq!(stls_decision(Security::StlsIfOffered, false), Plaintext);
        assert_eq!(stls_decision(Security::Plain, false), Plaintext);
    }

    #[test]
    fn refusals_are_told_apart_by_their_response_code() {
        let login = MailError::PopLoginFailed;
        let table = [
            ("-ERR [AUTH] invalid password", MailError::PopLoginFailed),
            ("-ERR invalid password", MailError::PopLoginFailed),
            (
                "-ERR [SYS/TEMP] service temporarily unavailable",
                MailError::PopServerTemp,
            ),
            ("-ERR [SYS/PERM] account disabled", MailError::PopServerPerm),
            ("-ERR [IN-USE] mailbox is locked", MailError::PopInUse),
            ("-ERR [LOGIN-DELAY] 600", MailError::PopLoginDelay),
        ];
        for (line, error) in table {
            assert_eq!(refusal(line, login), error, "{line}");
        }
        assert_eq!(
            refusal("-ERR no such message", MailError::Protocol),
            MailError::Protocol
        );
    }

    #[tokio::test]
    async fn a_temporary_failure_at_login_is_the_servers_not_the_password() {
        let mut session = session_on(b"+OK hi\r\n+OK\r\n-ERR [SYS/TEMP] try later\r\n")
            .await
            .unwrap();
        let err = session.login("u", "p").await.unwrap_err();
        assert_eq!(err.kind, MailError::PopServerTemp, "{err}");
        assert!(err.detail.en.contains("[SYS/TEMP]"), "{err}");
        let mut session = session_on(b"+OK hi\r\n+OK\r\n-ERR [AUTH] bad password\r\n")
            .await
            .unwrap();
        let err = session.login("u", "p").await.unwrap_err();
        assert_eq!(err.kind, MailError::PopLoginFailed, "{err}");
        // A greeting refused for the server's own reasons.
        let err = session_on(b"-ERR [SYS/TEMP] maintenance\r\n")
            .await
            .err()
            .unwrap();
        assert_eq!(err.kind, MailError::PopServerTemp, "{err}");
    }

    /// A server that answers RETR with one short line every 100 ms, for ever: each line comes
    /// well within the reply timeout, so only the exchange's own deadline can end it.
    #[tokio::test]
    async fn a_trickling_answer_hits_the_exchange_deadline() {
        let (routes, route, _) = serve(|mut io| async move {
            io.get_mut().write_all(LOGGED_IN).await.unwrap();
            write_line(&mut io, "+OK here it comes").await;
            while write_line(&mut io, "x").await {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        let mut session = plain_session(&routes, &route, quick()).await.unwrap();
        session.login("u", "p").await.unwrap();
        let started = std::time::Instant::now();
        let err = session.retr(1).await.unwrap_err();
        assert_eq!(err.kind, MailError::Timeout, "{err}");
        assert!(err.detail.en.contains("RETR took longer than 1 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    /// A server that answers every RETR in full, but slowly: one line every 100 ms, eight lines
    /// a message. Each answer ends within its own deadline, so only the session's deadline can
    /// stop a client that keeps asking.
    #[tokio::test]
    async fn answers_each_just_in_time_hit_the_session_deadline() {
        let (routes, route, _) = serve(|mut io| async move {
            io.get_mut().write_all(LOGGED_IN).await.unwrap();
            let mut line = String::new();
            while io.read_line(&mut line).await.is_ok_and(|n| n > 0) {
                if line.starts_with("RETR") {
                    for text in ["+OK", "Subject: slow", "", "1", "2", "3", "4", "."] {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        if !write_line(&mut io, text).await {
                            return;
                        }
                    }
                }
                line.clear();
            }
        })
        .await;
        let options = Options {
            session_timeout: Duration::from_secs(2),
            ..quick()
        };
        let mut session = plain_session(&routes, &route, options).await.unwrap();
        session.login("u", "p").await.unwrap();
        let started = std::time::Instant::now();
        // Without the session's deadline these would take about 16 s.
        let mut taken = 0;
        let err = loop {
            match session.retr(1).await {
                Ok(message) => {
                    assert!(message.starts_with(b"Subject: slow"));
                    taken += 1;
                    assert!(taken < 20, "the session was never cut off");
                }
                Err(err) => break err,
            }
        };
        assert!(taken >= 1, "each answer alone is within its deadline");
        assert_eq!(err.kind, MailError::Timeout, "{err}");
        assert!(
            err.detail
                .en
                .contains("the POP3 session took longer than 2 s"),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(3), "{err}");
    }

    /// With PIPELINING advertised, the RETRs of a group leave in one write before any answer is
    /// read: the server below answers only once it has all three commands.
    #[tokio::test]
    async fn retrs_are_pipelined_when_the_server_advertises_it() {
        let (routes, route, _) = serve(|mut io| async move {
            io.get_mut()
                .write_all(b"+OK hi\r\n+OK\r\n+OK\r\n+OK\r\nPIPELINING\r\n.\r\n")
                .await
                .unwrap();
            let mut seen = Vec::new();
            for _ in 0..6 {
                let mut line = String::new();
                io.read_line(&mut line).await.unwrap();
                seen.push(line);
            }
            // USER, PASS, CAPA, then three RETRs before any of them was answered.
            assert!(seen[3..].iter().all(|l| l.starts_with("RETR")), "{seen:?}");
            for n in 1..=3 {
                let answer = format!("+OK\r\nSubject: {n}\r\n\r\n..dot {n}\r\n.\r\n");
                io.get_mut().write_all(answer.as_bytes()).await.unwrap();
            }
            let mut rest = String::new();
            let _ = io.read_line(&mut rest).await;
        })
        .await;
        let mut session = plain_session(&routes, &route, quick()).await.unwrap();
        session.login("u", "p").await.unwrap();
        assert!(session.pipelining());
        let messages = session.retr_many(&[1, 2, 3]).await.unwrap();
        assert_eq!(messages[2], b"Subject: 3\r\n\r\n.dot 3\r\n");
    }
}
