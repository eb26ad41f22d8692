//! The engine: KaracrixBuilder's mail module. It polls the system's mailbox every
//! 1.メール受信間隔時間 minutes (or at once on "receive now"), hands command mails to the command
//! layer, sends replies and alarm mails from a persistent outbox, and shows its connection state
//! live as frame (3) does. Settings saved by 登録 take effect at RST, as in the original.
//!
//! The same code talks to the embedded sandbox ISP and to real servers: only the [`Routes`]
//! differ. Crash safety comes from the [`ledger`]: see there.

pub mod alarms;
mod batch;
pub mod commands;
mod conntest;
mod cycle;
pub mod executor;
pub mod ledger;
pub mod mail;
pub mod settings;
mod targets;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use shared::engine::{EngineState, Failure, SettingsView};
use shared::settings::{MailSettings, PasswordChange};
use shared::status::MailStatus;
use shared::transcript::{Notice, Party};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::mailclient::{Routes, Trust, pop3};
use crate::sandbox::{Dialogue, SandboxProvider};
use crate::store::{Store, StoreError};
use commands::CommandLayer;
use ledger::{Ledger, NewMail, now_unix};
use settings::{SaveError, SettingsStore, StoredSettings};

/// How often the scheduler looks for outbox mails whose backoff has passed.
const OUTBOX_CHECK: Duration = Duration::from_secs(1);

/// How the engine runs, beyond the user's settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Demo time scale: 60 makes a minute of interval pass in a second.
    pub time_scale: u32,
    /// A CA (PEM) to trust for real servers besides the public roots (lab servers).
    pub ca_file: Option<PathBuf>,
    /// Allow `submission` without STARTTLS (labs only).
    pub allow_plain_submission: bool,
    /// POP3 limits and timeouts.
    pub pop3: pop3::Options,
    /// For one SMTP exchange, connect to QUIT.
    pub smtp_timeout: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            time_scale: 1,
            ca_file: None,
            allow_plain_submission: false,
            pop3: pop3::Options::default(),
            smtp_timeout: Duration::from_secs(60),
        }
    }
}

/// The running engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    settings: SettingsStore,
    ledger: Ledger,
    routes: Routes,
    sandbox_ca: Option<String>,
    dialogue: Dialogue,
    commands: Arc<dyn CommandLayer>,
    options: EngineOptions,
    state: watch::Sender<EngineState>,
    view: watch::Sender<SettingsView>,
    receive_now: Notify,
    restart: Notify,
    outbox_kick: Notify,
    alarms: alarms::AlarmMailer,
    store: Store,
}

impl Engine {
    /// Starts the engine on `store`; it runs until `cancel`.
    pub fn start(
        store: &Store,
        sandbox: Option<SandboxProvider>,
        commands: Arc<dyn CommandLayer>,
        options: EngineOptions,
        cancel: CancellationToken,
    ) -> Result<Self, StoreError> {
        let settings = SettingsStore::new(store.clone());
        let ledger = Ledger::new(store.database())?;
        let (outbox, executed) = ledger.counts()?;
        let state = EngineState {
            outbox,
            executed,
            time_scale: options.time_scale,
            ..EngineState::default()
        };
        let engine = Engine {
            inner: Arc::new(Inner {
                view: watch::channel(settings.view()?).0,
                settings,
                ledger,
                sandbox_ca: sandbox.as_ref().map(|s| s.ca_pem().to_string()),
                routes: Routes::new(sandbox).from_address(shared::sandbox::SYSTEM_CLIENT.into()),
                dialogue: Dialogue::new(Party::Engine),
                commands,
                options,
                state: watch::channel(state).0,
                receive_now: Notify::new(),
                restart: Notify::new(),
                outbox_kick: Notify::new(),
                alarms: Default::default(),
                store: store.clone(),
            }),
        };
        tokio::spawn(engine.clone().mail_held_alarms(cancel.clone()));
        tokio::spawn(engine.clone().run(cancel));
        Ok(engine)
    }

    /// Follows the live state.
    pub fn subscribe(&self) -> watch::Receiver<EngineState> {
        self.inner.state.subscribe()
    }

    /// Follows the settings (pending and applied).
    pub fn subscribe_settings(&self) -> watch::Receiver<SettingsView> {
        self.inner.view.subscribe()
    }

    /// The engine's (masked) POP3/SMTP dialogue.
    pub fn dialogue(&self) -> &Dialogue {
        &self.inner.dialogue
    }

    /// 登録: validates and stores the settings as pending.
    pub fn save_settings(
        &self,
        settings: MailSettings,
        password: PasswordChange,
    ) -> Result<(), SaveError> {
        self.inner.settings.save(settings, password)?;
        self.inner.view.send_replace(self.inner.settings.view()?);
        Ok(())
    }

    /// RST: the pending settings become the running ones and the engine restarts with them.
    pub fn restart(&self) -> Result<(), StoreError> {
        self.inner.settings.apply()?;
        self.inner.view.send_replace(self.inner.settings.view()?);
        self.inner.restart.notify_one();
        Ok(())
    }

