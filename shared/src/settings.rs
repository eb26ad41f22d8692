//! The fields of 「Eメール接続環境設定」 and their validation. Fields 5–12 are the original's,
//! numbered as the seed numbers them; 1–4 are ours (receive interval, alarm recipients, allowed
//! senders, PIN). The password (10) is write-only: it never appears in [`MailSettings`], which is
//! what the browser sees; it travels only inside a save as [`PasswordChange`].

use serde::{Deserialize, Serialize};

use crate::Lang;
use crate::sandbox::MailService;
use crate::secret::Masked;

/// The longest receive interval, one day in minutes.
pub const MAX_INTERVAL_MIN: u32 = 1440;
/// The shortest receive interval the manual calls safe (「10?20?30?60?分のオーダが安全」): a
/// shorter one is allowed but warned about, as polling that often can get the account flagged.
pub const SAFE_INTERVAL_MIN: u32 = 10;
/// The sandbox ISP's mail domain; it and its subdomains lead to the embedded ISP.
pub const SANDBOX_DOMAIN: &str = "sandbox.test";
/// The most addresses a list field takes.
pub const MAX_LIST_LEN: usize = 32;
/// The shortest 4.コマンド暗証番号 that lets SET commands run when 6.POPサーバ名 is a real
/// server: anyone can forge a sender address, so off the sandbox only the PIN keeps strangers
/// from operating the plant, and a 4-digit one is guessed too easily.
pub const REAL_SERVER_MIN_PIN: usize = 6;

/// How a connection to the POP or SMTP server is secured (13. and 14.).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plaintext: the password crosses the wire readable (labs and the sandbox only).
    None,
    /// Plaintext first, then encrypted with STLS (POP3, RFC 2595) or STARTTLS (SMTP, RFC 3207).
    Starttls,
    /// TLS from the first octet (POP3S, SMTPS — on any port).
    Tls,
}

impl Security {
    /// Every choice, in the order the screen lists them.
    pub const ALL: [Security; 3] = [Security::Starttls, Security::Tls, Security::None];

    /// The choice as the screen shows it.
    pub fn label(self, lang: Lang) -> &'static str {
        lang.pick(
            match self {
                Security::None => "なし（平文）",
                Security::Starttls => "STARTTLS（接続後に暗号化）",
                Security::Tls => "TLS（最初から暗号化）",
            },
            match self {
                Security::None => "None (plaintext)",
                Security::Starttls => "STARTTLS (encrypt after connecting)",
                Security::Tls => "TLS (encrypted from the start)",
            },
        )
    }

    /// The value in forms and JSON.
    pub fn value(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::Starttls => "starttls",
            Security::Tls => "tls",
        }
    }

    /// The choice named by [`Security::value`].
    pub fn from_value(value: &str) -> Option<Self> {
        Security::ALL.into_iter().find(|s| s.value() == value)
    }

    /// What a POP server setting meant before the choice existed: TLS on 995, else STLS.
    pub fn implied_by_pop_server(pop_server: &str) -> Self {
        match parse_host_port(pop_server) {
            Some((_, Some(POP3S_PORT))) => Security::Tls,
            _ => Security::Starttls,
        }
    }

    /// What a 5.SMTP名 meant before the choice existed: TLS for smtps (465), else STARTTLS.
    pub fn implied_by_smtp_service(smtp_service: &str) -> Self {
        match parse_smtp_service(smtp_service) {
            Some(endpoint) if endpoint.port == SMTPS_PORT => Security::Tls,
            _ => Security::Starttls,
        }
    }
}

/// The POP3 port that means TLS from the start (RFC 8314).
pub const POP3S_PORT: u16 = 995;
/// The SMTP port that means TLS from the start (RFC 8314).
pub const SMTPS_PORT: u16 = 465;

