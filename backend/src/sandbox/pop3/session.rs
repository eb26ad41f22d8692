//! The POP3 session as a pure state machine (RFC 1939 section 3): AUTHORIZATION, TRANSACTION with
//! the maildrop snapshot and the messages marked deleted, UPDATE. [`Session::handle`] never does
//! I/O: a [`Reply`] says what to send and which side effect the connection must perform (check
//! credentials and take the mailbox, fetch a message, commit deletions, start TLS, close), and the
//! connection reports the result back ([`Session::login_result`], [`Session::update_result`],
//! [`Session::tls_started`]). Deletions exist only as a set until QUIT: a session that ends any
//! other way deletes nothing.

use std::net::IpAddr;
use std::time::Instant;

use super::protocol::{Command, ParseError, Refusal, Response};
use crate::mail::pop3::apop_digest;
use crate::sandbox::accounts::{Account, Accounts, DOMAIN};
use crate::sandbox::lockout::Lockout;
use crate::sandbox::mailstore::MessageInfo;

/// What the server says it is in CAPA.
pub const IMPLEMENTATION: &str = "sandbox.test-pop3";
/// `-ERR` replies a client may get before the server closes: the limit the SMTP server has
/// (Postfix's `smtpd_hard_error_limit`), and Dovecot's POP3 closes after 20 bad commands too.
pub const MAX_ERRORS: u32 = 20;

/// What a login presented.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// USER then PASS.
    Password {
        /// The login name.
        user: String,
        /// The password as sent.
        password: String,
    },
    /// APOP.
    Apop {
        /// The login name.
        user: String,
        /// The digest as sent, lowercase hex.
        digest: String,
    },
}

impl std::fmt::Debug for Credentials {
    // Never print a secret, not even in a test failure.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Password { user, .. } => write!(f, "Password({user}, ****)"),
            Credentials::Apop { user, .. } => write!(f, "Apop({user}, ****)"),
        }
    }
}

impl Credentials {
    /// The login name presented.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Password { user, .. } | Credentials::Apop { user, .. } => user,
        }
    }

    /// The account if the credentials are right; `timestamp` is the one of the greeting.
    pub fn verify<'a>(&self, accounts: &'a Accounts, timestamp: &str) -> Option<&'a Account> {
        match self {
            Credentials::Password { user, password } => accounts.check_password(user, password),
            Credentials::Apop { user, digest } => accounts
                .by_user(user)
                .filter(|account| apop_digest(timestamp, &account.password) == *digest),
        }
    }
}

/// The login decision short of taking the mailbox: the lock-out first (a locked-out address is
/// refused whatever it presents), then the credentials, and the lock-out record updated.
pub fn authorize<'a>(
    accounts: &'a Accounts,
    lockout: &Lockout,
    ip: IpAddr,
    now: Instant,
    credentials: &Credentials,
    timestamp: &str,
) -> Result<&'a Account, Refusal> {
    let user = credentials.user();
    if lockout.is_locked(ip, user, now) {
        return Err(Refusal::LockedOut);
    }
    match credentials.verify(accounts, timestamp) {
        Some(account) => {
            lockout.succeeded(ip, user);
            Ok(account)
        }
        None => {
            lockout.failed(ip, user, now);
            Err(Refusal::BadLogin)
        }
    }
}

/// How the connection's login attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Credentials right and the mailbox taken: its listing at this moment.
    Granted {
        /// The mailbox name.
        mailbox: String,
        /// The messages, in order; message number n is `listing[n - 1]`.
        listing: Vec<MessageInfo>,
    },
    /// Refused, for this reason.
    Refused(Refusal),
}

/// Whether TLS can be started and whether it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsState {
    /// A certificate is configured, so STLS can work.
    pub available: bool,
    /// The connection is already encrypted.
    pub active: bool,
}

/// What the connection must do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Send this line, then read the next command.
    Send(Response),
    /// Send this line, then these lines as a multi-line body.
    Lines(Response, Vec<String>),
    /// Fetch message `uid`; send `status`, then the message dot-stuffed: whole, or with `top`
    /// the headers and that many body lines. If it cannot be fetched, send
    /// [`Refusal::TempFailure`] instead of `status`.
    Message {
        /// The `+OK` line.
        status: Response,
        /// Which message.
        uid: String,
        /// Its size in octets, as listed.
        size: u64,
        /// `None` for RETR, `Some(lines)` for TOP.
        top: Option<u32>,
    },
    /// Check these credentials, take the mailbox, then call [`Session::login_result`].
    Authenticate(Credentials),
    /// Send this line, run the TLS handshake, then call [`Session::tls_started`]. Input received
    /// before the handshake must be discarded.
    StartTls(Response),
    /// Delete these messages in one go, then call [`Session::update_result`].
    Commit {
        /// The mailbox.
        mailbox: String,
        /// The messages marked deleted.
        uids: Vec<String>,
    },
    /// Send this line, then close the connection.
    Close(Response),
}

