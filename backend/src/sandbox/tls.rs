//! The sandbox ISP's TLS: a private CA and a server certificate for the sandbox's host names,
//! generated at first start and kept in the data directory, so clients that trust the CA once
//! (the engine does so automatically for sandbox hosts; curl with `--cacert`) keep trusting it.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use tokio_rustls::TlsAcceptor;

use crate::tls::pem::{PemError, acceptor_from_pem, write_private};

/// The names the server certificate is valid for.
pub const HOST_NAMES: &[&str] = &[
    "sandbox.test",
    "mail.sandbox.test",
    "pop.sandbox.test",
    "smtp.sandbox.test",
    "localhost",
];

const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca.key";
const SERVER_CERT: &str = "server.pem";
const SERVER_KEY: &str = "server.key";

/// Why the sandbox's TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Reading or writing the key files failed.
    #[error("sandbox TLS files in {dir}: {source}")]
    Io {
        /// The folder of the files.
        dir: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Generating a certificate failed.
    #[error("generating the sandbox certificates: {0}")]
    Generate(#[from] rcgen::Error),
    /// The stored files are not usable certificates or keys.
    #[error("sandbox TLS files in {dir} are unusable ({reason}); delete the folder to regenerate")]
    Unusable {
        /// The folder of the files.
        dir: PathBuf,
        /// What is wrong.
        reason: PemError,
    },
}

/// The sandbox's CA and the acceptor for its servers.
#[derive(Clone)]
pub struct SandboxTls {
    ca_pem: String,
    acceptor: TlsAcceptor,
}

impl SandboxTls {
    /// Loads the CA and certificate from `dir`, generating them on first use.
    pub fn load_or_create(dir: &Path) -> Result<Self, TlsError> {
        let io = |source| TlsError::Io {
            dir: dir.to_path_buf(),
            source,
        };
        let files = [CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY].map(|f| dir.join(f));
        if !files.iter().all(|f| f.is_file()) {
            fs::create_dir_all(dir).map_err(io)?;
            let generated = generate()?;
            for (path, content) in files.iter().zip(&generated) {
                write_private(path, content).map_err(io)?;
            }
        }
        let read = |name: &str| fs::read_to_string(dir.join(name)).map_err(io);
        let ca_pem = read(CA_CERT)?;
        let unusable = |reason: PemError| TlsError::Unusable {
            dir: dir.to_path_buf(),
            reason,
        };
        let acceptor =
            acceptor_from_pem(&read(SERVER_CERT)?, &read(SERVER_KEY)?).map_err(unusable)?;
        Ok(SandboxTls { ca_pem, acceptor })
    }

    /// The CA certificate (PEM) that clients trust to talk to the sandbox.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The acceptor for STLS, STARTTLS and the implicit-TLS ports.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }
}

/// A new CA and a server certificate signed by it: [ca cert, ca key, server cert, server key].
fn generate() -> Result<[String; 4], rcgen::Error> {
    let mut ca = CertificateParams::default();
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::CommonName, "KaracrixBuilder sandbox ISP CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;

    let mut server =
        CertificateParams::new(HOST_NAMES.iter().map(|h| h.to_string()).collect::<Vec<_>>())?;
    server
        .subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    server.distinguished_name = DistinguishedName::new();
    server
        .distinguished_name
        .push(DnType::CommonName, "mail.sandbox.test");
    server.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = KeyPair::generate()?;
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca, &ca_key);
    let server_cert = server.signed_by(&server_key, &issuer)?;
    Ok([
        ca_pem,
        ca_key.serialize_pem(),
        server_cert.pem(),
        server_key.serialize_pem(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_are_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = SandboxTls::load_or_create(dir.path()).unwrap();
        assert!(first.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        let again = SandboxTls::load_or_create(dir.path()).unwrap();
        assert_eq!(first.ca_pem(), again.ca_pem());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(CA_KEY))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "keys must not be readable by others");
        }
    }

    #[tokio::test]
    async fn a_client_trusting_the_ca_completes_a_handshake_for_each_host_name() {
        use std::sync::Arc;

        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio_rustls::TlsConnector;
        use tokio_rustls::rustls::crypto::ring;
        use tokio_rustls::rustls::pki_types::CertificateDer;
        use tokio_rustls::rustls::pki_types::ServerName;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::{ClientConfig, RootCertStore};

        let dir = tempfile::tempdir().unwrap();
        let tls = SandboxTls::load_or_create(dir.path()).unwrap();
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(tls.ca_pem().as_bytes()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let client = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = TlsConnector::from(Arc::new(client));
        for name in ["mail.sandbox.test", "localhost", "127.0.0.1"] {
            let (client_io, server_io) = tokio::io::duplex(16 * 1024);
            let acceptor = tls.acceptor();
            let server = tokio::spawn(async move {
                let mut stream = acceptor.accept(server_io).await.unwrap();
                stream.write_all(b"+OK").await.unwrap();
                stream.shutdown().await.unwrap();
            });
            let server_name = ServerName::try_from(name.to_string()).unwrap();
            let mut stream = connector.connect(server_name, client_io).await.unwrap();
            let mut greeting = Vec::new();
            stream.read_to_end(&mut greeting).await.unwrap();
            assert_eq!(greeting, b"+OK", "{name}");
            server.await.unwrap();
        }
    }

    #[test]
    fn damaged_files_are_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        SandboxTls::load_or_create(dir.path()).unwrap();
        fs::write(dir.path().join(SERVER_KEY), "garbage").unwrap();
        let err = SandboxTls::load_or_create(dir.path()).err().unwrap();
        assert!(err.to_string().contains("unusable"), "{err}");
    }
}
