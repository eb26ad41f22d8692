//! Wrong PINs (4.コマンド暗証番号) are counted, so that a forged From: cannot guess the PIN
//! unnoticed: after [`PER_SENDER`] wrong or missing PINs from one allowed sender within
//! [`WINDOW`], that sender's commands are refused for [`LOCKOUT`]; after [`TOTAL`] from any
//! allowed senders, everybody's are. The total matters because From: is forged at will: with
//! an `@domain` entry an attacker has as many senders as names. It is twice the per-sender limit
//! so that one careless phone locks out only itself. This is what Dovecot's auth penalty and
//! fail2ban do for passwords, by sender instead of by IP address (a mail has none we can trust).
//!
//! Pure: the caller passes the time, and keeps the state in memory only — a restart forgets the
//! counts, as Dovecot's anvil does. The caller also mails the start of a lock-out to
//! 2.警報メール宛先 ([`alarm_subject`], [`alarm_body`]).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use shared::Lang;
use shared::transcript::Notice;

/// Wrong PINs from one sender within [`WINDOW`] that lock that sender out.
pub const PER_SENDER: usize = 5;
/// Wrong PINs from all senders within [`WINDOW`] that lock everybody out.
pub const TOTAL: usize = 2 * PER_SENDER;
/// How far back wrong PINs count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long commands are refused after a lock-out starts.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// Who is locked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// One sender.
    Sender(String),
    /// Every sender.
    Everyone,
}

/// A lock-out: who, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// Who is locked out.
    pub scope: Scope,
    /// Until when.
    pub until: Instant,
}

/// The wrong PINs of the last [`WINDOW`] and the lock-outs running.
#[derive(Debug, Clone, Default)]
pub struct PinLock {
    /// Wrong PINs not yet part of a lock-out, oldest first: at most [`TOTAL`] in the window.
    wrong: VecDeque<(String, Instant)>,
    /// Senders locked out, until when.
    senders: HashMap<String, Instant>,
    /// Everybody locked out, until when.
    everyone: Option<Instant>,
}

impl PinLock {
    /// The lock-out that refuses `sender` at `now`, if any.
    pub fn locked(&self, sender: &str, now: Instant) -> Option<Locked> {
        if let Some(until) = self.everyone.filter(|until| *until > now) {
            return Some(Locked {
                scope: Scope::Everyone,
                until,
            });
        }
        let until = *self.senders.get(sender).filter(|until| **until > now)?;
        Some(Locked {
            scope: Scope::Sender(sender.to_string()),
            until,
        })
    }

    /// Counts a wrong or missing PIN from `sender`; returns the lock-out it starts, if it does.
    pub fn wrong_pin(&mut self, sender: &str, now: Instant) -> Option<Locked> {
        self.forget_before(now);
        self.wrong.push_back((sender.to_string(), now));
        let until = now + LOCKOUT;
        if self.wrong.len() >= TOTAL {
            self.wrong.clear();
            self.everyone = Some(until);
            return Some(Locked {
                scope: Scope::Everyone,
                until,
            });
        }
        let from_sender = self.wrong.iter().filter(|(s, _)| s == sender).count();
        if from_sender >= PER_SENDER {
            // The lock-out is the penalty for these: after it, the sender starts afresh.
            self.wrong.retain(|(s, _)| s != sender);
            self.senders.insert(sender.to_string(), until);
            return Some(Locked {
                scope: Scope::Sender(sender.to_string()),
                until,
            });
        }
        None
    }

    /// Every lock-out running at `now`: everybody's first, then the senders' in order.
    pub fn active(&self, now: Instant) -> Vec<Locked> {
        let everyone = self
            .everyone
            .filter(|until| *until > now)
            .map(|until| Locked {
                scope: Scope::Everyone,
                until,
            });
        let mut senders: Vec<(&String, &Instant)> = self
            .senders
            .iter()
            .filter(|(_, until)| **until > now)
            .collect();
        senders.sort();
        let senders = senders.into_iter().map(|(sender, until)| Locked {
            scope: Scope::Sender(sender.clone()),
            until: *until,
        });
        everyone.into_iter().chain(senders).collect()
    }

    /// Forgets wrong PINs older than [`WINDOW`] and lock-outs that ended.
    fn forget_before(&mut self, now: Instant) {
        while self
            .wrong
            .front()
            .is_some_and(|(_, at)| now.duration_since(*at) >= WINDOW)
        {
            self.wrong.pop_front();
        }
        self.senders.retain(|_, until| *until > now);
        self.everyone = self.everyone.filter(|until| *until > now);
    }
}

/// Whole minutes from `now` to `until`, rounded up.
fn minutes_left(until: Instant, now: Instant) -> u64 {
    until.saturating_duration_since(now).as_secs().div_ceil(60)
}

impl Locked {
    fn who(&self) -> (String, String) {
        match &self.scope {
            Scope::Sender(sender) => (
                format!("{sender} からのコマンド"),
                format!("commands from {sender}"),
            ),
            Scope::Everyone => (
                "すべての送信元からのコマンド".into(),
                "commands from every sender".into(),
            ),
        }
    }

    /// What the log says when a lock-out starts.
    pub fn started_notice(&self, now: Instant) -> Notice {
        let (ja, en) = self.who();
        let minutes = minutes_left(self.until, now);
        Notice::new(
            format!(
                "暗証番号（PIN）の誤りが続いたため、{ja}を {minutes} 分間受け付けません（警報メールで通知します）"
            ),
            format!(
                "too many wrong PINs: {en} are refused for {minutes} minutes (alarm mail sent)"
            ),
        )
    }

