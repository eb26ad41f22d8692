//! The connection-state catalogue of frame (3) of 「Eメール接続環境設定」: every code the engine
//! can show, with its Japanese and English meaning and a suggested fix. The live display and the
//! `?` help both read this one catalogue, so they cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::Lang;
use crate::transcript::Notice;

/// What frame (3) shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum MailStatus {
    /// Receiving is off (interval 0); sending still works.
    Stop,
    /// Waiting for the next cycle (or for RST after a settings change).
    Wait,
    /// Healthy: the last cycle succeeded; `cycles` counts successful cycles since RST.
    Run {
        /// Successful cycles since the last restart.
        cycles: u64,
    },
    /// Connecting to the POP server.
    PopConnect,
    /// Logging in to the POP server.
    PopAuth,
    /// Receiving message `index` of `total`.
    PopReceive {
        /// 1-based.
        index: u32,
        /// Messages in the mailbox.
        total: u32,
    },
    /// Connecting to the SMTP server.
    SmtpConnect,
    /// Authenticating to the SMTP server (AUTH, or the POP login of PopBeforeSmtp).
    SmtpAuth,
    /// Sending message `index` of `total`.
    SmtpSend {
        /// 1-based.
        index: u32,
        /// Mails in the outbox.
        total: u32,
    },
    /// An error stopped the cycle; the engine retries at the next one.
    Error {
        /// Which error.
        error: MailError,
        /// What happened, for people (server reply, host name, …); never a password.
        detail: Notice,
    },
}

/// The errors frame (3) distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailError {
    /// The server's host name does not resolve.
    NameNotFound,
    /// The server refused the connection (nothing listens on that port).
    Refused,
    /// No answer in time: the typical symptom of OP25B on port 25.
    Timeout,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// STARTTLS (STLS in POP3) was chosen but the server does not offer it: the engine stopped
    /// before sending the user name and password in plaintext.
    NoStarttls,
    /// The POP server refused the user name or password (`-ERR [AUTH]`, or no code at all).
    PopLoginFailed,
    /// The POP server has a temporary problem of its own (`-ERR [SYS/TEMP]`, RFC 3206).
    PopServerTemp,
    /// The POP server has a lasting problem of its own, e.g. a disabled account
    /// (`-ERR [SYS/PERM]`, RFC 3206).
    PopServerPerm,
    /// Another session holds the mailbox (`-ERR [IN-USE]`, RFC 2449).
    PopInUse,
    /// The server wants more time between logins (`-ERR [LOGIN-DELAY]`, RFC 2449).
    PopLoginDelay,
    /// The SMTP server refused the AUTH credentials (535).
    SmtpAuthFailed,
    /// The SMTP server requires authentication (530).
    AuthRequired,
    /// The SMTP server refused to relay (PopBeforeSmtp not done, or not allowed).
    RelayDenied,
    /// The SMTP server answered another error code.
    SmtpRejected,
    /// The server broke the protocol (garbage, oversized or endless replies).
    Protocol,
    /// This system's own database failed (disk full, unreadable file): not a server's fault.
    LocalStore,
}

impl MailError {
    /// Every error, in the order the help lists them.
    pub const ALL: [MailError; 16] = [
        MailError::NameNotFound,
        MailError::Refused,
        MailError::Timeout,
        MailError::Tls,
        MailError::NoStarttls,
        MailError::PopLoginFailed,
        MailError::PopServerTemp,
        MailError::PopServerPerm,
        MailError::PopInUse,
        MailError::PopLoginDelay,
        MailError::SmtpAuthFailed,
        MailError::AuthRequired,
        MailError::RelayDenied,
        MailError::SmtpRejected,
        MailError::Protocol,
        MailError::LocalStore,
    ];

