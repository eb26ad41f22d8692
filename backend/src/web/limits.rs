//! Per-connection limits on the requests that cost more than a message: those that reach a mail
//! server (receive now: a login at the ISP; the phone's send and check) and those that write to
//! disk with an fsync (settings, RST, ISP policies, point operations). A token bucket per kind:
//! a short burst is free, then one request per interval. The seed warns that an account which
//! logs in too often can be flagged by its ISP, so "receive now" gets the slowest refill.
//! Pure: every method takes the time.

use std::time::{Duration, Instant};

use shared::ClientMsg;
use shared::protocol::ProtocolError;

/// What a request costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cost {
    /// A login at the mail server now.
    MailServer,
    /// The phone's work at the sandbox ISP.
    Phone,
    /// A durable write.
    Write,
}

impl Cost {
    /// The kind of `msg`, or `None` when it costs next to nothing.
    pub(crate) fn of(msg: &ClientMsg) -> Option<Cost> {
        match msg {
            ClientMsg::Hello { .. } | ClientMsg::Ping { .. } | ClientMsg::GetRecord => None,
            // The connection test logs in at the POP and SMTP servers, as receiving does.
            ClientMsg::ReceiveNow | ClientMsg::TestConnection { .. } => Some(Cost::MailServer),
            ClientMsg::PhoneSend { .. } | ClientMsg::PhoneCheck => Some(Cost::Phone),
            ClientMsg::SaveSettings { .. }
            | ClientMsg::Restart
            | ClientMsg::SetSandboxPolicy { .. }
            | ClientMsg::OperatePoint { .. }
            | ClientMsg::SimulatePoint { .. }
            | ClientMsg::SetInstructor { .. }
            | ClientMsg::SetTimeScale { .. } => Some(Cost::Write),
            // A reset rewrites every part: a durable write of its own kind, rarely needed.
            ClientMsg::StartExercise { .. }
            | ClientMsg::ResetExercise
            | ClientMsg::ResetSimulation => Some(Cost::Write),
        }
    }

    /// The burst and refill interval of this kind.
    fn rate(self) -> (u32, Duration) {
        match self {
            Cost::MailServer => (3, Duration::from_secs(20)),
            Cost::Phone => (10, Duration::from_secs(1)),
            Cost::Write => (20, Duration::from_millis(200)),
        }
    }
}

/// One token bucket.
#[derive(Debug, Clone)]
struct Bucket {
    burst: u32,
    every: Duration,
    /// When the bucket is full again; a request takes `every` from the bucket.
    full_at: Instant,
}

impl Bucket {
    fn new((burst, every): (u32, Duration), now: Instant) -> Self {
        Bucket {
            burst,
            every,
            full_at: now,
        }
    }

    /// Takes one token, or says how long until one is free.
    fn take(&mut self, now: Instant) -> Result<(), Duration> {
        let start = self.full_at.max(now);
        let after = start + self.every;
        let capacity = self.every * self.burst;
        if after.saturating_duration_since(now) > capacity {
            return Err(after.saturating_duration_since(now) - capacity);
        }
        self.full_at = after;
        Ok(())
    }
}

/// The buckets of one `/ws` connection.
#[derive(Debug, Clone)]
pub(crate) struct CommandLimits {
    mail_server: Bucket,
    phone: Bucket,
    write: Bucket,
}

impl CommandLimits {
    /// Full buckets at `now`.
    pub(crate) fn new(now: Instant) -> Self {
        CommandLimits {
            mail_server: Bucket::new(Cost::MailServer.rate(), now),
            phone: Bucket::new(Cost::Phone.rate(), now),
            write: Bucket::new(Cost::Write.rate(), now),
        }
    }

    /// Admits `msg` at `now`, or refuses it with when to try again, in both languages.
    pub(crate) fn admit(&mut self, msg: &ClientMsg, now: Instant) -> Result<(), ProtocolError> {
        let Some(cost) = Cost::of(msg) else {
            return Ok(());
        };
        let bucket = match cost {
            Cost::MailServer => &mut self.mail_server,
            Cost::Phone => &mut self.phone,
            Cost::Write => &mut self.write,
        };
        bucket.take(now).map_err(|wait| refusal(cost, wait))
    }
}

fn refusal(cost: Cost, wait: Duration) -> ProtocolError {
    // Round up: "try in 0 s" would be refused again.
    let secs = wait.as_millis().div_ceil(1000).max(1);
    let (ja, en) = match cost {
        Cost::MailServer => (
            "今すぐ受信の回数が多すぎます（ISP にログインしすぎるとアカウントが止められることがあります）",
            "too many receive-now requests (logging in to the ISP too often can get the account blocked)",
        ),
        Cost::Phone => ("携帯の操作が多すぎます", "too many phone requests"),
        Cost::Write => (
            "保存を伴う操作が多すぎます",
            "too many requests that write to disk",
        ),
    };
    ProtocolError::rate_limited(
        format!("{ja}。{secs} 秒後にもう一度どうぞ。"),
        format!("{en}; try again in {secs} s."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::ErrorCode;

    #[test]
    fn receive_now_allows_a_burst_then_one_per_interval() {
        let t0 = Instant::now();
        let mut limits = CommandLimits::new(t0);
        for _ in 0..3 {
            assert_eq!(limits.admit(&ClientMsg::ReceiveNow, t0), Ok(()));
        }
        let refused = limits.admit(&ClientMsg::ReceiveNow, t0).unwrap_err();
        assert_eq!(refused.code, ErrorCode::RateLimited);
        assert!(refused.message.contains("try again in 20 s"), "{refused:?}");
        assert!(
            refused.text(shared::Lang::Ja).contains("20 秒後"),
            "{refused:?}"
        );
        // Other kinds have their own buckets; cheap messages are never counted.
        assert_eq!(limits.admit(&ClientMsg::PhoneCheck, t0), Ok(()));
        assert_eq!(limits.admit(&ClientMsg::Ping { nonce: 1 }, t0), Ok(()));
        let later = t0 + Duration::from_secs(19);
        assert!(limits.admit(&ClientMsg::ReceiveNow, later).is_err());
        let later = t0 + Duration::from_secs(20);
        assert_eq!(limits.admit(&ClientMsg::ReceiveNow, later), Ok(()));
        assert!(limits.admit(&ClientMsg::ReceiveNow, later).is_err());
        // A quiet minute refills the burst, and no more than the burst.
        let quiet = later + Duration::from_secs(600);
        for _ in 0..3 {
            assert_eq!(limits.admit(&ClientMsg::ReceiveNow, quiet), Ok(()));
        }
        assert!(limits.admit(&ClientMsg::ReceiveNow, quiet).is_err());
    }

    #[test]
    fn writes_are_limited_to_five_a_second_after_a_burst() {
        let t0 = Instant::now();
        let mut limits = CommandLimits::new(t0);
        for _ in 0..20 {
            assert_eq!(limits.admit(&ClientMsg::Restart, t0), Ok(()));
        }
        assert!(limits.admit(&ClientMsg::Restart, t0).is_err());
        let mut admitted = 0;
        for ms in (0..1000).step_by(10) {
            let now = t0 + Duration::from_millis(ms);
            if limits.admit(&ClientMsg::Restart, now).is_ok() {
                admitted += 1;
            }
        }
        assert_eq!(
            admitted, 4,
            "one per 200 ms within the first second (t = 200…800 ms)"
        );
    }
}
