//! The checks of one `[[point]]` table, one step each: the id and names, that no other point
//! answers to them, the kind and the fields it allows, the display format, the alarm or range
//! rule, and the initial value. Each refusal names the point and its table's line.

use shared::points::{PointKind, Value};
use shared::transcript::Notice;
use toml::Spanned;

use super::{
    Checker, DEFAULT_RANGE, MAX_DECIMALS, MAX_UNIT_CHARS, Place, PlantFileError, PointDef,
    RawPoint, RawValue, Rule, check_id, check_name, check_name_en, digital, same_key,
};

impl Checker<'_> {
    /// Checks one point and adds it to the checked ones.
    pub(super) fn point(&mut self, spanned: &Spanned<RawPoint>) -> Result<(), PlantFileError> {
        let line = self.line(spanned);
        let raw = spanned.get_ref();
        let id = check_id(&raw.id).map_err(|why| PlantFileError {
            line: Some(line),
            reason: Notice::new(
                format!("ポイント ID {:?}{}", raw.id, why.ja),
                format!("point id {:?} {}", raw.id, why.en),
            ),
        })?;
        let at = Place {
            line,
            ja: format!("ポイント {id}"),
            en: format!("point {id}"),
        };
        let name_en = names(raw, &at)?;
        self.unique(&id, &raw.name, &at)?;
        let kind = kind(raw, &at)?;
        fields_apply(raw, kind, &at)?;
        let (unit, decimals) = display_format(raw, &at)?;
        let rule = rule(raw, kind, &at)?;
        let initial = initial(raw, kind, &rule, &at)?;
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

    /// No earlier point may answer to this id or name in a command.
    fn unique(&self, id: &str, name: &str, at: &Place) -> Result<(), PlantFileError> {
        for (other, other_line) in &self.points {
            for (mine, theirs) in [
                (id, other.id.as_str()),
                (name, other.name.as_str()),
                (id, other.name.as_str()),
                (name, other.id.as_str()),
            ] {
                if same_key(mine, theirs) {
                    return Err(at.fail(
                        format!(
                            "{mine:?} は {other_line} 行目のポイント {} が使っています",
                            other.id
                        ),
                        format!(
                            "{mine:?} is already used by point {} on line {other_line}",
                            other.id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Checks the Japanese name and returns the English one, trimmed (empty for none).
fn names(raw: &RawPoint, at: &Place) -> Result<String, PlantFileError> {
    check_name(&raw.name).map_err(|why| {
        at.fail(
            format!("名称 {:?}{}", raw.name, why.ja),
            format!("name {:?} {}", raw.name, why.en),
        )
    })?;
    let name_en = raw
        .name_en
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_string();
    check_name_en(&name_en).map_err(|why| {
        at.fail(
            format!("name_en {name_en:?}{}", why.ja),
            format!("name_en {name_en:?} {}", why.en),
        )
    })?;
    Ok(name_en)
}

fn kind(raw: &RawPoint, at: &Place) -> Result<PointKind, PlantFileError> {
    PointKind::from_code(&raw.kind).ok_or_else(|| {
        at.fail(
            format!(
                "種別 {:?} はありません（DI・DO・AI・AO・CNT のどれかにしてください）",
                raw.kind
            ),
            format!("unknown kind {:?} (use DI, DO, AI, AO or CNT)", raw.kind),
        )
    })
}

/// Only the fields of its kind: a `high` on a DO is a mistake, not something to ignore.
fn fields_apply(raw: &RawPoint, kind: PointKind, at: &Place) -> Result<(), PlantFileError> {
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
            return Err(at.fail(
                format!("`{field}` は {} には使えません", kind.code()),
                format!("`{field}` does not apply to a {}", kind.code()),
            ));
        }
    }
    Ok(())
}

/// The unit and the decimal places shown.
fn display_format(raw: &RawPoint, at: &Place) -> Result<(String, u8), PlantFileError> {
    let unit = raw.unit.clone().unwrap_or_default();
    if unit.chars().count() > MAX_UNIT_CHARS || unit.chars().any(char::is_control) {
        return Err(at.fail(
            format!("単位 {unit:?} は表示できる文字で {MAX_UNIT_CHARS} 文字までにしてください"),
            format!("unit {unit:?} must be at most {MAX_UNIT_CHARS} printable characters"),
        ));
    }
    let decimals = raw.decimals.unwrap_or(1);
    if decimals > MAX_DECIMALS {
        return Err(at.fail(
            format!("decimals は 0〜{MAX_DECIMALS} にしてください"),
            format!("decimals must be 0 to {MAX_DECIMALS}"),
        ));
    }
    Ok((unit, decimals))
}

fn rule(raw: &RawPoint, kind: PointKind, at: &Place) -> Result<Rule, PlantFileError> {
    Ok(match kind {
        PointKind::Di => Rule::Di {
            alarm_when: raw
                .alarm_when
                .as_ref()
                .map(|v| on_off("alarm_when", v, at))
                .transpose()?,
        },
        PointKind::Do => Rule::Do,
        PointKind::Ai => ai_rule(raw, at)?,
        PointKind::Ao => ao_rule(raw, at)?,
        PointKind::Cnt => Rule::Cnt,
    })
}

/// `"ON"`/`"OFF"` (or `true`/`false`) for `field`.
fn on_off(field: &str, v: &RawValue, at: &Place) -> Result<bool, PlantFileError> {
    digital(v).ok_or_else(|| {
        at.fail(
            format!("{field} は \"ON\" か \"OFF\" にしてください（{v} ではなく）"),
            format!("{field} must be \"ON\" or \"OFF\", not {v}"),
        )
    })
}

/// An AI's limits, the deadband that keeps an alarm from flapping, and its physical range.
fn ai_rule(raw: &RawPoint, at: &Place) -> Result<Rule, PlantFileError> {
    let low = at.finite("low", raw.low)?;
    let high = at.finite("high", raw.high)?;
    let deadband = at.finite("deadband", raw.deadband)?.unwrap_or(0.0);
    let range = ai_range(raw, at)?;
    if let (Some(low), Some(high)) = (low, high) {
        if low >= high {
            return Err(at.fail(
                format!("low（{low}）は high（{high}）より小さくしてください"),
                format!("low ({low}) must be below high ({high})"),
            ));
        }
        if deadband >= high - low {
            return Err(at.fail(
                format!(
                    "deadband（{deadband}）は high - low（{}）より小さくしてください",
                    high - low
                ),
                format!(
                    "deadband ({deadband}) must be smaller than high - low ({})",
                    high - low
                ),
            ));
        }
    }
    if deadband < 0.0 {
        return Err(at.fail(
            format!("deadband（{deadband}）を負の数にはできません"),
            format!("deadband ({deadband}) must not be negative"),
        ));
    }
    for (field, limit) in [("low", low), ("high", high)] {
        if let Some(limit) = limit
            && !(range.0..=range.1).contains(&limit)
        {
            return Err(at.fail(
                format!(
                    "{field}（{limit}）が range [{}, {}] の外にあります",
                    range.0, range.1
                ),
                format!(
                    "{field} ({limit}) is outside the range [{}, {}]",
                    range.0, range.1
                ),
            ));
        }
    }
    Ok(Rule::Ai {
        low,
        high,
        deadband,
        range,
    })
}

/// The lowest and highest value an AI can take; wide by default.
fn ai_range(raw: &RawPoint, at: &Place) -> Result<(f64, f64), PlantFileError> {
    let range = match raw.range {
        Some([a, b]) => (a, b),
        None => DEFAULT_RANGE,
    };
    at.finite("range", Some(range.0))?;
    at.finite("range", Some(range.1))?;
    if range.0 >= range.1 {
        return Err(at.fail(
            format!(
                "range [{}, {}] は小さい値から大きい値の順にしてください",
                range.0, range.1
            ),
            format!("range [{}, {}] must go from low to high", range.0, range.1),
        ));
    }
    Ok(range)
}

fn ao_rule(raw: &RawPoint, at: &Place) -> Result<Rule, PlantFileError> {
    let (Some(min), Some(max)) = (at.finite("min", raw.min)?, at.finite("max", raw.max)?) else {
        return Err(at.fail(
            "AO には min と max の両方が必要です",
            "an AO needs both min and max",
        ));
    };
    if min >= max {
        return Err(at.fail(
            format!("min（{min}）は max（{max}）より小さくしてください"),
            format!("min ({min}) must be below max ({max})"),
        ));
    }
    Ok(Rule::Ao { min, max })
}

/// The value before any saved state: OFF, or 0 brought into the point's range, unless given;
/// a given value must fit the range.
fn initial(
    raw: &RawPoint,
    kind: PointKind,
    rule: &Rule,
    at: &Place,
) -> Result<Value, PlantFileError> {
    let value = match (&raw.initial, kind.is_digital()) {
        (None, true) => Value::Digital(false),
        (Some(v), true) => Value::Digital(on_off("initial", v, at)?),
        (None, false) => Value::Analog(match rule {
            Rule::Ao { min, max } => 0.0_f64.clamp(*min, *max),
            Rule::Ai { range, .. } => 0.0_f64.clamp(range.0, range.1),
            _ => 0.0,
        }),
        (Some(RawValue::Number(x)), false) if x.is_finite() => Value::Analog(*x),
        (Some(v), false) => {
            return Err(at.fail(
                format!("initial は数にしてください（{v} ではなく）"),
                format!("initial must be a number, not {v}"),
            ));
        }
    };
    if let Value::Analog(x) = value {
        let (lo, hi) = match rule {
            Rule::Ai { range, .. } => *range,
            Rule::Ao { min, max } => (*min, *max),
            _ => (0.0, f64::MAX),
        };
        if !(lo..=hi).contains(&x) {
            return Err(at.fail(
                format!("initial（{x}）が [{lo}, {hi}] の外にあります"),
                format!("initial ({x}) is outside [{lo}, {hi}]"),
            ));
        }
    }
    Ok(value)
}
