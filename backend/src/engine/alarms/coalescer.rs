//! Which alarm transitions become mail. A flapping point gets at most one mail per window; what
//! is held back is never lost: when a window ends and the point's state differs from what was
//! last mailed about it, the latest transition is mailed then. The state last mailed is also
//! what a restart compares the plant with, so a point already in alarm is reported once.
//!
//! Pure: the caller gives the time and persists [`Coalescer::mailed`].

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use shared::points::{AlarmEvent, AlarmEventKind, AlarmState, PointSnapshot};
use tokio::time::Instant;

/// A transition to mail, with how many of the point's transitions were held back before it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToMail {
    /// The transition.
    pub event: AlarmEvent,
    /// Transitions of the same point not mailed since its last mail.
    pub held_back: u32,
}

#[derive(Default)]
struct Point {
    /// When its last mail was queued.
    last_sent: Option<Instant>,
    /// Transitions not mailed since.
    held: u32,
    /// The latest of them.
    pending: Option<AlarmEvent>,
}

/// Per point: the window, what is held back, and the state last mailed.
#[derive(Default)]
pub struct Coalescer {
    points: HashMap<String, Point>,
    mailed: BTreeMap<String, AlarmState>,
}

/// The transition of `point` into or out of `alarm`, as the plant would have reported it.
pub fn event_of(
    point: &PointSnapshot,
    alarm: AlarmState,
    kind: AlarmEventKind,
    at_unix_ms: u64,
) -> AlarmEvent {
    AlarmEvent {
        point: point.id.clone(),
        name: point.name.clone(),
        alarm,
        kind,
        value: point.value,
        limit: match alarm {
            AlarmState::High => point.high,
            AlarmState::Low => point.low,
            AlarmState::Contact => None,
        },
        unit: point.unit.clone(),
        decimals: point.decimals,
        at_unix_ms,
    }
}

/// The alarm a point is in after `event`.
fn state_after(event: &AlarmEvent) -> Option<AlarmState> {
    match event.kind {
        AlarmEventKind::Raised => Some(event.alarm),
        AlarmEventKind::Cleared => None,
    }
}

impl Coalescer {
    /// A coalescer that knows which points the last mails reported in alarm (kept across
    /// restarts by the caller).
    pub fn with_mailed(mailed: BTreeMap<String, AlarmState>) -> Self {
        Coalescer {
            points: HashMap::new(),
            mailed,
        }
    }

    /// The points whose last mail said 発生, with the alarm it reported.
    pub fn mailed(&self) -> &BTreeMap<String, AlarmState> {
        &self.mailed
    }

    /// Decides for one transition at `now`: mail it, or hold it back until its window ends.
    /// A transition to the state already mailed (reported at start) is not mailed again.
    pub fn admit(&mut self, event: AlarmEvent, now: Instant, window: Duration) -> Option<ToMail> {
        let point = self.points.entry(event.point.clone()).or_default();
        if point
            .last_sent
            .is_some_and(|last| now.duration_since(last) < window)
        {
            point.held += 1;
            point.pending = Some(event);
            return None;
        }
        point.pending = None;
        if self.mailed.get(&event.point).copied() == state_after(&event) {
            return None;
        }
        let held_back = std::mem::take(&mut point.held);
        point.last_sent = Some(now);
        self.record(&event);
        Some(ToMail { event, held_back })
    }

    /// The held-back transitions whose window has ended by `now` and whose state differs from
    /// what was last mailed: the latest per point. Those equal to it are dropped (the mail
    /// already tells the state), their count kept for the next mail.
    pub fn due(&mut self, now: Instant, window: Duration) -> Vec<ToMail> {
        let mut out = Vec::new();
        for point in self.points.values_mut() {
            let ended = point
                .last_sent
                .is_some_and(|last| now.duration_since(last) >= window);
            if !ended {
                continue;
            }
            let Some(event) = point.pending.take() else {
                continue;
            };
            if self.mailed.get(&event.point).copied() == state_after(&event) {
                continue;
            }
            point.last_sent = Some(now);
            // The mailed transition itself is not one held back.
            let held_back = std::mem::take(&mut point.held).saturating_sub(1);
            out.push(ToMail { event, held_back });
        }
        for mail in &out {
            self.record(&mail.event);
        }
        out.sort_by(|a, b| a.event.point.cmp(&b.event.point));
        out
    }

    /// Compares the plant with what was last mailed (at start): a point in alarm that no mail
    /// announced gets its 発生, a point mailed in alarm that is no longer gets its 復旧.
    pub fn reconcile(
        &mut self,
        points: &[PointSnapshot],
        at_unix_ms: u64,
        now: Instant,
    ) -> Vec<ToMail> {
        let mut out = Vec::new();
        for point in points {
            let mailed = self.mailed.get(&point.id).copied();
            let event = match (point.alarm, mailed) {
                (current, before) if current == before => continue,
                (Some(alarm), _) => event_of(point, alarm, AlarmEventKind::Raised, at_unix_ms),
                (None, Some(alarm)) => event_of(point, alarm, AlarmEventKind::Cleared, at_unix_ms),
                (None, None) => continue,
            };
            let entry = self.points.entry(point.id.clone()).or_default();
            entry.last_sent = Some(now);
            entry.pending = None;
            entry.held = 0;
            out.push(ToMail {
                event,
                held_back: 0,
            });
        }
        for mail in &out {
            self.record(&mail.event);
        }
        out
    }