/// The settings as stored and shown (without the password).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "wire::Stored")]
pub struct MailSettings {
    /// 1. Minutes between mailbox polls; 0 turns receiving off.
    pub receive_interval_min: u32,
    /// 2. Who gets alarm mails.
    pub alarm_recipients: Vec<String>,
    /// 3. Who may send command mails: addresses or `@domain`.
    pub allowed_senders: Vec<String>,
    /// 4. The PIN command mails must carry; empty means none.
    pub command_pin: String,
    /// 5. `smtp`, `submission`, `smtps` or a port number.
    pub smtp_service: String,
    /// 6. POP server: host name or IP address, optionally `:port` (995 means implicit TLS).
    pub pop_server: String,
    /// 7. SMTP server: host name or IP address.
    pub smtp_server: String,
    /// 8. The system's own address.
    pub address: String,
    /// 9. The account's user name.
    pub user: String,
    /// 10. Whether a password is stored (the password itself never leaves the back end).
    pub password_set: bool,
    /// 11. Log in to POP before sending.
    pub pop_before_smtp: bool,
    /// 12. SMTP AUTH LOGIN before sending.
    pub smtp_auth_login: bool,
    /// 13. How the POP connection is secured.
    pub pop_security: Security,
    /// 14. How the SMTP connection is secured.
    pub smtp_security: Security,
    /// The language of the replies and alarm mails the system writes (ours, unnumbered):
    /// Japanese, as the original, unless the operators read English. Settings stored before it
    /// existed read as Japanese.
    #[serde(default)]
    pub mail_lang: Lang,
}

/// Settings saved before 13. and 14. existed still load: the choice is what their ports meant.
mod wire {
    use serde::Deserialize;

    use super::{MailSettings, Security};

    #[derive(Deserialize)]
    pub(super) struct Stored {
        receive_interval_min: u32,
        alarm_recipients: Vec<String>,
        allowed_senders: Vec<String>,
        command_pin: String,
        smtp_service: String,
        pop_server: String,
        smtp_server: String,
        address: String,
        user: String,
        password_set: bool,
        pop_before_smtp: bool,
        smtp_auth_login: bool,
        #[serde(default)]
        pop_security: Option<Security>,
        #[serde(default)]
        smtp_security: Option<Security>,
        #[serde(default)]
        mail_lang: crate::Lang,
    }

    impl From<Stored> for MailSettings {
        fn from(s: Stored) -> Self {
            MailSettings {
                pop_security: s
                    .pop_security
                    .unwrap_or_else(|| Security::implied_by_pop_server(&s.pop_server)),
                smtp_security: s
                    .smtp_security
                    .unwrap_or_else(|| Security::implied_by_smtp_service(&s.smtp_service)),
                receive_interval_min: s.receive_interval_min,
                alarm_recipients: s.alarm_recipients,
                allowed_senders: s.allowed_senders,
                command_pin: s.command_pin,
                smtp_service: s.smtp_service,
                pop_server: s.pop_server,
                smtp_server: s.smtp_server,
                address: s.address,
                user: s.user,
                password_set: s.password_set,
                pop_before_smtp: s.pop_before_smtp,
                smtp_auth_login: s.smtp_auth_login,
                mail_lang: s.mail_lang,
            }
        }
    }
}

impl std::fmt::Debug for MailSettings {
    // The PIN is a password (4.コマンド暗証番号): masked, like every secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("receive_interval_min", &self.receive_interval_min)
            .field("alarm_recipients", &self.alarm_recipients)
            .field("allowed_senders", &self.allowed_senders)
            .field("command_pin", &Masked(&self.command_pin))
            .field("smtp_service", &self.smtp_service)
            .field("pop_server", &self.pop_server)
            .field("smtp_server", &self.smtp_server)
            .field("address", &self.address)
            .field("user", &self.user)
            .field("password_set", &self.password_set)
            .field("pop_before_smtp", &self.pop_before_smtp)
            .field("smtp_auth_login", &self.smtp_auth_login)
            .field("pop_security", &self.pop_security)
            .field("smtp_security", &self.smtp_security)
            .field("mail_lang", &self.mail_lang)
            .finish_non_exhaustive()
    }
}

/// What a save does to the stored password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", content = "value", rename_all = "snake_case")]
pub enum PasswordChange {
    /// Keep what is stored.
    Keep,
    /// Store this password.
    Set(String),
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordChange::Keep => f.write_str("Keep"),
            PasswordChange::Set(password) => f.debug_tuple("Set").field(&Masked(password)).finish(),
        }
    }
}