impl Reply {
    fn refuse(refusal: Refusal) -> Reply {
        Reply::Send(refusal.response())
    }
}

#[derive(Debug)]
struct Maildrop {
    mailbox: String,
    messages: Vec<MessageInfo>,
    deleted: Vec<bool>,
}

impl Maildrop {
    /// The message numbered `n` (from 1) if it exists and is not marked deleted.
    fn visible(&self, n: u32) -> Result<(usize, &MessageInfo), Refusal> {
        let index = (n as usize).checked_sub(1).ok_or(Refusal::NoSuchMessage)?;
        match (self.messages.get(index), self.deleted.get(index)) {
            (Some(info), Some(false)) => Ok((index, info)),
            _ => Err(Refusal::NoSuchMessage),
        }
    }

    fn live(&self) -> impl Iterator<Item = (usize, &MessageInfo)> {
        self.messages
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.deleted[*i])
    }
}

#[derive(Debug)]
enum State {
    Authorization {
        user: Option<String>,
    },
    /// Credentials handed to the connection; waiting for [`Session::login_result`].
    Authenticating,
    Transaction(Maildrop),
    /// Deletions handed to the connection; waiting for [`Session::update_result`].
    Update,
    Closed,
}

/// One POP3 session.
#[derive(Debug)]
pub struct Session {
    state: State,
    timestamp: String,
    tls: TlsState,
    errors: u32,
}

impl Session {
    /// A new session in AUTHORIZATION; `timestamp` is the APOP challenge, `<…@sandbox.test>`.
    pub fn new(timestamp: String, tls: TlsState) -> Self {
        Session {
            state: State::Authorization { user: None },
            timestamp,
            tls,
            errors: 0,
        }
    }

