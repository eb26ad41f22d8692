//! One SMTP session as a state machine without I/O: octets in, a [`Step`] out.
//!
//! [`Session::handle`] takes whatever the client sent (any chunking, several pipelined commands)
//! and consumes it up to the end of the next command or message; the [`Step`] says how much was
//! consumed, what to write to the protocol log, which reply to send and which [`Action`] the
//! connection must perform: deliver a message, upgrade to TLS, close. The session never touches
//! a socket or the mail store, so every rule below is tested without either.
//!
//! Rules (RFC 5321, RFC 4954 AUTH, RFC 3207 STARTTLS, RFC 1870 SIZE, RFC 2920 PIPELINING):
//! - The listener's [`SmtpPolicy`] decides what a client must do before sending: nothing, a
//!   recent POP3 login from its address (PopBeforeSmtp), or AUTH LOGIN/PLAIN; a successful AUTH
//!   satisfies PopBeforeSmtp too, as at most ISPs. STARTTLS may be off, offered or required; AUTH
//!   is offered only over TLS when TLS is required.
//! - Mail is accepted only for existing `@sandbox.test` mailboxes: any other domain is refused,
//!   so nothing ever leaves the machine.
//! - The message is bounded by the policy's `max_size`: more is read to the end and discarded,
//!   then refused with 552.
//! - A configured [`ReplyFault`] answers one stage with a chosen 4xx/5xx code.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::protocol::{self, Body, Command, DataReader, Mechanism, Reply, Trace};
// The policy enums are the wire types the trainer switches; one definition for both sides.
pub use shared::sandbox::{SmtpStage as Stage, StartTls};

use crate::mail::SecretMasker;
use crate::mail::line::{LineBuffer, LineEvent};
use crate::sandbox::accounts::{self, Accounts};
use crate::sandbox::cross_protocol;
use crate::sandbox::lockout::Lockout;
use crate::sandbox::pop_before_smtp::PopBeforeSmtp;

/// Most recipients of one message (RFC 5321 4.5.3.1.8 asks for at least 100).
pub const MAX_RECIPIENTS: usize = 100;
/// Errors a client may make before the server closes, as Postfix's `smtpd_hard_error_limit`.
pub const MAX_ERRORS: u32 = 20;
/// The default message size limit.
pub const DEFAULT_MAX_SIZE: usize = 10 * 1024 * 1024;

/// What a client must have done before the server accepts its mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Anyone may send (to sandbox addresses).
    Nothing,
    /// A POP3 login from the same address within `window` (or AUTH).
    PopBeforeSmtp {
        /// How long a POP3 login counts.
        window: Duration,
    },
    /// AUTH LOGIN or PLAIN.
    Auth,
}

/// What one listener demands of its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpPolicy {
    /// What must be done before sending.
    pub requirement: Requirement,
    /// STARTTLS.
    pub starttls: StartTls,
    /// The largest message accepted, in octets, advertised in EHLO's SIZE.
    pub max_size: usize,
}

impl Default for SmtpPolicy {
    fn default() -> Self {
        SmtpPolicy {
            requirement: Requirement::Nothing,
            starttls: StartTls::Off,
            max_size: DEFAULT_MAX_SIZE,
        }
    }
}

/// How the transcript names a stage.
fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Greeting => "greeting",
        Stage::Ehlo => "EHLO",
        Stage::Auth => "AUTH",
        Stage::Mail => "MAIL",
        Stage::Rcpt => "RCPT",
        Stage::Data => "DATA",
        Stage::EndOfData => "end of data",
    }
}

/// An error reply the server gives at one stage, as a fault injected for training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyFault {
    stage: Stage,
    code: u16,
}

/// A fault that cannot be injected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an injected SMTP error must be a 4xx or 5xx code, not {0}")]
pub struct BadFaultCode(pub u16);

impl ReplyFault {
    /// The reply `code` (400–599) at `stage`. A 421 closes the connection after the reply.
    pub fn new(stage: Stage, code: u16) -> Result<ReplyFault, BadFaultCode> {
        if (400..600).contains(&code) {
            Ok(ReplyFault { stage, code })
        } else {
            Err(BadFaultCode(code))
        }
    }

    /// The stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The reply code.
    pub fn code(&self) -> u16 {
        self.code
    }

    fn reply(&self) -> Reply {
        protocol::injected_fault(self.code, stage_name(self.stage))
    }
}

/// Everything a session needs to know about its listener and client.
#[derive(Clone)]
pub struct SessionConfig {
    /// This server's name (greeting, EHLO, `Received:`).
    pub hostname: String,
    /// The listener's policy.
    pub policy: SmtpPolicy,
    /// An injected error reply, if any.
    pub fault: Option<ReplyFault>,
    /// The client's address (PopBeforeSmtp, `Received:`).
    pub peer: IpAddr,
    /// TLS from the first octet (implicit TLS port).
    pub implicit_tls: bool,
    /// A certificate is available, so STARTTLS can be offered.
    pub tls_available: bool,
    /// Makes queue ids unique across sessions.
    pub session_id: u64,
    /// Who may log in and who has a mailbox.
    pub accounts: Accounts,
    /// The record of recent POP3 logins.
    pub pop_before_smtp: PopBeforeSmtp,
    /// Failed logins by address and account.
    pub lockout: Lockout,
}

/// The time as the session needs it: monotonic for PopBeforeSmtp, wall clock for `Received:`.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Monotonic time.
    pub now: Instant,
    /// Calendar time.
    pub wall: SystemTime,
}

impl Clock {
    /// The current time.
    pub fn now() -> Clock {
        Clock {
            now: Instant::now(),
            wall: SystemTime::now(),
        }
    }
}

/// A message to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The queue id given in the reply.
    pub id: String,
    /// The reverse path (empty for the null sender).
    pub from: String,
    /// The mailboxes (addresses of sandbox accounts), each once.
    pub mailboxes: Vec<String>,
    /// The message with its `Received:` field.
    pub message: Vec<u8>,
}

/// What the connection must do after sending the step's reply (or, for delivery, before).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Action {
    /// Nothing.
    #[default]
    None,
    /// Store the message durably before sending the reply; if that fails, send
    /// [`protocol::STORE_FAILED`] instead.
    Deliver(Delivery),
    /// Send the reply, then discard any buffered input and start the TLS handshake.
    StartTls,
    /// Send the reply, then close.
    Close,
}

/// A line for the protocol log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Log {
    /// What the client sent, masked.
    Client(String),
    /// A remark that is not on the wire.
    Note(String),
}