/// A field of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// 1.メール受信間隔時間(分)
    ReceiveInterval,
    /// 2.警報メール宛先
    AlarmRecipients,
    /// 3.コマンド許可アドレス
    AllowedSenders,
    /// 4.コマンド暗証番号
    CommandPin,
    /// 5.SMTP名
    SmtpService,
    /// 6.POPサーバ名
    PopServer,
    /// 7.SMTPサーバ名
    SmtpServer,
    /// 8.自分のメールアドレス名
    Address,
    /// 9.E-Mailユーザ名
    User,
    /// 10.E-Mailパスワード
    Password,
    /// 11.PopBeforeSmtp
    PopBeforeSmtp,
    /// 12.SmtpAuthLogin
    SmtpAuthLogin,
    /// 13.POP接続の暗号化 (ours)
    PopSecurity,
    /// 14.SMTP接続の暗号化 (ours)
    SmtpSecurity,
}

impl Field {
    /// Every field in screen order.
    pub const ALL: [Field; 14] = [
        Field::ReceiveInterval,
        Field::AlarmRecipients,
        Field::AllowedSenders,
        Field::CommandPin,
        Field::SmtpService,
        Field::PopServer,
        Field::SmtpServer,
        Field::Address,
        Field::User,
        Field::Password,
        Field::PopBeforeSmtp,
        Field::SmtpAuthLogin,
        Field::PopSecurity,
        Field::SmtpSecurity,
    ];

    /// The field's number on the screen.
    pub fn number(self) -> u8 {
        Field::ALL.iter().position(|f| *f == self).unwrap_or(0) as u8 + 1
    }

    /// The label as the screen shows it, number included.
    pub fn label(self, lang: Lang) -> String {
        let (ja, en) = match self {
            Field::ReceiveInterval => ("メール受信間隔時間(分)", "Receive interval (min)"),
            Field::AlarmRecipients => ("警報メール宛先", "Alarm mail recipients"),
            Field::AllowedSenders => ("コマンド許可アドレス", "Allowed command senders"),
            Field::CommandPin => ("コマンド暗証番号", "Command PIN"),
            Field::SmtpService => ("SMTP名", "SMTP service"),
            Field::PopServer => ("POPサーバ名", "POP server"),
            Field::SmtpServer => ("SMTPサーバ名", "SMTP server"),
            Field::Address => ("自分のメールアドレス名", "Own e-mail address"),
            Field::User => ("E-Mailユーザ名", "E-mail user name"),
            Field::Password => ("E-Mailパスワード", "E-mail password"),
            Field::PopBeforeSmtp => ("PopBeforeSmtp", "PopBeforeSmtp"),
            Field::SmtpAuthLogin => ("SmtpAuthLogin", "SmtpAuthLogin"),
            Field::PopSecurity => ("POP接続の暗号化", "POP connection security"),
            Field::SmtpSecurity => ("SMTP接続の暗号化", "SMTP connection security"),
        };
        match lang {
            Lang::Ja => format!("{}.{ja}", self.number()),
            Lang::En => format!("{}. {en}", self.number()),
        }
    }

    /// True for the fields that are our addition (the seed does not number them).
    pub fn is_ours(self) -> bool {
        self.number() <= 4 || self.number() >= 13
    }
}

/// What is wrong with a field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The field must not be empty.
    Required,
    /// A number outside its range.
    OutOfRange {
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// Not a service name the system knows, nor a port.
    UnknownService {
        /// What was entered.
        value: String,
    },
    /// Not a host name or IP address (with an optional port where allowed).
    BadHost {
        /// What was entered.
        value: String,
    },
    /// Not an e-mail address (or `@domain` where allowed).
    BadAddress {
        /// What was entered.
        value: String,
    },
    /// The PIN must be 4 to 8 digits.
    BadPin,
    /// Spaces or control characters where none may be.
    BadCharacters,
    /// More entries than allowed.
    TooMany {
        /// The limit.
        max: usize,
    },
    /// A PIN shorter than [`REAL_SERVER_MIN_PIN`] with a real POP server: SET would be refused.
    PinTooShortForRealServer {
        /// The shortest PIN that lets SET run.
        min: usize,
    },
    /// A port that speaks TLS from the first octet (995, smtps/465) with another choice.
    TlsPort {
        /// The port.
        port: u16,
    },
}

