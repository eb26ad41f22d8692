//! The sandbox SMTP server's session fed arbitrary octets in arbitrary chunks, under each listener
//! policy: it must never panic, always make progress, and never deliver over the size limit.
#![no_main]

use backend::sandbox::lockout::Lockout;
use backend::sandbox::smtp::session::{Action, Clock, Session, SessionConfig};
use backend::sandbox::smtp::{Requirement, SmtpPolicy, StartTls};
use backend::sandbox::{Accounts, PopBeforeSmtp};
use libfuzzer_sys::fuzz_target;

const MAX_SIZE: usize = 4096;

fn config(selector: u8) -> SessionConfig {
    let requirement = match selector % 3 {
        0 => Requirement::Nothing,
        1 => Requirement::Auth,
        _ => Requirement::PopBeforeSmtp {
            window: std::time::Duration::from_secs(600),
        },
    };
    let starttls = match (selector / 3) % 3 {
        0 => StartTls::Off,
        1 => StartTls::Offered,
        _ => StartTls::Required,
    };
    SessionConfig {
        hostname: "mail.sandbox.test".into(),
        policy: SmtpPolicy {
            requirement,
            starttls,
            max_size: MAX_SIZE,
        },
        fault: None,
        peer: "127.0.0.2".parse().unwrap(),
        implicit_tls: selector & 0x80 != 0,
        tls_available: true,
        session_id: 1,
        accounts: Accounts::training(),
        pop_before_smtp: PopBeforeSmtp::default(),
        lockout: Lockout::default(),
    }
}

fuzz_target!(|data: &[u8]| {
    let [selector, chunk, script @ ..] = data else {
        return;
    };
    let chunk = usize::from(*chunk).max(1);
    let mut session = Session::new(config(*selector));
    let clock = Clock::now();
    session.greeting();
    'feed: for piece in script.chunks(chunk) {
        let mut rest = piece;
        while !rest.is_empty() {
            let step = session.handle(rest, clock);
            assert!(step.consumed > 0, "no progress on {} octets", rest.len());
            assert!(step.consumed <= rest.len());
            rest = &rest[step.consumed..];
            match step.action {
                Action::Deliver(delivery) => {
                    // The limit is on the text; the trace field added is a few hundred octets.
                    assert!(delivery.message.len() <= MAX_SIZE + 1024);
                    assert!(!delivery.mailboxes.is_empty());
                }
                Action::Close => break 'feed,
                Action::StartTls | Action::None => {}
            }
        }
    }
});
