//! Two classroom back ends (classes A and B) behind a real nginx that routes by class code, as
//! the README's "Beyond one machine" sets it up: a join and the WebSocket land on the back end of
//! the class, the session cookies route later requests without the query, a foreign Origin or
//! Host is refused through the proxy, and the instructor sees where a trainee connects from —
//! the proxy, unless the back end trusts it, and never what the client wrote in
//! `X-Forwarded-For`.
//!
//! The client connects to nginx from 127.0.0.9, so its own address differs from the proxy's
//! (127.0.0.1); `curl` plays the browser's `fetch`, tokio-tungstenite its WebSocket.

mod common;

use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use common::classroom::Instructor;
use common::http::{self, Reply};
use common::nginx::{self, Nginx};
use common::{Backend, Client, WAIT};
use shared::classroom::{ClassMsg, JoinRequest, SessionInfo};
use shared::{ClientMsg, ServerMsg};
use tokio::net::TcpSocket;
use tokio::time::timeout;
use tokio_tungstenite::client_async;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Request};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const KEY: &str = "instructor-key-0123456789";
/// The name the proxy's clients use for the site.
const SITE: &str = "class.test";
/// The test client's own address, distinct from the proxy's 127.0.0.1.
const CLIENT: &str = "127.0.0.9";
/// What the client claims to be in `X-Forwarded-For`.
const FORGED: &str = "203.0.113.9";

/// A back end serving `class`, started from the same flags as the binary.
async fn class_backend(class: &str, trust_proxy: bool) -> Backend {
    let mut args = vec![
        "karacrix-mail",
        "--class",
        class,
        "--instructor-token",
        KEY,
        "--allow-host",
        SITE,
    ];
    if trust_proxy {
        args.extend(["--trusted-proxy", "127.0.0.1"]);
    }
    let flags = backend::Config::try_parse_from(args).expect("the flags parse");
    Backend::start(|config| {
        config.classroom = flags.classroom;
        config.allowed_hosts = flags.allowed_hosts;
    })
    .await
}

/// Class A (the proxy not trusted) and class B (trusted) behind nginx.
struct Site {
    _a: Backend,
    _b: Backend,
    nginx: Nginx,
}

impl Site {
    async fn start() -> Option<Site> {
        if !nginx::available("the classroom proxy test") {
            return None;
        }
        let a = class_backend("A", false).await;
        let b = class_backend("B", true).await;
        let nginx = Nginx::start(&[("A", a.addr.port()), ("B", b.addr.port())]);
        Some(Site {
            _a: a,
            _b: b,
            nginx,
        })
    }

    /// The site's origin as a browser on it sends it.
    fn origin(&self) -> String {
        format!("http://{SITE}:{}", self.nginx.port)
    }

    /// A request from the client's address to the proxy for `path`, with `Host` the site's.
    async fn http(&self, path: &str, headers: &[(&str, &str)], json: Option<&str>) -> Reply {
        let port = self.nginx.port;
        let resolve = format!("{SITE}:{port}:127.0.0.1");
        let url = format!("http://{SITE}:{port}{path}");
        let headers: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let mut args = vec!["--interface", CLIENT, "--resolve", &resolve];
        for header in &headers {
            args.extend(["-H", header]);
        }
        if let Some(body) = json {
            args.extend(["-H", "Content-Type: application/json", "--data", body]);
        }
        args.push(&url);
        http::request(&args).await
    }

    /// Joins `class` as `name` with the site's Host and Origin (and a forged forwarded-for).
    async fn join(&self, class: &str, name: &str) -> Reply {
        let body = serde_json::to_string(&JoinRequest {
            class: class.into(),
            name: name.into(),
        })
        .unwrap();
        let origin = self.origin();
        let headers = [("Origin", origin.as_str()), ("X-Forwarded-For", FORGED)];
        self.http(&format!("/api/join?class={class}"), &headers, Some(&body))
            .await
    }

    /// A WebSocket to `path` through the proxy, from the client's address, as the page on the
    /// site opens it (with `cookies`, if any).
    async fn socket(&self, path: &str, origin: &str, cookies: &str) -> Result<Client, WsError> {
        let mut request = format!("ws://{SITE}:{}{path}", self.nginx.port)
            .into_client_request()
            .unwrap();
        let headers = request.headers_mut();
        headers.insert("Origin", HeaderValue::from_str(origin).unwrap());
        headers.insert("X-Forwarded-For", HeaderValue::from_static(FORGED));
        if !cookies.is_empty() {
            headers.insert("Cookie", HeaderValue::from_str(cookies).unwrap());
        }
        let socket = from_client_address(self.nginx.port, request).await?;
        Ok(Client::from_socket(socket))
    }

    /// The instructor's socket of the back end serving `class`.
    async fn instructor(&self, class: &str) -> Instructor {
        let path = format!("/ws/instructor?class={class}&key={KEY}");
        let client = self
            .socket(&path, &self.origin(), "")
            .await
            .expect("the instructor's socket through the proxy");
        Instructor::new(client.socket)
    }
}

/// Opens a WebSocket to nginx on `port` from [`CLIENT`].
async fn from_client_address(
    port: u16,
    request: Request<()>,
) -> Result<WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>, WsError> {
    let tcp = TcpSocket::new_v4().unwrap();
    tcp.bind(SocketAddr::new(CLIENT.parse().unwrap(), 0))
        .unwrap();
    let stream = tcp
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .unwrap();
    let (socket, _) = timeout(WAIT, client_async(request, MaybeTlsStream::Plain(stream)))
        .await
        .expect("handshake timed out")?;
    Ok(socket)
}