/// A field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Which field.
    pub field: Field,
    /// What is wrong.
    #[serde(flatten)]
    pub problem: Problem,
}

impl FieldError {
    /// A sentence naming the field and the problem.
    pub fn message(&self, lang: Lang) -> String {
        let label = self.field.label(lang);
        let problem = match (&self.problem, lang) {
            (Problem::Required, Lang::Ja) => "入力してください。".to_string(),
            (Problem::Required, Lang::En) => "is required.".to_string(),
            (Problem::OutOfRange { min, max }, Lang::Ja) => {
                format!("{min}〜{max} の範囲で入力してください。")
            }
            (Problem::OutOfRange { min, max }, Lang::En) => {
                format!("must be between {min} and {max}.")
            }
            (Problem::UnknownService { value }, Lang::Ja) => format!(
                "「{value}」は不明なサービス名です。smtp・submission・smtps またはポート番号を入力してください。"
            ),
            (Problem::UnknownService { value }, Lang::En) => format!(
                "\"{value}\" is not a known service; use smtp, submission, smtps or a port number."
            ),
            (Problem::BadHost { value }, Lang::Ja) => {
                format!("「{value}」はホスト名または IP アドレスではありません。")
            }
            (Problem::BadHost { value }, Lang::En) => {
                format!("\"{value}\" is not a host name or IP address.")
            }
            (Problem::BadAddress { value }, Lang::Ja) => {
                format!("「{value}」はメールアドレスではありません。")
            }
            (Problem::BadAddress { value }, Lang::En) => {
                format!("\"{value}\" is not an e-mail address.")
            }
            (Problem::BadPin, Lang::Ja) => {
                "4〜8 桁の数字で入力してください（空欄で暗証番号なし）。".into()
            }
            (Problem::BadPin, Lang::En) => "must be 4 to 8 digits (empty for no PIN).".into(),
            (Problem::PinTooShortForRealServer { min }, Lang::Ja) => format!(
                "実際のメールサーバでは {min}〜8 桁にしてください（空欄なら SET は使えません）。メールの差出人は偽装できるため、ポイント操作（SET）を守れるのは推測されにくい暗証番号だけです。"
            ),
            (Problem::PinTooShortForRealServer { min }, Lang::En) => format!(
                "must be {min} to 8 digits with a real mail server (empty: no SET). Sender addresses can be forged, so only a PIN that is hard to guess protects operating points (SET)."
            ),
            (Problem::BadCharacters, Lang::Ja) => "空白や制御文字は使えません。".into(),
            (Problem::BadCharacters, Lang::En) => {
                "may not contain spaces or control characters.".into()
            }
            (Problem::TooMany { max }, Lang::Ja) => format!("{max} 件までです。"),
            (Problem::TooMany { max }, Lang::En) => format!("takes at most {max} entries."),
            (Problem::TlsPort { port }, Lang::Ja) => format!(
                "ポート {port} は最初から暗号化する (TLS) ポートです。TLS を選んでください。"
            ),
            (Problem::TlsPort { port }, Lang::En) => {
                format!("port {port} is encrypted from the start: choose TLS.")
            }
        };
        match lang {
            Lang::Ja => format!("{label}: {problem}"),
            Lang::En => format!("{label} {problem}"),
        }
    }
}

/// Where to reach the SMTP server. How the connection is secured is 14.SMTP接続の暗号化.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmtpEndpoint {
    /// The port to connect to.
    pub port: u16,
}

/// Parses `5.SMTP名`: a service name or a port number.
pub fn parse_smtp_service(value: &str) -> Option<SmtpEndpoint> {
    let value = value.trim();
    let port = match MailService::from_name(value) {
        Some(service) if service.is_smtp() => service.well_known_port(),
        Some(_) => return None,
        None => value.parse::<u16>().ok().filter(|p| *p > 0)?,
    };
    Some(SmtpEndpoint { port })
}

/// True for the sandbox ISP's own host names: [`SANDBOX_DOMAIN`] and its subdomains, in any
/// case, with or without the final dot.
pub fn is_sandbox_host(host: &str) -> bool {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    host == SANDBOX_DOMAIN
        || host
            .strip_suffix(SANDBOX_DOMAIN)
            .is_some_and(|sub| sub.ends_with('.'))
}

