//! The sandbox ISP's policies: what a trainer switches at run time (and the UI's ISP panel
//! shows). The back end maps them onto its SMTP and POP3 listeners.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

use crate::Lang;

/// A mail service of the ISP, named as in `/etc/services`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailService {
    /// SMTP, port 25.
    Smtp,
    /// Message submission, port 587.
    Submission,
    /// SMTP over implicit TLS, port 465.
    Smtps,
    /// POP3, port 110.
    Pop3,
    /// POP3 over implicit TLS, port 995.
    Pop3s,
}

impl MailService {
    /// Every service, in port order of the original.
    pub const ALL: [MailService; 5] = [
        MailService::Smtp,
        MailService::Submission,
        MailService::Smtps,
        MailService::Pop3,
        MailService::Pop3s,
    ];

    /// The service name (`smtp`, `submission`, …).
    pub fn name(self) -> &'static str {
        match self {
            MailService::Smtp => "smtp",
            MailService::Submission => "submission",
            MailService::Smtps => "smtps",
            MailService::Pop3 => "pop3",
            MailService::Pop3s => "pop3s",
        }
    }

    /// The well-known port the name stands for.
    pub fn well_known_port(self) -> u16 {
        match self {
            MailService::Smtp => 25,
            MailService::Submission => 587,
            MailService::Smtps => 465,
            MailService::Pop3 => 110,
            MailService::Pop3s => 995,
        }
    }

    /// The service of a name, as `5.SMTP名` and `/etc/services` spell it (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        MailService::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The service behind a well-known port number.
    pub fn from_port(port: u16) -> Option<Self> {
        MailService::ALL
            .into_iter()
            .find(|s| s.well_known_port() == port)
    }

    /// True for the services that speak SMTP.
    pub fn is_smtp(self) -> bool {
        matches!(
            self,
            MailService::Smtp | MailService::Submission | MailService::Smtps
        )
    }

    /// True for the services that start with TLS (no plaintext phase).
    pub fn implicit_tls(self) -> bool {
        matches!(self, MailService::Smtps | MailService::Pop3s)
    }
}

/// What an SMTP port demands before it takes mail for relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Anyone may send (mail to the sandbox domain only).
    Nothing,
    /// A POP3 login from the same client address within the window first.
    PopBeforeSmtp,
    /// SMTP AUTH (LOGIN or PLAIN).
    Auth,
}

/// Outbound Port 25 Blocking, as ISPs do against spam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op25b {
    /// Port 25 is open.
    #[default]
    Off,
    /// Port 25 never answers: the client's connection times out (the usual symptom).
    Timeout,
    /// Port 25 closes the connection at once.
    Refuse,
}

/// A policy value out of range: nothing is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyInvalid {
    /// The PopBeforeSmtp window, in minutes, is not 1 to 1440.
    PopBeforeSmtpWindow(u32),
    /// The reply delay, in ms, is over [`MAX_SLOW_MS`].
    SlowMs(u32),
    /// The injected SMTP code is not 4xx or 5xx.
    SmtpErrorCode(u16),
}

impl PolicyInvalid {
    /// What to tell the trainer.
    pub fn message(self, lang: Lang) -> String {
        match (self, lang) {
            (PolicyInvalid::PopBeforeSmtpWindow(n), Lang::Ja) => {
                format!("PopBeforeSmtp の有効時間は 1〜1440 分です（{n} 分は指定できません）。")
            }
            (PolicyInvalid::PopBeforeSmtpWindow(n), Lang::En) => {
                format!("the PopBeforeSmtp window must be 1 to 1440 minutes, not {n}")
            }
            (PolicyInvalid::SlowMs(ms), Lang::Ja) => {
                format!(
                    "応答の遅延は {MAX_SLOW_MS} ミリ秒までです（{ms} ミリ秒は指定できません）。"
                )
            }
            (PolicyInvalid::SlowMs(ms), Lang::En) => {
                format!("a reply delay of {ms} ms is over the limit of {MAX_SLOW_MS} ms")
            }
            (PolicyInvalid::SmtpErrorCode(code), Lang::Ja) => {
                format!(
                    "注入する SMTP エラーは 4xx か 5xx のコードです（{code} は指定できません）。"
                )
            }
            (PolicyInvalid::SmtpErrorCode(code), Lang::En) => {
                format!("an injected SMTP error must be a 4xx or 5xx code, not {code}")
            }
        }
    }
}

impl std::fmt::Display for PolicyInvalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

/// Which clients OP25B blocks. Clients are told apart by source address: the whole
/// 127.0.0.0/8 range is loopback, and the engine and the phone each connect from their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op25bClients {
    /// Only the system (connecting from [`SYSTEM_CLIENT`]), a customer on a dynamic address as
    /// ISPs block them; other clients (a mail program on 127.0.0.1) reach port 25.
    #[default]
    System,
    /// Every client.
    All,
}

