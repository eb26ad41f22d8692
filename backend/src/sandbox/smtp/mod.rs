//! The sandbox ISP's SMTP server: accepts mail for `@sandbox.test` mailboxes from any SMTP client
//! (the engine, curl, Python, a mail program) and stores it in the [`MailStore`]; it never relays
//! mail off the machine.
//!
//! Contract:
//! - [`serve`] runs one listener (`smtp`, `submission` or `smtps`) with its [`SmtpContext`]; the
//!   caller binds the socket, owns the task and aborts it to stop. Policies and faults are data
//!   ([`SmtpPolicy`], [`SmtpFaults`]) read from a `watch` channel at each new connection.
//! - A `250 … queued as` reply means the message is durable in every recipient's mailbox.
//! - The dialogue goes to the [`Dialogue`] with AUTH payloads masked and the message text
//!   summarised, never shown.
//! - What a client must do before sending (nothing, PopBeforeSmtp, AUTH LOGIN/PLAIN), STARTTLS
//!   (off, offered, required) and the size limit come from the listener's [`SmtpPolicy`].
//!
//! Three layers: [`protocol`] (command lines, message text, the reply catalogue; pure),
//! [`session`] (the state machine; pure, returns actions), [`connection`] (the tokio loop).
//!
//! Parsing: command lines are parsed by the `smtp-proto` crate. It handles every command and
//! ESMTP parameter the sandbox needs (EHLO/HELO, AUTH with mechanism and initial response, MAIL
//! FROM with SIZE and BODY, RCPT TO, STARTTLS, VRFY) and leaves state and I/O to us. The
//! alternative, `mailin`, is a whole server state machine that calls back into a handler: it
//! would own the very decisions the sandbox exists to vary (per-listener requirements, the
//! PopBeforeSmtp check at RCPT, STARTTLS-required gating, injected faults at each stage) and it
//! has no SIZE limit. The line framing, the bounded DATA reader and the replies are ours because
//! `smtp-proto`'s receivers allow 4096-octet lines and keep message text without a limit.
//!
//! [`MailStore`]: crate::sandbox::MailStore
//! [`Dialogue`]: crate::mail::Dialogue

pub mod connection;
pub mod protocol;
pub mod session;

pub use connection::{
    DEFAULT_HOSTNAME, DEFAULT_IDLE_TIMEOUT, Misconfigured, Op25b, Op25bClients, SmtpContext,
    SmtpFaults, SmtpSettings, busy_reply, serve, serve_connection,
};
pub use session::{
    BadFaultCode, DEFAULT_MAX_SIZE, ReplyFault, Requirement, SmtpPolicy, Stage, StartTls,
};