/// Splits `host` or `host:port` (IPv6 in brackets); `None` if it is neither.
pub fn parse_host_port(value: &str) -> Option<(String, Option<u16>)> {
    let value = value.trim();
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match value.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (value, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0)?),
        None => None,
    };
    let valid = host.parse::<std::net::IpAddr>().is_ok() || is_host_name(host);
    valid.then(|| (host.to_string(), port))
}

fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// True for no PIN (empty) or 4 to 8 ASCII digits.
pub fn is_valid_pin(pin: &str) -> bool {
    pin.is_empty() || ((4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()))
}

/// True for `local@domain` with a plausible domain.
pub fn is_address(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && value.len() <= 254
        && local
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>()[],;:\\\"@".contains(c))
        && is_host_name(domain)
}

impl MailSettings {
    /// The training preset: the system's sandbox account, receiving every
    /// [`SAFE_INTERVAL_MIN`] minutes as the manual advises (the demo time scale makes that a few
    /// seconds), the phone allowed to send commands and receiving alarms.
    pub fn sandbox_demo() -> Self {
        MailSettings {
            receive_interval_min: SAFE_INTERVAL_MIN,
            alarm_recipients: vec!["operator@sandbox.test".into()],
            allowed_senders: vec!["operator@sandbox.test".into()],
            command_pin: String::new(),
            smtp_service: "smtp".into(),
            pop_server: "mail.sandbox.test".into(),
            smtp_server: "mail.sandbox.test".into(),
            address: "karacrix@sandbox.test".into(),
            user: "karacrix".into(),
            password_set: false,
            pop_before_smtp: true,
            smtp_auth_login: false,
            pop_security: Security::Starttls,
            smtp_security: Security::Starttls,
            mail_lang: Lang::Ja,
        }
    }

    /// True when 6.POPサーバ名 is the sandbox ISP, whose mailbox holds only training mail. Any
    /// other server is real: every mail the engine reads there is deleted from it.
    pub fn pop_is_sandbox(&self) -> bool {
        parse_host_port(&self.pop_server).is_some_and(|(host, _)| is_sandbox_host(&host))
    }

    /// True when SET commands may run: always on the sandbox; with a real POP server only when
    /// 4.コマンド暗証番号 has at least [`REAL_SERVER_MIN_PIN`] characters (the mail must then
    /// carry it, as every command mail must when a PIN is set).
    pub fn sets_allowed(&self) -> bool {
        self.pop_is_sandbox() || self.command_pin.trim().chars().count() >= REAL_SERVER_MIN_PIN
    }

    /// Every problem of these settings, in screen order; empty when they can be saved.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |field, problem| errors.push(FieldError { field, problem });
        if self.receive_interval_min > MAX_INTERVAL_MIN {
            fail(
                Field::ReceiveInterval,
                Problem::OutOfRange {
                    min: 0,
                    max: MAX_INTERVAL_MIN,
                },
            );
        }
        for (field, list, domains_allowed) in [
            (Field::AlarmRecipients, &self.alarm_recipients, false),
            (Field::AllowedSenders, &self.allowed_senders, true),
        ] {
            if list.len() > MAX_LIST_LEN {
                fail(field, Problem::TooMany { max: MAX_LIST_LEN });
            } else if let Some(bad) = list.iter().find(|entry| {
                let domain_entry = entry.strip_prefix('@').filter(|_| domains_allowed);
                !domain_entry.map_or_else(|| is_address(entry), is_host_name)
            }) {
                fail(field, Problem::BadAddress { value: bad.clone() });
            }
        }
        if !is_valid_pin(&self.command_pin) {
            fail(Field::CommandPin, Problem::BadPin);
        } else if !self.command_pin.is_empty() && !self.sets_allowed() {
            fail(
                Field::CommandPin,
                Problem::PinTooShortForRealServer {
                    min: REAL_SERVER_MIN_PIN,
                },
            );
        }
        if self.smtp_service.trim().is_empty() {
            fail(Field::SmtpService, Problem::Required);
        } else if parse_smtp_service(&self.smtp_service).is_none() {
            fail(
                Field::SmtpService,
                Problem::UnknownService {
                    value: self.smtp_service.clone(),
                },
            );
        }
        for (field, value, port_allowed) in [
            (Field::PopServer, &self.pop_server, true),
            (Field::SmtpServer, &self.smtp_server, false),
        ] {
            match parse_host_port(value) {
                _ if value.trim().is_empty() => fail(field, Problem::Required),
                Some((_, port)) if port.is_none() || port_allowed => {}
                _ => fail(
                    field,
                    Problem::BadHost {
                        value: value.clone(),
                    },
                ),
            }
        }
        if self.address.trim().is_empty() {
            fail(Field::Address, Problem::Required);
        } else if !is_address(&self.address) {
            fail(
                Field::Address,
                Problem::BadAddress {
                    value: self.address.clone(),
                },
            );
        }
        if self.user.is_empty() {
            fail(Field::User, Problem::Required);
        } else if self.user.len() > 254
            || self
                .user
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            fail(Field::User, Problem::BadCharacters);
        }
        self.check_tls_ports(&mut fail);
        errors
    }
}

