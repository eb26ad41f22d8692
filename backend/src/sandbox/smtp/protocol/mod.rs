//! The SMTP wire format, without state or I/O: command lines in, replies out, one idea a module.
//!
//! - Command lines are framed by the shared [`crate::mail::line::LineBuffer`], bounded by
//!   [`MAX_COMMAND_LINE`] octets (RFC 5321 4.5.3.1.4); longer lines are discarded and reported.
//! - [`command`]: one line to a [`Command`].
//! - [`data`]: the message text after DATA, unstuffed and bounded.
//! - [`reply`]: [`Reply`] and the catalogue of every reply the server sends.
//! - [`trace`]: the `Received:` field.

pub mod command;
pub mod data;
pub mod reply;
pub mod trace;

pub use command::*;
pub use data::*;
pub use reply::*;
pub use trace::*;
