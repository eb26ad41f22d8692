//! The sandbox ISP's POP3 server (RFC 1939, with CAPA and response codes from RFC 2449/3206 and
//! STLS from RFC 2595), on loopback for the engine and for real mail clients.
//!
//! Contract:
//! - [`serve`] accepts on a listener until [`Pop3Context::shutdown`] is cancelled; each
//!   connection gets one transcript in the [`Dialogue`](super::Dialogue), with secrets masked.
//! - Logins: USER/PASS and APOP against [`Accounts`](super::Accounts); one session per mailbox
//!   (`-ERR [IN-USE]`); a client address or an account that fails too often is locked out for
//!   a while (`-ERR [AUTH]`, [`Lockout`], shared with SMTP AUTH); every successful login is
//!   recorded for PopBeforeSmtp.
//! - Messages are only removed when a client QUITs from TRANSACTION, all at once; a dropped or
//!   timed-out connection leaves the mailbox as it was.
//! - Every input is bounded: 512-octet command lines (longer ones are refused and skipped),
//!   40-octet arguments, a read buffer of fixed size, an idle timeout.
//! - Faults ([`Pop3Faults`]) are read when a connection is accepted; switching them affects
//!   later connections only.
//!
//! Layers: `protocol` (pure wire format), `session` (pure state machine whose replies carry the
//! side effects), `connection` (the tokio loop).

mod connection;
pub mod protocol;
pub mod session;

pub use crate::sandbox::lockout::{Lockout, LockoutPolicy};
pub use connection::{
    DEFAULT_IDLE_TIMEOUT, FaultStage, FaultSwitch, Pop3Context, Pop3Faults, busy_reply,
    handle_connection, serve,
};
