//! The connection test (接続テスト) of the settings screen: the steps it tries with the settings
//! on the screen, without applying them, and where each step got. Each step names the state
//! frame (3) would show during it, so the test and the live display speak the same codes.

use serde::{Deserialize, Serialize};

use crate::Lang;
use crate::status::{MailError, MailStatus};
use crate::transcript::Notice;

/// One step of the test, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// TCP to 6.POPサーバ名 and its greeting.
    PopConnect,
    /// TLS: implicit on 995, STLS when offered.
    PopTls,
    /// USER/PASS or APOP.
    PopLogin,
    /// STAT: the mailbox is readable (nothing is retrieved or deleted).
    PopStat,
    /// QUIT.
    PopQuit,
    /// The POP login of 11.PopBeforeSmtp, just before sending.
    PopBeforeSmtp,
    /// TCP to 7.SMTPサーバ名 on 5.SMTP名, its greeting and EHLO.
    SmtpConnect,
    /// STARTTLS, or implicit TLS on smtps.
    SmtpTls,
    /// AUTH for 12.SmtpAuthLogin.
    SmtpAuth,
    /// A test mail to 8.自分のメールアドレス名 (only when asked).
    SmtpTestMail,
    /// QUIT.
    SmtpQuit,
}

impl Step {
    /// What the step does, in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        let (ja, en) = match self {
            Step::PopConnect => ("POP サーバに接続", "Connect to the POP server"),
            Step::PopTls => ("POP の暗号化（TLS）", "POP encryption (TLS)"),
            Step::PopLogin => ("POP ログイン", "POP login"),
            Step::PopStat => ("メールボックスの確認（STAT）", "Check the mailbox (STAT)"),
            Step::PopQuit => ("POP 切断（QUIT）", "POP logout (QUIT)"),
            Step::PopBeforeSmtp => (
                "送信前の POP ログイン（PopBeforeSmtp）",
                "POP login before sending (PopBeforeSmtp)",
            ),
            Step::SmtpConnect => ("SMTP サーバに接続", "Connect to the SMTP server"),
            Step::SmtpTls => (
                "SMTP の暗号化（STARTTLS/TLS）",
                "SMTP encryption (STARTTLS/TLS)",
            ),
            Step::SmtpAuth => ("SMTP ログイン認証（AUTH）", "SMTP login (AUTH)"),
            Step::SmtpTestMail => (
                "テストメールを自分のアドレスへ送信",
                "Send a test mail to the own address",
            ),
            Step::SmtpQuit => ("SMTP 切断（QUIT）", "SMTP logout (QUIT)"),
        };
        lang.pick(ja, en)
    }

    /// The state frame (3) shows while the engine does this step, if it has one.
    pub fn status(self) -> Option<MailStatus> {
        match self {
            Step::PopConnect | Step::PopTls => Some(MailStatus::PopConnect),
            Step::PopLogin => Some(MailStatus::PopAuth),
            Step::PopBeforeSmtp | Step::SmtpAuth => Some(MailStatus::SmtpAuth),
            Step::SmtpConnect | Step::SmtpTls => Some(MailStatus::SmtpConnect),
            Step::SmtpTestMail => Some(MailStatus::SmtpSend { index: 1, total: 1 }),
            Step::PopStat | Step::PopQuit | Step::SmtpQuit => None,
        }
    }
}

/// Where a step got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Under way.
    Running,
    /// Done; `detail` says what the server answered.
    Passed,
    /// Not needed with these settings (e.g. no AUTH without 12.SmtpAuthLogin).
    Skipped,
    /// Not tried because an earlier step failed.
    NotTried,
    /// Failed with this catalogue error.
    Failed {
        /// Which error.
        error: MailError,
    },
}

/// One step's line in the test's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    /// Which step.
    pub step: Step,
    /// Where it got.
    pub outcome: Outcome,
    /// What happened, for people (server replies, host names), in both languages; never a
    /// password.
    pub detail: Notice,
}

impl StepReport {
    /// The code shown beside the step: the error's on failure, frame (3)'s state while it
    /// runs and once it passed, and none for a step not done (frame (3) never showed it).
    pub fn code(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Failed { error } => Some(error.code().to_string()),
            Outcome::Skipped | Outcome::NotTried => None,
            Outcome::Running | Outcome::Passed => self.step.status().map(|s| s.display()),
        }
    }
}

/// The whole test as it stands; sent again after every step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestReport {
    /// The steps so far, in order.
    pub steps: Vec<StepReport>,
    /// True once the test has ended.
    pub finished: bool,
}

impl TestReport {
    /// True when it ended without a failed step.
    pub fn passed(&self) -> bool {
        self.finished
            && !self
                .steps
                .iter()
                .any(|s| matches!(s.outcome, Outcome::Failed { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_show_frame_3_codes_and_errors_their_own() {
        let running = StepReport {
            step: Step::PopLogin,
            outcome: Outcome::Running,
            detail: Notice::default(),
        };
        assert_eq!(running.code().as_deref(), Some("pop auth"));
        let failed = StepReport {
            outcome: Outcome::Failed {
                error: MailError::PopServerTemp,
            },
            ..running
        };
        assert_eq!(failed.code().as_deref(), Some("err pop server (temp)"));
        let skipped = StepReport {
            step: Step::PopTls,
            outcome: Outcome::Skipped,
            detail: Notice::default(),
        };
        assert_eq!(skipped.code(), None, "a TLS step not done shows no state");
        let report = TestReport {
            steps: vec![failed],
            finished: true,
        };
        assert!(!report.passed());
        assert_ne!(Step::PopStat.label(Lang::Ja), Step::PopStat.label(Lang::En));
    }

    #[test]
    fn reports_travel_as_json() {
        let report = TestReport {
            steps: vec![StepReport {
                step: Step::SmtpAuth,
                outcome: Outcome::Failed {
                    error: MailError::SmtpAuthFailed,
                },
                detail: Notice::same("535 5.7.8"),
            }],
            finished: true,
        };
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<TestReport>(&json).unwrap(), report);
    }
}
