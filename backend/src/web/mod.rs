//! The web layer: the built front end as static files and the `/ws` endpoint.

mod access;
mod ws;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{Config, Simulation};

pub use access::{AccessPolicy, Refusal};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    simulation: Simulation,
    access: Arc<AccessPolicy>,
    static_dir: PathBuf,
}

impl AppState {
    /// The state for `simulation` served with `config`'s access rules.
    pub fn new(simulation: Simulation, config: &Config) -> Self {
        AppState {
            simulation,
            access: Arc::new(AccessPolicy::new(
                config.token.clone(),
                config.allowed_origins.clone(),
            )),
            static_dir: config.static_dir.clone(),
        }
    }
}

/// The router: `/ws`, `/healthz` and the front end's files (with `index.html` for unknown paths).
pub fn app(state: AppState) -> Router {
    let index = state.static_dir.join("index.html");
    let router = Router::new()
        .route("/ws", get(ws::upgrade))
        .route("/healthz", get(|| async { "ok" }));
    let router = if index.is_file() {
        router.fallback_service(ServeDir::new(&state.static_dir).fallback(ServeFile::new(index)))
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
        .with_state(state)
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
