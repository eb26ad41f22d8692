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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_print_as_stars_and_absence_stays_visible() {
        assert_eq!(format!("{:?}", Masked("hunter2")), "****");
        assert_eq!(format!("{:?}", Masked("")), "\"\"");
    }
}
