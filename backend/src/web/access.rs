//! Who may use the web UI: the `Host` check against DNS rebinding (every request), and for `/ws`
//! the Origin check against cross-site WebSocket hijacking and the access token for non-loopback
//! listeners. Pure, so every rule is tested without a socket.
//!
//! DNS rebinding: a page at `http://rebind.example:8080` whose name the attacker points at
//! 127.0.0.1 is same-origin with itself, so its `Origin` matches its `Host` and the Origin check
//! alone passes. What it cannot change is the name in `Host`; so only names of this server are
//! served (as Jupyter's `allow_remote_access` and the webpack dev server's `allowedHosts` do).

use std::net::IpAddr;

use axum::http::StatusCode;
use shared::secret::constant_time_eq;
use shared::transcript::Notice;

/// The access rules of one server.
#[derive(Clone)]
pub struct AccessPolicy {
    token: Option<String>,
    extra_origins: Vec<String>,
    hosts: HostPolicy,
}

impl std::fmt::Debug for AccessPolicy {
    // The token is a password: never in a log or a test failure.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessPolicy")
            .field("token", &self.token.as_ref().map(|_| "****"))
            .field("extra_origins", &self.extra_origins)
            .field("hosts", &self.hosts)
            .finish()
    }
}

/// The names in `Host` that mean this server: loopback names and addresses, the address it
/// listens on, and the names the user allowed with `--allow-host`.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    listen: IpAddr,
    names: Vec<String>,
}

impl HostPolicy {
    /// The names for a server listening on `listen`, with `names` allowed besides.
    pub fn new(listen: IpAddr, names: &[String]) -> Self {
        HostPolicy {
            listen,
            names: names.iter().map(|n| normalize(n)).collect(),
        }
    }

    /// True if `host` (a `Host` header: name or address, with or without a port) names this
    /// server.
    pub fn allows(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        if let Ok(ip) = name.parse::<IpAddr>() {
            // An address cannot be rebound: a page loaded from it really came from it. On an
            // unspecified listen address (0.0.0.0, ::) every address of the machine is ours.
            return ip.is_loopback() || ip == self.listen || self.listen.is_unspecified();
        }
        // RFC 6761 6.3: `localhost` and names under it are always loopback (browsers hard-wire
        // them, so a rebinding server cannot answer for them).
        name == "localhost" || name.ends_with(".localhost") || self.names.contains(&name)
    }
}

/// The name or address in a `Host` header, without port, brackets or final dot, lower-cased.
/// `None` when it is not a plausible host.
fn host_name(host: &str) -> Option<String> {
    let host = host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return inside
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|ip| ip.to_string());
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if is_port(port) => name,
        Some(_) => return None,
        None => host,
    };
    let name = normalize(name);
    let plausible = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    plausible.then_some(name)
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Lower case and without the final dot (`localhost.` is `localhost`).
fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The `Host` header names another server (DNS rebinding) or is missing.
    #[error(
        "このサーバーは {host:?} という名前では使えません。この名前で開くには --allow-host で許可してください。\n\
         This server does not answer to the name {host:?}; to use it by this name, start it with --allow-host."
    )]
    ForeignHost {
        /// The refused Host header (empty when there was none).
        host: String,
    },
    /// The page that opened the socket is from another site.
    #[error("origin {origin:?} may not open this WebSocket (expected the page's own origin)")]
    ForeignOrigin {
        /// The refused Origin header.
        origin: String,
    },
    /// The token is missing or wrong.
    #[error("missing or wrong access token")]
    BadToken,
}

impl Refusal {
    /// The refusal as a page shows it, in both languages.
    pub fn notice(&self) -> Notice {
        match self {
            Refusal::ForeignHost { host } => Notice::new(
                format!("このサーバーは {host:?} という名前では使えません。"),
                format!("This server does not answer to the name {host:?}."),
            ),
            Refusal::ForeignOrigin { origin } => Notice::new(
                format!(
                    "{origin} のページからは使えません。このサーバーのページから操作してください。"
                ),
                format!(
                    "A page from {origin} may not use this server; use this server's own page."
                ),
            ),
            Refusal::BadToken => Notice::new(
                "アクセストークンがないか、違います。",
                "The access token is missing or wrong.",
            ),
        }
    }