impl MailSettings {
    /// A port that starts with TLS (995, 465) cannot be spoken to in plaintext first: that is a
    /// connection waiting for a greeting that never comes, so it is refused here with the fix.
    fn check_tls_ports(&self, fail: &mut impl FnMut(Field, Problem)) {
        let pop_port = parse_host_port(&self.pop_server).and_then(|(_, port)| port);
        let smtp_port = parse_smtp_service(&self.smtp_service).map(|e| e.port);
        for (field, port, tls_port, security) in [
            (Field::PopSecurity, pop_port, POP3S_PORT, self.pop_security),
            (
                Field::SmtpSecurity,
                smtp_port,
                SMTPS_PORT,
                self.smtp_security,
            ),
        ] {
            if port == Some(tls_port) && security != Security::Tls {
                fail(field, Problem::TlsPort { port: tls_port });
            }
        }
    }
}

/// The caution under 4. while it is empty and 6. (as typed) is a real server: saving is
/// allowed (GET, LIST, HELP and ALARM answer without a PIN), but SET will be refused.
pub fn pin_caution(pop_server: &str, pin: &str, lang: Lang) -> Option<&'static str> {
    let (host, _) = parse_host_port(pop_server)?;
    (pin.trim().is_empty() && !is_sandbox_host(&host)).then(|| {
        lang.pick(
            "実際のメールサーバでは、6 桁以上の暗証番号を登録するまで SET（ポイント操作）のメールは実行されず、その旨を返信します。メールの差出人は偽装できるため、3.コマンド許可アドレス だけでは操作を守れません。HELP・LIST・GET・ALARM は暗証番号なしで答えます。",
            "With a real mail server, SET (operating a point) is refused, with a reply saying why, until a PIN of 6 or more digits is saved: sender addresses can be forged, so 3. Allowed command senders alone cannot protect the plant. HELP, LIST, GET and ALARM answer without a PIN.",
        )
    })
}

/// The reply line to a SET that [`MailSettings::sets_allowed`] refuses.
pub fn set_refused_text(lang: Lang) -> &'static str {
    lang.pick(
        "実際のメールサーバを使っているため、SET（ポイント操作）には 6 桁以上の 4.コマンド暗証番号 が必要です。実行しませんでした。設定画面で暗証番号を登録し、メールに「PIN 暗証番号」の行を加えてください。",
        "this system reads a real mail server, so SET (operating a point) needs 4. Command PIN of at least 6 digits: not executed. Save a PIN on the settings screen and add a line \"PIN <digits>\" to the mail.",
    )
}

