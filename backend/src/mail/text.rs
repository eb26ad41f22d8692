//! Writing plain-text mail in UTF-8, ISO-2022-JP or Shift_JIS: encoded-word headers (RFC 2047)
//! and a body in the charset, so old Japanese phones can read replies and the simulated phone
//! can send as they do.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use encoding_rs::{Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8};
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
    /// Further headers, e.g. In-Reply-To, already in wire form.
    pub extra_headers: &'a [(&'a str, String)],
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

/// `name: value` folded at spaces (RFC 5322 §2.2.3) so lines stay within [`FOLD_AT`]
/// characters where a space allows; a longer word keeps a line of its own (callers bound words
/// well under 998 octets). A value with line breaks is already folded (encoded-words).
fn folded(name: &str, value: &str) -> String {
    let mut out = format!("{name}:");
    if value.contains("\r\n") {
        out.push(' ');
        out.push_str(value);
        return out;
    }
    let mut line = out.len();
    for word in value.split(' ') {
        if line + 1 + word.len() > FOLD_AT && line > name.len() + 1 && !word.is_empty() {
            out.push_str("\r\n");
            line = 0;
        }
        out.push(' ');
        out.push_str(word);
        line += 1 + word.len();
    }
    out
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
pub fn compose(mail: &TextMail<'_>) -> Vec<u8> {
    let mut out = String::new();
    let mut header = |name: &str, value: &str| {
        out.push_str(&folded(name, value));
        out.push_str("\r\n");
    };
    header("From", mail.from);
    header("To", &mail.to.join(", "));
    header("Subject", &encode_header(mail.subject, mail.charset));
    header("Date", &super::clock::rfc5322_now());
    header("Message-ID", &format!("<{}>", new_message_id(mail.from)));
    for (name, value) in mail.extra_headers {
        header(name, value);
    }
    header("MIME-Version", "1.0");
    header(
        "Content-Type",
        &format!("text/plain; charset={}", mail.charset.mime_name()),
    );
    let body: String = mail
        .body
        .replace("\r\n", "\n")
        .split('\n')
        .collect::<Vec<_>>()
        .join("\r\n");
    let mut message = out.into_bytes();
    match mail.charset {
        Charset::Iso2022Jp => {
            message.extend_from_slice(b"Content-Transfer-Encoding: 7bit\r\n\r\n");
            message.extend_from_slice(&encode(&body, Charset::Iso2022Jp));
        }
        charset => {
            message.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
            let encoded = BASE64.encode(encode(&body, charset));
            for line in encoded.as_bytes().chunks(76) {
                message.extend_from_slice(line);
                message.extend_from_slice(b"\r\n");
            }
        }
    }
    if !message.ends_with(b"\r\n") {
        message.extend_from_slice(b"\r\n");
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(charset: Charset) {
        let to = vec!["karacrix@sandbox.test".to_string()];
        let raw = compose(&TextMail {
            from: "operator@sandbox.test",
            to: &to,
            subject: "給水ポンプを運転 SET PUMP1 ON してください、長い件名の折り返しも確認します",
            body: "SET 給水ポンプ 入\n一覧\n",
            charset,
            extra_headers: &[("In-Reply-To", "<a@b>".into())],
        });
        assert!(
            raw.iter().all(|b| *b < 0x80),
            "{charset:?}: headers and body are 7-bit"
        );
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            parsed.subject().unwrap(),
            "給水ポンプを運転 SET PUMP1 ON してください、長い件名の折り返しも確認します"
        );
        assert_eq!(
            parsed.body_text(0).unwrap().replace("\r\n", "\n"),
            "SET 給水ポンプ 入\n一覧\n"
        );
        let text = String::from_utf8(raw).unwrap();
        assert!(text.lines().all(|l| l.len() <= 998));
        assert!(text.contains(&format!("charset={}", charset.mime_name())));
        assert!(text.contains("In-Reply-To: <a@b>"));
    }

    #[test]
    fn japanese_mail_round_trips_in_every_charset() {
        round_trip(Charset::Utf8);
        round_trip(Charset::Iso2022Jp);
        round_trip(Charset::ShiftJis);
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
                });
                assert_bounded(&raw);
                let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
                assert_eq!(parsed.subject().unwrap(), subject, "{charset:?}");
                assert_eq!(parsed.references().as_text_list().unwrap().len(), 200);
            }
        }
    }

    #[test]
    fn a_short_header_stays_on_one_line() {
        assert_eq!(folded("In-Reply-To", "<a@b>"), "In-Reply-To: <a@b>");
        assert_eq!(folded("Subject", ""), "Subject: ");
        let long = folded("Subject", &"word ".repeat(30));
        assert!(long.split("\r\n").all(|l| l.len() <= FOLD_AT), "{long}");
        assert_eq!(
            long.replace("\r\n", ""),
            format!("Subject: {}", "word ".repeat(30))
        );
    }
}
