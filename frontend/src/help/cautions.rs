//! The manual's cautions as the settings screen shows them under a field, decided from what is
//! typed (before 登録), so the trainee reads them while choosing the value: a receive interval
//! below the safe order, the meaning of 0, and a POP server that is not the sandbox (whose mail
//! the engine would really delete).

use shared::Lang;
use shared::settings::{SAFE_INTERVAL_MIN, is_sandbox_host, parse_host_port};

/// The warning under 1. for an interval of 1 to 9 minutes: allowed, but the manual advises
/// against it. `None` for other values (0 and non-numbers have their own note or error).
pub fn interval_warning(typed: &str, lang: Lang) -> Option<&'static str> {
    let minutes: u32 = typed.trim().parse().ok()?;
    (1..SAFE_INTERVAL_MIN).contains(&minutes).then(|| {
        lang.pick(
            "10 分未満です（登録はできます）。小刻みに受信しすぎると、メールサーバにハッカー（不正アクセス）と疑われることがあります。数分単位は避け、10〜60 分程度にしてください。メールサーバ管理者にも相談してください。",
            "Below 10 minutes (it can still be saved). Polling this often can make the mail server take the system for an attacker. Avoid a few minutes; 10 to 60 minutes is the safe order. Ask the server's administrator.",
        )
    })
}

/// The note under 1. for 0: what it does and why it is the advice when only sending.
pub fn interval_note(typed: &str, lang: Lang) -> Option<&'static str> {
    (typed.trim().parse::<u32>().ok()? == 0).then(|| {
        lang.pick(
            "0: 受信を止めます（送信は続きます）。警報メールを送るだけなら 0 にしてください。定期的な受信がなくなり、システムに余分な負荷をかけません。",
            "0: receiving stops (sending goes on). Choose 0 when the system only sends alarm mail: no periodic reads, so no needless load on the system.",
        )
    })
}

/// The warning under 6. when the POP server typed is a real server: every mail the engine reads
/// there is deleted. `None` for the sandbox, and for an empty or malformed name (its error says
/// what is wrong).
pub fn real_pop_warning(typed: &str, lang: Lang) -> Option<&'static str> {
    let (host, _) = parse_host_port(typed)?;
    (!is_sandbox_host(&host)).then(|| {
        lang.pick(
            "実際のメールサーバです。RST 後、このアカウントに届いたメールはすべて読み取られ、サーバから削除されます。このシステム専用の新しいアカウントか確認してください。",
            "A real mail server. After RST every mail arriving at this account is read and deleted from the server. Make sure it is a new account dedicated to this system.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_interval_is_warned_about_but_not_zero_or_ten() {
        for short in ["1", " 5 ", "9"] {
            assert!(interval_warning(short, Lang::Ja).is_some(), "{short}");
            assert!(
                interval_warning(short, Lang::En)
                    .unwrap()
                    .contains("10 to 60")
            );
        }
        for fine in ["0", "10", "60", "", "ten"] {
            assert_eq!(interval_warning(fine, Lang::Ja), None, "{fine}");
        }
        assert!(interval_note("0", Lang::Ja).unwrap().contains("負荷"));
        assert_eq!(interval_note("10", Lang::Ja), None);
        assert_eq!(interval_note("", Lang::Ja), None);
    }

    #[test]
    fn only_a_real_pop_server_is_warned_about() {
        assert!(real_pop_warning("pop.example.jp", Lang::Ja).is_some());
        assert!(real_pop_warning("192.0.2.1:995", Lang::En).is_some());
        for quiet in [
            "mail.sandbox.test",
            "MAIL.SANDBOX.TEST:2110",
            "",
            "bad host!",
        ] {
            assert_eq!(real_pop_warning(quiet, Lang::Ja), None, "{quiet}");
        }
    }
}
