//! The engine is an automatic responder (RFC 3834): this module decides, from a received mail's
//! headers alone, whether it may be answered at all. Mail that another program sent (an alarm,
//! a vacation notice, a bounce, a mailing list) is never answered, so two automatic systems
//! cannot keep each other busy. The caller still deletes such mail (the manual: mail once read
//! is not left on the server) and logs [`Automatic::notice`].
//!
//! Where RFC 3834 leaves the list open, this follows what Dovecot's Sieve vacation (Pigeonhole,
//! after RFC 5230 §4.5) refuses: `Auto-Submitted` other than `no`, `Precedence: bulk|junk|list`,
//! any `List-*` header (RFC 2369, RFC 2919), an empty return path, and the system senders
//! `MAILER-DAEMON`, `LISTSERV`, `majordomo`, `owner-*` and `*-request`; plus `postmaster`,
//! which Postfix uses for its own notices, and the system's own address.

use shared::transcript::Notice;

pub use crate::mail::message::AutoHeaders;

/// Why a mail must not be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Automatic {
    /// `Auto-Submitted` other than `no`: `auto-replied`, `auto-generated`, … .
    AutoSubmitted(String),
    /// `Precedence: bulk`, `junk` or `list`.
    Precedence(String),
    /// A mailing list's header.
    List(String),
    /// `Return-Path: <>`: a delivery status notification or another automatic mail.
    NullReturnPath,
    /// A system sender such as `MAILER-DAEMON` or `postmaster`.
    SystemSender(String),
    /// The system's own address (8.自分のメールアドレス名): answering it would answer itself.
    OwnAddress(String),
}

/// Local parts that only programs send from (compared without case).
const SYSTEM_SENDERS: [&str; 4] = ["mailer-daemon", "postmaster", "listserv", "majordomo"];

/// Why `from` (the From address, lowercase) with `headers` must not be answered by the system
/// whose address is `own`; `None` when it may be.
pub fn automatic(from: Option<&str>, headers: &AutoHeaders, own: &str) -> Option<Automatic> {
    if let Some(value) = &headers.auto_submitted
        && keyword(value) != "no"
    {
        return Some(Automatic::AutoSubmitted(keyword(value)));
    }
    if let Some(value) = &headers.precedence {
        let value = keyword(value);
        if matches!(value.as_str(), "bulk" | "junk" | "list") {
            return Some(Automatic::Precedence(value));
        }
    }
    if let Some(name) = &headers.list_header {
        return Some(Automatic::List(name.clone()));
    }
    if headers.return_path.as_deref() == Some("") {
        return Some(Automatic::NullReturnPath);
    }
    let senders = from.into_iter().chain(headers.return_path.as_deref());
    for sender in senders {
        if sender.eq_ignore_ascii_case(own.trim()) {
            return Some(Automatic::OwnAddress(sender.to_string()));
        }
        if is_system_sender(sender) {
            return Some(Automatic::SystemSender(sender.to_string()));
        }
    }
    None
}

/// The first word of a structured header value, lowercase, without comments or parameters:
/// `auto-replied; owner-email="a@b"` and `Bulk (list)` give `auto-replied` and `bulk`.
fn keyword(value: &str) -> String {
    let value = value.split([';', '(']).next().unwrap_or_default();
    value.trim().to_ascii_lowercase()
}

fn is_system_sender(address: &str) -> bool {
    let local = address
        .rsplit_once('@')
        .map_or(address, |(local, _)| local)
        .to_ascii_lowercase();
    SYSTEM_SENDERS.contains(&local.as_str())
        || local.starts_with("owner-")
        || local.ends_with("-request")
}

