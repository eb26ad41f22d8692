//! A back end whose standard output nobody reads goes on working: a supervisor or a script that
//! stopped reading leaves the pipe full (64 KiB on Linux), and a log line written in place would
//! then block the runtime thread writing it, and the page and the engine behind it.

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::time::Duration;

use common::binary::Instance;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Requests sent after the pipe stopped being read: at the trace level each logs a line of
/// about 110 octets, so these fill the pipe several times over.
const REQUESTS: usize = 3000;

/// One plain HTTP request for the page; the status line of the answer.
async fn status_line(address: &str) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!("GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    answer.lines().next().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_nobody_reads_does_not_stop_the_back_end() {
    let data = tempfile::tempdir().unwrap();
    let program = env!("CARGO_BIN_EXE_karacrix-mail");
    let backend = Instance::start_leaving_log_unread(program, data.path(), "trace");
    let address = backend
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    for i in 0..REQUESTS {
        let answered = timeout(Duration::from_secs(10), status_line(address)).await;
        let status = answered.unwrap_or_else(|_| panic!("request {i} got no answer"));
        assert!(status.starts_with("HTTP/1.1 "), "request {i}: {status:?}");
    }
}
