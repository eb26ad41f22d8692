//! The real back end in this process on a free port with its own data directory, and a
//! browser-like WebSocket client that waits for the state the back end pushes.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use shared::engine::EngineState;
use shared::sandbox::SandboxInfo;
use shared::settings::{MailSettings, PasswordChange};
use shared::status::MailStatus;
use shared::transcript::{Direction, Party};
use shared::{ClientMsg, ServerMsg};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use super::WAIT;

/// A WebSocket connection to `/ws`.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

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
        Backend::start_on(tempfile::tempdir().unwrap(), tweak).await
    }

    /// Starts at demo speed (a minute of interval per second) with short mail timeouts: what
    /// the engine tests against the sandbox use.
    pub async fn fast() -> Backend {
        Backend::start(|c| {
            c.time_scale = 60;
            c.mail_timeout_secs = 2;
        })
        .await
    }

    /// Starts on the data directory of an earlier back end (see [`Backend::stop_keeping_data`]).
    pub async fn start_on(
        data: tempfile::TempDir,
        tweak: impl FnOnce(&mut backend::Config),
    ) -> Backend {
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

    /// The page's own origin, which the back end accepts.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client as a script would connect: no `Origin` header, no token.
    pub async fn client(&self) -> Client {
        self.connect(None, None).await.expect("handshake failed")
    }

    /// A client with the `Origin` header a browser sends and, when given, the access token.
    pub async fn connect(
        &self,
        origin: Option<&str>,
        token: Option<&str>,
    ) -> Result<Client, WsError> {
        let query = token.map(|t| format!("?token={t}")).unwrap_or_default();
        let mut request = format!("ws://{}/ws{query}", self.addr)
            .into_client_request()
            .unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("Origin", HeaderValue::from_str(origin).unwrap());
        }
        Client::connect(request).await
    }

    pub async fn stop(self) {
        self.stop_keeping_data().await;
    }

    /// Stops the back end and hands back its data directory.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        self.stop.take().unwrap().send(()).unwrap();
        timeout(WAIT, self.task)
            .await
            .expect("back end did not stop")
            .unwrap()
            .unwrap();
        self.data
    }
}

/// A WebSocket client of `/ws`.
pub struct Client {
    /// The connection itself, for what a test does on the frame level.
    pub socket: Socket,
    /// The version of the last settings received, which a save is based on.
    pub settings_version: Option<u64>,
}

impl Client {
    /// Connects to a back end (in this process or not) at `request`.
    pub async fn connect(request: impl IntoClientRequest + Unpin) -> Result<Client, WsError> {
        timeout(WAIT, connect_async(request))
            .await
            .expect("handshake timed out")
            .map(|(socket, _)| Client {
                socket,
                settings_version: None,
            })
    }

    /// A client on a socket the test opened itself (e.g. from another source address).
    pub fn from_socket(socket: Socket) -> Client {
        Client {
            socket,
            settings_version: None,
        }
    }

    pub async fn send(&mut self, msg: ClientMsg) {
        self.socket.send(Message::text(msg.encode())).await.unwrap();
    }

    /// The next message; fails after [`WAIT`] or when the socket closes.
    pub async fn next_msg(&mut self) -> ServerMsg {
        loop {
            let frame = timeout(WAIT, self.socket.next())
                .await
                .expect("no message in time")
                .expect("socket closed")
                .expect("socket failed");
            if let Message::Text(text) = frame {
                let msg = ServerMsg::decode(&text).expect("the back end sent bad JSON");
                if let ServerMsg::Settings(view) = &msg {
                    self.settings_version = Some(view.version);
                }
                return msg;
            }
        }
    }

    /// The next message that answers a request, skipping pushed state.
    pub async fn next_answer(&mut self) -> ServerMsg {
        loop {
            let msg = self.next_msg().await;
            if !msg.is_push() {
                return msg;
            }
        }
    }

    /// Reads messages until `pick` returns something; fails after [`WAIT`].
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(ServerMsg) -> Option<T>,
    ) -> T {
        let found = timeout(WAIT, async {
            loop {
                if let Some(found) = pick(self.next_msg().await) {
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

    /// Waits for an engine state that satisfies `wanted`.
    pub async fn engine_until(
        &mut self,
        what: &str,
        wanted: impl Fn(&EngineState) -> bool,
    ) -> EngineState {
        self.wait_for(what, |m| match m {
            ServerMsg::Engine(state) if wanted(&state) => Some(*state),
            _ => None,
        })
        .await
    }

    /// Presses 今すぐ受信 and waits until the receive cycle after `done` cycles has ended with
    /// the outbox empty; returns that state and the engine's notices (English) on the way.
    pub async fn receive_cycle(&mut self, done: u64) -> (EngineState, Vec<String>) {
        self.send(ClientMsg::ReceiveNow).await;
        let mut notices = Vec::new();
        let state = self
            .wait_for("a receive cycle done, outbox empty", |m| match m {
                ServerMsg::Dialogue(line)
                    if line.party == Party::Engine && line.direction == Direction::Note =>
                {
                    notices.push(line.text);
                    None
                }
                ServerMsg::Engine(state)
                    if cycles(&state) == Some(done + 1) && state.outbox == 0 =>
                {
                    Some(*state)
                }
                _ => None,
            })
            .await;
        (state, notices)
    }

    /// Saves `settings` as 登録 does, then presses RST and waits until they run.
    pub async fn save_and_restart(&mut self, settings: MailSettings, password: PasswordChange) {
        let password_set = !matches!(password, PasswordChange::Keep);
        let based_on = match self.settings_version {
            Some(version) => version,
            None => {
                self.wait_for("the settings", |m| match m {
                    ServerMsg::Settings(view) => Some(view.version),
                    _ => None,
                })
                .await
            }
        };
        self.send(ClientMsg::SaveSettings {
            settings: settings.clone(),
            password,
            based_on,
        })
        .await;
        let saved = |pending: &MailSettings| {
            MailSettings {
                password_set: pending.password_set,
                ..settings.clone()
            } == *pending
                && (pending.password_set || !password_set)
        };
        self.wait_for("the saved settings", |m| match m {
            ServerMsg::Settings(view) if saved(&view.pending) => Some(()),
            ServerMsg::SettingsRejected { errors } => panic!("settings rejected: {errors:?}"),
            _ => None,
        })
        .await;
        self.send(ClientMsg::Restart).await;
        self.wait_for("the applied settings", |m| match m {
            ServerMsg::Settings(view) if !view.restart_needed() && saved(&view.pending) => Some(()),
            _ => None,
        })
        .await;
    }
}

/// The receive cycles an engine state has counted, while it runs.
pub fn cycles(state: &EngineState) -> Option<u64> {
    match state.status {
        MailStatus::Run { cycles } => Some(cycles),
        _ => None,
    }
}
