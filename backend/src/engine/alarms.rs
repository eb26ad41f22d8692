//! Alarm mail: each alarm transition of the plant (発生 raised, 復旧 cleared) becomes a mail to
//! 2.警報メール宛先 through the same persistent outbox as replies. A flapping point is coalesced:
//! at most one mail per point per window, and the next mail counts what was held back.

use std::collections::HashMap;
use std::time::Duration;

use shared::Lang;
use shared::points::AlarmEvent;
use tokio::time::Instant;

use super::Engine;
use super::ledger::NewMail;
use crate::mailtext::{self, TextMail};

/// At most one mail per point in this much simulated time.
pub const COALESCE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Per point: when its last mail went out, and how many transitions were held back since.
#[derive(Default)]
pub struct Coalescer {
    points: HashMap<String, (Instant, u32)>,
}

impl Coalescer {
    /// Decides for one transition at `now`: `Some(held_back)` to mail it (counting the ones
    /// held back before it), `None` to hold it back.
    pub fn admit(&mut self, point: &str, now: Instant, window: Duration) -> Option<u32> {
        match self.points.get_mut(point) {
            Some((last, held)) if now.duration_since(*last) < window => {
                *held += 1;
                None
            }
            Some((last, held)) => {
                let count = *held;
                *last = now;
                *held = 0;
                Some(count)
            }
            None => {
                self.points.insert(point.to_string(), (now, 0));
                Some(0)
            }
        }
    }
}

impl Engine {
    /// Queues alarm mails for these transitions under the applied settings.
    pub fn alarms(&self, events: Vec<AlarmEvent>) {
        let settings = match self.inner.settings.applied() {
            Ok(Some(applied)) => applied.settings,
            Ok(None) => {
                tracing::info!(count = events.len(), "alarms before the first RST: no mail");
                return;
            }
            Err(err) => {
                tracing::error!(%err, "alarm mail: settings unreadable");
                return;
            }
        };
        if settings.alarm_recipients.is_empty() {
            return;
        }
        let window = COALESCE_WINDOW / self.inner.options.time_scale.max(1);
        let now = Instant::now();
        let mut mails = Vec::new();
        for event in events {
            let admitted = match self.inner.coalescer.lock() {
                Ok(mut coalescer) => coalescer.admit(&event.point, now, window),
                Err(_) => Some(0),
            };
            let Some(held_back) = admitted else {
                continue;
            };
            let summary = event.summary(Lang::Ja);
            let mut body = format!(
                "{summary}\n\n{}\n",
                mailtext::rfc5322_date(event.at_unix_ms / 1000)
            );
            if held_back > 0 {
                body.push_str(&format!(
                    "\nこのポイントの変化 {held_back} 件をまとめました（{} 分に 1 通まで）。\n",
                    COALESCE_WINDOW.as_secs() / 60
                ));
            }
            body.push_str("\n-- \nKaracrixBuilder\n");
            let message = mailtext::compose(&TextMail {
                from: &settings.address,
                to: &settings.alarm_recipients,
                subject: &format!("【警報】{summary}"),
                body: &body,
                charset: shared::phone::Charset::Utf8,
                extra_headers: &[],
            });
            mails.push(NewMail {
                from: settings.address.clone(),
                to: settings.alarm_recipients.clone(),
                message,
            });
        }
        if !mails.is_empty()
            && let Err(err) = self.queue(&mails)
        {
            tracing::error!(%err, "queueing alarm mail failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flapping_point_gets_one_mail_per_window_with_a_count() {
        let mut c = Coalescer::default();
        let t0 = Instant::now();
        let window = Duration::from_secs(600);
        assert_eq!(c.admit("TEMP1", t0, window), Some(0));
        for i in 1..=50 {
            assert_eq!(c.admit("TEMP1", t0 + Duration::from_secs(i), window), None);
        }
        assert_eq!(
            c.admit("DOOR1", t0 + Duration::from_secs(5), window),
            Some(0)
        );
        assert_eq!(c.admit("TEMP1", t0 + window, window), Some(50));
        assert_eq!(
            c.admit("TEMP1", t0 + window + Duration::from_secs(1), window),
            None
        );
    }
}
