//! The points file: TOML with `[[point]]` and `[[link]]` tables (documented in
//! `plant.default.toml`, which is also the default plant). [`parse`] turns the text into a
//! checked [`PlantConfig`] or refuses it with the line and the reason: TOML syntax errors carry
//! the parser's position, and our own checks (duplicate ids, unknown kinds, `low` ≥ `high`, a
//! link to a missing point, …) name the point or link and the line its table starts on. A bad
//! file is never patched up with defaults.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use shared::command;
use shared::points::{PointKind, Value};
use shared::text::line_of;
use shared::transcript::Notice;
use toml::Spanned;

mod link;
mod point;

/// The most points a plant may have: the points list and `LIST` replies stay readable.
pub const MAX_POINTS: usize = 200;
/// The longest point id.
pub const MAX_ID_CHARS: usize = 16;
/// The longest point name.
pub const MAX_NAME_CHARS: usize = 32;
/// The longest unit.
pub const MAX_UNIT_CHARS: usize = 16;
/// The most decimal places shown.
pub const MAX_DECIMALS: u8 = 6;
/// The default physical range of an AI: wide enough never to get in the way.
const DEFAULT_RANGE: (f64, f64) = (-1_000_000.0, 1_000_000.0);

/// A checked plant description.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantConfig {
    /// The points, in file order.
    pub points: Vec<PointDef>,
    /// The model's links, in file order (the order they are applied in).
    pub links: Vec<Link>,
}

/// One checked point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointDef {
    /// Upper-case id.
    pub id: String,
    /// Name as written.
    pub name: String,
    /// English name for the English screens; empty for none (the Japanese one is shown).
    pub name_en: String,
    /// Point type.
    pub kind: PointKind,
    /// Unit of analog values; empty for none.
    pub unit: String,
    /// Decimal places shown.
    pub decimals: u8,
    /// The value before any saved state is restored.
    pub initial: Value,
    /// What the kind needs.
    pub rule: Rule,
}

/// The kind-specific part of a point.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Contact input.
    Di {
        /// The state that is an alarm, if any.
        alarm_when: Option<bool>,
    },
    /// On/off output.
    Do,
    /// Measured value.
    Ai {
        /// Low alarm limit.
        low: Option<f64>,
        /// High alarm limit.
        high: Option<f64>,
        /// How far inside a limit the value must come back before the alarm clears.
        deadband: f64,
        /// The lowest and highest value the point can take.
        range: (f64, f64),
    },
    /// Set-point.
    Ao {
        /// Lowest allowed set-point.
        min: f64,
        /// Highest allowed set-point.
        max: f64,
    },
    /// Totaliser.
    Cnt,
}

/// Where an `approach` link's target comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// A fixed number.
    Fixed(f64),
    /// The value of the analog point at this index.
    Point(usize),
}

/// One link of the model; point references are indices into [`PlantConfig::points`].
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// `point` moves exponentially toward `toward` while `when` is ON, else toward `otherwise`.
    Approach {
        /// The AI that moves.
        point: usize,
        /// The DI/DO that switches the target.
        when: usize,
        /// Target while ON.
        toward: Source,
        /// Target while OFF.
        otherwise: Source,
        /// Time constant in seconds.
        tau_seconds: f64,
    },
    /// `point` changes at a steady rate, faster or slower while `when` is ON.
    Rate {
        /// The AI that moves.
        point: usize,
        /// The DI/DO that adds `on_per_minute`, if any.
        when: Option<usize>,
        /// Extra change per minute while `when` is ON.
        on_per_minute: f64,
        /// Change per minute all the time.
        per_minute: f64,
    },
    /// `point` counts the energy of the loads that are ON.
    Meter {
        /// The CNT that counts kWh.
        point: usize,
        /// DI/DO index and its kW while ON.
        loads: Vec<(usize, f64)>,
        /// kW drawn all the time.
        base: f64,
    },
}

/// Why a points file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PlantFileError {
    /// 1-based line, when the problem has a place.
    pub line: Option<usize>,
    /// The reason, naming the point or link, in both languages.
    pub reason: Notice,
}

/// Japanese first, then English, each naming the line: the person reading the terminal may
/// read either.
impl fmt::Display for PlantFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "ポイントファイル {line} 行目: {}\npoints file, line {line}: {}",
                self.reason.ja, self.reason.en
            ),
            None => write!(
                f,
                "ポイントファイル: {}\npoints file: {}",
                self.reason.ja, self.reason.en
            ),
        }
    }
}

/// Where a problem is: the line of its table, and the point or link it is about.
struct Place {
    line: usize,
    /// `ポイント PUMP1`, `リンク rate（LEVEL1）`.
    ja: String,
    /// `point PUMP1`, `link rate of LEVEL1`.
    en: String,
}

impl Place {
    /// The refusal of this place for the reason given in both languages.
    fn fail(&self, ja: impl fmt::Display, en: impl fmt::Display) -> PlantFileError {
        PlantFileError {
            line: Some(self.line),
            reason: Notice::new(format!("{}: {ja}", self.ja), format!("{}: {en}", self.en)),
        }
    }

