//! The engine's settings as stored: pending (saved by 登録) and applied (taken by RST), each with
//! its password. The password stays in the back end: [`StoredSettings::view`] drops it.

use serde::{Deserialize, Serialize};
use shared::engine::SettingsView;
use shared::settings::{FieldError, MailSettings, PasswordChange, validate_password};

use crate::store::{Store, StoreError};

const PENDING: &str = "engine.settings.pending";
const APPLIED: &str = "engine.settings.applied";

/// Settings with the password, as kept in the store.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSettings {
    /// The visible fields.
    pub settings: MailSettings,
    /// 10.E-Mailパスワード.
    pub password: String,
}

impl std::fmt::Debug for StoredSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSettings")
            .field("settings", &self.settings)
            .field("password", &shared::secret::Masked(&self.password))
            .finish()
    }
}

/// Why a save did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The values are not acceptable; nothing was stored.
    #[error("invalid settings")]
    Invalid(Vec<FieldError>),
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Pending and applied settings in the store.
#[derive(Clone)]
pub struct SettingsStore {
    store: Store,
}

impl SettingsStore {
    /// Settings kept in `store`.
    pub fn new(store: Store) -> Self {
        SettingsStore { store }
    }

    /// The pending settings; the sandbox demo preset before anything was saved.
    pub fn pending(&self) -> Result<StoredSettings, StoreError> {
        Ok(self.store.load(PENDING)?.unwrap_or_else(|| StoredSettings {
            settings: MailSettings::sandbox_demo(),
            password: String::new(),
        }))
    }

    /// The settings the engine runs with, if RST ever happened.
    pub fn applied(&self) -> Result<Option<StoredSettings>, StoreError> {
        self.store.load(APPLIED)
    }

    /// 登録: validates and stores as pending. `password_set` follows the stored password.
    pub fn save(
        &self,
        mut settings: MailSettings,
        password: PasswordChange,
    ) -> Result<(), SaveError> {
        let mut errors = settings.validate();
        errors.extend(validate_password(&password));
        if !errors.is_empty() {
            return Err(SaveError::Invalid(errors));
        }
        let password = match password {
            PasswordChange::Set(p) => p,
            PasswordChange::Keep => self.pending()?.password,
        };
        settings.password_set = !password.is_empty();
        self.store
            .save(PENDING, &StoredSettings { settings, password })?;
        Ok(())
    }

    /// RST: the pending settings become the applied ones.
    pub fn apply(&self) -> Result<StoredSettings, StoreError> {
        let pending = self.pending()?;
        self.store.save(APPLIED, &pending)?;
        Ok(pending)
    }

    /// Puts these settings in place of the pending and applied ones (a training reset);
    /// `applied: None` is a system never restarted.
    pub fn replace(
        &self,
        pending: &StoredSettings,
        applied: Option<&StoredSettings>,
    ) -> Result<(), StoreError> {
        self.store.save(PENDING, pending)?;
        match applied {
            Some(applied) => self.store.save(APPLIED, applied),
            None => self.store.remove(APPLIED),
        }
    }

    /// What the browser may see: no password.
    pub fn view(&self) -> Result<SettingsView, StoreError> {
        Ok(SettingsView {
            pending: self.pending()?.settings,
            applied: self.applied()?.map(|s| s.settings),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::settings::Field;

    #[test]
    fn saving_is_pending_until_rst_and_the_password_is_write_only() {
        let dir = tempfile::tempdir().unwrap();
        let settings = SettingsStore::new(Store::open(dir.path()).unwrap());
        let view = settings.view().unwrap();
        assert!(view.applied.is_none() && view.restart_needed());

        let mut s = MailSettings::sandbox_demo();
        s.smtp_service = "submission".into();
        settings
            .save(s.clone(), PasswordChange::Set("karacrix-pass".into()))
            .unwrap();
        let view = settings.view().unwrap();
        assert!(view.pending.password_set);
        assert_eq!(view.pending.smtp_service, "submission");
        assert!(
            !serde_json::to_string(&view)
                .unwrap()
                .contains("karacrix-pass")
        );

        // Keep keeps the stored password.
        s.user = "karacrix@sandbox.test".into();
        settings.save(s, PasswordChange::Keep).unwrap();
        assert_eq!(settings.pending().unwrap().password, "karacrix-pass");

        let applied = settings.apply().unwrap();
        assert_eq!(applied.password, "karacrix-pass");
        assert!(!settings.view().unwrap().restart_needed());
    }

    #[test]
    fn invalid_settings_are_refused_and_nothing_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let settings = SettingsStore::new(Store::open(dir.path()).unwrap());
        let mut s = MailSettings::sandbox_demo();
        s.receive_interval_min = 5000;
        let Err(SaveError::Invalid(errors)) = settings.save(s, PasswordChange::Set("x\ny".into()))
        else {
            panic!("must be refused")
        };
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec![Field::ReceiveInterval, Field::Password]);
        assert_eq!(
            settings.pending().unwrap().settings,
            MailSettings::sandbox_demo()
        );
    }

    #[test]
    fn debug_output_masks_every_secret() {
        let mut settings = MailSettings::sandbox_demo();
        settings.command_pin = "pin-424242".into();
        let stored = StoredSettings {
            settings,
            password: "pass-secret".into(),
        };
        let mail = shared::command::CommandMail {
            pin: Some("pin-424242".into()),
            ..Default::default()
        };
        let shown = format!(
            "{stored:?} {:?} {mail:?}",
            PasswordChange::Set("pass-secret".into())
        );
        for secret in ["pin-424242", "pass-secret"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("command_pin: ****"), "{shown}");
        assert!(shown.contains("Set(****)"), "{shown}");
    }
}
