//! The SMTP wire format, without state or I/O: command lines in, replies out.
//!
//! - Command lines are framed by the shared [`crate::mail::line::LineBuffer`], bounded by
//!   [`MAX_COMMAND_LINE`] octets (RFC 5321 4.5.3.1.4); longer lines are discarded and reported.
//! - [`parse_command`] turns one line into a [`Command`]; the grammar work (addresses, ESMTP
//!   parameters, AUTH mechanisms) is done by the `smtp-proto` crate, this module narrows its
//!   result to what the sandbox serves.
//! - [`DataReader`] receives the message after DATA: end-of-data on `CRLF.CRLF` only (a bare LF
//!   never ends it, so a message cannot smuggle a second one), dot-unstuffing (RFC 5321 4.5.2)
//!   after CRLF, bare LF stored as CRLF, at most `limit` octets kept while the rest is read and discarded.
//! - [`Reply`] and the catalogue below it: every reply the server can send, with its RFC 3463
//!   enhanced status code, is a named item here.
//! - [`received_header`]: the `Received:` trace field (RFC 5321 4.4, RFC 3848 protocol names).

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use smtp_proto::{Error as ProtoError, Request};

use crate::mail::clock;

/// Longest command line, CRLF included (RFC 5321 4.5.3.1.4).
pub const MAX_COMMAND_LINE: usize = 512;
/// Longest text line of a message, CRLF included (RFC 5321 4.5.3.1.6).
pub const MAX_TEXT_LINE: usize = 1000;

/// An AUTH mechanism named by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// RFC 4616.
    Plain,
    /// The de-facto LOGIN mechanism (draft-murchison-sasl-login).
    Login,
    /// Anything else; not offered.
    Other,
}

/// The BODY parameter of MAIL FROM (RFC 6152).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Body {
    /// Not given or `7BIT`.
    #[default]
    SevenBit,
    /// `8BITMIME`.
    EightBitMime,
}

/// One command the sandbox understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `EHLO domain`.
    Ehlo(String),
    /// `HELO domain`.
    Helo(String),
    /// `AUTH mechanism [initial-response]`; `=` as initial response means an empty one.
    Auth {
        /// The mechanism.
        mechanism: Mechanism,
        /// The base64 initial response, if given.
        initial: Option<String>,
    },
    /// `MAIL FROM:<address> [SIZE=n] [BODY=…]`.
    Mail {
        /// The reverse path, empty for the null sender.
        from: String,
        /// The declared size, if given.
        size: Option<usize>,
        /// The body type.
        body: Body,
        /// An ESMTP parameter that was not advertised (SMTPUTF8, BINARYMIME, REQUIRETLS).
        unsupported: Option<&'static str>,
    },
    /// `RCPT TO:<address>`.
    Rcpt(String),
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `VRFY`: answered with 252, never reveals who exists.
    Vrfy,
    /// A known SMTP command the sandbox does not offer (EXPN, HELP, BDAT, ETRN, …).
    NotImplemented,
}

