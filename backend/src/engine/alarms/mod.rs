//! Alarm mail: each alarm transition of the plant (発生 raised, 復旧 cleared) becomes a mail to
//! 2.警報メール宛先 through the same persistent outbox as replies, in the language of the
//! settings. At engine start (and at every RST) the plant is compared with what the mails last
//! said, so an alarm standing since before is reported once. A flapping point is coalesced (see
//! [`coalescer`]) without ever swallowing its latest state.
//!
//! What the mails last said is kept in the store beside the outbox; a crash between queueing a
//! mail and recording it can at worst repeat that one mail.

pub mod coalescer;
pub mod text;

use std::sync::OnceLock;
use std::time::Duration;

use shared::points::{AlarmEvent, PointSnapshot};
use shared::settings::MailSettings;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Engine;
use super::ledger::NewMail;
use crate::mail::clock::now_unix;
use crate::mail::message as mail;
use crate::mail::text::{self as mailtext, TextMail};
use crate::store::Store;
use coalescer::{Coalescer, ToMail};
use text::Occasion;

/// At most one mail per point in this much simulated time.
pub const COALESCE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// The store key of the alarms the last mails reported.
const MAILED_KEY: &str = "alarm_mailed";
/// How often held-back transitions are looked at.
const DUE_CHECK: Duration = Duration::from_secs(1);

/// The plant as the alarm mailer sees it.
#[derive(Default)]
pub(super) struct AlarmMailer {
    coalescer: std::sync::Mutex<Option<Coalescer>>,
    points: OnceLock<watch::Receiver<Vec<PointSnapshot>>>,
}

impl Engine {
    /// Lets alarm mails list the other points in alarm, and reports the alarms standing now.
    pub fn attach_plant(&self, points: watch::Receiver<Vec<PointSnapshot>>) {
        if self.inner.alarms.points.set(points).is_ok() {
            self.report_standing_alarms();
        }
    }

    /// Queues alarm mails for these transitions under the applied settings.
    pub fn alarms(&self, events: Vec<AlarmEvent>) {
        let Some(settings) = self.alarm_settings() else {
            return;
        };
        let now = Instant::now();
        let window = self.alarm_window();
        self.with_coalescer(|c| {
            let mails: Vec<ToMail> = events
                .into_iter()
                .filter_map(|event| c.admit(event, now, window))
                .collect();
            self.send_alarms(&settings, &mails, Occasion::Live);
        });
    }

    /// At start and RST: mails what the plant's alarms are now where no mail has told it.
    pub(super) fn report_standing_alarms(&self) {
        let Some(points) = self.inner.alarms.points.get().map(|p| p.borrow().clone()) else {
            return;
        };
        let Some(settings) = self.alarm_settings() else {
            return;
        };
        let at_ms = now_unix() * 1000;
        self.with_coalescer(|c| {
            let mails = c.reconcile(&points, at_ms, Instant::now());
            self.send_alarms(&settings, &mails, Occasion::AtStart);
        });
    }

    /// Mails the held-back transitions whose window has ended, until `cancel`.
    pub(super) async fn mail_held_alarms(self, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(DUE_CHECK);
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            let Some(settings) = self.alarm_settings_quiet() else {
                continue;
            };
            let window = self.alarm_window();
            self.with_coalescer(|c| {
                let mails = c.due(Instant::now(), window);
                self.send_alarms(&settings, &mails, Occasion::Live);
            });
        }
    }

    /// A training reset: forget what the mails said, so the plant's alarms are news again.
    pub(super) fn forget_alarms_mailed(&self) -> Result<(), crate::store::StoreError> {
        let mut guard = self.coalescer();
        *guard = Some(Coalescer::default());
        self.inner.store.remove(MAILED_KEY)
    }

    /// The coalescer's slot, locked (a panic elsewhere does not stop alarm mail).
    fn coalescer(&self) -> std::sync::MutexGuard<'_, Option<Coalescer>> {
        self.inner
            .alarms
            .coalescer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn alarm_window(&self) -> Duration {
        COALESCE_WINDOW / self.time_scale()
    }

    /// The applied settings when alarm mail can go out: after the first RST, with recipients.
    fn alarm_settings(&self) -> Option<MailSettings> {
        let settings = self.alarm_settings_quiet();
        if settings.is_none() {
            tracing::info!("no alarm mail: no RST yet or no 2.警報メール宛先");
        }
        settings
    }

    fn alarm_settings_quiet(&self) -> Option<MailSettings> {
        match self.inner.settings.applied() {
            Ok(Some(applied)) if !applied.settings.alarm_recipients.is_empty() => {
                Some(applied.settings)
            }
            Ok(_) => None,
            Err(err) => {
                tracing::error!(%err, "alarm mail: settings unreadable");
                None
            }
        }
    }

    /// Runs `f` on the coalescer (loaded from the store the first time) and stores what the
    /// mails now say. Mails are queued inside `f`, under the lock, so that two callers cannot
    /// see the one's record before its mail is queued.
    fn with_coalescer<T>(&self, f: impl FnOnce(&mut Coalescer) -> T) -> T {
        let mut guard = self.coalescer();
        let coalescer = guard.get_or_insert_with(|| load_mailed(&self.inner.store));
        let before = coalescer.mailed().clone();
        let result = f(coalescer);
        if *coalescer.mailed() != before
            && let Err(err) = self.inner.store.save(MAILED_KEY, coalescer.mailed())
        {
            tracing::error!(%err, "recording the alarms mailed failed");
        }
        result
    }

    fn send_alarms(&self, settings: &MailSettings, mails: &[ToMail], occasion: Occasion) {
        if mails.is_empty() {
            return;
        }
        let points = self
            .inner
            .alarms
            .points
            .get()
            .map(|p| p.borrow().clone())
            .unwrap_or_default();
        let lang = settings.mail_lang;
        let window_min = COALESCE_WINDOW.as_secs() / 60;
        let queued: Vec<NewMail> = mails
            .iter()
            .filter_map(|mail| {
                let message = mailtext::compose(&TextMail {
                    from: &settings.address,
                    to: &settings.alarm_recipients,
                    subject: &text::subject(&mail.event, lang),
                    body: &text::body(mail, &points, occasion, window_min, lang),
                    charset: shared::phone::Charset::Utf8,
                    // RFC 3834: nobody's responder answers it, ours included.
                    extra_headers: &[(mail::AUTO_SUBMITTED, mail::AUTO_GENERATED.into())],
                })
                .inspect_err(|err| tracing::error!(%err, "the alarm mail cannot be written"))
                .ok()?;
                Some(NewMail {
                    from: settings.address.clone(),
                    to: settings.alarm_recipients.clone(),
                    message,
                })
            })
            .collect();
        if let Err(err) = self.queue(&queued) {
            tracing::error!(%err, "queueing alarm mail failed");
        }
    }
}

