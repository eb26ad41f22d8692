//! Shared by the integration tests: the real back end in-process on free ports, a WebSocket
//! client that waits for pushed state, and Python's mail libraries as independent clients.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use shared::sandbox::SandboxInfo;
use shared::{ClientMsg, ServerMsg};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// How long any single wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// A back end running in this process on free ports, with its own data directory.
pub struct Backend {
    pub addr: SocketAddr,
    pub data: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Backend {
    /// Starts with the default configuration changed by `tweak`.
    pub async fn start(tweak: impl FnOnce(&mut backend::Config)) -> Backend {
        let data = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = backend::Config::local(
            addr,
            data.path().join("data"),
            data.path().join("no-front-end"),
        );
        tweak(&mut config);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(backend::serve(listener, config, async {
            let _ = stopped.await;
        }));
        Backend {
            addr,
            data,
            stop: Some(stop),
            task,
        }
    }

    /// A browser-like WebSocket client.
    pub async fn client(&self) -> Client {
        let (socket, _) = timeout(WAIT, connect_async(format!("ws://{}/ws", self.addr)))
            .await
            .expect("handshake timed out")
            .expect("handshake failed");
        Client { socket }
    }

    pub async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        timeout(WAIT, self.task)
            .await
            .expect("back end did not stop")
            .unwrap()
            .unwrap();
    }
}

pub struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub async fn send(&mut self, msg: ClientMsg) {
        self.socket.send(Message::text(msg.encode())).await.unwrap();
    }

    /// Reads pushed messages until `pick` returns something; fails after [`WAIT`].
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(ServerMsg) -> Option<T>,
    ) -> T {
        let found = timeout(WAIT, async {
            loop {
                let frame = self.socket.next().await.expect("socket closed").unwrap();
                if let Message::Text(text) = frame
                    && let Some(found) = pick(ServerMsg::decode(&text).unwrap())
                {
                    return found;
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("waited in vain for {what}"))
    }

    pub async fn sandbox(&mut self) -> SandboxInfo {
        self.wait_for("the sandbox info", |m| match m {
            ServerMsg::Sandbox(info) => Some(*info),
            _ => None,
        })
        .await
    }
}

/// Runs a Python script with `env`; returns its stdout, failing the test if it fails.
pub async fn python(script: &str, env: &HashMap<String, String>) -> String {
    let output = timeout(
        WAIT,
        tokio::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .envs(env)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("python did not finish")
    .expect("python3 is needed for these tests");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "python failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `PORT_SMTP`, `PORT_SUBMISSION`, … and `CA_FILE` for scripts that talk to the sandbox.
pub fn sandbox_env(info: &SandboxInfo, dir: &std::path::Path) -> HashMap<String, String> {
    let ca: PathBuf = dir.join("sandbox-ca.pem");
    std::fs::write(&ca, &info.ca_pem).unwrap();
    let mut env: HashMap<String, String> = info
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
