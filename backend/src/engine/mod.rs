//! The engine: KaracrixBuilder's mail module. It polls the system's mailbox every
//! 1.メール受信間隔時間 minutes (or at once on "receive now"), hands command mails to the command
//! layer, sends replies and alarm mails from a persistent outbox, and shows its connection state
//! live as frame (3) does. Settings saved by 登録 take effect at RST, as in the original.
//!
//! The same code talks to the embedded sandbox ISP and to real servers: only the [`Routes`]
//! differ. Crash safety comes from the [`ledger`]: see there.

pub mod alarms;
pub mod autoreply;
mod batch;
pub mod commands;
mod conntest;
mod cycle;
pub mod executor;
pub mod guard;
pub mod ledger;
pub mod pinlock;
mod sender;
pub mod settings;
mod targets;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use shared::engine::{EngineState, Failure, SettingsView};
use shared::settings::{MailSettings, PasswordChange};
use shared::status::MailStatus;
use shared::transcript::{Notice, Party};
use tokio::sync::{Notify, broadcast, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::mail::clock::{now_unix, now_unix_ms};
use crate::mail::{AddressMap, Dialogue};
use crate::mailclient::{Routes, Trust, pop3};
use crate::store::Store;
/// The engine's storage failures (the database's).
pub use crate::store::StoreError;
use commands::CommandLayer;
use ledger::{Ledger, NewMail};
use settings::{SaveError, SettingsStore, StoredSettings};

/// SMTP connections sending side by side unless told otherwise: a server that takes one
/// mail at a time per connection is kept busy, and no server sees a flood of connections.
pub const DEFAULT_SMTP_CONNECTIONS: u16 = 4;
/// How often the scheduler looks for outbox mails whose backoff has passed.
const OUTBOX_CHECK: Duration = Duration::from_secs(1);
/// The shortest wait for a retry, so a store that keeps failing cannot spin the scheduler.
const RETRY_FLOOR: Duration = Duration::from_millis(10);

/// How the engine runs, beyond the user's settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Demo time scale: 60 makes a minute of interval pass in a second.
    pub time_scale: u32,
    /// A CA (PEM) to trust for real servers besides the public roots (lab servers).
    pub ca_file: Option<PathBuf>,
    /// Send on `submission` without STARTTLS when no AUTH is sent (labs only).
    pub allow_plain_submission: bool,
    /// POP3 limits and timeouts.
    pub pop3: pop3::Options,
    /// For one SMTP exchange, connect to QUIT.
    pub smtp_timeout: Duration,
    /// Replies to one sender per hour at most (RFC 3834: no mail loop goes on).
    pub replies_per_hour: u32,
    /// SMTP connections sending side by side at most.
    pub smtp_connections: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            time_scale: 1,
            ca_file: None,
            allow_plain_submission: false,
            pop3: pop3::Options::default(),
            smtp_timeout: Duration::from_secs(60),
            replies_per_hour: guard::DEFAULT_REPLIES_PER_HOUR,
            smtp_connections: usize::from(DEFAULT_SMTP_CONNECTIONS),
        }
    }
}

/// A mail the engine read and decided about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandledMail {
    /// The sender, if the mail named one.
    pub from: String,
    /// The subject.
    pub subject: String,
    /// Whether a reply was queued (no reply: refused, automatic or not a command).
    pub replied: bool,
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
    /// The SMTP server's retry schedule after failures that were not one mail's.
    smtp_backoff: std::sync::Mutex<sender::ServerBackoff>,
    alarms: alarms::AlarmMailer,
    store: Store,
    handled: broadcast::Sender<HandledMail>,
    /// Demo time scale now (the options give the one at start; the console changes it).
    time_scale: std::sync::atomic::AtomicU32,
}

