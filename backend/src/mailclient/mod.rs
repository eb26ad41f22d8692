//! The engine's mail clients: POP3 (ours, on tokio + rustls) and SMTP (lettre), with the shared
//! pieces they need — where a host really is (sandbox host names map to the embedded ISP), which
//! certificates to trust, and how a failure maps onto the status catalogue's [`MailError`].
//!
//! [`MailError`]: shared::status::MailError

pub mod net;
pub mod pop3;
#[cfg(test)]
mod scripted;
pub mod smtp;

pub use net::{ClientError, Route, Routes, Trust};
