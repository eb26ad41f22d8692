//! The phone screen's logic without the page: the charset choice, and the preview of what the
//! command layer will make of a mail. The preview runs the very parser the back end runs
//! (`shared::command::parse_mail`) against the points list on screen; this module only words
//! its result for people.

use shared::Lang;
use shared::command::{Command, CommandMail, parse_mail};
use shared::phone::Charset;
use shared::points::{PointSnapshot, Value};

use crate::policy_form::Choice;

impl Choice for Charset {
    const ALL: &'static [Self] = &[Charset::Utf8, Charset::Iso2022Jp, Charset::ShiftJis];
    fn value(self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Iso2022Jp => "iso-2022-jp",
            Charset::ShiftJis => "shift_jis",
        }
    }
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Charset::Utf8 => lang.pick("UTF-8（スマートフォン）", "UTF-8 (smartphone)"),
            Charset::Iso2022Jp => {
                lang.pick("ISO-2022-JP（従来の携帯）", "ISO-2022-JP (classic phone)")
            }
            Charset::ShiftJis => lang.pick("Shift_JIS（従来の携帯）", "Shift_JIS (classic phone)"),
        }
    }
}

/// One command line of the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLine {
    /// The line as the parser saw it.
    pub line: String,
    /// True when it is the Subject.
    pub from_subject: bool,
    /// True when it parsed as a command.
    pub ok: bool,
    /// What it does, or why it is not a command.
    pub meaning: String,
}

/// What the command layer will understand of a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Every command line, Subject first.
    pub lines: Vec<PreviewLine>,
    /// The PIN given, masked; `None` without one.
    pub pin: Option<String>,
    /// Why the whole mail would be refused, if it would.
    pub refused: Option<String>,
}

/// The preview of a mail with this Subject and body, against `points`.
pub fn preview(subject: &str, body: &str, points: &[PointSnapshot], lang: Lang) -> Preview {
    let mail: CommandMail = parse_mail(subject, body, points);
    Preview {
        lines: mail
            .commands
            .iter()
            .map(|line| PreviewLine {
                line: line.line.clone(),
                from_subject: line.from_subject,
                ok: line.result.is_ok(),
                meaning: match &line.result {
                    Ok(command) => describe(command, points, lang),
                    Err(error) => error.message(lang),
                },
            })
            .collect(),
        pin: mail.pin.as_deref().map(mask_pin),
        refused: mail.refused.map(|error| error.message(lang)),
    }
}

/// A PIN as the screen shows it: one dot a digit, so its length can be checked but not read.
pub fn mask_pin(pin: &str) -> String {
    "•".repeat(pin.chars().count())
}

