//! The engine's settings as stored: pending (saved by 登録) and applied (taken by RST), each with
//! its password. The password stays in the back end: [`StoredSettings::view`] drops it.
//!
//! A version counter is stored with them and goes up whenever the pending settings are
//! replaced (登録, a training reset). Several pages may share one simulation: a save names the
//! version its form was filled from and is refused when another page saved in between, so no
//! page overwrites what it never saw.

use serde::{Deserialize, Serialize};
use shared::engine::SettingsView;
use shared::settings::{FieldError, MailSettings, PasswordChange, validate_password};

use crate::store::{Store, StoreError};

const PENDING: &str = "engine.settings.pending";
const APPLIED: &str = "engine.settings.applied";
const VERSION: &str = "engine.settings.version";

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
    /// The form was filled from older settings than the stored ones (another page saved in
    /// between); nothing was stored.
    #[error("settings changed since version {based_on}; now at {current}")]
    Stale {
        /// The version the save was based on.
        based_on: u64,
        /// The version stored now.
        current: u64,
    },
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
        Ok(self.store.load(PENDING)?.unwrap_or_else(demo))
    }

    /// The settings the engine runs with, if RST ever happened.
    pub fn applied(&self) -> Result<Option<StoredSettings>, StoreError> {
        self.store.load(APPLIED)
    }

    /// 登録: validates and stores as pending, if the stored settings are still at `based_on`;
    /// returns the new version. `password_set` follows the stored password.
    pub fn save(
        &self,
        mut settings: MailSettings,
        password: PasswordChange,
        based_on: u64,
    ) -> Result<u64, SaveError> {
        let mut errors = settings.validate();
        errors.extend(validate_password(&password));
        if !errors.is_empty() {
            return Err(SaveError::Invalid(errors));
        }
        // Checked and written in one transaction, so two saves on the same version cannot
        // both pass.
        let txn = self.store.begin_write()?;
        let current = version_in(&self.store, &txn)?;
        if current != based_on {
            return Err(SaveError::Stale { based_on, current });
        }
        let password = match password {
            PasswordChange::Set(p) => p,
            PasswordChange::Keep => pending_in(&self.store, &txn)?.password,
        };
        settings.password_set = !password.is_empty();
        self.store
            .save_in(&txn, PENDING, &StoredSettings { settings, password })?;
        self.store.save_in(&txn, VERSION, &(current + 1))?;
        crate::store::commit(txn)?;
        Ok(current + 1)
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
        let txn = self.store.begin_write()?;
        self.store.save_in(&txn, PENDING, pending)?;
        match applied {
            Some(applied) => self.store.save_in(&txn, APPLIED, applied)?,
            None => self.store.remove_in(&txn, APPLIED)?,
        }
        // A page still showing the settings from before the reset must not save over it.
        let next = version_in(&self.store, &txn)? + 1;
        self.store.save_in(&txn, VERSION, &next)?;
        crate::store::commit(txn)
    }

    /// What the browser may see: no password. Read at one moment, so the version always
    /// belongs to the settings beside it.
    pub fn view(&self) -> Result<SettingsView, StoreError> {
        let now = self.store.snapshot()?;
        Ok(SettingsView {
            pending: now.load(PENDING)?.unwrap_or_else(demo).settings,
            applied: now.load::<StoredSettings>(APPLIED)?.map(|s| s.settings),
            version: now.load(VERSION)?.unwrap_or(0),
        })
    }
}

/// What the pending settings are before the first save.
fn demo() -> StoredSettings {
    StoredSettings {
        settings: MailSettings::sandbox_demo(),
        password: String::new(),
    }
}

fn pending_in(store: &Store, txn: &redb::WriteTransaction) -> Result<StoredSettings, StoreError> {
    Ok(store.load_in(txn, PENDING)?.unwrap_or_else(demo))
}

fn version_in(store: &Store, txn: &redb::WriteTransaction) -> Result<u64, StoreError> {
    Ok(store.load_in(txn, VERSION)?.unwrap_or(0))
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
            .save(s.clone(), PasswordChange::Set("karacrix-pass".into()), 0)
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
        settings.save(s, PasswordChange::Keep, 1).unwrap();
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
        let Err(SaveError::Invalid(errors)) =
            settings.save(s, PasswordChange::Set("x\ny".into()), 0)
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
    fn a_save_based_on_old_settings_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let settings = SettingsStore::new(Store::open(dir.path()).unwrap());
        assert_eq!(settings.view().unwrap().version, 0);
        // Page B saves on what both pages loaded.
        let mut from_b = MailSettings::sandbox_demo();
        from_b.pop_server = "pop.b.test".into();
        let version = settings
            .save(from_b.clone(), PasswordChange::Set("b-pass".into()), 0)
            .unwrap();
        assert_eq!(version, 1);
        assert_eq!(settings.view().unwrap().version, 1);

        // Page A still has version 0 on screen.
        let mut from_a = MailSettings::sandbox_demo();
        from_a.smtp_server = "smtp.a.test".into();
        let Err(SaveError::Stale { based_on, current }) =
            settings.save(from_a.clone(), PasswordChange::Set("a-pass".into()), 0)
        else {
            panic!("a save on old settings must be refused")
        };
        assert_eq!((based_on, current), (0, 1));
        let stored = settings.pending().unwrap();
        assert_eq!(stored.settings.pop_server, "pop.b.test");
        assert_eq!(stored.settings.smtp_server, from_b.smtp_server);
        assert_eq!(stored.password, "b-pass");
        assert_eq!(settings.view().unwrap().version, 1);

        // Reloaded, A saves on the current version.
        assert_eq!(settings.save(from_a, PasswordChange::Keep, 1).unwrap(), 2);
        assert_eq!(
            settings.pending().unwrap().settings.smtp_server,
            "smtp.a.test"
        );
        assert_eq!(settings.view().unwrap().version, 2);
    }

    #[test]
    fn rst_keeps_the_version_and_a_reset_moves_it_on() {
        let dir = tempfile::tempdir().unwrap();
        let settings = SettingsStore::new(Store::open(dir.path()).unwrap());
        settings
            .save(MailSettings::sandbox_demo(), PasswordChange::Keep, 0)
            .unwrap();
        // RST leaves the pending settings, so the forms on them stay valid.
        settings.apply().unwrap();
        assert_eq!(settings.view().unwrap().version, 1);
        settings.replace(&demo(), None).unwrap();
        assert_eq!(settings.view().unwrap().version, 2);
        assert!(matches!(
            settings.save(MailSettings::sandbox_demo(), PasswordChange::Keep, 1),
            Err(SaveError::Stale { current: 2, .. })
        ));
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