fn load_mailed(store: &Store) -> Coalescer {
    match store.load(MAILED_KEY) {
        Ok(mailed) => Coalescer::with_mailed(mailed.unwrap_or_default()),
        Err(err) => {
            tracing::warn!(%err, "alarms mailed unreadable: starting afresh");
            Coalescer::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use shared::points::Value;
    use shared::settings::PasswordChange;

    use super::*;
    use crate::engine::EngineOptions;
    use crate::engine::commands::EchoLayer;
    use crate::plant::Plant;
    use crate::plant::runtime::PlantRuntime;

    /// The subjects of the mails waiting in the outbox, oldest first.
    fn outbox_subjects(engine: &Engine) -> Vec<String> {
        let ledger = &engine.inner.ledger;
        ledger
            .due(u64::MAX, 100)
            .unwrap()
            .into_iter()
            .map(|(id, _)| {
                mail::parse(&ledger.body(id).unwrap().unwrap())
                    .unwrap()
                    .subject
            })
            .collect()
    }

    fn engine_on(store: &Store, cancel: &CancellationToken) -> Engine {
        Engine::start(
            store,
            None,
            Arc::new(EchoLayer),
            EngineOptions::default(),
            cancel.clone(),
            &tokio_util::task::TaskTracker::new(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn an_alarm_standing_at_start_is_mailed_once_and_a_missed_clear_too() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let cancel = CancellationToken::new();
        // The door was open before the engine ran: its 発生 went nowhere.
        let mut plant = Plant::default_plant();
        plant.simulate("DOOR1", Value::Digital(true)).unwrap();
        assert_eq!(plant.evaluate_alarms(0).len(), 1);
        let runtime = PlantRuntime::unattended(plant, store.clone(), cancel.clone());
        let engine = engine_on(&store, &cancel);
        engine.attach_plant(runtime.subscribe());
        assert!(
            outbox_subjects(&engine).is_empty(),
            "no mail before the first RST"
        );

        let mut settings = MailSettings::sandbox_demo();
        settings.receive_interval_min = 0;
        // Nothing listens there: the mails stay in the outbox for the test to read.
        settings.smtp_server = "127.0.0.1".into();
        settings.smtp_service = "9".into();
        engine
            .save_and_restart(settings, PasswordChange::Set("x".into()))
            .unwrap();
        engine.report_standing_alarms();
        assert_eq!(outbox_subjects(&engine), ["【警報】DOOR1 扉 接点警報 発生"]);
        let (id, _) = engine.inner.ledger.due(u64::MAX, 1).unwrap()[0].clone();
        let body = engine.inner.ledger.body(id).unwrap().unwrap();
        let auto = mail::parse(&body).unwrap().auto.auto_submitted;
        assert_eq!(auto.as_deref(), Some("auto-generated"), "RFC 3834");

        // Another start on the same store knows it was mailed.
        let second = CancellationToken::new();
        let again = engine_on(&store, &second);
        again.attach_plant(runtime.subscribe());
        again.report_standing_alarms();
        assert_eq!(outbox_subjects(&again).len(), 1, "reported once");

        // The door closes while nobody mails (the plant's event is dropped here): the next
        // start owes the 復旧, under its own marker.
        runtime.simulate("DOOR1", Value::Digital(false)).unwrap();
        let mut points = runtime.subscribe();
        points
            .wait_for(|p| p.iter().any(|p| p.id == "DOOR1" && p.alarm.is_none()))
            .await
            .unwrap();
        again.report_standing_alarms();
        let subjects = outbox_subjects(&again);
        assert_eq!(subjects.len(), 2);
        assert_eq!(subjects[1], "【復旧】DOOR1 扉 接点警報 復旧");
        cancel.cancel();
        second.cancel();
    }
}