    /// The APOP challenge of this session.
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }

    /// The greeting, carrying the APOP timestamp.
    pub fn greeting(&self) -> Response {
        Response::ok(format!("{DOMAIN} POP3 server ready {}", self.timestamp))
    }

    /// The RFC 1939 name of the current state, for notes and tests.
    pub fn state_name(&self) -> &'static str {
        match self.state {
            State::Authorization { .. } | State::Authenticating => "AUTHORIZATION",
            State::Transaction(_) => "TRANSACTION",
            State::Update => "UPDATE",
            State::Closed => "CLOSED",
        }
    }

    /// The reply to a line that did not parse; the state does not change, except that HTTP
    /// from a browser closes the session at once (nothing is deleted).
    pub fn unparsable(&mut self, error: ParseError) -> Reply {
        // The state stays: CLOSED means "after QUIT" to the connection's log.
        if error == ParseError::Http {
            return Reply::Close(Refusal::Parse(error).response());
        }
        self.counted(Reply::refuse(Refusal::Parse(error)))
    }

    /// The reply to one command.
    pub fn handle(&mut self, command: Command) -> Reply {
        let reply = self.command(command);
        self.counted(reply)
    }

    /// A client that keeps failing is cut off, so it cannot hold the server (or guess at
    /// passwords) forever; QUIT is not implied, so nothing is deleted.
    fn counted(&mut self, reply: Reply) -> Reply {
        let Reply::Send(response) = &reply else {
            return reply;
        };
        if response.ok {
            return reply;
        }
        self.errors += 1;
        if self.errors < MAX_ERRORS {
            return reply;
        }
        Reply::Close(Refusal::TooManyErrors.response())
    }

    fn command(&mut self, command: Command) -> Reply {
        if matches!(command, Command::Capa) {
            return self.capa();
        }
        match &mut self.state {
            State::Authorization { user } => match command {
                Command::User(name) => {
                    // Unknown names are found out at PASS, so USER reveals nothing.
                    *user = Some(name);
                    Reply::Send(Response::ok("send PASS"))
                }
                Command::Pass(password) => match user.take() {
                    Some(user) => {
                        self.state = State::Authenticating;
                        Reply::Authenticate(Credentials::Password { user, password })
                    }
                    None => Reply::refuse(Refusal::UserFirst),
                },
                Command::Apop { user, digest } => {
                    self.state = State::Authenticating;
                    Reply::Authenticate(Credentials::Apop { user, digest })
                }
                Command::Stls if !self.tls.available => Reply::refuse(Refusal::NoTls),
                Command::Stls if self.tls.active => Reply::refuse(Refusal::TlsActive),
                Command::Stls => Reply::StartTls(Response::ok("begin TLS negotiation")),
                Command::Quit => {
                    self.state = State::Closed;
                    Reply::Close(Response::ok(format!("{DOMAIN} POP3 server signing off")))
                }
                _ => Reply::refuse(Refusal::WrongState),
            },
            State::Transaction(maildrop) => Self::transaction(maildrop, command)
                .unwrap_or_else(Reply::refuse)
                .after_quit(&mut self.state),
            State::Authenticating | State::Update | State::Closed => {
                Reply::refuse(Refusal::WrongState)
            }
        }
    }

    fn transaction(maildrop: &mut Maildrop, command: Command) -> Result<Reply, Refusal> {
        let reply = match command {
            Command::Stat => {
                let (count, octets) = maildrop
                    .live()
                    .fold((0u64, 0u64), |(c, o), (_, m)| (c + 1, o + m.size));
                Reply::Send(Response::ok(format!("{count} {octets}")))
            }
            Command::List(None) => {
                let lines: Vec<String> = maildrop
                    .live()
                    .map(|(i, m)| format!("{} {}", i + 1, m.size))
                    .collect();
                let octets: u64 = maildrop.live().map(|(_, m)| m.size).sum();
                let status = format!("{} messages ({octets} octets)", lines.len());
                Reply::Lines(Response::ok(status), lines)
            }
            Command::List(Some(n)) => {
                let (_, info) = maildrop.visible(n)?;
                Reply::Send(Response::ok(format!("{n} {}", info.size)))
            }
            Command::Uidl(None) => {
                let lines = maildrop
                    .live()
                    .map(|(i, m)| format!("{} {}", i + 1, m.uid))
                    .collect();
                Reply::Lines(Response::ok("unique-id listing follows"), lines)
            }
            Command::Uidl(Some(n)) => {
                let (_, info) = maildrop.visible(n)?;
                Reply::Send(Response::ok(format!("{n} {}", info.uid)))
            }
            Command::Retr(n) => {
                let (_, info) = maildrop.visible(n)?;
                Reply::Message {
                    status: Response::ok(format!("{} octets", info.size)),
                    uid: info.uid.clone(),
                    size: info.size,
                    top: None,
                }
            }
            Command::Top { msg, lines } => {
                let (_, info) = maildrop.visible(msg)?;
                Reply::Message {
                    status: Response::ok("top of message follows"),
                    uid: info.uid.clone(),
                    size: info.size,
                    top: Some(lines),
                }
            }
            Command::Dele(n) => {
                let index = (n as usize).checked_sub(1).ok_or(Refusal::NoSuchMessage)?;
                match maildrop.deleted.get_mut(index) {
                    None => return Err(Refusal::NoSuchMessage),
                    Some(true) => return Err(Refusal::AlreadyDeleted),
                    Some(marked) => *marked = true,
                }
                Reply::Send(Response::ok(format!("message {n} deleted")))
            }
            Command::Rset => {
                maildrop.deleted.iter_mut().for_each(|d| *d = false);
                let count = maildrop.messages.len();
                let octets: u64 = maildrop.messages.iter().map(|m| m.size).sum();
                Reply::Send(Response::ok(format!(
                    "maildrop has {count} messages ({octets} octets)"
                )))
            }
            Command::Noop => Reply::Send(Response::ok("")),
            Command::Quit => {
                let uids: Vec<String> = maildrop
                    .messages
                    .iter()
                    .zip(&maildrop.deleted)
                    .filter(|(_, deleted)| **deleted)
                    .map(|(m, _)| m.uid.clone())
                    .collect();
                if uids.is_empty() {
                    Reply::Close(Response::ok(format!("{DOMAIN} POP3 server signing off")))
                } else {
                    Reply::Commit {
                        mailbox: maildrop.mailbox.clone(),
                        uids,
                    }
                }
            }
            Command::User(_)
            | Command::Pass(_)
            | Command::Apop { .. }
            | Command::Stls
            | Command::Capa => return Err(Refusal::WrongState),
        };
        Ok(reply)
    }

    fn capa(&self) -> Reply {
        let mut lines: Vec<String> = ["TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES"]
            .into_iter()
            .chain(["AUTH-RESP-CODE"])
            .map(String::from)
            .collect();
        let authorizing = matches!(self.state, State::Authorization { .. });
        if authorizing && self.tls.available && !self.tls.active {
            lines.push("STLS".into());
        }
        lines.push(format!("IMPLEMENTATION {IMPLEMENTATION}"));
        Reply::Lines(Response::ok("capability list follows"), lines)
    }

    /// The result of [`Reply::Authenticate`]: TRANSACTION on success, back to AUTHORIZATION
    /// (USER needed again) on refusal.
    pub fn login_result(&mut self, outcome: LoginOutcome) -> Reply {
        match outcome {
            LoginOutcome::Granted { mailbox, listing } => {
                let count = listing.len();
                let octets: u64 = listing.iter().map(|m| m.size).sum();
                self.state = State::Transaction(Maildrop {
                    mailbox,
                    deleted: vec![false; count],
                    messages: listing,
                });
                Reply::Send(Response::ok(format!(
                    "maildrop has {count} messages ({octets} octets)"
                )))
            }
            LoginOutcome::Refused(refusal) => {
                self.state = State::Authorization { user: None };
                self.counted(Reply::refuse(refusal))
            }
        }
    }

    /// TLS is now on: the session starts over in AUTHORIZATION (RFC 2595 section 4).
    pub fn tls_started(&mut self) {
        self.tls.active = true;
        self.state = State::Authorization { user: None };
    }

    /// The result of [`Reply::Commit`]: how many messages were removed, or a failure.
    pub fn update_result(&mut self, result: Result<usize, ()>) -> Reply {
        self.state = State::Closed;
        match result {
            Ok(removed) => Reply::Close(Response::ok(format!(
                "{DOMAIN} POP3 server signing off ({removed} messages deleted)"
            ))),
            Err(()) => Reply::Close(Refusal::UpdateFailed.response()),
        }
    }
}

