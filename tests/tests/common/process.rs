//! Outside programs as test clients: each runs to its end within [`WAIT`] with stdin closed, and
//! is killed if the test gives up on it. Python and curl are the independent implementations the
//! tests hold the back end's protocols against.

use std::collections::HashMap;
use std::process::Stdio;

use tokio::time::timeout;

use super::WAIT;

/// Environment variables for a program.
pub type Env = HashMap<String, String>;

/// How a program ended and what it printed.
#[derive(Debug)]
pub struct Ran {
    /// The exit code; -1 when a signal ended it.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The program's stdout, failing the test unless it succeeded.
    pub fn success(self) -> String {
        assert!(
            self.code == 0,
            "the program failed with {}:\nstdout: {}\nstderr: {}",
            self.code,
            self.stdout,
            self.stderr
        );
        self.stdout
    }
}

/// Runs `program` with `args` and `env` to its end.
pub async fn run(program: &str, args: &[&str], env: &Env) -> Ran {
    let output = timeout(
        WAIT,
        tokio::process::Command::new(program)
            .args(args)
            .envs(env)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{program} did not finish"))
    .unwrap_or_else(|e| panic!("{program} is needed for these tests: {e}"));
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs a Python script with `env`; returns its stdout, failing the test if it fails.
pub async fn python(script: &str, env: &Env) -> String {
    python_args(script, &[], env).await
}

/// Runs a Python script with `args` in `sys.argv[1:]`.
pub async fn python_args(script: &str, args: &[&str], env: &Env) -> String {
    run("python3", &[&["-c", script], args].concat(), env)
        .await
        .success()
}

/// Python helpers for scripts that play the phone or a mail program against the sandbox ISP,
/// with `CA_FILE`, `PORT_SUBMISSION` and `PORT_POP3` from [`super::sandbox_env`]:
/// `submission(user)` is logged in after STARTTLS, `pop3(user)` after STLS, both with the
/// training password unless another is given.
pub const SANDBOX_CLIENTS: &str = r#"
import os, poplib, smtplib, ssl
TLS = ssl.create_default_context(cafile=os.environ["CA_FILE"])
def submission(user):
    s = smtplib.SMTP("127.0.0.1", int(os.environ["PORT_SUBMISSION"]), timeout=10)
    s.starttls(context=TLS)
    s.login(user, user + "-pass")
    return s
def pop3(user, password=None):
    p = poplib.POP3("127.0.0.1", int(os.environ["PORT_POP3"]), timeout=10)
    p.stls(context=TLS)
    p.user(user)
    p.pass_(password or user + "-pass")
    return p
"#;

/// A Python helper for scripts that log in to an SMTP server: `login_code(s, user, password)` tries
/// AUTH on the smtplib connection `s` and gives "235", or the code it was refused with.
pub const SMTP_LOGIN_CODE: &str = r#"
import smtplib
def login_code(s, user, password):
    try:
        s.login(user, password)
        return "235"
    except smtplib.SMTPAuthenticationError as e:
        return str(e.smtp_code)
"#;

/// Runs a Python script after [`SANDBOX_CLIENTS`]; returns its stdout.
pub async fn sandbox_python(script: &str, env: &Env) -> String {
    python(&format!("{SANDBOX_CLIENTS}\n{script}"), env).await
}

/// Runs curl quietly (errors still on stderr), bounded by its own time limit too.
pub async fn curl(args: &[&str]) -> Ran {
    run(
        "curl",
        &[&["-sS", "--max-time", "15"], args].concat(),
        &Env::new(),
    )
    .await
}
