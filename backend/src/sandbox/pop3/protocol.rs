//! POP3 wire format, without I/O: parsing a line into a [`Command`], the catalogue of replies,
//! serializing replies and dot-stuffing message bodies. Lines are framed by the shared
//! [`crate::mail::line::LineBuffer`], bounded by [`MAX_LINE`].
//!
//! RFC 1939 (commands), RFC 2449 (line and argument limits, CAPA, RESP-CODES), RFC 2595 (STLS),
//! RFC 3206 (`[AUTH]`, `[SYS/TEMP]`, `[SYS/PERM]`). What a command means in which state is
//! `session`'s business. The response codes and APOP live in [`crate::mail::pop3`], shared with
//! the engine's client; the masking rule in [`crate::mail::mask_secrets`].

use std::fmt;

use crate::mail::pop3::RespCode;

/// The longest command line accepted, CRLF included (RFC 2449 section 4).
pub const MAX_LINE: usize = 512;
/// The longest argument accepted, except a password (RFC 2449 section 4).
pub const MAX_ARG: usize = 40;

/// One client command, arguments validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `USER name`.
    User(String),
    /// `PASS secret`: the rest of the line, spaces included (RFC 1939 section 7).
    Pass(String),
    /// `APOP name digest`: `digest` is 32 hex digits, lowercased here.
    Apop {
        /// The login name.
        user: String,
        /// md5(timestamp + password) in hex.
        digest: String,
    },
    /// `CAPA`.
    Capa,
    /// `STLS`.
    Stls,
    /// `STAT`.
    Stat,
    /// `LIST [msg]`.
    List(Option<u32>),
    /// `UIDL [msg]`.
    Uidl(Option<u32>),
    /// `TOP msg lines`.
    Top {
        /// The message number.
        msg: u32,
        /// Body lines after the headers (saturates at `u32::MAX`).
        lines: u32,
    },
    /// `RETR msg`.
    Retr(u32),
    /// `DELE msg`.
    Dele(u32),
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
}

/// Why a line is not a command. Each maps to an `-ERR` reply; the session goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// Empty line.
    Empty,
    /// Longer than [`MAX_LINE`] octets.
    TooLong,
    /// Contains a NUL octet.
    Nul,
    /// Not UTF-8.
    NotUtf8,
    /// A keyword this server does not know.
    Unknown,
    /// Known keyword, wrong arguments.
    Syntax,
    /// An HTTP request line or header: a browser driven by some page
    /// ([`crate::sandbox::cross_protocol`]).
    Http,
}

/// A status line: `+OK text` or `-ERR [CODE] text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `+OK` or `-ERR`.
    pub ok: bool,
    /// Response code, only on `-ERR`.
    pub code: Option<RespCode>,
    /// Human-readable text.
    pub text: String,
}

impl Response {
    /// `+OK text`.
    pub fn ok(text: impl Into<String>) -> Self {
        Response {
            ok: true,
            code: None,
            text: text.into(),
        }
    }

    /// `-ERR text` or `-ERR [code] text`.
    pub fn err(code: Option<RespCode>, text: impl Into<String>) -> Self {
        Response {
            ok: false,
            code,
            text: text.into(),
        }
    }

    /// The status line followed by CRLF.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut line = self.to_string().into_bytes();
        line.extend_from_slice(b"\r\n");
        line
    }
}

impl fmt::Display for Response {
    /// The line without CRLF, as the transcript shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.ok { "+OK" } else { "-ERR" })?;
        if let Some(code) = self.code {
            write!(f, " [{}]", code.as_str())?;
        }
        if !self.text.is_empty() {
            write!(f, " {}", self.text)?;
        }
        Ok(())
    }
}

/// The catalogue of refusals: every `-ERR` this server sends, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A line that is not a command.
    Parse(ParseError),
    /// A known command in a state where it is not allowed.
    WrongState,
    /// PASS without USER.
    UserFirst,
    /// A message number that does not exist or is marked deleted.
    NoSuchMessage,
    /// DELE of a message already marked.
    AlreadyDeleted,
    /// Wrong user name or password, or wrong APOP digest.
    BadLogin,
    /// Too many failed logins from this address.
    LockedOut,
    /// The mailbox is held by another session.
    InUse,
    /// The server cannot serve the request now.
    TempFailure,
    /// STLS without TLS configured.
    NoTls,
    /// STLS with TLS already active.
    TlsActive,
    /// Some deletions could not be applied at QUIT.
    UpdateFailed,
    /// The client was idle for too long.
    Idle,
    /// The client made [`crate::sandbox::pop3::session::MAX_ERRORS`] errors.
    TooManyErrors,
    /// The server is serving as many connections as it will; sent before closing.
    TooManyConnections,
    /// The account polls too often and is suspended for a while.
    PollingTooOften,
}

