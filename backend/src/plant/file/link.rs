//! The checks of one `[[link]]` table, one step each: its kind, the points it names (checked
//! before it, of the type the link needs), its numbers, and that it uses only the fields of its
//! kind. Each refusal names the link and its table's line.

use shared::points::PointKind;
use toml::Spanned;

use super::{Checker, Link, Place, PlantFileError, RawLink, RawValue, Source};

/// The points that switch a link: contacts and outputs.
const SWITCHES: [PointKind; 2] = [PointKind::Di, PointKind::Do];

impl Checker<'_> {
    /// Checks one link against the points.
    pub(super) fn link(&self, spanned: &Spanned<RawLink>) -> Result<Link, PlantFileError> {
        let raw = spanned.get_ref();
        let at = Place {
            line: self.line(spanned),
            ja: format!("リンク {}（{}）", raw.kind, raw.point),
            en: format!("link {} of {}", raw.kind, raw.point),
        };
        let (link, used): (Link, &[&str]) = match raw.kind.as_str() {
            "approach" => (
                self.approach(raw, &at)?,
                &["when", "toward", "otherwise", "minutes"],
            ),
            "rate" => (
                self.rate(raw, &at)?,
                &["when", "on_per_minute", "per_minute"],
            ),
            "meter" => (self.meter(raw, &at)?, &["loads", "base"]),
            other => {
                return Err(at.fail(
                    format!(
                        "種別 {other:?} はありません（approach・rate・meter のどれかにしてください）"
                    ),
                    format!("unknown kind {other:?} (use approach, rate or meter)"),
                ));
            }
        };
        fields_apply(raw, used, &at)?;
        Ok(link)
    }

    /// An AI that moves toward one target while a switch is ON and another while it is OFF.
    fn approach(&self, raw: &RawLink, at: &Place) -> Result<Link, PlantFileError> {
        let point = self.find(at, "point", &raw.point, &[PointKind::Ai])?;
        let when = raw.when.as_deref().ok_or_else(|| needs(at, "when"))?;
        let when = self.find(at, "when", when, &SWITCHES)?;
        let minutes = at
            .finite("minutes", raw.minutes)?
            .ok_or_else(|| needs(at, "minutes"))?;
        if minutes <= 0.0 {
            return Err(at.fail(
                format!("minutes（{minutes}）は 0 より大きくしてください"),
                format!("minutes ({minutes}) must be above 0"),
            ));
        }
        Ok(Link::Approach {
            point,
            when,
            toward: self.source(at, "toward", &raw.toward)?,
            otherwise: self.source(at, "otherwise", &raw.otherwise)?,
            tau_seconds: minutes * 60.0,
        })
    }

    /// An AI that changes at a steady rate, faster or slower while a switch is ON.
    fn rate(&self, raw: &RawLink, at: &Place) -> Result<Link, PlantFileError> {
        let point = self.find(at, "point", &raw.point, &[PointKind::Ai])?;
        let when = raw
            .when
            .as_deref()
            .map(|id| self.find(at, "when", id, &SWITCHES))
            .transpose()?;
        let on_per_minute = at
            .finite("on_per_minute", raw.on_per_minute)?
            .unwrap_or(0.0);
        if when.is_none() && on_per_minute != 0.0 {
            return Err(at.fail(
                "on_per_minute には `when` が必要です",
                "on_per_minute needs `when`",
            ));
        }
        Ok(Link::Rate {
            point,
            when,
            on_per_minute,
            per_minute: at.finite("per_minute", raw.per_minute)?.unwrap_or(0.0),
        })
    }

    /// A CNT that counts the energy of the loads that are ON.
    fn meter(&self, raw: &RawLink, at: &Place) -> Result<Link, PlantFileError> {
        let point = self.find(at, "point", &raw.point, &[PointKind::Cnt])?;
        let mut loads = Vec::new();
        for (id, kw) in raw.loads.iter().flatten() {
            let index = self.find(at, "loads", id, &SWITCHES)?;
            if !kw.is_finite() || *kw < 0.0 {
                return Err(at.fail(
                    format!("loads: {id} の kW は 0 以上にしてください"),
                    format!("loads: {id} must draw 0 kW or more"),
                ));
            }
            loads.push((index, *kw));
        }
        let base = at.finite("base", raw.base)?.unwrap_or(0.0);
        if base < 0.0 {
            return Err(at.fail(
                format!("base（{base}）を負の数にはできません"),
                format!("base ({base}) must not be negative"),
            ));
        }
        Ok(Link::Meter { point, loads, base })
    }

    /// The index of point `id`, named in `field`, which must be of one of `kinds`.
    fn find(
        &self,
        at: &Place,
        field: &str,
        id: &str,
        kinds: &[PointKind],
    ) -> Result<usize, PlantFileError> {
        let Some(index) = self.index(id) else {
            return Err(at.fail(
                format!("{field}: ポイント {id:?} はありません"),
                format!("{field}: there is no point {id:?}"),
            ));
        };
        let kind = self.points[index].0.kind;
        if !kinds.contains(&kind) {
            let codes: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
            return Err(at.fail(
                format!(
                    "{field}: {id} は {} です。ここには {} が必要です",
                    kind.code(),
                    codes.join("・")
                ),
                format!(
                    "{field}: {id} is a {}, this needs {}",
                    kind.code(),
                    codes.join(" or ")
                ),
            ));
        }
        Ok(index)
    }

    /// A target: a fixed number, or an analog point's value.
    fn source(
        &self,
        at: &Place,
        field: &str,
        v: &Option<RawValue>,
    ) -> Result<Source, PlantFileError> {
        match v {
            None => Err(needs(at, field)),
            Some(RawValue::Number(x)) if x.is_finite() => Ok(Source::Fixed(*x)),
            Some(RawValue::Text(id)) => self
                .find(at, field, id, &[PointKind::Ai, PointKind::Ao])
                .map(Source::Point),
            Some(v) => Err(at.fail(
                format!("{field} は数か AI/AO のポイント ID にしてください（{v} ではなく）"),
                format!("{field} must be a number or an AI/AO point id, not {v}"),
            )),
        }
    }
}

fn needs(at: &Place, field: &str) -> PlantFileError {
    at.fail(format!("`{field}` が必要です"), format!("needs `{field}`"))
}

/// Only the fields of its kind: a `minutes` on a rate link is a mistake, not something to ignore.
fn fields_apply(raw: &RawLink, used: &[&str], at: &Place) -> Result<(), PlantFileError> {
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
            return Err(at.fail(
                format!("`{field}` は {} のリンクには使えません", raw.kind),
                format!("`{field}` does not apply to a {} link", raw.kind),
            ));
        }
    }
    Ok(())
}