/// The outcome of [`Session::handle`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    /// Octets of input used; the rest is for the next call.
    pub consumed: usize,
    /// Lines for the protocol log.
    pub log: Vec<Log>,
    /// The reply to send, if one is due.
    pub reply: Option<Reply>,
    /// What to do.
    pub action: Action,
}

/// What HELO/EHLO established.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Greeted {
    helo: String,
    esmtp: bool,
}

/// One mail transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Envelope {
    from: String,
    mailboxes: Vec<String>,
    rcpt_attempts: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoginStep {
    Username,
    Password,
}

#[derive(Debug)]
enum State {
    /// Before HELO/EHLO.
    Fresh,
    /// The greeting was a 5xx: only QUIT is served (RFC 5321 3.1).
    Rejected,
    /// After HELO/EHLO, no transaction.
    Ready(Greeted),
    /// Waiting for an AUTH response line.
    AuthPlain(Greeted),
    /// Waiting for the AUTH LOGIN user name or password.
    AuthLogin {
        greeted: Greeted,
        step: LoginStep,
        user: Option<String>,
    },
    /// After MAIL FROM.
    Mail(Greeted, Envelope),
    /// Receiving the message text.
    Data(Greeted, Envelope, DataReader),
    /// The session is over; input is ignored.
    Closed,
}

/// One SMTP session.
pub struct Session {
    config: SessionConfig,
    state: State,
    lines: LineBuffer,
    tls_active: bool,
    /// The authenticated account's address.
    user: Option<String>,
    errors: u32,
    messages: u64,
    /// The time of the input being handled (for the lock-out).
    now: Instant,
    /// Masks the log's client lines, AUTH answers included.
    masker: SecretMasker,
}

impl Session {
    /// A session for a client that just connected.
    pub fn new(config: SessionConfig) -> Session {
        Session {
            tls_active: config.implicit_tls,
            config,
            state: State::Fresh,
            lines: LineBuffer::new(protocol::MAX_COMMAND_LINE),
            user: None,
            errors: 0,
            messages: 0,
            now: Instant::now(),
            masker: SecretMasker::default(),
        }
    }

    /// The greeting to send first. A 4xx fault closes; a 5xx one leaves only QUIT.
    pub fn greeting(&mut self) -> Step {
        let mut step = Step::default();
        match self.fault_at(Stage::Greeting) {
            Some(reply) if reply.code < 500 => {
                self.state = State::Closed;
                step.action = Action::Close;
                step.reply = Some(reply);
            }
            Some(reply) => {
                self.state = State::Rejected;
                step.reply = Some(reply);
            }
            None => step.reply = Some(protocol::greeting(&self.config.hostname)),
        }
        step
    }

    /// True while message text is being received (after 354, before end-of-data).
    pub fn receiving_data(&self) -> bool {
        matches!(self.state, State::Data(..))
    }

    /// True if the session has a TLS layer (implicit or after STARTTLS).
    pub fn tls_active(&self) -> bool {
        self.tls_active
    }

    /// Takes client input up to the end of the next command or message.
    pub fn handle(&mut self, input: &[u8], clock: Clock) -> Step {
        self.now = clock.now;
        if matches!(self.state, State::Closed) {
            return Step {
                consumed: input.len(),
                ..Step::default()
            };
        }
        let mut step = if let State::Data(_, _, reader) = &mut self.state {
            let (consumed, received) = reader.feed(input);
            let mut step = Step {
                consumed,
                ..Step::default()
            };
            if let Some(received) = received {
                self.end_of_data(received, clock, &mut step);
            }
            step
        } else {
            let (consumed, event) = self.lines.push(input);
            let mut step = Step {
                consumed,
                ..Step::default()
            };
            match event {
                None => {}
                Some(LineEvent::TooLong) => {
                    step.log.push(Log::Note("command line too long".into()));
                    step.reply = Some(protocol::LINE_TOO_LONG.into());
                }
                Some(LineEvent::Line(line)) => self.line(&line, clock, &mut step),
            }
            step
        };
        self.count_errors(&mut step);
        // 421 means the server is closing (RFC 5321 3.8), whatever produced it.
        if step.reply.as_ref().is_some_and(|r| r.code == 421) {
            self.state = State::Closed;
        }
        if matches!(self.state, State::Closed) && step.reply.is_some() {
            step.action = Action::Close;
        }
        step
    }

