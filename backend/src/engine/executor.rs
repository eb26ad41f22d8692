//! The command layer proper: authorises the sender (3.コマンド許可アドレス, 4.コマンド暗証番号),
//! parses the mail with the shared command language, runs its commands in order on a copy of the
//! plant, and writes the reply — each command line quoted, then its result — in the charset the
//! mail came in when that is ISO-2022-JP or Shift_JIS. The copy serves the mails of one batch;
//! when the engine records them, their SETs are replayed on the live plant, whose state is stored
//! in the same transaction and becomes live once it is committed (see [`CommandLayer`]). The live
//! plant keeps ticking meanwhile, and only what the commands set replaces its values.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use shared::Lang;
use shared::command::{self, Command, CommandError};
use shared::engine::Hold;
use shared::phone::Charset;
use shared::points::Value;
use shared::settings::{MailSettings, set_refused_text};
use shared::transcript::Notice;

use super::commands::{CommandLayer, Handling, unix_at};
use super::ledger::NewMail;
use super::pinlock::{self, Locked, PinLock, Scope};
use crate::mail::message::{
    AUTO_GENERATED, AUTO_REPLIED, AUTO_SUBMITTED, ReceivedMail, bounded_subject, reply_subject,
    thread_headers,
};
use crate::mail::text::{self as mailtext, TextMail};
use crate::plant::Plant;
use crate::plant::runtime::PlantRuntime;
use crate::store::StoreError;

/// Executes command mails on the plant.
pub struct PlantCommands {
    plant: PlantRuntime,
    prepared: Mutex<Prepared>,
    /// The wrong-PIN counts as of the last commit (in memory: a restart forgets them).
    pins: Mutex<PinLock>,
}

/// What the mails handled since the last commit did.
#[derive(Default)]
struct Prepared {
    /// The copy they run on, so that each sees the ones before it.
    copy: Option<Plant>,
    /// Their successful SETs, in order.
    sets: Vec<(String, Value)>,
    /// The live plant with the SETs replayed, as stored; it goes live after the commit.
    stored: Option<Plant>,
    /// The wrong-PIN counts as these mails leave them; they count after the commit.
    pins: Option<PinLock>,
}

impl PlantCommands {
    /// Commands operating `plant`.
    pub fn new(plant: PlantRuntime) -> Self {
        PlantCommands {
            plant,
            prepared: Mutex::default(),
            pins: Mutex::default(),
        }
    }

    fn pins(&self) -> MutexGuard<'_, PinLock> {
        self.pins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn prepared(&self) -> MutexGuard<'_, Prepared> {
        // A panic while holding the lock leaves plants that are still valid values.
        self.prepared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Why a sender may not command the plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not in 3.コマンド許可アドレス.
    NotAllowed,
    /// 4.コマンド暗証番号 is set and the mail gives another PIN or none.
    WrongPin,
}

/// Why a sender may not command the plant, if so.
pub fn refusal(sender: &str, settings: &MailSettings, pin: Option<&str>) -> Option<Refusal> {
    let allowed = settings.allowed_senders.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        match entry.strip_prefix('@') {
            Some(domain) => sender
                .rsplit_once('@')
                .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain)),
            None => entry == sender,
        }
    });
    if !allowed {
        return Some(Refusal::NotAllowed);
    }
    let expected = settings.command_pin.trim();
    if !expected.is_empty() && pin != Some(expected) {
        return Some(Refusal::WrongPin);
    }
    None
}

impl Refusal {
    /// What the log says.
    pub fn notice(self, sender: &str) -> Notice {
        match self {
            Refusal::NotAllowed => Notice::new(
                format!(
                    "送信元 {sender} は 3.コマンド許可アドレス にありません: 実行せず、返信もしません"
                ),
                format!(
                    "sender {sender} is not in 3. Allowed command senders: not executed, no reply"
                ),
            ),
            Refusal::WrongPin => Notice::new(
                format!(
                    "{sender} からのメールの暗証番号（PIN）が違うか、ありません: 実行せず、返信もしません"
                ),
                format!("wrong or missing PIN from {sender}: not executed, no reply"),
            ),
        }
    }
}

