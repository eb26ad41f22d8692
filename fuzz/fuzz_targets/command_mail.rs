//! A whole received mail, as the engine reads it: mail-parser (every Japanese charset) into the
//! command layer's view, the command language parser against the default plant, and the reply's
//! headers built from the mail.
#![no_main]

use std::sync::OnceLock;

use backend::engine::executor::reply;
use backend::mail::message as mail;
use backend::plant::Plant;
use libfuzzer_sys::fuzz_target;
use shared::command::parse_mail;
use shared::settings::MailSettings;

fn settings() -> &'static MailSettings {
    static SETTINGS: OnceLock<MailSettings> = OnceLock::new();
    SETTINGS.get_or_init(MailSettings::sandbox_demo)
}

fn plant() -> &'static Plant {
    static PLANT: OnceLock<Plant> = OnceLock::new();
    PLANT.get_or_init(Plant::default_plant)
}

fuzz_target!(|data: &[u8]| {
    let Some(received) = mail::parse(data) else {
        return;
    };
    assert!(received.text.len() <= mail::MAX_TEXT);
    let commands = parse_mail(&received.subject, &received.text, plant());
    let _ = commands.runnable().count();
    for lang in [shared::Lang::Ja, shared::Lang::En] {
        let _ = mail::reply_subject(&received.subject, lang);
    }
    let settings = settings();
    let Some(reply) = reply(&received, settings, "OK") else {
        return;
    };
    assert!(reply.message.ends_with(b"\r\n"));
    // However hostile the mail, no line of the reply's header is over RFC 5322's 998 octets.
    let head = reply
        .message
        .split(|&b| b == b'\n')
        .take_while(|l| *l != b"\r");
    for line in head {
        assert!(line.len() <= 999, "{} octets", line.len());
    }
});
