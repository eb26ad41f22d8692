//! The accept loop both sandbox servers share, so that they answer the same problems the same
//! way: at most [`MAX_CONNECTIONS`] connections are served at once and the next ones get the
//! server's "too many connections" reply and are closed; a failed accept (out of descriptors)
//! backs off instead of spinning; Nagle is off, since replies are written in pieces; and
//! cancelling `shutdown` (or dropping the loop) ends every open connection.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Connections served at once by one listener; more are told so and closed.
pub const MAX_CONNECTIONS: usize = 64;
/// After a failed accept (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How long a turned-away client gets to take its reply.
const TURN_AWAY_TIMEOUT: Duration = Duration::from_secs(5);

/// Accepts on `listener` and runs `serve` for each connection until `shutdown` is cancelled;
/// `busy` is the reply, as sent, to a client over the limit. `name` names the server in logs.
pub async fn accept_loop<F, Fut>(
    listener: TcpListener,
    shutdown: &CancellationToken,
    name: &'static str,
    busy: Vec<u8>,
    mut serve: F,
) where
    F: FnMut(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                // Turned-away clients count too, so a flood cannot grow the set either.
                Ok((stream, peer)) if connections.len() < MAX_CONNECTIONS => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve(stream, peer));
                }
                Ok((stream, _)) => {
                    connections.spawn(turn_away(stream, busy.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, server = name, "sandbox accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn turn_away(mut stream: TcpStream, reply: Vec<u8>) {
    let _ = tokio::time::timeout(TURN_AWAY_TIMEOUT, async {
        stream.write_all(&reply).await?;
        stream.shutdown().await
    })
    .await;
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn the_connection_over_the_limit_gets_the_busy_reply_and_is_closed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let (served, mut count) = tokio::sync::mpsc::unbounded_channel();
        let server = tokio::spawn(async move {
            accept_loop(
                listener,
                &stop,
                "test",
                b"busy\r\n".to_vec(),
                move |stream, _| {
                    let served = served.clone();
                    async move {
                        let _ = served.send(());
                        // Held open until the loop ends.
                        std::future::pending::<()>().await;
                        drop(stream);
                    }
                },
            )
            .await;
        });
        let mut held = Vec::new();
        for _ in 0..MAX_CONNECTIONS {
            held.push(TcpStream::connect(addr).await.unwrap());
            count.recv().await.unwrap();
        }
        let mut extra = TcpStream::connect(addr).await.unwrap();
        let mut reply = Vec::new();
        extra.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"busy\r\n");

        shutdown.cancel();
        server.await.unwrap();
        // Every served connection ended with the loop.
        let mut octet = [0u8; 1];
        for mut stream in held {
            assert_eq!(stream.read(&mut octet).await.unwrap(), 0);
        }
    }
}