impl CommandLayer for PlantCommands {
    fn reset(&self) {
        *self.prepared() = Prepared::default();
        *self.pins() = PinLock::default();
    }

    fn handle(&self, mail: &ReceivedMail, settings: &MailSettings) -> Handling {
        let Some(sender) = &mail.from else {
            return notice_only(Notice::new(
                "送信元アドレスのないメール: 実行しません",
                "mail without a sender address: not executed",
            ));
        };
        let mut prepared = self.prepared();
        let Prepared {
            copy, sets, pins, ..
        } = &mut *prepared;
        let plant = copy.get_or_insert_with(|| self.plant.copy());
        let pins = pins.get_or_insert_with(|| self.pins().clone());
        let parsed = command::parse_mail(&mail.subject, &mail.text, plant);
        if let Some(refused) = authorise(sender, settings, parsed.pin.as_deref(), pins) {
            return refused;
        }
        let body = reply_body(&parsed, plant, sets, settings);
        Handling {
            replies: reply(mail, settings, &body).into_iter().collect(),
            notice: None,
        }
    }

    fn store(&self, txn: &redb::WriteTransaction) -> Result<(), StoreError> {
        let mut prepared = self.prepared();
        if prepared.sets.is_empty() {
            return Ok(());
        }
        let mut live = self.plant.copy();
        for (point, value) in &prepared.sets {
            // Checked on a copy of the same points already, so this only fails if they changed.
            if let Err(err) = live.set(point, *value) {
                tracing::warn!(%err, point, "command SET not replayed on the live plant");
            }
        }
        // From here until the commit is settled, the plant's own saves would write the state
        // before these SETs over the one stored with them.
        self.plant.storing();
        self.plant.save_in(txn, &live.snapshot())?;
        prepared.stored = Some(live);
        Ok(())
    }

    fn committed(&self) {
        let Prepared { stored, pins, .. } = std::mem::take(&mut *self.prepared());
        if let Some(plant) = stored {
            self.plant.replace(plant);
        }
        if let Some(pins) = pins {
            *self.pins() = pins;
        }
    }

    fn abandoned(&self) {
        *self.prepared() = Prepared::default();
        self.plant.keep();
    }

    fn holds(&self, now: Instant, now_unix: u64) -> Vec<Hold> {
        self.pins()
            .active(now)
            .into_iter()
            .map(|locked| Hold::PinLockout {
                sender: match locked.scope {
                    Scope::Sender(sender) => Some(sender),
                    Scope::Everyone => None,
                },
                until_unix: unix_at(locked.until, now, now_unix),
            })
            .collect()
    }
}

fn notice_only(notice: Notice) -> Handling {
    Handling {
        notice: Some(notice),
        ..Handling::default()
    }
}

/// Refuses a stranger, a sender locked out, or a wrong PIN, which it counts (see [`pinlock`]).
/// None of them gets a reply: that would be backscatter and a PIN oracle. The start of a
/// lock-out is mailed to 2.警報メール宛先 instead.
fn authorise(
    sender: &str,
    settings: &MailSettings,
    pin: Option<&str>,
    pins: &mut PinLock,
) -> Option<Handling> {
    let now = Instant::now();
    let refused = refusal(sender, settings, pin);
    if refused == Some(Refusal::NotAllowed) {
        return Some(notice_only(Refusal::NotAllowed.notice(sender)));
    }
    // Even the right PIN is refused during a lock-out, or the guessing would simply go on.
    if let Some(locked) = pins.locked(sender, now) {
        return Some(notice_only(locked.refused_notice(sender, now)));
    }
    let refused = refused?;
    let Some(locked) = pins.wrong_pin(sender, now) else {
        return Some(notice_only(refused.notice(sender)));
    };
    Some(Handling {
        replies: lockout_alarm(&locked, sender, settings, now),
        notice: Some(locked.started_notice(now)),
    })
}

