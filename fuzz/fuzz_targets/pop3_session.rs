//! The sandbox POP3 server's session fed arbitrary octets in arbitrary chunks, with its side
//! effects performed as the connection does (logins decided by the real lock-out and accounts,
//! a small mailbox): it must never panic, and only QUIT in TRANSACTION may delete.
#![no_main]

use std::time::Instant;

use backend::sandbox::Accounts;
use backend::sandbox::lockout::Lockout;
use backend::sandbox::mailstore::MessageInfo;
use backend::mail::line::{LineBuffer, LineEvent};
use backend::sandbox::pop3::protocol;
use backend::sandbox::pop3::session::{LoginOutcome, Reply, Session, TlsState, authorize};
use libfuzzer_sys::fuzz_target;

const TS: &str = "<1.2@sandbox.test>";

fn listing() -> Vec<MessageInfo> {
    ["u1", "u2", "u3"]
        .iter()
        .enumerate()
        .map(|(i, uid)| MessageInfo {
            uid: uid.to_string(),
            size: 100 * (i as u64 + 1),
        })
        .collect()
}

/// Performs what a reply asks for; false once the session is over.
fn perform(session: &mut Session, reply: Reply, lockout: &Lockout, accounts: &Accounts) -> bool {
    match reply {
        Reply::Send(_) | Reply::Lines(..) | Reply::Message { .. } => true,
        Reply::StartTls(_) => {
            session.tls_started();
            true
        }
        Reply::Authenticate(credentials) => {
            let ip = "127.0.0.2".parse().unwrap();
            let outcome = match authorize(accounts, lockout, ip, Instant::now(), &credentials, TS) {
                Ok(account) => LoginOutcome::Granted {
                    mailbox: account.address(),
                    listing: listing(),
                },
                Err(refusal) => LoginOutcome::Refused(refusal),
            };
            let reply = session.login_result(outcome);
            perform(session, reply, lockout, accounts)
        }
        Reply::Commit { uids, .. } => {
            assert!(uids.len() <= 3);
            let reply = session.update_result(Ok(uids.len()));
            perform(session, reply, lockout, accounts)
        }
        Reply::Close(_) => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let [chunk, script @ ..] = data else {
        return;
    };
    let chunk = usize::from(*chunk).max(1);
    let accounts = Accounts::training();
    let lockout = Lockout::default();
    let tls = TlsState {
        available: true,
        active: false,
    };
    let mut session = Session::new(TS.into(), tls);
    let mut lines = LineBuffer::new(protocol::MAX_LINE);
    let mut inputs = Vec::new();
    for piece in script.chunks(chunk) {
        lines.feed(piece, &mut inputs);
        for input in inputs.drain(..) {
            let reply = match input {
                LineEvent::TooLong => session.unparsable(protocol::ParseError::TooLong),
                LineEvent::Line(line) => match protocol::parse(&line) {
                    Ok(command) => session.handle(command),
                    Err(error) => session.unparsable(error),
                },
            };
            if !perform(&mut session, reply, &lockout, &accounts) {
                return;
            }
        }
    }
});