impl Op25bClients {
    /// Whether a client connecting from `peer` is blocked, where the system connects from
    /// `system`.
    pub fn includes(self, peer: IpAddr, system: IpAddr) -> bool {
        match self {
            Op25bClients::System => peer == system,
            Op25bClients::All => true,
        }
    }
}

/// The loopback addresses one simulation's system and phone connect to the sandbox from: the
/// ISP tells simulations (and the system from the phone) apart by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Clients {
    /// The system's (the engine's) address.
    pub system: Ipv4Addr,
    /// The phone's address.
    pub phone: Ipv4Addr,
}

/// The first address of the trainees' sessions: 127.16.0.0/12 leaves room for half a million.
const SESSIONS_BASE: u32 = u32::from_be_bytes([127, 16, 0, 0]);
/// The sessions fit below 127.32.0.0.
pub const MAX_SESSIONS: u32 = 1 << 19;

impl Clients {
    /// The one simulation of single-user mode.
    pub const SINGLE: Clients = Clients {
        system: SYSTEM_CLIENT,
        phone: PHONE_CLIENT,
    };

    /// The addresses of session number `index` (below [`MAX_SESSIONS`]) of a classroom.
    pub fn of_session(index: u32) -> Option<Clients> {
        if index >= MAX_SESSIONS {
            return None;
        }
        let system = SESSIONS_BASE + 2 * index;
        Some(Clients {
            system: Ipv4Addr::from(system),
            phone: Ipv4Addr::from(system + 1),
        })
    }
}

/// The loopback address the engine (the system) connects to the sandbox from.
pub const SYSTEM_CLIENT: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
/// The loopback address the simulated phone connects to the sandbox from.
pub const PHONE_CLIENT: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

/// STARTTLS on the plaintext ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartTls {
    /// Not offered.
    Off,
    /// Offered; plaintext allowed.
    Offered,
    /// Commands other than EHLO/STARTTLS/QUIT are refused before TLS.
    Required,
}

/// Where in an SMTP dialogue a fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpStage {
    /// The 220 greeting.
    Greeting,
    /// EHLO/HELO.
    Ehlo,
    /// AUTH.
    Auth,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA.
    Data,
    /// After the final `.` of the message.
    EndOfData,
}

/// Where in a POP3 dialogue a fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pop3Stage {
    /// The +OK greeting.
    Greeting,
    /// USER/PASS/APOP.
    Auth,
    /// RETR/TOP.
    Retrieve,
}

/// Injected failures, for training the status display.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    /// All mail services refuse connections.
    pub down: bool,
    /// Every reply is delayed by this many milliseconds.
    pub slow_ms: u32,
    /// SMTP answers this code at this stage (4xx temporary, 5xx permanent).
    pub smtp_error: Option<(SmtpStage, u16)>,
    /// POP3 answers `-ERR` at this stage.
    pub pop3_error: Option<Pop3Stage>,
    /// Connections are dropped after this many octets of a message (mid-DATA, mid-RETR).
    pub drop_after_bytes: Option<u32>,
}

/// Everything a trainer can switch on the sandbox ISP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxPolicy {
    /// OP25B on the `smtp` port.
    pub op25b: Op25b,
    /// Which clients OP25B blocks (absent in policies stored before it existed).
    #[serde(default)]
    pub op25b_clients: Op25bClients,
    /// What `smtp` (25) requires.
    pub smtp_requires: Requirement,
    /// What `submission` (587) requires.
    pub submission_requires: Requirement,
    /// What `smtps` (465) requires.
    pub smtps_requires: Requirement,
    /// How long a POP3 login opens PopBeforeSmtp, in minutes.
    pub pop_before_smtp_minutes: u32,
    /// STARTTLS on `smtp` and `submission` (POP3 always offers STLS).
    pub starttls: StartTls,
    /// Injected failures.
    pub faults: Faults,
    /// The shortest time between two POP3 logins of one account, in demo minutes, that the
    /// ISP tolerates; 0 for no limit. Polling faster gets the account flagged and locked for a
    /// while, as the manual warns (absent in policies stored before it existed).
    #[serde(default)]
    pub min_poll_minutes: u32,
}

impl Default for SandboxPolicy {
    /// Like a typical Japanese ISP today: port 25 blocked, submission with SMTP AUTH,
    /// PopBeforeSmtp still accepted on port 25 where it is open.
    fn default() -> Self {
        SandboxPolicy {
            op25b: Op25b::Timeout,
            op25b_clients: Op25bClients::System,
            smtp_requires: Requirement::PopBeforeSmtp,
            submission_requires: Requirement::Auth,
            smtps_requires: Requirement::Auth,
            pop_before_smtp_minutes: 10,
            starttls: StartTls::Offered,
            faults: Faults::default(),
            min_poll_minutes: 0,
        }
    }
}

