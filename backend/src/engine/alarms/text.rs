//! The words of an alarm mail, in the language of the settings: a subject with its own marker
//! for 発生 and for 復旧, and a body that says what an industrial alarm mailer says — the point
//! and its name, the alarm, the value, the limit crossed, when, and what else is in alarm now.

use shared::Lang;
use shared::points::{AlarmEvent, AlarmEventKind, PointSnapshot, Value};

use super::coalescer::ToMail;

/// Why a mail goes out besides a transition seen live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    /// The plant reported the transition as it happened.
    Live,
    /// Found at engine start: no earlier mail told this state.
    AtStart,
}

/// The subject marker: 【警報】 for an alarm raised, 【復旧】 for one cleared.
pub fn marker(kind: AlarmEventKind, lang: Lang) -> &'static str {
    match kind {
        AlarmEventKind::Raised => lang.pick("【警報】", "[ALARM] "),
        AlarmEventKind::Cleared => lang.pick("【復旧】", "[CLEARED] "),
    }
}

/// The subject, e.g. `【警報】TEMP1 室温 上限警報 発生`.
pub fn subject(event: &AlarmEvent, lang: Lang) -> String {
    format!(
        "{}{} {} {} {}",
        marker(event.kind, lang),
        event.point,
        event.name,
        event.alarm.label(lang),
        event.kind.label(lang)
    )
}

/// The body. `others` are the points in alarm now; the mail's own point is left out of them.
pub fn body(
    mail: &ToMail,
    others: &[PointSnapshot],
    occasion: Occasion,
    window_min: u64,
    lang: Lang,
) -> String {
    let event = &mail.event;
    let shown = |v: f64| Value::Analog(v).display(&event.unit, event.decimals);
    let mut text = String::new();
    let (point, name, alarm) = (&event.point, &event.name, event.alarm.label(lang));
    let headline = match (event.kind, lang) {
        (AlarmEventKind::Raised, Lang::Ja) => format!("{point} {name} の{alarm}が発生しました。"),
        (AlarmEventKind::Cleared, Lang::Ja) => format!("{point} {name} の{alarm}が復旧しました。"),
        (AlarmEventKind::Raised, Lang::En) => format!("{point} {name}: {alarm} raised."),
        (AlarmEventKind::Cleared, Lang::En) => format!("{point} {name}: {alarm} cleared."),
    };
    text.push_str(&headline);
    text.push('\n');
    if occasion == Occasion::AtStart {
        text.push_str(lang.pick(
            "（システム起動時の状態です。この状態を知らせるメールはまだ送っていませんでした。）\n",
            "(The state at system start; no earlier mail reported it.)\n",
        ));
    }
    text.push('\n');
    let mut line = |ja: &str, en: &str, value: String| {
        text.push_str(&format!("{}: {value}\n", lang.pick(ja, en)));
    };
    line(
        "ポイント",
        "Point",
        format!("{} {}", event.point, event.name),
    );
    line(
        "警報",
        "Alarm",
        format!("{} {}", event.alarm.label(lang), event.kind.label(lang)),
    );
    line(
        "値",
        "Value",
        event.value.display(&event.unit, event.decimals),
    );
    if let Some(limit) = event.limit {
        line("警報設定値", "Alarm limit", shown(limit));
    }
    line(
        "時刻",
        "Time",
        crate::mail::clock::rfc5322_date(event.at_unix_ms / 1000),
    );
    let others: Vec<&PointSnapshot> = others
        .iter()
        .filter(|p| p.id != event.point && p.alarm.is_some())
        .collect();
    text.push('\n');
    text.push_str(lang.pick("ほかに警報中のポイント:\n", "Other points in alarm now:\n"));
    if others.is_empty() {
        text.push_str(lang.pick("  なし\n", "  none\n"));
    }
    for p in others {
        let alarm = p.alarm.map(|a| a.label(lang)).unwrap_or_default();
        text.push_str(&format!(
            "  {} {} {} {}\n",
            p.id,
            p.name,
            alarm,
            p.value_text()
        ));
    }
    if mail.held_back > 0 {
        text.push('\n');
        text.push_str(&match lang {
            Lang::Ja => format!("このポイントの変化 {} 件をまとめました（{window_min} 分に 1 通まで）。\n", mail.held_back),
            Lang::En => format!("{} further changes of this point were held back (one mail per {window_min} minutes).\n", mail.held_back),
        });
    }
    text.push_str("\n-- \nKaracrixBuilder\n");
    text
}

#[cfg(test)]
mod tests {
    use shared::points::{AlarmState, PointKind};

    use super::*;

    fn temp_high(kind: AlarmEventKind) -> ToMail {
        ToMail {
            event: AlarmEvent {
                point: "TEMP1".into(),
                name: "室温".into(),
                alarm: AlarmState::High,
                kind,
                value: Value::Analog(31.24),
                limit: Some(30.0),
                unit: "℃".into(),
                decimals: 1,
                at_unix_ms: 1_764_460_800_000,
            },
            held_back: 2,
        }
    }

    fn door_open() -> PointSnapshot {
        PointSnapshot {
            id: "DOOR1".into(),
            name: "扉".into(),
            name_en: String::new(),
            kind: PointKind::Di,
            value: Value::Digital(true),
            unit: String::new(),
            decimals: 0,
            alarm: Some(AlarmState::Contact),
            low: None,
            high: None,
            alarm_when: Some(true),
        }
    }

    #[test]
    fn raised_and_cleared_have_their_own_markers() {
        let raised = subject(&temp_high(AlarmEventKind::Raised).event, Lang::Ja);
        assert_eq!(raised, "【警報】TEMP1 室温 上限警報 発生");
        let cleared = subject(&temp_high(AlarmEventKind::Cleared).event, Lang::Ja);
        assert_eq!(cleared, "【復旧】TEMP1 室温 上限警報 復旧");
        assert!(!cleared.contains("【警報】"));
        let en = subject(&temp_high(AlarmEventKind::Cleared).event, Lang::En);
        assert!(en.starts_with("[CLEARED] TEMP1"), "{en}");
    }

    #[test]
    fn the_body_says_point_value_limit_time_and_the_other_alarms() {
        let mail = temp_high(AlarmEventKind::Raised);
        let text = body(&mail, &[door_open()], Occasion::AtStart, 10, Lang::Ja);
        for part in [
            "TEMP1 室温 の上限警報が発生しました。",
            "システム起動時",
            "ポイント: TEMP1 室温",
            "値: 31.2 ℃",
            "警報設定値: 30.0 ℃",
            "時刻: Sun, 30 Nov 2025 00:00:00 +0000",
            "ほかに警報中のポイント:\n  DOOR1 扉 接点警報 ON",
            "変化 2 件をまとめました",
        ] {
            assert!(text.contains(part), "{part:?} missing from:\n{text}");
        }
        let text = body(&mail, &[], Occasion::Live, 10, Lang::En);
        assert!(text.contains("Alarm limit: 30.0 ℃"), "{text}");
        assert!(
            text.contains("Other points in alarm now:\n  none"),
            "{text}"
        );
        assert!(!text.contains("system start"), "{text}");
    }
}
