//! What every mail party shares and that owns no policy: the dialogue log and its one masking
//! rule, the bounded line framing every party reads with, the POP3 wire pieces both POP3 sides
//! read, the text-mail composer with its Japanese encodings, one clock with the RFC 5322 date,
//! and the plain address map a client is routed by.
//! The engine, the phone, the mail clients and the sandbox ISP all build on this; it builds on
//! nothing of theirs.

pub mod addresses;
pub mod clock;
pub mod line;
pub mod message;
pub mod pop3;
pub mod text;
pub mod transcript;

pub use addresses::AddressMap;
pub use transcript::{Dialogue, SecretMasker, Transcript, mask_secrets};
