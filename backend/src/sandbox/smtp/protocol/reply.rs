//! [`Reply`] and the catalogue: every reply the server can send, with its RFC 3463 enhanced
//! status code, is a named item here.

use std::borrow::Cow;
use std::fmt;

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

/// The server turns a client away: it serves as many connections as it will.
pub fn too_many_connections(host: &str) -> Reply {
    Reply::new(
        421,
        Some("4.7.0"),
        format!("{host} Error: too many connections"),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
