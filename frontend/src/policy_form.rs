//! The sandbox ISP panel's form as text: every policy as the controls hold it, with the names the
//! `<select>`s use and the labels they show. Ranges are checked by the back end (one place); this
//! only turns typed numbers into numbers.

use shared::Lang;
use shared::sandbox::{
    Faults, Op25b, Op25bClients, Pop3Stage, Requirement, SandboxPolicy, SmtpStage, StartTls,
};

/// A choice of a `<select>`: its value in the form and its label.
pub trait Choice: Copy + PartialEq + Sized + 'static {
    /// Every choice, in menu order.
    const ALL: &'static [Self];
    /// The `<option value>`.
    fn value(self) -> &'static str;
    /// What the option shows.
    fn label(self, lang: Lang) -> &'static str;
    /// The choice of an `<option value>`.
    fn from_value(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.value() == value)
    }
}

impl Choice for Op25b {
    const ALL: &'static [Self] = &[Op25b::Off, Op25b::Timeout, Op25b::Refuse];
    fn value(self) -> &'static str {
        match self {
            Op25b::Off => "off",
            Op25b::Timeout => "timeout",
            Op25b::Refuse => "refuse",
        }
    }
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Op25b::Off => lang.pick("なし（25 番は開いている）", "off (port 25 open)"),
            Op25b::Timeout => lang.pick("応答しない（タイムアウト）", "no answer (timeout)"),
            Op25b::Refuse => lang.pick("接続を拒否", "refuse the connection"),
        }
    }
}

impl Choice for Op25bClients {
    const ALL: &'static [Self] = &[Op25bClients::System, Op25bClients::All];
    fn value(self) -> &'static str {
        match self {
            Op25bClients::System => "system",
            Op25bClients::All => "all",
        }
    }
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Op25bClients::System => lang.pick(
                "システムからの接続だけ（他の接続元は 25 番に届く）",
                "the system only (other clients reach port 25)",
            ),
            Op25bClients::All => lang.pick("すべての接続元", "every client"),
        }
    }
}

impl Choice for Requirement {
    const ALL: &'static [Self] = &[
        Requirement::Nothing,
        Requirement::PopBeforeSmtp,
        Requirement::Auth,
    ];
    fn value(self) -> &'static str {
        match self {
            Requirement::Nothing => "nothing",
            Requirement::PopBeforeSmtp => "pop_before_smtp",
            Requirement::Auth => "auth",
        }
    }
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Requirement::Nothing => lang.pick("なし", "nothing"),
            Requirement::PopBeforeSmtp => "PopBeforeSmtp",
            Requirement::Auth => lang.pick("SMTP AUTH（ログイン認証）", "SMTP AUTH (login)"),
        }
    }
}

impl Choice for StartTls {
    const ALL: &'static [Self] = &[StartTls::Off, StartTls::Offered, StartTls::Required];
    fn value(self) -> &'static str {
        match self {
            StartTls::Off => "off",
            StartTls::Offered => "offered",
            StartTls::Required => "required",
        }
    }
    fn label(self, lang: Lang) -> &'static str {
        match self {
            StartTls::Off => lang.pick("提供しない", "not offered"),
            StartTls::Offered => lang.pick("提供する（平文も可）", "offered (plain allowed)"),
            StartTls::Required => lang.pick("必須", "required"),
        }
    }
}

impl Choice for SmtpStage {
    const ALL: &'static [Self] = &[
        SmtpStage::Greeting,
        SmtpStage::Ehlo,
        SmtpStage::Auth,
        SmtpStage::Mail,
        SmtpStage::Rcpt,
        SmtpStage::Data,
        SmtpStage::EndOfData,
    ];
    fn value(self) -> &'static str {
        match self {
            SmtpStage::Greeting => "greeting",
            SmtpStage::Ehlo => "ehlo",
            SmtpStage::Auth => "auth",
            SmtpStage::Mail => "mail",
            SmtpStage::Rcpt => "rcpt",
            SmtpStage::Data => "data",
            SmtpStage::EndOfData => "end_of_data",
        }
    }
    fn label(self, lang: Lang) -> &'static str {
        match self {
            SmtpStage::Greeting => lang.pick("接続時の挨拶 (220)", "greeting (220)"),
            SmtpStage::Ehlo => "EHLO",
            SmtpStage::Auth => "AUTH",
            SmtpStage::Mail => "MAIL FROM",
            SmtpStage::Rcpt => "RCPT TO",
            SmtpStage::Data => "DATA",
            SmtpStage::EndOfData => lang.pick("本文の終わり (.)", "end of data (.)"),
        }
    }
}

