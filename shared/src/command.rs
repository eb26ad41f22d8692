//! The command language of command mails: turns a mail's Subject and text body into the list of
//! commands to execute, each with the line it came from (for quoting in the reply) and either the
//! command or an error with a Japanese and an English message.
//!
//! The rules (the product spec's "Command language"):
//! - One command a line. The Subject counts as one more line, before the body, but only when it
//!   reads as a command: an empty Subject, a reply or forward (`Re:`, `Fwd:`, `転送:` …) or plain
//!   prose (`制御`, `こんにちは`) is ignored rather than reported, because phones fill the
//!   Subject with whatever the user typed last, and a reply to our own reply (`Re: SET PUMP1 ON`)
//!   must not run the command again. A Subject that starts with a keyword (`SET PUMP9 ON`) is a
//!   command, and its errors are reported.
//! - Blank lines and quoted lines (`>` or `＞`) are skipped; a signature line `-- ` (or `--`)
//!   ends the commands.
//! - Each line is NFKC-normalised (full-width `ＳＥＴ　ＰＵＭＰ１　ＯＮ` works); keywords and point
//!   ids are case-insensitive; a point is named by id or by its Japanese name.
//! - `PIN <digits>` / `暗証 <digits>` is not a command: it sets [`CommandMail::pin`] and is never
//!   quoted back. Two different PINs in one mail count as none, so a mail cannot try several.
//! - Limits: [`MAX_LINE_CHARS`] per line (a longer line is one error) and [`MAX_COMMANDS`]
//!   command lines per mail (more refuse the whole mail: [`CommandMail::refused`]). Work is linear
//!   in the input and the output is bounded whatever the input; nothing here panics.
//!
//! Points are resolved through [`PointLookup`], so this module stays pure and the front end can
//! preview a mail against the points list it already has. Executing the commands, checking the
//! sender and the PIN, and writing the reply are the engine's.

use serde::{Deserialize, Serialize};

use crate::Lang;
use crate::points::{PointKind, PointSnapshot, Value};

/// The most command lines one mail may carry.
pub const MAX_COMMANDS: usize = 20;
/// The longest line, in characters, before normalisation.
pub const MAX_LINE_CHARS: usize = 200;

/// The words the language itself uses; point ids and names must not be one of them.
const RESERVED: &[&str] = &[
    "HELP",
    "LIST",
    "GET",
    "SET",
    "ALARM",
    "ALARMS",
    "PIN",
    "ON",
    "OFF",
    "ヘルプ",
    "一覧",
    "状態",
    "警報",
    "暗証",
    "暗証番号",
    "入",
    "切",
    "オン",
    "オフ",
];

/// One thing a command mail asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// `HELP` / `ヘルプ` / `?`: the list of commands.
    Help,
    /// `LIST` / `一覧`: every point with its value.
    List,
    /// `GET <point>` / `<point>?` / `状態 <point>`: one point's value and state.
    Get {
        /// The point's id, as the plant spells it.
        point: String,
    },
    /// `SET <point> <value>` / `<point>=<value>`: operate a DO or AO.
    Set {
        /// The point's id, as the plant spells it.
        point: String,
        /// The value asked for, already of the point's type.
        value: Value,
    },
    /// `ALARM` / `警報`: the active alarms.
    Alarm,
}

/// Which command's usage an error recalls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Syntax {
    /// `GET <point>`.
    Get,
    /// `SET <point> <value>`.
    Set,
}

/// Why a line is not a command that can run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum CommandError {
    /// Not a command at all.
    Unknown {
        /// The line as written (clipped).
        line: String,
    },
    /// A keyword without what it needs (`GET` alone).
    Usage {
        /// Which command.
        syntax: Syntax,
    },
    /// No point has this id or name.
    UnknownPoint {
        /// The id or name as written.
        point: String,
    },
    /// The value does not fit the point's type.
    BadValue {
        /// The point's id.
        point: String,
        /// The value as written (clipped).
        value: String,
        /// True when the point wants ON/OFF, false when it wants a number.
        digital: bool,
    },
    /// Only DO and AO points can be operated.
    NotOperable {
        /// The point's id.
        point: String,
        /// Its type.
        kind: PointKind,
    },
    /// The line is longer than [`MAX_LINE_CHARS`].
    LineTooLong {
        /// The limit.
        max: usize,
    },
    /// The mail has more than [`MAX_COMMANDS`] command lines; nothing in it is executed.
    TooManyCommands {
        /// The limit.
        max: usize,
    },
}

impl CommandError {
    /// What went wrong, for the reply, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (CommandError::Unknown { line }, Lang::Ja) => {
                format!(
                    "「{line}」はコマンドではありません（HELP と送るとコマンド一覧を返信します）。"
                )
            }
            (CommandError::Unknown { line }, Lang::En) => {
                format!("\"{line}\" is not a command (send HELP for the list of commands).")
            }
            (CommandError::Usage { syntax }, lang) => {
                let usage = match syntax {
                    Syntax::Get => lang.pick("GET <ポイント>", "GET <point>"),
                    Syntax::Set => lang.pick("SET <ポイント> <値>", "SET <point> <value>"),
                };
                format!("{} {usage}", lang.pick("使い方:", "usage:"))
            }
            (CommandError::UnknownPoint { point }, Lang::Ja) => {
                format!(
                    "ポイント「{point}」はありません（LIST と送るとポイントの一覧を返信します）。"
                )
            }
            (CommandError::UnknownPoint { point }, Lang::En) => {
                format!("there is no point \"{point}\" (send LIST for the list of points).")
            }
            (
                CommandError::BadValue {
                    point,
                    value,
                    digital: true,
                },
                Lang::Ja,
            ) => format!(
                "{point} の値「{value}」が不正です。ON/OFF（入/切、1/0）で指定してください。"
            ),
            (
                CommandError::BadValue {
                    point,
                    value,
                    digital: true,
                },
                Lang::En,
            ) => format!("bad value \"{value}\" for {point}: use ON or OFF (1 or 0)."),
            (
                CommandError::BadValue {
                    point,
                    value,
                    digital: false,
                },
                Lang::Ja,
            ) => format!("{point} の値「{value}」が不正です。数値で指定してください。"),
            (
                CommandError::BadValue {
                    point,
                    value,
                    digital: false,
                },
                Lang::En,
            ) => format!("bad value \"{value}\" for {point}: use a number."),
            (CommandError::NotOperable { point, kind }, Lang::Ja) => format!(
                "{point} は{}（{}）のため操作できません。操作できるのは DO と AO です。",
                kind.label(Lang::Ja),
                kind.code()
            ),
            (CommandError::NotOperable { point, kind }, Lang::En) => format!(
                "{point} is a {} ({}) and cannot be operated; only DO and AO can.",
                kind.label(Lang::En),
                kind.code()
            ),
            (CommandError::LineTooLong { max }, Lang::Ja) => {
                format!("行が長すぎます（{max} 文字まで）。")
            }
            (CommandError::LineTooLong { max }, Lang::En) => {
                format!("the line is too long (at most {max} characters).")
            }
            (CommandError::TooManyCommands { max }, Lang::Ja) => format!(
                "コマンドが多すぎます（1 通 {max} 行まで）。このメールのコマンドは何も実行していません。"
            ),
            (CommandError::TooManyCommands { max }, Lang::En) => format!(
                "too many commands (at most {max} lines a mail); nothing in this mail was executed."
            ),
        }
    }
}