impl Engine {
    /// Starts the engine on `store`; it runs on `tasks` until `cancel`, which also interrupts
    /// a cycle in progress. Every mail reaches `commands` through the [`guard`]: automatic mail
    /// is never answered, replies per sender are limited.
    pub fn start(
        store: &Store,
        sandbox: Option<AddressMap>,
        commands: Arc<dyn CommandLayer>,
        options: EngineOptions,
        cancel: CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<Self, StoreError> {
        let settings = SettingsStore::new(store.clone());
        let ledger = Ledger::new(store)?;
        let (outbox, executed) = ledger.counts()?;
        let state = EngineState {
            outbox,
            executed,
            time_scale: options.time_scale,
            ..EngineState::default()
        };
        let state_scale = options.time_scale.max(1);
        let system = sandbox
            .as_ref()
            .map_or(shared::sandbox::SYSTEM_CLIENT, |s| s.clients().system);
        let engine = Engine {
            inner: Arc::new(Inner {
                view: watch::channel(settings.view()?).0,
                settings,
                ledger,
                sandbox_ca: sandbox.as_ref().map(|s| s.ca_pem().to_string()),
                routes: Routes::new(sandbox).from_address(system.into()),
                dialogue: Dialogue::new(Party::Engine),
                commands: Arc::new(guard::Guarded::new(commands, options.replies_per_hour)),
                options,
                state: watch::channel(state).0,
                receive_now: Notify::new(),
                restart: Notify::new(),
                outbox_kick: Notify::new(),
                smtp_backoff: Default::default(),
                alarms: Default::default(),
                store: store.clone(),
                handled: broadcast::channel(64).0,
                time_scale: std::sync::atomic::AtomicU32::new(state_scale),
            }),
        };
        tasks.spawn(engine.clone().mail_held_alarms(cancel.clone()));
        tasks.spawn(engine.clone().run(cancel));
        Ok(engine)
    }

    /// Follows the live state.
    pub fn subscribe(&self) -> watch::Receiver<EngineState> {
        self.inner.state.subscribe()
    }

    /// Follows the mails read and what was decided about them.
    pub fn subscribe_handled(&self) -> broadcast::Receiver<HandledMail> {
        self.inner.handled.subscribe()
    }

    /// Follows the settings (pending and applied).
    pub fn subscribe_settings(&self) -> watch::Receiver<SettingsView> {
        self.inner.view.subscribe()
    }

    /// The engine's (masked) POP3/SMTP dialogue.
    pub fn dialogue(&self) -> &Dialogue {
        &self.inner.dialogue
    }

    /// 登録: validates and stores the settings as pending if they are still at version
    /// `based_on`; returns the new version.
    pub fn save_settings(
        &self,
        settings: MailSettings,
        password: PasswordChange,
        based_on: u64,
    ) -> Result<u64, SaveError> {
        let version = self.inner.settings.save(settings, password, based_on)?;
        self.publish_settings()?;
        Ok(version)
    }

    /// Tells every page the stored settings. Read while holding the watch's lock, so of two
    /// changes published at once the later read is the one that stays: a page is never left
    /// with a version older than the store's.
    fn publish_settings(&self) -> Result<(), StoreError> {
        let mut failed = None;
        self.inner
            .view
            .send_if_modified(|view| match self.inner.settings.view() {
                Ok(now) => {
                    *view = now;
                    true
                }
                Err(err) => {
                    failed = Some(err);
                    false
                }
            });
        failed.map_or(Ok(()), Err)
    }

    /// The version of the pending settings, on which the next save is based.
    pub fn settings_version(&self) -> u64 {
        self.inner.view.borrow().version
    }

    /// RST: the pending settings become the running ones and the engine restarts with them.
    pub fn restart(&self) -> Result<(), StoreError> {
        self.restart_telling(|_| {})
    }

    /// RST, telling `before_running` the settings it applied before the engine runs on them:
    /// whoever follows the engine learns of the RST before the first mail they read, however
    /// fast the engine reads it. The pages are told last, so a page that shows the RST done
    /// shows it once the engine has been told to run on the new settings.
    pub fn restart_telling(
        &self,
        before_running: impl FnOnce(&MailSettings),
    ) -> Result<(), StoreError> {
        let applied = self.inner.settings.apply()?;
        before_running(&applied.settings);
        self.inner.restart.notify_one();
        self.publish_settings()
    }

    /// 登録 over whatever is stored, then RST: the engine runs on `settings` from now on. For
    /// tests and benchmarks that set an engine up in one step; a page keeps the two apart.
    pub fn save_and_restart(
        &self,
        settings: MailSettings,
        password: PasswordChange,
    ) -> Result<u64, SaveError> {
        let version = self.save_settings(settings, password, self.settings_version())?;
        self.restart()?;
        Ok(version)
    }

    /// A training reset: these settings pending and applied (`None`: never restarted), the
    /// outbox and the executed ids empty, every count about senders and alarms forgotten, and
    /// the engine restarted on them.
    pub fn reset(
        &self,
        pending: &StoredSettings,
        applied: Option<&StoredSettings>,
    ) -> Result<(), StoreError> {
        self.inner.settings.replace(pending, applied)?;
        self.inner.ledger.clear()?;
        self.inner.commands.reset();
        self.forget_alarms_mailed()?;
        self.inner.state.send_replace(EngineState {
            time_scale: self.time_scale(),
            ..EngineState::default()
        });
        self.publish_settings()?;
        self.inner.restart.notify_one();
        Ok(())
    }

    /// Demo time scale now.
    pub fn time_scale(&self) -> u32 {
        self.inner
            .time_scale
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(1)
    }

    /// Changes the demo time scale while running: the engine restarts its schedule (with the
    /// same applied settings) so the interval is measured on the new scale at once.
    pub fn set_time_scale(&self, scale: u32) {
        self.inner
            .time_scale
            .store(scale.max(1), std::sync::atomic::Ordering::Relaxed);
        self.inner
            .state
            .send_modify(|s| s.time_scale = scale.max(1));
        self.inner.restart.notify_one();
    }

    /// The pending settings with their password, as a reset needs them.
    pub fn settings_now(&self) -> Result<StoredSettings, StoreError> {
        self.inner.settings.pending()
    }

    fn handled(&self, mail: &crate::mail::message::ReceivedMail, replied: bool) {
        let _ = self.inner.handled.send(HandledMail {
            from: mail.from.clone().unwrap_or_default(),
            subject: mail.subject.clone(),
            replied,
        });
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

    /// Publishes the outbox and executed counts, and the limits in force.
    fn publish_counts(&self) {
        let holds = self
            .inner
            .commands
            .holds(std::time::Instant::now(), now_unix());
        let counts = self.inner.ledger.counts().ok();
        self.inner.state.send_modify(|s| {
            if let Some((outbox, executed)) = counts {
                s.outbox = outbox;
                s.executed = executed;
            }
            s.holds = holds;
        });
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
        let period = self.scaled(Duration::from_secs(u64::from(interval) * 60));
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
        self.forget_smtp_backoff();
        let mut cycles = 0u64;
        // After RST the first poll comes at once, as a restarted system does.
        let mut next_poll = Instant::now();
        self.set_status(idle(cycles));
        loop {
            // Shutdown and RST first: when one is pending beside other work, the old settings
            // take no further step (a random pick could start one more cycle on them).
            let receive = tokio::select! {
                biased;
                () = cancel.cancelled() => return false,
                () = self.inner.restart.notified() => return true,
                () = self.inner.receive_now.notified() => true,
                () = tokio::time::sleep_until(next_poll), if interval > 0 => true,
                () = self.inner.outbox_kick.notified() => false,
                // Mails that failed earlier become due again after their backoff.
                () = tokio::time::sleep(self.until_retry()) => {
                    if !self.outbox_due() {
                        continue;
                    }
                    false
                }
            };
            if receive {
                next_poll = Instant::now() + period;
            }
            // RST and shutdown do not wait for a long cycle: what it executed is recorded or
            // forgotten as a whole (see `cycle`), so stopping it at any await is safe.
            let result = tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    self.interrupted();
                    return false;
                }
                () = self.inner.restart.notified() => {
                    self.interrupted();
                    return true;
                }
                result = self.cycle(applied, &trust, receive) => result,
            };
            match result {
                Ok(()) => {
                    cycles += u64::from(receive);
                    self.inner
                        .state
                        .send_modify(|s| s.last_success_unix = Some(now_unix()));
                    // Receiving worked, but a mail that failed to go out still waits: the
                    // last error stays on display, as "run" would claim all is well.
                    let failure = self.inner.state.borrow().last_failure.clone();
                    match failure {
                        Some(f) if self.sending_fails() => self.set_status(MailStatus::Error {
                            error: f.error,
                            detail: f.detail,
                        }),
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

    /// `real` shortened by the demo time scale, fractions kept (at 40, a minute is 1.5 s).
    fn scaled(&self, real: Duration) -> Duration {
        real / self.time_scale()
    }

    /// A cycle stopped half way: mails executed on the plant copy but not recorded are
    /// forgotten (they run again next time); recorded ones are only deleted next time.
    fn interrupted(&self) {
        self.inner.commands.abandoned();
        self.notice(Notice::new(
            "受信・送信の途中で中断しました（RST または終了）",
            "cycle interrupted (RST or shutdown)",
        ));
    }

    /// True when some mail may be sent now: one is due and the server is not waiting out its
    /// backoff.
    fn outbox_due(&self) -> bool {
        self.smtp_held_until_ms().is_none()
            && self
                .inner
                .ledger
                .due(now_unix_ms(), 1)
                .is_ok_and(|due| !due.is_empty())
    }

    /// True while mail fails to go out: the server waits out its backoff, or a mail it
    /// refused waits for another try.
    fn sending_fails(&self) -> bool {
        self.smtp_held_until_ms().is_some() || self.inner.ledger.failing().unwrap_or(false)
    }

    /// How long until the server or a mail waiting out its backoff may be tried: exactly
    /// then, so a scaled backoff of 1.5 s is 1.5 s; at most [`OUTBOX_CHECK`].
    fn until_retry(&self) -> Duration {
        let mail = self.inner.ledger.next_retry_ms().ok().flatten();
        let server = self.smtp_held_until_ms();
        match mail.into_iter().chain(server).min() {
            Some(at) => Duration::from_millis(at.saturating_sub(now_unix_ms()))
                .clamp(RETRY_FLOOR, OUTBOX_CHECK),
            None => OUTBOX_CHECK,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use commands::EchoLayer;
    use shared::engine::EngineState;
    use shared::settings::Security;
    use shared::status::MailError;
    use tokio::io::AsyncReadExt;

    fn engine(dir: &std::path::Path, options: EngineOptions) -> (Engine, CancellationToken) {
        let store = Store::open(dir).unwrap();
        let cancel = CancellationToken::new();
        let engine = Engine::start(
            &store,
            None,
            Arc::new(EchoLayer),
            options,
            cancel.clone(),
            &tokio_util::task::TaskTracker::new(),
        )
        .unwrap();
        (engine, cancel)
    }

    /// The scheduler under paused time: at time scale 40, a 1-minute interval polls every
    /// 1.5 s — not every 1 s or 2 s, as rounding to whole seconds did. Each poll fails at once
    /// (the sandbox is off, so its host name does not resolve), which marks the moment.
    #[tokio::test(start_paused = true)]
    async fn a_scaled_interval_keeps_its_fraction() {
        let dir = tempfile::tempdir().unwrap();
        let options = EngineOptions {
            time_scale: 40,
            ..EngineOptions::default()
        };
        let (engine, cancel) = engine(dir.path(), options);
        // One minute, whatever the demo preset's interval is.
        let mut settings = MailSettings::sandbox_demo();
        settings.receive_interval_min = 1;
        let mut state = engine.subscribe();
        engine
            .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
            .unwrap();
        let start = Instant::now();
        let mut polls: Vec<Duration> = Vec::new();
        while polls.len() < 4 {
            state.changed().await.unwrap();
            let failed = matches!(state.borrow_and_update().status, MailStatus::Error { .. });
            let at = start.elapsed();
            if failed && polls.last() != Some(&at) {
                polls.push(at);
            }
        }
        let ms: Vec<u128> = polls.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 1500, 3000, 4500]);
        cancel.cancel();
    }

    /// A server that accepts and then says nothing; counts its connections and reports when
    /// each one is closed by the client.
    async fn silent_server() -> (u16, tokio::sync::mpsc::UnboundedReceiver<&'static str>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (events, seen) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let events = events.clone();
                let _ = events.send("connected");
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
                    let _ = events.send("closed");
                });
            }
        });
        (port, seen)
    }

