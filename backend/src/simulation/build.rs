//! Building a simulation from what every simulation of the process shares: the database, the
//! sandbox ISP's listeners, the plant as loaded, the exercises and the engine's options. The
//! single-user simulation and every trainee's are built the same way; a trainee's keeps its
//! state in its own scope of the database and reaches the ISP from its own addresses.

use std::sync::Arc;

use anyhow::Context;
use shared::classroom::SessionView;
use shared::sandbox::Clients;
use shared::training::Exercise;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Simulation;
use crate::engine::{Engine, EngineOptions, executor::PlantCommands};
use crate::plant::{Plant, runtime::PlantRuntime};
use crate::sandbox::{SandboxProvider, SandboxServers};
use crate::store::Store;
use crate::store::StoreError;
use crate::training::Trainer;
use crate::training::record::Record;

/// What every simulation of the process shares.
#[derive(Clone)]
pub struct Parts {
    /// The one database.
    pub store: Store,
    /// The sandbox ISP's listeners, unless it is turned off.
    pub sandbox: Option<SandboxServers>,
    /// The plant as loaded from the points file.
    pub plant: Arc<Plant>,
    /// The exercises.
    pub exercises: Arc<Vec<Exercise>>,
    /// The engine's options.
    pub engine: EngineOptions,
    /// The demo time scale at start.
    pub time_scale: u32,
}

/// Where a trainee's simulation lives: its scope of the database and the addresses it
/// connects to the ISP from.
#[derive(Debug, Clone)]
pub struct Place {
    /// Its scope of the database.
    pub scope: String,
    /// Its system's and phone's addresses.
    pub clients: Clients,
    /// What its pages are told about it.
    pub view: SessionView,
}

impl Parts {
    /// Starts a simulation: single-user mode's (`place` none: the whole database, the ISP
    /// for every client address) or a trainee's. Its tasks run on `tasks` until `cancel`.
    pub fn simulation(
        &self,
        place: Option<&Place>,
        cancel: CancellationToken,
        tasks: &TaskTracker,
    ) -> anyhow::Result<Simulation> {
        let store = place.map_or_else(|| self.store.clone(), |s| self.store.scoped(&s.scope));
        let clients = place.map_or(Clients::SINGLE, |s| s.clients);
        let sandbox = match &self.sandbox {
            None => None,
            Some(servers) => {
                let isp = servers.tenant(&store, clients, cancel.child_token())?;
                if place.is_none() {
                    servers.serve_everyone(&isp);
                }
                isp.set_time_scale(self.time_scale);
                Some(isp)
            }
        };
        let trainer = Trainer::new(&store, self.exercises.as_ref().clone())?;
        let (plant, engine) = self.plant_and_engine(&store, sandbox.as_ref(), &cancel, tasks)?;
        let view = place
            .map(|s| s.view.clone())
            .unwrap_or_else(|| SessionView {
                isp_panel: true,
                ..SessionView::default()
            });
        Ok(Simulation::start(
            cancel,
            tasks,
            super::Running {
                sandbox,
                engine: Some(engine),
                plant: Some(plant),
                trainer: Some(trainer),
                view,
            },
        ))
    }

    /// The record of the trainee at `place`, read from disk (in memory or not).
    pub fn record(&self, place: &Place) -> Result<String, StoreError> {
        Record::new(&self.store.scoped(&place.scope))?.json_lines()
    }

    /// The plant and the engine that executes commands on it, with the plant's alarms going to
    /// the engine.
    fn plant_and_engine(
        &self,
        store: &Store,
        sandbox: Option<&SandboxProvider>,
        cancel: &CancellationToken,
        tasks: &TaskTracker,
    ) -> anyhow::Result<(PlantRuntime, Engine)> {
        // The plant reports alarms before the engine exists; they wait in this channel.
        let (alarm_tx, mut alarm_rx) = tokio::sync::mpsc::unbounded_channel();
        let plant = PlantRuntime::start(
            self.plant.as_ref().clone(),
            store.clone(),
            self.time_scale,
            Arc::new(move |events| {
                let _ = alarm_tx.send(events);
            }),
            cancel.child_token(),
            tasks,
        );
        let engine = Engine::start(
            store,
            sandbox.map(|s| s.addresses()),
            Arc::new(PlantCommands::new(plant.clone())),
            self.engine.clone(),
            cancel.child_token(),
            tasks,
        )
        .context("cannot start the engine")?;
        engine.attach_plant(plant.subscribe());
        let alarm_engine = engine.clone();
        // Ends when the plant's tick has ended and dropped its sender, after queueing the
        // alarms of the very last tick.
        tasks.spawn(async move {
            while let Some(events) = alarm_rx.recv().await {
                alarm_engine.alarms(events);
            }
        });
        Ok((plant, engine))
    }
}
