//! The operator's simulated phone (携帯メール): it sends command mails through the sandbox ISP's
//! submission port as `operator@sandbox.test` (STARTTLS and AUTH, like a real phone) in the
//! charset the trainee picks, and reads its inbox (replies, alarms) over POP3 with STLS.

use std::time::Duration;

use shared::phone::{Charset, MAX_RAW_SHOWN, PhoneMessage};

use crate::mail::AddressMap;
use crate::mail::message as mail;
use crate::mail::text::{self as mailtext, TextMail};
pub use crate::mailclient::ClientError;
use crate::mailclient::pop3::{self, Pop3Session, Security};
use crate::mailclient::smtp::{self, Outgoing, SmtpTarget};
use crate::mailclient::{Routes, Trust};

/// The phone's account on the sandbox ISP (its user name; the address is `user@sandbox.test`).
pub const USER: &str = "operator";
/// The ISP host the phone is set up with.
const HOST: &str = "mail.sandbox.test";
/// How many of the newest messages the inbox shows.
pub const INBOX_SHOWN: usize = 20;

/// The phone. Cheap to clone.
#[derive(Clone)]
pub struct Phone {
    routes: Routes,
    trust: Trust,
    address: String,
    password: String,
    timeout: Duration,
}

impl Phone {
    /// A phone on the sandbox ISP at `isp`, logging in as [`USER`] with `password`.
    pub fn new(isp: AddressMap, password: String, timeout: Duration) -> Result<Self, ClientError> {
        let from = isp.clients().phone.into();
        Ok(Phone {
            trust: Trust::new(None, Some(isp.ca_pem()))?,
            routes: Routes::new(Some(isp)).from_address(from),
            address: format!("{USER}@{}", shared::settings::SANDBOX_DOMAIN),
            password,
            timeout,
        })
    }

    /// Sends a mail to `to`; returns the server's reply.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        charset: Charset,
    ) -> Result<String, ClientError> {
        let recipients = vec![to.trim().to_string()];
        let message = mailtext::compose(&TextMail {
            from: &self.address,
            to: &recipients,
            subject,
            body,
            charset,
            extra_headers: &[],
        })?;
        let target = SmtpTarget {
            route: self.routes.route(HOST, 587)?,
            security: shared::settings::Security::Starttls,
            require_starttls: true,
            credentials: Some((USER.to_string(), self.password.clone())),
            hello_name: "phone.sandbox.test".into(),
            timeout: self.timeout,
        };
        let mail = Outgoing {
            from: &self.address,
            to: &recipients,
            message: &message,
        };
        smtp::send(&self.routes, &self.trust, &target, mail, None).await
    }

    /// The newest messages, newest first; nothing is deleted.
    pub async fn inbox(&self) -> Result<Vec<PhoneMessage>, ClientError> {
        let options = pop3::Options {
            connect_timeout: self.timeout,
            reply_timeout: self.timeout,
            ..pop3::Options::default()
        };
        let route = self.routes.route(HOST, 110)?;
        let mut session = Pop3Session::connect(
            &self.routes,
            &self.trust,
            &route,
            Security::StlsIfOffered,
            options,
            None,
        )
        .await?;
        session.login(USER, &self.password).await?;
        let uids = session.uidl().await?;
        let mut messages = Vec::new();
        for (number, uid) in uids.into_iter().rev().take(INBOX_SHOWN) {
            let raw = session.retr(number).await?;
            messages.push(shown(uid, &raw));
        }
        session.quit().await?;
        Ok(messages)
    }
}

fn shown(uid: String, raw: &[u8]) -> PhoneMessage {
    let parsed = mail_parser::MessageParser::default().parse(raw);
    let header = |name: &str| {
        parsed
            .as_ref()
            .and_then(|m| m.header_raw(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let from = parsed
        .as_ref()
        .and_then(|m| m.from())
        .and_then(|a| a.first())
        .map(|a| match (a.name(), a.address()) {
            (Some(name), Some(addr)) => format!("{name} <{addr}>"),
            (_, Some(addr)) => addr.to_string(),
            _ => String::new(),
        })
        .unwrap_or_default();
    let received = mail::parse(raw);
    let cut = raw.len().min(MAX_RAW_SHOWN);
    PhoneMessage {
        uid,
        from,
        subject: received
            .as_ref()
            .map(|m| m.subject.clone())
            .unwrap_or_default(),
        date: header("Date"),
        text: received
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default(),
        charset: received.and_then(|m| m.charset),
        raw: String::from_utf8_lossy(&raw[..cut]).into_owned(),
    }
}
