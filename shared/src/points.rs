//! The plant's points as the browser and the mail replies see them: kinds, values, alarm states
//! and alarm events. The back end owns the plant and its model; this module only describes what
//! crosses to the front end and how a value reads (`ON`, `24.5 ℃`), so the points list, the
//! command replies and the alarm mails all format values the same way.

use serde::{Deserialize, Serialize};

use crate::Lang;

/// The word for an AI's alarm limit, as Japanese monitoring systems say it; the points screen
/// and the help use the same.
pub const ALARM_SETTING_JA: &str = "警報設定値";

/// The five point types of the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PointKind {
    /// Contact input (door switch, fault contact): read-only, may alarm in one state.
    Di,
    /// On/off output (pump, fan, light): operable by command.
    Do,
    /// Measured value (temperature, level): read-only, high/low alarm limits.
    Ai,
    /// Set-point output with a range: operable by command.
    Ao,
    /// Totaliser (energy meter): read-only, only ever grows.
    Cnt,
}

impl PointKind {
    /// Every kind, in the order the original lists them.
    pub const ALL: [PointKind; 5] = [
        PointKind::Di,
        PointKind::Do,
        PointKind::Ai,
        PointKind::Ao,
        PointKind::Cnt,
    ];

    /// The short code used in the points file and the UI (`DI`, `DO`, …).
    pub fn code(self) -> &'static str {
        match self {
            PointKind::Di => "DI",
            PointKind::Do => "DO",
            PointKind::Ai => "AI",
            PointKind::Ao => "AO",
            PointKind::Cnt => "CNT",
        }
    }

    /// The kind of a code, in any case.
    pub fn from_code(code: &str) -> Option<Self> {
        PointKind::ALL
            .into_iter()
            .find(|k| k.code().eq_ignore_ascii_case(code.trim()))
    }

    /// True for DI and DO, whose values are ON/OFF.
    pub fn is_digital(self) -> bool {
        matches!(self, PointKind::Di | PointKind::Do)
    }

    /// True for the kinds a command mail may operate (DO and AO).
    pub fn is_operable(self) -> bool {
        matches!(self, PointKind::Do | PointKind::Ao)
    }

    /// A name for people, in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            PointKind::Di => lang.pick("接点入力", "contact input"),
            PointKind::Do => lang.pick("接点出力", "on/off output"),
            PointKind::Ai => lang.pick("計測値", "measured value"),
            PointKind::Ao => lang.pick("設定値", "set-point"),
            PointKind::Cnt => lang.pick("積算値", "totaliser"),
        }
    }
}

/// A point's value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Value {
    /// ON (`true`) or OFF, for DI and DO.
    Digital(bool),
    /// A finite number, for AI, AO and CNT.
    Analog(f64),
}

impl Value {
    /// The value as text: `ON`/`OFF`, or the number with `decimals` places and the unit.
    pub fn display(self, unit: &str, decimals: u8) -> String {
        match self {
            Value::Digital(true) => "ON".to_string(),
            Value::Digital(false) => "OFF".to_string(),
            Value::Analog(x) => {
                let number = format!("{:.*}", usize::from(decimals), x);
                // `-0.0` formats as "-0.0", which reads like a sign error in a reply.
                let number = if number.starts_with('-')
                    && number[1..].bytes().all(|b| matches!(b, b'0' | b'.'))
                {
                    number[1..].to_string()
                } else {
                    number
                };
                if unit.is_empty() {
                    number
                } else {
                    format!("{number} {unit}")
                }
            }
        }
    }
}

/// Which alarm a point is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    /// A DI is in its alarm state (e.g. a door is open).
    Contact,
    /// An AI is above its high limit.
    High,
    /// An AI is below its low limit.
    Low,
}

impl AlarmState {
    /// A name for people, in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            AlarmState::Contact => lang.pick("接点警報", "contact alarm"),
            AlarmState::High => lang.pick("上限警報", "high alarm"),
            AlarmState::Low => lang.pick("下限警報", "low alarm"),
        }
    }
}

