//! The texts of the `?` help that are not in `shared`: what to enter in each field, the
//! account the system needs, the two authentication methods, OP25B, the receive interval, RST,
//! and a section for each screen, written in our own words after the original manual page. The
//! status codes come from `shared::status` and the commands from `shared::command::REFERENCE`,
//! so the help, frame (3) and the HELP mail read one catalogue each. Each entry has an id the
//! screens link to.

mod cautions;
mod fields;
mod texts;

pub use cautions::{interval_note, interval_warning, real_pop_warning};
pub use fields::{PROVIDER_TABLE, field_help};

use shared::Lang;
use shared::settings::Field;
use shared::status::{MailError, MailStatus};

/// The help's sections, in page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// The account: a new, dedicated one; mail read is deleted; what the provider gives.
    Account,
    /// Fields 1–12.
    Fields,
    /// PopBeforeSmtp and SmtpAuthLogin.
    Auth,
    /// OP25B and `submission`.
    Op25b,
    /// The receive interval.
    Interval,
    /// RST.
    Restart,
    /// Frame (3): every state and error.
    Status,
    /// The command language: every command, its forms, examples and replies.
    Commands,
    /// The GUI呼出コンソール.
    Console,
    /// ポイント一覧.
    Points,
    /// 携帯メール.
    Phone,
    /// 通信ログ.
    Log,
    /// サンドボックスISP.
    Isp,
    /// The language of replies and alarm mails.
    MailLang,
    /// The connection test.
    ConnTest,
}

impl Section {
    /// Every section, in page order.
    pub const ALL: [Section; 15] = [
        Section::Account,
        Section::Fields,
        Section::Auth,
        Section::Op25b,
        Section::Interval,
        Section::Restart,
        Section::Status,
        Section::Commands,
        Section::Console,
        Section::Points,
        Section::Phone,
        Section::Log,
        Section::Isp,
        Section::MailLang,
        Section::ConnTest,
    ];

    /// The entry id of the section.
    pub fn id(self) -> &'static str {
        match self {
            Section::Account => "account",
            Section::Fields => "fields",
            Section::Auth => "auth",
            Section::Op25b => "op25b",
            Section::Interval => "interval",
            Section::Restart => "restart",
            Section::Status => "status",
            Section::Commands => "commands",
            Section::Console => "console",
            Section::Points => "points",
            Section::Phone => "phone",
            Section::Log => "log",
            Section::Isp => "isp",
            Section::MailLang => "mail-lang",
            Section::ConnTest => "conn-test",
        }
    }

    /// The section's heading.
    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Section::Account => lang.pick(
                "メールアカウントの用意（新規・専用）",
                "The mail account (new and dedicated)",
            ),
            Section::Fields => lang.pick("入力項目 1〜12", "Fields 1–12"),
            Section::Auth => lang.pick(
                "認証方式: PopBeforeSmtp と SmtpAuthLogin",
                "Authentication: PopBeforeSmtp and SmtpAuthLogin",
            ),
            Section::Op25b => lang.pick(
                "OP25B（迷惑メール対策）と submission",
                "OP25B (anti-spam port 25 blocking) and submission",
            ),
            Section::Interval => lang.pick("メール受信間隔時間", "The receive interval"),
            Section::Restart => lang.pick("設定の反映（RST）", "Applying settings (RST)"),
            Section::Status => lang.pick(
                "接続状態の表示（画面 (3)）",
                "The connection state (frame (3))",
            ),
            Section::Commands => lang.pick("コマンドメール一覧", "Command mail reference"),
            Section::Console => lang.pick("GUI呼出コンソール", "The GUI console"),
            Section::Points => lang.pick("ポイント一覧", "The points screen"),
            Section::Phone => lang.pick("携帯メール", "The phone"),
            Section::Log => lang.pick("通信ログ", "The protocol log"),
            Section::Isp => lang.pick("サンドボックスISP", "The sandbox ISP"),
            Section::MailLang => lang.pick(
                "返信・警報メールの言語（本シミュレータの追加）",
                "Language of replies and alarm mails (this simulator's addition)",
            ),
            Section::ConnTest => lang.pick(
                "接続テスト（本シミュレータの追加）",
                "Connection test (this simulator's addition)",
            ),
        }
    }

    /// The section's paragraphs (tables and lists of some sections come on top).
    pub fn paragraphs(self, lang: Lang) -> &'static [&'static str] {
        texts::paragraphs(self, lang)
    }
}