/// The alarm mail that tells 2.警報メール宛先 of a lock-out (none without recipients).
fn lockout_alarm(
    locked: &Locked,
    sender: &str,
    settings: &MailSettings,
    now: Instant,
) -> Vec<NewMail> {
    let to = &settings.alarm_recipients;
    if to.is_empty() {
        return Vec::new();
    }
    let lang = settings.mail_lang;
    let date = crate::mail::clock::rfc5322_now();
    let message = mailtext::compose(&TextMail {
        from: &settings.address,
        to,
        subject: &pinlock::alarm_subject(lang),
        body: &pinlock::alarm_body(locked, sender, now, &date, lang),
        charset: Charset::Utf8,
        extra_headers: &[(AUTO_SUBMITTED, AUTO_GENERATED.into())],
    });
    match message {
        Ok(message) => vec![NewMail {
            from: settings.address.clone(),
            to: to.clone(),
            message,
        }],
        Err(err) => {
            tracing::error!(%err, "the lock-out alarm mail cannot be written");
            Vec::new()
        }
    }
}

/// The reply's text: each command line quoted, then its result. Replies are in the language
/// of the settings: Japanese, as the original, by default. A SET the settings do not allow
/// (a real server without a long enough PIN) is answered with why, and not executed.
fn reply_body(
    parsed: &command::CommandMail,
    plant: &mut Plant,
    sets: &mut Vec<(String, Value)>,
    settings: &MailSettings,
) -> String {
    let lang = settings.mail_lang;
    let may_set = settings.sets_allowed();
    let mut body = String::new();
    if let Some(refused) = &parsed.refused {
        body.push_str(&format!("{}{}\n", error_mark(lang), refused.message(lang)));
    }
    if parsed.commands.is_empty() && parsed.refused.is_none() {
        body.push_str(command::no_commands_text(lang));
        body.push('\n');
    }
    for line in &parsed.commands {
        body.push_str(&format!("> {}\n", line.line));
        let result = match &line.result {
            Ok(Command::Set { .. }) if !may_set => {
                format!("{}{}", error_mark(lang), set_refused_text(lang))
            }
            Ok(command) => run(plant, command, sets, lang),
            Err(err) => error_text(err, lang),
        };
        body.push_str(&result);
        body.push_str("\n\n");
    }
    body.push_str("-- \nKaracrixBuilder\n");
    body
}

/// The reply to `mail`: to its sender as the From header writes it (the allow-list compares
/// without case, the reply keeps the spelling), threaded under it, marked as automatic (RFC
/// 3834), in its charset when that is ISO-2022-JP or Shift_JIS. Reply-To is not followed: the
/// allow-list judged the From address, and a forged From must not redirect the plant's answer.
/// None when no server could deliver it: no sender, or one that is no address.
pub fn reply(mail: &ReceivedMail, settings: &MailSettings, body: &str) -> Option<NewMail> {
    let charset = match mail.charset.as_deref().and_then(Charset::from_mime) {
        Some(c @ (Charset::Iso2022Jp | Charset::ShiftJis)) => c,
        _ => Charset::Utf8,
    };
    let mut headers = vec![(AUTO_SUBMITTED, AUTO_REPLIED.to_string())];
    headers.extend(thread_headers(mail));
    let sender = mail.from_as_written.as_ref().or(mail.from.as_ref());
    let to: Vec<String> = sender.cloned().into_iter().collect();
    let subject = masked_reply_subject(&mail.subject, &settings.command_pin, settings.mail_lang);
    let message = mailtext::compose(&TextMail {
        from: &settings.address,
        to: &to,
        subject: &subject,
        body,
        charset,
        extra_headers: &headers,
    })
    .inspect_err(|err| tracing::info!(%err, "no reply: the mail cannot be written"))
    .ok()?;
    Some(NewMail {
        from: settings.address.clone(),
        to,
        message,
    })
}

