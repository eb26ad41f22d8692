//! Engine benchmark (run with `cargo bench -p backend --bench engine`): the command round trip
//! on the embedded sandbox with "receive now" (mail lands in the mailbox → reply lands in the
//! sender's mailbox), and the throughput of one cycle over 10 … 10,000 queued command mails.
//! Prints a Markdown table for BENCHMARKS.md.

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use backend::engine::EngineOptions;
use backend::engine::executor::PlantCommands;
use backend::plant::Plant;
use backend::plant::runtime::PlantRuntime;
use common::{Sandbox, submission_settings};
use shared::engine::EngineState;
use shared::sandbox::Op25b;
use shared::settings::PasswordChange;
use tokio::sync::watch;

const SYSTEM: &str = "karacrix@sandbox.test";
const PHONE: &str = "operator@sandbox.test";

fn command_mail(i: usize) -> Vec<u8> {
    format!(
        "From: {PHONE}\r\nTo: {SYSTEM}\r\nSubject: GET PUMP1\r\nMessage-ID: <bench-{i}@phone.sandbox.test>\r\n\r\nGET TEMP1\r\n"
    )
    .into_bytes()
}

async fn until(state: &mut watch::Receiver<EngineState>, wanted: impl Fn(&EngineState) -> bool) {
    tokio::time::timeout(Duration::from_secs(600), state.wait_for(|s| wanted(s)))
        .await
        .expect("engine did not get there")
        .unwrap();
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let isp = Sandbox::builder().op25b(Op25b::Off).isp().await;
    let (store, sandbox, cancel) = (&isp.store, &isp.provider, &isp.cancel);
    let plant = PlantRuntime::unattended(Plant::default_plant(), store.clone(), cancel.clone());
    // A load test: the one phone sends thousands of command mails within the hour.
    let options = EngineOptions {
        replies_per_hour: u32::MAX,
        ..EngineOptions::default()
    };
    let engine = isp.engine(Arc::new(PlantCommands::new(plant)), options);
    let mut settings = submission_settings();
    settings.receive_interval_min = 1440; // only "receive now" polls
    engine
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .unwrap();
    let mut state = engine.subscribe();
    until(&mut state, |s| {
        matches!(s.status, shared::status::MailStatus::Run { .. })
    })
    .await;
    let mut done = 0u64;
    let mut next = 0usize;

    // Round trip, one mail at a time.
    let mut trips = Vec::new();
    for _ in 0..100 {
        let before = sandbox.mail().list(PHONE).unwrap().len();
        let t0 = Instant::now();
        sandbox.mail().deliver(SYSTEM, &command_mail(next)).unwrap();
        next += 1;
        engine.receive_now();
        done += 1;
        until(&mut state, |s| s.executed == done && s.outbox == 0).await;
        assert_eq!(sandbox.mail().list(PHONE).unwrap().len(), before + 1);
        trips.push(t0.elapsed());
    }
    trips.sort();
    println!(
        "| round trip (100 mails, one at a time) | p50 {:.1} ms | p99 {:.1} ms |",
        percentile(&trips, 0.5).as_secs_f64() * 1e3,
        percentile(&trips, 0.99).as_secs_f64() * 1e3
    );

    // Throughput of one cycle over a full mailbox.
    println!("\n| queued command mails | cycle time | mails/s | peak RSS |");
    println!("|---:|---:|---:|---:|");
    // BENCH_SIZES="10 100" runs a shorter series.
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .ok()
        .map(|v| {
            v.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_else(|| vec![10, 100, 1000, 10_000]);
    for n in sizes {
        for _ in 0..n {
            sandbox.mail().deliver(SYSTEM, &command_mail(next)).unwrap();
            next += 1;
        }
        let t0 = Instant::now();
        engine.receive_now();
        done += n as u64;
        until(&mut state, |s| s.executed == done && s.outbox == 0).await;
        let took = t0.elapsed();
        println!(
            "| {n} | {:.2} s | {:.0} | {} MiB |",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            peak_rss_kib() / 1024
        );
    }
    cancel.cancel();
}
