//! PopBeforeSmtp: a successful POP3 login from an address lets that address send mail for a
//! while. The POP3 server records logins; the SMTP server asks before accepting a relay.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The window of a real ISP's PopBeforeSmtp, typically a few minutes.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Recent POP3 logins by client address. Cheap to clone; clones share the record.
#[derive(Clone, Default)]
pub struct PopBeforeSmtp {
    logins: Arc<Mutex<HashMap<IpAddr, Instant>>>,
}

impl PopBeforeSmtp {
    /// Notes a successful POP3 login from `ip` at `now`.
    pub fn record(&self, ip: IpAddr, now: Instant) {
        if let Ok(mut logins) = self.logins.lock() {
            // Forget stale entries so the map stays as small as the set of recent clients.
            logins.retain(|_, at| now.saturating_duration_since(*at) < DEFAULT_WINDOW * 6);
            logins.insert(ip, now);
        }
    }

    /// Forgets every login (a training reset).
    pub fn clear(&self) {
        if let Ok(mut logins) = self.logins.lock() {
            logins.clear();
        }
    }

    /// True if `ip` logged in to POP3 within `window` before `now`.
    pub fn allows(&self, ip: IpAddr, window: Duration, now: Instant) -> bool {
        self.logins
            .lock()
            .ok()
            .and_then(|logins| logins.get(&ip).copied())
            .is_some_and(|at| now.saturating_duration_since(at) <= window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_opens_a_window_for_that_address_only() {
        let record = PopBeforeSmtp::default();
        let t0 = Instant::now();
        let phone: IpAddr = "127.0.0.3".parse().unwrap();
        let system: IpAddr = "127.0.0.2".parse().unwrap();
        let window = Duration::from_secs(300);
        assert!(!record.allows(system, window, t0));
        record.record(system, t0);
        assert!(record.allows(system, window, t0 + Duration::from_secs(299)));
        assert!(!record.allows(phone, window, t0));
        assert!(!record.allows(system, window, t0 + Duration::from_secs(301)));
    }
}
