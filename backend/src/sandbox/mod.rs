//! The sandbox mail provider: a simulated ISP (`sandbox.test`) with real SMTP and POP3 servers on
//! loopback, so the whole workflow runs offline and real mail clients can use it too.

pub mod accounts;
pub mod cross_protocol;
pub mod listener;
pub mod lockout;
pub mod mailstore;
pub mod poll_guard;
pub mod pop3;
pub mod pop_before_smtp;
pub mod provider;
pub mod servers;
pub mod smtp;
pub mod tls;

pub use accounts::{Account, Accounts};
pub use mailstore::{MailStore, MailboxLock, MessageInfo, StoreError};
pub use pop_before_smtp::PopBeforeSmtp;
pub use provider::SandboxProvider;
pub use servers::{Listen, SandboxServers};
