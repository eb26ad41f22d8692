//! A TLS server from PEM files, and writing key files only their owner can read. Used by the
//! sandbox ISP's generated CA and by the web UI's HTTPS.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// Why a certificate chain and key do not make a TLS server.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    /// The certificate file is not PEM certificates.
    #[error("server certificate: {0}")]
    Certificate(rustls::pki_types::pem::Error),
    /// The certificate file holds no certificate.
    #[error("no certificate in the certificate file")]
    NoCertificate,
    /// The key file is not a PEM private key.
    #[error("server key: {0}")]
    Key(rustls::pki_types::pem::Error),
    /// rustls refused the pair (e.g. the key does not match the certificate).
    #[error("{0}")]
    Rejected(#[from] rustls::Error),
}

/// A TLS server for a certificate chain and its key, both PEM.
pub fn acceptor_from_pem(chain_pem: &str, key_pem: &str) -> Result<TlsAcceptor, PemError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(PemError::Certificate)?;
    if chain.is_empty() {
        return Err(PemError::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(PemError::Key)?;
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Writes a file readable by its owner only (keys are secrets).
pub fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?
            .write_all(content.as_bytes())
    }
    #[cfg(not(unix))]
    fs::write(path, content)
}