    async fn within(what: &'static str, seen: &mut tokio::sync::mpsc::UnboundedReceiver<&str>) {
        let event = tokio::time::timeout(Duration::from_secs(10), seen.recv())
            .await
            .unwrap_or_else(|_| panic!("nothing within 10 s: {what}"));
        assert_eq!(event, Some(what));
    }

    /// RST and shutdown do not wait for a cycle stuck on a silent server (whose timeouts are
    /// minutes long): the connection is dropped at once and, after RST, the next cycle starts.
    #[tokio::test]
    async fn rst_and_shutdown_interrupt_a_running_cycle() {
        let (port, mut seen) = silent_server().await;
        let dir = tempfile::tempdir().unwrap();
        let mut options = EngineOptions::default();
        options.pop3.connect_timeout = Duration::from_secs(600);
        options.pop3.reply_timeout = Duration::from_secs(600);
        let (engine, cancel) = engine(dir.path(), options);
        let mut settings = MailSettings::sandbox_demo();
        settings.pop_server = format!("127.0.0.1:{port}");
        settings.pop_security = Security::None;
        engine
            .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
            .unwrap();
        within("connected", &mut seen).await;
        engine.restart().unwrap();
        within("closed", &mut seen).await;
        within("connected", &mut seen).await;
        cancel.cancel();
        within("closed", &mut seen).await;
    }

