//! The texts of the `?` help that are not in `shared`: what to enter in each field, the two
//! authentication methods, OP25B and the receive interval, written in our own words after the
//! original manual page. The status codes come from `shared::status`, so the help and frame (3)
//! read one catalogue. Each entry has an id the screens link to.

use shared::Lang;
use shared::settings::Field;
use shared::status::{MailError, MailStatus};

/// The help's sections, in page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
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
    /// The language of replies and alarm mails.
    MailLang,
    /// The connection test.
    ConnTest,
}

impl Section {
    /// Every section, in page order.
    pub const ALL: [Section; 8] = [
        Section::Fields,
        Section::Auth,
        Section::Op25b,
        Section::Interval,
        Section::Restart,
        Section::Status,
        Section::MailLang,
        Section::ConnTest,
    ];

    /// The entry id of the section.
    pub fn id(self) -> &'static str {
        match self {
            Section::Fields => "fields",
            Section::Auth => "auth",
            Section::Op25b => "op25b",
            Section::Interval => "interval",
            Section::Restart => "restart",
            Section::Status => "status",
            Section::MailLang => "mail-lang",
            Section::ConnTest => "conn-test",
        }
    }

    /// The section's heading.
    pub fn title(self, lang: Lang) -> &'static str {
        match self {
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
            Section::MailLang => lang.pick(
                "返信・警報メールの言語（本シミュレータの追加）",
                "Language of replies and alarm mails (our addition)",
            ),
            Section::ConnTest => lang.pick(
                "接続テスト（本シミュレータの追加）",
                "Connection test (our addition)",
            ),
        }
    }

    /// The section's paragraphs (the status section lists the catalogue instead).
    pub fn paragraphs(self, lang: Lang) -> &'static [&'static str] {
        match (self, lang) {
            (Section::Fields, Lang::Ja) => &[
                "KaracrixBuilder は 1 人の利用者のように自分のメールアカウントを持ちます。POP と SMTP で接続できるアカウントなら、無料のものでも使えます。5〜12 は元の画面の番号どおりです。1〜4 は本シミュレータで追加した項目です。",
            ],
            (Section::Fields, Lang::En) => &[
                "KaracrixBuilder has its own mail account, as if it were one more person. Any account reachable by POP and SMTP will do, free ones included. Fields 5–12 are numbered as on the original screen; 1–4 are this simulator's additions.",
            ],
            (Section::Auth, Lang::Ja) => &[
                "11.PopBeforeSmtp: 送信の前に POP サーバへログインし、その記録で一定時間 SMTP の送信が許される方式です。通常はこちらを選びます。認証のとき POP サーバにアクセスします。",
                "12.SmtpAuthLogin: SMTP サーバ自身にユーザ名とパスワードでログインしてから送る方式です。サーバがログイン認証を求める場合（セキュリティの厳しいところ、submission ポートの多く）に選びます。",
                "どちらが必要かはメールサーバの管理者に確認してください。",
            ],
            (Section::Auth, Lang::En) => &[
                "11. PopBeforeSmtp: log in to the POP server before sending; for a while afterwards the SMTP server accepts mail from this address. The usual choice. The POP server is contacted to authenticate.",
                "12. SmtpAuthLogin: log in to the SMTP server itself with user name and password, then send. Choose it when the server requires login authentication (stricter sites, most submission ports).",
                "Ask the mail server's administrator which one it needs.",
            ],
            (Section::Op25b, Lang::Ja) => &[
                "OP25B（Outbound Port 25 Blocking）は、迷惑メールを抑えるためにプロバイダが外向きの 25 番ポートを塞ぐ仕組みです。採用するプロバイダが増えています。",
                "25 番ポートのサービス名は smtp です。OP25B を実施しているサーバへは 587 番、サービス名 submission で送信します。そのため 5.SMTP名 には多くの場合 submission を指定します。環境によっては smtp のままの場合もあるので、管理者に確認してください。",
                "OP25B のサーバに smtp で接続すると、画面 (3) に接続エラー（err timeout など）が出ます。そのときは 5.SMTP名 を submission に変え、認証方式（多くは 12.SmtpAuthLogin）も確認して、RST で再起動してください。",
            ],
            (Section::Op25b, Lang::En) => &[
                "OP25B (Outbound Port 25 Blocking) is how providers curb spam: outbound port 25 is blocked. More and more providers do it.",
                "Port 25's service name is smtp. A server with OP25B takes mail on port 587, service name submission, so 5. SMTP service is usually submission. Some sites still use smtp; ask the administrator.",
                "Connecting to such a server with smtp shows a connection error in frame (3), such as err timeout. Then change 5. SMTP service to submission, check the authentication method (often 12. SmtpAuthLogin) and restart with RST.",
            ],
            (Section::Interval, Lang::Ja) => &[
                "1.メール受信間隔時間（分）に 1 以上を入れると、その間隔でメールボックスを読みに行きます。読んだメールはテキストとして解析され、情報を求めるコマンドにはメールで答え、ポイント操作のコマンドはポイントを操作して結果を返します。読んだメールはサーバから削除します。",
                "間隔を細かくしすぎると、メールサーバに不正アクセスを疑われることがあります。数分単位は避け、10〜60 分程度が安全です。サーバ管理者にも相談してください。",
                "メールで遠隔操作をせず、警報メールのような送信だけに使う場合は 0 にして受信を止めてください。0 でも送信は行います。",
            ],
            (Section::Interval, Lang::En) => &[
                "With 1. receive interval (minutes) at 1 or more, the mailbox is read at that interval. Mail read is parsed as text: requests for information are answered by mail, point commands operate the point and the result is mailed back. Mail once read is deleted from the server.",
                "Polling too often can make the server suspect an attack. Avoid intervals of a few minutes; 10 to 60 minutes is the safe order. Ask the server's administrator.",
                "If nobody controls the system by mail and it only sends (alarm mails, for example), set 0 to stop receiving. Sending still works with 0.",
            ],
            (Section::Restart, Lang::Ja) => &[
                "登録した設定はすぐには使われません。メインメニューに戻り、GUI呼出コンソールで RST（再起動）すると反映されます。",
            ],
            (Section::Restart, Lang::En) => &[
                "Saved settings are not used at once. Go back to the main menu and restart with RST on the GUI console to apply them.",
            ],
            (Section::Status, Lang::Ja) => &[
                "送受信の間、メールサーバとの接続状態が画面 (3) に表示されます。正常なら run (回数) です。",
            ],
            (Section::Status, Lang::En) => &[
                "While sending and receiving, frame (3) shows the connection to the mail server. When all is well it reads run (count).",
            ],
            (Section::MailLang, Lang::Ja) => &[
                "システムが書く返信メールと警報メールの言語です。元の製品どおり日本語が既定です。英語を読む運用者には English を選びます。画面の言語切替とは別の設定で、登録して RST すると反映されます。",
            ],
            (Section::MailLang, Lang::En) => &[
                "The language of the replies and alarm mails the system writes. Japanese, as in the original product, unless the operators read English. It is separate from the screen's language switch; it takes effect after saving and RST.",
            ],
            (Section::ConnTest, Lang::Ja) => &[
                "「接続テスト」は画面に入力中の設定（登録していなくても）でメールサーバに接続してみます。POP: 接続、暗号化、ログイン、STAT（件数の確認のみ）、QUIT。SMTP: PopBeforeSmtp の POP ログイン、接続、STARTTLS、ログイン認証（AUTH）、求めたときだけ 8.自分のメールアドレス名 へのテストメール、QUIT。",
                "各段階の結果は画面 (3) と同じ表示コードで示し、『?』でその意味と対処を開きます。メールの取り出しや削除はしません。実行中の設定はそのまま動き続け、設定の登録や反映（RST）もしません。パスワード欄が空なら登録済みのパスワードを使います。",
            ],
            (Section::ConnTest, Lang::En) => &[
                "Connection test tries the settings on the screen (saved or not) against the mail servers. POP: connect, encryption, login, STAT (a count only), QUIT. SMTP: the POP login of PopBeforeSmtp, connect, STARTTLS, login (AUTH), a test mail to 8. Own e-mail address only when asked, QUIT.",
                "Each step shows the code frame (3) would show, and its ? opens what it means and how to fix it. No mail is retrieved or deleted. The running settings keep running; nothing is saved or applied (RST). With the password input empty, the saved password is used.",
            ],
        }
    }
}

