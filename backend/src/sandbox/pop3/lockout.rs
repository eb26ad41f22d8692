//! Lock-out of client addresses that keep failing to log in: after `max_failures` failures within
//! `window`, logins from that address are refused with `-ERR [AUTH]` for `cool_down`, right or
//! wrong password. Every method takes the time, so callers choose the clock and tests are exact.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Addresses tracked at most; beyond that the oldest-looking entries are forgotten first.
const MAX_TRACKED: usize = 4096;

/// How many failures lock an address out, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures that trigger the lock-out.
    pub max_failures: usize,
    /// The failures must fall within this span.
    pub window: Duration,
    /// How long the address stays locked out.
    pub cool_down: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            window: Duration::from_secs(5 * 60),
            cool_down: Duration::from_secs(5 * 60),
        }
    }
}

#[derive(Debug, Default)]
struct Record {
    failures: VecDeque<Instant>,
    locked_until: Option<Instant>,
}

/// Failed logins by client address. Cheap to clone; clones share the record.
#[derive(Debug, Clone, Default)]
pub struct Lockout {
    policy: LockoutPolicy,
    records: Arc<Mutex<HashMap<IpAddr, Record>>>,
}

impl Lockout {
    /// An empty record with `policy`.
    pub fn new(policy: LockoutPolicy) -> Self {
        Lockout {
            policy,
            records: Arc::default(),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> LockoutPolicy {
        self.policy
    }

    /// True while `ip` is locked out at `now`.
    pub fn is_locked(&self, ip: IpAddr, now: Instant) -> bool {
        let Ok(records) = self.records.lock() else {
            return false;
        };
        records
            .get(&ip)
            .and_then(|r| r.locked_until)
            .is_some_and(|until| now < until)
    }

    /// Notes a failed login from `ip` at `now`; returns true if this failure locks it out.
    pub fn failed(&self, ip: IpAddr, now: Instant) -> bool {
        let Ok(mut records) = self.records.lock() else {
            return false;
        };
        let policy = self.policy;
        if records.len() >= MAX_TRACKED && !records.contains_key(&ip) {
            records.retain(|_, r| {
                r.locked_until.is_some_and(|until| now < until)
                    || r.failures
                        .back()
                        .is_some_and(|at| now.saturating_duration_since(*at) < policy.window)
            });
            if records.len() >= MAX_TRACKED {
                // Still full of live entries: drop an arbitrary one rather than grow.
                if let Some(victim) = records.keys().next().copied() {
                    records.remove(&victim);
                }
            }
        }
        let record = records.entry(ip).or_default();
        if record.locked_until.is_some_and(|until| now >= until) {
            *record = Record::default();
        }
        while record
            .failures
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= policy.window)
        {
            record.failures.pop_front();
        }
        record.failures.push_back(now);
        if record.failures.len() >= policy.max_failures && record.locked_until.is_none() {
            record.locked_until = Some(now + policy.cool_down);
            record.failures.clear();
            return true;
        }
        false
    }

    /// Forgets the failures of `ip` after a successful login.
    pub fn succeeded(&self, ip: IpAddr) {
        if let Ok(mut records) = self.records.lock() {
            records.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_within_the_window_lock_out_for_the_cool_down() {
        let lockout = Lockout::default();
        let t0 = Instant::now();
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        let other: IpAddr = "127.0.0.10".parse().unwrap();
        for i in 0..4 {
            assert!(!lockout.failed(ip, t0 + Duration::from_secs(i)));
            assert!(!lockout.is_locked(ip, t0 + Duration::from_secs(i)));
        }
        assert!(lockout.failed(ip, t0 + Duration::from_secs(10)));
        assert!(lockout.is_locked(ip, t0 + Duration::from_secs(10)));
        assert!(!lockout.is_locked(other, t0 + Duration::from_secs(10)));
        let end = t0 + Duration::from_secs(10) + LockoutPolicy::default().cool_down;
        assert!(lockout.is_locked(ip, end - Duration::from_millis(1)));
        assert!(!lockout.is_locked(ip, end));
        // After the cool-down the count starts again from zero.
        assert!(!lockout.failed(ip, end));
        assert!(!lockout.is_locked(ip, end));
    }

    #[test]
    fn failures_outside_the_window_and_successes_reset_the_count() {
        let policy = LockoutPolicy {
            max_failures: 3,
            window: Duration::from_secs(60),
            cool_down: Duration::from_secs(30),
        };
        let lockout = Lockout::new(policy);
        let t0 = Instant::now();
        let ip: IpAddr = "::1".parse().unwrap();
        assert!(!lockout.failed(ip, t0));
        assert!(!lockout.failed(ip, t0 + Duration::from_secs(30)));
        // The first failure has left the window.
        assert!(!lockout.failed(ip, t0 + Duration::from_secs(61)));
        lockout.succeeded(ip);
        assert!(!lockout.failed(ip, t0 + Duration::from_secs(62)));
        assert!(!lockout.failed(ip, t0 + Duration::from_secs(63)));
        assert!(lockout.failed(ip, t0 + Duration::from_secs(64)));
        assert!(lockout.is_locked(ip, t0 + Duration::from_secs(93)));
        assert!(!lockout.is_locked(ip, t0 + Duration::from_secs(94)));
    }
}
