//! The simulator's back end as a library: [`serve`] runs the web server (static front end and
//! `/ws`) around one [`Simulation`]. The binary in `main.rs` only parses configuration and
//! handles signals, so tests can run the same server in-process on any port.

pub mod classroom;
pub mod config;
pub mod engine;
pub mod mail;
pub mod mailclient;
pub mod phone;
pub mod plant;
pub mod sandbox;
pub mod simulation;
pub mod store;
pub mod tls;
pub mod training;
pub mod web;

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use config::Config;
pub use simulation::Simulation;

/// The plant of `--points`, or the manual's default plant; a bad file is refused with its line.
fn load_plant(config: &Config) -> anyhow::Result<plant::Plant> {
    let Some(path) = &config.points else {
        return Ok(plant::Plant::default_plant());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the points file {}", path.display()))?;
    plant::Plant::from_toml(&text).map_err(|err| anyhow::anyhow!("{}:\n{err}", path.display()))
}

/// The exercises of `--exercises`, or of `exercises` when that folder exists; a bad file is
/// refused with its name and line.
fn load_exercises(
    config: &Config,
    plant: &plant::Plant,
) -> anyhow::Result<Vec<shared::training::Exercise>> {
    let dir = match &config.exercises {
        Some(dir) => dir.clone(),
        None if std::path::Path::new("exercises").is_dir() => "exercises".into(),
        None => {
            tracing::info!("no exercises folder: training has no exercises");
            return Ok(Vec::new());
        }
    };
    let exercises = training::load::load_dir(&dir, &|id| plant.point(id).is_some())?;
    tracing::info!(count = exercises.len(), dir = %dir.display(), "exercises loaded");
    Ok(exercises)
}

/// What every simulation of the process shares, opened as `config` asks: the sandbox ISP's
/// listeners (serving on `tasks` until `cancel`), the plant and the exercises (a bad file is
/// refused with its line).
pub async fn parts(
    config: &Config,
    store: &store::Store,
    cancel: &CancellationToken,
    tasks: &TaskTracker,
) -> anyhow::Result<simulation::build::Parts> {
    let sandbox = if config.sandbox.disabled {
        None
    } else {
        let tls_dir = config.data_dir.join("sandbox-tls");
        let listen = config.sandbox.listen();
        Some(
            sandbox::SandboxServers::start(&listen, store, &tls_dir, cancel.child_token(), tasks)
                .await?,
        )
    };
    let plant = load_plant(config)?;
    let exercises = load_exercises(config, &plant)?;
    Ok(simulation::build::Parts {
        store: store.clone(),
        sandbox,
        plant: std::sync::Arc::new(plant),
        exercises: std::sync::Arc::new(exercises),
        engine: config.engine_options(),
        time_scale: config.time_scale,
    })
}

/// How long shutdown waits for every task to end (the plant's last save, the web server's
/// connections) before it gives up on them and lets the process exit.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the web UI and `/ws` on `listener` until `shutdown` completes. Every long-lived task
/// runs on one tracker and stops through one cancellation token (a child token per part);
/// `serve` returns once they have all ended — the plant saved and the last commit done — or
/// once [`SHUTDOWN_GRACE`] has passed.
pub async fn serve(
    listener: TcpListener,
    mut config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    config.validate()?;
    config.web_limits = config.web_limits.for_class(&config.classroom);
    store::create_private_dir(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    let tls = web::tls::acceptor(&config).context("cannot set up HTTPS for the web UI")?;
    let cancel = CancellationToken::new();
    // A part that fails to start returns early: the parts started before it stop too.
    let _stop_on_return = cancel.clone().drop_guard();
    let tasks = TaskTracker::new();
    let store = store::Store::open(&config.data_dir)
        .with_context(|| format!("cannot open the database in {}", config.data_dir.display()))?;
    let parts = parts(&config, &store, &cancel, &tasks).await?;
    let state = if config.classroom.enabled() {
        let classroom =
            classroom::Classroom::start(parts, config.classroom.clone(), cancel.clone(), &tasks)?;
        let lobby = Simulation::start(cancel.clone(), &tasks, simulation::Running::default());
        web::AppState::for_class(classroom, lobby, &config)
    } else {
        web::AppState::new(parts.simulation(None, cancel.clone(), &tasks)?, &config)
    };
    let app = web::app(state);
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let listener = web::listener::GuardedListener::new(listener, config.web_limits, tls);
    let web_stop = cancel.child_token();
    let mut web = tasks.spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<web::listener::Peer>(),
        )
        .with_graceful_shutdown(web_stop.cancelled_owned())
        .await
    });
    let result = tokio::select! {
        () = shutdown => Ok(()),
        () = store::io_failure() => Ok(()),
        ended = &mut web => match ended {
            Ok(served) => served.context("web server failed"),
            Err(panicked) => Err(panicked).context("web server panicked"),
        },
    };
    stop(cancel, tasks).await;
    if store::io_failed() {
        anyhow::bail!(store::IO_FAILURE_EXIT);
    }
    result
}

/// Cancels every part and waits for their tasks, at most [`SHUTDOWN_GRACE`].
async fn stop(cancel: CancellationToken, tasks: TaskTracker) {
    let started = Instant::now();
    cancel.cancel();
    tasks.close();
    match tokio::time::timeout(SHUTDOWN_GRACE, tasks.wait()).await {
        Ok(()) => tracing::info!(took = ?started.elapsed(), "every task stopped"),
        Err(_) => tracing::warn!(
            grace = ?SHUTDOWN_GRACE,
            left = tasks.len(),
            "tasks still running after the grace period: exiting without them"
        ),
    }
}