    /// An SMTP server on loopback that writes its greeting with `greeting`, then answers RCPT
    /// to an address starting with `bad` with 550 and everything else as a server that takes
    /// the mail; tells each connection and each command it reads.
    async fn smtp_server(
        greeting: &'static str,
    ) -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (events, seen) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let events = events.clone();
                let _ = events.send("connected".to_string());
                tokio::spawn(async move {
                    let mut io = BufReader::new(stream);
                    let _ = io.get_mut().write_all(greeting.as_bytes()).await;
                    let (mut line, mut data) = (String::new(), false);
                    while io.read_line(&mut line).await.unwrap_or(0) > 0 {
                        let command = line.trim_end().to_string();
                        line.clear();
                        let answer: &[u8] = if data {
                            if command != "." {
                                continue;
                            }
                            data = false;
                            b"250 queued\r\n"
                        } else if command.starts_with("EHLO") {
                            b"250-loopback\r\n250 8BITMIME\r\n"
                        } else if command.starts_with("RCPT TO:<bad") {
                            b"550 5.1.1 no such user\r\n"
                        } else if command == "DATA" {
                            data = true;
                            b"354 go on\r\n"
                        } else if command == "QUIT" {
                            b"221 bye\r\n"
                        } else {
                            b"250 ok\r\n"
                        };
                        let _ = events.send(command);
                        if io.get_mut().write_all(answer).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (port, seen)
    }

    /// An engine started on settings already applied that only send, in plaintext without
    /// AUTH, to the server on `port`: no RST races its start.
    fn engine_sending_to(
        dir: &std::path::Path,
        options: EngineOptions,
        port: u16,
    ) -> (Engine, CancellationToken) {
        let mut settings = MailSettings::sandbox_demo();
        settings.receive_interval_min = 0;
        settings.pop_before_smtp = false;
        settings.smtp_auth_login = false;
        settings.smtp_server = "127.0.0.1".into();
        settings.smtp_service = port.to_string();
        settings.smtp_security = Security::None;
        {
            let stored = SettingsStore::new(Store::open(dir).unwrap());
            stored
                .save(settings, PasswordChange::Set("unused".into()), 0)
                .unwrap();
            stored.apply().unwrap();
        }
        engine(dir, options)
    }

    fn mail_to(to: &str) -> NewMail {
        NewMail {
            from: "karacrix@sandbox.test".into(),
            to: vec![to.into()],
            message: format!("To: {to}\r\nSubject: alarm\r\n\r\nalarm\r\n").into_bytes(),
        }
    }

    async fn until_state(
        engine: &Engine,
        what: &str,
        wanted: impl Fn(&EngineState) -> bool,
    ) -> EngineState {
        let mut state = engine.subscribe();
        tokio::time::timeout(Duration::from_secs(20), state.wait_for(|s| wanted(s)))
            .await
            .unwrap_or_else(|_| panic!("waited in vain for {what}"))
            .unwrap()
            .clone()
    }

    /// A server refusing one recipient for good (550) does not keep that mail for ever: it is
    /// tried [`sender::MAX_REFUSALS`] times, then given up, and the log and frame (3) say so;
    /// the other mail goes out once all the same.
    #[tokio::test]
    async fn a_mail_refused_for_good_is_given_up_after_a_few_tries_and_said() {
        let (port, mut seen) = smtp_server("220 loopback\r\n").await;
        let dir = tempfile::tempdir().unwrap();
        // A minute of backoff is a millisecond.
        let options = EngineOptions {
            time_scale: 60_000,
            ..EngineOptions::default()
        };
        let (engine, cancel) = engine_sending_to(dir.path(), options, port);
        let mut log = engine.dialogue().subscribe();
        engine
            .queue(&[mail_to("bad@example.jp"), mail_to("operator@example.jp")])
            .unwrap();
        let state = until_state(&engine, "the outbox emptied", |s| s.outbox == 0).await;
        let failure = state.last_failure.expect("frame (3) shows it");
        assert_eq!(failure.error, MailError::SmtpRejected);
        assert!(failure.detail.en.contains("bad@example.jp"), "{failure:?}");
        assert!(failure.detail.en.contains("refused 3 times"), "{failure:?}");
        assert!(failure.detail.en.contains("no such user"), "{failure:?}");
        assert!(failure.detail.ja.contains("3 回拒否"), "{failure:?}");
        let mut commands = Vec::new();
        while let Ok(event) = seen.try_recv() {
            commands.push(event);
        }
        let count = |what: &str| commands.iter().filter(|c| c.starts_with(what)).count();
        assert_eq!(count("RCPT TO:<bad@"), 3, "{commands:?}");
        assert_eq!(count("DATA"), 1, "{commands:?}");
        let mut said = false;
        while let Ok(line) = log.try_recv() {
            said |= line.text.contains("given up");
        }
        assert!(said, "the protocol log says it");
        cancel.cancel();
    }

    /// An outage of the server is one retry schedule: after the first failure no mail is due
    /// until the server's backoff has passed, however many wait, and none counts a failure of
    /// its own. RST tries again at once (the operator may have fixed the settings).
    #[tokio::test]
    async fn an_outage_is_one_retry_schedule_for_the_server_not_one_per_mail() {
        let (port, mut seen) = smtp_server("421 4.3.2 try again later\r\n").await;
        let dir = tempfile::tempdir().unwrap();
        let (engine, cancel) = engine_sending_to(dir.path(), EngineOptions::default(), port);
        let mails: Vec<NewMail> = (0..5).map(|_| mail_to("operator@example.jp")).collect();
        let before = now_unix_ms();
        engine.queue(&mails).unwrap();
        let state = until_state(&engine, "the failure", |s| {
            matches!(s.status, MailStatus::Error { .. })
        })
        .await;
        assert_eq!(state.outbox, 5);
        assert_eq!(seen.try_recv().as_deref(), Ok("connected"));
        assert!(seen.try_recv().is_err(), "one connection for five mails");
        assert!(
            !engine.outbox_due(),
            "nothing is due while the server is held"
        );
        let due = engine.inner.ledger.due(now_unix_ms(), 10).unwrap();
        assert!(due.iter().all(|(_, m)| m.attempts == 0), "{due:?}");
        let until = engine.smtp_held_until_ms().expect("the server is held");
        assert!(until >= before + 60_000, "a minute's backoff: {until}");

        engine.restart().unwrap();
        tokio::time::timeout(Duration::from_secs(20), seen.recv())
            .await
            .expect("RST tries the server again");
        cancel.cancel();
    }
}
