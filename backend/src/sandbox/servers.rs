//! The ISP's listeners, one per service for the whole process: every simulation's system and
//! phone connect to the same ports, each from loopback addresses of its own, and each
//! connection is served by the simulation (the [`SandboxProvider`]) its source address belongs
//! to. So 200 trainees need no more ports than one, OP25B and PopBeforeSmtp stay rules about
//! a client's address, and a real mail client reaches a trainee's mailboxes by connecting from
//! that trainee's address (`curl --interface`).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use shared::sandbox::{Clients, MailService};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::listener::accept_loop;
use super::pop3::{self};
use super::smtp::{self};
use super::tls::SandboxTls;
use super::{MailStore, SandboxProvider};
use crate::store::{Store, StoreError};

/// Where the ISP listens: one loopback address and a port per service (0: any free port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// The loopback address of every listener.
    pub address: IpAddr,
    /// The port standing for each service.
    pub ports: Vec<(MailService, u16)>,
}

impl Listen {
    /// Every service on a port the system picks, on 127.0.0.1 (tests running side by side).
    pub fn ephemeral() -> Self {
        Listen {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: MailService::ALL.iter().map(|s| (*s, 0)).collect(),
        }
    }
}

/// The shared listeners and who is served on them. Cheap to clone.
#[derive(Clone)]
pub struct SandboxServers {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) endpoints: Vec<(MailService, SocketAddr)>,
    pub(super) tls: SandboxTls,
    /// Every simulation's mailboxes, each in its own scope.
    pub(super) mail: MailStore,
    /// The simulation each client address belongs to.
    tenants: RwLock<HashMap<IpAddr, SandboxProvider>>,
    /// Single-user mode: the one simulation, for clients from any address.
    everyone: RwLock<Option<SandboxProvider>>,
}

impl SandboxServers {
    /// Binds every listener of `listen` and serves on `tasks` until `cancel`. The CA and
    /// certificate live in `tls_dir`; the mailboxes in `store`.
    pub async fn start(
        listen: &Listen,
        store: &Store,
        tls_dir: &Path,
        cancel: CancellationToken,
        tasks: &TaskTracker,
    ) -> anyhow::Result<Self> {
        let tls = SandboxTls::load_or_create(tls_dir)?;
        let mail = MailStore::new(store.database())?;
        let mut listeners = Vec::new();
        for &(service, port) in &listen.ports {
            let listener = TcpListener::bind((listen.address, port))
                .await
                .with_context(|| {
                    format!(
                        "sandbox {} cannot listen on {}:{port} (another program there? pick \
                         another with --sandbox-{}-port)",
                        service.name(),
                        listen.address,
                        service.name()
                    )
                })?;
            listeners.push((service, listener));
        }
        let endpoints = listeners
            .iter()
            .map(|(service, l)| Ok((*service, l.local_addr()?)))
            .collect::<std::io::Result<Vec<_>>>()?;
        let servers = SandboxServers {
            inner: Arc::new(Inner {
                endpoints,
                tls,
                mail,
                tenants: RwLock::default(),
                everyone: RwLock::default(),
            }),
        };
        for (service, listener) in listeners {
            tasks.spawn(
                servers
                    .clone()
                    .serve(service, listener, cancel.child_token()),
            );
        }
        tracing::info!(endpoints = ?servers.inner.endpoints, "sandbox ISP listening");
        Ok(servers)
    }

    /// A simulation's ISP, with its mailboxes and policies in `store`'s scope, served to
    /// connections from `clients`' addresses until it is [removed](Self::remove) or `cancel`
    /// is cancelled (which also ends its open connections).
    pub fn tenant(
        &self,
        store: &Store,
        clients: Clients,
        cancel: CancellationToken,
    ) -> Result<SandboxProvider, StoreError> {
        let provider = SandboxProvider::new(self, store, clients, cancel)?;
        if let Ok(mut tenants) = self.inner.tenants.write() {
            tenants.insert(clients.system.into(), provider.clone());
            tenants.insert(clients.phone.into(), provider.clone());
        }
        Ok(provider)
    }

    /// Serves `provider` to clients from any other address too (single-user mode: a mail
    /// program on 127.0.0.1 reaches the one simulation).
    pub fn serve_everyone(&self, provider: &SandboxProvider) {
        if let Ok(mut everyone) = self.inner.everyone.write() {
            *everyone = Some(provider.clone());
        }
    }

    /// The simulation a client from `peer` belongs to. One that has stopped (evicted or shut
    /// down: its token cancelled) is forgotten here, so its addresses reach nobody until it
    /// starts again.
    fn tenant_of(&self, peer: IpAddr) -> Option<SandboxProvider> {
        let known = self
            .inner
            .tenants
            .read()
            .ok()
            .and_then(|t| t.get(&peer).cloned());
        if let Some(stopped) = known.as_ref().filter(|t| t.stopped())
            && let Ok(mut tenants) = self.inner.tenants.write()
        {
            let clients = stopped.clients();
            tenants.retain(|_, t| !Arc::ptr_eq(&t.inner, &stopped.inner) || !t.stopped());
            tracing::debug!(
                ?clients,
                "sandbox: a stopped simulation's addresses forgotten"
            );
            return None;
        }
        known.or_else(|| self.inner.everyone.read().ok().and_then(|e| e.clone()))
    }

    /// Accepts on `listener` and serves each connection as its simulation's ISP.
    async fn serve(self, service: MailService, listener: TcpListener, stop: CancellationToken) {
        let pop3 = matches!(service, MailService::Pop3 | MailService::Pop3s);
        let (name, busy) = if pop3 {
            ("POP3", pop3::busy_reply())
        } else {
            ("SMTP", smtp::busy_reply())
        };
        accept_loop(listener, &stop, name, busy, |stream, peer| {
            let tenant = self.tenant_of(peer.ip());
            async move {
                match tenant {
                    None => turn_away_stranger(stream, peer, pop3).await,
                    Some(isp) if pop3 => {
                        pop3::handle_connection(stream, peer, isp.pop3_context(service)).await
                    }
                    Some(isp) => {
                        smtp::serve_connection(stream, peer.ip(), isp.smtp_context(service)).await
                    }
                }
            }
        })
        .await;
    }
}

/// Tells a client from an address no simulation uses (e.g. an evicted trainee's) so, and
/// closes.
async fn turn_away_stranger(mut stream: TcpStream, peer: SocketAddr, pop3: bool) {
    tracing::debug!(%peer, "sandbox: no simulation connects from this address");
    let reply: &[u8] = if pop3 {
        b"-ERR [SYS/PERM] no simulation connects from this address\r\n"
    } else {
        b"554 5.7.1 no simulation connects from this address\r\n"
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        stream.write_all(reply).await?;
        stream.shutdown().await
    })
    .await;
}