/// Checks a new password: printable, no line breaks (it goes into protocol lines).
pub fn validate_password(change: &PasswordChange) -> Option<FieldError> {
    match change {
        PasswordChange::Set(p) if p.is_empty() => Some(FieldError {
            field: Field::Password,
            problem: Problem::Required,
        }),
        PasswordChange::Set(p) if p.len() > 256 || p.chars().any(char::is_control) => {
            Some(FieldError {
                field: Field::Password,
                problem: Problem::BadCharacters,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(settings: &MailSettings) -> Vec<(Field, Problem)> {
        settings
            .validate()
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn the_demo_preset_is_valid_and_numbered_as_the_seed() {
        assert_eq!(MailSettings::sandbox_demo().validate(), vec![]);
        assert_eq!(Field::SmtpService.label(Lang::Ja), "5.SMTP名");
        assert_eq!(Field::SmtpAuthLogin.label(Lang::En), "12. SmtpAuthLogin");
        assert!(Field::CommandPin.is_ours() && !Field::SmtpService.is_ours());
    }

    #[test]
    fn smtp_service_takes_names_and_ports() {
        let ok = |v| parse_smtp_service(v).map(|e| e.port);
        assert_eq!(ok("smtp"), Some(25));
        assert_eq!(ok("Submission"), Some(587));
        assert_eq!(ok("smtps"), Some(465));
        assert_eq!(ok("2525"), Some(2525));
        assert_eq!(Security::implied_by_smtp_service("465"), Security::Tls);
        assert_eq!(
            Security::implied_by_smtp_service("submission"),
            Security::Starttls
        );
        for bad in ["pop3", "smtp-auth", "0", "70000", ""] {
            assert_eq!(parse_smtp_service(bad), None, "{bad}");
        }
        let mut s = MailSettings::sandbox_demo();
        s.smtp_service = "smpt".into();
        assert_eq!(
            problems(&s),
            vec![(
                Field::SmtpService,
                Problem::UnknownService {
                    value: "smpt".into()
                }
            )]
        );
        let message = s.validate()[0].message(Lang::Ja);
        assert!(
            message.starts_with("5.SMTP名") && message.contains("smpt"),
            "{message}"
        );
    }

    #[test]
    fn only_the_sandbox_domain_counts_as_the_sandbox() {
        for host in ["sandbox.test", "mail.sandbox.test", "POP.Sandbox.Test."] {
            assert!(is_sandbox_host(host), "{host}");
        }
        for host in ["sandbox.testing", "evilsandbox.test", "pop.example.jp", ""] {
            assert!(!is_sandbox_host(host), "{host}");
        }
        let mut s = MailSettings::sandbox_demo();
        assert!(s.pop_is_sandbox());
        assert!(s.receive_interval_min >= SAFE_INTERVAL_MIN);
        s.pop_server = "mail.sandbox.test:995".into();
        assert!(s.pop_is_sandbox());
        s.pop_server = "pop.example.jp".into();
        assert!(!s.pop_is_sandbox());
    }

    #[test]
    fn hosts_addresses_and_ranges_are_checked() {
        assert_eq!(
            parse_host_port("pop.example.jp:995"),
            Some(("pop.example.jp".into(), Some(995)))
        );
        assert_eq!(
            parse_host_port("[::1]:110"),
            Some(("::1".into(), Some(110)))
        );
        assert_eq!(
            parse_host_port("192.0.2.7"),
            Some(("192.0.2.7".into(), None))
        );
        for bad in [
            "",
            "a b",
            "-x.jp",
            "host:",
            "host:0",
            "host:99999",
            "[::1",
            "ex_ample.jp",
        ] {
            assert_eq!(parse_host_port(bad), None, "{bad}");
        }
        let mut s = MailSettings::sandbox_demo();
        s.receive_interval_min = 1441;
        s.smtp_server = "smtp.example.jp:587".into();
        s.address = "karacrix".into();
        s.allowed_senders = vec!["@sandbox.test".into(), "not an address".into()];
        s.alarm_recipients = vec!["@sandbox.test".into()];
        s.command_pin = "12a4".into();
        s.user = "kara crix".into();
        let fields: Vec<Field> = problems(&s).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                Field::ReceiveInterval,
                Field::AlarmRecipients,
                Field::AllowedSenders,
                Field::CommandPin,
                Field::SmtpServer,
                Field::Address,
                Field::User
            ]
        );
    }

    #[test]
    fn empty_required_fields_are_named() {
        let mut s = MailSettings::sandbox_demo();
        s.pop_server.clear();
        s.user.clear();
        s.smtp_service = " ".into();
        assert_eq!(
            problems(&s),
            vec![
                (Field::SmtpService, Problem::Required),
                (Field::PopServer, Problem::Required),
                (Field::User, Problem::Required)
            ]
        );
    }

    #[test]
    fn settings_saved_before_the_security_choice_load_with_what_their_ports_meant() {
        let mut old = serde_json::to_value(MailSettings::sandbox_demo()).unwrap();
        let object = old.as_object_mut().unwrap();
        object.remove("pop_security");
        object.remove("smtp_security");
        let loaded: MailSettings = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(loaded, MailSettings::sandbox_demo());
        let object = old.as_object_mut().unwrap();
        object.insert("pop_server".into(), "pop.example.jp:995".into());
        object.insert("smtp_service".into(), "smtps".into());
        let loaded: MailSettings = serde_json::from_value(old).unwrap();
        assert_eq!(
            (loaded.pop_security, loaded.smtp_security),
            (Security::Tls, Security::Tls)
        );
        assert_eq!(loaded.validate(), vec![]);
        let json = serde_json::to_string(&loaded).unwrap();
        assert!(json.contains(r#""pop_security":"tls""#), "{json}");
    }

    #[test]
    fn the_security_choice_works_on_any_port_but_not_plaintext_on_a_tls_port() {
        let mut s = MailSettings::sandbox_demo();
        s.pop_server = "127.0.0.1:11995".into();
        s.pop_security = Security::Tls;
        s.smtp_service = "2465".into();
        s.smtp_security = Security::Tls;
        assert_eq!(s.validate(), vec![]);
        s.pop_server = "127.0.0.1:995".into();
        s.pop_security = Security::Starttls;
        s.smtp_service = "smtps".into();
        s.smtp_security = Security::None;
        assert_eq!(
            problems(&s),
            vec![
                (Field::PopSecurity, Problem::TlsPort { port: 995 }),
                (Field::SmtpSecurity, Problem::TlsPort { port: 465 })
            ]
        );
        let message = s.validate()[1].message(Lang::Ja);
        assert!(message.starts_with("14.SMTP接続の暗号化"), "{message}");
        assert!(Field::PopSecurity.is_ours() && Field::SmtpSecurity.is_ours());
        for choice in Security::ALL {
            assert_eq!(Security::from_value(choice.value()), Some(choice));
            assert_ne!(choice.label(Lang::Ja), choice.label(Lang::En));
        }
    }

    #[test]
    fn a_real_server_needs_a_long_pin_for_set() {
        let mut s = MailSettings::sandbox_demo();
        assert!(s.sets_allowed(), "the sandbox needs no PIN");
        s.pop_server = "pop.example.jp".into();
        assert!(!s.sets_allowed());
        assert_eq!(s.validate(), vec![], "GET and LIST may stay PIN-free");
        assert!(pin_caution(&s.pop_server, "", Lang::Ja).is_some());
        assert!(
            pin_caution(&s.pop_server, "", Lang::En)
                .unwrap()
                .contains("6")
        );
        s.command_pin = "2468".into();
        assert!(!s.sets_allowed());
        assert_eq!(
            problems(&s),
            vec![(
                Field::CommandPin,
                Problem::PinTooShortForRealServer {
                    min: REAL_SERVER_MIN_PIN
                }
            )]
        );
        let message = s.validate()[0].message(Lang::Ja);
        assert!(message.starts_with("4.コマンド暗証番号") && message.contains("6〜8"));
        assert!(s.validate()[0].message(Lang::En).contains("forged"));
        s.command_pin = "246813".into();
        assert!(s.sets_allowed());
        assert_eq!(s.validate(), vec![]);
        assert_eq!(pin_caution(&s.pop_server, "246813", Lang::Ja), None);
        assert_eq!(pin_caution("mail.sandbox.test", "", Lang::Ja), None);
        assert_ne!(set_refused_text(Lang::Ja), set_refused_text(Lang::En));
    }

    #[test]
    fn passwords_are_write_only_values() {
        assert_eq!(validate_password(&PasswordChange::Keep), None);
        assert_eq!(
            validate_password(&PasswordChange::Set("s3cret".into())),
            None
        );
        assert!(validate_password(&PasswordChange::Set(String::new())).is_some());
        assert!(validate_password(&PasswordChange::Set("a\r\nQUIT".into())).is_some());
        let json = serde_json::to_string(&MailSettings::sandbox_demo()).unwrap();
        assert!(!json.contains("password\":\""), "{json}");
    }
}