/// `Re: <subject>` without the PIN: a PIN line keeps only its keyword, and the PIN of
/// 4.コマンド暗証番号 written as a word of its own is masked too. A reply can be forwarded or
/// read over a shoulder; the PIN must not travel in it. Cut to a bounded length after the
/// masking, so a cut cannot leave part of a PIN unmasked.
fn masked_reply_subject(subject: &str, pin: &str, lang: Lang) -> String {
    let reply = reply_subject(subject, lang);
    let Some(topic) = reply.strip_prefix("Re: ") else {
        return reply;
    };
    let topic = command::mask_pin_line(topic);
    let pin = command::point_key(pin);
    let words: Vec<&str> = topic
        .split(' ')
        .map(|word| {
            if !pin.is_empty() && command::point_key(word) == pin {
                "****"
            } else {
                word
            }
        })
        .collect();
    bounded_subject(&format!("Re: {}", words.join(" ")))
}

/// Runs one command on the plant copy and says what happened; a successful SET is noted in `sets`.
fn run(
    plant: &mut Plant,
    command: &Command,
    sets: &mut Vec<(String, Value)>,
    lang: Lang,
) -> String {
    match command {
        Command::Help => command::help_text(lang),
        Command::List => plant
            .points()
            .iter()
            .map(|p| point_line(p, lang))
            .collect::<Vec<_>>()
            .join("\n"),
        Command::Get { point } => match plant.point(point) {
            Some(p) => format!(
                "{} {} ({}) = {}{}",
                p.id,
                p.name,
                p.kind.label(lang),
                p.value_text(),
                alarm_mark(&p, lang)
            ),
            None => match lang {
                Lang::Ja => format!("エラー: ポイント「{point}」はありません"),
                Lang::En => format!("Error: there is no point {point}"),
            },
        },
        Command::Set { point, value } => {
            let unit = plant
                .point(point)
                .map(|p| (p.unit, p.decimals))
                .unwrap_or_default();
            match plant.set(point, *value) {
                Ok((old, new)) => {
                    sets.push((point.clone(), *value));
                    format!(
                        "OK {point}: {} → {}",
                        old.display(&unit.0, unit.1),
                        new.display(&unit.0, unit.1)
                    )
                }
                Err(err) => format!("{}{}", error_mark(lang), err.message(lang)),
            }
        }
        Command::Alarm => {
            let alarms = plant.active_alarms();
            if alarms.is_empty() {
                lang.pick("警報はありません", "No alarms").into()
            } else {
                alarms
                    .iter()
                    .map(|p| point_line(p, lang))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }
    }
}

/// A point as LIST and ALARM show it: id, name, value and its alarm mark.
fn point_line(p: &shared::points::PointSnapshot, lang: Lang) -> String {
    format!(
        "{} {} {}{}",
        p.id,
        p.name,
        p.value_text(),
        alarm_mark(p, lang)
    )
}

fn alarm_mark(point: &shared::points::PointSnapshot, lang: Lang) -> String {
    point
        .alarm
        .map(|alarm| format!(" [{}]", alarm.label(lang)))
        .unwrap_or_default()
}

/// What starts a line that reports an error.
fn error_mark(lang: Lang) -> &'static str {
    lang.pick("エラー: ", "Error: ")
}

fn error_text(err: &CommandError, lang: Lang) -> String {
    format!("{}{}", error_mark(lang), err.message(lang))
}

#[cfg(test)]
mod tests {
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::mail::message as mail;
    use crate::plant::STORE_KEY;
    use crate::store::Store;

