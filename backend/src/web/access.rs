//! Who may open `/ws`: the Origin check against cross-site WebSocket hijacking and the access
//! token for non-loopback listeners. Pure, so every rule is tested without a socket.

/// The access rules of one server.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    token: Option<String>,
    extra_origins: Vec<String>,
}

/// Why a `/ws` request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
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

impl AccessPolicy {
    /// Rules with an optional token and origins allowed besides the page's own.
    pub fn new(token: Option<String>, extra_origins: Vec<String>) -> Self {
        AccessPolicy {
            token,
            extra_origins,
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

/// Compares without returning early, so response time does not reveal the token's prefix.
fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: Option<&str> = Some("127.0.0.1:8080");

    #[test]
    fn the_page_own_origin_is_allowed() {
        let open = AccessPolicy::new(None, vec![]);
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
        let open = AccessPolicy::new(None, vec![]);
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
        let dev = AccessPolicy::new(None, vec!["http://127.0.0.1:8081".into()]);
        assert_eq!(dev.check(Some("http://127.0.0.1:8081"), HOST, None), Ok(()));
        assert!(
            dev.check(Some("http://127.0.0.1:8082"), HOST, None)
                .is_err()
        );
    }

    #[test]
    fn a_token_when_set_is_required() {
        let guarded = AccessPolicy::new(Some("0123456789abcdef".into()), vec![]);
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

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(!constant_time_eq("", "a"));
        assert!(constant_time_eq("", ""));
    }
}
