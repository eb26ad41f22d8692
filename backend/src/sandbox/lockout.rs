//! Lock-out of logins that keep failing, shared by the sandbox's POP3 and SMTP AUTH (as Dovecot's
//! auth process serves both, so guessing cannot move from one to the other). Two records:
//! - per client address: after `max_failures` failures within `window` from one address, every
//!   login from it is refused for `cool_down`, right or wrong password;
//! - per account: the same count for one account from any address, so spreading the guesses over
//!   many addresses does not help either.
//!
//! A success forgets only the failures of its own account: logging in to one's own account does
//! not wipe out the guesses made at another's from the same address. Every method takes the time,
//! so callers choose the clock and tests are exact.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Records kept at most; beyond that the stale ones are forgotten first.
const MAX_TRACKED: usize = 4096;

/// How many failures lock out, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures that trigger the lock-out.
    pub max_failures: usize,
    /// The failures must fall within this span.
    pub window: Duration,
    /// How long the address or account stays locked out.
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

/// What a record counts failures for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    Account(String),
}

#[derive(Debug, Default)]
struct Record {
    /// When, and for which account (lower-cased login name).
    failures: VecDeque<(Instant, String)>,
    locked_until: Option<Instant>,
}

impl Record {
    fn locked(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    fn live(&self, now: Instant, window: Duration) -> bool {
        self.locked(now)
            || self
                .failures
                .back()
                .is_some_and(|(at, _)| now.saturating_duration_since(*at) < window)
    }
}

/// Failed logins by client address and by account. Cheap to clone; clones share the record.
#[derive(Debug, Clone, Default)]
pub struct Lockout {
    policy: LockoutPolicy,
    records: Arc<Mutex<HashMap<Key, Record>>>,
}

/// The name an account is counted under: `karacrix` and `KARACRIX@sandbox.test` are one.
fn account_name(user: &str) -> String {
    let local = user.split('@').next().unwrap_or(user);
    local.to_ascii_lowercase()
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

    fn records(&self) -> MutexGuard<'_, HashMap<Key, Record>> {
        // A panic while holding the lock leaves records that are still valid values.
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets every failure and lock-out (a training reset).
    pub fn clear(&self) {
        self.records().clear();
    }

    /// True while `ip` or the account `user` is locked out at `now`.
    pub fn is_locked(&self, ip: IpAddr, user: &str, now: Instant) -> bool {
        let records = self.records();
        [Key::Address(ip), Key::Account(account_name(user))]
            .iter()
            .any(|key| records.get(key).is_some_and(|r| r.locked(now)))
    }

    /// Notes a failed login to `user` from `ip` at `now`; returns true if this failure locks
    /// the address or the account out.
    pub fn failed(&self, ip: IpAddr, user: &str, now: Instant) -> bool {
        let mut records = self.records();
        let name = account_name(user);
        let mut locked = false;
        for key in [Key::Address(ip), Key::Account(name.clone())] {
            self.make_room(&mut records, &key, now);
            let record = records.entry(key).or_default();
            locked |= self.count(record, &name, now);
        }
        locked
    }

    /// Adds one failure to `record`; true if it locks.
    fn count(&self, record: &mut Record, account: &str, now: Instant) -> bool {
        let policy = self.policy;
        if record.locked_until.is_some_and(|until| now >= until) {
            *record = Record::default();
        }
        while record
            .failures
            .front()
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) >= policy.window)
        {
            record.failures.pop_front();
        }
        record.failures.push_back((now, account.to_string()));
        if record.failures.len() >= policy.max_failures && record.locked_until.is_none() {
            record.locked_until = Some(now + policy.cool_down);
            record.failures.clear();
            return true;
        }
        false
    }

    /// Keeps the table bounded before `key` is added.
    fn make_room(&self, records: &mut HashMap<Key, Record>, key: &Key, now: Instant) {
        if records.len() < MAX_TRACKED || records.contains_key(key) {
            return;
        }
        let window = self.policy.window;
        records.retain(|_, r| r.live(now, window));
        if records.len() >= MAX_TRACKED {
            // Still full of live entries: drop an arbitrary one rather than grow.
            if let Some(victim) = records.keys().next().cloned() {
                records.remove(&victim);
            }
        }
    }

    /// Forgets the failures of the account `user` (from `ip` and from anywhere) after it logged
    /// in; failures at other accounts stay counted.
    pub fn succeeded(&self, ip: IpAddr, user: &str) {
        let mut records = self.records();
        let name = account_name(user);
        if let Some(record) = records.get_mut(&Key::Address(ip)) {
            record.failures.retain(|(_, failed)| *failed != name);
        }
        let account = Key::Account(name);
        if let Some(record) = records.get_mut(&account)
            && record.locked_until.is_none()
        {
            records.remove(&account);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t0: Instant, secs: u64) -> Instant {
        t0 + Duration::from_secs(secs)
    }

    #[test]
    fn five_failures_within_the_window_lock_out_for_the_cool_down() {
        let lockout = Lockout::default();
        let t0 = Instant::now();
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        let other: IpAddr = "127.0.0.10".parse().unwrap();
        for i in 0..4 {
            assert!(!lockout.failed(ip, "victim", at(t0, i)));
            assert!(!lockout.is_locked(ip, "victim", at(t0, i)));
        }
        assert!(lockout.failed(ip, "victim", at(t0, 10)));
        assert!(lockout.is_locked(ip, "anyone", at(t0, 10)));
        // The account is locked from everywhere, other accounts elsewhere are not.
        assert!(lockout.is_locked(other, "VICTIM@sandbox.test", at(t0, 10)));
        assert!(!lockout.is_locked(other, "operator", at(t0, 10)));
        let end = at(t0, 10) + LockoutPolicy::default().cool_down;
        assert!(lockout.is_locked(ip, "x", end - Duration::from_millis(1)));
        assert!(!lockout.is_locked(ip, "victim", end));
        // After the cool-down the count starts again from zero.
        assert!(!lockout.failed(ip, "victim", end));
        assert!(!lockout.is_locked(ip, "victim", end));
    }

    #[test]
    fn guesses_spread_over_addresses_lock_the_account() {
        let lockout = Lockout::default();
        let t0 = Instant::now();
        for i in 0..5u8 {
            let ip = IpAddr::from([127, 0, 0, 20 + i]);
            lockout.failed(ip, "karacrix", at(t0, u64::from(i)));
        }
        let fresh: IpAddr = "127.0.0.99".parse().unwrap();
        assert!(lockout.is_locked(fresh, "karacrix", at(t0, 5)));
        assert!(!lockout.is_locked(fresh, "operator", at(t0, 5)));
    }

    #[test]
    fn another_account_s_success_does_not_clear_the_count() {
        let lockout = Lockout::default();
        let t0 = Instant::now();
        let ip: IpAddr = "127.0.0.9".parse().unwrap();
        for i in 0..4 {
            lockout.failed(ip, "victim", at(t0, i));
        }
        // The attacker logs in to an account of their own from the same address…
        lockout.succeeded(ip, "attacker");
        // …and the fifth guess still locks the address and the victim's account.
        assert!(lockout.failed(ip, "victim", at(t0, 5)));
        assert!(lockout.is_locked(ip, "attacker", at(t0, 5)));
    }

    #[test]
    fn failures_outside_the_window_and_own_successes_reset_the_count() {
        let policy = LockoutPolicy {
            max_failures: 3,
            window: Duration::from_secs(60),
            cool_down: Duration::from_secs(30),
        };
        let lockout = Lockout::new(policy);
        let t0 = Instant::now();
        let ip: IpAddr = "::1".parse().unwrap();
        assert!(!lockout.failed(ip, "u", t0));
        assert!(!lockout.failed(ip, "u", at(t0, 30)));
        // The first failure has left the window.
        assert!(!lockout.failed(ip, "u", at(t0, 61)));
        lockout.succeeded(ip, "U");
        assert!(!lockout.failed(ip, "u", at(t0, 62)));
        assert!(!lockout.failed(ip, "u", at(t0, 63)));
        assert!(lockout.failed(ip, "u", at(t0, 64)));
        assert!(lockout.is_locked(ip, "u", at(t0, 93)));
        assert!(!lockout.is_locked(ip, "u", at(t0, 94)));
    }
}