    /// Polls the mailbox now.
    pub fn receive_now(&self) {
        self.inner.receive_now.notify_one();
    }

    /// Queues mails (alarms) and sends them as soon as possible.
    pub fn queue(&self, mails: &[NewMail]) -> Result<(), StoreError> {
        self.inner.ledger.queue(mails)?;
        self.publish_counts();
        self.inner.outbox_kick.notify_one();
        Ok(())
    }

    fn set_status(&self, status: MailStatus) {
        self.inner.state.send_modify(|s| s.status = status);
    }

    fn publish_counts(&self) {
        if let Ok((outbox, executed)) = self.inner.ledger.counts() {
            self.inner.state.send_modify(|s| {
                s.outbox = outbox;
                s.executed = executed;
            });
        }
    }

    fn notice(&self, notice: Notice) {
        tracing::info!(notice = %notice.en, "engine");
        self.inner
            .dialogue
            .session(shared::transcript::Service::Pop3)
            .notice(&notice);
    }

    /// The scheduler: one outer turn per RST, one inner turn per cycle.
    async fn run(self, cancel: CancellationToken) {
        loop {
            let applied = match self.inner.settings.applied() {
                Ok(applied) => applied,
                Err(err) => {
                    tracing::error!(%err, "cannot read the applied settings");
                    None
                }
            };
            let restart = match applied {
                None => {
                    self.set_status(MailStatus::Wait);
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = self.inner.restart.notified() => continue,
                    }
                }
                Some(applied) => self.run_with(&applied, &cancel).await,
            };
            if !restart {
                return;
            }
        }
    }

    /// Runs cycles under one set of applied settings; true when RST asks for a restart.
    async fn run_with(&self, applied: &StoredSettings, cancel: &CancellationToken) -> bool {
        let trust = match Trust::new(
            self.inner.options.ca_file.as_deref(),
            self.inner.sandbox_ca.as_deref(),
        ) {
            Ok(trust) => trust,
            Err(err) => {
                self.failed(&err);
                tokio::select! {
                    () = cancel.cancelled() => return false,
                    () = self.inner.restart.notified() => return true,
                }
            }
        };
        let interval = applied.settings.receive_interval_min;
        let period = Duration::from_secs(
            (u64::from(interval) * 60 / u64::from(self.inner.options.time_scale.max(1))).max(1),
        );
        let idle = |cycles: u64| {
            if interval == 0 {
                MailStatus::Stop
            } else if cycles == 0 {
                MailStatus::Wait
            } else {
                MailStatus::Run { cycles }
            }
        };
        self.report_standing_alarms();
        let mut cycles = 0u64;
        // After RST the first poll comes at once, as a restarted system does.
        let mut next_poll = Instant::now();
        self.set_status(idle(cycles));
        loop {
            let receive = tokio::select! {
                () = cancel.cancelled() => return false,
                () = self.inner.restart.notified() => return true,
                () = self.inner.receive_now.notified() => true,
                () = tokio::time::sleep_until(next_poll), if interval > 0 => true,
                () = self.inner.outbox_kick.notified() => false,
                // Mails that failed earlier become due again after their backoff.
                () = tokio::time::sleep(OUTBOX_CHECK) => {
                    if !self.outbox_due() {
                        continue;
                    }
                    false
                }
            };
            if receive {
                next_poll = Instant::now() + period;
            }
            match self.cycle(applied, &trust, receive).await {
                Ok(()) => {
                    cycles += u64::from(receive);
                    self.inner
                        .state
                        .send_modify(|s| s.last_success_unix = Some(now_unix()));
                    // Receiving worked, but a mail that failed to go out still waits: the
                    // last error stays on display, as "run" would claim all is well.
                    let failure = self.inner.state.borrow().last_failure.clone();
                    match failure {
                        Some(f) if self.inner.ledger.failing().unwrap_or(false) => {
                            self.set_status(MailStatus::Error {
                                error: f.error,
                                detail: f.detail,
                            })
                        }
                        _ => {
                            self.inner.state.send_modify(|s| s.standing_error = None);
                            self.set_status(idle(cycles));
                        }
                    }
                }
                Err(err) => self.failed(&err),
            }
            self.publish_counts();
        }
    }

    fn outbox_due(&self) -> bool {
        self.inner
            .ledger
            .due(now_unix(), 1)
            .is_ok_and(|due| !due.is_empty())
    }

    fn failed(&self, err: &crate::mailclient::ClientError) {
        tracing::warn!(error = ?err.kind, detail = %err.detail, "mail cycle failed");
        let status = MailStatus::Error {
            error: err.kind,
            detail: err.detail.clone(),
        };
        let failure = Failure {
            at_unix: now_unix(),
            error: err.kind,
            detail: err.detail.clone(),
        };
        self.inner.state.send_modify(|s| {
            s.status = status;
            s.standing_error = Some(failure.clone());
            s.last_failure = Some(failure);
        });
    }
}