/// One command line of a mail and what it means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandLine {
    /// The line as written, trimmed and clipped to [`MAX_LINE_CHARS`], for quoting in the reply.
    pub line: String,
    /// True when the line is the Subject.
    pub from_subject: bool,
    /// The command, or why there is none.
    pub result: Result<Command, CommandError>,
}

/// What a command mail asks for.
#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CommandMail {
    /// The command lines in order (Subject first); empty when [`CommandMail::refused`] is set.
    pub commands: Vec<CommandLine>,
    /// The PIN the mail gives, as written after normalisation; `None` when it gives none, or
    /// gives two different ones.
    pub pin: Option<String>,
    /// Set when the mail as a whole breaks a limit: then nothing is to be executed, and the reply
    /// carries only this error.
    pub refused: Option<CommandError>,
}

impl std::fmt::Debug for CommandMail {
    // The PIN is a password: masked, like every secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandMail")
            .field("commands", &self.commands)
            .field("pin", &self.pin.as_deref().map(crate::secret::Masked))
            .field("refused", &self.refused)
            .finish()
    }
}

impl CommandMail {
    /// The commands that parsed, in order; nothing when the mail is refused.
    pub fn runnable(&self) -> impl Iterator<Item = &Command> {
        self.commands
            .iter()
            .filter_map(|line| line.result.as_ref().ok())
    }
}

/// Finds a point by what a command line calls it.
pub trait PointLookup {
    /// The id and kind of the point whose id (any case) or name is `key`. `key` is already
    /// NFKC-normalised and trimmed; [`point_matches`] does the comparison.
    fn find_point(&self, key: &str) -> Option<(String, PointKind)>;
}

/// True when `key` (NFKC-normalised) names the point with this `id` and `name`: the id in any
/// case, or the name after the same normalisation.
pub fn point_matches(id: &str, name: &str, key: &str) -> bool {
    if id.eq_ignore_ascii_case(key) {
        return true;
    }
    // An empty name must not match an empty key.
    !name.is_empty() && point_key(name) == point_key(key)
}

/// The form in which ids and names are compared: NFKC, trimmed, lower case. Two points whose
/// ids or names have the same key could not be told apart in a command.
pub fn point_key(text: &str) -> String {
    normalise(text).to_lowercase()
}

impl PointLookup for [PointSnapshot] {
    fn find_point(&self, key: &str) -> Option<(String, PointKind)> {
        self.iter()
            .find(|p| point_matches(&p.id, &p.name, key))
            .map(|p| (p.id.clone(), p.kind))
    }
}

impl PointLookup for [(&str, &str, PointKind)] {
    fn find_point(&self, key: &str) -> Option<(String, PointKind)> {
        self.iter()
            .find(|(id, name, _)| point_matches(id, name, key))
            .map(|(id, _, kind)| (id.to_string(), *kind))
    }
}

/// True when `word` (any case, any width) is a keyword or value word of the language, which a
/// point id or name must not be.
pub fn is_reserved(word: &str) -> bool {
    let normal = nfkc(word);
    let normal = normal.trim();
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(normal))
}

/// Reads a command mail: its Subject and its text body, already decoded.
pub fn parse_mail(subject: &str, body: &str, points: &(impl PointLookup + ?Sized)) -> CommandMail {
    let mut parser = MailParser {
        points,
        mail: CommandMail::default(),
        pins: PinState::None,
    };
    parser.subject(subject);
    for raw in body.lines() {
        if !parser.body_line(raw) {
            break;
        }
    }
    parser.finish()
}

/// The PIN lines seen so far.
enum PinState {
    None,
    One(String),
    Conflict,
}

struct MailParser<'a, P: PointLookup + ?Sized> {
    points: &'a P,
    mail: CommandMail,
    pins: PinState,
}

