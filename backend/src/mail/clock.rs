//! One clock for every party: wall time as Unix seconds and milliseconds, and the RFC 5322 date
//! a mail header carries (formatted by the `time` crate).

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// Now, in Unix milliseconds.
pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Now, in Unix seconds.
pub fn now_unix() -> u64 {
    now_unix_ms() / 1000
}

/// Seconds since the epoch as an RFC 5322 date in UTC (`Thu, 01 Jan 1970 00:00:00 +0000`).
pub fn rfc5322_date(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|at| at.format(&Rfc2822).ok())
        // Beyond year 9999: no header date is better than a wrong one, but never panic.
        .unwrap_or_else(|| "Fri, 31 Dec 9999 23:59:59 +0000".into())
}

/// The current time as an RFC 5322 date in UTC.
pub fn rfc5322_now() -> String {
    rfc5322_date(now_unix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_rfc_5322() {
        assert_eq!(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(1_709_210_096),
            "Thu, 29 Feb 2024 12:34:56 +0000"
        );
        assert_eq!(rfc5322_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
        assert!(rfc5322_date(u64::MAX).starts_with("Fri, 31 Dec 9999"));
    }

    #[test]
    fn seconds_and_milliseconds_agree() {
        let ms = now_unix_ms();
        let secs = now_unix();
        assert!(secs >= ms / 1000 && secs <= ms / 1000 + 1);
    }
}