impl Reply {
    /// QUIT in TRANSACTION moves the state on; every other reply leaves it.
    fn after_quit(self, state: &mut State) -> Reply {
        match &self {
            Reply::Commit { .. } => *state = State::Update,
            Reply::Close(_) => *state = State::Closed,
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::super::protocol::{self, DotStuffer};
    use super::*;
    use crate::mail::line::{LineBuffer, LineEvent};
    use crate::mail::pop3::RespCode;
    use crate::sandbox::lockout::LockoutPolicy;

    const TS: &str = "<1234.5678@sandbox.test>";

    fn info(uid: &str, size: u64) -> MessageInfo {
        MessageInfo {
            uid: uid.into(),
            size,
        }
    }

    /// A fake server: bytes in, wire bytes out, with two messages for karacrix.
    struct Harness {
        session: Session,
        lines: LineBuffer,
        accounts: Accounts,
        lockout: Lockout,
        ip: IpAddr,
        now: Instant,
        bodies: HashMap<String, Vec<u8>>,
        committed: Vec<Vec<String>>,
        closed: bool,
        out: Vec<u8>,
    }

    impl Harness {
        fn new() -> Self {
            let mut bodies = HashMap::new();
            bodies.insert(
                "u1".to_string(),
                b"Subject: one\r\n\r\nline 1\r\n.dot\r\n".to_vec(),
            );
            bodies.insert("u2".to_string(), b"Subject: two\n\nA\nB\nC\n".to_vec());
            let session = Session::new(
                TS.into(),
                TlsState {
                    available: true,
                    active: false,
                },
            );
            let out = session.greeting().to_wire();
            Harness {
                session,
                lines: LineBuffer::new(protocol::MAX_LINE),
                accounts: Accounts::training(),
                lockout: Lockout::default(),
                ip: "127.0.0.1".parse().unwrap(),
                now: Instant::now(),
                bodies,
                committed: Vec::new(),
                closed: false,
                out,
            }
        }

        fn listing(&self) -> Vec<MessageInfo> {
            let mut listing: Vec<_> = self
                .bodies
                .iter()
                .map(|(uid, body)| info(uid, body.len() as u64))
                .collect();
            listing.sort_by(|a, b| a.uid.cmp(&b.uid));
            listing
        }

        fn feed(&mut self, bytes: &[u8]) {
            let mut inputs = Vec::new();
            self.lines.feed(bytes, &mut inputs);
            for input in inputs {
                if self.closed {
                    return;
                }
                let reply = match input {
                    LineEvent::TooLong => self.session.unparsable(protocol::ParseError::TooLong),
                    LineEvent::Line(line) => match protocol::parse(&line) {
                        Ok(command) => self.session.handle(command),
                        Err(error) => self.session.unparsable(error),
                    },
                };
                self.perform(reply);
            }
        }

        fn perform(&mut self, reply: Reply) {
            match reply {
                Reply::Send(status) => self.out.extend(status.to_wire()),
                Reply::Lines(status, lines) => {
                    self.out.extend(status.to_wire());
                    self.out.extend(protocol::multiline(&lines));
                }
                Reply::Message {
                    status, uid, top, ..
                } => {
                    self.out.extend(status.to_wire());
                    let body = &self.bodies[&uid];
                    let body = match top {
                        Some(n) => protocol::top(body, n),
                        None => body,
                    };
                    let mut stuffer = DotStuffer::default();
                    stuffer.feed(body, &mut self.out);
                    stuffer.finish(&mut self.out);
                }
                Reply::Authenticate(credentials) => {
                    let outcome = match authorize(
                        &self.accounts,
                        &self.lockout,
                        self.ip,
                        self.now,
                        &credentials,
                        TS,
                    ) {
                        Ok(account) => LoginOutcome::Granted {
                            mailbox: account.address(),
                            listing: self.listing(),
                        },
                        Err(refusal) => LoginOutcome::Refused(refusal),
                    };
                    let reply = self.session.login_result(outcome);
                    self.perform(reply);
                }
                Reply::StartTls(status) => {
                    self.out.extend(status.to_wire());
                    self.lines.clear();
                    self.session.tls_started();
                }
                Reply::Commit { uids, .. } => {
                    for uid in &uids {
                        self.bodies.remove(uid);
                    }
                    let removed = uids.len();
                    self.committed.push(uids);
                    let reply = self.session.update_result(Ok(removed));
                    self.perform(reply);
                }
                Reply::Close(status) => {
                    self.out.extend(status.to_wire());
                    self.closed = true;
                }
            }
        }

        fn run(script: &[u8]) -> Harness {
            let mut harness = Harness::new();
            harness.feed(script);
            harness
        }

        fn text(&self) -> String {
            String::from_utf8_lossy(&self.out).into_owned()
        }
    }

    fn session() -> Session {
        Session::new(TS.into(), TlsState::default())
    }

    fn status(reply: Reply) -> String {
        match reply {
            Reply::Send(r) | Reply::Close(r) | Reply::StartTls(r) | Reply::Lines(r, _) => {
                r.to_string()
            }
            Reply::Message { status, .. } => status.to_string(),
            other => panic!("not a reply with a status line: {other:?}"),
        }
    }

    fn logged_in(listing: Vec<MessageInfo>) -> Session {
        let mut session = session();
        session.handle(Command::User("karacrix".into()));
        let reply = session.handle(Command::Pass("karacrix-pass".into()));
        assert!(matches!(reply, Reply::Authenticate(_)));
        let reply = session.login_result(LoginOutcome::Granted {
            mailbox: "karacrix@sandbox.test".into(),
            listing,
        });
        assert!(status(reply).starts_with("+OK"));
        session
    }

    #[test]
    fn a_script_gives_the_same_bytes_in_any_chunking() {
        let script: &[u8] = b"CAPA\r\nUSER karacrix\r\nPASS karacrix-pass\r\nSTAT\r\nLIST\r\n\
            UIDL 2\r\nTOP 2 1\r\nRETR 1\r\nDELE 1\r\nBOGUS\r\nLIST 1\r\nNOOP\r\nQUIT\r\nNOOP\r\n";
        let whole = Harness::run(script);
        assert_eq!(whole.committed, vec![vec!["u1".to_string()]]);
        let text = whole.text();
        assert!(text.contains("+OK 2 "), "{text}");
        assert!(text.contains("Subject: two\r\n\r\nA\r\n.\r\n"), "{text}");
        assert!(text.contains("line 1\r\n..dot\r\n.\r\n"), "{text}");
        assert!(
            text.contains("-ERR unknown command\r\n-ERR no such message\r\n"),
            "{text}"
        );
        assert!(
            text.ends_with("+OK sandbox.test POP3 server signing off (1 messages deleted)\r\n")
        );
        for size in 1..=64 {
            let mut harness = Harness::new();
            for chunk in script.chunks(size) {
                harness.feed(chunk);
            }
            assert_eq!(harness.text(), text, "chunk size {size}");
            assert_eq!(harness.committed, whole.committed);
        }
    }

    #[test]
    fn a_browser_request_closes_the_session_at_its_first_line() {
        // A page's form POST to the POP3 port: the body's commands never run.
        let post = b"POST / HTTP/1.1\r\nHost: 127.0.0.1:2110\r\n\r\nUSER karacrix\r\n\
            PASS karacrix-pass\r\nDELE 1\r\nQUIT\r\n";
        let harness = Harness::run(post);
        assert!(harness.closed);
        assert!(harness.committed.is_empty());
        let text = harness.text();
        assert!(
            text.ends_with("-ERR this is a POP3 server, not a web server; goodbye\r\n"),
            "{text}"
        );
        // A header line after a login closes too, deleting nothing that was marked.
        let mut session = logged_in(vec![info("u1", 10)]);
        session.handle(Command::Dele(1));
        let reply = session.unparsable(protocol::parse(b"Cookie: a=b").unwrap_err());
        assert!(matches!(reply, Reply::Close(_)), "{reply:?}");
    }

    #[test]
    fn too_many_errors_close_the_session_without_deleting() {
        let mut script = b"USER karacrix\r\nPASS karacrix-pass\r\nDELE 1\r\n".to_vec();
        script.extend(b"BOGUS\r\n".repeat(MAX_ERRORS as usize + 5));
        let harness = Harness::run(&script);
        assert!(harness.closed);
        assert!(harness.committed.is_empty());
        let text = harness.text();
        assert_eq!(
            text.matches("-ERR unknown command").count(),
            MAX_ERRORS as usize - 1,
            "{text}"
        );
        assert!(
            text.ends_with("-ERR too many errors, closing\r\n"),
            "{text}"
        );
        // Wrong passwords count as errors too, so they cannot be tried forever on one connection.
        let mut session = session();
        let mut last = None;
        for _ in 0..MAX_ERRORS {
            session.handle(Command::User("karacrix".into()));
            session.handle(Command::Pass("wrong".into()));
            last = Some(session.login_result(LoginOutcome::Refused(Refusal::BadLogin)));
        }
        assert!(matches!(last, Some(Reply::Close(_))), "{last:?}");
    }

    #[test]
    fn commands_answer_per_state() {
        let cases: &[(&[u8], &str)] = &[
            (b"STAT\r\n", "-ERR command not valid in this state"),
            (b"RETR 1\r\n", "-ERR command not valid in this state"),
            (b"NOOP\r\n", "-ERR command not valid in this state"),
            (b"PASS x\r\n", "-ERR USER first"),
            (b"USER nobody\r\n", "+OK send PASS"),
            (b"AUTH PLAIN\r\n", "-ERR unknown command"),
            (b"\r\n", "-ERR empty command"),
        ];
        for (line, expected) in cases {
            let mut harness = Harness::new();
            let greeting = harness.out.len();
            harness.feed(line);
            assert_eq!(
                String::from_utf8_lossy(&harness.out[greeting..]),
                format!("{expected}\r\n")
            );
        }
        let mut session = logged_in(vec![info("u1", 10)]);
        for command in [
            Command::User("x".into()),
            Command::Pass("x".into()),
            Command::Stls,
            Command::Apop {
                user: "x".into(),
                digest: "0".repeat(32),
            },
        ] {
            assert_eq!(
                status(session.handle(command)),
                "-ERR command not valid in this state"
            );
        }
        assert_eq!(session.state_name(), "TRANSACTION");
    }

    #[test]
    fn quit_in_authorization_deletes_nothing() {
        let harness = Harness::run(b"USER karacrix\r\nQUIT\r\n");
        assert!(harness.committed.is_empty());
        assert!(harness.closed);
        assert_eq!(harness.bodies.len(), 2);
        // Nor does a session that just ends after DELE.
        let harness = Harness::run(b"USER karacrix\r\nPASS karacrix-pass\r\nDELE 1\r\nDELE 2\r\n");
        assert!(harness.committed.is_empty() && !harness.closed);
        assert_eq!(harness.bodies.len(), 2);
    }

    #[test]
    fn deleted_messages_vanish_until_rset() {
        let mut session = logged_in(vec![info("u1", 10), info("u2", 20), info("u3", 30)]);
        assert_eq!(
            status(session.handle(Command::Dele(2))),
            "+OK message 2 deleted"
        );
        assert_eq!(
            status(session.handle(Command::Dele(2))),
            "-ERR message already deleted"
        );
        assert_eq!(
            status(session.handle(Command::Dele(4))),
            "-ERR no such message"
        );
        assert_eq!(
            status(session.handle(Command::Dele(0))),
            "-ERR no such message"
        );
        assert_eq!(status(session.handle(Command::Stat)), "+OK 2 40");
        assert_eq!(
            status(session.handle(Command::Retr(2))),
            "-ERR no such message"
        );
        assert_eq!(
            status(session.handle(Command::List(Some(2)))),
            "-ERR no such message"
        );
        assert_eq!(
            status(session.handle(Command::Uidl(Some(2)))),
            "-ERR no such message"
        );
        assert_eq!(
            session.handle(Command::List(None)),
            Reply::Lines(
                Response::ok("2 messages (40 octets)"),
                vec!["1 10".into(), "3 30".into()]
            )
        );
        assert_eq!(
            session.handle(Command::Uidl(None)),
            Reply::Lines(
                Response::ok("unique-id listing follows"),
                vec!["1 u1".into(), "3 u3".into()]
            )
        );
        assert_eq!(
            status(session.handle(Command::Rset)),
            "+OK maildrop has 3 messages (60 octets)"
        );
        assert_eq!(status(session.handle(Command::Stat)), "+OK 3 60");
        assert_eq!(status(session.handle(Command::Uidl(Some(2)))), "+OK 2 u2");
        // After RSET, QUIT has nothing to commit.
        assert!(matches!(session.handle(Command::Quit), Reply::Close(_)));
        assert_eq!(session.state_name(), "CLOSED");
    }

    #[test]
    fn quit_commits_exactly_the_marked_messages() {
        let mut session = logged_in(vec![info("u1", 10), info("u2", 20), info("u3", 30)]);
        session.handle(Command::Dele(1));
        session.handle(Command::Dele(3));
        assert_eq!(
            session.handle(Command::Quit),
            Reply::Commit {
                mailbox: "karacrix@sandbox.test".into(),
                uids: vec!["u1".into(), "u3".into()]
            }
        );
        assert_eq!(session.state_name(), "UPDATE");
        assert_eq!(
            status(session.handle(Command::Noop)),
            "-ERR command not valid in this state"
        );
        let reply = session.update_result(Err(()));
        assert_eq!(
            status(reply),
            "-ERR [SYS/TEMP] some deleted messages not removed"
        );
    }

    #[test]
    fn top_with_zero_lines_sends_only_the_headers() {
        let harness =
            Harness::run(b"USER karacrix\r\nPASS karacrix-pass\r\nTOP 2 0\r\nTOP 1 0\r\n");
        let text = harness.text();
        assert!(
            text.ends_with(
                "+OK top of message follows\r\nSubject: two\r\n\r\n.\r\n\
                 +OK top of message follows\r\nSubject: one\r\n\r\n.\r\n"
            ),
            "{text}"
        );
        let mut session = logged_in(vec![info("u1", 10)]);
        assert_eq!(
            session.handle(Command::Top { msg: 1, lines: 0 }),
            Reply::Message {
                status: Response::ok("top of message follows"),
                uid: "u1".into(),
                size: 10,
                top: Some(0)
            }
        );
        assert_eq!(
            status(session.handle(Command::Top { msg: 2, lines: 0 })),
            "-ERR no such message"
        );
    }

    #[test]
    fn apop_checks_the_digest_of_the_greeting_timestamp() {
        let accounts = Accounts::training();
        let right = apop_digest(TS, "operator-pass");
        assert_eq!(right.len(), 32);
        // RFC 1939's own example.
        assert_eq!(
            apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
        let apop = |digest: &str| Credentials::Apop {
            user: "operator".into(),
            digest: digest.into(),
        };
        assert_eq!(apop(&right).verify(&accounts, TS).unwrap().user, "operator");
        assert!(
            apop(&right)
                .verify(&accounts, "<other@sandbox.test>")
                .is_none()
        );
        assert!(
            apop(&apop_digest(TS, "wrong"))
                .verify(&accounts, TS)
                .is_none()
        );

        let script = format!(
            "APOP operator {}\r\nAPOP operator {right}\r\nSTAT\r\n",
            "0".repeat(32)
        );
        let harness = Harness::run(script.as_bytes());
        let text = harness.text();
        assert!(
            text.contains("-ERR [AUTH] invalid user name or password\r\n+OK maildrop has 2"),
            "{text}"
        );
        assert!(!format!("{:?}", apop(&right)).contains(&right));
    }

    #[test]
    fn capa_advertises_stls_only_before_tls() {
        let mut session = Session::new(
            TS.into(),
            TlsState {
                available: true,
                active: false,
            },
        );
        let Reply::Lines(_, lines) = session.handle(Command::Capa) else {
            panic!("CAPA is multi-line");
        };
        for capability in [
            "TOP",
            "UIDL",
            "USER",
            "PIPELINING",
            "RESP-CODES",
            "AUTH-RESP-CODE",
        ] {
            assert!(lines.iter().any(|l| l == capability), "{capability}");
        }
        assert!(lines.iter().any(|l| l == "STLS"));
        assert!(lines.iter().any(|l| l.starts_with("IMPLEMENTATION ")));
        session.handle(Command::User("karacrix".into()));
        assert!(matches!(session.handle(Command::Stls), Reply::StartTls(_)));
        session.tls_started();
        // The USER given before TLS is forgotten.
        assert_eq!(
            status(session.handle(Command::Pass("x".into()))),
            "-ERR USER first"
        );
        let Reply::Lines(_, lines) = session.handle(Command::Capa) else {
            panic!("CAPA is multi-line");
        };
        assert!(!lines.iter().any(|l| l == "STLS"));
        assert_eq!(
            status(session.handle(Command::Stls)),
            "-ERR TLS already active"
        );
        let mut plain = Session::new(TS.into(), TlsState::default());
        assert_eq!(
            status(plain.handle(Command::Stls)),
            "-ERR STLS not available"
        );
    }

    #[test]
    fn refused_logins_return_to_authorization_with_codes() {
        let mut session = session();
        session.handle(Command::User("karacrix".into()));
        session.handle(Command::Pass("x".into()));
        assert_eq!(session.state_name(), "AUTHORIZATION");
        let reply = session.login_result(LoginOutcome::Refused(Refusal::InUse));
        assert_eq!(
            status(reply),
            "-ERR [IN-USE] mailbox is in use by another session"
        );
        assert_eq!(
            status(session.handle(Command::Pass("x".into()))),
            "-ERR USER first"
        );
        session.handle(Command::User("karacrix".into()));
        session.handle(Command::Pass("x".into()));
        let reply = session.login_result(LoginOutcome::Refused(Refusal::TempFailure));
        let Reply::Send(response) = reply else {
            panic!("a refusal is a line");
        };
        assert_eq!(response.code, Some(RespCode::SysTemp));
    }

    #[test]
    fn lock_out_after_five_failures_and_cool_down_with_an_injected_clock() {
        let accounts = Accounts::training();
        let lockout = Lockout::new(LockoutPolicy {
            max_failures: 5,
            window: Duration::from_secs(60),
            cool_down: Duration::from_secs(120),
        });
        let attacker: IpAddr = "192.0.2.7".parse().unwrap();
        let user: IpAddr = "192.0.2.8".parse().unwrap();
        let t0 = Instant::now();
        let wrong = Credentials::Password {
            user: "karacrix".into(),
            password: "guess".into(),
        };
        let right = Credentials::Password {
            user: "karacrix".into(),
            password: "karacrix-pass".into(),
        };
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        for i in 0..5 {
            assert_eq!(
                authorize(&accounts, &lockout, attacker, at(i), &wrong, TS),
                Err(Refusal::BadLogin)
            );
        }
        // Locked out: even the right password is refused, and the account is locked from
        // every address; other accounts from other addresses are not affected.
        assert_eq!(
            authorize(&accounts, &lockout, attacker, at(10), &right, TS),
            Err(Refusal::LockedOut)
        );
        assert_eq!(
            authorize(&accounts, &lockout, user, at(10), &right, TS),
            Err(Refusal::LockedOut)
        );
        let operator = Credentials::Password {
            user: "operator".into(),
            password: "operator-pass".into(),
        };
        assert!(authorize(&accounts, &lockout, user, at(10), &operator, TS).is_ok());
        assert_eq!(
            authorize(&accounts, &lockout, attacker, at(4 + 119), &right, TS),
            Err(Refusal::LockedOut)
        );
        // Cool-down over.
        assert!(authorize(&accounts, &lockout, attacker, at(4 + 120), &right, TS).is_ok());

        let mut harness = Harness::new();
        harness.lockout = lockout;
        harness.ip = attacker;
        harness.now = at(500);
        for _ in 0..5 {
            harness.feed(b"USER karacrix\r\nPASS nope\r\n");
        }
        harness.feed(b"USER karacrix\r\nPASS karacrix-pass\r\n");
        let text = harness.text();
        assert_eq!(
            text.matches("-ERR [AUTH] invalid user name or password")
                .count(),
            5
        );
        assert!(text.ends_with(
            "-ERR [AUTH] too many failed logins from your address or for this account, try again later\r\n"
        ));
    }
}
