//! The seam between the mail cycle and the command layer. The cycle hands over each new mail;
//! the layer answers with replies to queue, and stores its state. Both are committed together
//! with the mails' "executed" marks, so a command runs exactly once even across crashes. Mails
//! are committed in batches: each mail builds on the ones before it that are not committed yet.

use std::time::Instant;

use shared::engine::Hold;
use shared::settings::MailSettings;
use shared::transcript::Notice;

use super::ledger::NewMail;
use crate::mail::message::ReceivedMail;
use crate::store::StoreError;

/// What the command layer decided about one mail.
#[derive(Default)]
pub struct Handling {
    /// Mails to send (the reply; none for refused senders: no backscatter).
    pub replies: Vec<NewMail>,
    /// What to log and show, e.g. a refused sender.
    pub notice: Option<Notice>,
}

/// Executes command mails.
pub trait CommandLayer: Send + Sync {
    /// Handles one new mail under the applied settings, after the mails handled since the last
    /// [`committed`](Self::committed) or [`abandoned`](Self::abandoned).
    fn handle(&self, mail: &ReceivedMail, settings: &MailSettings) -> Handling;

    /// Stores what the mails handled since the last commit changed, in the transaction that
    /// records their execution.
    fn store(&self, _txn: &redb::WriteTransaction) -> Result<(), StoreError> {
        Ok(())
    }

    /// Called after the executions were stored: apply what `handle` prepared.
    fn committed(&self) {}

    /// Called when the executions were not stored: forget what `handle` prepared.
    fn abandoned(&self) {}

    /// The limits refusing some mails at `now` (Unix seconds `now_unix`), for frame (3).
    fn holds(&self, _now: Instant, _now_unix: u64) -> Vec<Hold> {
        Vec::new()
    }

    /// A training reset: forget every count kept about senders (wrong PINs, replies).
    fn reset(&self) {}
}

/// `until` as Unix seconds, rounded up, given that `now` is `now_unix`.
pub fn unix_at(until: Instant, now: Instant, now_unix: u64) -> u64 {
    let left = until.saturating_duration_since(now);
    now_unix + left.as_secs() + u64::from(left.subsec_nanos() > 0)
}

/// A test layer that answers every sender with the lines it received, so the whole cycle
/// (receive, reply, delete) can be exercised without a plant.
#[cfg(test)]
pub struct EchoLayer;

#[cfg(test)]
impl CommandLayer for EchoLayer {
    fn handle(&self, mail: &ReceivedMail, settings: &MailSettings) -> Handling {
        if mail.from.is_none() {
            return Handling {
                notice: Some(Notice::new(
                    "送信元アドレスのないメール: 返信しません",
                    "mail without a sender address: no reply",
                )),
                ..Handling::default()
            };
        }
        let quoted: Vec<String> = mail
            .text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("> {l}"))
            .collect();
        let body = format!("受信しました / Received:\n{}\n", quoted.join("\n"));
        Handling {
            replies: super::executor::reply(mail, settings, &body)
                .into_iter()
                .collect(),
            ..Handling::default()
        }
    }
}
