//! The `/ws` decoder: every text frame a page may send is a client message or an explained
//! error, and a decoded message encodes back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::ClientMsg;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ClientMsg::decode(text) {
        Ok(msg) => assert_eq!(ClientMsg::decode(&msg.encode()), Ok(msg)),
        Err(error) => assert!(!error.message.is_empty()),
    }
});
