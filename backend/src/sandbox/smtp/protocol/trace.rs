//! The `Received:` trace field (RFC 5321 4.4, RFC 3848 protocol names).

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::mail::clock;

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
