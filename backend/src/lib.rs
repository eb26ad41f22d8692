//! The simulator's back end as a library: [`serve`] runs the web server (static front end and
//! `/ws`) around one [`Simulation`]. The binary in `main.rs` only parses configuration and
//! handles signals, so tests can run the same server in-process on any port.

pub mod config;
pub mod engine;
pub mod mailclient;
pub mod mailtext;
pub mod phone;
pub mod plant;
pub mod sandbox;
pub mod simulation;
pub mod store;
pub mod web;

use std::future::Future;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::Config;
pub use simulation::Simulation;

/// Serves the web UI and `/ws` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    config.validate()?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    let cancel = CancellationToken::new();
    let store = store::Store::open(&config.data_dir)
        .with_context(|| format!("cannot open the database in {}", config.data_dir.display()))?;
    let sandbox = if config.sandbox.disabled {
        None
    } else {
        let tls_dir = config.data_dir.join("sandbox-tls");
        Some(
            sandbox::SandboxProvider::start(
                &config.sandbox,
                &store,
                &tls_dir,
                cancel.child_token(),
            )
            .await?,
        )
    };
    let engine = engine::Engine::start(
        &store,
        sandbox.clone(),
        std::sync::Arc::new(engine::commands::EchoLayer),
        config.engine_options(),
        cancel.child_token(),
    )
    .context("cannot start the engine")?;
    let simulation = Simulation::start(cancel.clone(), sandbox, Some(engine));
    let app = web::app(web::AppState::new(simulation, &config));
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let stop = cancel.clone();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            stop.cancel();
        })
        .await
        .context("web server failed");
    cancel.cancel();
    result
}