/// The POP3 fault: none, or a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopFault(pub Option<Pop3Stage>);

impl Choice for PopFault {
    const ALL: &'static [Self] = &[
        PopFault(None),
        PopFault(Some(Pop3Stage::Greeting)),
        PopFault(Some(Pop3Stage::Auth)),
        PopFault(Some(Pop3Stage::Retrieve)),
    ];
    fn value(self) -> &'static str {
        match self.0 {
            None => "none",
            Some(Pop3Stage::Greeting) => "greeting",
            Some(Pop3Stage::Auth) => "auth",
            Some(Pop3Stage::Retrieve) => "retrieve",
        }
    }
    fn label(self, lang: Lang) -> &'static str {
        match self.0 {
            None => lang.pick("なし", "none"),
            Some(Pop3Stage::Greeting) => lang.pick("接続時の挨拶", "greeting"),
            Some(Pop3Stage::Auth) => lang.pick("ログイン (USER/PASS)", "login (USER/PASS)"),
            Some(Pop3Stage::Retrieve) => lang.pick("受信 (RETR)", "retrieve (RETR)"),
        }
    }
}

/// The panel's controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDraft {
    /// OP25B on `smtp`.
    pub op25b: Op25b,
    /// Whom it blocks.
    pub op25b_clients: Op25bClients,
    /// What `smtp` requires.
    pub smtp_requires: Requirement,
    /// What `submission` requires.
    pub submission_requires: Requirement,
    /// What `smtps` requires.
    pub smtps_requires: Requirement,
    /// Minutes, as typed.
    pub pbs_minutes: String,
    /// STARTTLS.
    pub starttls: StartTls,
    /// Fault: every service down.
    pub down: bool,
    /// Fault: delay in ms, as typed.
    pub slow_ms: String,
    /// Fault: an SMTP error is injected.
    pub smtp_error_on: bool,
    /// Its stage.
    pub smtp_error_stage: SmtpStage,
    /// Its code, as typed.
    pub smtp_error_code: String,
    /// Fault: a POP3 error.
    pub pop_error: PopFault,
    /// Fault: connections are dropped mid-message.
    pub drop_on: bool,
    /// After this many octets, as typed.
    pub drop_bytes: String,
    /// The minimum poll interval, kept as it is (exercises set it).
    pub min_poll_minutes: u32,
}

/// A number input that does not hold a whole number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadNumber {
    /// The PopBeforeSmtp window.
    PbsMinutes,
    /// The delay.
    SlowMs,
    /// The injected SMTP code.
    SmtpCode,
    /// The octets before dropping.
    DropBytes,
}

impl BadNumber {
    /// What to tell the user.
    pub fn message(self, lang: Lang) -> &'static str {
        match self {
            BadNumber::PbsMinutes => lang.pick(
                "PopBeforeSmtp の有効時間は分単位の整数で入力してください。",
                "The PopBeforeSmtp window must be a whole number of minutes.",
            ),
            BadNumber::SlowMs => lang.pick(
                "応答の遅延はミリ秒単位の整数で入力してください。",
                "The reply delay must be a whole number of milliseconds.",
            ),
            BadNumber::SmtpCode => lang.pick(
                "SMTP エラーコードは 3 桁の数字で入力してください。",
                "The SMTP error code must be a three-digit number.",
            ),
            BadNumber::DropBytes => lang.pick(
                "切断までのバイト数は整数で入力してください。",
                "The octets before dropping must be a whole number.",
            ),
        }
    }
}

