//! The web server's listener: caps the open connections and those that have not sent a byte yet,
//! closes a connection that stays silent, and (given a certificate) runs the TLS handshake — all
//! before HTTP sees the connection, so a flood of idle sockets cannot hold the server.
//!
//! A connection over a cap is closed at once rather than queued: queueing would let the flood
//! delay everyone else's pages, while a browser simply opens another connection later.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::WebLimits;
use crate::tls::stream::MaybeTls;

/// Accepts web connections within [`WebLimits`]; plain or TLS.
pub struct GuardedListener {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    first_byte_timeout: Duration,
    open: Arc<Semaphore>,
    silent: Arc<Semaphore>,
    /// Connections waiting for their first byte or their handshake.
    pending: JoinSet<Option<(Connection, SocketAddr)>>,
}

impl GuardedListener {
    /// Guards `tcp` with `limits`; with `tls`, every connection must complete a handshake.
    pub fn new(tcp: TcpListener, limits: WebLimits, tls: Option<TlsAcceptor>) -> Self {
        GuardedListener {
            tcp,
            tls,
            first_byte_timeout: limits.first_byte_timeout,
            open: Arc::new(Semaphore::new(limits.max_connections)),
            silent: Arc::new(Semaphore::new(limits.max_silent)),
            pending: JoinSet::new(),
        }
    }

    /// Starts waiting for a new connection's first byte, or closes it if a cap is reached.
    fn admit(&mut self, tcp: TcpStream, peer: SocketAddr) {
        let Ok(open) = self.open.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "web connection closed: too many open connections");
            return;
        };
        let Ok(silent) = self.silent.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "web connection closed: too many silent connections");
            return;
        };
        // The socket pushes many small frames (a protocol log line each): with Nagle, every
        // one after the first would wait for the browser's delayed ACK, up to 40 ms on Linux,
        // and so would the answer or state behind them.
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%peer, %error, "web connection: TCP_NODELAY not set");
        }
        let timeout = self.first_byte_timeout;
        let tls = self.tls.clone();
        self.pending.spawn(async move {
            let mut probe = [0u8; 1];
            match tokio::time::timeout(timeout, tcp.peek(&mut probe)).await {
                Ok(Ok(n)) if n > 0 => {}
                Ok(_) => return None,
                Err(_) => {
                    tracing::debug!(%peer, "web connection closed: sent nothing");
                    return None;
                }
            }
            drop(silent);
            let io = match tls {
                None => MaybeTls::Plain(tcp),
                Some(acceptor) => match tokio::time::timeout(timeout, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => MaybeTls::Tls(Box::new(tls)),
                    Ok(Err(error)) => {
                        tracing::debug!(%peer, %error, "TLS handshake failed");
                        return None;
                    }
                    Err(_) => return None,
                },
            };
            Some((Connection { io, _open: open }, peer))
        });
    }
}

impl axum::serve::Listener for GuardedListener {
    type Io = Connection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Connection, SocketAddr) {
        loop {
            tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok((tcp, peer)) => self.admit(tcp, peer),
                    Err(error) => {
                        // Out of descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "web accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(done) = self.pending.join_next(), if !self.pending.is_empty() => {
                    if let Ok(Some(ready)) = done {
                        return ready;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// Where a connection comes from, for the handlers (`ConnectInfo<Peer>`): the class list shows
/// where trainees are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, GuardedListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, GuardedListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// One admitted connection; it counts against the cap until dropped.
pub struct Connection {
    io: MaybeTls<TlsStream<TcpStream>>,
    _open: OwnedSemaphorePermit,
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    #[tokio::test]
    async fn an_admitted_connection_sends_small_frames_at_once() {
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = tcp.local_addr().unwrap();
        let mut listener = GuardedListener::new(tcp, WebLimits::default(), None);
        let mut client = TcpStream::connect(address).await.unwrap();
        client.write_all(b"G").await.unwrap();
        let (connection, _) = axum::serve::Listener::accept(&mut listener).await;
        let MaybeTls::Plain(tcp) = &connection.io else {
            panic!("a plain listener gives plain connections")
        };
        assert!(tcp.nodelay().unwrap(), "Nagle is off on the server's side");
    }
}
