//! Who is asking, as far as the request tells: the client's address (through trusted proxies,
//! see [`super::forwarded`]), whether the page is served over HTTPS (so cookies get `Secure`),
//! and the session cookie the browser carries. The cookie rules are pure and tested here.

use std::net::{IpAddr, Ipv4Addr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use shared::classroom::SESSION_COOKIE;

use super::AppState;
use super::forwarded::{client_address, is_trusted};
use super::listener::Peer;

/// The cookie that tells a proxy in front of several back ends which class (so which back end)
/// this browser belongs to; not secret, so scripts may read it.
pub(crate) const CLASS_COOKIE: &str = "kx_class";

/// The request's client, by address, transport and session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// Where the browser connects from.
    pub(crate) from: IpAddr,
    /// The page is served over HTTPS (here or at a trusted proxy).
    pub(crate) https: bool,
    /// The session cookie's secret, if the browser sent one.
    pub(crate) session: Option<String>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Served without connection info (an in-process test router): nobody in particular.
        let peer = parts
            .extensions
            .get::<ConnectInfo<Peer>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.0.ip());
        Ok(Caller::of(
            peer,
            &parts.headers,
            &state.trusted_proxies,
            state.https,
        ))
    }
}

impl Caller {
    /// The caller of a request from `peer` with `headers`, `trusted` proxies in front, on a
    /// server that itself serves HTTPS when `own_https`.
    pub(crate) fn of(
        peer: IpAddr,
        headers: &HeaderMap,
        trusted: &[IpAddr],
        own_https: bool,
    ) -> Self {
        let values = |name| headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
        // The scheme our proxy wrote: the last one, should others have appended theirs.
        let proxied_https = is_trusted(peer, trusted)
            && values("x-forwarded-proto")
                .flat_map(|v| v.split(','))
                .last()
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
        Caller {
            from: client_address(peer, values("x-forwarded-for"), trusted),
            https: own_https || proxied_https,
            session: cookie(headers, SESSION_COOKIE).map(str::to_string),
        }
    }

    /// `Set-Cookie` for the session: never readable by scripts, never sent by another site.
    pub(crate) fn session_cookie(&self, secret: &str) -> HeaderValue {
        self.set_cookie(SESSION_COOKIE, secret, "; HttpOnly")
    }

    /// `Set-Cookie` for the class code a routing proxy reads.
    pub(crate) fn class_cookie(&self, class: &str) -> HeaderValue {
        self.set_cookie(CLASS_COOKIE, class, "")
    }

    fn set_cookie(&self, name: &str, value: &str, extra: &str) -> HeaderValue {
        let secure = if self.https { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}{extra}; SameSite=Strict; Path=/{secure}"
        ))
        .expect("cookie values are URL-safe tokens and class codes")
    }
}

/// The value of cookie `name` in the request's `Cookie` headers (the first, if repeated).
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "kx_class=A; kx_session=s3cret; theme=dark")]);
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("s3cret"));
        assert_eq!(cookie(&h, CLASS_COOKIE), Some("A"));
        let h = headers(&[("cookie", "a=1"), ("cookie", "kx_session=\"x\"")]);
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("x"));
        for absent in [
            "",
            "kx_session=",
            "kx_sessionx=1",
            "xkx_session=1",
            "kx_session",
        ] {
            let h = headers(&[("cookie", absent)]);
            assert_eq!(cookie(&h, SESSION_COOKIE), None, "{absent}");
        }
    }

    #[test]
    fn cookies_are_strict_and_secure_over_https() {
        let plain = Caller::of(ip("127.0.0.1"), &HeaderMap::new(), &[], false);
        assert_eq!(
            plain.session_cookie("abc"),
            "kx_session=abc; HttpOnly; SameSite=Strict; Path=/"
        );
        assert_eq!(
            plain.class_cookie("A1"),
            "kx_class=A1; SameSite=Strict; Path=/"
        );
        let tls = Caller::of(ip("127.0.0.1"), &HeaderMap::new(), &[], true);
        assert_eq!(
            tls.session_cookie("abc"),
            "kx_session=abc; HttpOnly; SameSite=Strict; Path=/; Secure"
        );
    }

    #[test]
    fn only_a_trusted_proxy_vouches_for_the_address_and_https() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9, 198.51.100.4"),
            ("x-forwarded-proto", "https"),
        ]);
        let direct = Caller::of(ip("192.0.2.7"), &h, &[ip("127.0.0.1")], false);
        assert_eq!(direct.from, ip("192.0.2.7"));
        assert!(!direct.https);
        let proxied = Caller::of(ip("127.0.0.1"), &h, &[ip("127.0.0.1")], false);
        assert_eq!(proxied.from, ip("198.51.100.4"));
        assert!(proxied.https);
        let h = headers(&[("x-forwarded-proto", "http")]);
        assert!(!Caller::of(ip("127.0.0.1"), &h, &[ip("127.0.0.1")], false).https);
    }
}
