//! An exercise file (TOML) as an instructor may write it: every input is a checked exercise or
//! an error with a reason (and a line within the text), never a panic; an exercise that loads
//! can be started and judged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::training::file::parse;
use shared::training::{Happening, Progress};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text, &|id| id.eq_ignore_ascii_case("PUMP1")) {
        Ok(exercise) => {
            assert!(!exercise.checks.is_empty());
            let mut progress = Progress::start(&exercise, 0);
            progress.observe(&exercise.checks, &Happening::Restarted, 1);
        }
        Err(error) => {
            assert!(!error.message.is_empty());
            let lines = text.lines().count().max(1) + 1;
            assert!(error.line.is_none_or(|line| (1..=lines).contains(&line)));
        }
    }
});
