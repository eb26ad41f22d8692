//! The client's address behind reverse proxies, from `X-Forwarded-For`.
//!
//! Anyone can send the header, so it is believed only as far as it was written by proxies we
//! trust: unless the TCP peer is a trusted proxy the header is ignored; otherwise the list is
//! read from the right (each proxy appends the address it was connected from) past every
//! trusted proxy, and the first address that is not one is the client. Entries left of it were
//! written by the client or by proxies we do not know, and are never used. Pure, so each rule is
//! tested without a socket.

use std::net::{IpAddr, SocketAddr};

/// The address the request comes from: `peer` unless a trusted proxy vouches for another.
/// `forwarded_for` are the `X-Forwarded-For` header values in the order received.
pub(crate) fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| is_trusted(ip, trusted);
    let mut client = peer.to_canonical();
    if !is_trusted(client) {
        return client;
    }
    let entries: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|value| value.split(','))
        .collect();
    for entry in entries.into_iter().rev() {
        // A hop that cannot be read ends what can be vouched for: the last proxy that wrote it
        // is as far as we know.
        let Some(hop) = parse_hop(entry) else {
            break;
        };
        client = hop;
        if !is_trusted(hop) {
            break;
        }
    }
    client
}

/// True if `ip` is one of the `trusted` proxies (an IPv4 address also in its mapped IPv6 form).
pub(crate) fn is_trusted(ip: IpAddr, trusted: &[IpAddr]) -> bool {
    let ip = ip.to_canonical();
    trusted.iter().any(|t| t.to_canonical() == ip)
}

/// One entry: an address, optionally with a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn from(peer: &str, header: &[&str], trusted: &[&str]) -> IpAddr {
        let trusted: Vec<IpAddr> = trusted.iter().map(|t| ip(t)).collect();
        client_address(ip(peer), header.iter().copied(), &trusted)
    }

    const PROXY: &str = "127.0.0.1";

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        assert_eq!(from("192.0.2.7", &["203.0.113.9"], &[]), ip("192.0.2.7"));
        assert_eq!(
            from("192.0.2.7", &["203.0.113.9"], &[PROXY]),
            ip("192.0.2.7")
        );
        assert_eq!(from(PROXY, &["203.0.113.9"], &[]), ip(PROXY));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client() {
        assert_eq!(from(PROXY, &["203.0.113.9"], &[PROXY]), ip("203.0.113.9"));
        // The client forged the first entry; the proxy appended the real one.
        assert_eq!(
            from(PROXY, &["203.0.113.9, 127.0.0.9"], &[PROXY]),
            ip("127.0.0.9")
        );
        // Two proxies of ours in a row, the header split over two lines.
        assert_eq!(
            from(
                PROXY,
                &["203.0.113.9, 198.51.100.4", "10.0.0.2"],
                &[PROXY, "10.0.0.2"]
            ),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn without_a_usable_entry_the_nearest_known_hop_is_the_client() {
        assert_eq!(from(PROXY, &[], &[PROXY]), ip(PROXY));
        assert_eq!(from(PROXY, &[""], &[PROXY]), ip(PROXY));
        assert_eq!(from(PROXY, &["unknown"], &[PROXY]), ip(PROXY));
        assert_eq!(
            from(
                PROXY,
                &["203.0.113.9, garbage, 10.0.0.2"],
                &[PROXY, "10.0.0.2"]
            ),
            ip("10.0.0.2")
        );
        // Every hop a proxy of ours: the farthest one.
        assert_eq!(
            from(PROXY, &["10.0.0.2, 127.0.0.1"], &[PROXY, "10.0.0.2"]),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ports_brackets_and_mapped_addresses_are_understood() {
        assert_eq!(
            from(PROXY, &[" 192.0.2.1:4711 "], &[PROXY]),
            ip("192.0.2.1")
        );
        assert_eq!(
            from(PROXY, &["[2001:db8::1]:4711"], &[PROXY]),
            ip("2001:db8::1")
        );
        assert_eq!(from(PROXY, &["2001:db8::1"], &[PROXY]), ip("2001:db8::1"));
        // A dual-stack listener sees IPv4 peers as mapped IPv6 addresses.
        assert_eq!(
            from("::ffff:127.0.0.1", &["::ffff:192.0.2.1"], &[PROXY]),
            ip("192.0.2.1")
        );
        assert_eq!(from("::ffff:192.0.2.7", &[], &[]), ip("192.0.2.7"));
    }
}