    /// A client that keeps failing is cut off, so it cannot hold the server forever.
    fn count_errors(&mut self, step: &mut Step) {
        let Some(reply) = &step.reply else { return };
        if !reply.is_error() || step.action == Action::Close {
            return;
        }
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            step.reply = Some(protocol::TOO_MANY_ERRORS.into());
            step.action = Action::Close;
            self.state = State::Closed;
        }
    }

    fn line(&mut self, line: &[u8], clock: Clock, step: &mut Step) {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::AuthPlain(greeted) => {
                step.log.push(Log::Client("****".into()));
                let reply = match decode_response(line) {
                    Err(reply) => reply,
                    Ok(payload) => self.auth_plain(&payload),
                };
                self.state = State::Ready(greeted);
                step.reply = Some(reply);
            }
            State::AuthLogin {
                greeted,
                step: login,
                user,
            } => {
                step.log.push(Log::Client("****".into()));
                match (decode_response(line), login) {
                    (Err(reply), _) => {
                        self.state = State::Ready(greeted);
                        step.reply = Some(reply);
                    }
                    (Ok(name), LoginStep::Username) => {
                        self.state = State::AuthLogin {
                            greeted,
                            step: LoginStep::Password,
                            user: Some(String::from_utf8_lossy(&name).into_owned()),
                        };
                        step.reply =
                            Some(protocol::auth_challenge(protocol::LOGIN_PASSWORD_PROMPT));
                    }
                    (Ok(password), LoginStep::Password) => {
                        let password = String::from_utf8_lossy(&password);
                        step.reply = Some(self.verify(user.as_deref().unwrap_or(""), &password));
                        self.state = State::Ready(greeted);
                    }
                }
            }
            state => {
                self.state = state;
                step.log.push(Log::Client(self.masker.mask(line)));
                if cross_protocol::is_http(line) {
                    step.log.push(Log::Note(
                        "HTTP from a browser, not SMTP: closing (cross-protocol request)".into(),
                    ));
                    step.reply = Some(protocol::NON_SMTP_COMMAND.into());
                    // `handle` turns the closed state into closing the connection.
                    self.state = State::Closed;
                    return;
                }
                step.reply = Some(match protocol::parse_command(line) {
                    Ok(command) => self.command(command, clock, step),
                    Err(e) => e.reply(),
                });
            }
        }
    }

    fn command(&mut self, command: Command, clock: Clock, step: &mut Step) -> Reply {
        if matches!(self.state, State::Rejected) {
            return if command == Command::Quit {
                self.close(step)
            } else {
                protocol::NO_SERVICE.into()
            };
        }
        match command {
            Command::Ehlo(host) => self.hello(host, true),
            Command::Helo(host) => self.hello(host, false),
            Command::Auth { mechanism, initial } => self.auth(mechanism, initial),
            Command::Mail {
                from,
                size,
                body,
                unsupported,
            } => self.mail(from, size, body, unsupported),
            Command::Rcpt(to) => self.rcpt(to, clock),
            Command::Data => self.data(),
            Command::Rset => {
                if let Some(greeted) = self.greeted().cloned() {
                    self.state = State::Ready(greeted);
                }
                protocol::OK.into()
            }
            Command::Noop => protocol::OK.into(),
            Command::Vrfy => protocol::CANNOT_VRFY.into(),
            Command::Quit => self.close(step),
            Command::StartTls => self.starttls(step),
            Command::NotImplemented => protocol::NOT_IMPLEMENTED.into(),
        }
    }

    fn close(&mut self, step: &mut Step) -> Reply {
        self.state = State::Closed;
        step.action = Action::Close;
        protocol::BYE.into()
    }

    fn greeted(&self) -> Option<&Greeted> {
        match &self.state {
            State::Ready(g)
            | State::AuthPlain(g)
            | State::AuthLogin { greeted: g, .. }
            | State::Mail(g, _)
            | State::Data(g, _, _) => Some(g),
            State::Fresh | State::Rejected | State::Closed => None,
        }
    }

    fn fault_at(&self, stage: Stage) -> Option<Reply> {
        self.config
            .fault
            .filter(|f| f.stage == stage)
            .map(|f| f.reply())
    }

    fn tls_missing(&self) -> bool {
        self.config.policy.starttls == StartTls::Required && !self.tls_active
    }

    fn starttls_offered(&self) -> bool {
        self.config.policy.starttls != StartTls::Off
            && self.config.tls_available
            && !self.tls_active
    }

    fn auth_offered(&self) -> bool {
        !self.tls_missing()
    }

    fn hello(&mut self, helo: String, esmtp: bool) -> Reply {
        if let Some(reply) = self.fault_at(Stage::Ehlo) {
            return reply;
        }
        // A new HELO/EHLO resets any transaction (RFC 5321 4.1.4) but not the login.
        self.state = State::Ready(Greeted { helo, esmtp });
        let host = &self.config.hostname;
        if !esmtp {
            return protocol::helo(host);
        }
        let mut extensions: Vec<Cow<'static, str>> = vec![
            "PIPELINING".into(),
            format!("SIZE {}", self.config.policy.max_size).into(),
        ];
        if self.starttls_offered() {
            extensions.push("STARTTLS".into());
        }
        if self.auth_offered() {
            extensions.push("AUTH LOGIN PLAIN".into());
        }
        extensions.push("ENHANCEDSTATUSCODES".into());
        extensions.push("8BITMIME".into());
        protocol::ehlo(host, &extensions)
    }

    fn auth(&mut self, mechanism: Mechanism, initial: Option<String>) -> Reply {
        let greeted = match &self.state {
            State::Ready(g) => g.clone(),
            State::Mail(..) => return protocol::TRANSACTION_IN_PROGRESS.into(),
            _ => return protocol::HELO_FIRST.into(),
        };
        if self.tls_missing() {
            return protocol::STARTTLS_FIRST.into();
        }
        if !self.auth_offered() {
            return protocol::AUTH_NOT_ENABLED.into();
        }
        if self.user.is_some() {
            return protocol::ALREADY_AUTHENTICATED.into();
        }
        if let Some(reply) = self.fault_at(Stage::Auth) {
            return reply;
        }
        match (mechanism, initial) {
            (Mechanism::Plain, None) => {
                self.state = State::AuthPlain(greeted);
                protocol::auth_challenge("")
            }
            (Mechanism::Plain, Some(initial)) => match decode_response(initial.as_bytes()) {
                Ok(payload) => self.auth_plain(&payload),
                Err(reply) => reply,
            },
            (Mechanism::Login, None) => {
                self.state = State::AuthLogin {
                    greeted,
                    step: LoginStep::Username,
                    user: None,
                };
                protocol::auth_challenge(protocol::LOGIN_USERNAME_PROMPT)
            }
            (Mechanism::Login, Some(initial)) => match decode_response(initial.as_bytes()) {
                Ok(user) => {
                    self.state = State::AuthLogin {
                        greeted,
                        step: LoginStep::Password,
                        user: Some(String::from_utf8_lossy(&user).into_owned()),
                    };
                    protocol::auth_challenge(protocol::LOGIN_PASSWORD_PROMPT)
                }
                Err(reply) => reply,
            },
            (Mechanism::Other, _) => protocol::AUTH_UNSUPPORTED.into(),
        }
    }

    /// RFC 4616: `authzid NUL authcid NUL passwd`; an authzid other than the user is refused.
    fn auth_plain(&mut self, payload: &[u8]) -> Reply {
        let mut parts = payload.split(|&b| b == 0);
        let (Some(authzid), Some(authcid), Some(password), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return protocol::AUTH_BAD_RESPONSE.into();
        };
        let (authzid, authcid) = (
            String::from_utf8_lossy(authzid),
            String::from_utf8_lossy(authcid),
        );
        let same_identity = authzid.is_empty()
            || self.config.accounts.by_user(&authzid).map(|a| a.address())
                == self.config.accounts.by_user(&authcid).map(|a| a.address());
        if !same_identity {
            return protocol::AUTH_FAILED.into();
        }
        self.verify(&authcid, &String::from_utf8_lossy(password))
    }

    /// The lock-out first (a locked-out address or account is refused whatever it presents),
    /// then the password, and the lock-out record updated; as the POP3 server does.
    fn verify(&mut self, user: &str, password: &str) -> Reply {
        let (lockout, peer, now) = (&self.config.lockout, self.config.peer, self.now);
        if lockout.is_locked(peer, user, now) {
            return protocol::AUTH_LOCKED_OUT.into();
        }
        match self.config.accounts.check_password(user, password) {
            Some(account) => {
                lockout.succeeded(peer, user);
                self.user = Some(account.address());
                protocol::AUTH_OK.into()
            }
            None => {
                lockout.failed(peer, user, now);
                protocol::AUTH_FAILED.into()
            }
        }
    }

    fn mail(
        &mut self,
        from: String,
        size: Option<usize>,
        _body: Body,
        unsupported: Option<&'static str>,
    ) -> Reply {
        let greeted = match &self.state {
            State::Ready(g) => g.clone(),
            State::Mail(..) => return protocol::NESTED_MAIL.into(),
            _ => return protocol::HELO_FIRST.into(),
        };
        if self.tls_missing() {
            return protocol::STARTTLS_FIRST.into();
        }
        if self.config.policy.requirement == Requirement::Auth && self.user.is_none() {
            return protocol::AUTH_REQUIRED.into();
        }
        if let Some(reply) = self.fault_at(Stage::Mail) {
            return reply;
        }
        if let Some(param) = unsupported {
            return protocol::unsupported_parameter(param);
        }
        if size.is_some_and(|size| size > self.config.policy.max_size) {
            return protocol::SIZE_EXCEEDED.into();
        }
        self.state = State::Mail(
            greeted,
            Envelope {
                from,
                mailboxes: Vec::new(),
                rcpt_attempts: 0,
            },
        );
        protocol::SENDER_OK.into()
    }

    fn rcpt(&mut self, to: String, clock: Clock) -> Reply {
        let allowed = self.may_send(clock);
        let fault = self.fault_at(Stage::Rcpt);
        let State::Mail(_, envelope) = &mut self.state else {
            return if self.greeted().is_some() {
                protocol::NEED_MAIL.into()
            } else {
                protocol::HELO_FIRST.into()
            };
        };
        envelope.rcpt_attempts += 1;
        if envelope.mailboxes.len() >= MAX_RECIPIENTS {
            return protocol::TOO_MANY_RECIPIENTS.into();
        }
        if let Some(reply) = fault {
            return reply;
        }
        // The sandbox treats every recipient as the ISP treats a relay: the client must have
        // met the policy, even for local mailboxes. That is what lets a trainee see "relay
        // denied" when PopBeforeSmtp was skipped, although all mail stays on the machine.
        if !allowed {
            return protocol::relay_access_denied(&to);
        }
        let Some((_, domain)) = to.rsplit_once('@') else {
            return protocol::BAD_RECIPIENT_SYNTAX.into();
        };
        if !accounts::is_local_domain(domain) {
            return protocol::relay_off_machine_denied(&to);
        }
        let Some(account) = self.config.accounts.by_address(&to) else {
            return protocol::unknown_user(&to);
        };
        let mailbox = account.address();
        if !envelope.mailboxes.contains(&mailbox) {
            envelope.mailboxes.push(mailbox);
        }
        protocol::RECIPIENT_OK.into()
    }

    fn may_send(&self, clock: Clock) -> bool {
        if self.user.is_some() {
            return true;
        }
        match self.config.policy.requirement {
            Requirement::Nothing => true,
            Requirement::PopBeforeSmtp { window } => {
                self.config
                    .pop_before_smtp
                    .allows(self.config.peer, window, clock.now)
            }
            Requirement::Auth => false,
        }
    }

    fn data(&mut self) -> Reply {
        let (greeted, envelope) = match std::mem::replace(&mut self.state, State::Closed) {
            State::Mail(greeted, envelope) => (greeted, envelope),
            other => {
                let reply = if matches!(other, State::Fresh) {
                    protocol::HELO_FIRST
                } else {
                    protocol::NEED_MAIL
                };
                self.state = other;
                return reply.into();
            }
        };
        let refusal = if envelope.rcpt_attempts == 0 {
            Some(protocol::NEED_RCPT.into())
        } else if envelope.mailboxes.is_empty() {
            Some(protocol::NO_VALID_RECIPIENTS.into())
        } else {
            self.fault_at(Stage::Data)
        };
        if let Some(reply) = refusal {
            self.state = State::Mail(greeted, envelope);
            return reply;
        }
        let reader = DataReader::new(self.config.policy.max_size);
        self.state = State::Data(greeted, envelope, reader);
        protocol::start_data()
    }

    fn end_of_data(&mut self, received: protocol::Received, clock: Clock, step: &mut Step) {
        let State::Data(greeted, envelope, _) = std::mem::replace(&mut self.state, State::Closed)
        else {
            unreachable!("end of data outside DATA");
        };
        step.log.push(Log::Note(format!(
            "message of {} octets{}",
            received.size,
            if received.too_large {
                " (over the size limit, discarded)"
            } else {
                ""
            }
        )));
        self.state = State::Ready(greeted.clone());
        let reply = if received.too_large {
            protocol::SIZE_EXCEEDED.into()
        } else if received.long_line {
            protocol::TEXT_LINE_TOO_LONG.into()
        } else if let Some(reply) = self.fault_at(Stage::EndOfData) {
            reply
        } else {
            self.messages += 1;
            let id = format!("S{}M{}", self.config.session_id, self.messages);
            let single_recipient = match envelope.mailboxes.as_slice() {
                [only] => Some(only.as_str()),
                _ => None,
            };
            let trace = protocol::received_header(&Trace {
                helo: &greeted.helo,
                peer: self.config.peer,
                host: &self.config.hostname,
                esmtp: greeted.esmtp,
                tls: self.tls_active,
                user: self.user.as_deref(),
                id: &id,
                single_recipient,
                at: clock.wall,
            });
            let mut message = trace.into_bytes();
            message.extend_from_slice(&received.body);
            let reply = protocol::queued(&id);
            step.action = Action::Deliver(Delivery {
                id,
                from: envelope.from,
                mailboxes: envelope.mailboxes,
                message,
            });
            reply
        };
        step.reply = Some(reply);
    }

    fn starttls(&mut self, step: &mut Step) -> Reply {
        if self.tls_active {
            return protocol::TLS_ALREADY_ACTIVE.into();
        }
        if !self.starttls_offered() {
            return protocol::NOT_IMPLEMENTED.into();
        }
        if matches!(self.state, State::Mail(..)) {
            return protocol::TRANSACTION_IN_PROGRESS.into();
        }
        // RFC 3207 4.2: forget everything learnt in plaintext, the client starts over with EHLO.
        self.state = State::Fresh;
        self.user = None;
        self.lines.clear();
        self.tls_active = true;
        step.action = Action::StartTls;
        protocol::READY_FOR_TLS.into()
    }
}

