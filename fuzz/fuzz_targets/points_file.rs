//! The plant's points file (TOML) as a user may write it: every input is a plant or an error
//! naming the problem, never a panic; a plant that loads answers command lookups.
#![no_main]

use backend::plant::Plant;
use libfuzzer_sys::fuzz_target;
use shared::command::parse_mail;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Plant::from_toml(text) {
        Ok(plant) => {
            let _ = parse_mail("GET ALL", "LIST", &plant);
        }
        Err(error) => {
            assert!(!error.to_string().is_empty());
        }
    }
});
