//! The trainee's actions, carried out on the parts and told to the trainer with what they
//! changed: saves (which fields, never a value), RST, receive now, the phone's mails, points
//! operated, the ISP changed.

use shared::points::Value;
use shared::settings::{Field, MailSettings, PasswordChange};
use shared::training::{Happening, field_text};

use super::{SaveError, Simulation};
use crate::engine::StoreError;

impl Simulation {
    /// Tells the trainer, if there is one.
    pub fn observe(&self, happening: Happening) {
        if let Some(trainer) = self.trainer() {
            trainer.observe(happening);
        }
    }

    /// 登録 through the engine if the settings are still at version `based_on`; a save that
    /// happened is recorded with the fields it changed. Returns the new version.
    pub fn save_settings(
        &self,
        settings: MailSettings,
        password: PasswordChange,
        based_on: u64,
    ) -> Result<u64, SaveError> {
        let Some(engine) = self.engine() else {
            // Nothing to save into: the version stays what it was.
            return Ok(based_on);
        };
        let before = engine.settings_now()?;
        let mut changed = changed_fields(&before.settings, &settings);
        if let PasswordChange::Set(new) = &password
            && *new != before.password
        {
            changed.push(Field::Password);
            changed.sort_by_key(|f| f.number());
        }
        let version = engine.save_settings(settings, password, based_on)?;
        self.observe(Happening::Saved { changed });
        Ok(version)
    }

    /// RST: recorded, and the settings it applied told before the engine runs on them, so a
    /// check "applied, then received" sees them in that order even when the first cycle is
    /// faster than the record.
    pub fn restart(&self) -> Result<(), StoreError> {
        let Some(engine) = self.engine() else {
            return Ok(());
        };
        engine.restart_telling(|applied| {
            self.observe(Happening::Restarted);
            self.observe(Happening::Applied {
                settings: Box::new(applied.clone()),
            });
        })
    }

    /// 今すぐ受信.
    pub fn receive_now(&self) {
        if let Some(engine) = self.engine() {
            engine.receive_now();
            self.observe(Happening::ReceiveNow);
        }
    }

    /// Changes the demo time scale of the engine, the plant and the ISP while running.
    pub fn set_time_scale(&self, scale: u32) {
        if let Some(engine) = self.engine() {
            engine.set_time_scale(scale);
        }
        if let Some(plant) = self.plant() {
            plant.set_time_scale(scale);
        }
        if let Some(sandbox) = self.sandbox() {
            sandbox.set_time_scale(scale);
        }
        self.observe(Happening::TimeScale { scale });
    }

    /// A point operated or forced from the points screen (after it was).
    pub fn point_set(&self, id: &str, value: Value) {
        self.observe(Happening::PointSet {
            id: id.to_ascii_uppercase(),
            value,
        });
    }
}

/// The fields (other than the password) whose value differs.
fn changed_fields(before: &MailSettings, after: &MailSettings) -> Vec<Field> {
    Field::ALL
        .into_iter()
        .filter(|f| *f != Field::Password)
        .filter(|f| {
            field_text(before, *f) != field_text(after, *f) || pin_changed(before, after, *f)
        })
        .collect()
}

/// `field_text` says only whether a PIN is set; a new PIN is a change too.
fn pin_changed(before: &MailSettings, after: &MailSettings, field: Field) -> bool {
    field == Field::CommandPin && before.command_pin != after.command_pin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_fields_are_named_in_screen_order() {
        let before = MailSettings::sandbox_demo();
        let mut after = before.clone();
        after.smtp_auth_login = true;
        after.smtp_service = "submission".into();
        after.command_pin = "2468".into();
        assert_eq!(
            changed_fields(&before, &after),
            [Field::CommandPin, Field::SmtpService, Field::SmtpAuthLogin]
        );
        assert!(changed_fields(&before, &before).is_empty());
    }
}
