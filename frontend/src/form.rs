//! The settings screen's form as text: what the inputs hold, turned into [`MailSettings`] and a
//! [`PasswordChange`] for 登録. The checks themselves are `MailSettings::validate` and
//! `validate_password` from `shared`, the same the back end runs; this module only adds what text
//! input needs (a number that is not a number, lists typed one a line or with commas).

use shared::Lang;
use shared::settings::{
    Field, FieldError, MAX_INTERVAL_MIN, MailSettings, PasswordChange, Problem, Security,
    validate_password,
};

/// The inputs of 「Eメール接続環境設定」, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// 1. as typed.
    pub interval: String,
    /// 2. one address a line, or comma-separated.
    pub alarm_recipients: String,
    /// 3. one address or `@domain` a line, or comma-separated.
    pub allowed_senders: String,
    /// 4.
    pub pin: String,
    /// 5.
    pub smtp_service: String,
    /// 6.
    pub pop_server: String,
    /// 7.
    pub smtp_server: String,
    /// 8.
    pub address: String,
    /// 9.
    pub user: String,
    /// 10. only ever what the user typed now; empty keeps the stored one.
    pub password: String,
    /// 11.
    pub pop_before_smtp: bool,
    /// 12.
    pub smtp_auth_login: bool,
    /// 13.
    pub pop_security: Security,
    /// 14.
    pub smtp_security: Security,
    /// The language of replies and alarm mails.
    pub mail_lang: Lang,
}

impl Default for Draft {
    fn default() -> Self {
        Draft {
            interval: String::new(),
            alarm_recipients: String::new(),
            allowed_senders: String::new(),
            pin: String::new(),
            smtp_service: String::new(),
            pop_server: String::new(),
            smtp_server: String::new(),
            address: String::new(),
            user: String::new(),
            password: String::new(),
            pop_before_smtp: false,
            smtp_auth_login: false,
            pop_security: Security::Starttls,
            smtp_security: Security::Starttls,
            mail_lang: Lang::Ja,
        }
    }
}

impl Draft {
    /// The form filled with saved settings (the password input stays empty).
    pub fn from_settings(s: &MailSettings) -> Self {
        Draft {
            interval: s.receive_interval_min.to_string(),
            alarm_recipients: s.alarm_recipients.join("\n"),
            allowed_senders: s.allowed_senders.join("\n"),
            pin: s.command_pin.clone(),
            smtp_service: s.smtp_service.clone(),
            pop_server: s.pop_server.clone(),
            smtp_server: s.smtp_server.clone(),
            address: s.address.clone(),
            user: s.user.clone(),
            password: String::new(),
            pop_before_smtp: s.pop_before_smtp,
            smtp_auth_login: s.smtp_auth_login,
            pop_security: s.pop_security,
            smtp_security: s.smtp_security,
            mail_lang: s.mail_lang,
        }
    }

    /// What 登録 sends, or every problem found (in screen order) when it must not be sent.
    /// `password_set` is carried over from the stored settings; the back end decides it anyway.
    pub fn to_save(
        &self,
        password_set: bool,
    ) -> Result<(MailSettings, PasswordChange), Vec<FieldError>> {
        let interval = self.interval.trim().parse::<u32>();
        let settings = MailSettings {
            receive_interval_min: *interval.as_ref().unwrap_or(&0),
            alarm_recipients: split_list(&self.alarm_recipients),
            allowed_senders: split_list(&self.allowed_senders),
            command_pin: self.pin.trim().to_string(),
            smtp_service: self.smtp_service.trim().to_string(),
            pop_server: self.pop_server.trim().to_string(),
            smtp_server: self.smtp_server.trim().to_string(),
            address: self.address.trim().to_string(),
            user: self.user.trim().to_string(),
            password_set,
            pop_before_smtp: self.pop_before_smtp,
            smtp_auth_login: self.smtp_auth_login,
            pop_security: self.pop_security,
            smtp_security: self.smtp_security,
            mail_lang: self.mail_lang,
        };
        let password = if self.password.is_empty() {
            PasswordChange::Keep
        } else {
            PasswordChange::Set(self.password.clone())
        };
        let mut errors = settings.validate();
        if interval.is_err() {
            // Not a number at all: the same message as a number out of range.
            errors.insert(
                0,
                FieldError {
                    field: Field::ReceiveInterval,
                    problem: Problem::OutOfRange {
                        min: 0,
                        max: MAX_INTERVAL_MIN,
                    },
                },
            );
        }
        if let Some(error) = validate_password(&password) {
            let at = errors
                .iter()
                .position(|e| e.field.number() > error.field.number())
                .unwrap_or(errors.len());
            errors.insert(at, error);
        }
        if errors.is_empty() {
            Ok((settings, password))
        } else {
            Err(errors)
        }
    }
}