/// Why a command line could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not an SMTP command.
    Unknown,
    /// The line contains a NUL octet.
    Nul,
    /// The command's syntax, for the reply.
    Syntax(&'static str),
    /// A malformed reverse path.
    BadSender,
    /// A malformed forward path.
    BadRecipient,
    /// A malformed parameter value.
    BadParameter(&'static str),
    /// A parameter that is not supported.
    UnsupportedParameter(String),
}

impl ParseError {
    /// The reply this error calls for.
    pub fn reply(&self) -> Reply {
        match self {
            ParseError::Unknown => UNKNOWN_COMMAND.into(),
            ParseError::Nul => NUL_IN_COMMAND.into(),
            ParseError::Syntax(syntax) => syntax_error(syntax),
            ParseError::BadSender => BAD_SENDER_SYNTAX.into(),
            ParseError::BadRecipient => BAD_RECIPIENT_SYNTAX.into(),
            ParseError::BadParameter(param) => bad_parameter(param),
            ParseError::UnsupportedParameter(param) => unsupported_parameter(param),
        }
    }
}

/// Parses one command line (without its line ending).
pub fn parse_command(line: &[u8]) -> Result<Command, ParseError> {
    if line.contains(&0) {
        return Err(ParseError::Nul);
    }
    let mut framed = Vec::with_capacity(line.len() + 2);
    framed.extend_from_slice(line);
    framed.extend_from_slice(b"\r\n");
    let request = Request::parse(&mut framed.iter()).map_err(|e| match e {
        ProtoError::UnknownCommand => ParseError::Unknown,
        ProtoError::InvalidSenderAddress => ParseError::BadSender,
        ProtoError::InvalidRecipientAddress => ParseError::BadRecipient,
        ProtoError::SyntaxError { syntax } => ParseError::Syntax(syntax),
        ProtoError::InvalidParameter { param } => ParseError::BadParameter(param),
        ProtoError::UnsupportedParameter { param } => ParseError::UnsupportedParameter(param),
        // The line is complete, so anything else is malformed input.
        _ => ParseError::Unknown,
    })?;
    Ok(match request {
        Request::Ehlo { host } => Command::Ehlo(host.into_owned()),
        Request::Helo { host } => Command::Helo(host.into_owned()),
        Request::Auth {
            mechanism,
            initial_response,
        } => Command::Auth {
            mechanism: match mechanism {
                smtp_proto::AUTH_PLAIN => Mechanism::Plain,
                smtp_proto::AUTH_LOGIN => Mechanism::Login,
                _ => Mechanism::Other,
            },
            initial: (!initial_response.is_empty()).then(|| initial_response.into_owned()),
        },
        Request::Mail { from } => {
            let unsupported = if from.flags & smtp_proto::MAIL_SMTPUTF8 != 0 {
                Some("SMTPUTF8")
            } else if from.flags & smtp_proto::MAIL_BODY_BINARYMIME != 0 {
                Some("BODY=BINARYMIME")
            } else if from.flags & smtp_proto::MAIL_REQUIRETLS != 0 {
                Some("REQUIRETLS")
            } else {
                None
            };
            Command::Mail {
                // SIZE=0 is what the parser reports for "not given"; a declared 0 means the
                // same to us.
                size: (from.size != 0).then_some(from.size),
                body: if from.flags & smtp_proto::MAIL_BODY_8BITMIME != 0 {
                    Body::EightBitMime
                } else {
                    Body::SevenBit
                },
                unsupported,
                from: from.address.into_owned(),
            }
        }
        Request::Rcpt { to } => {
            if to.address.is_empty() {
                return Err(ParseError::BadRecipient);
            }
            Command::Rcpt(to.address.into_owned())
        }
        Request::Data => Command::Data,
        Request::Rset => Command::Rset,
        Request::Noop { .. } => Command::Noop,
        Request::Quit => Command::Quit,
        Request::StartTls => Command::StartTls,
        Request::Vrfy { .. } => Command::Vrfy,
        Request::Lhlo { .. }
        | Request::Bdat { .. }
        | Request::Expn { .. }
        | Request::Help { .. }
        | Request::Etrn { .. }
        | Request::Atrn { .. }
        | Request::Burl { .. } => Command::NotImplemented,
    })
}

// ---------------------------------------------------------------------------------------------
// Message data

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataState {
    /// At the start of a line.
    LineStart,
    /// Inside a line.
    InLine,
    /// A CR inside a line, not yet known to end it; not yet stored.
    Cr,
    /// A `.` at the start of a line; not yet stored.
    Dot,
    /// `.` CR at the start of a line: end-of-data if LF follows.
    DotCr,
}

/// Receives the message text after DATA, incrementally and within a size limit.
#[derive(Debug)]
pub struct DataReader {
    body: Vec<u8>,
    limit: usize,
    /// Octets of message text seen, stored or not.
    seen: u64,
    state: DataState,
    line_len: usize,
    long_line: bool,
}

/// A message received up to its end-of-data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The message, unstuffed, lines ending in CRLF; empty if it was too large.
    pub body: Vec<u8>,
    /// Octets of message text received (after unstuffing), including any that were discarded.
    pub size: u64,
    /// More than the limit arrived; the text was discarded.
    pub too_large: bool,
    /// A line was longer than [`MAX_TEXT_LINE`].
    pub long_line: bool,
}

impl DataReader {
    /// A reader that keeps at most `limit` octets.
    pub fn new(limit: usize) -> Self {
        DataReader {
            // Grows with the message; never beyond `limit`.
            body: Vec::new(),
            limit,
            seen: 0,
            state: DataState::LineStart,
            line_len: 0,
            long_line: false,
        }
    }

