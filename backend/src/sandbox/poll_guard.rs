//! The ISP's answer to a mailbox polled too often, as the manual warns (「小刻みに設定し過ぎる
//! と、メールサーバにハッカーと疑われる可能性があります」): logins of one account closer together
//! than the policy's minimum count as strikes; the third in a row suspends the account's POP3
//! logins for a while (`-ERR [SYS/TEMP]`). A login after a long enough gap clears the strikes.
//! Pure apart from the shared record: every method takes the time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Strikes in a row that suspend the account.
pub const STRIKES: u32 = 3;
/// How long a suspension lasts, in multiples of the minimum gap.
pub const LOCK_GAPS: u32 = 2;

#[derive(Debug, Default)]
struct Record {
    last: Option<Instant>,
    strikes: u32,
    locked_until: Option<Instant>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The shortest tolerated gap between logins; `None` for no limit.
    min_gap: Option<Duration>,
    accounts: HashMap<String, Record>,
}

/// Logins per account. Cheap to clone; clones share the record.
#[derive(Debug, Clone, Default)]
pub struct PollGuard {
    inner: Arc<Mutex<Inner>>,
}

impl PollGuard {
    /// Sets the shortest tolerated gap (`None`: any); the strikes so far are kept.
    pub fn set_min_gap(&self, min_gap: Option<Duration>) {
        self.lock().min_gap = min_gap.filter(|gap| !gap.is_zero());
    }

    /// Forgets every login and suspension (a training reset).
    pub fn clear(&self) {
        self.lock().accounts.clear();
    }

    /// Notes a login of `account` at `now`; `Err` while the account is suspended (this login
    /// included, when it is the last strike).
    pub fn login(&self, account: &str, now: Instant) -> Result<(), Suspended> {
        let mut inner = self.lock();
        let Some(gap) = inner.min_gap else {
            return Ok(());
        };
        let record = inner
            .accounts
            .entry(account.to_ascii_lowercase())
            .or_default();
        if record.locked_until.is_some_and(|until| now < until) {
            return Err(Suspended);
        }
        let too_soon = record
            .last
            .is_some_and(|last| now.saturating_duration_since(last) < gap);
        record.last = Some(now);
        record.strikes = if too_soon { record.strikes + 1 } else { 0 };
        if record.strikes >= STRIKES {
            record.strikes = 0;
            record.locked_until = Some(now + gap * LOCK_GAPS);
            return Err(Suspended);
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The record stays a valid value after a panic elsewhere.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The account is suspended for polling too often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suspended;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_quick_logins_in_a_row_suspend_the_account_for_a_while() {
        let guard = PollGuard::default();
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        // No limit: anything goes.
        assert!((0..10).all(|s| guard.login("karacrix", at(s)).is_ok()));
        guard.set_min_gap(Some(Duration::from_secs(10)));
        guard.clear();
        assert_eq!(guard.login("karacrix", at(100)), Ok(()));
        assert_eq!(guard.login("karacrix", at(101)), Ok(()));
        assert_eq!(guard.login("KARACRIX", at(102)), Ok(()));
        assert_eq!(guard.login("karacrix", at(103)), Err(Suspended));
        // Another account is not touched; the suspension lasts twice the gap.
        assert_eq!(guard.login("operator", at(103)), Ok(()));
        assert_eq!(guard.login("karacrix", at(122)), Err(Suspended));
        assert_eq!(guard.login("karacrix", at(124)), Ok(()));
        // Polite polling never strikes.
        assert!((1..20).all(|n| guard.login("karacrix", at(124 + n * 10)).is_ok()));
        guard.clear();
        guard.set_min_gap(None);
        assert_eq!(guard.login("karacrix", at(0)), Ok(()));
    }
}