/// Decodes an AUTH response line: base64, or `*` to cancel (RFC 4954 4).
fn decode_response(line: &[u8]) -> Result<Vec<u8>, Reply> {
    match line {
        b"*" => Err(protocol::AUTH_ABORTED.into()),
        b"=" => Ok(Vec::new()),
        _ => BASE64
            .decode(line)
            .map_err(|_| protocol::AUTH_BAD_RESPONSE.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(policy: SmtpPolicy) -> SessionConfig {
        SessionConfig {
            hostname: "mail.sandbox.test".into(),
            policy,
            fault: None,
            peer: "127.0.0.2".parse().unwrap(),
            implicit_tls: false,
            tls_available: true,
            session_id: 7,
            accounts: Accounts::training(),
            pop_before_smtp: PopBeforeSmtp::default(),
            lockout: Lockout::default(),
        }
    }

    fn clock() -> Clock {
        Clock {
            now: Instant::now(),
            wall: SystemTime::UNIX_EPOCH,
        }
    }

    /// Everything the session produced for a script: replies and actions in order.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct Run {
        replies: Vec<String>,
        deliveries: Vec<Delivery>,
        log: Vec<Log>,
        tls_upgrades: usize,
        closed: bool,
    }

    impl Run {
        fn codes(&self) -> Vec<String> {
            self.replies
                .iter()
                .map(|r| r.split('\r').next().unwrap().chars().take(9).collect())
                .collect()
        }
    }

    /// Feeds `script` in chunks of `chunk` octets, the way a socket might deliver it.
    fn run_chunked(session: &mut Session, script: &[u8], chunk: usize) -> Run {
        let mut run = Run::default();
        let greeting = session.greeting();
        run.replies.push(greeting.reply.unwrap().to_wire());
        for piece in script.chunks(chunk) {
            let mut rest = piece;
            while !rest.is_empty() {
                let step = session.handle(rest, clock());
                assert!(step.consumed > 0 || rest.is_empty());
                rest = &rest[step.consumed..];
                run.log.extend(step.log);
                if let Some(reply) = step.reply {
                    run.replies.push(reply.to_wire());
                }
                match step.action {
                    Action::Deliver(d) => run.deliveries.push(d),
                    Action::StartTls => run.tls_upgrades += 1,
                    Action::Close => run.closed = true,
                    Action::None => {}
                }
            }
        }
        run
    }

    fn run(policy: SmtpPolicy, script: &str) -> Run {
        run_chunked(&mut Session::new(config(policy)), script.as_bytes(), 4096)
    }

    fn auth_policy() -> SmtpPolicy {
        SmtpPolicy {
            requirement: Requirement::Auth,
            ..SmtpPolicy::default()
        }
    }

    const SEND: &str = "EHLO pc\r\nMAIL FROM:<karacrix@sandbox.test>\r\nRCPT TO:<operator@sandbox.test>\r\nDATA\r\nSubject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n";

    #[test]
    fn a_plain_session_delivers_with_a_trace_field() {
        let run = run(SmtpPolicy::default(), SEND);
        assert_eq!(
            run.codes(),
            [
                "220 mail.",
                "250-mail.",
                "250 2.1.0",
                "250 2.1.5",
                "354 End d",
                "250 2.0.0",
                "221 2.0.0"
            ]
        );
        assert_eq!(
            run.replies[1],
            "250-mail.sandbox.test\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-AUTH LOGIN PLAIN\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"
        );
        assert!(run.closed);
        let [delivery] = run.deliveries.as_slice() else {
            panic!("one delivery expected: {run:?}")
        };
        assert_eq!(delivery.mailboxes, ["operator@sandbox.test"]);
        assert_eq!(delivery.from, "karacrix@sandbox.test");
        assert_eq!(
            run.replies[5],
            format!("250 2.0.0 Ok: queued as {}\r\n", delivery.id)
        );
        let text = String::from_utf8(delivery.message.clone()).unwrap();
        assert!(text.starts_with("Received: from pc ([127.0.0.2])\r\n\tby mail.sandbox.test"));
        assert!(
            text.contains("with ESMTP id S7M1\r\n\tfor <operator@sandbox.test>; Thu, 01 Jan 1970")
        );
        assert!(text.ends_with("+0000\r\nSubject: hi\r\n\r\n.dot\r\n"));
        assert!(run.log.contains(&Log::Note("message of 21 octets".into())));
        // The body is not in the log line by line.
        assert!(
            !run.log
                .iter()
                .any(|l| matches!(l, Log::Client(c) if c.contains("dot")))
        );
    }

    #[test]
    fn any_chunking_gives_the_same_replies() {
        let script = [
            "EHLO pc\r\n",
            "AUTH PLAIN AGthcmFjcml4AGthcmFjcml4LXBhc3M=\r\n",
            "MAIL FROM:<karacrix@sandbox.test> SIZE=100\r\nRCPT TO:<operator@sandbox.test>\r\n",
            "RCPT TO:<ghost@sandbox.test>\r\nRCPT TO:<x@example.com>\r\nDATA\r\n",
            "line\r\n..stuffed\r\n.\r\nRSET\r\nNOOP\r\nVRFY operator\r\n",
            "AUTH LOGIN\r\nRCPT TO:<operator@sandbox.test>\r\nMAIL FROM:<a@b.test>\r\n",
            "MAIL FROM:<a@b.test>\r\nDATA\r\nQUIT\r\n",
        ]
        .concat();
        let policy = SmtpPolicy {
            max_size: 1000,
            ..auth_policy()
        };
        let reference = run_chunked(&mut Session::new(config(policy)), script.as_bytes(), 4096);
        assert_eq!(
            reference.codes(),
            [
                "220 mail.",
                "250-mail.",
                "235 2.7.0",
                "250 2.1.0",
                "250 2.1.5",
                "550 5.1.1",
                "550 5.7.1",
                "354 End d",
                "250 2.0.0",
                "250 2.0.0",
                "250 2.0.0",
                "252 2.0.0",
                "503 5.5.1",
                "503 5.5.1",
                "250 2.1.0",
                "503 5.5.1",
                "503 5.5.1",
                "221 2.0.0"
            ]
        );
        assert_eq!(reference.deliveries.len(), 1);
        for chunk in 1..=64 {
            let run = run_chunked(&mut Session::new(config(policy)), script.as_bytes(), chunk);
            assert_eq!(run, reference, "chunk size {chunk}");
        }
    }

    #[test]
    fn out_of_order_commands_get_503() {
        let run = run(
            SmtpPolicy::default(),
            "MAIL FROM:<a@b.test>\r\nRCPT TO:<operator@sandbox.test>\r\nDATA\r\nAUTH PLAIN\r\nEHLO pc\r\nRCPT TO:<operator@sandbox.test>\r\nDATA\r\nMAIL FROM:<a@b.test>\r\nMAIL FROM:<a@b.test>\r\nDATA\r\nAUTH LOGIN\r\n",
        );
        assert_eq!(
            run.replies[1..]
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            [
                "503 5.5.1 Error: send HELO/EHLO first\r\n",
                "503 5.5.1 Error: send HELO/EHLO first\r\n",
                "503 5.5.1 Error: send HELO/EHLO first\r\n",
                "503 5.5.1 Error: send HELO/EHLO first\r\n",
                &run.replies[5],
                "503 5.5.1 Error: need MAIL command\r\n",
                "503 5.5.1 Error: need MAIL command\r\n",
                "250 2.1.0 Ok\r\n",
                "503 5.5.1 Error: nested MAIL command\r\n",
                "503 5.5.1 Error: need RCPT command\r\n",
                "503 5.5.1 Error: MAIL transaction in progress\r\n",
            ]
        );
    }

    #[test]
    fn auth_required_refuses_mail_until_login() {
        let run = run(
            auth_policy(),
            "EHLO pc\r\nMAIL FROM:<karacrix@sandbox.test>\r\nAUTH PLAIN AGthcmFjcml4AHdyb25n\r\nAUTH LOGIN\r\na2FyYWNyaXg=\r\na2FyYWNyaXgtcGFzcw==\r\nMAIL FROM:<karacrix@sandbox.test>\r\nRCPT TO:<operator@sandbox.test>\r\nAUTH LOGIN\r\n",
        );
        assert_eq!(
            run.codes()[2..],
            [
                "530 5.7.0",
                "535 5.7.8",
                "334 VXNlc",
                "334 UGFzc",
                "235 2.7.0",
                "250 2.1.0",
                "250 2.1.5",
                "503 5.5.1"
            ]
        );
        assert_eq!(run.replies[2], "530 5.7.0 Authentication required\r\n");
        // Payloads never reach the log.
        let logged: Vec<_> = run.log.iter().collect();
        assert!(logged.contains(&&Log::Client("AUTH PLAIN ****".into())));
        assert_eq!(
            logged
                .iter()
                .filter(|l| ***l == Log::Client("****".into()))
                .count(),
            2
        );
        assert!(!format!("{logged:?}").contains("a2FyYWNyaXg"));
    }

    #[test]
    fn credentials_sent_after_a_refused_auth_are_masked_too() {
        let policy = SmtpPolicy {
            starttls: StartTls::Required,
            requirement: Requirement::Auth,
            ..SmtpPolicy::default()
        };
        // AUTH is refused before STARTTLS; a client that does not wait sends its answers anyway.
        let run = run(
            policy,
            "EHLO pc\r\nAUTH LOGIN\r\na2FyYWNyaXg=\r\na2FyYWNyaXgtcGFzcw==\r\nAUTH PLAIN\r\nAGthcmFjcml4AGthcmFjcml4LXBhc3M=\r\nQUIT\r\n",
        );
        assert_eq!(run.codes()[2], "530 5.7.0");
        let logged = format!("{:?}", run.log);
        for secret in ["a2FyYWNyaXg", "AGthcmFjcml4"] {
            assert!(!logged.contains(secret), "{logged}");
        }
        assert!(run.log.contains(&Log::Client("QUIT".into())), "{logged}");
    }

    #[test]
    fn auth_variants() {
        // PLAIN with the response on the next line, LOGIN with the user name up front,
        // cancelling, bad base64, an authzid for someone else, an unknown mechanism.
        let cases = [
            (
                "AUTH PLAIN\r\nAGthcmFjcml4AGthcmFjcml4LXBhc3M=\r\n",
                vec!["334 ", "235 2.7.0"],
            ),
            (
                "AUTH LOGIN a2FyYWNyaXg=\r\na2FyYWNyaXgtcGFzcw==\r\n",
                vec!["334 UGFzc", "235 2.7.0"],
            ),
            ("AUTH LOGIN\r\n*\r\n", vec!["334 VXNlc", "501 5.7.0"]),
            ("AUTH PLAIN !!!\r\n", vec!["501 5.5.2"]),
            // authzid operator, authcid karacrix
            (
                "AUTH PLAIN b3BlcmF0b3IAa2FyYWNyaXgAa2FyYWNyaXgtcGFzcw==\r\n",
                vec!["535 5.7.8"],
            ),
            ("AUTH CRAM-MD5\r\n", vec!["504 5.5.4"]),
        ];
        for (script, expected) in cases {
            let run = run(SmtpPolicy::default(), &format!("EHLO pc\r\n{script}"));
            let codes: Vec<String> = run.codes()[2..].to_vec();
            let expected: Vec<String> = expected
                .iter()
                .map(|e| e.chars().take(9).collect())
                .collect();
            assert_eq!(codes, expected, "{script}");
        }
    }

    #[test]
    fn failed_auth_locks_out_address_and_account_across_sessions() {
        let lockout = Lockout::default();
        let session = |peer: &str| {
            let mut config = config(SmtpPolicy::default());
            config.peer = peer.parse().unwrap();
            config.lockout = lockout.clone();
            Session::new(config)
        };
        // karacrix / wrong, then karacrix / karacrix-pass, as AUTH PLAIN.
        let wrong = "EHLO pc\r\nAUTH PLAIN AGthcmFjcml4AHdyb25n\r\nQUIT\r\n";
        let right = "EHLO pc\r\nAUTH PLAIN AGthcmFjcml4AGthcmFjcml4LXBhc3M=\r\nQUIT\r\n";
        for _ in 0..5 {
            let run = run_chunked(&mut session("127.0.0.5"), wrong.as_bytes(), 4096);
            assert_eq!(run.codes()[2], "535 5.7.8");
        }
        // The right password is refused now, from that address and for that account anywhere.
        for peer in ["127.0.0.5", "127.0.0.6"] {
            let run = run_chunked(&mut session(peer), right.as_bytes(), 4096);
            assert_eq!(run.codes()[2], "454 4.7.0", "{peer}");
        }
        // operator / operator-pass from another address is not affected.
        let operator = "EHLO pc\r\nAUTH PLAIN AG9wZXJhdG9yAG9wZXJhdG9yLXBhc3M=\r\n";
        let run = run_chunked(&mut session("127.0.0.6"), operator.as_bytes(), 4096);
        assert_eq!(run.codes()[2], "235 2.7.0");
    }

    #[test]
    fn pop_before_smtp_is_checked_at_rcpt() {
        let policy = SmtpPolicy {
            requirement: Requirement::PopBeforeSmtp {
                window: Duration::from_secs(300),
            },
            ..SmtpPolicy::default()
        };
        let script =
            "EHLO pc\r\nMAIL FROM:<karacrix@sandbox.test>\r\nRCPT TO:<operator@sandbox.test>\r\n";
        let refused = run(policy, script);
        assert_eq!(
            refused.replies[3],
            "554 5.7.1 <operator@sandbox.test>: Relay access denied\r\n"
        );

        let mut config = config(policy);
        config.pop_before_smtp.record(config.peer, Instant::now());
        let accepted = run_chunked(&mut Session::new(config.clone()), script.as_bytes(), 4096);
        assert_eq!(accepted.codes()[3], "250 2.1.5");

        // Another loopback address did not log in.
        config.peer = "127.0.0.3".parse().unwrap();
        let other = run_chunked(&mut Session::new(config), script.as_bytes(), 4096);
        assert_eq!(other.codes()[3], "554 5.7.1");

        // AUTH counts as well.
        let authed = run(
            policy,
            "EHLO pc\r\nAUTH PLAIN AGthcmFjcml4AGthcmFjcml4LXBhc3M=\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<operator@sandbox.test>\r\n",
        );
        assert_eq!(authed.codes()[4], "250 2.1.5");
    }

    #[test]
    fn only_existing_sandbox_mailboxes_receive_mail() {
        let run = run(
            SmtpPolicy::default(),
            "EHLO pc\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<someone@example.com>\r\nRCPT TO:<ghost@sandbox.test>\r\nRCPT TO:<postmaster>\r\nDATA\r\nRCPT TO:<OPERATOR@Sandbox.Test>\r\nRCPT TO:<operator@sandbox.test>\r\nDATA\r\nx\r\n.\r\n",
        );
        assert_eq!(
            run.replies[3],
            "550 5.7.1 <someone@example.com>: Relay access denied: the sandbox delivers only to its own domain\r\n"
        );
        assert_eq!(
            run.replies[4],
            "550 5.1.1 <ghost@sandbox.test>: Recipient address rejected: User unknown in virtual mailbox table\r\n"
        );
        assert_eq!(
            run.codes()[5..],
            [
                "501 5.1.3",
                "554 5.5.1",
                "250 2.1.5",
                "250 2.1.5",
                "354 End d",
                "250 2.0.0"
            ]
        );
        // The same mailbox twice gets one copy.
        assert_eq!(run.deliveries[0].mailboxes, ["operator@sandbox.test"]);
    }

    #[test]
    fn starttls_required_gates_mail_and_auth_until_upgrade() {
        let policy = SmtpPolicy {
            starttls: StartTls::Required,
            requirement: Requirement::Auth,
            ..SmtpPolicy::default()
        };
        let mut session = Session::new(config(policy));
        // Pipelined plaintext after STARTTLS is not consumed by the STARTTLS step.
        let run = run_chunked(
            &mut session,
            b"EHLO pc\r\nAUTH LOGIN\r\nMAIL FROM:<a@b.test>\r\nSTARTTLS\r\n",
            4096,
        );
        assert_eq!(run.codes()[2..], ["530 5.7.0", "530 5.7.0", "220 2.0.0"]);
        assert_eq!(
            run.replies[2],
            "530 5.7.0 Must issue a STARTTLS command first\r\n"
        );
        assert!(!run.replies[1].contains("AUTH") && run.replies[1].contains("STARTTLS"));
        assert_eq!(run.tls_upgrades, 1);

        let step = session.handle(b"STARTTLS\r\nEHLO injected\r\n", clock());
        assert_eq!(step.consumed, 10);
        assert_eq!(step.reply.unwrap().code, 554);

        // After the upgrade: EHLO again, AUTH now offered, STARTTLS no longer.
        let mut replies = Vec::new();
        let mut input: &[u8] =
            b"EHLO pc\r\nAUTH PLAIN AGthcmFjcml4AGthcmFjcml4LXBhc3M=\r\nMAIL FROM:<a@b.test>\r\n";
        while !input.is_empty() {
            let step = session.handle(input, clock());
            input = &input[step.consumed..];
            replies.extend(step.reply);
        }
        assert!(replies[0].lines.iter().any(|l| l == "AUTH LOGIN PLAIN"));
        assert!(!replies[0].lines.iter().any(|l| l == "STARTTLS"));
        assert_eq!(replies[1].code, 235);
        assert_eq!(replies[2].code, 250);
    }

    #[test]
    fn starttls_discards_the_login_and_partial_lines() {
        let mut session = Session::new(config(SmtpPolicy {
            starttls: StartTls::Offered,
            ..SmtpPolicy::default()
        }));
        session.greeting();
        let step = session.handle(b"EHLO pc\r\n", clock());
        assert_eq!(step.reply.unwrap().code, 250);
        let step = session.handle(b"AUTH PLAIN AGthcmFjcml4AGthcmFjcml4LXBhc3M=\r\n", clock());
        assert_eq!(step.reply.unwrap().code, 235);
        let step = session.handle(b"STARTTLS\r\n", clock());
        assert_eq!(step.action, Action::StartTls);
        assert!(session.tls_active());
        // Not greeted any more, not logged in any more.
        let step = session.handle(b"MAIL FROM:<a@b.test>\r\n", clock());
        assert_eq!(
            step.reply.unwrap().lines[0],
            "5.5.1 Error: send HELO/EHLO first"
        );
    }

    #[test]
    fn starttls_off_or_without_certificate_is_not_offered() {
        let off = run(SmtpPolicy::default(), "EHLO pc\r\n");
        let mut config_no_cert = config(SmtpPolicy {
            starttls: StartTls::Offered,
            ..SmtpPolicy::default()
        });
        config_no_cert.tls_available = false;
        let mut session = Session::new(config_no_cert);
        let no_cert = run_chunked(&mut session, b"EHLO pc\r\nSTARTTLS\r\n", 4096);
        let off_policy = SmtpPolicy {
            starttls: StartTls::Off,
            ..SmtpPolicy::default()
        };
        let off_starttls = run(off_policy, "STARTTLS\r\n");
        assert!(!off.replies[1].contains("STARTTLS"));
        assert!(!no_cert.replies[1].contains("STARTTLS"));
        assert_eq!(no_cert.codes()[2], "502 5.5.1");
        assert_eq!(off_starttls.codes()[1], "502 5.5.1");
    }

    #[test]
    fn size_limit_is_advertised_and_enforced() {
        let policy = SmtpPolicy {
            max_size: 100,
            ..SmtpPolicy::default()
        };
        let big = "x".repeat(90);
        let script = format!(
            "EHLO pc\r\nMAIL FROM:<a@b.test> SIZE=101\r\nMAIL FROM:<a@b.test> SIZE=50\r\nRCPT TO:<operator@sandbox.test>\r\nDATA\r\n{big}\r\n{big}\r\n.\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<operator@sandbox.test>\r\nDATA\r\nsmall\r\n.\r\n"
        );
        let run = run(policy, &script);
        assert!(run.replies[1].contains("250-SIZE 100\r\n"));
        assert_eq!(
            run.replies[2],
            "552 5.3.4 Message size exceeds fixed limit\r\n"
        );
        assert_eq!(
            run.codes()[3..],
            [
                "250 2.1.0",
                "250 2.1.5",
                "354 End d",
                "552 5.3.4",
                "250 2.1.0",
                "250 2.1.5",
                "354 End d",
                "250 2.0.0"
            ]
        );
        assert_eq!(run.deliveries.len(), 1);
        assert!(run.deliveries[0].message.ends_with(b"\r\nsmall\r\n"));
    }

    #[test]
    fn bad_lines_are_refused_and_the_session_goes_on() {
        let long = "NOOP ".to_string() + &"x".repeat(10_000);
        let script = format!("EHLO pc\r\n{long}\r\nNOOP \0\r\nHELP\r\nBOGUS\r\nNOOP\r\n");
        let run = run(SmtpPolicy::default(), &script);
        assert_eq!(
            run.replies[2..],
            [
                "500 5.5.2 Error: line too long\r\n",
                "500 5.5.2 Error: NUL character in command line\r\n",
                "502 5.5.1 Error: command not implemented\r\n",
                "502 5.5.2 Error: command not recognized\r\n",
                "250 2.0.0 Ok\r\n"
            ]
        );
        let long_text = format!(
            "EHLO pc\r\nMAIL FROM:<>\r\nRCPT TO:<operator@sandbox.test>\r\nDATA\r\n{}\r\n.\r\n",
            "y".repeat(1200)
        );
        let run = run_chunked(
            &mut Session::new(config(SmtpPolicy::default())),
            long_text.as_bytes(),
            4096,
        );
        assert_eq!(run.codes().last().unwrap(), "500 5.5.2");
        assert!(run.deliveries.is_empty());
    }

    #[test]
    fn a_browser_request_closes_the_session_at_its_first_line() {
        // What a page's form POST to the SMTP port sends: nothing after the request line runs.
        let post = "POST / HTTP/1.1\r\nHost: 127.0.0.1:2525\r\n\r\nEHLO x\r\nMAIL FROM:<>\r\n";
        let run = run(SmtpPolicy::default(), post);
        assert_eq!(run.codes()[1..], ["221 2.7.0"]);
        assert!(run.closed);
        // A header line in command position (the request line lost in a proxy) does the same,
        // also in the middle of a session.
        let run = run_chunked(
            &mut Session::new(config(SmtpPolicy::default())),
            b"EHLO pc\r\nUser-Agent: Mozilla/5.0\r\nNOOP\r\n",
            3,
        );
        assert_eq!(run.codes().last().unwrap(), "221 2.7.0");
        assert!(run.closed);
    }

    #[test]
    fn too_many_errors_close_the_session() {
        let run = run(SmtpPolicy::default(), &"BOGUS\r\n".repeat(25));
        assert_eq!(run.replies.len(), 1 + MAX_ERRORS as usize);
        assert_eq!(
            run.replies.last().unwrap(),
            "421 4.7.0 Error: too many errors\r\n"
        );
        assert!(run.closed);
    }

    #[test]
    fn faults_answer_their_stage_with_their_code() {
        let script = "EHLO pc\r\nAUTH PLAIN AGthcmFjcml4AGthcmFjcml4LXBhc3M=\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<operator@sandbox.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n";
        let cases = [
            (Stage::Ehlo, 554, 1),
            (Stage::Auth, 454, 2),
            (Stage::Mail, 451, 3),
            (Stage::Rcpt, 550, 4),
            (Stage::Data, 452, 5),
            (Stage::EndOfData, 554, 6),
        ];
        for (stage, code, index) in cases {
            let mut config = config(auth_policy());
            config.fault = Some(ReplyFault::new(stage, code).unwrap());
            let run = run_chunked(&mut Session::new(config), script.as_bytes(), 4096);
            assert_eq!(
                run.replies[index].get(..3),
                Some(code.to_string().as_str()),
                "{stage:?}: {run:?}"
            );
            assert!(run.deliveries.is_empty(), "{stage:?}");
        }

        // A 421 greeting closes; a 554 greeting leaves only QUIT.
        let mut config421 = config(SmtpPolicy::default());
        config421.fault = Some(ReplyFault::new(Stage::Greeting, 421).unwrap());
        let mut session = Session::new(config421);
        let step = session.greeting();
        assert_eq!(
            (step.reply.unwrap().code, step.action),
            (421, Action::Close)
        );

        let mut config554 = config(SmtpPolicy::default());
        config554.fault = Some(ReplyFault::new(Stage::Greeting, 554).unwrap());
        let run = run_chunked(&mut Session::new(config554), b"EHLO pc\r\nQUIT\r\n", 4096);
        assert_eq!(run.codes(), ["554 5.3.0", "503 5.5.1", "221 2.0.0"]);

        // A 421 at MAIL closes after the reply.
        let mut config = config(SmtpPolicy::default());
        config.fault = Some(ReplyFault::new(Stage::Mail, 421).unwrap());
        let run = run_chunked(&mut Session::new(config), script.as_bytes(), 4096);
        assert!(run.closed);
        assert_eq!(run.replies.len(), 4);

        assert_eq!(ReplyFault::new(Stage::Mail, 250), Err(BadFaultCode(250)));
    }
}