    /// The HTTP status of the refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::ForeignHost { .. } | Refusal::ForeignOrigin { .. } => StatusCode::FORBIDDEN,
            Refusal::BadToken => StatusCode::UNAUTHORIZED,
        }
    }
}

impl AccessPolicy {
    /// Rules with an optional token, origins allowed besides the page's own, and the names that
    /// mean this server.
    pub fn new(token: Option<String>, extra_origins: Vec<String>, hosts: HostPolicy) -> Self {
        AccessPolicy {
            token,
            extra_origins,
            hosts,
        }
    }

    /// Decides on any request from its `Host` header: only names of this server are served,
    /// and a request without `Host` (no browser sends one) is refused too.
    pub fn check_host(&self, host: Option<&str>) -> Result<(), Refusal> {
        match host {
            Some(host) if self.hosts.allows(host) => Ok(()),
            _ => Err(Refusal::ForeignHost {
                host: host.unwrap_or_default().to_string(),
            }),
        }
    }

    /// Decides on a `/ws` request from its `Origin` and `Host` headers and the token it carries
    /// (from `?token=` or an `Authorization: Bearer` header).
    pub fn check(
        &self,
        origin: Option<&str>,
        host: Option<&str>,
        token: Option<&str>,
    ) -> Result<(), Refusal> {
        self.check_host(host)?;
        self.check_origin(origin, host)?;
        match &self.token {
            Some(expected) if !token.is_some_and(|t| constant_time_eq(t, expected)) => {
                Err(Refusal::BadToken)
            }
            _ => Ok(()),
        }
    }