/// What the last 登録 led to, for the line beside the button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Nothing saved yet on this screen.
    Idle,
    /// Sent; no answer yet.
    Waiting {
        /// [`Model::own_save`](crate::model::Model) at the time of sending.
        since: Option<u64>,
    },
    /// The back end stored it (it said so to this page).
    Saved,
    /// This many problems were found (here or by the back end); nothing was saved.
    Invalid(usize),
    /// The back end refused or failed; its reason is the model's refusal.
    Refused,
    /// The connection dropped before an answer came: whether it was saved is unknown.
    Lost,
}

/// What the back end's state means for a save waiting since `since`: `None` while there is
/// still no answer. The back end's acknowledgement (`own_save` moved on) wins over the rest, as
/// it proves the save was stored; another page's save never moves it.
pub fn settle(
    since: Option<u64>,
    own_save: Option<u64>,
    rejected: usize,
    refused: bool,
    live: bool,
) -> Option<SaveOutcome> {
    if own_save != since {
        Some(SaveOutcome::Saved)
    } else if rejected > 0 {
        Some(SaveOutcome::Invalid(rejected))
    } else if refused {
        Some(SaveOutcome::Refused)
    } else if !live {
        Some(SaveOutcome::Lost)
    } else {
        None
    }
}

/// What the form does with settings that arrive (another page's save, a reset, this page's
/// own save coming back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Fill the form with them.
    Fill,
    /// Nothing to do: the form already shows this version.
    Keep,
    /// Keep what the user typed and offer to load them.
    Offer,
}

/// Decides [`Arrival`] for settings at version `arrived`, the form being filled from `loaded`
/// (none yet: `None`), `own_save` the version this page's last save stored, `edited` whether
/// the user changed the form since it was filled.
pub fn on_arrival(
    loaded: Option<u64>,
    arrived: u64,
    own_save: Option<u64>,
    edited: bool,
) -> Arrival {
    match loaded {
        None => Arrival::Fill,
        Some(loaded) if loaded == arrived => Arrival::Keep,
        _ if own_save == Some(arrived) || !edited => Arrival::Fill,
        _ => Arrival::Offer,
    }
}

/// A field's value as the console shows it (the password only as set or not set).
pub fn display_value(s: &MailSettings, field: Field, lang: Lang) -> String {
    let on_off = |on: bool| {
        lang.pick(
            if on { "オン" } else { "オフ" },
            if on { "on" } else { "off" },
        )
    };
    let list = |l: &[String]| {
        if l.is_empty() {
            lang.pick("（なし）", "(none)").to_string()
        } else {
            l.join(", ")
        }
    };
    match field {
        Field::ReceiveInterval => s.receive_interval_min.to_string(),
        Field::AlarmRecipients => list(&s.alarm_recipients),
        Field::AllowedSenders => list(&s.allowed_senders),
        Field::CommandPin if s.command_pin.is_empty() => lang.pick("（なし）", "(none)").into(),
        Field::CommandPin => s.command_pin.clone(),
        Field::SmtpService => s.smtp_service.clone(),
        Field::PopServer => s.pop_server.clone(),
        Field::SmtpServer => s.smtp_server.clone(),
        Field::Address => s.address.clone(),
        Field::User => s.user.clone(),
        Field::Password => lang
            .pick(
                if s.password_set {
                    "設定済み"
                } else {
                    "未設定"
                },
                if s.password_set { "set" } else { "not set" },
            )
            .into(),
        Field::PopBeforeSmtp => on_off(s.pop_before_smtp).into(),
        Field::SmtpAuthLogin => on_off(s.smtp_auth_login).into(),
        Field::PopSecurity => s.pop_security.label(lang).into(),
        Field::SmtpSecurity => s.smtp_security.label(lang).into(),
    }
}