    /// A number field that must be finite when given.
    fn finite(&self, field: &str, x: Option<f64>) -> Result<Option<f64>, PlantFileError> {
        match x {
            Some(x) if !x.is_finite() => Err(self.fail(
                format!("{field} は有限の数にしてください"),
                format!("{field} must be a finite number"),
            )),
            _ => Ok(x),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    point: Vec<Spanned<RawPoint>>,
    #[serde(default)]
    link: Vec<Spanned<RawLink>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    id: String,
    name: String,
    name_en: Option<String>,
    kind: String,
    initial: Option<RawValue>,
    unit: Option<String>,
    decimals: Option<u8>,
    alarm_when: Option<RawValue>,
    low: Option<f64>,
    high: Option<f64>,
    deadband: Option<f64>,
    range: Option<[f64; 2]>,
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    kind: String,
    point: String,
    when: Option<String>,
    toward: Option<RawValue>,
    otherwise: Option<RawValue>,
    minutes: Option<f64>,
    on_per_minute: Option<f64>,
    per_minute: Option<f64>,
    loads: Option<BTreeMap<String, f64>>,
    base: Option<f64>,
}

/// A value as TOML lets people write it: `"ON"`, `true`, `24.0`, `24` or a point id.
enum RawValue {
    Bool(bool),
    Number(f64),
    Text(String),
}

// By hand rather than `#[serde(untagged)]`, whose error ("did not match any variant") would not
// tell the person editing the file what to write.
impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = RawValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"ON\", \"OFF\", a number or a point id")
            }
            fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
                Ok(RawValue::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
                Ok(RawValue::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<RawValue, E> {
                Ok(RawValue::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
                Ok(RawValue::Number(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl fmt::Display for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawValue::Bool(b) => write!(f, "{b}"),
            RawValue::Number(x) => write!(f, "{x}"),
            RawValue::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// Parses and checks a points file.
pub fn parse(text: &str) -> Result<PlantConfig, PlantFileError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let why = e.message().trim();
        PlantFileError {
            line: e.span().map(|span| line_of(text, span.start)),
            // The parser's own words are English; the Japanese says what kind of problem.
            reason: Notice::new(format!("TOML として読めません: {why}"), why),
        }
    })?;
    let mut checker = Checker {
        text,
        points: Vec::new(),
    };
    if raw.point.is_empty() {
        return Err(PlantFileError {
            line: None,
            reason: Notice::new(
                "[[point]] の表がありません",
                "there are no [[point]] tables",
            ),
        });
    }
    if raw.point.len() > MAX_POINTS {
        return Err(PlantFileError {
            line: Some(checker.line(&raw.point[MAX_POINTS])),
            reason: Notice::new(
                format!("ポイントが {MAX_POINTS} を超えています"),
                format!("more than {MAX_POINTS} points"),
            ),
        });
    }
    for point in &raw.point {
        checker.point(point)?;
    }
    let links = raw
        .link
        .iter()
        .map(|link| checker.link(link))
        .collect::<Result<_, _>>()?;
    Ok(PlantConfig {
        points: checker.points.into_iter().map(|(def, _)| def).collect(),
        links,
    })
}

/// The file's checks, point by point then link by link (in `point.rs` and `link.rs`): a link
/// refers to the points checked before it.
struct Checker<'t> {
    text: &'t str,
    /// Checked points with the line of their table.
    points: Vec<(PointDef, usize)>,
}

impl Checker<'_> {
    fn line<T>(&self, spanned: &Spanned<T>) -> usize {
        line_of(self.text, spanned.span().start)
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.points
            .iter()
            .position(|(p, _)| p.id.eq_ignore_ascii_case(id.trim()))
    }
}

/// Said of an id or a name that is a command word.
fn command_word() -> Notice {
    Notice::new("はコマンドの語です", "is a command word")
}

/// Said of an id or a name longer than `max` characters.
fn too_long(max: usize) -> Notice {
    Notice::new(
        format!("が {max} 文字を超えています"),
        format!("is longer than {max} characters"),
    )
}

/// The id in upper case, or why it is not one (a predicate after the id).
fn check_id(id: &str) -> Result<String, Notice> {
    let mut chars = id.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_with_letter || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Notice::new(
            "は英字で始め、英数字と _ だけにしてください",
            "must be a letter followed by letters, digits or _",
        ));
    }
    if id.len() > MAX_ID_CHARS {
        return Err(too_long(MAX_ID_CHARS));
    }
    if command::is_reserved(id) {
        return Err(command_word());
    }
    Ok(id.to_ascii_uppercase())
}

fn check_name(name: &str) -> Result<(), Notice> {
    if name.trim().is_empty() {
        return Err(Notice::new("が空です", "is empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(too_long(MAX_NAME_CHARS));
    }
    // Commands split on spaces and on `=`/`?`, and skip `>` lines: a name with them could not
    // be written in a command. NFKC maps the full-width forms onto these.
    if name.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '=' | '?' | '＝' | '？' | '>' | '＞')
    }) {
        return Err(Notice::new(
            "に空白・=・?・> は使えません",
            "may not contain spaces, =, ? or >",
        ));
    }
    if command::is_reserved(name) {
        return Err(command_word());
    }
    // `状態…` and `暗証…` would be read as the keyword followed by the rest of the name.
    if name.starts_with("状態") || name.starts_with("暗証") {
        return Err(Notice::new(
            "を「状態」「暗証」で始めることはできません",
            "may not start with 状態 or 暗証",
        ));
    }
    Ok(())
}

/// The English name is only shown, never matched in commands, so it may hold spaces; it must
/// still fit a table cell and hold no control characters.
fn check_name_en(name: &str) -> Result<(), Notice> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(too_long(MAX_NAME_CHARS));
    }
    if name.chars().any(char::is_control) {
        return Err(Notice::new(
            "に制御文字があります",
            "has a control character",
        ));
    }
    Ok(())
}

/// True when two ids or names would be the same point in a command.
fn same_key(a: &str, b: &str) -> bool {
    command::point_key(a) == command::point_key(b)
}

fn digital(v: &RawValue) -> Option<bool> {
    match v {
        RawValue::Bool(b) => Some(*b),
        RawValue::Text(s) if s.eq_ignore_ascii_case("ON") => Some(true),
        RawValue::Text(s) if s.eq_ignore_ascii_case("OFF") => Some(false),
        _ => None,
    }
}
