//! TLS pieces every server and client of the back end shares: a stream that may or may not be
//! TLS yet (STARTTLS/STLS upgrade it in place), and turning PEM files into a server.

pub mod pem;
pub mod stream;