    /// What the log says about a mail refused by the lock-out.
    pub fn refused_notice(&self, sender: &str, now: Instant) -> Notice {
        let minutes = minutes_left(self.until, now);
        let (ja, en) = self.who();
        Notice::new(
            format!(
                "{sender} からのメール: 暗証番号の誤りによる受付停止中（{ja}、あと {minutes} 分）: 実行せず、返信もしません"
            ),
            format!(
                "mail from {sender}: {en} are locked out after wrong PINs ({minutes} more minutes): not executed, no reply"
            ),
        )
    }
}

/// The subject of the alarm mail that tells 2.警報メール宛先 of a lock-out.
pub fn alarm_subject(lang: Lang) -> String {
    lang.pick(
        "【警報】暗証番号の誤りが続いたため、コマンドメールの受付を停止しました",
        "[ALARM] Command mail locked out after repeated wrong PINs",
    )
    .into()
}

/// The body of that mail. `sender` is the From: of the mail that started it, which may be forged.
pub fn alarm_body(locked: &Locked, sender: &str, now: Instant, date: &str, lang: Lang) -> String {
    let minutes = minutes_left(locked.until, now);
    let window = WINDOW.as_secs() / 60;
    let (who_ja, who_en) = locked.who();
    let text = match lang {
        Lang::Ja => format!(
            "暗証番号（4.コマンド暗証番号）が違うか、ないコマンドメールが {window} 分以内に続けて届きました。\n\
             {who_ja}を {minutes} 分間受け付けません。\n\n\
             最後の送信元: {sender}（差出人は偽装できます）\n時刻: {date}\n\n\
             心当たりがなければ、暗証番号を変更し、3.コマンド許可アドレス を見直してください。\n"
        ),
        Lang::En => format!(
            "Command mails with a wrong or missing PIN (4. Command PIN) kept arriving within {window} minutes.\n\
             {who_en} are refused for {minutes} minutes.\n\n\
             Last sender: {sender} (a From: can be forged)\nTime: {date}\n\n\
             If this was not you, change the PIN and review 3. Allowed command senders.\n"
        ),
    };
    format!("{text}\n-- \nKaracrixBuilder\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PHONE: &str = "operator@sandbox.test";

    #[test]
    fn five_wrong_pins_lock_the_sender_out_for_a_while() {
        let start = Instant::now();
        let mut lock = PinLock::default();
        for n in 1..PER_SENDER {
            let at = start + Duration::from_secs(n as u64);
            assert_eq!(lock.wrong_pin(PHONE, at), None);
            assert_eq!(lock.locked(PHONE, at), None);
        }
        let fifth = start + Duration::from_secs(60);
        let locked = lock.wrong_pin(PHONE, fifth).expect("the fifth locks");
        assert_eq!(locked.scope, Scope::Sender(PHONE.into()));
        assert_eq!(locked.until, fifth + LOCKOUT);
        assert_eq!(lock.locked(PHONE, fifth + LOCKOUT / 2), Some(locked));
        assert_eq!(
            lock.locked("chief@sandbox.test", fifth),
            None,
            "others go on"
        );
        assert_eq!(lock.locked(PHONE, fifth + LOCKOUT), None, "and it ends");
        let after = fifth + LOCKOUT;
        assert_eq!(lock.wrong_pin(PHONE, after), None, "counting starts afresh");
    }

    #[test]
    fn wrong_pins_older_than_the_window_do_not_count() {
        let start = Instant::now();
        let mut lock = PinLock::default();
        for n in 0..PER_SENDER as u64 {
            // One every four minutes: never five within fifteen.
            assert_eq!(
                lock.wrong_pin(PHONE, start + Duration::from_secs(n * 4 * 60)),
                None
            );
        }
    }

    #[test]
    fn wrong_pins_from_many_senders_lock_everybody_out() {
        let start = Instant::now();
        let mut lock = PinLock::default();
        // A forger rotating addresses of an allowed @domain, four each.
        let mut started = None;
        for n in 0..TOTAL {
            let sender = format!("user{}@plant.example.jp", n / 4);
            started = lock.wrong_pin(&sender, start + Duration::from_secs(n as u64));
        }
        let locked = started.expect("the total locks");
        assert_eq!(locked.scope, Scope::Everyone);
        let later = start + Duration::from_secs(60);
        assert_eq!(
            lock.active(later),
            vec![locked.clone()],
            "frame (3) shows it"
        );
        assert_eq!(lock.locked(PHONE, later), Some(locked));
        assert_eq!(
            lock.active(start + Duration::from_secs(60) + LOCKOUT),
            vec![]
        );
    }

    #[test]
    fn the_alarm_mail_says_who_and_for_how_long() {
        let now = Instant::now();
        let locked = Locked {
            scope: Scope::Sender(PHONE.into()),
            until: now + LOCKOUT,
        };
        let ja = alarm_body(&locked, PHONE, now, "Sun, 30 Nov 2025", Lang::Ja);
        assert!(
            ja.contains("operator@sandbox.test からのコマンドを 15 分間"),
            "{ja}"
        );
        let en = alarm_body(&locked, PHONE, now, "Sun, 30 Nov 2025", Lang::En);
        assert!(en.contains("are refused for 15 minutes"), "{en}");
        let notice = locked.refused_notice(PHONE, now);
        assert!(notice.en.contains("15 more minutes"), "{notice:?}");
    }
}