    /// Octets of message text seen so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Reads message text from `input`. Returns how many octets were taken and, once the
    /// end-of-data line has been read, the message. Octets after it are not taken.
    pub fn feed(&mut self, input: &[u8]) -> (usize, Option<Received>) {
        let mut i = 0;
        while i < input.len() {
            if self.state == DataState::InLine {
                // Inside a line only CR and LF matter: take the octets up to them at once.
                let run = input[i..]
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(input.len() - i);
                if run > 0 {
                    self.store_run(&input[i..i + run]);
                    i += run;
                    continue;
                }
            }
            let b = input[i];
            i += 1;
            if self.step(b) {
                let too_large = self.seen > self.limit as u64;
                let received = Received {
                    body: if too_large {
                        Vec::new()
                    } else {
                        std::mem::take(&mut self.body)
                    },
                    size: self.seen,
                    too_large,
                    long_line: self.long_line,
                };
                return (i, Some(received));
            }
        }
        (input.len(), None)
    }

    /// One octet; true at the end of data.
    fn step(&mut self, b: u8) -> bool {
        match (self.state, b) {
            (DataState::LineStart, b'.') => self.state = DataState::Dot,
            (DataState::Dot, b'\r') => self.state = DataState::DotCr,
            (DataState::DotCr, b'\n') => return true,
            // "." bare LF is neither the end nor stuffing: kept as a line of its own.
            (DataState::Dot, b'\n') => {
                self.store(b'.');
                self.end_line(false);
            }
            // A stuffed dot: the first one goes, the rest of the line stays.
            (DataState::Dot, _) => {
                self.state = DataState::InLine;
                self.octet(b);
            }
            // `.` CR then something else: the dot was stuffing, the CR a bare one.
            (DataState::DotCr, _) => {
                self.state = DataState::Cr;
                return self.step(b);
            }
            (DataState::Cr, b'\n') => self.end_line(true),
            (DataState::Cr, b'\r') => self.store(b'\r'),
            (DataState::Cr, _) => {
                self.store(b'\r');
                self.state = DataState::InLine;
                self.octet(b);
            }
            (DataState::LineStart | DataState::InLine, _) => self.octet(b),
        }
        false
    }

    /// An octet in a line (not a pending dot or CR).
    fn octet(&mut self, b: u8) {
        match b {
            b'\r' => self.state = DataState::Cr,
            // A bare LF ends the line, stored as CRLF, but what follows is not at a line start
            // for dot-stuffing or end-of-data: clients stuff only after CRLF, and "LF . LF"
            // must never end the data (SMTP smuggling).
            b'\n' => self.end_line(false),
            _ => {
                self.store(b);
                self.state = DataState::InLine;
            }
        }
    }

    fn end_line(&mut self, crlf: bool) {
        self.store_raw(b'\r');
        self.store_raw(b'\n');
        self.line_len = 0;
        self.state = if crlf {
            DataState::LineStart
        } else {
            DataState::InLine
        };
    }

    fn store(&mut self, b: u8) {
        self.line_len += 1;
        if self.line_len > MAX_TEXT_LINE - 2 {
            self.long_line = true;
        }
        self.store_raw(b);
    }

    /// Ordinary octets of a line (no CR, LF or pending dot), as [`Self::store`] would each.
    fn store_run(&mut self, run: &[u8]) {
        self.line_len += run.len();
        if self.line_len > MAX_TEXT_LINE - 2 {
            self.long_line = true;
        }
        self.seen += run.len() as u64;
        let take = run.len().min(self.limit.saturating_sub(self.body.len()));
        if take > self.body.capacity() - self.body.len() {
            // Grow by doubling, but never past the limit.
            let extra = self.body.capacity().max(4096).max(take);
            self.body
                .reserve_exact(extra.min(self.limit - self.body.len()));
        }
        self.body.extend_from_slice(&run[..take]);
    }