/// One point as the points list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointSnapshot {
    /// The id commands use, upper case (`PUMP1`).
    pub id: String,
    /// The Japanese name commands may use instead (`給水ポンプ`).
    pub name: String,
    /// The name in English for the English screens (`Feed pump`); empty when the points file
    /// gives none, and then the Japanese name is shown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_en: String,
    /// The point type.
    pub kind: PointKind,
    /// The current value.
    pub value: Value,
    /// The unit of analog values (`℃`, `%`, `kWh`); empty for none.
    pub unit: String,
    /// Decimal places shown for analog values.
    pub decimals: u8,
    /// The alarm the point is in, if any.
    pub alarm: Option<AlarmState>,
    /// AI: the low alarm limit; AO: the lowest allowed set-point.
    pub low: Option<f64>,
    /// AI: the high alarm limit; AO: the highest allowed set-point.
    pub high: Option<f64>,
    /// DI: the state that is the contact alarm (`true` for ON), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_when: Option<bool>,
}

impl PointSnapshot {
    /// The value as text, with its unit.
    pub fn value_text(&self) -> String {
        self.value.display(&self.unit, self.decimals)
    }

    /// The name to show in `lang`: the English one on English screens when there is one.
    pub fn display_name(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.name_en.is_empty() => &self.name_en,
            _ => &self.name,
        }
    }

    /// What raises this point's alarm, for the points screen, or `None` when nothing can
    /// (a DI without an alarm state, an AI without limits, and the outputs and counters).
    pub fn alarm_rule(&self, lang: Lang) -> Option<String> {
        if self.kind == PointKind::Di {
            let state = if self.alarm_when? { "ON" } else { "OFF" };
            return Some(match lang {
                Lang::Ja => format!("{state} で接点警報"),
                Lang::En => format!("contact alarm when {state}"),
            });
        }
        if self.kind != PointKind::Ai {
            return None;
        }
        let at = |x: f64| Value::Analog(x).display(&self.unit, self.decimals);
        Some(match (self.low, self.high, lang) {
            (None, None, _) => return None,
            (Some(low), None, Lang::Ja) => format!("{} 未満で下限警報", at(low)),
            (Some(low), None, Lang::En) => format!("low alarm below {}", at(low)),
            (None, Some(high), Lang::Ja) => format!("{} 超で上限警報", at(high)),
            (None, Some(high), Lang::En) => format!("high alarm above {}", at(high)),
            (Some(low), Some(high), Lang::Ja) => {
                format!("{} 未満で下限警報、{} 超で上限警報", at(low), at(high))
            }
            (Some(low), Some(high), Lang::En) => {
                format!("low alarm below {}, high alarm above {}", at(low), at(high))
            }
        })
    }
}

/// Whether an alarm began or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmEventKind {
    /// 発生: the point entered the alarm.
    Raised,
    /// 復旧: the point left the alarm.
    Cleared,
}

impl AlarmEventKind {
    /// `発生`/`復旧`, or `raised`/`cleared`.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            AlarmEventKind::Raised => lang.pick("発生", "raised"),
            AlarmEventKind::Cleared => lang.pick("復旧", "cleared"),
        }
    }
}

/// A point entering or leaving an alarm: what an alarm mail reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmEvent {
    /// The point id.
    pub point: String,
    /// The point's name.
    pub name: String,
    /// Which alarm.
    pub alarm: AlarmState,
    /// Raised or cleared.
    pub kind: AlarmEventKind,
    /// The value when it happened.
    pub value: Value,
    /// The limit crossed (AI only).
    pub limit: Option<f64>,
    /// The unit of `value` and `limit`.
    pub unit: String,
    /// Decimal places for `value` and `limit`.
    pub decimals: u8,
    /// When, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
}

impl AlarmEvent {
    /// One line for a mail or the UI, e.g. `TEMP1 室温 上限警報 発生 31.2 ℃ (警報設定値 30.0 ℃)`.
    pub fn summary(&self, lang: Lang) -> String {
        let mut line = format!(
            "{} {} {} {} {}",
            self.point,
            self.name,
            self.alarm.label(lang),
            self.kind.label(lang),
            self.value.display(&self.unit, self.decimals)
        );
        if let Some(limit) = self.limit {
            line.push_str(&format!(
                " ({} {})",
                lang.pick(ALARM_SETTING_JA, "alarm limit"),
                Value::Analog(limit).display(&self.unit, self.decimals)
            ));
        }
        line
    }
}

