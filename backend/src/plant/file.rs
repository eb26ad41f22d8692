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
use toml::Spanned;

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
    /// The reason, naming the point or link.
    pub message: String,
}

impl fmt::Display for PlantFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "points file, line {line}: {}", self.message),
            None => write!(f, "points file: {}", self.message),
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
    let raw: RawFile = toml::from_str(text).map_err(|e| PlantFileError {
        line: e.span().map(|span| line_of(text, span.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut checker = Checker {
        text,
        points: Vec::new(),
    };
    if raw.point.is_empty() {
        return Err(PlantFileError {
            line: None,
            message: "there are no [[point]] tables".into(),
        });
    }
    if raw.point.len() > MAX_POINTS {
        return Err(PlantFileError {
            line: Some(checker.line(&raw.point[MAX_POINTS])),
            message: format!("more than {MAX_POINTS} points"),
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

fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

struct Checker<'t> {
    text: &'t str,
    /// Checked points with the line of their table.
    points: Vec<(PointDef, usize)>,
}

impl Checker<'_> {
    fn line<T>(&self, spanned: &Spanned<T>) -> usize {
        line_of(self.text, spanned.span().start)
    }

    fn point(&mut self, spanned: &Spanned<RawPoint>) -> Result<(), PlantFileError> {
        let line = self.line(spanned);
        let raw = spanned.get_ref();
        let fail = |message: String| PlantFileError {
            line: Some(line),
            message,
        };
        let id = check_id(&raw.id).map_err(|why| fail(format!("point id {:?} {why}", raw.id)))?;
        let at = |message: String| fail(format!("point {id}: {message}"));
        check_name(&raw.name).map_err(|why| at(format!("name {:?} {why}", raw.name)))?;
        let name_en = raw
            .name_en
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_string();
        check_name_en(&name_en).map_err(|why| at(format!("name_en {name_en:?} {why}")))?;
        for (other, other_line) in &self.points {
            for (mine, theirs) in [
                (&id, &other.id),
                (&raw.name, &other.name),
                (&id, &other.name),
                (&raw.name, &other.id),
            ] {
                if same_key(mine, theirs) {
                    return Err(at(format!(
                        "{mine:?} is already used by point {} on line {other_line}",
                        other.id
                    )));
                }
            }
        }
        let kind = PointKind::from_code(&raw.kind).ok_or_else(|| {
            at(format!(
                "unknown kind {:?} (use DI, DO, AI, AO or CNT)",
                raw.kind
            ))
        })?;
        let allowed: &[&str] = match kind {
            PointKind::Di => &["alarm_when"],
            PointKind::Do => &[],
            PointKind::Ai => &["unit", "decimals", "low", "high", "deadband", "range"],
            PointKind::Ao => &["unit", "decimals", "min", "max"],
            PointKind::Cnt => &["unit", "decimals"],
        };
        for (field, present) in [
            ("unit", raw.unit.is_some()),
            ("decimals", raw.decimals.is_some()),
            ("alarm_when", raw.alarm_when.is_some()),
            ("low", raw.low.is_some()),
            ("high", raw.high.is_some()),
            ("deadband", raw.deadband.is_some()),
            ("range", raw.range.is_some()),
            ("min", raw.min.is_some()),
            ("max", raw.max.is_some()),
        ] {
            if present && !allowed.contains(&field) {
                return Err(at(format!("`{field}` does not apply to a {}", kind.code())));
            }
        }
        let unit = raw.unit.clone().unwrap_or_default();
        if unit.chars().count() > MAX_UNIT_CHARS || unit.chars().any(char::is_control) {
            return Err(at(format!(
                "unit {unit:?} must be at most {MAX_UNIT_CHARS} printable characters"
            )));
        }
        let decimals = raw.decimals.unwrap_or(1);
        if decimals > MAX_DECIMALS {
            return Err(at(format!("decimals must be 0 to {MAX_DECIMALS}")));
        }
        let finite = |field: &str, x: Option<f64>| match x {
            Some(x) if !x.is_finite() => Err(at(format!("{field} must be a finite number"))),
            _ => Ok(x),
        };
        let rule = match kind {
            PointKind::Di => Rule::Di {
                alarm_when: raw
                    .alarm_when
                    .as_ref()
                    .map(|v| {
                        digital(v).ok_or_else(|| {
                            at(format!("alarm_when must be \"ON\" or \"OFF\", not {v}"))
                        })
                    })
                    .transpose()?,
            },
            PointKind::Do => Rule::Do,
            PointKind::Ai => {
                let low = finite("low", raw.low)?;
                let high = finite("high", raw.high)?;
                let deadband = finite("deadband", raw.deadband)?.unwrap_or(0.0);
                let range = match raw.range {
                    Some([a, b]) => (a, b),
                    None => DEFAULT_RANGE,
                };
                finite("range", Some(range.0))?;
                finite("range", Some(range.1))?;
                if range.0 >= range.1 {
                    return Err(at(format!(
                        "range [{}, {}] must go from low to high",
                        range.0, range.1
                    )));
                }
                if let (Some(low), Some(high)) = (low, high) {
                    if low >= high {
                        return Err(at(format!("low ({low}) must be below high ({high})")));
                    }
                    if deadband >= high - low {
                        return Err(at(format!(
                            "deadband ({deadband}) must be smaller than high - low ({})",
                            high - low
                        )));
                    }
                }
                if deadband < 0.0 {
                    return Err(at(format!("deadband ({deadband}) must not be negative")));
                }
                for (field, limit) in [("low", low), ("high", high)] {
                    if let Some(limit) = limit
                        && !(range.0..=range.1).contains(&limit)
                    {
                        return Err(at(format!(
                            "{field} ({limit}) is outside the range [{}, {}]",
                            range.0, range.1
                        )));
                    }
                }
                Rule::Ai {
                    low,
                    high,
                    deadband,
                    range,
                }
            }
            PointKind::Ao => {
                let (Some(min), Some(max)) = (finite("min", raw.min)?, finite("max", raw.max)?)
                else {
                    return Err(at("an AO needs both min and max".into()));
                };
                if min >= max {
                    return Err(at(format!("min ({min}) must be below max ({max})")));
                }
                Rule::Ao { min, max }
            }
            PointKind::Cnt => Rule::Cnt,
        };
        let initial = match (&raw.initial, kind.is_digital()) {
            (None, true) => Value::Digital(false),
            (Some(v), true) => Value::Digital(
                digital(v)
                    .ok_or_else(|| at(format!("initial must be \"ON\" or \"OFF\", not {v}")))?,
            ),
            (None, false) => Value::Analog(match &rule {
                Rule::Ao { min, max } => 0.0_f64.clamp(*min, *max),
                Rule::Ai { range, .. } => 0.0_f64.clamp(range.0, range.1),
                _ => 0.0,
            }),
            (Some(RawValue::Number(x)), false) if x.is_finite() => Value::Analog(*x),
            (Some(v), false) => return Err(at(format!("initial must be a number, not {v}"))),
        };
        if let Value::Analog(x) = initial {
            let (lo, hi) = match rule {
                Rule::Ai { range, .. } => range,
                Rule::Ao { min, max } => (min, max),
                _ => (0.0, f64::MAX),
            };
            if !(lo..=hi).contains(&x) {
                return Err(at(format!("initial ({x}) is outside [{lo}, {hi}]")));
            }
        }
        self.points.push((
            PointDef {
                id,
                name: raw.name.clone(),
                name_en,
                kind,
                unit,
                decimals,
                initial,
                rule,
            },
            line,
        ));
        Ok(())
    }

    fn link(&self, spanned: &Spanned<RawLink>) -> Result<Link, PlantFileError> {
        let line = self.line(spanned);
        let raw = spanned.get_ref();
        let at = |message: String| PlantFileError {
            line: Some(line),
            message: format!("link {} of {}: {message}", raw.kind, raw.point),
        };
        let find = |field: &str, id: &str, kinds: &[PointKind]| {
            let Some(index) = self.index(id) else {
                return Err(at(format!("{field}: there is no point {id:?}")));
            };
            let kind = self.points[index].0.kind;
            if !kinds.contains(&kind) {
                let codes: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
                return Err(at(format!(
                    "{field}: {id} is a {}, this needs {}",
                    kind.code(),
                    codes.join(" or ")
                )));
            }
            Ok(index)
        };
        let number = |field: &str, x: Option<f64>| match x {
            Some(x) if !x.is_finite() => Err(at(format!("{field} must be a finite number"))),
            Some(x) => Ok(Some(x)),
            None => Ok(None),
        };
        let switches = [PointKind::Di, PointKind::Do];
        let source = |field: &str, v: &Option<RawValue>| match v {
            None => Err(at(format!("needs `{field}`"))),
            Some(RawValue::Number(x)) if x.is_finite() => Ok(Source::Fixed(*x)),
            Some(RawValue::Text(id)) => {
                find(field, id, &[PointKind::Ai, PointKind::Ao]).map(Source::Point)
            }
            Some(v) => Err(at(format!(
                "{field} must be a number or an AI/AO point id, not {v}"
            ))),
        };
        let used: &[&str];
        let link = match raw.kind.as_str() {
            "approach" => {
                used = &["when", "toward", "otherwise", "minutes"];
                let point = find("point", &raw.point, &[PointKind::Ai])?;
                let when = raw
                    .when
                    .as_deref()
                    .ok_or_else(|| at("needs `when`".into()))?;
                let when = find("when", when, &switches)?;
                let minutes =
                    number("minutes", raw.minutes)?.ok_or_else(|| at("needs `minutes`".into()))?;
                if minutes <= 0.0 {
                    return Err(at(format!("minutes ({minutes}) must be above 0")));
                }
                Link::Approach {
                    point,
                    when,
                    toward: source("toward", &raw.toward)?,
                    otherwise: source("otherwise", &raw.otherwise)?,
                    tau_seconds: minutes * 60.0,
                }
            }
            "rate" => {
                used = &["when", "on_per_minute", "per_minute"];
                let point = find("point", &raw.point, &[PointKind::Ai])?;
                let when = raw
                    .when
                    .as_deref()
                    .map(|id| find("when", id, &switches))
                    .transpose()?;
                let on_per_minute = number("on_per_minute", raw.on_per_minute)?.unwrap_or(0.0);
                if when.is_none() && on_per_minute != 0.0 {
                    return Err(at("on_per_minute needs `when`".into()));
                }
                Link::Rate {
                    point,
                    when,
                    on_per_minute,
                    per_minute: number("per_minute", raw.per_minute)?.unwrap_or(0.0),
                }
            }
            "meter" => {
                used = &["loads", "base"];
                let point = find("point", &raw.point, &[PointKind::Cnt])?;
                let mut loads = Vec::new();
                for (id, kw) in raw.loads.iter().flatten() {
                    let index = find("loads", id, &switches)?;
                    if !kw.is_finite() || *kw < 0.0 {
                        return Err(at(format!("loads: {id} must draw 0 kW or more")));
                    }
                    loads.push((index, *kw));
                }
                let base = number("base", raw.base)?.unwrap_or(0.0);
                if base < 0.0 {
                    return Err(at(format!("base ({base}) must not be negative")));
                }
                Link::Meter { point, loads, base }
            }
            other => {
                return Err(at(format!(
                    "unknown kind {other:?} (use approach, rate or meter)"
                )));
            }
        };
        for (field, present) in [
            ("when", raw.when.is_some()),
            ("toward", raw.toward.is_some()),
            ("otherwise", raw.otherwise.is_some()),
            ("minutes", raw.minutes.is_some()),
            ("on_per_minute", raw.on_per_minute.is_some()),
            ("per_minute", raw.per_minute.is_some()),
            ("loads", raw.loads.is_some()),
            ("base", raw.base.is_some()),
        ] {
            if present && !used.contains(&field) {
                return Err(at(format!(
                    "`{field}` does not apply to a {} link",
                    raw.kind
                )));
            }
        }
        Ok(link)
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.points
            .iter()
            .position(|(p, _)| p.id.eq_ignore_ascii_case(id.trim()))
    }
}

/// The id in upper case, or why it is not one.
fn check_id(id: &str) -> Result<String, String> {
    let mut chars = id.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !starts_with_letter || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("must be a letter followed by letters, digits or _".into());
    }
    if id.len() > MAX_ID_CHARS {
        return Err(format!("is longer than {MAX_ID_CHARS} characters"));
    }
    if command::is_reserved(id) {
        return Err("is a command word".into());
    }
    Ok(id.to_ascii_uppercase())
}

fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("is empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("is longer than {MAX_NAME_CHARS} characters"));
    }
    // Commands split on spaces and on `=`/`?`, and skip `>` lines: a name with them could not
    // be written in a command. NFKC maps the full-width forms onto these.
    if name.chars().any(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '=' | '?' | '＝' | '？' | '>' | '＞')
    }) {
        return Err("may not contain spaces, =, ? or >".into());
    }
    if command::is_reserved(name) {
        return Err("is a command word".into());
    }
    // `状態…` and `暗証…` would be read as the keyword followed by the rest of the name.
    if name.starts_with("状態") || name.starts_with("暗証") {
        return Err("may not start with 状態 or 暗証".into());
    }
    Ok(())
}

/// The English name is only shown, never matched in commands, so it may hold spaces; it must
/// still fit a table cell and hold no control characters.
fn check_name_en(name: &str) -> Result<(), String> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("is longer than {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("has a control character".into());
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