    /// The short code shown in frame (3), e.g. `err timeout`.
    pub fn code(self) -> &'static str {
        match self {
            MailError::NameNotFound => "err name",
            MailError::Refused => "err refused",
            MailError::Timeout => "err timeout",
            MailError::Tls => "err tls",
            MailError::NoStarttls => "err no starttls",
            MailError::PopLoginFailed => "err pop login",
            MailError::PopServerTemp => "err pop server (temp)",
            MailError::PopServerPerm => "err pop server (perm)",
            MailError::PopInUse => "err pop in use",
            MailError::PopLoginDelay => "err pop login delay",
            MailError::SmtpAuthFailed => "err smtp auth (535)",
            MailError::AuthRequired => "err auth required (530)",
            MailError::RelayDenied => "err relay denied",
            MailError::SmtpRejected => "err smtp",
            MailError::Protocol => "err protocol",
            MailError::LocalStore => "err store",
        }
    }

    /// What the error means, in `lang`.
    pub fn meaning(self, lang: Lang) -> &'static str {
        let (ja, en) = match self {
            MailError::NameNotFound => (
                "サーバ名を IP アドレスに変換できません。",
                "The server's host name cannot be resolved to an address.",
            ),
            MailError::Refused => (
                "サーバが接続を拒否しました（そのポートでサービスが動いていません）。",
                "The server refused the connection (no service on that port).",
            ),
            MailError::Timeout => (
                "サーバから時間内に応答がありません。ポート 25 でこれが出る場合、OP25B による遮断が典型的な原因です。",
                "The server did not answer in time. On port 25 this is the typical sign of OP25B blocking.",
            ),
            MailError::Tls => (
                "暗号化（TLS）の開始または証明書の確認に失敗しました。",
                "Starting encryption (TLS) or checking the server's certificate failed.",
            ),
            MailError::NoStarttls => (
                "13./14. で STARTTLS を選んでいますが、サーバが STARTTLS（POP3 では STLS）を提供していません。パスワードを平文で送らないよう、ログインせずに中止しました。",
                "STARTTLS was chosen in 13./14., but the server does not offer STARTTLS (STLS in POP3). The engine stopped without logging in, so the password was not sent in plaintext.",
            ),
            MailError::PopLoginFailed => (
                "POP サーバがユーザ名またはパスワードを受け付けませんでした。",
                "The POP server refused the user name or password.",
            ),
            MailError::PopServerTemp => (
                "POP サーバ側の一時的な障害です（応答 [SYS/TEMP]）。ユーザ名・パスワードの誤りではありません。",
                "A temporary problem on the POP server's side (reply [SYS/TEMP]). It is not a wrong user name or password.",
            ),
            MailError::PopServerPerm => (
                "POP サーバ側の恒久的な問題です（応答 [SYS/PERM]）。アカウントの停止などが考えられます。パスワードの誤りではありません。",
                "A lasting problem on the POP server's side (reply [SYS/PERM]), such as a disabled account. It is not a wrong password.",
            ),
            MailError::PopInUse => (
                "メールボックスを別の接続が使用中です（応答 [IN-USE]）。同じアカウントを別のメールソフトが読んでいます。",
                "Another connection is using the mailbox (reply [IN-USE]): another mail program reads the same account.",
            ),
            MailError::PopLoginDelay => (
                "前回のログインから間がなさすぎるため、サーバがログインを断りました（応答 [LOGIN-DELAY]）。",
                "The server refused the login because it came too soon after the last one (reply [LOGIN-DELAY]).",
            ),
            MailError::SmtpAuthFailed => (
                "SMTP サーバがログイン認証（SmtpAuthLogin）の資格情報を拒否しました（535）。",
                "The SMTP server rejected the login credentials of SmtpAuthLogin (535).",
            ),
            MailError::AuthRequired => (
                "SMTP サーバがログイン認証を要求しています（530）。",
                "The SMTP server requires login authentication (530).",
            ),
            MailError::RelayDenied => (
                "SMTP サーバが中継を拒否しました。送信前の認証が済んでいません。",
                "The SMTP server refused to relay: no authentication was done before sending.",
            ),
            MailError::SmtpRejected => (
                "SMTP サーバがエラーを返しました（詳細欄の応答コードを参照）。",
                "The SMTP server answered with an error (see the reply code in the detail).",
            ),
            MailError::Protocol => (
                "サーバの応答がプロトコルに従っていません（不正な行、長すぎる応答など）。",
                "The server's replies broke the protocol (malformed, oversized or endless lines).",
            ),
            MailError::LocalStore => (
                "本システム自身のデータベースへの書き込みまたは読み出しに失敗しました。メールサーバの問題ではありません。受信したメールは削除せずに残してあります。",
                "This system's own database could not be written or read. It is not a mail server's problem; received mail was left on the server.",
            ),
        };
        lang.pick(ja, en)
    }

    /// What to do about it, in `lang`.
    pub fn fix(self, lang: Lang) -> &'static str {
        let (ja, en) = match self {
            MailError::NameNotFound => (
                "6.POPサーバ名・7.SMTPサーバ名の綴りを確認してください。IP アドレスでも指定できます。",
                "Check the spelling of 6. POP server and 7. SMTP server; an IP address works too.",
            ),
            MailError::Refused => (
                "5.SMTP名（サービス名またはポート番号）とサーバ名が正しいか、サーバが動いているかを確認してください。",
                "Check 5. SMTP service (name or port) and the server name, and that the server is running.",
            ),
            MailError::Timeout => (
                "5.SMTP名を smtp から submission（587）に変え、多くの場合 12.SmtpAuthLogin もオンにして、RST で再起動してください。",
                "Change 5. SMTP service from smtp to submission (587), usually with 12. SmtpAuthLogin on, then restart with RST.",
            ),
            MailError::Tls => (
                "サーバ名が証明書の名前と一致しているか、ポート（smtps/submission）が正しいかを確認してください。",
                "Check that the server name matches its certificate and that the port (smtps/submission) is right.",
            ),
            MailError::NoStarttls => (
                "暗号化の方法をサーバ管理者（プロバイダ）に確認してください。多くのサーバは最初から暗号化するポート（POP3 は 995、SMTP は smtps の 465）を持っています。その場合は 6.POPサーバ名 に :995 を付けるか 5.SMTP名 を smtps にし、13./14. を TLS にしてください。平文でしか接続できない構内のサーバに限り、13./14. で「なし（平文）」を選んでください（パスワードが読める形で流れます）。",
                "Ask the server's administrator (the provider) how to encrypt. Most servers have a port that is encrypted from the start (POP3 995, SMTP smtps 465): add :995 to 6. POP server or set 5. SMTP service to smtps, and choose TLS in 13./14. Choose \"None (plaintext)\" in 13./14. only for a server on a network you trust (the password then crosses it readable).",
            ),
            MailError::PopLoginFailed => (
                "9.E-Mailユーザ名と 10.E-Mailパスワードを確認し、登録後 RST で再起動してください。",
                "Check 9. E-mail user name and 10. E-mail password, save, then restart with RST.",
            ),
            MailError::PopServerTemp => (
                "設定は変えずにお待ちください。次の周期で自動的に再試行します。長く続く場合はサーバ管理者に確認してください。",
                "Change nothing and wait: the engine retries at the next cycle. If it lasts, ask the server's administrator.",
            ),
            MailError::PopServerPerm => (
                "設定を変えても直りません。アカウントの状態をサーバ管理者（プロバイダ）に確認してください。",
                "Changing the settings will not help: ask the server's administrator (the provider) about the account.",
            ),
            MailError::PopInUse => (
                "このアカウントを読んでいる他のメールソフトを止めてください。本システム専用のアカウントを用意するのが原則です。",
                "Stop the other mail program that reads this account. The system should have an account of its own.",
            ),
            MailError::PopLoginDelay => (
                "1.メール受信間隔時間を長くしてください（10 分以上が目安）。",
                "Make 1. receive interval longer (10 minutes or more).",
            ),
            MailError::SmtpAuthFailed => (
                "9.E-Mailユーザ名・10.E-Mailパスワードを確認してください。SMTP 用の資格情報が別の場合はサーバ管理者に確認してください。",
                "Check 9. E-mail user name and 10. E-mail password; ask the server's administrator if SMTP uses other credentials.",
            ),
            MailError::AuthRequired => (
                "12.SmtpAuthLogin をオンにして RST で再起動してください。",
                "Turn on 12. SmtpAuthLogin and restart with RST.",
            ),
            MailError::RelayDenied => (
                "11.PopBeforeSmtp または 12.SmtpAuthLogin をオンにしてください（どちらが必要かはサーバ管理者に確認）。",
                "Turn on 11. PopBeforeSmtp or 12. SmtpAuthLogin (ask the server's administrator which one).",
            ),
            MailError::SmtpRejected => (
                "応答コードの意味をサーバ管理者に確認してください。4xx は一時的なもので、次の周期で再送します。",
                "Ask the server's administrator about the code. 4xx is temporary; the engine retries next cycle.",
            ),
            MailError::Protocol => (
                "サーバ名とポートが本当にメールサーバを指しているかを確認してください。",
                "Check that the server name and port really point to a mail server.",
            ),
            MailError::LocalStore => (
                "データディレクトリのディスクの空き容量と権限を確認してください。直れば次の周期で自動的に続きます。",
                "Check the free space and permissions of the data directory's disk; once fixed, the next cycle carries on by itself.",
            ),
        };
        lang.pick(ja, en)
    }
}