impl Automatic {
    /// What the log says: the mail was deleted and not answered, and why.
    pub fn notice(&self) -> Notice {
        let (ja, en) = match self {
            Automatic::AutoSubmitted(v) => (
                format!("自動送信のメール（Auto-Submitted: {v}）"),
                format!("automatic mail (Auto-Submitted: {v})"),
            ),
            Automatic::Precedence(v) => (
                format!("一括配信のメール（Precedence: {v}）"),
                format!("bulk mail (Precedence: {v})"),
            ),
            Automatic::List(name) => (
                format!("メーリングリストのメール（{name}）"),
                format!("mailing-list mail ({name})"),
            ),
            Automatic::NullReturnPath => (
                "エラー通知などのメール（Return-Path: <>）".to_string(),
                "a bounce or other notice (Return-Path: <>)".to_string(),
            ),
            Automatic::SystemSender(s) => (
                format!("システムの送信者 {s} からのメール"),
                format!("mail from the system sender {s}"),
            ),
            Automatic::OwnAddress(s) => (
                format!("自分のアドレス {s} からのメール"),
                format!("mail from the system's own address {s}"),
            ),
        };
        Notice::new(
            format!("{ja}: メールループを防ぐため、実行も返信もせずに削除しました"),
            format!("{en}: deleted without executing or answering, so no mail loop can start"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "karacrix@sandbox.test";
    const PHONE: Option<&str> = Some("operator@sandbox.test");

    fn headers(edit: impl FnOnce(&mut AutoHeaders)) -> AutoHeaders {
        let mut headers = AutoHeaders::default();
        edit(&mut headers);
        headers
    }

    #[test]
    fn a_person_s_mail_is_answered() {
        assert_eq!(automatic(PHONE, &AutoHeaders::default(), OWN), None);
        let explicit_no = headers(|h| {
            h.auto_submitted = Some(" No (a person)".into());
            h.precedence = Some("normal".into());
            h.return_path = Some("operator@sandbox.test".into());
        });
        assert_eq!(automatic(PHONE, &explicit_no, OWN), None);
    }

    #[test]
    fn automatic_mail_is_never_answered() {
        let cases = [
            (
                headers(|h| h.auto_submitted = Some("auto-replied".into())),
                Automatic::AutoSubmitted("auto-replied".into()),
            ),
            (
                headers(|h| h.auto_submitted = Some("Auto-Generated; x=y".into())),
                Automatic::AutoSubmitted("auto-generated".into()),
            ),
            (
                headers(|h| h.precedence = Some("Bulk".into())),
                Automatic::Precedence("bulk".into()),
            ),
            (
                headers(|h| h.precedence = Some("junk".into())),
                Automatic::Precedence("junk".into()),
            ),
            (
                headers(|h| h.precedence = Some("list (via lists)".into())),
                Automatic::Precedence("list".into()),
            ),
            (
                headers(|h| h.list_header = Some("List-Id".into())),
                Automatic::List("List-Id".into()),
            ),
            (
                headers(|h| h.return_path = Some(String::new())),
                Automatic::NullReturnPath,
            ),
            (
                headers(|h| h.return_path = Some("Karacrix@Sandbox.Test".into())),
                Automatic::OwnAddress("Karacrix@Sandbox.Test".into()),
            ),
        ];
        for (headers, why) in cases {
            assert_eq!(automatic(PHONE, &headers, OWN), Some(why), "{headers:?}");
        }
    }

    #[test]
    fn system_senders_and_the_own_address_are_never_answered() {
        let none = AutoHeaders::default();
        for sender in [
            "mailer-daemon@sandbox.test",
            "MAILER-DAEMON@mx.example.jp",
            "postmaster@example.jp",
            "owner-plant@lists.example.jp",
            "plant-request@lists.example.jp",
            "majordomo@example.jp",
        ] {
            assert_eq!(
                automatic(Some(sender), &none, OWN),
                Some(Automatic::SystemSender(sender.into())),
            );
        }
        assert_eq!(
            automatic(Some(OWN), &none, " KARACRIX@sandbox.test "),
            Some(Automatic::OwnAddress(OWN.into()))
        );
        assert_eq!(automatic(Some("requester@example.jp"), &none, OWN), None);
    }

    #[test]
    fn notices_say_why_in_both_languages() {
        let notice = Automatic::NullReturnPath.notice();
        assert!(notice.ja.contains("Return-Path: <>"), "{notice:?}");
        assert!(notice.en.contains("no mail loop"), "{notice:?}");
    }
}