impl Refusal {
    /// The `-ERR` line of this refusal.
    pub fn response(self) -> Response {
        use ParseError as P;
        let (code, text) = match self {
            Refusal::Parse(P::Empty) => (None, "empty command"),
            Refusal::Parse(P::TooLong) => (None, "line too long (limit 512 octets)"),
            Refusal::Parse(P::Nul) => (None, "NUL octets are not allowed"),
            Refusal::Parse(P::NotUtf8) => (None, "command is not valid text"),
            Refusal::Parse(P::Unknown) => (None, "unknown command"),
            Refusal::Parse(P::Syntax) => (None, "syntax error in arguments"),
            Refusal::Parse(P::Http) => (None, "this is a POP3 server, not a web server; goodbye"),
            Refusal::WrongState => (None, "command not valid in this state"),
            Refusal::UserFirst => (None, "USER first"),
            Refusal::NoSuchMessage => (None, "no such message"),
            Refusal::AlreadyDeleted => (None, "message already deleted"),
            Refusal::BadLogin => (Some(RespCode::Auth), "invalid user name or password"),
            Refusal::LockedOut => (
                Some(RespCode::Auth),
                "too many failed logins from your address or for this account, try again later",
            ),
            Refusal::InUse => (
                Some(RespCode::InUse),
                "mailbox is in use by another session",
            ),
            Refusal::TempFailure => (Some(RespCode::SysTemp), "service temporarily unavailable"),
            Refusal::NoTls => (None, "STLS not available"),
            Refusal::TlsActive => (None, "TLS already active"),
            Refusal::UpdateFailed => (Some(RespCode::SysTemp), "some deleted messages not removed"),
            Refusal::Idle => (None, "idle for too long, closing"),
            Refusal::TooManyErrors => (None, "too many errors, closing"),
            Refusal::TooManyConnections => (
                Some(RespCode::SysTemp),
                "too many connections, try again later",
            ),
            Refusal::PollingTooOften => (
                Some(RespCode::SysTemp),
                "account suspended for a while: the mailbox is polled too often",
            ),
        };
        Response::err(code, text)
    }
}

/// Parses one line (CRLF removed) into a command.
pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
    if line.len() + 2 > MAX_LINE {
        return Err(ParseError::TooLong);
    }
    if line.contains(&0) {
        return Err(ParseError::Nul);
    }
    if crate::sandbox::cross_protocol::is_http(line) {
        return Err(ParseError::Http);
    }
    let line = std::str::from_utf8(line).map_err(|_| ParseError::NotUtf8)?;
    if line.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let (keyword, rest) = match line.split_once(' ') {
        Some((keyword, rest)) => (keyword, Some(rest)),
        None => (line, None),
    };
    if keyword.len() > 4 {
        return Err(ParseError::Unknown);
    }
    let keyword = keyword.to_ascii_uppercase();
    if keyword == "PASS" {
        // The password is the rest of the line, spaces included; it may not be empty.
        return match rest {
            Some(secret) if !secret.is_empty() => Ok(Command::Pass(secret.to_string())),
            _ => Err(ParseError::Syntax),
        };
    }
    let args: Vec<&str> = rest.map_or_else(Vec::new, |r| r.split_ascii_whitespace().collect());
    if args.iter().any(|a| a.len() > MAX_ARG) {
        return Err(ParseError::Syntax);
    }
    let command = match (keyword.as_str(), args.as_slice()) {
        ("USER", [name]) => Command::User((*name).to_string()),
        ("APOP", [name, digest]) => {
            if digest.len() != 32 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ParseError::Syntax);
            }
            Command::Apop {
                user: (*name).to_string(),
                digest: digest.to_ascii_lowercase(),
            }
        }
        ("CAPA", []) => Command::Capa,
        ("STLS", []) => Command::Stls,
        ("STAT", []) => Command::Stat,
        ("LIST", []) => Command::List(None),
        ("LIST", [n]) => Command::List(Some(number(n)?)),
        ("UIDL", []) => Command::Uidl(None),
        ("UIDL", [n]) => Command::Uidl(Some(number(n)?)),
        ("TOP", [n, lines]) => Command::Top {
            msg: number(n)?,
            lines: saturating_number(lines)?,
        },
        ("RETR", [n]) => Command::Retr(number(n)?),
        ("DELE", [n]) => Command::Dele(number(n)?),
        ("RSET", []) => Command::Rset,
        ("NOOP", []) => Command::Noop,
        ("QUIT", []) => Command::Quit,
        (
            "USER" | "APOP" | "CAPA" | "STLS" | "STAT" | "LIST" | "UIDL" | "TOP" | "RETR" | "DELE"
            | "RSET" | "NOOP" | "QUIT",
            _,
        ) => return Err(ParseError::Syntax),
        _ => return Err(ParseError::Unknown),
    };
    Ok(command)
}

