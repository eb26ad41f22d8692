//! The command layer proper: authorises the sender (3.コマンド許可アドレス, 4.コマンド暗証番号),
//! parses the mail with the shared command language, runs its commands in order on a copy of the
//! plant, and writes the reply — each command line quoted, then its result — in the charset the
//! mail came in when that is ISO-2022-JP or Shift_JIS. The copy and its stored state become real
//! only when the engine has recorded the execution (see [`CommandLayer`]).

use std::sync::Mutex;

use shared::Lang;
use shared::command::{self, Command, CommandError};
use shared::phone::Charset;
use shared::settings::MailSettings;

use super::commands::{CommandLayer, Handling};
use super::ledger::NewMail;
use super::mail::{ReceivedMail, reply_subject};
use crate::mailtext::{self, TextMail};
use crate::plant::runtime::PlantRuntime;
use crate::plant::{Plant, STORE_KEY};
use crate::store::Store;

/// Replies are written in the original's language.
const LANG: Lang = Lang::Ja;

/// Executes command mails on the plant.
pub struct PlantCommands {
    plant: PlantRuntime,
    prepared: Mutex<Option<Plant>>,
}

impl PlantCommands {
    /// Commands operating `plant`.
    pub fn new(plant: PlantRuntime) -> Self {
        PlantCommands {
            plant,
            prepared: Mutex::new(None),
        }
    }
}

/// Why a sender may not command the plant, if so.
pub fn refusal(sender: &str, settings: &MailSettings, pin: Option<&str>) -> Option<String> {
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
        return Some(format!(
            "sender {sender} is not in 3.コマンド許可アドレス: ignored"
        ));
    }
    let expected = settings.command_pin.trim();
    if !expected.is_empty() && pin != Some(expected) {
        return Some(format!("wrong or missing PIN from {sender}: ignored"));
    }
    None
}

impl CommandLayer for PlantCommands {
    fn handle(&self, mail: &ReceivedMail, settings: &MailSettings) -> Handling {
        let Some(sender) = &mail.from else {
            return Handling {
                notice: Some("mail without a sender address: ignored".into()),
                ..Handling::default()
            };
        };
        let mut plant = self.plant.copy();
        let parsed = command::parse_mail(&mail.subject, &mail.text, &plant);
        // No reply to strangers or wrong PINs: that would be backscatter and a PIN oracle.
        if let Some(why) = refusal(sender, settings, parsed.pin.as_deref()) {
            return Handling {
                notice: Some(why),
                ..Handling::default()
            };
        }
        let mut body = String::new();
        if let Some(refused) = &parsed.refused {
            body.push_str(&format!("エラー: {}\n", refused.message(LANG)));
        }
        if parsed.commands.is_empty() && parsed.refused.is_none() {
            body.push_str("コマンドが見つかりませんでした。HELP で一覧を返信します。\n");
        }
        for line in &parsed.commands {
            body.push_str(&format!("> {}\n", line.line));
            let result = match &line.result {
                Ok(command) => run(&mut plant, command),
                Err(err) => error_text(err),
            };
            body.push_str(&result);
            body.push_str("\n\n");
        }
        body.push_str("-- \nKaracrixBuilder\n");
        let charset = match mail.charset.as_deref().and_then(Charset::from_mime) {
            Some(c @ (Charset::Iso2022Jp | Charset::ShiftJis)) => c,
            _ => Charset::Utf8,
        };
        let mut headers = Vec::new();
        if let Some(id) = &mail.message_id {
            let mut thread: Vec<String> =
                mail.references.iter().map(|r| format!("<{r}>")).collect();
            thread.push(format!("<{id}>"));
            headers.push(("In-Reply-To", format!("<{id}>")));
            headers.push(("References", thread.join(" ")));
        }
        let to = vec![sender.clone()];
        let message = mailtext::compose(&TextMail {
            from: &settings.address,
            to: &to,
            subject: &reply_subject(&mail.subject),
            body: &body,
            charset,
            extra_headers: &headers,
        });
        let state = plant.snapshot();
        if let Ok(mut prepared) = self.prepared.lock() {
            *prepared = Some(plant);
        }
        Handling {
            replies: vec![NewMail {
                from: settings.address.clone(),
                to,
                message,
            }],
            commit: Some(Box::new(move |txn| Store::save_in(txn, STORE_KEY, &state))),
            notice: None,
        }
    }

    fn committed(&self) {
        if let Some(plant) = self.prepared.lock().ok().and_then(|mut p| p.take()) {
            self.plant.replace(plant);
        }
    }
}

/// Runs one command on the plant copy and says what happened.
fn run(plant: &mut Plant, command: &Command) -> String {
    match command {
        Command::Help => command::help_text(LANG),
        Command::List => plant
            .points()
            .iter()
            .map(|p| format!("{} {} {}{}", p.id, p.name, p.value_text(), alarm_mark(p)))
            .collect::<Vec<_>>()
            .join("\n"),
        Command::Get { point } => match plant.point(point) {
            Some(p) => format!(
                "{} {} ({}) = {}{}",
                p.id,
                p.name,
                p.kind.label(LANG),
                p.value_text(),
                alarm_mark(&p)
            ),
            None => format!("エラー: {point} はありません"),
        },
        Command::Set { point, value } => {
            let unit = plant
                .point(point)
                .map(|p| (p.unit, p.decimals))
                .unwrap_or_default();
            match plant.set(point, *value) {
                Ok((old, new)) => format!(
                    "OK {point}: {} → {}",
                    old.display(&unit.0, unit.1),
                    new.display(&unit.0, unit.1)
                ),
                Err(err) => format!("エラー: {}", err.message(LANG)),
            }
        }
        Command::Alarm => {
            let alarms = plant.active_alarms();
            if alarms.is_empty() {
                "警報はありません".into()
            } else {
                alarms
                    .iter()
                    .map(|p| format!("{} {} {}{}", p.id, p.name, p.value_text(), alarm_mark(p)))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        }
    }
}

fn alarm_mark(point: &shared::points::PointSnapshot) -> String {
    point
        .alarm
        .map(|alarm| format!(" [{}]", alarm.label(LANG)))
        .unwrap_or_default()
}

fn error_text(err: &CommandError) -> String {
    format!("エラー: {}", err.message(LANG))
}

#[cfg(test)]
mod tests {
    use super::*;

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
