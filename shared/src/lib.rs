//! Pure types and logic used by both sides of the simulator: the WebSocket protocol, the settings
//! and their validation, the status catalogue with its Japanese and English help, the command
//! language, points, the phone, sandbox policies, the connection test's report, the dialogue
//! log's lines and the display language. Nothing here performs I/O, so it builds for native and
//! `wasm32` alike.
#![warn(missing_docs)]

pub mod classroom;
pub mod command;
pub mod conntest;
pub mod engine;
pub mod lang;
pub mod phone;
pub mod points;
pub mod protocol;
pub mod sandbox;
pub mod secret;
pub mod settings;
pub mod status;
pub mod text;
pub mod training;
pub mod transcript;

pub use lang::Lang;
pub use protocol::{ClientMsg, ServerMsg};