    fn command_mail(text: &str) -> ReceivedMail {
        ReceivedMail {
            from: Some("operator@sandbox.test".into()),
            from_as_written: Some("operator@sandbox.test".into()),
            subject: "cmd".into(),
            text: text.into(),
            message_id: None,
            references: Vec::new(),
            charset: None,
            auto: Default::default(),
        }
    }

    fn pump_on(plant: &Plant) -> bool {
        plant
            .point("PUMP1")
            .is_some_and(|p| p.value == Value::Digital(true))
    }

    /// The old and the new value in a reply's `OK PUMP1: old → new`.
    fn change(handling: &Handling) -> (String, String) {
        let text = mail::parse(&handling.replies[0].message).unwrap().text;
        let line = text.lines().find(|l| l.starts_with("OK PUMP1: ")).unwrap();
        let (old, new) = line["OK PUMP1: ".len()..].split_once(" → ").unwrap();
        (old.to_string(), new.to_string())
    }

    #[tokio::test]
    async fn a_batch_builds_on_itself_and_goes_live_only_once_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let cancel = CancellationToken::new();
        let plant = Plant::default_plant();
        let runtime = PlantRuntime::unattended(plant, store.clone(), cancel.clone());
        let commands = PlantCommands::new(runtime.clone());
        let settings = MailSettings::sandbox_demo();

        let first = commands.handle(&command_mail("SET PUMP1 ON"), &settings);
        let second = commands.handle(&command_mail("SET PUMP1 OFF"), &settings);
        let (off, on) = change(&first);
        assert_eq!(change(&second), (on, off), "the second mail sees the first");
        assert!(
            !pump_on(&runtime.copy()),
            "nothing is live before the record"
        );
        commands.abandoned();
        commands.committed();
        assert!(!pump_on(&runtime.copy()), "an abandoned batch is forgotten");