/// A message number: decimal digits only, fitting in `u32`.
fn number(arg: &str) -> Result<u32, ParseError> {
    if !arg.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax);
    }
    arg.parse().map_err(|_| ParseError::Syntax)
}

/// A line count: decimal digits; "more than anything" is fine and means the whole body.
fn saturating_number(arg: &str) -> Result<u32, ParseError> {
    if arg.is_empty() || !arg.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax);
    }
    Ok(arg.parse().unwrap_or(u32::MAX))
}

/// Writes a multi-line body for POP3: CRLF line ends (a bare CR or LF becomes CRLF), a `.` added
/// before every line that starts with `.`, and [`DotStuffer::finish`] ends it with `.` CRLF.
/// Feed it any chunking of the body; the output does not depend on it.
#[derive(Debug)]
pub struct DotStuffer {
    at_line_start: bool,
    pending_cr: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        DotStuffer {
            at_line_start: true,
            pending_cr: false,
        }
    }
}

impl DotStuffer {
    /// Appends the stuffed form of `chunk` to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        out.reserve(chunk.len() + chunk.len() / 16 + 2);
        for &byte in chunk {
            if self.pending_cr {
                self.pending_cr = false;
                out.extend_from_slice(b"\r\n");
                self.at_line_start = true;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\r' => self.pending_cr = true,
                b'\n' => {
                    out.extend_from_slice(b"\r\n");
                    self.at_line_start = true;
                }
                _ => {
                    if self.at_line_start && byte == b'.' {
                        out.push(b'.');
                    }
                    out.push(byte);
                    self.at_line_start = false;
                }
            }
        }
    }

    /// Ends the body: completes the last line if needed and appends the terminating `.` CRLF.
    pub fn finish(self, out: &mut Vec<u8>) {
        if self.pending_cr || !self.at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
}

/// The whole multi-line body of short text lines (LIST, UIDL, CAPA), stuffed and terminated.
pub fn multiline(lines: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stuffer = DotStuffer::default();
    for line in lines {
        stuffer.feed(line.as_bytes(), &mut out);
        stuffer.feed(b"\r\n", &mut out);
    }
    stuffer.finish(&mut out);
    out
}

/// The part of `message` TOP sends: the headers, the blank line, and the first `lines` lines of
/// the body. Line ends may be CRLF or bare LF.
pub fn top(message: &[u8], lines: u32) -> &[u8] {
    let mut pos = 0;
    // Headers end at the first empty line (or the message has no body).
    loop {
        let Some(end) = line_end(message, pos) else {
            return message;
        };
        let empty = matches!(&message[pos..end], b"\n" | b"\r\n");
        pos = end;
        if empty {
            break;
        }
    }
    for _ in 0..lines {
        match line_end(message, pos) {
            Some(end) => pos = end,
            None => return message,
        }
    }
    &message[..pos]
}