    fn store_raw(&mut self, b: u8) {
        self.seen += 1;
        if self.body.len() < self.limit {
            if self.body.len() == self.body.capacity() {
                // Grow by doubling, but never past the limit.
                let extra = self.body.capacity().max(4096);
                self.body
                    .reserve_exact(extra.min(self.limit - self.body.len()));
            }
            self.body.push(b);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Replies

/// An enhanced status code (RFC 3463), `class.subject.detail`.
pub type Status = &'static str;

/// One reply, possibly of several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text of each line, enhanced status code included where there is one.
    pub lines: Vec<String>,
}

impl Reply {
    /// A one-line reply.
    pub fn new(code: u16, status: Option<Status>, text: impl fmt::Display) -> Reply {
        let line = match status {
            Some(status) => format!("{status} {text}"),
            None => text.to_string(),
        };
        Reply {
            code,
            lines: vec![line],
        }
    }

    /// True for 4xx and 5xx.
    pub fn is_error(&self) -> bool {
        self.code >= 400
    }

    /// Each line as sent, without CRLF: `250-first`, …, `250 last`.
    pub fn wire_lines(&self) -> impl Iterator<Item = String> + '_ {
        let last = self.lines.len().saturating_sub(1);
        self.lines.iter().enumerate().map(move |(i, text)| {
            let sep = if i == last { ' ' } else { '-' };
            if text.is_empty() {
                format!("{}{}", self.code, sep)
            } else {
                format!("{}{sep}{text}", self.code)
            }
        })
    }

    /// The reply as sent, CRLF after each line.
    pub fn to_wire(&self) -> String {
        self.wire_lines().map(|line| line + "\r\n").collect()
    }
}

/// A fixed reply of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canned {
    /// The three-digit code.
    pub code: u16,
    /// The enhanced status code.
    pub status: Status,
    /// The text.
    pub text: &'static str,
}

impl From<Canned> for Reply {
    fn from(c: Canned) -> Reply {
        Reply::new(c.code, Some(c.status), c.text)
    }
}

const fn canned(code: u16, status: Status, text: &'static str) -> Canned {
    Canned { code, status, text }
}

// The texts follow Postfix where it has one, so that the sandbox fails the way the trainee will
// see a real ISP fail.

/// `250 2.0.0 Ok` (RSET, NOOP).
pub const OK: Canned = canned(250, "2.0.0", "Ok");
/// Sender accepted.
pub const SENDER_OK: Canned = canned(250, "2.1.0", "Ok");
/// Recipient accepted.
pub const RECIPIENT_OK: Canned = canned(250, "2.1.5", "Ok");
/// QUIT.
pub const BYE: Canned = canned(221, "2.0.0", "Bye");
/// VRFY: the sandbox never tells who exists (RFC 5321 3.5.3).
pub const CANNOT_VRFY: Canned = canned(
    252,
    "2.0.0",
    "Cannot VRFY user; try RCPT to attempt delivery",
);
/// STARTTLS accepted.
pub const READY_FOR_TLS: Canned = canned(220, "2.0.0", "Ready to start TLS");
/// AUTH succeeded.
pub const AUTH_OK: Canned = canned(235, "2.7.0", "Authentication successful");
/// AUTH failed.
pub const AUTH_FAILED: Canned = canned(
    535,
    "5.7.8",
    "Error: authentication failed: authentication failure",
);
/// AUTH while the client's address or the account is locked out after failed logins: temporary
/// (RFC 4954 section 6), right password or wrong.
pub const AUTH_LOCKED_OUT: Canned = canned(
    454,
    "4.7.0",
    "Error: too many failed logins from your address or for this account, try again later",
);
/// AUTH with a mechanism not offered.
pub const AUTH_UNSUPPORTED: Canned = canned(504, "5.5.4", "Unsupported authentication mechanism");
/// AUTH answered with `*`.
pub const AUTH_ABORTED: Canned = canned(501, "5.7.0", "Authentication aborted");
/// An AUTH response that is not base64 or not well formed.
pub const AUTH_BAD_RESPONSE: Canned = canned(501, "5.5.2", "Cannot decode response");
/// AUTH when it is not offered (STARTTLS off and TLS required, or offered nowhere).
pub const AUTH_NOT_ENABLED: Canned = canned(503, "5.5.1", "Error: authentication not enabled");
/// AUTH twice.
pub const ALREADY_AUTHENTICATED: Canned = canned(503, "5.5.1", "Error: already authenticated");
/// MAIL without AUTH on a port that requires it.
pub const AUTH_REQUIRED: Canned = canned(530, "5.7.0", "Authentication required");
/// A command other than STARTTLS/EHLO/NOOP/QUIT/RSET before TLS on a port that requires it.
pub const STARTTLS_FIRST: Canned = canned(530, "5.7.0", "Must issue a STARTTLS command first");
/// STARTTLS inside TLS.
pub const TLS_ALREADY_ACTIVE: Canned = canned(554, "5.5.1", "Error: TLS already active");
/// A command the sandbox does not offer (STARTTLS when off, EXPN, HELP, …).
pub const NOT_IMPLEMENTED: Canned = canned(502, "5.5.1", "Error: command not implemented");
/// Not an SMTP command.
pub const UNKNOWN_COMMAND: Canned = canned(502, "5.5.2", "Error: command not recognized");
/// A command line over 512 octets.
pub const LINE_TOO_LONG: Canned = canned(500, "5.5.2", "Error: line too long");
/// A NUL octet in a command line.
pub const NUL_IN_COMMAND: Canned = canned(500, "5.5.2", "Error: NUL character in command line");
/// A message text line over 1000 octets.
pub const TEXT_LINE_TOO_LONG: Canned = canned(500, "5.5.2", "Error: message text line too long");
/// Out of order: nothing before HELO/EHLO.
pub const HELO_FIRST: Canned = canned(503, "5.5.1", "Error: send HELO/EHLO first");
/// Out of order: MAIL inside a transaction.
pub const NESTED_MAIL: Canned = canned(503, "5.5.1", "Error: nested MAIL command");
/// Out of order: RCPT or DATA without MAIL.
pub const NEED_MAIL: Canned = canned(503, "5.5.1", "Error: need MAIL command");
/// Out of order: DATA without RCPT.
pub const NEED_RCPT: Canned = canned(503, "5.5.1", "Error: need RCPT command");
/// DATA when every RCPT was refused.
pub const NO_VALID_RECIPIENTS: Canned = canned(554, "5.5.1", "Error: no valid recipients");
/// AUTH or STARTTLS inside a mail transaction.
pub const TRANSACTION_IN_PROGRESS: Canned =
    canned(503, "5.5.1", "Error: MAIL transaction in progress");