    fn record(&mut self, event: &AlarmEvent) {
        match state_after(event) {
            Some(alarm) => self.mailed.insert(event.point.clone(), alarm),
            None => self.mailed.remove(&event.point),
        };
    }
}

#[cfg(test)]
mod tests {
    use shared::points::{PointKind, Value};

    use super::*;

    const WINDOW: Duration = Duration::from_secs(600);

    fn door(kind: AlarmEventKind) -> AlarmEvent {
        AlarmEvent {
            point: "DOOR1".into(),
            name: "扉".into(),
            alarm: AlarmState::Contact,
            kind,
            value: Value::Digital(kind == AlarmEventKind::Raised),
            limit: None,
            unit: String::new(),
            decimals: 0,
            at_unix_ms: 0,
        }
    }

    fn at(t0: Instant, secs: u64) -> Instant {
        t0 + Duration::from_secs(secs)
    }

    use AlarmEventKind::{Cleared, Raised};

    #[test]
    fn a_flapping_point_gets_one_mail_per_window_with_a_count() {
        let mut c = Coalescer::default();
        let t0 = Instant::now();
        assert_eq!(c.admit(door(Raised), t0, WINDOW).unwrap().held_back, 0);
        for i in 1..=50 {
            let kind = if i % 2 == 1 { Cleared } else { Raised };
            assert_eq!(c.admit(door(kind), at(t0, i), WINDOW), None);
        }
        // 50 transitions later the door is open again, as the last mail said: nothing to add.
        assert_eq!(c.due(at(t0, 600), WINDOW), vec![]);
        // The next change after the window carries the count.
        let next = c.admit(door(Cleared), at(t0, 700), WINDOW).unwrap();
        assert_eq!((next.event.kind, next.held_back), (Cleared, 50));
    }

    #[test]
    fn raise_clear_raise_and_stay_ends_with_a_raised_mail() {
        let mut c = Coalescer::default();
        let t0 = Instant::now();
        let mut last = Vec::new();
        last.extend(c.admit(door(Raised), t0, WINDOW));
        last.extend(c.admit(door(Cleared), at(t0, 601), WINDOW));
        // Raised again within the window of the 復旧 mail, and it stays raised.
        assert_eq!(c.admit(door(Raised), at(t0, 602), WINDOW), None);
        assert_eq!(
            c.due(at(t0, 1000), WINDOW),
            vec![],
            "the window is not over"
        );
        last.extend(c.due(at(t0, 1201), WINDOW));
        let kinds: Vec<_> = last.iter().map(|m| m.event.kind).collect();
        assert_eq!(kinds, [Raised, Cleared, Raised]);
        assert_eq!(last[2].held_back, 0);
        assert_eq!(c.mailed().get("DOOR1"), Some(&AlarmState::Contact));
        assert_eq!(c.due(at(t0, 5000), WINDOW), vec![], "mailed once");
    }

    #[test]
    fn a_clear_held_back_is_mailed_when_the_window_ends() {
        let mut c = Coalescer::default();
        let t0 = Instant::now();
        c.admit(door(Raised), t0, WINDOW).unwrap();
        assert_eq!(c.admit(door(Cleared), at(t0, 5), WINDOW), None);
        let due = c.due(at(t0, 600), WINDOW);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].event.kind, Cleared);
        assert!(c.mailed().is_empty());
    }

    fn snapshot(alarm: Option<AlarmState>) -> PointSnapshot {
        PointSnapshot {
            id: "TEMP1".into(),
            name: "室温".into(),
            name_en: String::new(),
            kind: PointKind::Ai,
            value: Value::Analog(31.5),
            unit: "℃".into(),
            decimals: 1,
            alarm,
            low: Some(5.0),
            high: Some(30.0),
            alarm_when: None,
        }
    }

    #[test]
    fn alarms_standing_at_start_are_reported_once_and_clears_missed_meanwhile_too() {
        let t0 = Instant::now();
        let mut c = Coalescer::default();
        let first = c.reconcile(&[snapshot(Some(AlarmState::High))], 7, t0);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].event.kind, Raised);
        assert_eq!(first[0].event.limit, Some(30.0));
        // A second start with the same state reports nothing; the memory survives restarts.
        let mut again = Coalescer::with_mailed(c.mailed().clone());
        assert_eq!(
            again.reconcile(&[snapshot(Some(AlarmState::High))], 8, t0),
            vec![]
        );
        // Cleared while nobody mailed: the 復旧 is owed.
        let owed = again.reconcile(&[snapshot(None)], 9, t0);
        assert_eq!(owed.len(), 1);
        assert_eq!(owed[0].event.kind, Cleared);
        assert!(again.mailed().is_empty());
    }
}