impl<P: PointLookup + ?Sized> MailParser<'_, P> {
    fn subject(&mut self, subject: &str) {
        let trimmed = subject.trim();
        if trimmed.is_empty() || too_long(trimmed) {
            return;
        }
        let text = normalise(trimmed);
        if text.is_empty() || is_reply_subject(&text) {
            return;
        }
        match parse_line(&text, self.points) {
            Parsed::Pin(pin) => self.pin(pin),
            Parsed::Command { result, explicit } => {
                if explicit || result.is_ok() {
                    self.push(trimmed, true, result);
                }
            }
        }
    }

    /// Handles one body line; false once the signature starts.
    fn body_line(&mut self, raw: &str) -> bool {
        let trimmed = raw.trim();
        if trimmed.is_empty() || is_quote(trimmed) {
            return true;
        }
        if too_long(trimmed) {
            self.push(
                trimmed,
                false,
                Err(CommandError::LineTooLong {
                    max: MAX_LINE_CHARS,
                }),
            );
            return true;
        }
        let text = normalise(trimmed);
        if text == "--" {
            return false;
        }
        if text.is_empty() || is_quote(&text) {
            return true;
        }
        if self.mail.refused.is_some() {
            // Past the limit only the PIN still matters (see `push`); skip the parsing.
            if let Some(pin) = pin_value(&text) {
                self.pin(pin);
            }
            return true;
        }
        match parse_line(&text, self.points) {
            Parsed::Pin(pin) => self.pin(pin),
            Parsed::Command { result, .. } => self.push(trimmed, false, result),
        }
        true
    }

    fn pin(&mut self, pin: String) {
        self.pins = match std::mem::replace(&mut self.pins, PinState::None) {
            PinState::None => PinState::One(pin),
            PinState::One(first) if first == pin => PinState::One(first),
            PinState::One(_) | PinState::Conflict => PinState::Conflict,
        };
    }

    fn push(&mut self, line: &str, from_subject: bool, result: Result<Command, CommandError>) {
        if self.mail.refused.is_some() {
            // Keep reading only for PIN lines: the engine still needs the PIN to decide whether
            // the sender may see the refusal.
            return;
        }
        if self.mail.commands.len() == MAX_COMMANDS {
            self.mail.commands.clear();
            self.mail.refused = Some(CommandError::TooManyCommands { max: MAX_COMMANDS });
            return;
        }
        self.mail.commands.push(CommandLine {
            line: clip(&without_invisible(line), MAX_LINE_CHARS),
            from_subject,
            result,
        });
    }

    fn finish(mut self) -> CommandMail {
        self.mail.pin = match self.pins {
            PinState::One(pin) => Some(pin),
            PinState::None | PinState::Conflict => None,
        };
        self.mail
    }
}

/// What one normalised line is.
enum Parsed {
    Pin(String),
    Command {
        result: Result<Command, CommandError>,
        /// True when the line starts with a keyword, so it is surely meant as a command.
        explicit: bool,
    },
}

fn parse_line(text: &str, points: &(impl PointLookup + ?Sized)) -> Parsed {
    let upper = text.to_uppercase();
    // `LIST?` and `ヘルプ？` are questions too; `?` alone stays HELP.
    let bare = match upper.strip_suffix('?').map(str::trim_end) {
        Some(bare) if !bare.is_empty() => bare,
        _ => upper.as_str(),
    };
    let explicit = |result| Parsed::Command {
        result,
        explicit: true,
    };
    match bare {
        "HELP" | "ヘルプ" | "?" => return explicit(Ok(Command::Help)),
        "LIST" | "一覧" => return explicit(Ok(Command::List)),
        "ALARM" | "ALARMS" | "警報" => return explicit(Ok(Command::Alarm)),
        _ => {}
    }
    if let Some(pin) = pin_value(text) {
        return Parsed::Pin(pin);
    }
    // `GET <point>?` is forgiven: the `?` form and the keyword form mixed.
    if let Some(rest) = text.strip_suffix('?') {
        let rest = rest.trim_end();
        let (point, explicit_get) = match strip_keyword(rest, &["GET", "状態"]) {
            Some(point) => (point, true),
            None => (rest, false),
        };
        return Parsed::Command {
            result: get(point, points),
            explicit: explicit_get,
        };
    }
    if let Some((left, value)) = text.split_once('=') {
        let (point, explicit_set) = match strip_keyword(left.trim_end(), &["SET"]) {
            Some(point) => (point, true),
            None => (left.trim(), false),
        };
        return Parsed::Command {
            result: set(point, value.trim(), points),
            explicit: explicit_set,
        };
    }
    if let Some(point) = strip_keyword(text, &["GET", "状態"]) {
        return explicit(get(point, points));
    }
    if let Some(rest) = strip_keyword(text, &["SET"]) {
        let result = match rest.rsplit_once(char::is_whitespace) {
            Some((point, value)) => set(point.trim(), value, points),
            None => Err(CommandError::Usage {
                syntax: Syntax::Set,
            }),
        };
        return explicit(result);
    }
    Parsed::Command {
        result: Err(CommandError::Unknown {
            line: clip(text, MAX_LINE_CHARS),
        }),
        explicit: false,
    }
}

fn get(point: &str, points: &(impl PointLookup + ?Sized)) -> Result<Command, CommandError> {
    if point.is_empty() {
        return Err(CommandError::Usage {
            syntax: Syntax::Get,
        });
    }
    let (id, _) = resolve(point, points)?;
    Ok(Command::Get { point: id })
}

fn set(
    point: &str,
    value: &str,
    points: &(impl PointLookup + ?Sized),
) -> Result<Command, CommandError> {
    if point.is_empty() || value.is_empty() {
        return Err(CommandError::Usage {
            syntax: Syntax::Set,
        });
    }
    let (id, kind) = resolve(point, points)?;
    if !kind.is_operable() {
        return Err(CommandError::NotOperable { point: id, kind });
    }
    let parsed = if kind.is_digital() {
        parse_digital(value).map(Value::Digital)
    } else {
        parse_number(value).map(Value::Analog)
    };
    match parsed {
        Some(value) => Ok(Command::Set { point: id, value }),
        None => Err(CommandError::BadValue {
            point: id,
            value: clip(value, 40),
            digital: kind.is_digital(),
        }),
    }
}

fn resolve(
    point: &str,
    points: &(impl PointLookup + ?Sized),
) -> Result<(String, PointKind), CommandError> {
    points
        .find_point(point)
        .ok_or_else(|| CommandError::UnknownPoint {
            point: clip(point, 40),
        })
}

