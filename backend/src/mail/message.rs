//! Reading a received mail (mail-parser, all Japanese charsets) into what the command layer
//! needs, and writing replies with the threading headers.

use mail_parser::{Message as Parsed, MessageParser, MimeHeaders};

/// The header that marks the engine's replies as automatic (RFC 3834 §5).
pub const AUTO_SUBMITTED: &str = "Auto-Submitted";
/// Its value on a reply to a command mail.
pub const AUTO_REPLIED: &str = "auto-replied";
/// Its value on a mail the engine sends of its own accord (alarms, notices).
pub const AUTO_GENERATED: &str = "auto-generated";

/// The largest text body handed to the command layer; a command mail is a few lines.
pub const MAX_TEXT: usize = 64 * 1024;

/// The headers of a received mail that tell automatic mail apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoHeaders {
    /// `Auto-Submitted` (RFC 3834 §5), as written.
    pub auto_submitted: Option<String>,
    /// `Precedence` (not standard, but what list servers and old responders write).
    pub precedence: Option<String>,
    /// The name of the first `List-*` header, if any.
    pub list_header: Option<String>,
    /// The address of the first `Return-Path`: empty for `<>` (a bounce), `None` without one.
    pub return_path: Option<String>,
}

/// A received mail as the command layer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The sender's address, if the From header has one, lowercase: what the allow-list, the
    /// reply limit and the executed ids compare.
    pub from: Option<String>,
    /// The same address as written: the reply goes there, since the part before `@` may be
    /// case-sensitive at the sender's server (RFC 5321 §2.4), as Postfix and Thunderbird keep it.
    pub from_as_written: Option<String>,
    /// The decoded Subject.
    pub subject: String,
    /// The decoded text (from the HTML part when there is no plain text), at most [`MAX_TEXT`].
    pub text: String,
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// The References of the mail (to continue the thread).
    pub references: Vec<String>,
    /// The charset the text came in, lowercase (`iso-2022-jp`, `shift_jis`, `utf-8`, …).
    pub charset: Option<String>,
    /// The headers that tell automatic mail apart (RFC 3834).
    pub auto: AutoHeaders,
}

/// Parses a message; `None` if it is not a mail at all.
pub fn parse(raw: &[u8]) -> Option<ReceivedMail> {
    let message = MessageParser::default().parse(raw)?;
    let from_as_written = message
        .from()
        .and_then(|list| list.first())
        .and_then(|addr| addr.address())
        .map(|a| a.trim().to_string())
        .filter(|a| a.len() <= MAX_ADDRESS_OCTETS);
    let from = from_as_written.as_ref().map(|a| a.to_ascii_lowercase());
    let charset = message
        .text_part(0)
        .or_else(|| message.html_part(0))
        .and_then(|part| part.content_type())
        .and_then(|ct| ct.attribute("charset"))
        .map(|c| c.to_ascii_lowercase());
    let mut text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    // Phones that write HTML mail often send an empty plain-text alternative.
    if text.trim().is_empty()
        && let Some(html) = message.body_html(0)
    {
        text = mail_parser::decoders::html::html_to_text(&html);
    }
    // Old phones send ISO-2022-JP without labelling it; its escape sequences give it away.
    let charset = if charset.is_none() && text.contains("\u{1b}$B") {
        let (decoded, _) = encoding_rs::ISO_2022_JP.decode_without_bom_handling(text.as_bytes());
        text = decoded.into_owned();
        Some("iso-2022-jp".to_string())
    } else {
        charset
    };
    if text.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    let references = match message.references() {
        mail_parser::HeaderValue::Text(id) => vec![id.to_string()],
        mail_parser::HeaderValue::TextList(ids) => ids.iter().map(|i| i.to_string()).collect(),
        _ => Vec::new(),
    };
    Some(ReceivedMail {
        from,
        from_as_written,
        subject: message.subject().unwrap_or_default().to_string(),
        text,
        message_id: message.message_id().map(String::from),
        references,
        charset,
        auto: auto_headers(&message),
    })
}

/// The headers that tell automatic mail apart, for the engine to decide on.
fn auto_headers(message: &Parsed<'_>) -> AutoHeaders {
    // The first of each: a delivering server adds its Return-Path on top (RFC 5321 §4.4).
    let raw = |name: &str| {
        let header = message
            .headers()
            .iter()
            .find(|h| h.name.as_str().eq_ignore_ascii_case(name))?;
        let value = message
            .raw_message
            .get(header.offset_start as usize..header.offset_end as usize)?;
        Some(String::from_utf8_lossy(value).trim().to_string())
    };
    let list_header = message
        .headers()
        .iter()
        .map(|h| h.name.as_str())
        // Bytes, not a str slice: a header name may hold any text, and slicing inside a
        // multi-byte character would panic.
        .find(|name| name.len() > 5 && name.as_bytes()[..5].eq_ignore_ascii_case(b"list-"))
        .map(String::from);
    AutoHeaders {
        auto_submitted: raw("Auto-Submitted"),
        precedence: raw("Precedence"),
        list_header,
        return_path: raw("Return-Path").map(|path| return_path_address(&path)),
    }
}

