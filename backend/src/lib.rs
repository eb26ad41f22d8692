//! The simulator's back end as a library: [`serve`] runs the web server (static front end and
//! `/ws`) around one [`Simulation`]. The binary in `main.rs` only parses configuration and
//! handles signals, so tests can run the same server in-process on any port.

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

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

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

/// Serves the web UI and `/ws` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    config.validate()?;
    store::create_private_dir(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    let tls = web::tls::acceptor(&config).context("cannot set up HTTPS for the web UI")?;
    let cancel = CancellationToken::new();
    let store = store::Store::open(&config.data_dir)
        .with_context(|| format!("cannot open the database in {}", config.data_dir.display()))?;
    let sandbox = if config.sandbox.disabled {
        None
    } else {
        let tls_dir = config.data_dir.join("sandbox-tls");
        Some(
            sandbox::SandboxProvider::start(
                &config.sandbox.listen(),
                &store,
                &tls_dir,
                cancel.child_token(),
            )
            .await?,
        )
    };
    if let Some(sandbox) = &sandbox {
        sandbox.set_time_scale(config.time_scale);
    }
    let plant = load_plant(&config)?;
    let trainer = training::Trainer::new(&store, load_exercises(&config, &plant)?)?;
    // The plant reports alarms before the engine exists; they wait in this channel.
    let (alarm_tx, mut alarm_rx) = tokio::sync::mpsc::unbounded_channel();
    let plant = plant::runtime::PlantRuntime::start(
        plant,
        store.clone(),
        config.time_scale,
        std::sync::Arc::new(move |events| {
            let _ = alarm_tx.send(events);
        }),
        cancel.child_token(),
    );
    let engine = engine::Engine::start(
        &store,
        sandbox.as_ref().map(|s| s.addresses()),
        std::sync::Arc::new(engine::executor::PlantCommands::new(plant.clone())),
        config.engine_options(),
        cancel.child_token(),
    )
    .context("cannot start the engine")?;
    engine.attach_plant(plant.subscribe());
    let alarm_engine = engine.clone();
    tokio::spawn(async move {
        while let Some(events) = alarm_rx.recv().await {
            alarm_engine.alarms(events);
        }
    });
    let simulation = Simulation::start(
        cancel.clone(),
        sandbox,
        Some(engine),
        Some(plant),
        Some(trainer),
    );
    let app = web::app(web::AppState::new(simulation, &config));
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let listener = web::listener::GuardedListener::new(listener, config.web_limits, tls);
    let stop = cancel.clone();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            tokio::select! {
                () = shutdown => {}
                () = store::io_failure() => {}
            }
            stop.cancel();
        })
        .await
        .context("web server failed");
    cancel.cancel();
    if store::io_failed() {
        anyhow::bail!(store::IO_FAILURE_EXIT);
    }
    result
}
