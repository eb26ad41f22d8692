//! HTTPS for the web UI when it listens beyond loopback: there the access token and every
//! setting would otherwise cross the network in clear. The certificate is the user's
//! (`--tls-cert`, `--tls-key`) or, failing that, a self-signed one generated at first start and
//! kept in the data directory (so the browser's exception, once accepted, holds), for the names
//! the server answers to. Plain HTTP beyond loopback needs `--insecure-http`.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
use tokio_rustls::TlsAcceptor;

use crate::config::Config;
use crate::tls::pem::{PemError, acceptor_from_pem, write_private};

/// Where the generated certificate is kept, inside the data directory.
pub const GENERATED_DIR: &str = "web-tls";
const CERT: &str = "cert.pem";
const KEY: &str = "key.pem";
/// The names the generated certificate was made for; a change of names makes a new one.
const NAMES: &str = "names.txt";

/// Why HTTPS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum WebTlsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Generating the certificate failed.
    #[error("generating the web UI's certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// The certificate or key is not usable.
    #[error("the web UI's certificate {cert} is unusable: {reason}")]
    Unusable {
        /// The certificate file.
        cert: PathBuf,
        /// What is wrong.
        reason: PemError,
    },
}

/// The TLS server for `config`: the given certificate, a generated one when listening beyond
/// loopback, or `None` for plain HTTP (loopback, or `--insecure-http`).
pub fn acceptor(config: &Config) -> Result<Option<TlsAcceptor>, WebTlsError> {
    let (cert, key) = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => (cert.clone(), key.clone()),
        _ if config.listen.ip().is_loopback() || config.insecure_http => return Ok(None),
        _ => generated(
            &config.data_dir.join(GENERATED_DIR),
            config.listen.ip(),
            &config.allowed_hosts,
        )?,
    };
    let read = |path: &Path| {
        fs::read_to_string(path).map_err(|source| WebTlsError::Io {
            path: path.to_path_buf(),
            source,
        })
    };
    acceptor_from_pem(&read(&cert)?, &read(&key)?)
        .map(Some)
        .map_err(|reason| WebTlsError::Unusable { cert, reason })
}

/// The generated certificate and key for these names, made now if missing or made for others.
fn generated(
    dir: &Path,
    listen: IpAddr,
    hosts: &[String],
) -> Result<(PathBuf, PathBuf), WebTlsError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WebTlsError::Io { path, source }
    };
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    if !listen.is_unspecified() {
        names.push(listen.to_string());
    }
    names.extend(hosts.iter().cloned());
    let listed = names.join("\n");
    let (cert, key, names_file) = (dir.join(CERT), dir.join(KEY), dir.join(NAMES));
    let current = fs::read_to_string(&names_file).ok();
    if current.as_deref() != Some(listed.as_str()) || !cert.is_file() || !key.is_file() {
        crate::store::create_private_dir(dir).map_err(io(dir))?;
        let (cert_pem, key_pem) = self_signed(&names)?;
        write_private(&key, &key_pem).map_err(io(&key))?;
        fs::write(&cert, cert_pem).map_err(io(&cert))?;
        fs::write(&names_file, &listed).map_err(io(&names_file))?;
        tracing::info!(cert = %cert.display(), "generated a self-signed certificate for the web UI");
    }
    Ok((cert, key))
}

/// A self-signed certificate for `names` (host names and addresses), and its key, as PEM.
fn self_signed(names: &[String]) -> Result<(String, String), rcgen::Error> {
    let (addresses, hosts): (Vec<&String>, Vec<&String>) =
        names.iter().partition(|n| n.parse::<IpAddr>().is_ok());
    let mut params = CertificateParams::new(hosts.into_iter().cloned().collect::<Vec<_>>())?;
    params.subject_alt_names.extend(
        addresses
            .into_iter()
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .map(SanType::IpAddress),
    );
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "KaracrixBuilder e-mail simulator");
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(listen: &str, data: &Path) -> Config {
        Config::local(listen.parse().unwrap(), data.to_path_buf(), "s".into())
    }

    #[test]
    fn loopback_is_plain_and_other_addresses_get_a_kept_certificate() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            acceptor(&config("127.0.0.1:0", dir.path()))
                .unwrap()
                .is_none()
        );
        let mut lan = config("0.0.0.0:0", dir.path());
        assert!(acceptor(&lan).unwrap().is_some());
        let cert = dir.path().join(GENERATED_DIR).join(CERT);
        let first = fs::read_to_string(&cert).unwrap();
        acceptor(&lan).unwrap();
        assert_eq!(
            fs::read_to_string(&cert).unwrap(),
            first,
            "kept across starts"
        );
        lan.allowed_hosts = vec!["plant-pc.local".into()];
        acceptor(&lan).unwrap();
        assert_ne!(
            fs::read_to_string(&cert).unwrap(),
            first,
            "new names, new certificate"
        );
        lan.insecure_http = true;
        assert!(acceptor(&lan).unwrap().is_none());
    }

    #[test]
    fn a_given_certificate_is_used_and_a_bad_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert_pem, key_pem) = self_signed(&["plant.example".into()]).unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        fs::write(&cert, cert_pem).unwrap();
        fs::write(&key, "not a key").unwrap();
        let mut c = config("127.0.0.1:0", dir.path());
        c.tls_cert = Some(cert.clone());
        c.tls_key = Some(key.clone());
        let err = acceptor(&c).err().unwrap();
        assert!(err.to_string().contains("unusable"), "{err}");
        fs::write(&key, key_pem).unwrap();
        assert!(acceptor(&c).unwrap().is_some());
        assert!(!dir.path().join(GENERATED_DIR).exists());
    }
}
