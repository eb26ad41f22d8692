//! The seam between the mail cycle and the command layer. The cycle hands over each new mail;
//! the layer answers with replies to queue and state to store. Both are committed together with
//! the mail's "executed" mark, so a command runs exactly once even across crashes.

use shared::settings::MailSettings;

use super::ledger::NewMail;
use super::mail::{self, ReceivedMail};
use crate::store::StoreError;

/// Stores the layer's state inside the execution's transaction.
pub type Commit = Box<dyn FnOnce(&redb::WriteTransaction) -> Result<(), StoreError> + Send>;

/// What the command layer decided about one mail.
#[derive(Default)]
pub struct Handling {
    /// Mails to send (the reply; none for refused senders: no backscatter).
    pub replies: Vec<NewMail>,
    /// State to store in the same transaction as the execution record.
    pub commit: Option<Commit>,
    /// What to log and show, e.g. a refused sender.
    pub notice: Option<String>,
}

/// Executes command mails.
pub trait CommandLayer: Send + Sync {
    /// Handles one new mail under the applied settings.
    fn handle(&self, mail: &ReceivedMail, settings: &MailSettings) -> Handling;

    /// Called after the execution was stored: apply what `handle` prepared.
    fn committed(&self) {}
}

/// The minimal layer until the command language is wired: it answers every sender with the
/// lines it understood as received, so the whole cycle (receive, reply, delete) can be exercised.
pub struct EchoLayer;

impl CommandLayer for EchoLayer {
    fn handle(&self, mail: &ReceivedMail, settings: &MailSettings) -> Handling {
        let Some(sender) = &mail.from else {
            return Handling {
                notice: Some("mail without a sender address: no reply".into()),
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
                notice: Some(format!("no reply: {why}")),
                ..Handling::default()
            },
        }
    }
}