/// ON/OFF in the spellings the spec allows (and オン/オフ, which phones' kana input gives).
fn parse_digital(value: &str) -> Option<bool> {
    match value.to_uppercase().as_str() {
        "ON" | "入" | "1" | "オン" => Some(true),
        "OFF" | "切" | "0" | "オフ" => Some(false),
        _ => None,
    }
}

/// A plain decimal number: optional sign, digits, optional fraction. No exponent, `inf` or `nan`,
/// so what a person typed is what is set.
fn parse_number(value: &str) -> Option<f64> {
    // U+2212 MINUS SIGN survives NFKC; Japanese input methods produce it.
    let value = value.replace('\u{2212}', "-");
    let digits = value.strip_prefix(['+', '-']).unwrap_or(&value);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    value.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// `line` as a reply may quote it: a PIN line keeps its keyword and loses its value
/// (`暗証 2468` → `暗証 ****`, `PIN:２４６８` → `PIN ****`); any other line comes back as it is.
pub fn mask_pin_line(line: &str) -> String {
    let text = normalise(line);
    if pin_value(&text).is_none() {
        return line.to_string();
    }
    let keyword = ["PIN", "暗証番号", "暗証"]
        .into_iter()
        .find_map(|k| strip_prefix_ascii_ci(&text, k).map(|_| &text[..k.len()]))
        .unwrap_or("PIN");
    format!("{keyword} ****")
}

/// The value of a PIN line (`PIN 1234`, `PIN:1234`, `暗証 1234`, `暗証番号1234`), if it is one.
fn pin_value(text: &str) -> Option<String> {
    let rest = if let Some(rest) = strip_prefix_ascii_ci(text, "PIN") {
        // `PIN` must stand alone as a word so a point such as `PINE1?` is not taken for a PIN.
        if !rest.is_empty()
            && !rest.starts_with(|c: char| c.is_whitespace() || c == ':' || c == '=')
        {
            return None;
        }
        rest
    } else if let Some(rest) = text.strip_prefix("暗証番号") {
        rest
    } else {
        text.strip_prefix("暗証")?
    };
    let rest = rest.trim_start();
    let rest = rest.strip_prefix([':', '=']).unwrap_or(rest).trim();
    Some(clip(rest, 32))
}

/// The rest of `text` after one of `keywords` (any case) and whitespace; Japanese keywords need
/// no space after them, since Japanese is written without spaces.
fn strip_keyword<'t>(text: &'t str, keywords: &[&str]) -> Option<&'t str> {
    for keyword in keywords {
        let Some(rest) = strip_prefix_ascii_ci(text, keyword) else {
            continue;
        };
        if keyword.is_ascii() {
            if rest.is_empty() {
                return Some(rest);
            }
            if rest.starts_with(char::is_whitespace) {
                return Some(rest.trim());
            }
        } else {
            return Some(rest.trim());
        }
    }
    None
}

fn strip_prefix_ascii_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `Re:`, `RE[2]:`, `Re^2:`, `Fwd:`, `FW:`, `AW:`, `SV:`, `返信:`, `転送:` — the markers mail
/// programs put before a Subject they reply to or forward.
fn is_reply_subject(text: &str) -> bool {
    let Some((head, _)) = text.split_once(':') else {
        return false;
    };
    let head = head.trim();
    // Drop a counter such as `[2]`, `^2` or `(2)`.
    let head = head
        .trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '[' | ']' | '(' | ')' | '^'))
        .trim_end();
    ["RE", "FW", "FWD", "AW", "SV", "返信", "転送"]
        .iter()
        .any(|marker| head.eq_ignore_ascii_case(marker))
}

fn is_quote(text: &str) -> bool {
    text.starts_with(['>', '＞'])
}

fn too_long(text: &str) -> bool {
    text.char_indices().nth(MAX_LINE_CHARS).is_some()
}

/// NFKC, without the invisible characters some phones insert, trimmed.
fn normalise(text: &str) -> String {
    let mut normal = nfkc(text);
    normal.retain(|c| !is_invisible(c));
    normal.trim().to_string()
}

/// Unicode Normalization Form KC (compatibility decomposition, then canonical composition).
#[cfg(not(target_arch = "wasm32"))]
fn nfkc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().collect()
}

/// Unicode Normalization Form KC, by the browser's own `String.prototype.normalize("NFKC")`:
/// the same algorithm as the back end's, without shipping its tables (about 130 KB) in the
/// page's WASM. Normalisation of an assigned character never changes between Unicode versions,
/// so the two agree on everything but characters newer than the browser.
#[cfg(target_arch = "wasm32")]
fn nfkc(text: &str) -> String {
    js_sys::JsString::from(text).normalize("NFKC").into()
}

/// The line as written, but without a byte-order mark or zero-width characters, which would
/// only puzzle the reader of the reply.
fn without_invisible(text: &str) -> String {
    text.chars().filter(|&c| !is_invisible(c)).collect()
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

/// Cuts `text` to `max` characters, marking the cut with `…`.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// One command of the language as the people using it see it: the HELP mail lists
/// [`forms`](Self::forms) with the short meaning, the `?` help adds the examples and what the
/// reply says. One catalogue, so the mail and the screen cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandRef {
    /// Every way to write it, Japanese forms included (`<ポイント>` stands for a point).
    pub forms: &'static str,
    /// What it does, in Japanese.
    pub ja: &'static str,
    /// What it does, in English.
    pub en: &'static str,
    /// Lines as an operator would send them.
    pub examples: &'static [&'static str],
    /// What the reply says for the first example, in Japanese.
    pub reply_ja: &'static str,
    /// The same in English.
    pub reply_en: &'static str,
}

impl CommandRef {
    /// [`forms`](Self::forms) with the placeholders in `lang` (the keywords stay as they are).
    pub fn forms_in(&self, lang: Lang) -> String {
        match lang {
            Lang::Ja => self.forms.to_string(),
            Lang::En => self
                .forms
                .replace("<ポイント>", "<point>")
                .replace("<値>", "<value>")
                .replace("<数字>", "<digits>"),
        }
    }
}

