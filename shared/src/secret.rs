//! Secrets in `Debug` output: a password, token or PIN prints as `****` (or `""` when empty, so
//! a missing secret is still visible), never its text — not in a log, not in a test failure.

use std::fmt;

/// Formats a secret for `Debug` without revealing it.
pub struct Masked<'a>(pub &'a str);

impl fmt::Debug for Masked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("****")
        }
    }
}

/// Compares without returning early, so response time does not reveal a secret's prefix.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
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

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
        assert!(!constant_time_eq("", "a"));
        assert!(constant_time_eq("", ""));
    }

    #[test]
    fn secrets_print_as_stars_and_absence_stays_visible() {
        assert_eq!(format!("{:?}", Masked("hunter2")), "****");
        assert_eq!(format!("{:?}", Masked("")), "\"\"");
    }
}