impl PolicyDraft {
    /// The controls showing `policy`.
    pub fn from_policy(policy: &SandboxPolicy) -> Self {
        let f = &policy.faults;
        PolicyDraft {
            op25b: policy.op25b,
            op25b_clients: policy.op25b_clients,
            smtp_requires: policy.smtp_requires,
            submission_requires: policy.submission_requires,
            smtps_requires: policy.smtps_requires,
            pbs_minutes: policy.pop_before_smtp_minutes.to_string(),
            starttls: policy.starttls,
            down: f.down,
            slow_ms: f.slow_ms.to_string(),
            smtp_error_on: f.smtp_error.is_some(),
            smtp_error_stage: f.smtp_error.map_or(SmtpStage::Rcpt, |(s, _)| s),
            smtp_error_code: f.smtp_error.map_or(550, |(_, c)| c).to_string(),
            pop_error: PopFault(f.pop3_error),
            drop_on: f.drop_after_bytes.is_some(),
            drop_bytes: f.drop_after_bytes.unwrap_or(1000).to_string(),
            min_poll_minutes: policy.min_poll_minutes,
        }
    }

    /// The policy to send, or the first number that is not one.
    pub fn to_policy(&self) -> Result<SandboxPolicy, BadNumber> {
        fn number<T: std::str::FromStr>(text: &str, bad: BadNumber) -> Result<T, BadNumber> {
            text.trim().parse().map_err(|_| bad)
        }
        let smtp_error = if self.smtp_error_on {
            Some((
                self.smtp_error_stage,
                number(&self.smtp_error_code, BadNumber::SmtpCode)?,
            ))
        } else {
            None
        };
        let drop_after_bytes = if self.drop_on {
            Some(number(&self.drop_bytes, BadNumber::DropBytes)?)
        } else {
            None
        };
        Ok(SandboxPolicy {
            op25b: self.op25b,
            op25b_clients: self.op25b_clients,
            smtp_requires: self.smtp_requires,
            submission_requires: self.submission_requires,
            smtps_requires: self.smtps_requires,
            pop_before_smtp_minutes: number(&self.pbs_minutes, BadNumber::PbsMinutes)?,
            starttls: self.starttls,
            faults: Faults {
                down: self.down,
                slow_ms: number(&self.slow_ms, BadNumber::SlowMs)?,
                smtp_error,
                pop3_error: self.pop_error.0,
                drop_after_bytes,
            },
            min_poll_minutes: self.min_poll_minutes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values_round_trip<C: Choice + std::fmt::Debug>() {
        let mut seen = std::collections::HashSet::new();
        for choice in C::ALL {
            assert!(seen.insert(choice.value()), "{choice:?}");
            assert_eq!(C::from_value(choice.value()), Some(*choice));
            assert!(!choice.label(Lang::En).is_empty());
        }
        assert_eq!(C::from_value("bogus"), None);
    }

    #[test]
    fn every_select_value_maps_back() {
        values_round_trip::<Op25b>();
        values_round_trip::<Requirement>();
        values_round_trip::<StartTls>();
        values_round_trip::<SmtpStage>();
        values_round_trip::<PopFault>();
    }

    #[test]
    fn a_policy_survives_the_form() {
        let mut policy = SandboxPolicy::default();
        assert_eq!(
            PolicyDraft::from_policy(&policy).to_policy(),
            Ok(policy.clone())
        );
        policy.faults = Faults {
            down: true,
            slow_ms: 250,
            smtp_error: Some((SmtpStage::Data, 451)),
            pop3_error: Some(Pop3Stage::Retrieve),
            drop_after_bytes: Some(64),
        };
        assert_eq!(
            PolicyDraft::from_policy(&policy).to_policy(),
            Ok(policy.clone())
        );
    }

    #[test]
    fn typed_numbers_are_checked_only_when_used() {
        let mut draft = PolicyDraft::from_policy(&SandboxPolicy::default());
        draft.smtp_error_code = "five".into();
        draft.drop_bytes = String::new();
        assert!(draft.to_policy().is_ok());
        draft.smtp_error_on = true;
        assert_eq!(draft.to_policy(), Err(BadNumber::SmtpCode));
        draft.slow_ms = "-1".into();
        draft.smtp_error_on = false;
        assert_eq!(draft.to_policy(), Err(BadNumber::SlowMs));
    }
}