/// Every command, in the order the HELP mail lists them.
pub const REFERENCE: &[CommandRef] = &[
    CommandRef {
        forms: "HELP / ヘルプ / ?",
        ja: "コマンドの一覧を返信します",
        en: "replies with this list of commands",
        examples: &["HELP", "ヘルプ", "?"],
        reply_ja: "コマンドの一覧（この表の「書き方」と「意味」）",
        reply_en: "the list of commands (the forms and meanings of this table)",
    },
    CommandRef {
        forms: "LIST / 一覧",
        ja: "すべてのポイントとその値を返信します",
        en: "replies with every point and its value",
        examples: &["LIST", "一覧"],
        reply_ja: "PUMP1 給水ポンプ OFF\nTEMP1 室温 24.0 ℃\nLEVEL1 受水槽水位 15 % [下限警報]\n…",
        reply_en: "PUMP1 給水ポンプ OFF\nTEMP1 室温 24.0 ℃\nLEVEL1 受水槽水位 15 % [low alarm]\n…",
    },
    CommandRef {
        forms: "GET <ポイント> / <ポイント>? / 状態 <ポイント>",
        ja: "1 つのポイントの値と状態を返信します",
        en: "replies with one point's value and state",
        examples: &["GET TEMP1", "室温?", "状態 TEMP1"],
        reply_ja: "TEMP1 室温 (計測値) = 24.0 ℃",
        reply_en: "TEMP1 室温 (measured value) = 24.0 ℃",
    },
    CommandRef {
        forms: "SET <ポイント> <値> / <ポイント>=<値>",
        ja: "ポイントを操作し、前と後の値を返信します。DO は ON/OFF（入/切、1/0）、AO は数値",
        en: "operates a point and replies with the value before and after: ON/OFF (1/0) for a DO, a number for an AO",
        examples: &["SET PUMP1 ON", "給水ポンプ=入", "SET SETP1 22.5"],
        reply_ja: "OK PUMP1: OFF → ON",
        reply_en: "OK PUMP1: OFF → ON",
    },
    CommandRef {
        forms: "ALARM / 警報",
        ja: "発生中の警報を返信します",
        en: "replies with the active alarms",
        examples: &["ALARM", "警報"],
        reply_ja: "DOOR1 扉 ON [接点警報]（なければ「警報はありません」）",
        reply_en: "DOOR1 扉 ON [contact alarm] (or \"no alarms\")",
    },
    CommandRef {
        forms: "PIN <数字> / 暗証 <数字>",
        ja: "暗証番号（4.コマンド暗証番号 が設定されているときに必要）。コマンドではなく、返信にも書かれません",
        en: "the PIN (needed when 4. Command PIN is set); not a command, and never quoted in the reply",
        examples: &["PIN 1234", "暗証 1234"],
        reply_ja: "（返信なし。誤った暗証番号のメールには何も実行せず、返信もしません）",
        reply_en: "(no reply of its own; a mail with a wrong PIN runs nothing and gets no reply)",
    },
];

/// What `<ポイント>` stands for, in `lang`.
pub fn point_placeholder_help(lang: Lang) -> &'static str {
    lang.pick(
        "<ポイント>: ポイント ID（例 PUMP1）または名称（例 給水ポンプ）",
        "<point>: a point id (e.g. PUMP1) or its name (e.g. 給水ポンプ)",
    )
}

/// The reply to `HELP`: every command with a one-line explanation.
pub fn help_text(lang: Lang) -> String {
    let mut text = String::from(lang.pick(
        "1 行に 1 コマンド。件名も 1 行として読みます。全角・小文字でも構いません。\n",
        "One command a line; the Subject counts as a line too. Full-width and lower case work.\n",
    ));
    for command in REFERENCE {
        text.push_str(&format!(
            "{}\n    {}\n",
            command.forms_in(lang),
            lang.pick(command.ja, command.en)
        ));
    }
    text.push_str(point_placeholder_help(lang));
    text.push('\n');
    text
}

