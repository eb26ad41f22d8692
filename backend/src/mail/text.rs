//! Writing plain-text mail in UTF-8, ISO-2022-JP or Shift_JIS, so old Japanese phones can read
//! replies and the simulated phone can send as they do. lettre's `MessageBuilder` writes the
//! envelope and the standard headers; the Japanese text is encoded here, because no crate
//! writes it: lettre encodes words in UTF-8 only, and old phones need the Subject as RFC 2047
//! encoded-words in ISO-2022-JP or Shift_JIS, split between characters (an ISO-2022-JP word
//! must end back in ASCII), and the body in the same charset.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use encoding_rs::{Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8};
use lettre::message::header::{ContentTransferEncoding, HeaderName, HeaderValue, MIME_VERSION_1_0};
use lettre::message::{Body, Mailbox, MessageBuilder};
use shared::phone::Charset;

/// Raw octets per encoded-word, so each stays under RFC 2047's 75 characters.
const WORD_OCTETS: usize = 36;
/// The line length a header is folded to where a space allows (RFC 5322 §2.1.1).
const FOLD_AT: usize = 78;

/// A message to write.
#[derive(Debug, Clone)]
pub struct TextMail<'a> {
    /// From address.
    pub from: &'a str,
    /// To addresses.
    pub to: &'a [String],
    /// Subject (any Unicode).
    pub subject: &'a str,
    /// Body (any Unicode; line ends are normalised to CRLF).
    pub body: &'a str,
    /// The charset of subject and body.
    pub charset: Charset,
    /// Further headers, e.g. In-Reply-To (ASCII).
    pub extra_headers: &'a [(&'a str, String)],
}

/// Why a mail cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// An address of the From or To header is not one a server delivers to.
    #[error("{address}: {source}")]
    Address {
        /// The address as given.
        address: String,
        /// Why it is not an address.
        source: lettre::address::AddressError,
    },
    /// A further header's name is not a header name.
    #[error("header name {0:?}")]
    HeaderName(String),
    /// The headers make no message (no sender, no recipient).
    #[error(transparent)]
    Message(#[from] lettre::error::Error),
}

fn encoding(charset: Charset) -> &'static Encoding {
    match charset {
        Charset::Utf8 => UTF_8,
        Charset::Iso2022Jp => ISO_2022_JP,
        Charset::ShiftJis => SHIFT_JIS,
    }
}

/// Encodes `text` in `charset`; characters it lacks become `?` rather than failing.
fn encode(text: &str, charset: Charset) -> Vec<u8> {
    let (bytes, _, _) = encoding(charset).encode(text);
    bytes.into_owned()
}