/// The help entry id of a field.
pub fn field_id(field: Field) -> String {
    format!("field-{}", field.number())
}

/// The states of frame (3) the help lists, with an example for the ones that carry numbers.
pub fn states() -> [MailStatus; 9] {
    [
        MailStatus::Stop,
        MailStatus::Wait,
        MailStatus::Run { cycles: 3 },
        MailStatus::PopConnect,
        MailStatus::PopAuth,
        MailStatus::PopReceive { index: 2, total: 5 },
        MailStatus::SmtpConnect,
        MailStatus::SmtpAuth,
        MailStatus::SmtpSend { index: 1, total: 3 },
    ]
}

/// The help entry id of a state shown in frame (3): its display without the numbers, e.g.
/// `run`, `pop-recv`, `err-timeout`, `err-smtp-auth`.
pub fn status_id(status: &MailStatus) -> String {
    status
        .display()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| word.bytes().any(|b| b.is_ascii_alphabetic()))
        .collect::<Vec<_>>()
        .join("-")
}

/// The help entry id of an error.
pub fn error_id(error: MailError) -> String {
    status_id(&MailStatus::Error {
        error,
        detail: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_entry_has_a_distinct_plain_id() {
        let mut ids = HashSet::new();
        let all = Section::ALL
            .iter()
            .map(|s| s.id().to_string())
            .chain(Field::ALL.iter().map(|f| field_id(*f)))
            .chain(states().iter().map(status_id).collect::<Vec<_>>())
            .chain(MailError::ALL.iter().map(|e| error_id(*e)));
        for id in all {
            assert!(
                crate::nav::Page::from_hash(&format!("#help/{id}"))
                    == crate::nav::Page::Help {
                        entry: Some(id.clone())
                    },
                "{id} does not survive the address"
            );
            assert!(ids.insert(id.clone()), "duplicate id {id}");
        }
        assert_eq!(status_id(&MailStatus::Run { cycles: 12 }), "run");
        assert_eq!(error_id(MailError::Timeout), "err-timeout");
        assert_eq!(error_id(MailError::SmtpAuthFailed), "err-smtp-auth");
    }

    #[test]
    fn every_text_exists_in_both_languages() {
        for field in Field::ALL {
            assert_ne!(field_help(field, Lang::Ja), field_help(field, Lang::En));
        }
        for section in Section::ALL {
            for lang in [Lang::Ja, Lang::En] {
                assert!(!section.paragraphs(lang).is_empty());
            }
            assert_eq!(
                section.paragraphs(Lang::Ja).len(),
                section.paragraphs(Lang::En).len()
            );
        }
        let interval = Section::Interval.paragraphs(Lang::En).join(" ");
        assert!(interval.contains("10, 20, 30 or 60") && interval.contains("0 to stop receiving"));
        let interval = Section::Interval.paragraphs(Lang::Ja).join("");
        assert!(interval.contains("ハッカー") && interval.contains("余分な負荷"));
    }

    #[test]
    fn the_manual_s_cautions_and_restart_path_are_in_the_help() {
        let account = Section::Account.paragraphs(Lang::Ja).join("");
        assert!(account.contains("新規メールアカウント") && account.contains("削除され残りません"));
        let restart = Section::Restart.paragraphs(Lang::Ja).join("");
        assert!(restart.contains("メインメニューを閉じて、GUI呼出コンソール"));
        let restart = Section::Restart.paragraphs(Lang::En).join("");
        assert!(restart.contains("close the main menu"));
        // Every field the manual's list names is in the table, and each only once.
        let fields: std::collections::HashSet<_> = PROVIDER_TABLE.iter().map(|r| r.2).collect();
        assert_eq!(fields.len(), PROVIDER_TABLE.len());
        for section in Section::ALL {
            let english = section.paragraphs(Lang::En).join(" ");
            assert!(
                !english
                    .chars()
                    .any(|c| ('\u{3040}'..='\u{9fff}').contains(&c)),
                "{section:?}: {english}"
            );
        }
    }
}