/// Splits a list field typed one entry a line, or separated by commas, semicolons or spaces
/// (including the Japanese comma), dropping empty entries.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == ';' || c == '、' || c == '，' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Draft {
        Draft::from_settings(&MailSettings::sandbox_demo())
    }

    #[test]
    fn a_save_always_ends_in_an_answer() {
        let (before, after) = (Some(3), Some(4));
        assert_eq!(settle(before, before, 0, false, true), None);
        assert_eq!(
            settle(None, after, 0, false, true),
            Some(SaveOutcome::Saved)
        );
        assert_eq!(
            settle(before, after, 0, false, true),
            Some(SaveOutcome::Saved)
        );
        assert_eq!(
            settle(before, before, 2, false, true),
            Some(SaveOutcome::Invalid(2))
        );
        // A store failure or a missing engine used to leave 「登録中…」 on screen forever.
        assert_eq!(
            settle(before, before, 0, true, true),
            Some(SaveOutcome::Refused)
        );
        assert_eq!(
            settle(before, before, 0, false, false),
            Some(SaveOutcome::Lost)
        );
        assert_eq!(
            settle(before, after, 0, false, false),
            Some(SaveOutcome::Saved)
        );
    }

    #[test]
    fn settings_saved_elsewhere_never_wipe_what_the_user_typed() {
        // The first settings fill the form.
        assert_eq!(on_arrival(None, 0, None, false), Arrival::Fill);
        // The same version again (RST, a reconnect) leaves the form alone.
        assert_eq!(on_arrival(Some(2), 2, None, true), Arrival::Keep);
        // Another page saved: an untouched form follows, an edited one keeps its values.
        assert_eq!(on_arrival(Some(2), 3, None, false), Arrival::Fill);
        assert_eq!(on_arrival(Some(2), 3, Some(1), true), Arrival::Offer);
        // This page's own save comes back: the form shows what was stored.
        assert_eq!(on_arrival(Some(2), 3, Some(3), true), Arrival::Fill);
    }

    #[test]
    fn lists_take_lines_commas_and_stray_spaces() {
        assert_eq!(split_list(""), Vec::<String>::new());
        assert_eq!(
            split_list(" a@x.jp ,b@x.jp\n\n@y.jp\r\nc@x.jp; d@x.jp、e@x.jp "),
            ["a@x.jp", "b@x.jp", "@y.jp", "c@x.jp", "d@x.jp", "e@x.jp"]
        );
    }

    #[test]
    fn the_saved_settings_come_back_unchanged() {
        let saved = MailSettings::sandbox_demo();
        let (settings, password) = demo().to_save(false).unwrap();
        assert_eq!(settings, saved);
        assert_eq!(password, PasswordChange::Keep);
    }

    #[test]
    fn a_typed_password_is_sent_once_and_never_filled_in() {
        let mut saved = MailSettings::sandbox_demo();
        saved.password_set = true;
        assert_eq!(Draft::from_settings(&saved).password, "");
        let mut draft = demo();
        draft.password = "karacrix-pass".into();
        let (_, password) = draft.to_save(true).unwrap();
        assert_eq!(password, PasswordChange::Set("karacrix-pass".into()));
    }

    #[test]
    fn the_console_shows_values_but_never_a_password() {
        let mut s = MailSettings::sandbox_demo();
        s.password_set = true;
        assert_eq!(display_value(&s, Field::Password, Lang::Ja), "設定済み");
        assert_eq!(display_value(&s, Field::SmtpAuthLogin, Lang::En), "off");
        assert_eq!(display_value(&s, Field::CommandPin, Lang::En), "(none)");
        s.pop_security = Security::Tls;
        assert_eq!(
            display_value(&s, Field::PopSecurity, Lang::En),
            "TLS (encrypted from the start)"
        );
        s.allowed_senders.push("@sandbox.test".into());
        assert_eq!(
            display_value(&s, Field::AllowedSenders, Lang::En),
            "operator@sandbox.test, @sandbox.test"
        );
    }

    #[test]
    fn problems_are_found_before_sending_in_screen_order() {
        let mut draft = demo();
        draft.interval = "ten".into();
        draft.smtp_service = "smpt".into();
        draft.password = "a\nb".into();
        draft.user = String::new();
        let fields: Vec<Field> = draft
            .to_save(false)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                Field::ReceiveInterval,
                Field::SmtpService,
                Field::User,
                Field::Password
            ]
        );
        let mut draft = demo();
        draft.alarm_recipients = "operator@sandbox.test, nobody".into();
        let errors = draft.to_save(false).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, Field::AlarmRecipients);
    }
}
