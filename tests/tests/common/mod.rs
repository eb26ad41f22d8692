//! The one test harness of the project, shared by every integration test (and, through a
//! `#[path]` module, by the back end's crash test and engine benchmark):
//! - [`server`]: the real back end in-process on a free port, and a WebSocket client that waits
//!   for pushed state;
//! - [`sandbox`]: one sandbox mail server (SMTP or POP3) or the whole sandbox ISP, built for a test
//!   on free ports with its own data directory;
//! - [`process`]: outside programs as independent clients (Python's mail libraries, curl);
//! - [`binary`]: the back end's real binary as a child process, to kill or to signal.
//! - [`phone`]: the phone and its mailbox, played by Python.
//! - [`classroom`]: the instructor's page of a class;
//! - [`http`]: HTTP requests as a page's `fetch` makes them (curl), with the cookies set;
//! - [`nginx`]: a real nginx in front of several back ends, routing by class code.
//!
//! Every wait is bounded by [`WAIT`] and waits for an event or a condition, never for time.

#![allow(dead_code, unreachable_pub, unused_imports)]

pub mod binary;
pub mod classroom;
pub mod http;
pub mod nginx;
pub mod phone;
pub mod process;
pub mod sandbox;
pub mod server;

use std::path::Path;
use std::time::Duration;

use shared::sandbox::SandboxInfo;

pub use phone::{Mail, phone_sends, read_mailbox, submission_settings};
pub use process::{Env, Ran, SMTP_LOGIN_CODE, curl, python, python_args, run, sandbox_python};
pub use sandbox::{Isp, Sandbox};
pub use server::{Backend, Client, cycles};

/// How long any single wait may take before the test fails. Generous: a failing test pays it,
/// a passing one never does, and the machine may be busy with builds.
pub const WAIT: Duration = Duration::from_secs(30);

/// A port that was free a moment ago, for programs that must be told their port before they
/// start (Dovecot, Postfix, the back end's binary); everything in-process binds port 0 instead.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `PORT_SMTP`, `PORT_SUBMISSION`, … and `CA_FILE` (written into `dir`) for scripts that talk to
/// the sandbox a back end describes.
pub fn sandbox_env(info: &SandboxInfo, dir: &Path) -> Env {
    let ca = dir.join("sandbox-ca.pem");
    std::fs::write(&ca, &info.ca_pem).unwrap();
    let mut env: Env = info
        .endpoints
        .iter()
        .map(|e| {
            (
                format!("PORT_{}", e.service.name().to_uppercase()),
                e.port.to_string(),
            )
        })
        .collect();
    env.insert("CA_FILE".into(), ca.display().to_string());
    env
}
