//! The real back end on a free port, spoken to over `/ws` with tokio-tungstenite as a browser
//! would: state arrives, bad frames are answered and survived, foreign origins are refused.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use shared::protocol::{BackendStatus, ErrorCode, PROTOCOL_VERSION};
use shared::{Lang, ServerMsg};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(10);

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _data: tempfile::TempDir,
}

impl Server {
    async fn start(token: Option<&str>) -> Server {
        Server::start_on(tempfile::tempdir().unwrap(), token).await
    }

    /// A server on the data of an earlier one.
    async fn start_on(data: tempfile::TempDir, token: Option<&str>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = backend::Config::local(
            addr,
            data.path().join("data"),
            data.path().join("no-front-end"),
        );
        config.token = token.map(String::from);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(backend::serve(listener, config, async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            stop: Some(stop),
            task,
            _data: data,
        }
    }

    fn url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    async fn connect_with_origin(&self, origin: &str) -> Result<Socket, WsError> {
        let mut request = self.url().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).unwrap());
        timeout(WAIT, connect_async(request))
            .await
            .expect("handshake timed out")
            .map(|(s, _)| s)
    }

    async fn stop(self) {
        self.stop_keeping_data().await;
    }

    /// Stops the server and hands back its data directory.
    async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        self.stop.take().unwrap().send(()).unwrap();
        timeout(WAIT, self.task)
            .await
            .expect("server did not stop")
            .unwrap()
            .unwrap();
        self._data
    }
}

async fn next_msg(socket: &mut Socket) -> ServerMsg {
    loop {
        let frame = timeout(WAIT, socket.next())
            .await
            .expect("no message in time")
            .expect("socket closed")
            .expect("socket failed");
        if let Message::Text(text) = frame {
            return ServerMsg::decode(&text).expect("server sent bad JSON");
        }
    }
}

/// Reads until a status that satisfies `wanted` arrives (each read has its own timeout).
async fn wait_for_status(socket: &mut Socket, wanted: impl Fn(&BackendStatus) -> bool) {
    loop {
        if let ServerMsg::Status(status) = next_msg(socket).await
            && wanted(&status)
        {
            return;
        }
    }
}

/// The next message that answers a request, skipping pushed state.
async fn next_answer(socket: &mut Socket) -> ServerMsg {
    loop {
        let msg = next_msg(socket).await;
        if !msg.is_push() {
            return msg;
        }
    }
}

/// The next line from a mail server.
async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut tokio::io::Lines<R>) -> String {
    timeout(WAIT, lines.next_line())
        .await
        .expect("no reply in time")
        .unwrap()
        .expect("connection closed")
}

/// Reads until a pushed message satisfies `pick`, returning what it picked.
async fn wait_for<T>(socket: &mut Socket, mut pick: impl FnMut(ServerMsg) -> Option<T>) -> T {
    loop {
        if let Some(found) = pick(next_msg(socket).await) {
            return found;
        }
    }
}

#[tokio::test]
async fn a_client_receives_the_welcome_and_live_status() {
    let server = Server::start(None).await;
    let origin = format!("http://{}", server.addr);
    let mut socket = server.connect_with_origin(&origin).await.unwrap();

    let ServerMsg::Welcome {
        protocol,
        server: info,
    } = next_msg(&mut socket).await
    else {
        panic!("the first message must be the welcome")
    };
    assert_eq!(protocol, PROTOCOL_VERSION);
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    let ServerMsg::Status(first) = next_msg(&mut socket).await else {
        panic!("a status must follow the welcome")
    };
    assert_eq!(first.clients, 1);

    // Uptime is live: a later status shows it grown.
    wait_for_status(&mut socket, |s| s.uptime_secs > first.uptime_secs).await;

    // A second browser is counted, and uncounted when it leaves.
    let mut second = server.connect_with_origin(&origin).await.unwrap();
    wait_for_status(&mut socket, |s| s.clients == 2).await;
    second.close(None).await.unwrap();
    wait_for_status(&mut socket, |s| s.clients == 1).await;
    server.stop().await;
}

