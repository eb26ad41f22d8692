//! The real back end on a free port, spoken to over `/ws` with tokio-tungstenite as a browser
//! would: state arrives, bad frames are answered and survived, foreign origins are refused.

mod common;

use common::{Backend, Client, WAIT, curl};
use futures_util::{SinkExt, StreamExt};
use shared::protocol::{BackendStatus, ErrorCode, PROTOCOL_VERSION};
use shared::{Lang, ServerMsg};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// A browser on the page's own origin.
async fn browser(server: &Backend) -> Client {
    server
        .connect(Some(&server.origin()), None)
        .await
        .expect("the page's own origin is welcome")
}

/// Reads until a status that satisfies `wanted` arrives.
async fn wait_for_status(client: &mut Client, wanted: impl Fn(&BackendStatus) -> bool) {
    client
        .wait_for("the status wanted", |m| match m {
            ServerMsg::Status(status) if wanted(&status) => Some(()),
            _ => None,
        })
        .await;
}

/// The next line from a mail server.
async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut tokio::io::Lines<R>) -> String {
    timeout(WAIT, lines.next_line())
        .await
        .expect("no reply in time")
        .unwrap()
        .expect("connection closed")
}

#[tokio::test]
async fn a_client_receives_the_welcome_and_live_status() {
    let server = Backend::start(|_| {}).await;
    let mut socket = browser(&server).await;

    let ServerMsg::Welcome {
        protocol,
        server: info,
    } = socket.next_msg().await
    else {
        panic!("the first message must be the welcome")
    };
    assert_eq!(protocol, PROTOCOL_VERSION);
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    let ServerMsg::Session(view) = socket.next_msg().await else {
        panic!("the session must follow the welcome")
    };
    // Without a class, the page is everyone's and the ISP panel is its own.
    assert!(view.joined.is_none() && !view.read_only && view.isp_panel);
    let ServerMsg::Status(first) = socket.next_msg().await else {
        panic!("a status must follow the session")
    };
    assert_eq!(first.clients, 1);

    // Uptime is live: a later status shows it grown.
    wait_for_status(&mut socket, |s| s.uptime_secs > first.uptime_secs).await;

    // A second browser is counted, and uncounted when it leaves.
    let mut second = browser(&server).await;
    wait_for_status(&mut socket, |s| s.clients == 2).await;
    second.socket.close(None).await.unwrap();
    wait_for_status(&mut socket, |s| s.clients == 1).await;
    server.stop().await;
}

