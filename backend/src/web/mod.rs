//! The web layer: the built front end as static files, `/ws`, and in class mode the join
//! (`/api/session`, `/api/join`) and the instructor's `/ws/instructor`, behind the `Host` check
//! (every request) and the connection caps of [`listener`].

mod access;
mod caller;
mod forwarded;
mod instructor;
mod join;
mod limits;
pub mod listener;
mod seat;
pub mod tls;
mod ws;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::classroom::Classroom;
use crate::config::Config;
use crate::simulation::Simulation;

pub use access::{AccessPolicy, HostPolicy, Refusal};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    simulation: Simulation,
    /// In class mode, every trainee's simulation (then `simulation` is an empty lobby).
    classroom: Option<Classroom>,
    access: Arc<AccessPolicy>,
    /// One permit per open `/ws` socket.
    sockets: Arc<Semaphore>,
    static_dir: PathBuf,
    /// Proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    trusted_proxies: Arc<[IpAddr]>,
    /// This server itself serves HTTPS.
    https: bool,
}

impl AppState {
    /// The state for `simulation` served with `config`'s access rules.
    pub fn new(simulation: Simulation, config: &Config) -> Self {
        AppState {
            simulation,
            classroom: None,
            access: Arc::new(AccessPolicy::new(
                config.token.clone(),
                config.allowed_origins.clone(),
                HostPolicy::new(config.listen.ip(), &config.allowed_hosts),
            )),
            sockets: Arc::new(Semaphore::new(config.web_limits.max_sockets)),
            static_dir: config.static_dir.clone(),
            trusted_proxies: config.classroom.trusted_proxies.clone().into(),
            https: config.https(),
        }
    }
}

impl AppState {
    /// The state for a classroom served with `config`'s access rules; `lobby` answers pages
    /// that have not joined.
    pub fn for_class(classroom: Classroom, lobby: Simulation, config: &Config) -> Self {
        AppState {
            classroom: Some(classroom),
            ..AppState::new(lobby, config)
        }
    }

    /// The classroom, in class mode.
    pub fn classroom(&self) -> Option<&Classroom> {
        self.classroom.as_ref()
    }

    /// The checks of everything that acts (sockets, the join): `Host`, `Origin` and the access
    /// token, from `?token=` or an `Authorization: Bearer` header.
    fn check(&self, headers: &HeaderMap, query_token: Option<&str>) -> Result<(), Refusal> {
        let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or("\u{FFFD}"));
        let bearer = text(header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "));
        self.access.check(
            text(header::ORIGIN),
            text(header::HOST),
            query_token.or(bearer),
        )
    }
}

/// The access token in a query, where a page puts it.
#[derive(Debug, Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The answer when every socket slot is taken.
const TOO_MANY_PAGES: &str = "開いている画面が多すぎます。ほかのタブを閉じてください。\n\
     Too many pages are open; close other tabs.";

/// The router: `/ws`, `/healthz` and the front end's files (with `index.html` for unknown paths),
/// each only for a `Host` that names this server.
pub fn app(state: AppState) -> Router {
    let index = state.static_dir.join("index.html");
    let router = Router::new()
        .route("/ws", get(ws::upgrade))
        .route("/ws/instructor", get(instructor::upgrade))
        .route("/api/session", get(join::session_info))
        .route(
            "/api/join",
            post(join::join).layer(DefaultBodyLimit::max(join::MAX_JOIN_BYTES)),
        )
        .route("/healthz", get(|| async { "ok" }));
    let router = if index.is_file() {
        router.fallback_service(files(&state.static_dir, &index))
    } else {
        tracing::warn!(dir = %state.static_dir.display(), "front end not built");
        router.fallback(not_built)
    };
    router
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            host_guard,
        ))
        .with_state(state)
}

