//! Shutdown as a service manager (SIGTERM) or Ctrl-C (SIGINT) asks for it: the real binary
//! exits with status 0 within the wait budget, having saved the plant as it last showed it, and a mail cycle stuck
//! on a server that never answers does not hold the exit back until the mail timeout.

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Instant;

use backend::plant::{PlantState, STORE_KEY};
use backend::store::Store;
use common::WAIT;
use common::binary::Instance;
use futures_util::StreamExt;
use shared::ServerMsg;
use shared::points::Value;
use shared::settings::{MailSettings, PasswordChange, Security};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const BINARY: &str = env!("CARGO_BIN_EXE_karacrix-mail");
/// What the back end logs when every task has ended within the grace period.
const STOPPED: &str = "every task stopped";
/// The default plant's energy meter: it only grows, a little at every tick.
const METER: &str = "KWH1";

fn meter(msg: &ServerMsg) -> Option<f64> {
    let ServerMsg::Points { points } = msg else {
        return None;
    };
    match points.iter().find(|p| p.id == METER)?.value {
        Value::Analog(kwh) => Some(kwh),
        Value::Digital(_) => None,
    }
}

/// Every message still on the socket up to its close, as the back end sent it before exiting.
async fn rest_of(client: common::Client) -> Vec<ServerMsg> {
    let frames = timeout(WAIT, client.socket.collect::<Vec<_>>())
        .await
        .expect("the socket closed");
    frames
        .into_iter()
        .filter_map(|frame| match frame {
            Ok(Message::Text(text)) => ServerMsg::decode(&text).ok(),
            _ => None,
        })
        .collect()
}

/// The meter as the plant's store holds it.
fn stored_meter(data: &Path) -> f64 {
    let state: PlantState = Store::open(data)
        .unwrap()
        .load(STORE_KEY)
        .unwrap()
        .expect("the plant was saved");
    match state.values.get(METER) {
        Some(Value::Analog(kwh)) => *kwh,
        other => panic!("{METER} stored as {other:?}"),
    }
}

/// Stopped by SIGTERM and SIGINT in turn a few times over on the same data, the back end exits with success each
/// time, its store holds the plant as the plant last showed itself, and the next start goes on
/// from there. (Between two periodic saves the plant moves on, so without a last save at exit a
/// stop loses what it showed — in a round or two of these, if not in the first.)
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_saves_the_plant_as_it_last_was_and_exits_with_success() {
    const ROUNDS: usize = 6;
    let data = tempfile::tempdir().unwrap();
    let mut before: Option<f64> = None;
    for round in 0..ROUNDS {
        // An hour of plant time per second: the meter moves at every tick.
        let instance = Instance::start(BINARY, data.path(), &["--time-scale", "3600"]);
        let mut client = instance.client().await;
        let mut ticks = 0;
        let mut last_seen = client
            .wait_for("the plant ticking", |msg| {
                let kwh = meter(&msg)?;
                if let Some(before) = before {
                    assert!(
                        kwh >= before,
                        "round {round}: started at {kwh}, stopped at {before}"
                    );
                }
                ticks += 1;
                (ticks >= 3).then_some(kwh)
            })
            .await;

        // Service managers send SIGTERM; a terminal sends SIGINT on Ctrl-C.
        let exit = if round % 2 == 0 {
            instance.terminate().await
        } else {
            instance.interrupt().await
        };
        assert!(
            exit.status.success(),
            "round {round}: exit after the signal: {}",
            exit.status
        );
        for kwh in rest_of(client).await.iter().filter_map(meter) {
            last_seen = kwh;
        }
        let stored = stored_meter(data.path());
        assert!(
            stored >= last_seen,
            "round {round}: {METER} stored as {stored}, yet the plant showed {last_seen} before it stopped"
        );
        before = Some(stored);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_interrupts_a_cycle_waiting_on_a_silent_server() {
    // Accepts the engine's connection and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let data = tempfile::tempdir().unwrap();
    // The cycle would wait this long (far beyond the wait budget) for the server's greeting.
    let instance = Instance::start(BINARY, data.path(), &["--mail-timeout-secs", "600"]);
    let mut client = instance.client().await;
    let mut settings = MailSettings::sandbox_demo();
    settings.pop_server = format!("127.0.0.1:{}", silent.local_addr().unwrap().port());
    settings.pop_security = Security::Tls;
    client
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .await;
    // After RST the first poll comes at once.
    let (_connection, _) = timeout(WAIT, silent.accept())
        .await
        .expect("the engine connected")
        .unwrap();

    let asked = Instant::now();
    let exit = instance.terminate().await;
    assert!(exit.status.success(), "exit after SIGTERM: {}", exit.status);
    // The wait is bounded by a grace period, so a prompt exit alone would not tell whether
    // the cycle stopped or was given up on: the log says which.
    assert!(
        exit.log.contains(STOPPED),
        "the cycle was not interrupted:\n{}",
        exit.log
    );
    eprintln!("exited {:?} after SIGTERM, in a cycle", asked.elapsed());
}