#[tokio::test]
async fn malformed_frames_get_an_error_and_the_connection_lives_on() {
    let server = Backend::start(|_| {}).await;
    let mut socket = browser(&server).await;
    assert!(matches!(socket.next_msg().await, ServerMsg::Welcome { .. }));
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
        socket.socket.send(frame).await.unwrap();
        match socket.next_answer().await {
            ServerMsg::Error(err) => {
                assert_eq!(err.code, code);
                assert!(!err.message.is_empty());
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }
    // Still alive: a ping is answered on the same connection.
    socket
        .socket
        .send(Message::text(r#"{"type":"ping","nonce":77}"#))
        .await
        .unwrap();
    assert_eq!(socket.next_answer().await, ServerMsg::Pong { nonce: 77 });

    // An oversized frame ends that connection only; the server keeps serving others.
    let huge = "x".repeat(shared::protocol::MAX_CLIENT_FRAME_BYTES + 1);
    let _ = socket.socket.send(Message::text(huge)).await;
    let closed = timeout(WAIT, async {
        loop {
            match socket.socket.next().await {
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
    let mut again = browser(&server).await;
    assert!(matches!(again.next_msg().await, ServerMsg::Welcome { .. }));
    server.stop().await;
}

#[tokio::test]
async fn foreign_origins_are_refused() {
    let server = Backend::start(|_| {}).await;
    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        match server.connect(Some(origin), None).await {
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
    let server = Backend::start(|c| c.token = Some(token.into())).await;
    let origin = server.origin();
    match server.connect(Some(&origin), None).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), StatusCode::UNAUTHORIZED),
        other => panic!("expected HTTP 401, got {:?}", other.map(|_| ())),
    }
    let mut socket = server
        .connect(Some(&origin), Some(token))
        .await
        .expect("the token lets the socket in");
    assert!(matches!(socket.next_msg().await, ServerMsg::Welcome { .. }));
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let server = Backend::start(|_| {}).await;
    let mut socket = browser(&server).await;
    socket.next_msg().await;
    server.stop().await;
    let close = timeout(WAIT, async {
        loop {
            match socket.socket.next().await {
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

    let server = Backend::start(|_| {}).await;
    let mut socket = browser(&server).await;
    let info = socket.sandbox().await;
    assert_eq!(info.domain, "sandbox.test");
    assert_eq!(info.endpoints.len(), 5);
    assert!(info.ca_pem.contains("BEGIN CERTIFICATE"));
    assert!(info.accounts.contains(&"karacrix@sandbox.test".to_string()));
    assert_eq!(info.policy.op25b, Op25b::Timeout);

    // A trainer switches OP25B off: every browser hears of it, and it is kept.
    let mut watcher = browser(&server).await;
    let mut policy = info.policy.clone();
    policy.op25b = Op25b::Off;
    let set = shared::ClientMsg::SetSandboxPolicy {
        policy: policy.clone(),
    };
    socket.send(set).await;
    let seen = watcher
        .wait_for("the switched policy", |m| match m {
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
    watcher
        .wait_for("the dialogue up to QUIT", |m| match m {
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
    let server = Backend::start_on(server.stop_keeping_data().await, |_| {}).await;
    let mut socket = browser(&server).await;
    let again = socket.sandbox().await.policy;
    assert_eq!(again, policy);
    server.stop().await;
}

#[tokio::test]
async fn refused_requests_are_explained_in_japanese_and_english() {
    use shared::points::Value;

    let server = Backend::start(|_| {}).await;
    let mut socket = browser(&server).await;
    let info = socket.sandbox().await;
    let refused = |m| match m {
        ServerMsg::Error(e) if e.code == ErrorCode::InvalidRequest => Some(e),
        _ => None,
    };

    let mut policy = info.policy;
    policy.pop_before_smtp_minutes = 0;
    let set = shared::ClientMsg::SetSandboxPolicy { policy };
    socket.send(set).await;
    let error = socket.wait_for("the refusal", refused).await;
    assert!(
        error.text(Lang::En).contains("1 to 1440 minutes, not 0"),
        "{error:?}"
    );
    assert!(error.text(Lang::Ja).contains("1〜1440 分"), "{error:?}");

    let operate = shared::ClientMsg::OperatePoint {
        id: "NOSUCH1".into(),
        value: Value::Digital(true),
    };
    socket.send(operate).await;
    let error = socket.wait_for("the refusal", refused).await;
    assert!(error.text(Lang::En).contains("NOSUCH1"), "{error:?}");
    assert!(
        error
            .text(Lang::Ja)
            .contains("ポイント「NOSUCH1」はありません"),
        "{error:?}"
    );
    assert_ne!(error.text(Lang::Ja), error.text(Lang::En));
}

/// Sends one raw HTTP/1.1 request on a new connection; returns the response's status line
/// (empty if the server closed without answering).
async fn status_line(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // A server over its cap may have closed already; the answer then is "".
    let _ = stream.write_all(request.as_bytes()).await;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    timeout(WAIT, reader.read_line(&mut line))
        .await
        .expect("no answer in time")
        .unwrap_or_default();
    line.trim_end().to_string()
}

fn upgrade_request(host: &str, origin: &str) -> String {
    format!(
        "GET /ws HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
}

fn get_request(host: &str, path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
}

#[tokio::test]
async fn a_rebound_name_is_refused_before_any_upgrade() {
    let server = Backend::start(|c| c.allowed_hosts = vec!["plant.example".into()]).await;
    let port = server.addr.port();
    // The attacker's page at rebind.example, whose name now points at 127.0.0.1: its Origin
    // matches its Host, so only the Host check can tell.
    let forged = format!("rebind.example:{port}");
    let answer = status_line(
        server.addr,
        &upgrade_request(&forged, &format!("http://{forged}")),
    )
    .await;
    assert_eq!(answer, "HTTP/1.1 403 Forbidden");
    assert_eq!(
        status_line(server.addr, &get_request(&forged, "/")).await,
        "HTTP/1.1 403 Forbidden"
    );
    let no_host = status_line(server.addr, "GET /healthz HTTP/1.0\r\n\r\n").await;
    assert!(
        no_host.ends_with(" 403 Forbidden"),
        "no Host at all: {no_host}"
    );
    // This server's own names.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("plant.example:{port}"),
    ] {
        assert_eq!(
            status_line(server.addr, &get_request(&host, "/healthz")).await,
            "HTTP/1.1 200 OK",
            "{host}"
        );
        assert_eq!(
            status_line(
                server.addr,
                &upgrade_request(&host, &format!("http://{host}"))
            )
            .await,
            "HTTP/1.1 101 Switching Protocols",
            "{host}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn open_pages_are_capped() {
    let server = Backend::start(|c| c.web_limits.max_sockets = 2).await;
    let mut first = browser(&server).await;
    let _second = browser(&server).await;
    match server.connect(Some(&server.origin()), None).await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE)
        }
        other => panic!("expected HTTP 503, got {:?}", other.map(|_| ())),
    }
    // A closed page frees its place.
    first.socket.close(None).await.unwrap();
    while first.socket.next().await.is_some() {}
    let mut third = timeout(WAIT, async {
        loop {
            if let Ok(client) = server.connect(Some(&server.origin()), None).await {
                return client;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the freed place was never given out");
    assert!(matches!(third.next_msg().await, ServerMsg::Welcome { .. }));
    server.stop().await;
}

/// Reads until the server closes the connection; fails if it answers or stays open.
async fn closed_without_answer(stream: &mut TcpStream) {
    let mut buf = [0u8; 64];
    let n = timeout(WAIT, stream.read(&mut buf))
        .await
        .expect("the server kept the connection open")
        .unwrap_or(0);
    assert_eq!(n, 0, "expected a close, got {:?}", &buf[..n]);
}

#[tokio::test]
async fn silent_connections_are_capped_and_closed() {
    // A long first-byte timeout, so a close within WAIT can only come from the cap.
    let server = Backend::start(|c| {
        c.web_limits.max_silent = 2;
        c.web_limits.first_byte_timeout = Duration::from_secs(600);
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..2 {
        silent.push(TcpStream::connect(server.addr).await.unwrap());
    }
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    closed_without_answer(&mut third).await;
    // Once a connection speaks it is no longer silent, and its place is free again.
    let host = format!("127.0.0.1:{}", server.addr.port());
    silent[0]
        .write_all(get_request(&host, "/healthz").as_bytes())
        .await
        .unwrap();
    let mut answer = String::new();
    BufReader::new(&mut silent[0])
        .read_line(&mut answer)
        .await
        .unwrap();
    assert_eq!(answer.trim_end(), "HTTP/1.1 200 OK");
    assert_eq!(
        status_line(server.addr, &get_request(&host, "/healthz")).await,
        "HTTP/1.1 200 OK"
    );
    server.stop().await;

    // And a connection that never speaks is closed after the first-byte timeout.
    let server =
        Backend::start(|c| c.web_limits.first_byte_timeout = Duration::from_millis(200)).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    closed_without_answer(&mut idle).await;
    server.stop().await;
}

#[tokio::test]
async fn open_connections_are_capped() {
    let server = Backend::start(|c| c.web_limits.max_connections = 2).await;
    let host = format!("127.0.0.1:{}", server.addr.port());
    let keep_alive = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(keep_alive.as_bytes()).await.unwrap();
        let mut answer = String::new();
        BufReader::new(&mut stream)
            .read_line(&mut answer)
            .await
            .unwrap();
        assert_eq!(answer.trim_end(), "HTTP/1.1 200 OK");
        open.push(stream);
    }
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    closed_without_answer(&mut third).await;
    drop(open);
    let answer = timeout(WAIT, async {
        loop {
            let line = status_line(server.addr, &get_request(&host, "/healthz")).await;
            if !line.is_empty() {
                return line;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the places were never freed");
    assert_eq!(answer, "HTTP/1.1 200 OK");
    server.stop().await;
}

#[tokio::test]
async fn receive_now_is_limited_per_page() {
    let server = Backend::start(|_| {}).await;
    let mut page = browser(&server).await;
    assert!(matches!(page.next_msg().await, ServerMsg::Welcome { .. }));
    for _ in 0..4 {
        page.send(shared::ClientMsg::ReceiveNow).await;
    }
    let ServerMsg::Error(refused) = page.next_answer().await else {
        panic!("the fourth receive-now must be refused")
    };
    assert_eq!(refused.code, ErrorCode::RateLimited);
    assert!(
        refused.text(Lang::Ja).contains("秒後にもう一度"),
        "{refused:?}"
    );
    assert!(
        refused.text(Lang::En).contains("try again in"),
        "{refused:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn beyond_loopback_the_ui_is_served_over_https_only() {
    let data = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut config = backend::Config::local(
        listener.local_addr().unwrap(),
        data.path().join("data"),
        data.path().join("no-front-end"),
    );
    config.token = Some("0123456789abcdef-token".into());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(backend::serve(listener, config, async {
        let _ = stopped.await;
    }));
    // The certificate is self-signed (generated at this first start), so curl is told not to
    // check it; what matters here is that the server speaks TLS and nothing else.
    let https = curl(&["-k", &format!("https://127.0.0.1:{port}/healthz")]).await;
    assert_eq!(
        (https.code, https.stdout.as_str()),
        (0, "ok"),
        "{}",
        https.stderr
    );
    let plain = curl(&[&format!("http://127.0.0.1:{port}/healthz")]).await;
    assert_ne!(
        plain.code, 0,
        "plain HTTP must not be served: {}",
        plain.stdout
    );
    stop.send(()).unwrap();
    timeout(WAIT, task).await.unwrap().unwrap().unwrap();
}

/// The version of the settings a client was greeted with.
async fn settings_version(client: &mut Client) -> u64 {
    client
        .wait_for("the settings", |m| match m {
            ServerMsg::Settings(view) => Some(view.version),
            _ => None,
        })
        .await
}

#[tokio::test]
async fn a_save_on_settings_another_page_changed_is_refused() {
    use shared::ClientMsg;
    use shared::settings::{MailSettings, PasswordChange};

    let server = Backend::start(|_| {}).await;
    let mut page_a = browser(&server).await;
    let mut page_b = browser(&server).await;
    let loaded = settings_version(&mut page_a).await;
    assert_eq!(settings_version(&mut page_b).await, loaded);

    let mut from_b = MailSettings::sandbox_demo();
    from_b.pop_server = "pop.b.test".into();
    page_b
        .send(ClientMsg::SaveSettings {
            settings: from_b,
            password: PasswordChange::Keep,
            based_on: loaded,
        })
        .await;
    assert_eq!(
        page_b.next_answer().await,
        ServerMsg::SettingsSaved {
            version: loaded + 1
        }
    );

    // Page A hears of B's save as every page does, never as its own.
    let view = page_a
        .wait_for("B's settings", |m| match m {
            ServerMsg::Settings(view) => Some(*view),
            ServerMsg::SettingsSaved { .. } => panic!("B's save acknowledged to A"),
            _ => None,
        })
        .await;
    assert_eq!(view.version, loaded + 1);

    let mut from_a = MailSettings::sandbox_demo();
    from_a.smtp_server = "smtp.a.test".into();
    page_a
        .send(ClientMsg::SaveSettings {
            settings: from_a.clone(),
            password: PasswordChange::Keep,
            based_on: loaded,
        })
        .await;
    let ServerMsg::Error(refused) = page_a.next_answer().await else {
        panic!("a save on old settings must be refused")
    };
    assert_eq!(refused.code, ErrorCode::Conflict);
    assert!(
        refused
            .text(Lang::Ja)
            .contains("他の画面で設定が変更されています")
    );
    assert!(refused.text(Lang::En).contains("changed elsewhere"));
    // Nothing was stored: a new page sees B's settings at B's version.
    let mut page_c = browser(&server).await;
    let stored = page_c
        .wait_for("the stored settings", |m| match m {
            ServerMsg::Settings(view) => Some(*view),
            _ => None,
        })
        .await;
    assert_eq!(stored.version, loaded + 1);
    assert_eq!(stored.pending.pop_server, "pop.b.test");
    assert_eq!(
        stored.pending.smtp_server,
        MailSettings::sandbox_demo().smtp_server
    );

    // Reloaded, A's save goes through.
    page_a
        .send(ClientMsg::SaveSettings {
            settings: from_a,
            password: PasswordChange::Keep,
            based_on: view.version,
        })
        .await;
    assert_eq!(
        page_a.next_answer().await,
        ServerMsg::SettingsSaved {
            version: loaded + 2
        }
    );
    server.stop().await;
}
