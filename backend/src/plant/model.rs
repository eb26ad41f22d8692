//! The plant's physics, such as it is: one step of the links of the points file over `dt`
//! seconds, and the alarm rule of one point. Both are pure functions of their inputs, with no
//! clock and no randomness, so the same steps always give the same plant.

use shared::points::{AlarmEvent, AlarmEventKind, AlarmState, Value};

use super::file::{Link, PointDef, Rule, Source};

/// The longest step taken at once: a day. A caller that was suspended for longer does not
/// overflow the energy meter; the approach and rate links have settled long before anyway.
const MAX_STEP_SECONDS: f64 = 86_400.0;

/// Moves `values` on by `dt_seconds` along `links`, in order. A step that is not a positive
/// finite number of seconds changes nothing.
pub(crate) fn step(points: &[PointDef], links: &[Link], values: &mut [Value], dt_seconds: f64) {
    if !(dt_seconds.is_finite() && dt_seconds > 0.0) {
        return;
    }
    let dt = dt_seconds.min(MAX_STEP_SECONDS);
    for link in links {
        match *link {
            Link::Approach {
                point,
                when,
                toward,
                otherwise,
                tau_seconds,
            } => {
                let target = if is_on(values[when]) {
                    source(toward, values)
                } else {
                    source(otherwise, values)
                };
                let now = analog(values[point]);
                // The exact solution of dv/dt = (target - v) / tau: stable for any step length.
                let next = now + (target - now) * (1.0 - (-dt / tau_seconds).exp());
                values[point] = Value::Analog(clamp_to(&points[point], next, now));
            }
            Link::Rate {
                point,
                when,
                on_per_minute,
                per_minute,
            } => {
                let on = when.is_some_and(|w| is_on(values[w]));
                let rate = per_minute + if on { on_per_minute } else { 0.0 };
                let now = analog(values[point]);
                values[point] =
                    Value::Analog(clamp_to(&points[point], now + rate * dt / 60.0, now));
            }
            Link::Meter {
                point,
                ref loads,
                base,
            } => {
                let kw = base
                    + loads
                        .iter()
                        .filter(|(load, _)| is_on(values[*load]))
                        .map(|(_, kw)| kw)
                        .sum::<f64>();
                let now = analog(values[point]);
                let next = now + kw * dt / 3600.0;
                if next.is_finite() {
                    values[point] = Value::Analog(next);
                }
            }
        }
    }
}

fn source(source: Source, values: &[Value]) -> f64 {
    match source {
        Source::Fixed(x) => x,
        Source::Point(i) => analog(values[i]),
    }
}

fn is_on(value: Value) -> bool {
    matches!(value, Value::Digital(true))
}

fn analog(value: Value) -> f64 {
    match value {
        Value::Analog(x) => x,
        Value::Digital(on) => f64::from(u8::from(on)),
    }
}

/// Keeps a moved AI inside its physical range (and keeps the old value if the arithmetic ever
/// produced something that is not a number).
fn clamp_to(point: &PointDef, next: f64, now: f64) -> f64 {
    if !next.is_finite() {
        return now;
    }
    match point.rule {
        Rule::Ai { range, .. } => next.clamp(range.0, range.1),
        _ => next,
    }
}

/// The alarm a point should be in given its value and the alarm it is in now. The deadband
/// makes leaving an alarm need more than entering it, so a value hovering at a limit does not
/// raise and clear over and over.
pub(crate) fn next_alarm(
    rule: &Rule,
    value: Value,
    current: Option<AlarmState>,
) -> Option<AlarmState> {
    match (rule, value) {
        (Rule::Di { alarm_when }, Value::Digital(on)) => {
            (*alarm_when == Some(on)).then_some(AlarmState::Contact)
        }
        (
            Rule::Ai {
                low,
                high,
                deadband,
                ..
            },
            Value::Analog(x),
        ) => {
            let still = match current {
                Some(AlarmState::High) => high.is_some_and(|h| x > h - deadband),
                Some(AlarmState::Low) => low.is_some_and(|l| x < l + deadband),
                _ => false,
            };
            if still {
                current
            } else if high.is_some_and(|h| x > h) {
                Some(AlarmState::High)
            } else if low.is_some_and(|l| x < l) {
                Some(AlarmState::Low)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The events of a point going from alarm `from` to alarm `to` (none, one, or a clear and a
/// raise when a value jumps from one limit past the other).
pub(crate) fn transition(
    point: &PointDef,
    value: Value,
    from: Option<AlarmState>,
    to: Option<AlarmState>,
    at_unix_ms: u64,
) -> Vec<AlarmEvent> {
    if from == to {
        return Vec::new();
    }
    let event = |alarm: AlarmState, kind: AlarmEventKind| AlarmEvent {
        point: point.id.clone(),
        name: point.name.clone(),
        alarm,
        kind,
        value,
        limit: limit_of(&point.rule, alarm),
        unit: point.unit.clone(),
        decimals: point.decimals,
        at_unix_ms,
    };
    from.map(|a| event(a, AlarmEventKind::Cleared))
        .into_iter()
        .chain(to.map(|a| event(a, AlarmEventKind::Raised)))
        .collect()
}

fn limit_of(rule: &Rule, alarm: AlarmState) -> Option<f64> {
    match (rule, alarm) {
        (Rule::Ai { high, .. }, AlarmState::High) => *high,
        (Rule::Ai { low, .. }, AlarmState::Low) => *low,
        _ => None,
    }
}