        commands.handle(&command_mail("SET PUMP1 ON"), &settings);
        commands.handle(&command_mail("GET PUMP1"), &settings);
        let db = store.database();
        let txn = db.begin_write().unwrap();
        commands.store(&txn).unwrap();
        txn.commit().unwrap();
        assert!(!pump_on(&runtime.copy()), "live only after the commit");
        commands.committed();
        assert!(pump_on(&runtime.copy()));
        let mut restored = Plant::default_plant();
        restored.restore(&store.load(STORE_KEY).unwrap().unwrap());
        assert!(pump_on(&restored), "the stored state has the SET");
        cancel.cancel();
    }

    fn commands_on_a_plant() -> (PlantCommands, CancellationToken, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let cancel = CancellationToken::new();
        let runtime = PlantRuntime::unattended(Plant::default_plant(), store, cancel.clone());
        (PlantCommands::new(runtime), cancel, dir)
    }

    fn header(message: &[u8], name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(message);
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(String::from))
    }

    #[tokio::test]
    async fn wrong_pins_lock_out_even_the_right_one_and_tell_the_alarm_recipients() {
        let (commands, cancel, _dir) = commands_on_a_plant();
        let mut settings = MailSettings::sandbox_demo();
        settings.command_pin = "2468".into();
        let wrong = command_mail("PIN 1111\nSET PUMP1 ON");
        for _ in 1..pinlock::PER_SENDER {
            let handling = commands.handle(&wrong, &settings);
            assert!(handling.replies.is_empty());
            assert!(handling.notice.unwrap().en.contains("wrong or missing PIN"));
        }
        // Forgotten with its batch: the mails will be handled, and counted, again.
        commands.abandoned();
        assert!(commands.handle(&wrong, &settings).replies.is_empty());
        commands.committed();
        for _ in 2..pinlock::PER_SENDER {
            assert!(commands.handle(&wrong, &settings).replies.is_empty());
        }
        let fifth = commands.handle(&wrong, &settings);
        assert!(fifth.notice.unwrap().en.contains("too many wrong PINs"));
        let [alarm] = fifth.replies.as_slice() else {
            panic!("one alarm mail: {:?}", fifth.replies);
        };
        assert_eq!(alarm.to, settings.alarm_recipients);
        assert_eq!(
            header(&alarm.message, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        let text = mail::parse(&alarm.message).unwrap();
        assert!(text.subject.starts_with("【警報】"), "{}", text.subject);
        commands.committed();

        let right = commands.handle(&command_mail("PIN 2468\nSET PUMP1 ON"), &settings);
        assert!(right.replies.is_empty(), "locked out");
        assert!(right.notice.unwrap().en.contains("locked out"));
        cancel.cancel();
    }

    #[tokio::test]
    async fn replies_are_marked_automatic_and_never_carry_the_pin() {
        let (commands, cancel, _dir) = commands_on_a_plant();
        let mut settings = MailSettings::sandbox_demo();
        settings.command_pin = "2468".into();
        let mut mail = command_mail("LIST");
        mail.subject = "暗証 ２４６８".into();
        let handling = commands.handle(&mail, &settings);
        let reply = &handling.replies[0].message;
        assert_eq!(
            header(reply, "Auto-Submitted").as_deref(),
            Some("auto-replied")
        );
        assert_eq!(mail::parse(reply).unwrap().subject, "Re: 暗証 ****");
        cancel.cancel();
    }

    #[test]
    fn replies_thread_under_the_command_mail() {
        let raw = b"From: operator@sandbox.test\r\nSubject: LIST\r\n\
Message-ID: <m1@phone.sandbox.test>\r\nReferences: <m0@phone.sandbox.test>\r\n\r\nLIST\r\n";
        let mail = crate::mail::message::parse(raw).unwrap();
        let settings = MailSettings::sandbox_demo();
        let reply = reply(&mail, &settings, "OK").unwrap();
        assert_eq!(reply.to, ["operator@sandbox.test"]);
        assert_eq!(
            header(&reply.message, "In-Reply-To").as_deref(),
            Some("<m1@phone.sandbox.test>")
        );
        assert_eq!(
            header(&reply.message, "References").as_deref(),
            Some("<m0@phone.sandbox.test> <m1@phone.sandbox.test>")
        );
        let parsed = crate::mail::message::parse(&reply.message).unwrap();
        assert_eq!(parsed.subject, "Re: LIST");
    }

    /// A hostile command mail — a 5,000-character Subject, 200 Message-IDs in References —
    /// still gets a reply whose every header line fits (998 octets), threaded under it.
    #[test]
    fn a_reply_to_a_hostile_mail_has_bounded_headers() {
        let references: String = (0..200)
            .map(|n| format!("<m{n}@phone.sandbox.test>\r\n "))
            .collect();
        let subject = "LIST ".repeat(1000);
        let raw = format!(
            "From: operator@sandbox.test\r\nSubject: {subject}\r\n\
             Message-ID: <m200@phone.sandbox.test>\r\nReferences: {references}\r\n\r\nLIST\r\n"
        );
        let mail = crate::mail::message::parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.references.len(), 200);
        let settings = MailSettings::sandbox_demo();
        let reply = reply(&mail, &settings, "OK").unwrap();
        let text = String::from_utf8(reply.message.clone()).unwrap();
        assert!(text.split("\r\n").all(|l| l.len() <= 998), "{text:.2000}");
        let parsed = mail_parser::MessageParser::default()
            .parse(&reply.message)
            .unwrap();
        let kept = parsed.references().as_text_list().unwrap();
        assert_eq!(kept.len(), crate::mail::message::MAX_REFERENCES);
        assert_eq!(kept[0], "m0@phone.sandbox.test");
        assert_eq!(
            parsed.in_reply_to().as_text(),
            Some("m200@phone.sandbox.test")
        );
        let subject = parsed.subject().unwrap();
        assert!(subject.starts_with("Re: LIST LIST"), "{subject}");
        assert!(subject.chars().count() <= crate::mail::message::MAX_SUBJECT_CHARS + 1);
    }

    /// 3.コマンド許可アドレス compares without case; the reply goes to the address as the
    /// sender wrote it, whose part before `@` the sender's server may read with case.
    #[tokio::test]
    async fn the_reply_goes_to_the_sender_s_own_spelling() {
        let (commands, cancel, _dir) = commands_on_a_plant();
        let mut settings = MailSettings::sandbox_demo();
        settings.allowed_senders = vec!["taro.yamada@example.jp".into()];
        let raw = b"From: Taro Yamada <Taro.Yamada@Example.JP>\r\n\
Reply-To: other@example.jp\r\nSubject: LIST\r\n\r\nLIST\r\n";
        let mail = mail::parse(raw).unwrap();
        let handling = commands.handle(&mail, &settings);
        let [reply] = handling.replies.as_slice() else {
            panic!("one reply: {:?}", handling.notice);
        };
        assert_eq!(reply.to, ["Taro.Yamada@Example.JP"]);
        assert_eq!(
            header(&reply.message, "To").as_deref(),
            Some("Taro.Yamada@Example.JP")
        );
        cancel.cancel();
    }

    #[test]
    fn the_pin_is_masked_in_every_subject_form() {
        use Lang::Ja;
        assert_eq!(masked_reply_subject("PIN:2468", "2468", Ja), "Re: PIN ****");
        assert_eq!(
            masked_reply_subject("Re: 暗証番号 9", "2468", Ja),
            "Re: 暗証番号 ****"
        );
        assert_eq!(
            masked_reply_subject("LIST 2468", "2468", Ja),
            "Re: LIST ****"
        );
        assert_eq!(masked_reply_subject("PUMP1 ON", "1", Ja), "Re: PUMP1 ON");
        assert_eq!(masked_reply_subject("LIST", "", Ja), "Re: LIST");
    }

    #[tokio::test]
    async fn on_a_real_server_set_needs_a_long_pin_and_says_so() {
        let (commands, cancel, _dir) = commands_on_a_plant();
        let mut settings = MailSettings::sandbox_demo();
        settings.pop_server = "pop.example.jp".into();
        settings.mail_lang = Lang::En;
        let handling = commands.handle(&command_mail("GET PUMP1\nSET PUMP1 ON"), &settings);
        let text = mail::parse(&handling.replies[0].message).unwrap().text;
        assert!(text.contains("PUMP1 "), "GET still answers: {text}");
        assert!(
            text.contains("Error: this system reads a real mail server"),
            "{text}"
        );
        assert!(!text.contains("OK PUMP1"), "{text}");
        assert!(commands.prepared().sets.is_empty(), "nothing was set");

        settings.command_pin = "246813".into();
        let handling = commands.handle(&command_mail("PIN 246813\nSET PUMP1 ON"), &settings);
        let (_, new) = change(&handling);
        assert_eq!(new, "ON");
        cancel.cancel();
    }

    #[test]
    fn senders_are_checked_against_addresses_domains_and_the_pin() {
        let mut settings = MailSettings::sandbox_demo();
        settings.allowed_senders = vec!["operator@sandbox.test".into(), "@plant.example.jp".into()];
        assert_eq!(refusal("operator@sandbox.test", &settings, None), None);
        assert_eq!(refusal("chief@plant.example.jp", &settings, None), None);
        assert!(refusal("chief@evil.example.jp", &settings, None).is_some());
        settings.allowed_senders.clear();
        assert!(
            refusal("operator@sandbox.test", &settings, None).is_some(),
            "empty list: nobody"
        );
        settings.allowed_senders = vec!["operator@sandbox.test".into()];
        settings.command_pin = "2468".into();
        assert!(refusal("operator@sandbox.test", &settings, None).is_some());
        assert!(refusal("operator@sandbox.test", &settings, Some("1111")).is_some());
        assert_eq!(
            refusal("operator@sandbox.test", &settings, Some("2468")),
            None
        );
    }
}
