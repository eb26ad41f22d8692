//! The POP3 wire pieces both POP3 sides read: the RFC 2449/3206 response codes, and the APOP
//! greeting timestamp and digest (RFC 1939 section 7).

use md5::{Digest, Md5};

/// The RFC 2449/3206 response codes: the ones this server sends, and the ones the engine's
/// client reads from real servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespCode {
    /// The credentials are wrong or not accepted now (RFC 3206).
    Auth,
    /// Another session holds the mailbox (RFC 2449).
    InUse,
    /// The login came too soon after the last one (RFC 2449).
    LoginDelay,
    /// A temporary failure on the server side; trying later may work (RFC 3206).
    SysTemp,
    /// A permanent failure on the server side, e.g. a disabled account (RFC 3206).
    SysPerm,
}

impl RespCode {
    /// Every code.
    pub const ALL: [RespCode; 5] = [
        RespCode::Auth,
        RespCode::InUse,
        RespCode::LoginDelay,
        RespCode::SysTemp,
        RespCode::SysPerm,
    ];

    /// The code as it appears between brackets.
    pub fn as_str(self) -> &'static str {
        match self {
            RespCode::Auth => "AUTH",
            RespCode::InUse => "IN-USE",
            RespCode::LoginDelay => "LOGIN-DELAY",
            RespCode::SysTemp => "SYS/TEMP",
            RespCode::SysPerm => "SYS/PERM",
        }
    }

    /// The code of an `-ERR [CODE] text` line, if it carries a known one. Codes are compared
    /// without regard to case; an unknown code, or a more specific one under a known one
    /// (`SYS/TEMP/DISK`), is read by its known prefix as RFC 2449 section 8 asks.
    pub fn of_reply(line: &str) -> Option<RespCode> {
        let rest = line.strip_prefix("-ERR")?.trim_start();
        let inner = rest.strip_prefix('[')?;
        let code = &inner[..inner.find(']')?];
        RespCode::ALL.into_iter().find(|known| {
            let name = known.as_str();
            // Bytes, not a str slice: the code may hold any text, and a slice at a byte index
            // inside a multi-byte character would panic.
            let code = code.as_bytes();
            code.len() >= name.len()
                && code[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                && (code.len() == name.len() || code[name.len()] == b'/')
        })
    }
}

/// The `<…>` timestamp of an APOP-capable greeting.
pub fn apop_timestamp(greeting: &str) -> Option<String> {
    let start = greeting.find('<')?;
    let end = start + greeting[start..].find('>')?;
    let stamp = &greeting[start..=end];
    (stamp.contains('@') && stamp.len() <= 256).then(|| stamp.to_string())
}

/// The APOP digest: lowercase hex MD5 of the timestamp followed by the secret (RFC 1939 §7).
pub fn apop_digest(timestamp: &str, secret: &str) -> String {
    let digest = Md5::digest(format!("{timestamp}{secret}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_with_multibyte_text_is_no_panic() {
        // Found by fuzzing the client: a replacement character across the known code's length.
        assert_eq!(RespCode::of_reply("-ERR[OK\u{fffd}\u{fffd}]"), None);
        assert_eq!(RespCode::of_reply("-ERR [\u{fffd}]"), None);
        assert_eq!(RespCode::of_reply("-ERR [AUTH\u{fffd}]"), None);
    }

    #[test]
    fn response_codes_are_read_back_from_replies() {
        let table: &[(&str, Option<RespCode>)] = &[
            (
                "-ERR [AUTH] invalid user name or password",
                Some(RespCode::Auth),
            ),
            (
                "-ERR [SYS/TEMP] service temporarily unavailable",
                Some(RespCode::SysTemp),
            ),
            ("-ERR [sys/perm] account disabled", Some(RespCode::SysPerm)),
            ("-ERR [IN-USE] mailbox locked", Some(RespCode::InUse)),
            (
                "-ERR [LOGIN-DELAY] wait a while",
                Some(RespCode::LoginDelay),
            ),
            ("-ERR  [SYS/TEMP/DISK] disk full", Some(RespCode::SysTemp)),
            ("-ERR [SYS/TEMPORARY] not a sub-code", None),
            ("-ERR [XYZZY] unknown code", None),
            ("-ERR [SYS/TEMP no closing bracket", None),
            ("-ERR invalid password", None),
            ("-ERR", None),
            ("+OK [SYS/TEMP] not an error", None),
            ("", None),
        ];
        for (line, code) in table {
            assert_eq!(RespCode::of_reply(line), *code, "{line}");
        }
    }

    #[test]
    fn the_rfc_example_digest() {
        // RFC 1939, section 7.
        let stamp =
            apop_timestamp("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
        assert_eq!(stamp, "<1896.697170952@dbc.mtview.ca.us>");
        assert_eq!(
            apop_digest(&stamp, "tanstaaf"),
            "c4c9334bac560ecc979e58001b3e22fb"
        );
        assert_eq!(apop_timestamp("+OK ready"), None);
        assert_eq!(apop_timestamp("+OK <no-at-sign>"), None);
    }
}