/// A header value: as is when plain ASCII, else encoded-words of at most [`WORD_OCTETS`] each,
/// split between characters (each word encoded on its own, so ISO-2022-JP words end in ASCII).
pub fn encode_header(value: &str, charset: Charset) -> String {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return value.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in value.chars() {
        chunk.push(c);
        if encode(&chunk, charset).len() > WORD_OCTETS {
            chunk.pop();
            words.push(std::mem::take(&mut chunk));
            chunk.push(c);
        }
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| {
            format!(
                "=?{}?B?{}?=",
                charset.mime_name(),
                BASE64.encode(encode(w, charset))
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// The value of header `name` folded at spaces (RFC 5322 §2.2.3) so lines stay within
/// [`FOLD_AT`] characters where a space allows; a longer word keeps a line of its own (callers
/// bound words well under 998 octets). A value with line breaks is already folded
/// (encoded-words).
fn folded(name: &str, value: &str) -> String {
    if value.contains("\r\n") {
        return value.to_string();
    }
    let mut out = String::new();
    // `name: ` precedes the value on its first line.
    let mut line = name.len() + 2;
    for (n, word) in value.split(' ').enumerate() {
        if n > 0 {
            if line + 1 + word.len() > FOLD_AT && !word.is_empty() {
                out.push_str("\r\n");
                line = 0;
            }
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

/// The Subject in `charset`, encoded and folded here (see the module comment); the value holds
/// printable ASCII only, as [`encode_header`] encodes anything else.
fn subject(subject: &str, charset: Charset) -> HeaderValue {
    let name = "Subject";
    HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str(name),
        subject.to_string(),
        folded(name, &encode_header(subject, charset)),
    )
}

/// The body in `charset` with CRLF line ends: ISO-2022-JP as 7bit (as Japanese phones write
/// it; base64 if a line is too long for 7bit), the others base64.
fn body(text: &str, charset: Charset) -> Body {
    let crlf = text
        .replace("\r\n", "\n")
        .split('\n')
        .collect::<Vec<_>>()
        .join("\r\n");
    let bytes = encode(&crlf, charset);
    let transfer = match charset {
        Charset::Iso2022Jp => ContentTransferEncoding::SevenBit,
        Charset::Utf8 | Charset::ShiftJis => ContentTransferEncoding::Base64,
    };
    // Only 7bit can be refused (a line over 998 octets); lettre then picks the encoding.
    Body::new_with_encoding(bytes, transfer).unwrap_or_else(Body::new)
}

fn mailbox(address: &str) -> Result<Mailbox, ComposeError> {
    address.parse().map_err(|source| ComposeError::Address {
        address: address.to_string(),
        source,
    })
}

/// A new Message-ID (without brackets) in the sender's domain.
pub fn new_message_id(from: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let domain = from.rsplit_once('@').map_or("localhost", |(_, d)| d);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{nanos:x}.{}.{}@{domain}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// Writes the whole message, CRLF line ends.
pub fn compose(mail: &TextMail<'_>) -> Result<Vec<u8>, ComposeError> {
    let mut builder = MessageBuilder::new().from(mailbox(mail.from)?);
    for to in mail.to {
        builder = builder.to(mailbox(to)?);
    }
    builder = builder
        .raw_header(subject(mail.subject, mail.charset))
        .date(SystemTime::now())
        .message_id(Some(format!("<{}>", new_message_id(mail.from))));
    for (name, value) in mail.extra_headers {
        builder = match *name {
            "In-Reply-To" => builder.in_reply_to(value.clone()),
            "References" => builder.references(value.clone()),
            _ => {
                let name = HeaderName::new_from_ascii(name.to_string())
                    .map_err(|_| ComposeError::HeaderName(name.to_string()))?;
                builder.raw_header(HeaderValue::new(name, value.clone()))
            }
        };
    }
    // Written as is: lettre's ContentType would lowercase the charset, and phones know the
    // label in its registered spelling (`ISO-2022-JP`, `Shift_JIS`).
    let content_type = HeaderValue::new(
        HeaderName::new_from_ascii_str("Content-Type"),
        format!("text/plain; charset={}", mail.charset.mime_name()),
    );
    let mut message = builder
        .header(MIME_VERSION_1_0)
        .raw_header(content_type)
        .body(body(mail.body, mail.charset))?
        .formatted();
    if !message.ends_with(b"\r\n") {
        message.extend_from_slice(b"\r\n");
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBJECT: &str =
        "給水ポンプを運転 SET PUMP1 ON してください、長い件名の折り返しも確認します";
    const BODY: &str = "SET 給水ポンプ 入\n一覧\n";

    /// A threaded automatic reply in `charset` as mail-parser reads it back.
    fn round_trip(charset: Charset) {
        let to = vec!["karacrix@sandbox.test".to_string()];
        let raw = compose(&TextMail {
            from: "operator@sandbox.test",
            to: &to,
            subject: SUBJECT,
            body: BODY,
            charset,
            extra_headers: &[
                ("Auto-Submitted", "auto-replied".into()),
                ("In-Reply-To", "<a@b>".into()),
                ("References", "<r@b> <a@b>".into()),
            ],
        })
        .unwrap();
        assert!(
            raw.iter().all(|b| *b < 0x80),
            "{charset:?}: headers and body are 7-bit"
        );
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(parsed.subject().unwrap(), SUBJECT, "{charset:?}");
        assert_eq!(
            parsed.body_text(0).unwrap().replace("\r\n", "\n"),
            BODY,
            "{charset:?}"
        );
        assert_eq!(parsed.in_reply_to().as_text(), Some("a@b"));
        assert_eq!(
            parsed.references().as_text_list().unwrap(),
            ["r@b", "a@b"],
            "{charset:?}"
        );
        assert_eq!(
            parsed.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-replied")
        );
        assert_eq!(
            parsed.from().unwrap().first().unwrap().address(),
            Some("operator@sandbox.test")
        );
        assert_eq!(
            parsed.to().unwrap().first().unwrap().address(),
            Some("karacrix@sandbox.test")
        );
        assert!(parsed.message_id().unwrap().ends_with("@sandbox.test"));
        assert!(parsed.date().is_some());
        let text = String::from_utf8(raw).unwrap();
        assert!(text.lines().all(|l| l.len() <= 998));
        assert!(text.contains(&format!("charset={}", charset.mime_name())));
        assert!(text.contains("MIME-Version: 1.0\r\n"));
        let transfer = match charset {
            Charset::Iso2022Jp => "7bit",
            Charset::Utf8 | Charset::ShiftJis => "base64",
        };
        assert!(text.contains(&format!("Content-Transfer-Encoding: {transfer}\r\n")));
        assert!(text.ends_with("\r\n"));
    }

    #[test]
    fn japanese_mail_round_trips_in_every_charset() {
        round_trip(Charset::Utf8);
        round_trip(Charset::Iso2022Jp);
        round_trip(Charset::ShiftJis);
    }

    #[test]
    fn an_iso_2022_jp_line_too_long_for_7bit_is_encoded_and_round_trips() {
        let to = vec!["karacrix@sandbox.test".to_string()];
        let body = "給水".repeat(600);
        let raw = compose(&TextMail {
            from: "operator@sandbox.test",
            to: &to,
            subject: "Re: LIST",
            body: &body,
            charset: Charset::Iso2022Jp,
            extra_headers: &[],
        })
        .unwrap();
        let text = String::from_utf8(raw.clone()).unwrap();
        assert!(text.split("\r\n").all(|l| l.len() <= 998));
        assert!(!text.contains("Content-Transfer-Encoding: 7bit"));
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(parsed.body_text(0).unwrap().trim_end(), body);
    }

    #[test]
    fn a_mail_without_an_addressable_sender_or_recipient_is_not_written() {
        let mail = |from: &'static str, to: &'static [String]| TextMail {
            from,
            to,
            subject: "Re: LIST",
            body: "OK",
            charset: Charset::Utf8,
            extra_headers: &[],
        };
        let nobody: &'static [String] = &[];
        assert!(matches!(
            compose(&mail("operator@sandbox.test", nobody)),
            Err(ComposeError::Message(_))
        ));
        let to: &'static [String] = Box::leak(Box::new(["no address".to_string()]));
        assert!(matches!(
            compose(&mail("operator@sandbox.test", to)),
            Err(ComposeError::Address { .. })
        ));
        let to: &'static [String] = Box::leak(Box::new(["a@b.test".to_string()]));
        assert!(compose(&mail("", to)).is_err());
    }

    #[test]
    fn ascii_headers_stay_plain() {
        assert_eq!(encode_header("Re: LIST", Charset::Iso2022Jp), "Re: LIST");
        assert!(encode_header("一覧", Charset::Iso2022Jp).starts_with("=?ISO-2022-JP?B?"));
    }

    /// Every line of `raw`'s header within 998 octets, every encoded-word within 75.
    fn assert_bounded(raw: &[u8]) {
        let text = String::from_utf8(raw.to_vec()).unwrap();
        let head = text.split("\r\n\r\n").next().unwrap();
        for line in head.split("\r\n") {
            assert!(line.len() <= 998, "{} octets: {line:.80}", line.len());
            for word in line.split(' ').filter(|w| w.starts_with("=?")) {
                assert!(word.len() <= 75, "{word}");
            }
        }
    }

    #[test]
    fn long_headers_are_folded_at_spaces_and_never_over_998_octets() {
        let to = vec!["operator@sandbox.test".to_string()];
        let words = "Re: ".to_string() + &"LIST ".repeat(1000);
        let references: Vec<String> = (0..200).map(|n| format!("<m{n}@phone.test>")).collect();
        for charset in [Charset::Utf8, Charset::Iso2022Jp, Charset::ShiftJis] {
            for subject in [
                words.trim_end().to_string(),
                "Re: ".to_string() + &"給水ポンプ".repeat(400),
            ] {
                let raw = compose(&TextMail {
                    from: "karacrix@sandbox.test",
                    to: &to,
                    subject: &subject,
                    body: "OK",
                    charset,
                    extra_headers: &[("References", references.join(" "))],
                })
                .unwrap();
                assert_bounded(&raw);
                let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
                assert_eq!(parsed.subject().unwrap(), subject, "{charset:?}");
                assert_eq!(parsed.references().as_text_list().unwrap().len(), 200);
            }
        }
    }

    #[test]
    fn a_short_header_stays_on_one_line() {
        assert_eq!(folded("Subject", "Re: LIST"), "Re: LIST");
        assert_eq!(folded("Subject", ""), "");
        let long = format!("Subject: {}", folded("Subject", &"word ".repeat(30)));
        assert!(long.split("\r\n").all(|l| l.len() <= FOLD_AT), "{long}");
        assert_eq!(
            long.replace("\r\n", ""),
            format!("Subject: {}", "word ".repeat(30))
        );
    }
}