/// The page's start on a trainee socket: the welcome's instance and the session's class.
async fn greeting(client: &mut Client) -> (String, String) {
    let ServerMsg::Welcome { server, .. } = client.next_msg().await else {
        panic!("the welcome comes first")
    };
    let ServerMsg::Session(view) = client.next_msg().await else {
        panic!("the session view follows the welcome")
    };
    assert!(!view.read_only && !view.isp_panel, "{view:?}");
    let joined = view.joined.expect("a trainee's session names its class");
    (server.instance, joined.class)
}

#[tokio::test]
async fn a_join_and_its_socket_land_on_the_back_end_of_the_class() {
    let Some(site) = Site::start().await else {
        return;
    };
    let mut instances = Vec::new();
    for (class, name) in [("A", "山田"), ("B", "佐藤")] {
        let joined = site.join(class, name).await;
        assert_eq!(joined.status, 200, "{joined:?}\n{}", site.nginx.log());
        let session = joined.set_cookie("kx_session");
        assert!(session.contains("HttpOnly"), "{session}");
        assert!(session.contains("SameSite=Strict"), "{session}");
        assert!(session.contains("Path=/"), "{session}");
        assert!(!session.contains("Secure"), "plain HTTP: {session}");
        assert_eq!(
            joined.set_cookie("kx_class"),
            format!("kx_class={class}; SameSite=Strict; Path=/")
        );
        let info: SessionInfo = serde_json::from_str(&joined.body).expect("SessionInfo");
        let SessionInfo::Class {
            joined: Some(place),
        } = info
        else {
            panic!("a join answers with the trainee's place: {info:?}")
        };
        assert_eq!((place.class.as_str(), place.name.as_str()), (class, name));

        // No query now: only the cookie routes the socket to the class's back end.
        let mut page = site
            .socket("/ws", &site.origin(), &joined.cookies())
            .await
            .expect("the upgrade through the proxy");
        let (instance, session_class) = greeting(&mut page).await;
        assert_eq!(session_class, class);
        instances.push(instance);
        page.send(ClientMsg::Ping { nonce: 7 }).await;
        page.wait_for("the pong", |m| {
            matches!(m, ServerMsg::Pong { nonce: 7 }).then_some(())
        })
        .await;
        page.socket.close(None).await.unwrap();
    }
    assert_ne!(instances[0], instances[1]);
}

#[tokio::test]
async fn foreign_origins_and_hosts_are_refused_through_the_proxy() {
    let Some(site) = Site::start().await else {
        return;
    };
    let body = r#"{"class":"A","name":"Mallory"}"#;
    let foreign = site
        .http(
            "/api/join?class=A",
            &[("Origin", "http://evil.example")],
            Some(body),
        )
        .await;
    assert_eq!(foreign.status, 403, "{foreign:?}");
    assert!(foreign.set_cookies.is_empty(), "{foreign:?}");
    let notice: shared::transcript::Notice =
        serde_json::from_str(&foreign.body).expect("a refusal in both languages");
    assert!(!notice.ja.is_empty() && !notice.en.is_empty());

    let rebound = site
        .http(
            "/api/join?class=A",
            &[
                ("Host", "rebind.example"),
                ("Origin", "http://rebind.example"),
            ],
            Some(body),
        )
        .await;
    assert_eq!(rebound.status, 403, "{rebound:?}");
    assert!(rebound.set_cookies.is_empty(), "{rebound:?}");
    let notice: shared::transcript::Notice =
        serde_json::from_str(&rebound.body).expect("a refusal in both languages");
    assert!(notice.en.contains("rebind.example"), "{notice:?}");

    // A member's cookies do not help a foreign page or name.
    let joined = site.join("A", "山田").await;
    assert_eq!(joined.status, 200, "{joined:?}");
    let refused = site
        .socket("/ws", "http://evil.example", &joined.cookies())
        .await;
    assert!(
        matches!(&refused, Err(WsError::Http(r)) if r.status() == 403),
        "{:?}",
        refused.map(|_| ())
    );
    let mut request = format!("ws://{}:{}/ws", "127.0.0.1", site.nginx.port)
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("Host", HeaderValue::from_static("rebind.example"));
    headers.insert("Cookie", HeaderValue::from_str(&joined.cookies()).unwrap());
    let refused = from_client_address(site.nginx.port, request).await;
    assert!(
        matches!(&refused, Err(WsError::Http(r)) if r.status() == 403),
        "{:?}",
        refused.map(|_| ())
    );
    // Without a session: refused, in both languages.
    let stranger = site.socket("/ws?class=A", &site.origin(), "").await;
    let Err(WsError::Http(response)) = stranger else {
        panic!("a socket without a session must be refused")
    };
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn the_instructor_sees_the_proxy_unless_it_is_trusted_and_never_the_forged_address() {
    let Some(site) = Site::start().await else {
        return;
    };
    for (class, trusted) in [("A", false), ("B", true)] {
        let mut instructor = site.instructor(class).await;
        let ClassMsg::Welcome { classes, .. } = instructor.next().await else {
            panic!("the instructor's welcome comes first")
        };
        assert_eq!(classes, [class]);
        let name = format!("trainee-{class}");
        let joined = site.join(class, &name).await;
        assert_eq!(joined.status, 200, "{joined:?}");
        let mut page = site
            .socket("/ws", &site.origin(), &joined.cookies())
            .await
            .expect("the trainee's socket");
        greeting(&mut page).await;
        let row = instructor.trainee_on_page(&name).await;
        let from: IpAddr = row.from.parse().expect("an address");
        let expected: IpAddr = if trusted { CLIENT } else { "127.0.0.1" }.parse().unwrap();
        assert_eq!(from, expected, "class {class}: {row:?}");
        assert_ne!(row.from, FORGED);
    }
}