/// After a 554 greeting, everything but QUIT (RFC 5321 3.1).
pub const NO_SERVICE: Canned = canned(503, "5.5.1", "Error: no SMTP service");
/// A declared or actual size over the limit.
pub const SIZE_EXCEEDED: Canned = canned(552, "5.3.4", "Message size exceeds fixed limit");
/// Too many RCPTs in one transaction.
pub const TOO_MANY_RECIPIENTS: Canned = canned(452, "4.5.3", "Error: too many recipients");
/// A malformed MAIL FROM address.
pub const BAD_SENDER_SYNTAX: Canned = canned(501, "5.1.7", "Bad sender address syntax");
/// A malformed RCPT TO address.
pub const BAD_RECIPIENT_SYNTAX: Canned = canned(501, "5.1.3", "Bad recipient address syntax");
/// The mail store failed; the client should try again.
pub const STORE_FAILED: Canned = canned(451, "4.3.0", "Error: queue file write error");
/// The client made too many errors; the server closes.
pub const TOO_MANY_ERRORS: Canned = canned(421, "4.7.0", "Error: too many errors");
/// An HTTP request line or header instead of a command: a browser driven by some page. Postfix's
/// words, and like Postfix the server closes after it.
pub const NON_SMTP_COMMAND: Canned =
    canned(221, "2.7.0", "Error: I can break rules, too. Goodbye.");

/// The greeting.
pub fn greeting(host: &str) -> Reply {
    Reply::new(220, None, format!("{host} ESMTP KaracrixBuilder sandbox"))
}

/// The greeting when the listener's settings cannot be served (e.g. TLS required, no key).
pub fn misconfigured(host: &str) -> Reply {
    Reply::new(
        421,
        Some("4.3.5"),
        format!("{host} Server configuration problem"),
    )
}

/// The server closes an idle session.
pub fn idle_timeout(host: &str) -> Reply {
    Reply::new(
        421,
        Some("4.4.2"),
        format!("{host} Error: timeout exceeded"),
    )
}

/// HELO.
pub fn helo(host: &str) -> Reply {
    Reply::new(250, None, host)
}

