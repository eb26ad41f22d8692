//! Connecting: name resolution (sandbox hosts go to the embedded ISP's listeners), TCP with a
//! timeout, TLS with verified certificates, and errors classified for the status display.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use shared::sandbox::MailService;
use shared::status::MailError;
use shared::transcript::Notice;
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::mail::AddressMap;

/// A failure of a mail client: which catalogue error, and what happened (never a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct ClientError {
    /// The catalogue entry frame (3) shows.
    pub kind: MailError,
    /// Host, server reply or cause, for people, in both languages.
    pub detail: Notice,
    /// The server refused for good (an SMTP 5xx reply, or a mail it cannot take): the same
    /// request will fail the same way again.
    pub permanent: bool,
}

/// A mail that cannot be written is refused for good, as a server refuses an address.
impl From<crate::mail::text::ComposeError> for ClientError {
    fn from(err: crate::mail::text::ComposeError) -> Self {
        ClientError::quoting(MailError::SmtpRejected, err.to_string()).for_good()
    }
}

impl ClientError {
    /// An error of `kind` with a detail.
    pub fn new(kind: MailError, detail: Notice) -> Self {
        ClientError {
            kind,
            detail,
            permanent: false,
        }
    }

    /// The same error, marked as a refusal for good.
    pub fn for_good(mut self) -> Self {
        self.permanent = true;
        self
    }

    /// An error of `kind` about `target` (a server, a host name): `target: ` and the sentence.
    pub fn at(kind: MailError, target: &str, ja: impl Into<String>, en: impl Into<String>) -> Self {
        ClientError::new(kind, Notice::new(ja, en).after(target))
    }

    /// An error of `kind` quoting what is not ours to translate (a server's reply, a system
    /// error), the same in both languages.
    pub fn quoting(kind: MailError, text: impl Into<String>) -> Self {
        ClientError::new(kind, Notice::same(text))
    }

    /// The same error with a likely fix appended to its detail.
    pub fn hint(mut self, ja: &str, en: &str) -> Self {
        self.detail = self.detail.with_fix(&Notice::new(ja, en));
        self
    }

    /// Classifies an I/O error of a connection to `target`.
    pub fn io(target: &str, err: &io::Error) -> Self {
        let kind = match err.kind() {
            io::ErrorKind::ConnectionRefused => MailError::Refused,
            io::ErrorKind::TimedOut => MailError::Timeout,
            io::ErrorKind::InvalidData => MailError::Tls,
            _ => MailError::Protocol,
        };
        ClientError::quoting(kind, format!("{target}: {err}"))
    }
}

/// Where a connection really goes, and the name its certificate must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The host name as configured (used for TLS verification and messages).
    pub host: String,
    /// The port as configured (a well-known one for sandbox hosts).
    pub port: u16,
    /// The sandbox listener when the host is a sandbox host.
    pub sandbox: Option<SocketAddr>,
}