/// The longest injected reply delay, so a mistaken value cannot hang the trainees for hours.
pub const MAX_SLOW_MS: u32 = 60_000;

impl SandboxPolicy {
    /// Checks the values a trainer can get wrong, naming the problem.
    pub fn validate(&self) -> Result<(), PolicyInvalid> {
        if !(1..=1440).contains(&self.pop_before_smtp_minutes) {
            return Err(PolicyInvalid::PopBeforeSmtpWindow(
                self.pop_before_smtp_minutes,
            ));
        }
        if self.faults.slow_ms > MAX_SLOW_MS {
            return Err(PolicyInvalid::SlowMs(self.faults.slow_ms));
        }
        if let Some((_, code)) = self.faults.smtp_error
            && !(400..=599).contains(&code)
        {
            return Err(PolicyInvalid::SmtpErrorCode(code));
        }
        Ok(())
    }

    /// What the given SMTP service requires (`Nothing` for POP3 services).
    pub fn requirement(&self, service: MailService) -> Requirement {
        match service {
            MailService::Smtp => self.smtp_requires,
            MailService::Submission => self.submission_requires,
            MailService::Smtps => self.smtps_requires,
            MailService::Pop3 | MailService::Pop3s => Requirement::Nothing,
        }
    }
}

/// Where one sandbox service listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxEndpoint {
    /// The service it stands for.
    pub service: MailService,
    /// The loopback address.
    pub address: String,
    /// The real (unprivileged) port.
    pub port: u16,
}

/// What the UI and real mail clients need to know about the running sandbox ISP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxInfo {
    /// The ISP's mail domain.
    pub domain: String,
    /// The listeners, one per service.
    pub endpoints: Vec<SandboxEndpoint>,
    /// The mailbox addresses (the training passwords are in the README, not on the wire).
    pub accounts: Vec<String>,
    /// The policies in force.
    pub policy: SandboxPolicy,
    /// The CA certificate (PEM) to trust for TLS to the sandbox.
    pub ca_pem: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_stored_before_op25b_clients_existed_still_loads() {
        let mut stored = serde_json::to_value(SandboxPolicy::default()).unwrap();
        stored.as_object_mut().unwrap().remove("op25b_clients");
        let policy: SandboxPolicy = serde_json::from_value(stored).unwrap();
        assert_eq!(policy.op25b_clients, Op25bClients::System);
    }

    #[test]
    fn service_names_and_ports_map_both_ways() {
        for service in MailService::ALL {
            assert_eq!(MailService::from_name(service.name()), Some(service));
            assert_eq!(
                MailService::from_port(service.well_known_port()),
                Some(service)
            );
        }
        assert_eq!(
            MailService::from_name(" Submission "),
            Some(MailService::Submission)
        );
        assert_eq!(MailService::from_name("smtp-auth"), None);
        assert!(MailService::Smtps.implicit_tls() && !MailService::Submission.implicit_tls());
    }

    #[test]
    fn the_default_isp_blocks_port_25_and_wants_auth_on_submission() {
        let policy = SandboxPolicy::default();
        assert_eq!(policy.op25b, Op25b::Timeout);
        let system = SYSTEM_CLIENT.into();
        assert!(policy.op25b_clients.includes(system, system));
        assert!(!policy.op25b_clients.includes(PHONE_CLIENT.into(), system));
        let session = Clients::of_session(7).unwrap();
        assert!(!policy.op25b_clients.includes(system, session.system.into()));
        assert_eq!(session.system, Ipv4Addr::new(127, 16, 0, 14));
        assert_eq!(session.phone, Ipv4Addr::new(127, 16, 0, 15));
        let last = Clients::of_session(MAX_SESSIONS - 1).unwrap();
        assert_eq!(last.phone, Ipv4Addr::new(127, 31, 255, 255));
        assert_eq!(Clients::of_session(MAX_SESSIONS), None);
        assert!(
            !policy
                .op25b_clients
                .includes(Ipv4Addr::LOCALHOST.into(), system)
        );
        assert!(Op25bClients::All.includes(Ipv4Addr::LOCALHOST.into(), system));
        assert_eq!(
            policy.requirement(MailService::Submission),
            Requirement::Auth
        );
        assert_eq!(policy.validate(), Ok(()));
        let mut bad = policy.clone();
        bad.faults.smtp_error = Some((SmtpStage::Rcpt, 250));
        let why = bad.validate().unwrap_err();
        assert!(why.message(Lang::En).contains("250"));
        assert!(why.message(Lang::Ja).contains("250"));
        bad.faults.smtp_error = Some((SmtpStage::Rcpt, 451));
        bad.pop_before_smtp_minutes = 0;
        assert!(bad.validate().is_err());
        let json = serde_json::to_string(&policy).unwrap();
        assert_eq!(
            serde_json::from_str::<SandboxPolicy>(&json).unwrap(),
            policy
        );
    }
}