impl MailStatus {
    /// The text frame (3) shows, as the original does: `run (N)`, `stop`, `wait`, …
    pub fn display(&self) -> String {
        match self {
            MailStatus::Stop => "stop".into(),
            MailStatus::Wait => "wait".into(),
            MailStatus::Run { cycles } => format!("run ({cycles})"),
            MailStatus::PopConnect => "pop connect".into(),
            MailStatus::PopAuth => "pop auth".into(),
            MailStatus::PopReceive { index, total } => format!("pop recv {index}/{total}"),
            MailStatus::SmtpConnect => "smtp connect".into(),
            MailStatus::SmtpAuth => "smtp auth".into(),
            MailStatus::SmtpSend { index, total } => format!("smtp send {index}/{total}"),
            MailStatus::Error { error, .. } => error.code().into(),
        }
    }

    /// What the state means, in `lang`.
    pub fn meaning(&self, lang: Lang) -> &'static str {
        let (ja, en) = match self {
            MailStatus::Stop => (
                "受信停止中です（1.メール受信間隔時間 = 0）。警報メールなどの送信は行います。",
                "Receiving is off (1. Receive interval (min) = 0). Sending, e.g. alarm mail, still works.",
            ),
            MailStatus::Wait => (
                "待機中です。まだ RST していなければ、GUI呼出コンソールでの RST（設定の反映）を待っています。RST 後は次の受信周期を待っています。",
                "Waiting. Before the first RST it waits for RST on the GUI console to apply the settings; after it, for the next receive cycle.",
            ),
            MailStatus::Run { .. } => (
                "正常に動作しています。括弧内は再起動後に成功した周期の回数です。",
                "Working normally. The number counts successful cycles since the restart.",
            ),
            MailStatus::PopConnect => ("POP サーバに接続中です。", "Connecting to the POP server."),
            MailStatus::PopAuth => (
                "POP サーバにログイン中です。",
                "Logging in to the POP server.",
            ),
            MailStatus::PopReceive { .. } => (
                "メールを受信中です（i/n は i 通目／全 n 通）。",
                "Receiving mail (i/n is message i of n).",
            ),
            MailStatus::SmtpConnect => (
                "SMTP サーバに接続中です。",
                "Connecting to the SMTP server.",
            ),
            MailStatus::SmtpAuth => (
                "送信前の認証中です（SmtpAuthLogin、または PopBeforeSmtp の POP ログイン）。",
                "Authenticating before sending (SmtpAuthLogin, or the POP login of PopBeforeSmtp).",
            ),
            MailStatus::SmtpSend { .. } => (
                "メールを送信中です（i/n は i 通目／全 n 通）。",
                "Sending mail (i/n is message i of n).",
            ),
            MailStatus::Error { error, .. } => return error.meaning(lang),
        };
        lang.pick(ja, en)
    }

    /// True for the states that need the user's attention.
    pub fn is_error(&self) -> bool {
        matches!(self, MailStatus::Error { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_reads_like_the_original() {
        assert_eq!(MailStatus::Run { cycles: 3 }.display(), "run (3)");
        assert_eq!(MailStatus::Stop.display(), "stop");
        assert_eq!(
            MailStatus::PopReceive { index: 2, total: 5 }.display(),
            "pop recv 2/5"
        );
        let timeout = MailStatus::Error {
            error: MailError::Timeout,
            detail: Notice::same("smtp.sandbox.test:25"),
        };
        assert_eq!(timeout.display(), "err timeout");
        assert!(timeout.is_error());
        assert!(timeout.meaning(Lang::Ja).contains("OP25B"));
    }

    #[test]
    fn every_error_has_a_distinct_code_and_help_in_both_languages() {
        let mut codes = std::collections::HashSet::new();
        for error in MailError::ALL {
            assert!(
                codes.insert(error.code()),
                "duplicate code {}",
                error.code()
            );
            for lang in [Lang::Ja, Lang::En] {
                assert!(!error.meaning(lang).is_empty());
                assert!(!error.fix(lang).is_empty());
            }
            assert_ne!(error.meaning(Lang::Ja), error.meaning(Lang::En));
        }
        assert!(MailError::Timeout.fix(Lang::Ja).contains("submission"));
        // Refusing to log in without STARTTLS must say how to get encryption, and that
        // plaintext is a deliberate choice.
        assert!(MailError::NoStarttls.fix(Lang::Ja).contains("なし（平文）"));
        assert!(
            MailError::NoStarttls
                .fix(Lang::En)
                .contains("None (plaintext)")
        );
        // A server's own trouble must not send the user to the password field.
        for error in [MailError::PopServerTemp, MailError::PopServerPerm] {
            assert!(!error.fix(Lang::Ja).contains("パスワード"), "{error:?}");
            assert!(!error.fix(Lang::En).contains("password"), "{error:?}");
        }
    }

    #[test]
    fn statuses_travel_as_tagged_json() {
        let status = MailStatus::Error {
            error: MailError::RelayDenied,
            detail: Notice::same("554 5.7.1"),
        };
        let json = serde_json::to_string(&status).unwrap();
        assert!(json.contains(r#""code":"error""#), "{json}");
        assert_eq!(serde_json::from_str::<MailStatus>(&json).unwrap(), status);
    }
}