/// The address in a `Return-Path` value, lowercase: `<>` gives the empty string.
fn return_path_address(value: &str) -> String {
    let value = value.trim();
    let inner = value
        .strip_prefix('<')
        .and_then(|v| v.split_once('>'))
        .map_or(value, |(inner, _)| inner);
    inner.trim().to_ascii_lowercase()
}

/// `Re: <subject>`, without piling up `Re:` prefixes. A blank subject has nothing to refer to:
/// the reply then says who answers, in `lang`, rather than a bare `Re:`.
pub fn reply_subject(subject: &str, lang: shared::Lang) -> String {
    let mut rest = subject.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        if lower.starts_with("re:") {
            rest = rest[3..].trim_start();
        } else if rest.starts_with("Re：") || rest.starts_with("RE：") {
            rest = rest["Re：".len()..].trim_start();
        } else {
            break;
        }
    }
    if rest.is_empty() {
        return lang
            .pick("KaracrixBuilder からの返信", "Reply from KaracrixBuilder")
            .into();
    }
    format!("Re: {rest}")
}

/// Characters of the received Subject a reply repeats at most. A hostile or broken mail may
/// carry thousands; a reply quoting them all would be refused by some servers. Dovecot's
/// vacation cuts the subject it quotes at the same length.
pub const MAX_SUBJECT_CHARS: usize = 256;
/// Message-IDs a reply's References keep at most: the first of the thread and the latest
/// ones, as RFC 5322 §3.6.4 allows and Thunderbird does when the list grows long.
pub const MAX_REFERENCES: usize = 10;
/// The longest address a reply is sent to: RFC 5321 §4.5.3.1.3 allows a path of 256 octets
/// with its brackets. A longer From address is taken as none, as no server could deliver to it.
pub const MAX_ADDRESS_OCTETS: usize = 254;
/// A Message-ID longer than this is not repeated: no mail program writes one, and one word
/// must fit a header line (998 octets) with room to spare.
pub const MAX_ID_OCTETS: usize = 250;

/// `subject` cut to [`MAX_SUBJECT_CHARS`] characters, with `…` when something was cut.
pub fn bounded_subject(subject: &str) -> String {
    match subject.char_indices().nth(MAX_SUBJECT_CHARS) {
        Some((cut, _)) => format!("{}…", &subject[..cut]),
        None => subject.to_string(),
    }
}

/// The threading headers of a reply to `mail`: `In-Reply-To` and `References` (RFC 5322
/// §3.6.4), the latter the mail's References and its own Message-ID trimmed to the first and
/// the latest [`MAX_REFERENCES`] in all. Ids that could break a header (spaces, brackets,
/// control or 8-bit characters, over [`MAX_ID_OCTETS`]) are left out; a mail without a usable
/// Message-ID gets neither header.
pub fn thread_headers(mail: &ReceivedMail) -> Vec<(&'static str, String)> {
    let Some(parent) = mail.message_id.as_deref().filter(|id| usable_id(id)) else {
        return Vec::new();
    };
    let mut thread: Vec<&str> = mail
        .references
        .iter()
        .map(String::as_str)
        .filter(|id| usable_id(id))
        .collect();
    thread.push(parent);
    if thread.len() > MAX_REFERENCES {
        thread.drain(1..thread.len() - (MAX_REFERENCES - 1));
    }
    let references: Vec<String> = thread.iter().map(|id| format!("<{id}>")).collect();
    vec![
        ("In-Reply-To", format!("<{parent}>")),
        ("References", references.join(" ")),
    ]
}