/// What to enter in a field, in `lang`.
pub fn field_help(field: Field, lang: Lang) -> &'static str {
    let (ja, en) = match field {
        Field::ReceiveInterval => (
            "メールボックスを読みに行く間隔（分）。0 で受信を止めます（送信は続きます）。10〜60 分程度が安全です。",
            "Minutes between mailbox reads. 0 stops receiving (sending goes on). 10 to 60 minutes is safe.",
        ),
        Field::AlarmRecipients => (
            "警報の発生と復旧を知らせるメールの宛先。1 行に 1 アドレス、またはカンマ区切りで入力します。",
            "Where alarm mails (raised and cleared) go. One address a line, or separated by commas.",
        ),
        Field::AllowedSenders => (
            "コマンドメールを受け付ける送信元。アドレスか @ドメイン を 1 行に 1 つ（カンマ区切りも可）。ほかの送信元のメールは実行せず、返信もしません。",
            "Who may send command mails: an address or @domain, one a line (commas work too). Mail from anyone else is not executed and gets no reply.",
        ),
        Field::CommandPin => (
            "設定すると、コマンドメールに PIN 行（例: PIN 1234）が必要になります。4〜8 桁の数字、空欄で不要。",
            "When set, command mails must carry a PIN line (e.g. PIN 1234). 4 to 8 digits; empty for none.",
        ),
        Field::SmtpService => (
            "送信に使うサービス名: smtp（25 番）、submission（587 番）、smtps（465 番、最初から暗号化）。ポート番号でも指定できます。暗号化の方式は 14.SMTP接続の暗号化 で選びます。OP25B のサーバでは多くの場合 submission です。",
            "The service used to send: smtp (port 25), submission (587) or smtps (465, encrypted from the start); a port number works too. 14. SMTP connection security says how it is encrypted. Servers with OP25B usually need submission.",
        ),
        Field::PopServer => (
            "受信用 POP サーバのホスト名または IP アドレス。ポートを付けることもできます（例 :995。暗号化の方式は 13.POP接続の暗号化 で選びます）。",
            "The POP server's host name or IP address, optionally with a port (e.g. :995; 13. POP connection security says how it is encrypted).",
        ),
        Field::SmtpServer => (
            "送信用 SMTP サーバのホスト名または IP アドレス。ポートは 5.SMTP名 で決まります。",
            "The SMTP server's host name or IP address. The port comes from 5. SMTP service.",
        ),
        Field::Address => (
            "このシステム自身のメールアドレス。送るメールの差出人になります。",
            "The system's own e-mail address, the sender of the mails it sends.",
        ),
        Field::User => (
            "メールアカウントのユーザ名（POP のログイン名。SmtpAuthLogin でも使います）。",
            "The mail account's user name (the POP login, also used by SmtpAuthLogin).",
        ),
        Field::Password => (
            "メールアカウントのパスワード。入力したときだけ変更され、画面には表示されません。空欄のまま登録すると今のパスワードを保ちます。",
            "The mail account's password. It changes only when you type one and is never shown; saving with the input empty keeps the current one.",
        ),
        Field::PopBeforeSmtp => (
            "送信前に POP サーバへログインして送信の許可を得ます。通常はこちらを選びます。",
            "Logs in to the POP server before sending to be allowed to send. The usual choice.",
        ),
        Field::SmtpAuthLogin => (
            "SMTP サーバにユーザ名とパスワードでログインしてから送ります。サーバがログイン認証を要求する場合に選びます。",
            "Logs in to the SMTP server with user name and password before sending. Choose it when the server requires login authentication.",
        ),
        Field::PopSecurity => (
            "POP サーバとの接続の暗号化。STARTTLS（110 番などで接続後に暗号化）、TLS（995 番など最初から暗号化。どのポートでも使えます）、なし（平文。パスワードが読める形で流れるので実験用のみ）。",
            "How the POP connection is encrypted: STARTTLS (encrypt after connecting, e.g. port 110), TLS (encrypted from the start, e.g. 995 — any port works) or None (plaintext: the password crosses the wire readable, for labs only).",
        ),
        Field::SmtpSecurity => (
            "SMTP サーバとの接続の暗号化。STARTTLS（25・587 番などで接続後に暗号化）、TLS（465 番など最初から暗号化。どのポートでも使えます）、なし（平文。実験用のみ）。",
            "How the SMTP connection is encrypted: STARTTLS (encrypt after connecting, e.g. ports 25 and 587), TLS (encrypted from the start, e.g. 465 — any port works) or None (plaintext, for labs only).",
        ),
    };
    lang.pick(ja, en)
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
        detail: String::new(),
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
        assert!(interval.contains("10 to 60") && interval.contains("0 to stop receiving"));
    }
}
