//! The points screen's number inputs as text: turning what was typed into a value the back end
//! can take, and the range hint beside an input. The back end checks the ranges again (it owns
//! the plant); this only spares a round trip for what is plainly wrong.

use shared::Lang;
use shared::points::{PointKind, PointSnapshot, Value};

/// Why a typed number was not sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BadNumber {
    /// Empty, or not a finite number.
    NotANumber,
    /// A set-point outside what the point allows.
    OutOfRange {
        /// The lowest allowed.
        low: Option<f64>,
        /// The highest allowed.
        high: Option<f64>,
    },
}

impl BadNumber {
    /// What to tell the user, with the point's unit and decimals.
    pub fn message(self, point: &PointSnapshot, lang: Lang) -> String {
        match self {
            BadNumber::NotANumber => lang
                .pick("数値を入力してください。", "Enter a number.")
                .to_string(),
            BadNumber::OutOfRange { .. } => format!(
                "{} {}",
                lang.pick("範囲外です:", "Out of range:"),
                range_text(point).unwrap_or_default()
            ),
        }
    }
}

/// Reads a typed number: surrounding blanks, full-width digits and a full-width minus or point
/// are accepted, as a Japanese keyboard types them.
pub fn parse_number(text: &str) -> Option<f64> {
    let half: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            '－' | '−' | 'ー' => '-',
            '＋' => '+',
            other => other,
        })
        .collect();
    let number: f64 = half.trim().parse().ok()?;
    number.is_finite().then_some(number)
}

/// The value to send for a typed number: any finite number for an AI (a training input), and
/// for an AO one within its `low`..`high`.
pub fn analog_value(point: &PointSnapshot, text: &str) -> Result<Value, BadNumber> {
    let number = parse_number(text).ok_or(BadNumber::NotANumber)?;
    if point.kind == PointKind::Ao
        && (point.low.is_some_and(|low| number < low)
            || point.high.is_some_and(|high| number > high))
    {
        return Err(BadNumber::OutOfRange {
            low: point.low,
            high: point.high,
        });
    }
    Ok(Value::Analog(number))
}

/// `low – high unit`, or `≥ low unit` / `≤ high unit` when the point has one limit only;
/// `None` without limits. For an AI these are the alarm limits, for an AO the allowed set-points.
pub fn range_text(point: &PointSnapshot) -> Option<String> {
    let number = |x: f64| Value::Analog(x).display("", point.decimals);
    let unit = if point.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", point.unit)
    };
    let range = match (point.low, point.high) {
        (None, None) => return None,
        (Some(low), Some(high)) => format!("{} – {}", number(low), number(high)),
        (Some(low), None) => format!("≥ {}", number(low)),
        (None, Some(high)) => format!("≤ {}", number(high)),
    };
    Some(format!("{range}{unit}"))
}

/// How many points are in alarm.
pub fn alarm_count(points: &[PointSnapshot]) -> usize {
    points.iter().filter(|p| p.alarm.is_some()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::points::AlarmState;

    fn point(id: &str, kind: PointKind, low: Option<f64>, high: Option<f64>) -> PointSnapshot {
        PointSnapshot {
            id: id.into(),
            name: "名前".into(),
            name_en: String::new(),
            kind,
            value: Value::Analog(22.0),
            unit: "℃".into(),
            decimals: 1,
            alarm: None,
            low,
            high,
            alarm_when: None,
        }
    }

    #[test]
    fn numbers_are_read_in_either_width() {
        assert_eq!(parse_number(" 22.5 "), Some(22.5));
        assert_eq!(parse_number("２２．５"), Some(22.5));
        assert_eq!(parse_number("－３"), Some(-3.0));
        assert_eq!(parse_number("-0"), Some(0.0));
        for bad in ["", "  ", "abc", "1,5", "NaN", "inf", "1e999"] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn set_points_stay_in_their_range_but_training_inputs_need_not() {
        let setp = point("SETP1", PointKind::Ao, Some(10.0), Some(30.0));
        assert_eq!(analog_value(&setp, "25"), Ok(Value::Analog(25.0)));
        assert_eq!(analog_value(&setp, "10"), Ok(Value::Analog(10.0)));
        let out = analog_value(&setp, "31").unwrap_err();
        assert!(matches!(out, BadNumber::OutOfRange { .. }));
        assert_eq!(out.message(&setp, Lang::En), "Out of range: 10.0 – 30.0 ℃");
        assert_eq!(
            analog_value(&setp, "x")
                .unwrap_err()
                .message(&setp, Lang::Ja),
            "数値を入力してください。"
        );
        // An AI's limits are alarm limits: pushing past them is the point of the exercise.
        let temp = point("TEMP1", PointKind::Ai, Some(5.0), Some(30.0));
        assert_eq!(analog_value(&temp, "35"), Ok(Value::Analog(35.0)));
    }

    #[test]
    fn ranges_read_with_open_sides_and_units() {
        let mut level = point("LEVEL1", PointKind::Ai, Some(20.0), None);
        level.unit = "%".into();
        level.decimals = 0;
        assert_eq!(range_text(&level).as_deref(), Some("≥ 20 %"));
        let high = point("H", PointKind::Ai, None, Some(30.0));
        assert_eq!(range_text(&high).as_deref(), Some("≤ 30.0 ℃"));
        let none = point("X", PointKind::Ai, None, None);
        assert_eq!(range_text(&none), None);
    }

    #[test]
    fn alarms_are_counted() {
        let mut points = vec![
            point("A", PointKind::Ai, None, None),
            point("B", PointKind::Di, None, None),
        ];
        assert_eq!(alarm_count(&points), 0);
        points[1].alarm = Some(AlarmState::Contact);
        assert_eq!(alarm_count(&points), 1);
    }
}
