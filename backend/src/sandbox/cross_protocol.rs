//! Recognises a web browser talking to a mail port. A page can make the browser send an HTTP
//! request to any port (a form POST to `http://127.0.0.1:2525/`); a mail server that read its
//! lines as commands would run whatever the body says (HTTP-based cross-protocol attacks). So,
//! as Postfix does (`smtpd_forbidden_commands = CONNECT GET POST` and any line that looks like a
//! message header), the sandbox's servers close the connection at the first such line.

/// Request methods a page can make a browser send (fetch forbids CONNECT, TRACE and TRACK,
/// but a proxy setting can still produce CONNECT).
const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
];

/// True if `line` (a command line without its CRLF) is an HTTP request line or header line.
pub fn is_http(line: &[u8]) -> bool {
    let word_end = line
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let word = &line[..word_end];
    if METHODS.iter().any(|m| m.as_bytes() == word) {
        return true;
    }
    is_request_line(line) || is_header(line)
}

/// `METHOD target HTTP/n.n`, whatever the method.
fn is_request_line(line: &[u8]) -> bool {
    let parts: Vec<&[u8]> = line.split(|b| *b == b' ').collect();
    match parts.as_slice() {
        [method, target, version] => {
            !method.is_empty()
                && !target.is_empty()
                && version.len() == 8
                && version.starts_with(b"HTTP/")
                && version[5].is_ascii_digit()
                && version[6] == b'.'
                && version[7].is_ascii_digit()
        }
        _ => false,
    }
}

/// `Name:` or `Name :` at the start of the line, where Name is an RFC 9110 token (Postfix's
/// `is_header`). No mail command starts like that; `MAIL FROM:` has a space before its colon's
/// word.
fn is_header(line: &[u8]) -> bool {
    let name_end = line
        .iter()
        .position(|b| !is_token(*b))
        .unwrap_or(line.len());
    if name_end == 0 {
        return false;
    }
    let rest = &line[name_end..];
    let rest = &rest[rest
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .count()..];
    rest.first() == Some(&b':')
}

fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_lines_are_recognised() {
        for line in [
            "GET / HTTP/1.1",
            "POST /x HTTP/1.1",
            "CONNECT 127.0.0.1:2525 HTTP/1.1",
            "OPTIONS * HTTP/1.1",
            "BREW /pot HTTP/1.1",
            "Host: 127.0.0.1:2525",
            "Content-Type: text/plain",
            "user-agent : Mozilla",
            "X-Anything:value",
            "POST",
        ] {
            assert!(is_http(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn mail_commands_are_not() {
        for line in [
            "EHLO client.example",
            "MAIL FROM:<a@sandbox.test>",
            "RCPT TO:<b@sandbox.test>",
            "AUTH PLAIN AGFAYg==",
            "USER alice",
            "PASS pass: with colon",
            "APOP alice 0123456789abcdef",
            "RETR 1",
            "QUIT",
            "PASS secret HTTP/1",
            "EHLO HTTP/1.1",
            "get",
            "",
            ":",
            " Host: x",
        ] {
            assert!(!is_http(line.as_bytes()), "{line}");
        }
    }
}