/// The manual's water level LEVEL1 (AI, 50 %) with the alarm limits `low` and `high`: a point for
/// the tests of points and of the command language.
#[cfg(test)]
pub(crate) fn level1(low: Option<f64>, high: Option<f64>) -> PointSnapshot {
    PointSnapshot {
        id: "LEVEL1".into(),
        name: "受水槽水位".into(),
        name_en: String::new(),
        kind: PointKind::Ai,
        value: Value::Analog(50.0),
        unit: "%".into(),
        decimals: 0,
        alarm: None,
        low,
        high,
        alarm_when: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_on_off_or_number_with_unit() {
        assert_eq!(Value::Digital(true).display("", 1), "ON");
        assert_eq!(Value::Digital(false).display("℃", 1), "OFF");
        assert_eq!(Value::Analog(24.25).display("", 1), "24.2");
        assert_eq!(Value::Analog(24.26).display("℃", 1), "24.3 ℃");
        assert_eq!(Value::Analog(7.0).display("", 0), "7");
        assert_eq!(Value::Analog(-0.01).display("℃", 1), "0.0 ℃");
        assert_eq!(Value::Analog(-1.5).display("℃", 1), "-1.5 ℃");
    }

    #[test]
    fn kinds_round_trip_through_their_codes() {
        for kind in PointKind::ALL {
            assert_eq!(PointKind::from_code(kind.code()), Some(kind));
            assert_eq!(
                PointKind::from_code(&kind.code().to_lowercase()),
                Some(kind)
            );
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.code()));
        }
        assert_eq!(PointKind::from_code("XX"), None);
        assert!(PointKind::Do.is_operable() && PointKind::Ao.is_operable());
        assert!(!PointKind::Di.is_operable() && !PointKind::Ai.is_operable());
        assert!(!PointKind::Cnt.is_operable());
    }

    #[test]
    fn alarm_event_summary_names_point_value_limit_and_transition() {
        let event = AlarmEvent {
            point: "TEMP1".into(),
            name: "室温".into(),
            alarm: AlarmState::High,
            kind: AlarmEventKind::Raised,
            value: Value::Analog(31.24),
            limit: Some(30.0),
            unit: "℃".into(),
            decimals: 1,
            at_unix_ms: 0,
        };
        assert_eq!(
            event.summary(Lang::Ja),
            "TEMP1 室温 上限警報 発生 31.2 ℃ (警報設定値 30.0 ℃)"
        );
        assert!(event.summary(Lang::En).contains("high alarm raised"));
    }

    #[test]
    fn the_alarm_rule_says_what_raises_the_alarm() {
        // A low limit alarms below it: the hint must not read as "alarm at 20 % or more".
        let level = level1(Some(20.0), None);
        assert_eq!(level.alarm_rule(Lang::Ja).unwrap(), "20 % 未満で下限警報");
        assert_eq!(level.alarm_rule(Lang::En).unwrap(), "low alarm below 20 %");
        let temp = level1(Some(5.0), Some(30.0));
        assert_eq!(
            temp.alarm_rule(Lang::En).unwrap(),
            "low alarm below 5 %, high alarm above 30 %"
        );
        assert_eq!(level1(None, None).alarm_rule(Lang::Ja), None);
        let mut door = level1(None, None);
        door.kind = PointKind::Di;
        assert_eq!(
            door.alarm_rule(Lang::En),
            None,
            "a DI without an alarm state"
        );
        door.alarm_when = Some(true);
        assert_eq!(door.alarm_rule(Lang::Ja).unwrap(), "ON で接点警報");
        assert_eq!(door.alarm_rule(Lang::En).unwrap(), "contact alarm when ON");
    }

    #[test]
    fn the_english_name_is_shown_in_english_when_there_is_one() {
        let mut point = level1(None, None);
        assert_eq!(point.display_name(Lang::En), "受水槽水位");
        point.name_en = "Tank level".into();
        assert_eq!(point.display_name(Lang::En), "Tank level");
        assert_eq!(point.display_name(Lang::Ja), "受水槽水位");
        // Old snapshots without the field still read.
        let json = serde_json::to_string(&level1(None, None)).unwrap();
        assert!(!json.contains("name_en"));
        let back: PointSnapshot = serde_json::from_str(&json).unwrap();
        assert_eq!(back.name_en, "");
    }
}