/// EHLO: the host name, then one line per extension.
pub fn ehlo(host: &str, extensions: &[Cow<'static, str>]) -> Reply {
    let mut lines = vec![host.to_string()];
    lines.extend(extensions.iter().map(|e| e.to_string()));
    Reply { code: 250, lines }
}

/// AUTH: the server's challenge, already base64 (may be empty).
pub fn auth_challenge(challenge: &'static str) -> Reply {
    Reply::new(334, None, challenge)
}

/// The base64 `Username:` prompt of AUTH LOGIN.
pub const LOGIN_USERNAME_PROMPT: &str = "VXNlcm5hbWU6";
/// The base64 `Password:` prompt of AUTH LOGIN.
pub const LOGIN_PASSWORD_PROMPT: &str = "UGFzc3dvcmQ6";

/// DATA accepted.
pub fn start_data() -> Reply {
    Reply::new(354, None, "End data with <CR><LF>.<CR><LF>")
}

/// The message was accepted.
pub fn queued(id: &str) -> Reply {
    Reply::new(250, Some("2.0.0"), format!("Ok: queued as {id}"))
}

/// RCPT refused: the client is not allowed to send (PopBeforeSmtp not done). Postfix's
/// `reject_unauth_destination` answer.
pub fn relay_access_denied(rcpt: &str) -> Reply {
    Reply::new(554, Some("5.7.1"), format!("<{rcpt}>: Relay access denied"))
}

/// RCPT refused: another domain. The sandbox never sends mail off the machine.
pub fn relay_off_machine_denied(rcpt: &str) -> Reply {
    Reply::new(
        550,
        Some("5.7.1"),
        format!("<{rcpt}>: Relay access denied: the sandbox delivers only to its own domain"),
    )
}

/// RCPT refused: no such local user.
pub fn unknown_user(rcpt: &str) -> Reply {
    Reply::new(
        550,
        Some("5.1.1"),
        format!("<{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table"),
    )
}

/// A command with a syntax error.
pub fn syntax_error(syntax: &str) -> Reply {
    Reply::new(501, Some("5.5.4"), format!("Syntax: {syntax}"))
}

/// A malformed parameter.
pub fn bad_parameter(param: &str) -> Reply {
    Reply::new(501, Some("5.5.4"), format!("Bad {param} parameter syntax"))
}

/// A parameter that was not advertised.
pub fn unsupported_parameter(param: &str) -> Reply {
    Reply::new(555, Some("5.5.4"), format!("Unsupported option: {param}"))
}

/// A fault injected by the sandbox's settings: the configured code with a generic text.
pub fn injected_fault(code: u16, stage: &str) -> Reply {
    let status = if code < 500 { "4.3.0" } else { "5.3.0" };
    Reply::new(
        code,
        Some(status),
        format!("Error: simulated failure at {stage} (sandbox fault)"),
    )
}

// ---------------------------------------------------------------------------------------------
// Trace field

/// What the `Received:` field records about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace<'a> {
    /// The name the client gave in HELO/EHLO.
    pub helo: &'a str,
    /// The client's address.
    pub peer: IpAddr,
    /// This server's name.
    pub host: &'a str,
    /// EHLO (true) or HELO.
    pub esmtp: bool,
    /// TLS was in use.
    pub tls: bool,
    /// The authenticated user, if any.
    pub user: Option<&'a str>,
    /// The queue id.
    pub id: &'a str,
    /// The recipient, when there is exactly one (RFC 5321 4.4 privacy: otherwise omitted).
    pub single_recipient: Option<&'a str>,
    /// When the message was received.
    pub at: SystemTime,
}