#[tokio::test]
async fn malformed_frames_get_an_error_and_the_connection_lives_on() {
    let server = Server::start(None).await;
    let mut socket = server
        .connect_with_origin(&format!("http://{}", server.addr))
        .await
        .unwrap();
    assert!(matches!(
        next_msg(&mut socket).await,
        ServerMsg::Welcome { .. }
    ));
    let bad: [Message; 4] = [
        Message::text("this is not json"),
        Message::text(r#"{"type":"self_destruct"}"#),
        Message::text(r#"{"type":"hello","protocol":999}"#),
        Message::binary(vec![0u8, 159, 146, 150]),
    ];
    let expected = [
        ErrorCode::MalformedMessage,
        ErrorCode::MalformedMessage,
        ErrorCode::UnsupportedProtocol,
        ErrorCode::BinaryFrame,
    ];
    for (frame, code) in bad.into_iter().zip(expected) {
        socket.send(frame).await.unwrap();
        match next_answer(&mut socket).await {
            ServerMsg::Error(err) => {
                assert_eq!(err.code, code);
                assert!(!err.message.is_empty());
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }
    // Still alive: a ping is answered on the same connection.
    socket
        .send(Message::text(r#"{"type":"ping","nonce":77}"#))
        .await
        .unwrap();
    assert_eq!(
        next_answer(&mut socket).await,
        ServerMsg::Pong { nonce: 77 }
    );

    // An oversized frame ends that connection only; the server keeps serving others.
    let huge = "x".repeat(shared::protocol::MAX_CLIENT_FRAME_BYTES + 1);
    let _ = socket.send(Message::text(huge)).await;
    let closed = timeout(WAIT, async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "an oversized frame must close the connection"
    );
    let mut again = server
        .connect_with_origin(&format!("http://{}", server.addr))
        .await
        .unwrap();
    assert!(matches!(
        next_msg(&mut again).await,
        ServerMsg::Welcome { .. }
    ));
    server.stop().await;
}

#[tokio::test]
async fn foreign_origins_are_refused() {
    let server = Server::start(None).await;
    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        match server.connect_with_origin(origin).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), StatusCode::FORBIDDEN),
            Err(other) => panic!("{origin}: expected HTTP 403, got {other}"),
            Ok(_) => panic!("{origin}: a foreign origin must not connect"),
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn a_token_guards_the_socket_when_set() {
    let token = "0123456789abcdef-secret";
    let server = Server::start(Some(token)).await;
    let origin = format!("http://{}", server.addr);
    match server.connect_with_origin(&origin).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), StatusCode::UNAUTHORIZED),
        other => panic!("expected HTTP 401, got {:?}", other.map(|_| ())),
    }
    let mut request = format!("{}?token={token}", server.url())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Origin", HeaderValue::from_str(&origin).unwrap());
    let (mut socket, _) = timeout(WAIT, connect_async(request))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        next_msg(&mut socket).await,
        ServerMsg::Welcome { .. }
    ));
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let server = Server::start(None).await;
    let mut socket = server
        .connect_with_origin(&format!("http://{}", server.addr))
        .await
        .unwrap();
    next_msg(&mut socket).await;
    server.stop().await;
    let close = timeout(WAIT, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("no close frame in time");
    assert_eq!(
        u16::from(close.expect("a close frame with a code").code),
        1001
    );
}

#[tokio::test]
async fn the_sandbox_is_described_switched_and_its_dialogue_streamed_masked() {
    use shared::sandbox::{MailService, Op25b};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let server = Server::start(None).await;
    let origin = format!("http://{}", server.addr);
    let mut socket = server.connect_with_origin(&origin).await.unwrap();
    let info = wait_for(&mut socket, |m| match m {
        ServerMsg::Sandbox(info) => Some(info),
        _ => None,
    })
    .await;
    assert_eq!(info.domain, "sandbox.test");
    assert_eq!(info.endpoints.len(), 5);
    assert!(info.ca_pem.contains("BEGIN CERTIFICATE"));
    assert!(info.accounts.contains(&"karacrix@sandbox.test".to_string()));
    assert_eq!(info.policy.op25b, Op25b::Timeout);

    // A trainer switches OP25B off: every browser hears of it, and it is kept.
    let mut watcher = server.connect_with_origin(&origin).await.unwrap();
    let mut policy = info.policy.clone();
    policy.op25b = Op25b::Off;
    let set = shared::ClientMsg::SetSandboxPolicy {
        policy: policy.clone(),
    };
    socket.send(Message::text(set.encode())).await.unwrap();
    let seen = wait_for(&mut watcher, |m| match m {
        ServerMsg::Sandbox(info) if info.policy.op25b == Op25b::Off => Some(info.policy),
        _ => None,
    })
    .await;
    assert_eq!(seen, policy);

    // A real POP3 login on the sandbox shows up in the dialogue, password masked.
    let pop3 = info
        .endpoints
        .iter()
        .find(|e| e.service == MailService::Pop3)
        .unwrap();
    let stream = TcpStream::connect((pop3.address.as_str(), pop3.port))
        .await
        .unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    assert!(next_line(&mut lines).await.starts_with("+OK"));
    for command in ["USER karacrix", "PASS karacrix-pass", "QUIT"] {
        write
            .write_all(format!("{command}\r\n").as_bytes())
            .await
            .unwrap();
        let reply = next_line(&mut lines).await;
        assert!(reply.starts_with("+OK"), "{command}: {reply}");
    }

    let mut dialogue = Vec::new();
    wait_for(&mut watcher, |m| match m {
        ServerMsg::Dialogue(line) => {
            let done = line.text.starts_with("QUIT");
            dialogue.push(line.text);
            done.then_some(())
        }
        _ => None,
    })
    .await;
    assert!(
        dialogue.iter().any(|l| l == "USER karacrix"),
        "{dialogue:?}"
    );
    assert!(
        dialogue
            .iter()
            .any(|l| l.starts_with("PASS") && l.contains("****")),
        "{dialogue:?}"
    );
    assert!(
        !dialogue.iter().any(|l| l.contains("karacrix-pass")),
        "{dialogue:?}"
    );
    drop(socket);
    drop(watcher);

    // The switched policy survives a restart of the back end on the same data.
    let server = Server::start_on(server.stop_keeping_data().await, None).await;
    let mut socket = server
        .connect_with_origin(&format!("http://{}", server.addr))
        .await
        .unwrap();
    let again = wait_for(&mut socket, |m| match m {
        ServerMsg::Sandbox(info) => Some(info.policy),
        _ => None,
    })
    .await;
    assert_eq!(again, policy);
    server.stop().await;
}

#[tokio::test]
async fn refused_requests_are_explained_in_japanese_and_english() {
    use shared::points::Value;

    let server = Server::start(None).await;
    let origin = format!("http://{}", server.addr);
    let mut socket = server.connect_with_origin(&origin).await.unwrap();
    let info = wait_for(&mut socket, |m| match m {
        ServerMsg::Sandbox(info) => Some(info),
        _ => None,
    })
    .await;
    let refused = |m| match m {
        ServerMsg::Error(e) if e.code == ErrorCode::InvalidRequest => Some(e),
        _ => None,
    };

    let mut policy = info.policy;
    policy.pop_before_smtp_minutes = 0;
    let set = shared::ClientMsg::SetSandboxPolicy { policy };
    socket.send(Message::text(set.encode())).await.unwrap();
    let error = wait_for(&mut socket, refused).await;
    assert!(
        error.text(Lang::En).contains("1 to 1440 minutes, not 0"),
        "{error:?}"
    );
    assert!(error.text(Lang::Ja).contains("1〜1440 分"), "{error:?}");

    let operate = shared::ClientMsg::OperatePoint {
        id: "NOSUCH1".into(),
        value: Value::Digital(true),
    };
    socket.send(Message::text(operate.encode())).await.unwrap();
    let error = wait_for(&mut socket, refused).await;
    assert!(error.text(Lang::En).contains("NOSUCH1"), "{error:?}");
    assert!(
        error.text(Lang::Ja).contains("点「NOSUCH1」はありません"),
        "{error:?}"
    );
    assert_ne!(error.text(Lang::Ja), error.text(Lang::En));
}
