//! The back end's real binary as a child process on its own data directory, every port picked
//! by the system: for tests that kill it, signal it as a service manager does, or leave its
//! log unread.

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;

use tokio::time::timeout;

use super::{Client, WAIT};

/// A running back end process. Dropping it kills it, so a failing test leaves none behind.
pub struct Instance {
    child: Option<Child>,
    /// The page's address as the binary printed it.
    pub url: String,
    /// Reads the log as it comes until the process ends (the tests read what it said).
    log: Option<JoinHandle<String>>,
    /// The log nobody reads ([`Instance::start_leaving_log_unread`]), its pipe kept open.
    unread_log: Option<Lines<BufReader<ChildStdout>>>,
}

/// How a process ended.
pub struct Exit {
    pub status: ExitStatus,
    /// What it logged after printing its address.
    pub log: String,
}

impl Instance {
    /// Starts `program` (the back end's binary, which only the back end's own tests can name)
    /// on `data`, with `args` besides the listening address and the ports.
    pub fn start(program: &str, data: &Path, args: &[&str]) -> Instance {
        let (mut instance, lines) = Self::spawn(Self::command(program, data, args));
        instance.log = Some(std::thread::spawn(move || {
            lines.map_while(Result::ok).collect::<Vec<_>>().join("\n")
        }));
        instance
    }

    /// As [`Instance::start`], logging at `level` (`RUST_LOG`), and nobody reads the log after
    /// the address: its pipe fills up, as under a supervisor that stopped reading.
    pub fn start_leaving_log_unread(program: &str, data: &Path, level: &str) -> Instance {
        let mut command = Self::command(program, data, &[]);
        command.env("RUST_LOG", level);
        let (mut instance, lines) = Self::spawn(command);
        instance.unread_log = Some(lines);
        instance
    }

    fn command(program: &str, data: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(program);
        command
            .args(["--listen", "127.0.0.1:0", "--static-dir", "/nonexistent"])
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for service in ["smtp", "submission", "smtps", "pop3", "pop3s"] {
            command.arg(format!("--sandbox-{service}-port")).arg("0");
        }
        command
    }

    /// Runs `command` until it prints its address; the log's lines after it.
    fn spawn(mut command: Command) -> (Instance, Lines<BufReader<ChildStdout>>) {
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("the back end printed its URL").unwrap();
            if let Some(url) = line.split("simulator: ").nth(1) {
                break url.trim().to_string();
            }
        };
        let instance = Instance {
            child: Some(child),
            url,
            log: None,
            unread_log: None,
        };
        (instance, lines)
    }

    pub async fn client(&self) -> Client {
        let ws = self.url.replace("http://", "ws://") + "ws";
        Client::connect(ws).await.expect("the back end's socket")
    }

    /// Pulls the plug: SIGKILL, no chance to finish anything.
    pub fn kill(mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Asks the process to stop as a service manager does (SIGTERM) and waits for its exit;
    /// fails after [`WAIT`].
    pub async fn terminate(self) -> Exit {
        self.stop_by("TERM").await
    }

    /// Stops the process as Ctrl-C in its terminal does (SIGINT); see [`Instance::terminate`].
    pub async fn interrupt(self) -> Exit {
        self.stop_by("INT").await
    }

    async fn stop_by(mut self, signal_name: &str) -> Exit {
        let mut child = self.child.take().expect("still running");
        let pid = child.id().to_string();
        let signal = |name: &str| {
            Command::new("kill")
                .args([&format!("-{name}"), &pid])
                .status()
                .unwrap()
        };
        assert!(signal(signal_name).success(), "kill -{signal_name} failed");
        let log = self.log.take().expect("the log is read once");
        let exit = tokio::task::spawn_blocking(move || {
            let status = child.wait().unwrap();
            Exit {
                status,
                log: log.join().unwrap(),
            }
        });
        match timeout(WAIT, exit).await {
            Ok(joined) => joined.unwrap(),
            Err(_) => {
                signal("KILL");
                panic!("the back end did not exit within {WAIT:?} of SIG{signal_name}")
            }
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