/// What a parsed command will do, naming the point as the points list does.
pub fn describe(command: &Command, points: &[PointSnapshot], lang: Lang) -> String {
    let find = |id: &str| points.iter().find(|p| p.id == id);
    let named = |id: &str| {
        find(id).map_or_else(
            || id.to_string(),
            |p| format!("{} {}", p.id, p.display_name(lang)),
        )
    };
    match command {
        Command::Help => lang
            .pick(
                "コマンドの一覧を返信します。",
                "Replies with the list of commands.",
            )
            .to_string(),
        Command::List => lang
            .pick(
                "すべてのポイントの値を返信します。",
                "Replies with every point's value.",
            )
            .to_string(),
        Command::Alarm => lang
            .pick(
                "発生中の警報を返信します。",
                "Replies with the active alarms.",
            )
            .to_string(),
        Command::Get { point } => match lang {
            Lang::Ja => format!("{} の値と状態を返信します。", named(point)),
            Lang::En => format!("Replies with the value and state of {}.", named(point)),
        },
        Command::Set { point, value } => {
            let snapshot = find(point);
            let text = |v: Value| {
                snapshot.map_or_else(|| v.display("", 1), |p| v.display(&p.unit, p.decimals))
            };
            // After the command has run, the point already holds the value: say so rather than
            // "sets it to ON (now ON)".
            if let Some(p) = snapshot.filter(|p| p.value == *value) {
                return match lang {
                    Lang::Ja => format!(
                        "{} は既に {} です（値は変わりません）。",
                        named(point),
                        p.value_text()
                    ),
                    Lang::En => format!(
                        "{} is already {} (no change).",
                        named(point),
                        p.value_text()
                    ),
                };
            }
            let now = snapshot.map(|p| p.value_text());
            match (lang, now) {
                (Lang::Ja, Some(now)) => format!(
                    "{} を {} にします（現在 {now}）。",
                    named(point),
                    text(*value)
                ),
                (Lang::Ja, None) => format!("{} を {} にします。", named(point), text(*value)),
                (Lang::En, Some(now)) => {
                    format!("Sets {} to {} (now {now}).", named(point), text(*value))
                }
                (Lang::En, None) => format!("Sets {} to {}.", named(point), text(*value)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::points::PointKind;

    fn plant() -> Vec<PointSnapshot> {
        let point = |id: &str, name: &str, kind, value, unit: &str| PointSnapshot {
            id: id.into(),
            name: name.into(),
            name_en: String::new(),
            kind,
            value,
            unit: unit.into(),
            decimals: 1,
            alarm: None,
            low: None,
            high: None,
            alarm_when: None,
        };
        vec![
            point(
                "PUMP1",
                "給水ポンプ",
                PointKind::Do,
                Value::Digital(false),
                "",
            ),
            point("DOOR1", "扉", PointKind::Di, Value::Digital(false), ""),
            point("SETP1", "温度設定", PointKind::Ao, Value::Analog(22.0), "℃"),
        ]
    }

    #[test]
    fn charsets_have_distinct_values() {
        for c in Charset::ALL {
            assert_eq!(Charset::from_value(c.value()), Some(*c));
            // The value is the MIME name in lower case.
            assert_eq!(c.value(), c.mime_name().to_ascii_lowercase());
        }
    }

    #[test]
    fn a_set_command_is_explained_with_the_point_and_its_value_now() {
        let p = preview("SET PUMP1 ON", "", &plant(), Lang::Ja);
        assert_eq!(p.lines.len(), 1);
        let line = &p.lines[0];
        assert!(line.ok && line.from_subject);
        assert_eq!(
            line.meaning,
            "PUMP1 給水ポンプ を ON にします（現在 OFF）。"
        );
        let en = preview("", "温度設定=２５", &plant(), Lang::En);
        assert_eq!(
            en.lines[0].meaning,
            "Sets SETP1 温度設定 to 25.0 ℃ (now 22.0 ℃)."
        );
        assert!(!en.lines[0].from_subject);
    }

    #[test]
    fn errors_use_the_shared_messages_and_the_pin_is_masked() {
        let p = preview(
            "",
            "PIN 1234\nSET DOOR1 ON\nGET NOPE\n> SET PUMP1 ON\nLIST\n-- \nHELP",
            &plant(),
            Lang::En,
        );
        assert_eq!(p.pin.as_deref(), Some("••••"));
        let oks: Vec<bool> = p.lines.iter().map(|l| l.ok).collect();
        assert_eq!(oks, [false, false, true], "{:?}", p.lines);
        assert!(p.lines[0].meaning.contains("cannot be operated"));
        assert!(p.lines[1].meaning.contains("no point \"NOPE\""));
        assert_eq!(p.lines[2].meaning, "Replies with every point's value.");
        assert!(p.refused.is_none());
    }

    #[test]
    fn too_many_commands_refuse_the_mail() {
        let body = "LIST\n".repeat(shared::command::MAX_COMMANDS + 1);
        let p = preview("", &body, &plant(), Lang::Ja);
        assert!(p.lines.is_empty());
        assert!(p.refused.is_some_and(|why| why.contains("多すぎます")));
        assert_eq!(mask_pin(""), "");
    }

    #[test]
    fn a_set_to_the_value_held_says_it_is_already_there() {
        let mut points = plant();
        points[0].value = Value::Digital(true);
        let p = preview("", "SET PUMP1 ON", &points, Lang::Ja);
        assert_eq!(
            p.lines[0].meaning,
            "PUMP1 給水ポンプ は既に ON です（値は変わりません）。"
        );
        let p = preview("", "SET PUMP1 ON", &points, Lang::En);
        assert_eq!(
            p.lines[0].meaning,
            "PUMP1 給水ポンプ is already ON (no change)."
        );
    }

    #[test]
    fn a_reply_subject_is_not_a_command() {
        let p = preview("Re: SET PUMP1 ON", "", &plant(), Lang::Ja);
        assert!(p.lines.is_empty());
        let get = preview("", "PUMP1?", &plant(), Lang::Ja);
        assert_eq!(
            get.lines[0].meaning,
            "PUMP1 給水ポンプ の値と状態を返信します。"
        );
    }
}
