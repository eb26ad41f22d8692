//! The seam between the mail cycle and the command layer. The cycle hands over each new mail;
//! the layer answers with replies to queue, and stores its state. Both are committed together
//! with the mails' "executed" marks, so a command runs exactly once even across crashes. Mails
//! are committed in batches: each mail builds on the ones before it that are not committed yet.

use shared::settings::MailSettings;
use shared::transcript::Notice;

use super::ledger::NewMail;
use crate::mail::message::{self as mail, ReceivedMail};
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

    /// A training reset: forget every count kept about senders (wrong PINs, replies).
    fn reset(&self) {}
}

/// The minimal layer until the command language is wired: it answers every sender with the
/// lines it understood as received, so the whole cycle (receive, reply, delete) can be exercised.
pub struct EchoLayer;

impl CommandLayer for EchoLayer {
    fn handle(&self, mail: &ReceivedMail, settings: &MailSettings) -> Handling {
        let Some(sender) = &mail.from else {
            return Handling {
                notice: Some(Notice::new(
                    "送信元アドレスのないメール: 返信しません",
                    "mail without a sender address: no reply",
                )),
                ..Handling::default()
            };
        };
        let quoted: Vec<String> = mail
            .text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("> {l}"))
            .collect();
        let body = format!(
            "受信しました / Received:\r\n{}\r\n\r\n-- \r\nKaracrixBuilder\r\n",
            quoted.join("\r\n")
        );
        match mail::compose_reply(&settings.address, sender, mail, body) {
            Ok(message) => Handling {
                replies: vec![NewMail {
                    from: settings.address.clone(),
                    to: vec![sender.clone()],
                    message,
                }],
                ..Handling::default()
            },
            Err(why) => Handling {
                notice: Some(Notice::new(
                    format!("返信できません: {why}"),
                    format!("no reply: {why}"),
                )),
                ..Handling::default()
            },
        }
    }
}
