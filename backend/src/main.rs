//! The `karacrix-mail` binary: parses the configuration, sets up logging, runs until Ctrl-C or
//! SIGTERM.

use anyhow::Context;
use backend::Config;
use clap::Parser;
use tracing_appender::non_blocking::NonBlockingBuilder;
use tracing_subscriber::EnvFilter;

/// Log lines waiting for the writer thread at most. The library's default, 128,000, takes its
/// slots up front: 4 MiB of memory for a log that writes a few lines a cycle.
const LOG_LINES_BUFFERED: usize = 1024;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Log lines go to standard output through a thread of their own. Written in place, a full
    // pipe (a supervisor or a script that stopped reading) would block the runtime thread that
    // logs, and the engine and the page with it; this way a line that finds the thread's buffer
    // full is dropped instead. The guard flushes what is left when main returns.
    let (log_writer, _log_flushed_on_exit) = NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_LINES_BUFFERED)
        .thread_name("log-writer")
        .finish(std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(log_writer)
        .init();
    let config = Config::parse();
    config.validate()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let url = config.public_url(listener.local_addr()?);
    // The run script and the browser tests read this line to find the page.
    println!("KaracrixBuilder e-mail simulator: {url}");
    backend::serve(listener, config, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
