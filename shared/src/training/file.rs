//! The exercise file: TOML, one exercise a file (the format is documented in
//! `exercises/README.md`). [`parse`] turns the text into a checked [`Exercise`] or refuses it
//! with the line and the reason, as the points file does: TOML errors carry the parser's
//! position, our own checks the line of the table they are about. Nothing is patched up.

use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use super::{
    AccountNotice, Check, Condition, Exercise, Hint, SeedMail, SettingsStart, Start, StartPoint,
    Text,
};
use crate::Lang;
use crate::points::Value;
use crate::sandbox::{MailService, Op25b, Requirement, SandboxPolicy, StartTls};
use crate::settings::{MailSettings, Security};
use crate::text::line_of;

/// The longest exercise id.
pub const MAX_ID_CHARS: usize = 32;
/// The most checks (steps) an exercise may have.
pub const MAX_CHECKS: usize = 16;

/// Why an exercise file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExerciseFileError {
    /// 1-based line, when the problem has a place.
    pub line: Option<usize>,
    /// The reason.
    pub message: String,
}

impl fmt::Display for ExerciseFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ExerciseFileError {}

/// What is wrong at one place of an exercise file; its text becomes the
/// [`ExerciseFileError::message`].
#[derive(Debug, thiserror::Error)]
enum Problem {
    /// The start settings fail the form's own validation (its English message).
    #[error("{0}")]
    Settings(String),
    /// The ISP policy fails its own validation (its English message).
    #[error("{0}")]
    Policy(String),
    #[error("point {0:?} is not in the plant")]
    UnknownPoint(String),
    #[error("point {id}: value {value} is not ON, OFF or a number")]
    PointValue { id: String, value: toml::Value },
    #[error("notice: {service} is port {port}, not {given}")]
    NoticePort {
        service: &'static str,
        port: u16,
        given: u16,
    },
    #[error("notice: smtp_service {0:?} is not smtp, submission or smtps")]
    NoticeService(String),
    #[error("check: point {0:?} is not in the plant")]
    CheckPoint(String),
    #[error("check: {0:?} is not an address")]
    CheckAddress(String),
    /// An id (`id`, `help`) that is not a slug.
    #[error("{field} {slug:?} must be 1 to {MAX_ID_CHARS} of a-z, 0-9 and -")]
    NotASlug { field: &'static str, slug: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    id: Spanned<String>,
    order: u32,
    title: Text,
    goal: Text,
    notice: Spanned<AccountNotice>,
    start: Spanned<RawStart>,
    #[serde(default)]
    hint: Vec<Spanned<Hint>>,
    check: Vec<Spanned<Check>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStart {
    #[serde(default)]
    form: SettingsStart,
    #[serde(default)]
    applied: bool,
    #[serde(default)]
    settings: Option<Spanned<RawSettings>>,
    #[serde(default)]
    isp: Option<Spanned<RawIsp>>,
    #[serde(default)]
    point: Vec<Spanned<RawPoint>>,
    #[serde(default)]
    mail: Vec<Spanned<SeedMail>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    receive_interval_min: Option<u32>,
    alarm_recipients: Option<Vec<String>>,
    allowed_senders: Option<Vec<String>>,
    command_pin: Option<String>,
    smtp_service: Option<String>,
    pop_server: Option<String>,
    smtp_server: Option<String>,
    address: Option<String>,
    user: Option<String>,
    password: Option<String>,
    pop_before_smtp: Option<bool>,
    smtp_auth_login: Option<bool>,
    pop_security: Option<Security>,
    smtp_security: Option<Security>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawIsp {
    op25b: Option<Op25b>,
    smtp_requires: Option<Requirement>,
    submission_requires: Option<Requirement>,
    smtps_requires: Option<Requirement>,
    pop_before_smtp_minutes: Option<u32>,
    starttls: Option<StartTls>,
    min_poll_minutes: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    id: String,
    value: toml::Value,
}

/// Parses and checks an exercise file. `is_point` says whether a point id exists in the plant.
pub fn parse(text: &str, is_point: &dyn Fn(&str) -> bool) -> Result<Exercise, ExerciseFileError> {
    let raw: RawExercise = toml::from_str(text).map_err(|e| ExerciseFileError {
        line: e.span().map(|span| line_of(text, span.start)),
        message: e.message().trim().to_string(),
    })?;
    let at = |span: std::ops::Range<usize>, why: Problem| ExerciseFileError {
        line: Some(line_of(text, span.start)),
        message: why.to_string(),
    };
    check_slug("id", raw.id.get_ref()).map_err(|why| at(raw.id.span(), why))?;
    check_notice(raw.notice.get_ref()).map_err(|why| at(raw.notice.span(), why))?;
    if raw.check.is_empty() || raw.check.len() > MAX_CHECKS {
        return Err(ExerciseFileError {
            line: None,
            message: format!("an exercise needs 1 to {MAX_CHECKS} [[check]] tables"),
        });
    }
    for hint in &raw.hint {
        if let Some(help) = &hint.get_ref().help {
            check_slug("help", help).map_err(|why| at(hint.span(), why))?;
        }
    }
    for check in &raw.check {
        check_condition(&check.get_ref().when, is_point).map_err(|why| at(check.span(), why))?;
    }
    let start = start(text, raw.start.into_inner(), is_point)?;
    Ok(Exercise {
        id: raw.id.into_inner(),
        order: raw.order,
        title: raw.title,
        goal: raw.goal,
        notice: raw.notice.into_inner(),
        start,
        hints: raw.hint.into_iter().map(Spanned::into_inner).collect(),
        checks: raw.check.into_iter().map(Spanned::into_inner).collect(),
    })
}

fn start(
    text: &str,
    raw: RawStart,
    is_point: &dyn Fn(&str) -> bool,
) -> Result<Start, ExerciseFileError> {
    let at = |span: std::ops::Range<usize>, message: String| ExerciseFileError {
        line: Some(line_of(text, span.start)),
        message,
    };
    let at_problem = |span, why: Problem| at(span, why.to_string());
    let (settings, password) = match &raw.settings {
        Some(s) => settings(raw.form, s.get_ref()).map_err(|why| at_problem(s.span(), why))?,
        None => settings(raw.form, &RawSettings::default()).expect("the demo settings are valid"),
    };
    let isp = match &raw.isp {
        Some(isp) => policy(isp.get_ref()).map_err(|why| at_problem(isp.span(), why))?,
        None => SandboxPolicy::default(),
    };
    let mut points = Vec::new();
    for p in &raw.point {
        let point = start_point(p.get_ref(), is_point).map_err(|why| at_problem(p.span(), why))?;
        points.push(point);
    }
    for mail in &raw.mail {
        let m = mail.get_ref();
        if !matches!(m.mailbox.as_str(), "karacrix" | "operator") {
            return Err(at(
                mail.span(),
                format!("mailbox {:?}: use \"karacrix\" or \"operator\"", m.mailbox),
            ));
        }
        if !m.from.contains('@') {
            return Err(at(
                mail.span(),
                format!("from {:?} is not an address", m.from),
            ));
        }
    }
    Ok(Start {
        form: raw.form,
        settings,
        password,
        applied: raw.applied,
        isp,
        points,
        mails: raw.mail.into_iter().map(Spanned::into_inner).collect(),
    })
}

/// The start settings: the demo account (or a blank frame (1) and (2)) with the file's values.
fn settings(form: SettingsStart, raw: &RawSettings) -> Result<(MailSettings, String), Problem> {
    let mut s = MailSettings::sandbox_demo();
    let mut password = "karacrix-pass".to_string();
    if form == SettingsStart::Blank {
        for field in [
            &mut s.smtp_service,
            &mut s.pop_server,
            &mut s.smtp_server,
            &mut s.address,
            &mut s.user,
        ] {
            field.clear();
        }
        s.pop_before_smtp = false;
        password.clear();
    }
    macro_rules! take {
        ($($f:ident),*) => {$( if let Some(v) = &raw.$f { s.$f = v.clone(); } )*};
    }
    take!(
        receive_interval_min,
        alarm_recipients,
        allowed_senders,
        command_pin,
        smtp_service,
        pop_server,
        smtp_server,
        address,
        user,
        pop_before_smtp,
        smtp_auth_login,
        pop_security,
        smtp_security
    );
    if let Some(p) = &raw.password {
        password = p.clone();
    }
    s.password_set = !password.is_empty();
    if form == SettingsStart::Given
        && let Some(error) = s.validate().first()
    {
        return Err(Problem::Settings(error.message(Lang::En)));
    }
    Ok((s, password))
}

fn policy(raw: &RawIsp) -> Result<SandboxPolicy, Problem> {
    let mut p = SandboxPolicy::default();
    macro_rules! take {
        ($($f:ident),*) => {$( if let Some(v) = raw.$f { p.$f = v; } )*};
    }
    take!(
        op25b,
        smtp_requires,
        submission_requires,
        smtps_requires,
        pop_before_smtp_minutes,
        starttls,
        min_poll_minutes
    );
    p.validate()
        .map_err(|why| Problem::Policy(why.message(Lang::En)))?;
    Ok(p)
}

fn start_point(raw: &RawPoint, is_point: &dyn Fn(&str) -> bool) -> Result<StartPoint, Problem> {
    if !is_point(&raw.id) {
        return Err(Problem::UnknownPoint(raw.id.clone()));
    }
    let value = match &raw.value {
        toml::Value::Boolean(b) => Value::Digital(*b),
        toml::Value::Integer(i) => Value::Analog(*i as f64),
        toml::Value::Float(x) => Value::Analog(*x),
        toml::Value::String(s) if s.eq_ignore_ascii_case("ON") => Value::Digital(true),
        toml::Value::String(s) if s.eq_ignore_ascii_case("OFF") => Value::Digital(false),
        other => {
            return Err(Problem::PointValue {
                id: raw.id.clone(),
                value: other.clone(),
            });
        }
    };
    Ok(StartPoint {
        id: raw.id.to_ascii_uppercase(),
        value,
    })
}

fn check_notice(n: &AccountNotice) -> Result<(), Problem> {
    match MailService::from_name(&n.smtp_service) {
        Some(service) if service.is_smtp() && service.well_known_port() == n.smtp_port => Ok(()),
        Some(service) if service.is_smtp() => Err(Problem::NoticePort {
            service: service.name(),
            port: service.well_known_port(),
            given: n.smtp_port,
        }),
        _ => Err(Problem::NoticeService(n.smtp_service.clone())),
    }
}

fn check_condition(when: &Condition, is_point: &dyn Fn(&str) -> bool) -> Result<(), Problem> {
    match when {
        Condition::Point { id, .. } if !is_point(id) => Err(Problem::CheckPoint(id.clone())),
        Condition::Delivered { to, .. } | Condition::Handled { from: to, .. }
            if !to.contains('@') =>
        {
            Err(Problem::CheckAddress(to.clone()))
        }
        _ => Ok(()),
    }
}

/// `field` names the id in the message.
fn check_slug(field: &'static str, id: &str) -> Result<(), Problem> {
    let ok = !id.is_empty()
        && id.chars().count() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Problem::NotASlug {
            field,
            slug: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests;
