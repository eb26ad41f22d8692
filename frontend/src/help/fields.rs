//! What to enter in each field, and the manual's list of what the provider gives and which
//! field it goes into.

use shared::Lang;
use shared::settings::Field;

/// The manual's list 「1. ユーザ名 → ( 9.E-Mailユーザ名 )」…: what the provider (or the mail
/// server's administrator) gives, in Japanese and English, and the field it goes into.
pub const PROVIDER_TABLE: &[(&str, &str, Field)] = &[
    ("ユーザ名", "User name", Field::User),
    ("パスワード", "Password", Field::Password),
    ("メールアドレス", "E-mail address", Field::Address),
    (
        "POPサーバ名（IPアドレス可）",
        "POP server name (an IP address works)",
        Field::PopServer,
    ),
    (
        "SMTPサーバ名（IPアドレス可）",
        "SMTP server name (an IP address works)",
        Field::SmtpServer,
    ),
    (
        "SMTP名（services）",
        "SMTP service name",
        Field::SmtpService,
    ),
    (
        "認証方式（ログイン認証が必要か）",
        "Authentication (whether login is required)",
        Field::SmtpAuthLogin,
    ),
];

/// What to enter in a field, in `lang`.
pub fn field_help(field: Field, lang: Lang) -> &'static str {
    let (ja, en) = match field {
        Field::ReceiveInterval => (
            "メールボックスを読みに行く間隔（分）。小刻みにしすぎるとメールサーバに不正アクセスと疑われることがあるため、10〜60 分程度が安全です（10 分未満は警告が出ますが登録できます）。送信だけに使うなら 0 で受信を止めます（送信は続き、余分な負荷もかかりません）。",
            "Minutes between mailbox reads. Polling too often can make the server suspect an attack, so 10 to 60 minutes is the safe order (below 10 shows a warning but can be saved). When the system only sends, 0 stops receiving (sending goes on, with no needless load).",
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
            "設定すると、コマンドメールに PIN 行（例: PIN 1234）が必要になります。4〜8 桁の数字、空欄で不要。実際のメールサーバ（サンドボックス以外）では、SET（ポイント操作）に 6 桁以上の暗証番号が必要です。メールの差出人は偽装できるためです。",
            "When set, command mails must carry a PIN line (e.g. PIN 1234). 4 to 8 digits; empty for none. With a real mail server (not the sandbox), SET (operating a point) needs a PIN of 6 or more digits, as sender addresses can be forged.",
        ),
        Field::SmtpService => (
            "送信に使うサービス名: smtp（25 番）、submission（587 番）、smtps（465 番、最初から暗号化）。ポート番号でも指定できます。暗号化の方式は 14.SMTP接続の暗号化 で選びます。OP25B のサーバでは多くの場合 submission です。",
            "The service used to send: smtp (port 25), submission (587) or smtps (465, encrypted from the start); a port number works too. 14. SMTP connection security says how it is encrypted. Servers with OP25B usually need submission.",
        ),
        Field::PopServer => (
            "受信用 POP サーバのホスト名または IP アドレス。ポートを付けることもできます（例 :995。暗号化の方式は 13.POP接続の暗号化 で選びます）。読み取ったメールはこのサーバから削除されます。サンドボックス以外のサーバでは、専用のアカウントを使ってください。",
            "The POP server's host name or IP address, optionally with a port (e.g. :995; 13. POP connection security says how it is encrypted). Mail read is deleted from this server: on any server but the sandbox, use a dedicated account.",
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
            "メールアカウントのユーザ名（POP のログイン名。SmtpAuthLogin でも使います）。このシステム専用に新しく用意したアカウントにしてください。",
            "The mail account's user name (the POP login, also used by SmtpAuthLogin). Use a new account prepared for this system alone.",
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
