//! Scripted servers for the mail clients' tests: each listens on a fresh loopback port, plays its
//! part with the one client that connects, and hands back the route to it.

use std::future::Future;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::net::{Route, Routes, Trust};

/// The server's side of the one connection.
pub(super) type Io = BufReader<TcpStream>;

/// Accepts one connection on a fresh loopback port and lets `play` run it; returns the route to
/// that port and the server's task, which yields what `play` returns.
pub(super) async fn serve<T, F, Fut>(play: F) -> (Routes, Route, JoinHandle<T>)
where
    F: FnOnce(Io) -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        play(BufReader::new(stream)).await
    });
    let routes = Routes::new(None);
    let route = routes.route("127.0.0.1", port).unwrap();
    (routes, route, task)
}

/// Reads the client's lines until it hangs up, writing `answer(line)` after each; returns the
/// lines it read, line endings trimmed.
pub(super) async fn record_lines(
    io: &mut Io,
    answer: impl Fn(&str) -> &'static [u8],
) -> Vec<String> {
    let mut seen = Vec::new();
    let mut line = String::new();
    while io.read_line(&mut line).await.unwrap_or(0) > 0 {
        let reply = answer(&line);
        seen.push(line.trim_end().to_string());
        line.clear();
        let _ = io.get_mut().write_all(reply).await;
    }
    seen
}

/// Writes `text` as one CRLF-ended line; false once the client has gone.
pub(super) async fn write_line(io: &mut Io, text: &str) -> bool {
    let line = format!("{text}\r\n");
    io.get_mut().write_all(line.as_bytes()).await.is_ok()
}

/// The public roots alone: no lab CA, no sandbox.
pub(super) fn trust() -> Trust {
    Trust::new(None, None).unwrap()
}