    /// Browsers always send `Origin` on a WebSocket handshake; a request without one comes from a
    /// program, which cross-site hijacking cannot use, so it passes (the token still applies).
    fn check_origin(&self, origin: Option<&str>, host: Option<&str>) -> Result<(), Refusal> {
        let Some(origin) = origin else {
            return Ok(());
        };
        let same_site = ["http://", "https://"]
            .iter()
            .filter_map(|scheme| origin.strip_prefix(scheme))
            .any(|authority| host.is_some_and(|host| authority.eq_ignore_ascii_case(host)));
        let listed = self
            .extra_origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin));
        if same_site || listed {
            Ok(())
        } else {
            Err(Refusal::ForeignOrigin {
                origin: origin.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: Option<&str> = Some("127.0.0.1:8080");

    fn policy(token: Option<String>, origins: Vec<String>) -> AccessPolicy {
        let hosts = HostPolicy::new("127.0.0.1".parse().unwrap(), &[]);
        AccessPolicy::new(token, origins, hosts)
    }

    fn hosts(listen: &str, names: &[&str]) -> HostPolicy {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        HostPolicy::new(listen.parse().unwrap(), &names)
    }

    #[test]
    fn loopback_names_and_addresses_are_this_server() {
        let local = hosts("127.0.0.1", &[]);
        for host in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "127.1.2.3:80",
            "localhost:8080",
            "LOCALHOST.:8080",
            "app.localhost",
            "[::1]:8080",
            "[::1]",
            "[0:0:0:0:0:0:0:1]:8080",
        ] {
            assert!(local.allows(host), "{host}");
        }
    }

    #[test]
    fn rebound_and_malformed_names_are_refused() {
        let local = hosts("127.0.0.1", &["plant.example"]);
        for host in [
            "rebind.example:8080",
            "127.0.0.1.rebind.example",
            "localhost.rebind.example",
            "localhostx",
            "192.0.2.1:8080",
            "",
            "127.0.0.1:80:80",
            "127.0.0.1:port",
            "[::1",
            "[::1]x",
            "[evil.example]:80",
            "evil example",
            "user@127.0.0.1",
            "::1",
        ] {
            assert!(!local.allows(host), "{host}");
        }
    }

    #[test]
    fn the_listen_address_and_allowed_names_are_this_server() {
        let lan = hosts("192.0.2.7", &["Plant.Example."]);
        assert!(lan.allows("192.0.2.7:8080"));
        assert!(lan.allows("plant.example:8080"));
        assert!(lan.allows("PLANT.example"));
        assert!(!lan.allows("192.0.2.8:8080"));
        assert!(!lan.allows("other.example"));
        // Every address of the machine when listening on all of them; names still need a list.
        let all = hosts("0.0.0.0", &[]);
        assert!(all.allows("192.0.2.8:8080"));
        assert!(all.allows("[2001:db8::1]:8080"));
        assert!(!all.allows("plant.example:8080"));
    }

    #[test]
    fn a_forged_host_and_origin_pair_is_refused_before_the_origin_check() {
        let open = policy(None, vec![]);
        let forged = open.check(
            Some("http://rebind.example:8080"),
            Some("rebind.example:8080"),
            None,
        );
        assert_eq!(
            forged,
            Err(Refusal::ForeignHost {
                host: "rebind.example:8080".into()
            })
        );
        assert!(matches!(
            open.check_host(None),
            Err(Refusal::ForeignHost { .. })
        ));
    }

    #[test]
    fn the_page_own_origin_is_allowed() {
        let open = policy(None, vec![]);
        assert_eq!(
            open.check(Some("http://127.0.0.1:8080"), HOST, None),
            Ok(())
        );
        assert_eq!(
            open.check(Some("https://127.0.0.1:8080"), HOST, None),
            Ok(())
        );
        assert_eq!(open.check(None, HOST, None), Ok(()));
    }

    #[test]
    fn foreign_origins_are_refused() {
        let open = policy(None, vec![]);
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8080.evil.example",
            "null",
            "127.0.0.1:8080",
            "ftp://127.0.0.1:8080",
        ] {
            assert!(
                matches!(
                    open.check(Some(origin), HOST, None),
                    Err(Refusal::ForeignOrigin { .. })
                ),
                "{origin}"
            );
        }
        assert!(
            open.check(Some("http://127.0.0.1:8080"), None, None)
                .is_err()
        );
    }

    #[test]
    fn listed_origins_are_allowed() {
        let dev = policy(None, vec!["http://127.0.0.1:8081".into()]);
        assert_eq!(dev.check(Some("http://127.0.0.1:8081"), HOST, None), Ok(()));
        assert!(
            dev.check(Some("http://127.0.0.1:8082"), HOST, None)
                .is_err()
        );
    }

    #[test]
    fn every_refusal_is_said_in_both_languages() {
        for refusal in [
            Refusal::ForeignHost {
                host: "rebind.example".into(),
            },
            Refusal::ForeignOrigin {
                origin: "http://evil.example".into(),
            },
            Refusal::BadToken,
        ] {
            let notice = refusal.notice();
            assert!(!notice.ja.is_empty() && !notice.en.is_empty());
            assert_ne!(notice.ja, notice.en);
            assert!(refusal.status().is_client_error());
        }
    }

    #[test]
    fn a_token_when_set_is_required() {
        let guarded = policy(Some("0123456789abcdef".into()), vec![]);
        let origin = Some("http://127.0.0.1:8080");
        assert_eq!(
            guarded.check(origin, HOST, Some("0123456789abcdef")),
            Ok(())
        );
        assert_eq!(guarded.check(origin, HOST, None), Err(Refusal::BadToken));
        assert_eq!(
            guarded.check(origin, HOST, Some("0123456789abcdeF")),
            Err(Refusal::BadToken)
        );
        assert_eq!(
            guarded.check(origin, HOST, Some("0123456789abcde")),
            Err(Refusal::BadToken)
        );
        assert_eq!(guarded.check(None, HOST, Some("")), Err(Refusal::BadToken));
    }
}