impl Route {
    /// `host:port` for messages.
    pub fn target(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Decides where host names lead: `sandbox.test` and its subdomains to the embedded ISP (its
/// listener for the service behind the port), everything else to the real network.
#[derive(Clone, Default)]
pub struct Routes {
    sandbox: Option<AddressMap>,
    /// The loopback address this client connects to the sandbox from.
    client: Option<IpAddr>,
}

impl Routes {
    /// Routes with the embedded ISP's addresses, if it runs.
    pub fn new(sandbox: Option<AddressMap>) -> Self {
        Routes {
            sandbox,
            client: None,
        }
    }

    /// Connects to the sandbox from `client` (a loopback address), so that the sandbox tells
    /// this client apart from others by address, as PopBeforeSmtp and OP25B need.
    pub fn from_address(self, client: IpAddr) -> Self {
        Routes {
            client: Some(client),
            ..self
        }
    }

    /// True for the sandbox's own host names.
    pub fn is_sandbox_host(host: &str) -> bool {
        // The settings screen warns about real servers by the same rule.
        shared::settings::is_sandbox_host(host)
    }

    /// The route to `host:port`. A sandbox host on a port no sandbox service stands for is
    /// refused, as a real server would refuse a closed port.
    pub fn route(&self, host: &str, port: u16) -> Result<Route, ClientError> {
        if !Self::is_sandbox_host(host) {
            return Ok(Route {
                host: host.to_string(),
                port,
                sandbox: None,
            });
        }
        let sandbox = self.sandbox.as_ref().ok_or_else(|| {
            ClientError::at(
                MailError::NameNotFound,
                host,
                "サンドボックスISP が止まっています",
                "the sandbox ISP is turned off",
            )
        })?;
        let listener = MailService::from_port(port)
            .and_then(|service| sandbox.endpoint(service))
            .ok_or_else(|| {
                ClientError::at(
                    MailError::Refused,
                    &format!("{host}:{port}"),
                    "接続を拒否されました（そのポートにサンドボックスのサービスはありません）",
                    "connection refused (no sandbox service on that port)",
                )
            })?;
        Ok(Route {
            host: host.to_string(),
            port,
            sandbox: Some(listener),
        })
    }

    /// Opens TCP to `route` within `limit`.
    pub async fn connect(&self, route: &Route, limit: Duration) -> Result<TcpStream, ClientError> {
        let target = route.target();
        let attempt = async {
            match route.sandbox {
                Some(addr) => connect_from(self.client, addr).await,
                None => {
                    let addrs: Vec<SocketAddr> =
                        tokio::net::lookup_host((route.host.as_str(), route.port))
                            .await
                            .map_err(|e| io::Error::new(io::ErrorKind::NotFound, e))?
                            .collect();
                    if addrs.is_empty() {
                        return Err(io::Error::new(io::ErrorKind::NotFound, "no address"));
                    }
                    TcpStream::connect(&addrs[..]).await
                }
            }
        };
        match timeout(limit, attempt).await {
            Err(_) => Err(ClientError::at(
                MailError::Timeout,
                &target,
                format!("{} 秒以内に接続できませんでした", limit.as_secs()),
                format!("no connection within {} s", limit.as_secs()),
            )),
            Ok(Err(err)) if err.kind() == io::ErrorKind::NotFound => Err(ClientError::quoting(
                MailError::NameNotFound,
                format!("{}: {err}", route.host),
            )),
            Ok(Err(err)) => Err(ClientError::io(&target, &err)),
            Ok(Ok(stream)) => {
                // Commands are small and each waits for its reply: Nagle would only delay them.
                let _ = stream.set_nodelay(true);
                Ok(stream)
            }
        }
    }
}

/// Which certificates the clients trust: the public web roots plus an optional lab CA for real
/// servers, and the sandbox's own CA for sandbox hosts only (its key sits on this disk, so it is
/// not trusted for anything else).
#[derive(Clone)]
pub struct Trust {
    public: Arc<ClientConfig>,
    sandbox: Option<Arc<ClientConfig>>,
    extra_pem: Option<String>,
    sandbox_pem: Option<String>,
}

impl Trust {
    /// Public roots, plus the PEM CA file `extra` if given, plus `sandbox_ca` for sandbox hosts.
    pub fn new(extra: Option<&Path>, sandbox_ca: Option<&str>) -> Result<Self, ClientError> {
        let extra_pem = match extra {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                ClientError::new(
                    MailError::Tls,
                    Notice::new(
                        format!("CA ファイル {}: {e}", path.display()),
                        format!("CA file {}: {e}", path.display()),
                    ),
                )
            })?),
            None => None,
        };
        let mut public = RootCertStore::empty();
        public.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = &extra_pem {
            add_pem(&mut public, pem)?;
        }
        let sandbox = match sandbox_ca {
            Some(pem) => {
                let mut roots = RootCertStore::empty();
                add_pem(&mut roots, pem)?;
                Some(client_config(roots))
            }
            None => None,
        };
        Ok(Trust {
            public: client_config(public),
            sandbox,
            extra_pem,
            sandbox_pem: sandbox_ca.map(String::from),
        })
    }

    /// The CA certificates (PEM) to add for `route`, for clients that take PEM (lettre).
    pub fn extra_pem_for(&self, route: &Route) -> Option<&str> {
        if route.sandbox.is_some() {
            self.sandbox_pem.as_deref()
        } else {
            self.extra_pem.as_deref()
        }
    }

    /// True if only the given PEM (and not the public roots) must be trusted for `route`.
    pub fn private_only(&self, route: &Route) -> bool {
        route.sandbox.is_some()
    }