/// What the system replies to a command mail with no command in it. The phone's preview shows
/// the same sentence, so what it promises is what arrives.
pub fn no_commands_text(lang: Lang) -> &'static str {
    lang.pick(
        "コマンドが見つかりませんでした。HELP と送るとコマンド一覧を返信します。",
        "No command was found. Send HELP for the list of commands.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_line_is_masked_and_other_lines_are_not() {
        assert_eq!(mask_pin_line("暗証 2468"), "暗証 ****");
        assert_eq!(mask_pin_line("暗証番号２４６８"), "暗証番号 ****");
        assert_eq!(mask_pin_line(" pin:2468 "), "pin ****");
        assert_eq!(mask_pin_line("SET PUMP1 ON"), "SET PUMP1 ON");
        assert_eq!(mask_pin_line("PINE1?"), "PINE1?");
    }

    const PLANT: &[(&str, &str, PointKind)] = &[
        ("PUMP1", "給水ポンプ", PointKind::Do),
        ("FAN1", "換気ファン", PointKind::Do),
        ("DOOR1", "扉", PointKind::Di),
        ("TEMP1", "室温", PointKind::Ai),
        ("SETP1", "温度設定", PointKind::Ao),
        ("KWH1", "電力量", PointKind::Cnt),
        ("ROOM 2", "会議室 照明", PointKind::Do),
    ];

    fn parse(subject: &str, body: &str) -> CommandMail {
        parse_mail(subject, body, PLANT)
    }

    /// The single result of a one-line body.
    fn one(line: &str) -> Result<Command, CommandError> {
        let mail = parse("", line);
        assert_eq!(mail.refused, None, "{line:?}");
        assert_eq!(mail.commands.len(), 1, "{line:?}: {mail:?}");
        mail.commands.into_iter().next().unwrap().result
    }

    fn get(point: &str) -> Result<Command, CommandError> {
        Ok(Command::Get {
            point: point.into(),
        })
    }

    fn set(point: &str, value: Value) -> Result<Command, CommandError> {
        Ok(Command::Set {
            point: point.into(),
            value,
        })
    }

    #[test]
    fn every_form_of_every_command() {
        use Value::{Analog, Digital};
        let cases: Vec<(&str, Result<Command, CommandError>)> = vec![
            ("HELP", Ok(Command::Help)),
            ("help", Ok(Command::Help)),
            ("ヘルプ", Ok(Command::Help)),
            ("?", Ok(Command::Help)),
            ("？", Ok(Command::Help)),
            ("ＨＥＬＰ", Ok(Command::Help)),
            ("LIST", Ok(Command::List)),
            ("List", Ok(Command::List)),
            ("一覧", Ok(Command::List)),
            ("LIST?", Ok(Command::List)),
            ("ヘルプ？", Ok(Command::Help)),
            ("ALARM", Ok(Command::Alarm)),
            ("alarms", Ok(Command::Alarm)),
            ("警報", Ok(Command::Alarm)),
            ("GET PUMP1", get("PUMP1")),
            ("get pump1", get("PUMP1")),
            ("GET 給水ポンプ", get("PUMP1")),
            ("PUMP1?", get("PUMP1")),
            ("pump1 ?", get("PUMP1")),
            ("給水ポンプ？", get("PUMP1")),
            ("状態 TEMP1", get("TEMP1")),
            ("状態　室温", get("TEMP1")),
            ("状態室温", get("TEMP1")),
            ("GET DOOR1?", get("DOOR1")),
            ("ＧＥＴ　ＫＷＨ１", get("KWH1")),
            ("GET 会議室 照明", get("ROOM 2")),
            ("SET PUMP1 ON", set("PUMP1", Digital(true))),
            ("set pump1 off", set("PUMP1", Digital(false))),
            ("SET PUMP1 1", set("PUMP1", Digital(true))),
            ("SET PUMP1 0", set("PUMP1", Digital(false))),
            ("SET 給水ポンプ 入", set("PUMP1", Digital(true))),
            ("SET 給水ポンプ 切", set("PUMP1", Digital(false))),
            ("SET 換気ファン オン", set("FAN1", Digital(true))),
            ("ＳＥＴ　ＰＵＭＰ１　ＯＮ", set("PUMP1", Digital(true))),
            ("ＳＥＴ　ＰＵＭＰ１　ｏｆｆ", set("PUMP1", Digital(false))),
            ("PUMP1=ON", set("PUMP1", Digital(true))),
            ("PUMP1 = off", set("PUMP1", Digital(false))),
            ("給水ポンプ＝入", set("PUMP1", Digital(true))),
            ("SET FAN1=1", set("FAN1", Digital(true))),
            ("SET 会議室 照明 ON", set("ROOM 2", Digital(true))),
            ("SET SETP1 22.5", set("SETP1", Analog(22.5))),
            ("SET SETP1 -3", set("SETP1", Analog(-3.0))),
            ("SET SETP1 +3.", set("SETP1", Analog(3.0))),
            ("SET SETP1 .5", set("SETP1", Analog(0.5))),
            ("温度設定=２４．５", set("SETP1", Analog(24.5))),
            ("温度設定＝－２", set("SETP1", Analog(-2.0))),
            ("SETP1=\u{2212}2", set("SETP1", Analog(-2.0))),
        ];
        for (line, expected) in cases {
            assert_eq!(one(line), expected, "{line:?}");
        }
    }

    #[test]
    fn errors_name_what_is_wrong() {
        type Case = (&'static str, Result<Command, CommandError>);
        let bad = |point: &str, value: &str, digital| -> Result<Command, CommandError> {
            Err(CommandError::BadValue {
                point: point.into(),
                value: value.into(),
                digital,
            })
        };
        let no_point = |point: &str| -> Result<Command, CommandError> {
            Err(CommandError::UnknownPoint {
                point: point.into(),
            })
        };
        let fixed = |point: &str, kind| -> Result<Command, CommandError> {
            Err(CommandError::NotOperable {
                point: point.into(),
                kind,
            })
        };
        let usage =
            |syntax| -> Result<Command, CommandError> { Err(CommandError::Usage { syntax }) };
        let junk = |line: &str| -> Result<Command, CommandError> {
            Err(CommandError::Unknown { line: line.into() })
        };
        let cases: Vec<Case> = vec![
            ("GET PUMP9", no_point("PUMP9")),
            ("PUMP9?", no_point("PUMP9")),
            ("SET 給湯ポンプ ON", no_point("給湯ポンプ")),
            ("PUMP9=ON", no_point("PUMP9")),
            ("SET PUMP1 MAYBE", bad("PUMP1", "MAYBE", true)),
            ("SET PUMP1 2", bad("PUMP1", "2", true)),
            ("SET SETP1 ON", bad("SETP1", "ON", false)),
            ("SET SETP1 nan", bad("SETP1", "nan", false)),
            ("SET SETP1 inf", bad("SETP1", "inf", false)),
            ("SET SETP1 1e3", bad("SETP1", "1e3", false)),
            ("SET SETP1 .", bad("SETP1", ".", false)),
            ("SET SETP1 -", bad("SETP1", "-", false)),
            ("SET SETP1 1.2.3", bad("SETP1", "1.2.3", false)),
            ("SETP1=0x10", bad("SETP1", "0x10", false)),
            ("SET DOOR1 OFF", fixed("DOOR1", PointKind::Di)),
            ("室温=20", fixed("TEMP1", PointKind::Ai)),
            ("SET KWH1 0", fixed("KWH1", PointKind::Cnt)),
            ("GET", usage(Syntax::Get)),
            ("状態", usage(Syntax::Get)),
            ("SET", usage(Syntax::Set)),
            ("SET PUMP1", usage(Syntax::Set)),
            ("PUMP1=", usage(Syntax::Set)),
            ("こんにちは", junk("こんにちは")),
            ("ＰＵＭＰ１をＯＮにして", junk("PUMP1をONにして")),
            ("LIST ALL", junk("LIST ALL")),
            ("GETPUMP1", junk("GETPUMP1")),
        ];
        for (line, expected) in cases {
            assert_eq!(one(line), expected, "{line:?}");
        }
    }

    #[test]
    fn every_error_has_a_japanese_and_an_english_message() {
        let errors = [
            CommandError::Unknown { line: "xyz".into() },
            CommandError::Usage {
                syntax: Syntax::Get,
            },
            CommandError::Usage {
                syntax: Syntax::Set,
            },
            CommandError::UnknownPoint {
                point: "PUMP9".into(),
            },
            CommandError::BadValue {
                point: "PUMP1".into(),
                value: "2".into(),
                digital: true,
            },
            CommandError::BadValue {
                point: "SETP1".into(),
                value: "x".into(),
                digital: false,
            },
            CommandError::NotOperable {
                point: "DOOR1".into(),
                kind: PointKind::Di,
            },
            CommandError::LineTooLong { max: 200 },
            CommandError::TooManyCommands { max: 20 },
        ];
        for error in errors {
            let ja = error.message(Lang::Ja);
            let en = error.message(Lang::En);
            assert!(!ja.is_empty() && !en.is_empty() && ja != en, "{error:?}");
            assert!(!ja.is_ascii(), "Japanese message is English: {ja}");
            assert!(en.is_ascii() || en.contains('<'), "English message: {en}");
            let json = serde_json::to_string(&error).unwrap();
            assert_eq!(serde_json::from_str::<CommandError>(&json).unwrap(), error);
        }
        let msg = CommandError::UnknownPoint {
            point: "PUMP9".into(),
        }
        .message(Lang::Ja);
        assert!(msg.contains("PUMP9"), "{msg}");
    }

    #[test]
    fn quoted_lines_signatures_and_blank_lines_are_skipped() {
        let body = "\r\n\
            SET PUMP1 ON\r\n\
            \r\n\
            > SET FAN1 ON\r\n\
            ＞ SET FAN1 ON\r\n\
            \u{3000}\u{3000}\r\n\
            \u{feff}LIST\r\n\
            -- \r\n\
            SET FAN1 OFF\r\n";
        let mail = parse("", body);
        let lines: Vec<&str> = mail.commands.iter().map(|c| c.line.as_str()).collect();
        assert_eq!(lines, ["SET PUMP1 ON", "LIST"]);
        assert_eq!(mail.runnable().count(), 2);

        let bare = parse("", "GET TEMP1\n--\nSET PUMP1 ON\n");
        assert_eq!(bare.commands.len(), 1);
        // `---` is a separator a person typed, not a signature: it is reported.
        let dashes = parse("", "---\nGET TEMP1\n");
        assert_eq!(dashes.commands.len(), 2);
        assert!(dashes.commands[0].result.is_err());
    }

    #[test]
    fn the_subject_counts_only_when_it_reads_as_a_command() {
        let mail = parse("SET PUMP1 ON", "GET PUMP1");
        assert_eq!(mail.commands.len(), 2);
        assert!(mail.commands[0].from_subject);
        assert_eq!(mail.commands[0].result, set("PUMP1", Value::Digital(true)));
        assert!(!mail.commands[1].from_subject);

        for ignored in [
            "",
            "   ",
            "Re: SET PUMP1 ON",
            "RE: SET PUMP1 ON",
            "Re[2]: SET PUMP1 ON",
            "Re^3: LIST",
            "Fwd: LIST",
            "FW: LIST",
            "転送: LIST",
            "返信：LIST",
            "コマンド",
            "制御のお願い",
            "元気?",
            "x=y",
        ] {
            let mail = parse(ignored, "LIST");
            assert_eq!(mail.commands.len(), 1, "{ignored:?}: {mail:?}");
            assert!(!mail.commands[0].from_subject, "{ignored:?}");
        }

        // A Subject that starts with a keyword is meant as a command: its error is reported.
        let mail = parse("SET PUMP9 ON", "");
        assert_eq!(mail.commands.len(), 1);
        assert_eq!(
            mail.commands[0].result,
            Err(CommandError::UnknownPoint {
                point: "PUMP9".into()
            })
        );
        // The shorthand forms count when they name a point.
        assert_eq!(parse("給水ポンプ?", "").commands[0].result, get("PUMP1"));
        assert_eq!(
            parse("ＰＩＮ　１２３４", "LIST").pin.as_deref(),
            Some("1234")
        );
        // A Subject longer than a line is prose, not a command.
        assert!(parse(&"SET PUMP1 ON ".repeat(40), "").commands.is_empty());
    }

    #[test]
    fn pins_are_read_and_never_quoted() {
        for (line, pin) in [
            ("PIN 1234", "1234"),
            ("pin 1234", "1234"),
            ("PIN:1234", "1234"),
            ("PIN=1234", "1234"),
            ("ＰＩＮ　１２３４", "1234"),
            ("暗証 5678", "5678"),
            ("暗証番号 5678", "5678"),
            ("暗証5678", "5678"),
            ("暗証番号：５６７８", "5678"),
            ("PIN 12ab", "12ab"),
        ] {
            let mail = parse("", &format!("{line}\nLIST"));
            assert_eq!(mail.pin.as_deref(), Some(pin), "{line:?}");
            assert_eq!(mail.commands.len(), 1, "{line:?}");
            assert!(mail.commands.iter().all(|c| !c.line.contains(pin)));
        }
        assert_eq!(parse("", "LIST").pin, None);
        assert_eq!(parse("", "PIN 1234\nPIN 1234").pin.as_deref(), Some("1234"));
        // Two different PINs count as none: one mail, one try.
        assert_eq!(parse("", "PIN 1234\nPIN 9999\nLIST").pin, None);
        assert_eq!(parse("PIN 1234", "PIN 9999").pin, None);
        // A word that only starts with PIN is not a PIN line.
        assert!(parse("", "PINE1?").pin.is_none());
    }

    #[test]
    fn limits_give_one_clear_error() {
        let long = format!("SET PUMP1 ON {}", "x".repeat(MAX_LINE_CHARS));
        let mail = parse("", &format!("{long}\nLIST"));
        assert_eq!(mail.commands.len(), 2);
        assert_eq!(
            mail.commands[0].result,
            Err(CommandError::LineTooLong {
                max: MAX_LINE_CHARS
            })
        );
        assert_eq!(mail.commands[0].line.chars().count(), MAX_LINE_CHARS + 1);
        assert_eq!(mail.commands[1].result, Ok(Command::List));

        let exactly = "LIST\n".repeat(MAX_COMMANDS);
        let mail = parse("", &exactly);
        assert_eq!(mail.commands.len(), MAX_COMMANDS);
        assert_eq!(mail.refused, None);

        let over = format!("{exactly}LIST\nPIN 4321\n");
        let mail = parse("", &over);
        assert!(mail.commands.is_empty());
        assert_eq!(mail.runnable().count(), 0);
        assert_eq!(
            mail.refused,
            Some(CommandError::TooManyCommands { max: MAX_COMMANDS })
        );
        assert_eq!(mail.pin.as_deref(), Some("4321"));
    }

    /// A small deterministic generator, so the hostile inputs are the same on every run.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    #[test]
    fn hostile_input_never_panics_and_gives_bounded_output() {
        let nines = "9".repeat(400);
        let pieces_list: Vec<&str> = vec![
            "SET",
            "GET",
            "PUMP1",
            "給水ポンプ",
            "=",
            "?",
            "？",
            " ",
            "\u{3000}",
            "\n",
            "\r\n",
            "\r",
            ">",
            "-- ",
            "--",
            "PIN",
            "暗証",
            "1",
            "0",
            ".",
            "-",
            "+",
            "\u{2212}",
            "ON",
            "入",
            "\u{FDFA}",
            "\u{0301}",
            "\u{FEFF}",
            "\u{200B}",
            "e",
            "nan",
            &nines,
            "ｶﾞ",
            "①",
            "㍻",
            "\u{10FFFF}",
            "\0",
            "\t",
            "Re:",
            "状態",
            "SETP1",
        ];
        let pieces_list = &pieces_list[..];
        let mut rng = Lcg(7);
        for round in 0..3000 {
            let mut subject = String::new();
            let mut body = String::new();
            let pieces = 1 + rng.next() % 60;
            for _ in 0..pieces {
                let piece = pieces_list[(rng.next() as usize) % pieces_list.len()];
                if rng.next().is_multiple_of(8) {
                    subject.push_str(piece);
                } else {
                    body.push_str(piece);
                }
            }
            check_bounded(&subject, &body, round);
        }
        // Huge inputs: one endless line, endless lines, endless quotes, a decomposition bomb.
        let huge = [
            "x".repeat(1_000_000),
            "LIST\n".repeat(200_000),
            "> SET PUMP1 ON\n".repeat(100_000),
            "\u{FDFA}".repeat(MAX_LINE_CHARS),
            format!("SET SETP1 {}", "9".repeat(MAX_LINE_CHARS - 11)),
            "PIN 1\nPIN 2\n".repeat(50_000),
        ];
        for (i, text) in huge.iter().enumerate() {
            check_bounded(text, text, i);
        }
    }

    fn check_bounded(subject: &str, body: &str, round: usize) {
        let mail = parse(subject, body);
        assert!(mail.commands.len() <= MAX_COMMANDS, "round {round}");
        assert!(
            mail.refused.is_none() || mail.commands.is_empty(),
            "round {round}"
        );
        for line in &mail.commands {
            assert!(
                line.line.chars().count() <= MAX_LINE_CHARS + 1,
                "round {round}"
            );
            if let Err(error) = &line.result {
                for lang in [Lang::Ja, Lang::En] {
                    assert!(error.message(lang).chars().count() < 1000, "round {round}");
                }
            }
            if let Ok(Command::Set {
                value: Value::Analog(x),
                ..
            }) = line.result
            {
                assert!(x.is_finite(), "round {round}");
            }
        }
        assert!(mail.pin.as_ref().is_none_or(|p| p.chars().count() <= 33));
    }

    #[test]
    fn reserved_words_and_point_matching() {
        assert!(is_reserved("help"));
        assert!(is_reserved("ＳＥＴ"));
        assert!(is_reserved("一覧"));
        assert!(!is_reserved("PUMP1"));
        assert!(point_matches("PUMP1", "給水ポンプ", "pump1"));
        assert!(point_matches("A", "ｷｭｳｽｲ", "キュウスイ"));
        assert!(!point_matches("PUMP1", "給水ポンプ", "給水"));
        let snapshots = [crate::points::level1(Some(20.0), None)];
        let mail = parse_mail("", "受水槽水位?\nlevel1?", &snapshots[..]);
        assert_eq!(mail.runnable().count(), 2);
    }

    #[test]
    fn help_lists_every_command_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            let help = help_text(lang);
            for keyword in ["HELP", "LIST", "GET", "SET", "ALARM", "PIN"] {
                assert!(help.contains(keyword), "{lang:?} help lacks {keyword}");
            }
        }
        assert!(help_text(Lang::En).contains("<point>"));
        assert!(help_text(Lang::Ja).contains("<ポイント>"));
        assert!(
            !help_text(Lang::Ja).contains('点'),
            "ポイント is the one word for a point"
        );
        for command in REFERENCE {
            assert!(!command.forms_in(Lang::En).contains("ポイント"));
            assert!(!command.examples.is_empty());
            // Every example is a command the parser reads as one (PIN is read as the PIN).
            for example in command.examples {
                let mail = parse_mail("", example, PLANT);
                let understood = mail.pin.is_some()
                    || (!mail.commands.is_empty()
                        && mail.commands.iter().all(|l| l.result.is_ok()));
                assert!(understood, "{example}: {mail:?}");
            }
        }
        assert!(no_commands_text(Lang::Ja).contains("HELP と送ると"));
    }
}