/// The `Received:` field, folded, ending in CRLF.
pub fn received_header(t: &Trace<'_>) -> String {
    // RFC 3848: ESMTP, ESMTPS (TLS), ESMTPA (AUTH), ESMTPSA (both).
    let protocol = match (t.esmtp, t.tls, t.user.is_some()) {
        (false, _, _) => "SMTP",
        (true, false, false) => "ESMTP",
        (true, true, false) => "ESMTPS",
        (true, false, true) => "ESMTPA",
        (true, true, true) => "ESMTPSA",
    };
    let mut field = format!("Received: from {} ([{}])", t.helo, t.peer);
    if let Some(user) = t.user {
        field.push_str(&format!("\r\n\t(Authenticated sender: {user})"));
    }
    field.push_str(&format!(
        "\r\n\tby {} (KaracrixBuilder sandbox) with {protocol} id {}",
        t.host, t.id
    ));
    if let Some(rcpt) = t.single_recipient {
        field.push_str(&format!("\r\n\tfor <{rcpt}>"));
    }
    let secs = t.at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    field.push_str(&format!("; {}\r\n", clock::rfc5322_date(secs)));
    field
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Command, ParseError> {
        parse_command(line.as_bytes())
    }

    #[test]
    fn commands_parse_as_a_table() {
        let cases: Vec<(&str, Result<Command, ParseError>)> = vec![
            (
                "EHLO client.example",
                Ok(Command::Ehlo("client.example".into())),
            ),
            ("ehlo [127.0.0.1]", Ok(Command::Ehlo("[127.0.0.1]".into()))),
            ("HELO pc", Ok(Command::Helo("pc".into()))),
            ("EHLO", Err(ParseError::Syntax("EHLO domain"))),
            (
                "AUTH LOGIN",
                Ok(Command::Auth {
                    mechanism: Mechanism::Login,
                    initial: None,
                }),
            ),
            (
                "auth plain AGthcmFjcml4AHB3",
                Ok(Command::Auth {
                    mechanism: Mechanism::Plain,
                    initial: Some("AGthcmFjcml4AHB3".into()),
                }),
            ),
            (
                "AUTH PLAIN =",
                Ok(Command::Auth {
                    mechanism: Mechanism::Plain,
                    initial: Some("=".into()),
                }),
            ),
            (
                "AUTH CRAM-MD5",
                Ok(Command::Auth {
                    mechanism: Mechanism::Other,
                    initial: None,
                }),
            ),
            (
                "MAIL FROM:<karacrix@sandbox.test> SIZE=1234 BODY=8BITMIME",
                Ok(Command::Mail {
                    from: "karacrix@sandbox.test".into(),
                    size: Some(1234),
                    body: Body::EightBitMime,
                    unsupported: None,
                }),
            ),
            (
                "MAIL FROM:<>",
                Ok(Command::Mail {
                    from: String::new(),
                    size: None,
                    body: Body::SevenBit,
                    unsupported: None,
                }),
            ),
            (
                "MAIL FROM:<a@b.test> SMTPUTF8",
                Ok(Command::Mail {
                    from: "a@b.test".into(),
                    size: None,
                    body: Body::SevenBit,
                    unsupported: Some("SMTPUTF8"),
                }),
            ),
            (
                "MAIL FROM:<a@b.test> BODY=9BIT",
                Err(ParseError::BadParameter("BODY")),
            ),
            (
                "MAIL FROM:<a@b.test> FOO=bar",
                Err(ParseError::UnsupportedParameter("FOO=BAR".into())),
            ),
            (
                "MAIL TO:<a@b.test>",
                Err(ParseError::Syntax("MAIL FROM:<reverse-path> [parameters]")),
            ),
            (
                "RCPT TO:<operator@sandbox.test>",
                Ok(Command::Rcpt("operator@sandbox.test".into())),
            ),
            (
                "rcpt to: <operator@sandbox.test>",
                Ok(Command::Rcpt("operator@sandbox.test".into())),
            ),
            ("RCPT TO:<>", Err(ParseError::BadRecipient)),
            ("DATA", Ok(Command::Data)),
            ("RSET", Ok(Command::Rset)),
            ("NOOP hello", Ok(Command::Noop)),
            ("QUIT", Ok(Command::Quit)),
            ("STARTTLS", Ok(Command::StartTls)),
            ("VRFY operator", Ok(Command::Vrfy)),
            ("EXPN staff", Ok(Command::NotImplemented)),
            ("HELP", Ok(Command::NotImplemented)),
            ("GET / HTTP/1.1", Err(ParseError::Unknown)),
            ("", Err(ParseError::Unknown)),
            ("NOOP \0", Err(ParseError::Nul)),
        ];
        for (line, expected) in cases {
            assert_eq!(parse(line), expected, "{line:?}");
        }
    }

    fn read_all(input: &[u8], limit: usize) -> (usize, Option<Received>) {
        DataReader::new(limit).feed(input)
    }

    #[test]
    fn data_is_unstuffed_and_ends_only_at_crlf_dot_crlf() {
        let input = b"Subject: x\r\n\r\n..leading dot\r\n.\tstuffed tab\r\nbare\nlf\r\n\n.\n\r\n.\r\nNOOP\r\n";
        let (taken, received) = read_all(input, 1000);
        assert_eq!(&input[taken..], b"NOOP\r\n");
        let received = received.unwrap();
        assert_eq!(
            received.body,
            b"Subject: x\r\n\r\n.leading dot\r\n\tstuffed tab\r\nbare\r\nlf\r\n\r\n.\r\n\r\n"
        );
        assert!(!received.too_large && !received.long_line);
        assert_eq!(received.size, received.body.len() as u64);

        // An empty message.
        assert_eq!(read_all(b".\r\n", 10).1.unwrap().body, b"");
        // "LF . LF" and "CRLF . LF" do not end the data (SMTP smuggling).
        let (_, received) = read_all(b"a\n.\nb\r\n.\nMAIL FROM:<x@y>\r\n.\r\n", 100);
        assert_eq!(
            received.unwrap().body,
            b"a\r\n.\r\nb\r\n.\r\nMAIL FROM:<x@y>\r\n"
        );
        // `.` CR not followed by LF is text, not the end.
        let (_, received) = read_all(b".\rx\r\n.\r\n", 100);
        assert_eq!(received.unwrap().body, b"\rx\r\n");
        // No end yet.
        assert_eq!(read_all(b"text\r\n.", 100), (7, None));
    }

    #[test]
    fn data_fed_in_any_chunks_gives_the_same_message() {
        let input = b"A: b\r\n\r\n..x\r\n.\ry\r\nz\rw\r\r\n\n.\n.\r\n";
        let (_, whole) = read_all(input, 1000);
        for size in 1..=16 {
            let mut reader = DataReader::new(1000);
            let mut result = None;
            for chunk in input.chunks(size) {
                let (taken, done) = reader.feed(chunk);
                if done.is_some() {
                    assert!(result.is_none());
                    assert_eq!(taken, chunk.len());
                    result = done;
                }
            }
            assert_eq!(result, whole, "chunk size {size}");
        }
    }

    #[test]
    fn data_over_the_limit_is_read_to_the_end_and_discarded() {
        let mut reader = DataReader::new(10);
        for _ in 0..1000 {
            assert_eq!(reader.feed(&[b'a'; 100]).1, None);
            assert!(reader.body.capacity() <= 10);
        }
        let (taken, received) = reader.feed(b"\r\n.\r\nQUIT\r\n");
        assert_eq!(taken, 5);
        let received = received.unwrap();
        assert!(received.too_large);
        assert!(received.body.is_empty());
        assert_eq!(received.size, 100_002);
        // Exactly at the limit is fine.
        let received = read_all(b"12345678\r\n.\r\n", 10).1.unwrap();
        assert!(!received.too_large);
        assert_eq!(received.body, b"12345678\r\n");
    }

    #[test]
    fn text_lines_over_1000_octets_are_flagged() {
        let ok = [&[b'a'; 998][..], b"\r\n.\r\n"].concat();
        assert!(!read_all(&ok, 10_000).1.unwrap().long_line);
        let long = [&[b'a'; 999][..], b"\r\n.\r\n"].concat();
        assert!(read_all(&long, 10_000).1.unwrap().long_line);
    }

    #[test]
    fn replies_are_written_with_continuation_lines() {
        let reply = ehlo(
            "mail.sandbox.test",
            &["PIPELINING".into(), "8BITMIME".into()],
        );
        assert_eq!(
            reply.to_wire(),
            "250-mail.sandbox.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
        );
        assert_eq!(
            Reply::from(AUTH_REQUIRED).to_wire(),
            "530 5.7.0 Authentication required\r\n"
        );
        assert_eq!(auth_challenge("").to_wire(), "334 \r\n");
        assert_eq!(injected_fault(451, "rcpt").code, 451);
    }

    #[test]
    fn dates_and_trace_fields() {
        let field = received_header(&Trace {
            helo: "pc.example",
            peer: "127.0.0.2".parse().unwrap(),
            host: "mail.sandbox.test",
            esmtp: true,
            tls: true,
            user: Some("karacrix@sandbox.test"),
            id: "S1M1",
            single_recipient: Some("operator@sandbox.test"),
            at: UNIX_EPOCH,
        });
        assert_eq!(
            field,
            "Received: from pc.example ([127.0.0.2])\r\n\t(Authenticated sender: karacrix@sandbox.test)\r\n\tby mail.sandbox.test (KaracrixBuilder sandbox) with ESMTPSA id S1M1\r\n\tfor <operator@sandbox.test>; Thu, 01 Jan 1970 00:00:00 +0000\r\n"
        );
    }
}