fn usable_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_OCTETS
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_mail_is_decoded() {
        // ISO-2022-JP "ポンプ" in an encoded-word and in the body.
        let raw = b"From: =?UTF-8?B?5pON5L2c5ZOh?= <Operator@Sandbox.Test>\r\n\
To: karacrix@sandbox.test\r\n\
Subject: =?ISO-2022-JP?B?GyRCJV0lcyVXGyhC?=\r\n\
Message-ID: <m1@phone.sandbox.test>\r\n\
References: <m0@phone.sandbox.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=ISO-2022-JP\r\n\
\r\n\
\x1b$B%]%s%W\x1b(B ON\r\n";
        let mail = parse(raw).unwrap();
        assert_eq!(mail.from.as_deref(), Some("operator@sandbox.test"));
        assert_eq!(
            mail.from_as_written.as_deref(),
            Some("Operator@Sandbox.Test")
        );
        assert_eq!(mail.subject, "ポンプ");
        assert_eq!(mail.text.trim(), "ポンプ ON");
        assert_eq!(mail.charset.as_deref(), Some("iso-2022-jp"));
        assert_eq!(mail.message_id.as_deref(), Some("m1@phone.sandbox.test"));
    }

    #[test]
    fn unlabelled_iso_2022_jp_and_html_only_commands_are_read() {
        let unlabelled = b"From: operator@sandbox.test\r\nSubject: x\r\n\r\n\x1b$B0lMw\x1b(B\r\n";
        let mail = parse(unlabelled).unwrap();
        assert_eq!(mail.text.trim(), "一覧");
        assert_eq!(mail.charset.as_deref(), Some("iso-2022-jp"));

        let html = b"From: operator@sandbox.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain; charset=UTF-8\r\n\r\n \r\n--b\r\n\
Content-Type: text/html; charset=UTF-8\r\n\r\n<html><body><p>LIST</p></body></html>\r\n--b--\r\n";
        let mail = parse(html).unwrap();
        assert_eq!(mail.text.trim(), "LIST");
    }

    #[test]
    fn the_headers_of_automatic_mail_are_read() {
        let raw = b"Return-Path: <>\r\nReturn-Path: <later@example.jp>\r\n\
From: MAILER-DAEMON@sandbox.test\r\nAuto-Submitted: auto-replied (vacation)\r\n\
Precedence: bulk\r\nlist-unsubscribe: <mailto:x@y>\r\nSubject: x\r\n\r\nbody\r\n";
        let auto = parse(raw).unwrap().auto;
        assert_eq!(
            auto.return_path.as_deref(),
            Some(""),
            "the first one counts"
        );
        assert_eq!(
            auto.auto_submitted.as_deref(),
            Some("auto-replied (vacation)")
        );
        assert_eq!(auto.precedence.as_deref(), Some("bulk"));
        assert_eq!(auto.list_header.as_deref(), Some("List-Unsubscribe"));
        let person = parse(b"Return-Path: <Operator@Sandbox.Test>\r\nSubject: x\r\n\r\nLIST\r\n");
        let auto = person.unwrap().auto;
        assert_eq!(auto.return_path.as_deref(), Some("operator@sandbox.test"));
        assert_eq!((auto.auto_submitted, auto.list_header), (None, None));
    }

    #[test]
    fn a_header_name_with_a_multibyte_character_is_no_panic() {
        let raw =
            "From: a@b.test\r\nLis\u{fffd}x: y\r\nList\u{fffd}: z\r\nSubject: x\r\n\r\nLIST\r\n";
        let auto = parse(raw.as_bytes()).unwrap().auto;
        assert_eq!(auto.list_header, None);
    }

    #[test]
    fn subjects_get_one_re_and_garbage_is_not_a_mail() {
        use shared::Lang::{En, Ja};
        assert_eq!(reply_subject("LIST", Ja), "Re: LIST");
        assert_eq!(reply_subject("Re: RE: re: LIST", Ja), "Re: LIST");
        assert_eq!(reply_subject("Re：一覧", En), "Re: 一覧");
        assert_eq!(reply_subject("", Ja), "KaracrixBuilder からの返信");
        assert_eq!(reply_subject("  Re: ", En), "Reply from KaracrixBuilder");
        assert!(parse(b"").is_none());
    }

    fn mail_with(message_id: &str, references: Vec<String>) -> ReceivedMail {
        let mut mail = parse(b"From: operator@sandbox.test\r\nSubject: x\r\n\r\nLIST\r\n").unwrap();
        mail.message_id = Some(message_id.into());
        mail.references = references;
        mail
    }

    #[test]
    fn a_long_thread_keeps_its_first_and_latest_references() {
        let references: Vec<String> = (0..200).map(|n| format!("m{n}@phone.test")).collect();
        let headers = thread_headers(&mail_with("m200@phone.test", references));
        assert_eq!(headers[0], ("In-Reply-To", "<m200@phone.test>".to_string()));
        let kept: Vec<&str> = headers[1].1.split(' ').collect();
        assert_eq!(kept.len(), MAX_REFERENCES);
        assert_eq!(kept[0], "<m0@phone.test>", "the thread's first");
        assert_eq!(kept[1], "<m192@phone.test>");
        assert_eq!(
            kept[MAX_REFERENCES - 1],
            "<m200@phone.test>",
            "the parent last"
        );
    }

    #[test]
    fn ids_that_could_break_a_header_are_left_out() {
        let long = format!("{}@phone.test", "x".repeat(MAX_ID_OCTETS));
        let references = vec![
            "a b@phone.test".to_string(),
            "evil>\r\nBcc: x@y".to_string(),
            long.clone(),
            "ok@phone.test".to_string(),
        ];
        let headers = thread_headers(&mail_with("m1@phone.test", references));
        assert_eq!(headers[1].1, "<ok@phone.test> <m1@phone.test>");
        assert!(thread_headers(&mail_with(&long, Vec::new())).is_empty());
    }

    #[test]
    fn an_address_no_server_could_deliver_to_is_no_sender() {
        let long = format!(
            "From: {}@sandbox.test\r\nSubject: x\r\n\r\nLIST\r\n",
            "a".repeat(300)
        );
        let mail = parse(long.as_bytes()).unwrap();
        assert_eq!((mail.from, mail.from_as_written), (None, None));
    }

    #[test]
    fn a_long_subject_is_cut_between_characters() {
        let subject = "ポンプ".repeat(1000);
        let bounded = bounded_subject(&subject);
        assert_eq!(bounded.chars().count(), MAX_SUBJECT_CHARS + 1);
        assert!(bounded.ends_with('…'));
        assert_eq!(bounded_subject("LIST"), "LIST");
    }
}
