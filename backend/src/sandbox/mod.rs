//! The sandbox mail provider: a simulated ISP (`sandbox.test`) with real SMTP and POP3 servers on
//! loopback, so the whole workflow runs offline and real mail clients can use it too.

pub mod accounts;
pub mod mailstore;

pub use accounts::{Account, Accounts};
pub use mailstore::{MailStore, MailboxLock, MessageInfo, StoreError};