/// Refuses, with 403, any request whose `Host` does not name this server (DNS rebinding).
async fn host_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or("\u{FFFD}"));
    if let Err(refusal) = state.access.check_host(host) {
        tracing::warn!(%refusal, "refused a request");
        // The page's own requests read a notice; everything else a plain text.
        if request.uri().path().starts_with("/api/") {
            return (refusal.status(), Json(refusal.notice())).into_response();
        }
        return (StatusCode::FORBIDDEN, refusal.to_string()).into_response();
    }
    next.run(request).await
}

/// The front end's files, with `index.html` for any other path. The build leaves a Brotli
/// (`.br`) and a gzip (`.gz`) copy next to each file (frontend/precompress.mjs); the copy the
/// browser accepts is sent as it is, so the smallest encoding costs no time per request.
/// Without a copy, [`CompressionLayer`] compresses on the fly.
fn files(dir: &Path, index: &Path) -> Router {
    let index = ServeFile::new(index)
        .precompressed_br()
        .precompressed_gzip();
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(index);
    Router::new()
        .fallback_service(files)
        // The body depends on Accept-Encoding, also when it is a precompressed copy.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
}

async fn not_built() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><meta charset=utf-8><title>KaracrixBuilder</title>\
             <p>フロントエンドが未ビルドです。<code>scripts/run</code> で起動してください。</p>\
             <p>The front end is not built. Start with <code>scripts/run</code>.</p>",
        ),
    )
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// One plain HTTP/1.1 GET: the response's head (lower-cased) and body.
    async fn get(router: Router, path: &str, accept_encoding: Option<&str>) -> (String, Vec<u8>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, router).await });
        let mut stream = TcpStream::connect(address).await.unwrap();
        let accept = accept_encoding.map_or(String::new(), |a| format!("Accept-Encoding: {a}\r\n"));
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: test\r\n{accept}Connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        server.abort();
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8(response[..split].to_vec()).unwrap();
        (head.to_ascii_lowercase(), response[split + 4..].to_vec())
    }

    /// A built front end with compressed copies (whose bytes only need to be told apart).
    fn dist() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [
            ("index.html", "<!doctype html>"),
            ("index.html.br", "index-br"),
            ("index.html.gz", "index-gz"),
            ("app-0123456789abcdef.js", "let app;"),
            ("app-0123456789abcdef.js.br", "app-br"),
            ("app-0123456789abcdef.js.gz", "app-gz"),
            ("style.css", "body{}"),
        ] {
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        dir
    }

    fn router(dir: &tempfile::TempDir) -> Router {
        files(dir.path(), &dir.path().join("index.html"))
    }

    #[tokio::test]
    async fn the_copy_the_browser_accepts_is_sent_as_it_is() {
        let dir = dist();
        let chromium = Some("gzip, deflate, br, zstd");
        let (head, body) = get(router(&dir), "/app-0123456789abcdef.js", chromium).await;
        assert!(head.contains("content-encoding: br"), "{head}");
        assert!(head.contains("content-type: text/javascript"), "{head}");
        assert!(head.contains("vary: accept-encoding"), "{head}");
        assert_eq!(body, b"app-br");

        let (head, body) = get(router(&dir), "/app-0123456789abcdef.js", Some("gzip")).await;
        assert!(head.contains("content-encoding: gzip"), "{head}");
        assert_eq!(body, b"app-gz");

        let (head, body) = get(router(&dir), "/app-0123456789abcdef.js", None).await;
        assert!(!head.contains("content-encoding"), "{head}");
        assert!(head.contains("vary: accept-encoding"), "{head}");
        assert_eq!(body, b"let app;");
    }

    #[tokio::test]
    async fn other_paths_get_the_index_and_files_without_copies_are_sent_plain() {
        let dir = dist();
        let (head, body) = get(router(&dir), "/settings", Some("gzip, br")).await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("content-type: text/html"), "{head}");
        assert!(head.contains("content-encoding: br"), "{head}");
        assert_eq!(body, b"index-br");

        let (head, body) = get(router(&dir), "/style.css", Some("br")).await;
        assert!(!head.contains("content-encoding"), "{head}");
        assert_eq!(body, b"body{}");
    }
}