    /// Starts TLS on `stream`, verifying the certificate for `route.host`.
    pub async fn handshake(
        &self,
        route: &Route,
        stream: TcpStream,
        limit: Duration,
    ) -> Result<TlsStream<TcpStream>, ClientError> {
        let config = match (&route.sandbox, &self.sandbox) {
            (Some(_), Some(config)) => Arc::clone(config),
            (Some(_), None) => {
                return Err(ClientError::new(
                    MailError::Tls,
                    Notice::new(
                        "サンドボックスの証明書を確認する CA がありません",
                        "no sandbox CA to verify the sandbox's certificate",
                    ),
                ));
            }
            (None, _) => Arc::clone(&self.public),
        };
        let name = ServerName::try_from(route.host.clone())
            .map_err(|e| ClientError::quoting(MailError::Tls, format!("{}: {e}", route.host)))?;
        match timeout(limit, TlsConnector::from(config).connect(name, stream)).await {
            Err(_) => Err(ClientError::at(
                MailError::Timeout,
                &route.target(),
                "TLS のハンドシェイクが時間内に終わりませんでした",
                "TLS handshake timed out",
            )),
            Ok(Err(err)) => Err(ClientError::quoting(
                MailError::Tls,
                format!("{}: {err}", route.target()),
            )),
            Ok(Ok(tls)) => Ok(tls),
        }
    }
}

fn add_pem(roots: &mut RootCertStore, pem: &str) -> Result<(), ClientError> {
    let mut added = 0;
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert
            .map_err(|e| ClientError::at(MailError::Tls, "CA PEM", e.to_string(), e.to_string()))?;
        roots.add(cert).map_err(|e| {
            ClientError::new(
                MailError::Tls,
                Notice::new(format!("CA 証明書: {e}"), format!("CA certificate: {e}")),
            )
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(ClientError::new(
            MailError::Tls,
            Notice::new(
                "CA の PEM に証明書がありません",
                "CA PEM holds no certificate",
            ),
        ));
    }
    Ok(())
}

fn client_config(roots: RootCertStore) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// The clients' connection before or after TLS.
pub type MaybeTls = crate::tls::stream::MaybeTls<TlsStream<TcpStream>>;

/// Connects to the sandbox listener `addr` from `client` when both are IPv4 loopback; from
/// the system's choice of address otherwise, or if that address cannot be bound (systems that
/// answer only on 127.0.0.1).
async fn connect_from(client: Option<IpAddr>, addr: SocketAddr) -> io::Result<TcpStream> {
    if let (Some(IpAddr::V4(from)), SocketAddr::V4(to)) = (client, addr)
        && from.is_loopback()
        && to.ip().is_loopback()
    {
        let socket = TcpSocket::new_v4()?;
        match socket.bind(SocketAddr::new(from.into(), 0)) {
            Ok(()) => return socket.connect(addr).await,
            Err(error) => tracing::warn!(
                %from, %error,
                "cannot connect to the sandbox from the client's own address"
            ),
        }
    }
    TcpStream::connect(addr).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_hosts_are_recognised_by_domain() {
        for host in ["sandbox.test", "mail.sandbox.test", "POP.Sandbox.Test."] {
            assert!(Routes::is_sandbox_host(host), "{host}");
        }
        for host in [
            "sandbox.testing",
            "evilsandbox.test",
            "example.com",
            "127.0.0.1",
        ] {
            assert!(!Routes::is_sandbox_host(host), "{host}");
        }
    }

    #[test]
    fn without_a_sandbox_its_names_do_not_resolve_and_real_hosts_pass_through() {
        let routes = Routes::new(None);
        let err = routes.route("mail.sandbox.test", 110).unwrap_err();
        assert_eq!(err.kind, MailError::NameNotFound);
        let real = routes.route("pop.example.jp", 995).unwrap();
        assert_eq!(
            (real.sandbox, real.target().as_str()),
            (None, "pop.example.jp:995")
        );
    }

    #[tokio::test]
    async fn refused_and_unknown_hosts_are_classified() {
        let routes = Routes::new(None);
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let route = routes.route("127.0.0.1", port).unwrap();
        let err = routes
            .connect(&route, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(err.kind, MailError::Refused, "{err}");
        let route = routes.route("no-such-host.invalid", 110).unwrap();
        let err = routes
            .connect(&route, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(err.kind, MailError::NameNotFound, "{err}");
    }

    #[test]
    fn a_bad_ca_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = Trust::new(Some(&path), None).err().unwrap();
        assert_eq!(err.kind, MailError::Tls);
        assert!(Trust::new(None, None).is_ok());
    }
}