/// The index just past the LF ending the line at `start`, or `None` at the end of the message.
/// A last line without its LF ends at the end of the message.
fn line_end(message: &[u8], start: usize) -> Option<usize> {
    if start >= message.len() {
        return None;
    }
    Some(
        message[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(message.len(), |i| start + i + 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_this_server_writes_are_read_back_by_the_client() {
        for code in RespCode::ALL {
            let line = Response::err(Some(code), "x").to_string();
            assert_eq!(RespCode::of_reply(&line), Some(code), "{line}");
        }
    }

    #[test]
    fn commands_parse_case_insensitively_with_validated_arguments() {
        let ok: &[(&[u8], Command)] = &[
            (b"user karacrix", Command::User("karacrix".into())),
            (
                b"USER karacrix@sandbox.test",
                Command::User("karacrix@sandbox.test".into()),
            ),
            (b"PASS with spaces  ", Command::Pass("with spaces  ".into())),
            (
                b"apop op 0123456789ABCDEF0123456789abcdef",
                Command::Apop {
                    user: "op".into(),
                    digest: "0123456789abcdef0123456789abcdef".into(),
                },
            ),
            (b"CaPa", Command::Capa),
            (b"STLS", Command::Stls),
            (b"stat", Command::Stat),
            (b"LIST", Command::List(None)),
            (b"LIST 3", Command::List(Some(3))),
            (b"uidl 0", Command::Uidl(Some(0))),
            (b"TOP 1 0", Command::Top { msg: 1, lines: 0 }),
            (
                b"TOP 1 99999999999999",
                Command::Top {
                    msg: 1,
                    lines: u32::MAX,
                },
            ),
            (b"RETR 2", Command::Retr(2)),
            (b"DELE 1", Command::Dele(1)),
            (b"rset", Command::Rset),
            (b"NOOP", Command::Noop),
            (b"QUIT", Command::Quit),
        ];
        for (line, command) in ok {
            assert_eq!(
                parse(line).as_ref(),
                Ok(command),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        let bad: &[(&[u8], ParseError)] = &[
            (b"", ParseError::Empty),
            (b"   ", ParseError::Empty),
            (b"HELO x", ParseError::Unknown),
            (b"AUTH PLAIN", ParseError::Unknown),
            (b"RETRIEVE 1", ParseError::Unknown),
            (b"USER", ParseError::Syntax),
            (b"USER a b", ParseError::Syntax),
            (b"PASS", ParseError::Syntax),
            (b"PASS ", ParseError::Syntax),
            (b"STAT 1", ParseError::Syntax),
            (b"RETR", ParseError::Syntax),
            (b"RETR -1", ParseError::Syntax),
            (b"RETR +1", ParseError::Syntax),
            (b"RETR 1x", ParseError::Syntax),
            (b"RETR 99999999999", ParseError::Syntax),
            (b"TOP 1", ParseError::Syntax),
            (b"TOP 1 -2", ParseError::Syntax),
            (b"APOP op short", ParseError::Syntax),
            (
                b"APOP op 0123456789abcdef0123456789abcdeg",
                ParseError::Syntax,
            ),
            (b"QUIT now", ParseError::Syntax),
            (b"NOOP\0", ParseError::Nul),
            (b"US\0ER a", ParseError::Nul),
            (b"USER \xff\xfe", ParseError::NotUtf8),
        ];
        for (line, error) in bad {
            assert_eq!(
                parse(line),
                Err(*error),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        let long_user = format!("USER {}", "u".repeat(MAX_ARG + 1));
        assert_eq!(parse(long_user.as_bytes()), Err(ParseError::Syntax));
        let long_line = format!("PASS {}", "p".repeat(MAX_LINE));
        assert_eq!(parse(long_line.as_bytes()), Err(ParseError::TooLong));
    }

    #[test]
    fn responses_serialize_with_codes() {
        assert_eq!(Response::ok("2 320").to_wire(), b"+OK 2 320\r\n");
        assert_eq!(
            Refusal::InUse.response().to_string(),
            "-ERR [IN-USE] mailbox is in use by another session"
        );
        assert!(
            Refusal::LockedOut
                .response()
                .to_string()
                .starts_with("-ERR [AUTH] ")
        );
        assert!(
            Refusal::TempFailure
                .response()
                .to_string()
                .starts_with("-ERR [SYS/TEMP] ")
        );
        assert_eq!(Response::ok("").to_string(), "+OK");
    }

    fn stuffed(body: &[u8], chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut stuffer = DotStuffer::default();
        for piece in body.chunks(chunk.max(1)) {
            stuffer.feed(piece, &mut out);
        }
        stuffer.finish(&mut out);
        out
    }

    #[test]
    fn bodies_are_dot_stuffed_with_crlf_in_any_chunking() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b".\r\n"),
            (b"a\r\n", b"a\r\n.\r\n"),
            (b"a", b"a\r\n.\r\n"),
            (b".\r\n", b"..\r\n.\r\n"),
            (
                b"x\r\n.hidden\r\n..two\r\n",
                b"x\r\n..hidden\r\n...two\r\n.\r\n",
            ),
            (b"lf\n.dot\nend", b"lf\r\n..dot\r\nend\r\n.\r\n"),
            (b"cr\r.dot\r", b"cr\r\n..dot\r\n.\r\n"),
            (b"mid.dot\r\n", b"mid.dot\r\n.\r\n"),
            (b"\r\n\r\n", b"\r\n\r\n.\r\n"),
        ];
        for (body, expected) in cases {
            for chunk in 1..=8 {
                assert_eq!(
                    stuffed(body, chunk),
                    *expected,
                    "{:?} in chunks of {chunk}",
                    String::from_utf8_lossy(body)
                );
            }
        }
        assert_eq!(
            multiline(&["1 20".into(), ".odd".into()]),
            b"1 20\r\n..odd\r\n.\r\n"
        );
    }

    #[test]
    fn top_cuts_after_headers_and_n_body_lines() {
        let message = b"Subject: s\r\nFrom: a\r\n\r\none\r\ntwo\r\nthree";
        assert_eq!(top(message, 0), b"Subject: s\r\nFrom: a\r\n\r\n");
        assert_eq!(top(message, 1), b"Subject: s\r\nFrom: a\r\n\r\none\r\n");
        assert_eq!(top(message, 3), &message[..]);
        assert_eq!(top(message, u32::MAX), &message[..]);
        let lf = b"A: b\n\nbody\nmore\n";
        assert_eq!(top(lf, 0), b"A: b\n\n");
        assert_eq!(top(lf, 1), b"A: b\n\nbody\n");
        assert_eq!(top(b"Only: headers\r\n", 0), b"Only: headers\r\n");
        assert_eq!(top(b"", 5), b"");
    }
}
