//! Crash safety of the mail cycle: the real binary is killed with SIGKILL at random points of
//! its mail dialogue while it works through a mailbox of command mails (every other one a SET
//! of the set-point SETP1 to a value of its own), and started again on the same data, many
//! times. After every kill the data on disk must agree with itself: the mails executed are the
//! first ones of the mailbox, each counted once, and the plant's stored SETP1 is the value of
//! the last SET among them — neither a SET lost nor one stored without its execution. In the
//! end every command mail must have been executed exactly once and answered at least once,
//! every copy of a reply the same (a second execution would answer differently), and the
//! replies' "old → new" values must chain from the plant's start to its stored state.

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use backend::engine::ledger::{Ledger, message_id_key};
use backend::plant::{PlantState, STORE_KEY};
use backend::store::Store;
use common::binary::Instance;
use common::{Client, Env, sandbox_env, sandbox_python, submission_settings};
use shared::ServerMsg;
use shared::points::Value;
use shared::settings::PasswordChange;

// Enough that every kill lands while the engine still has mail to work through: half the
// kills come after a commit of up to 100 mails (a batch).
const MAILS: usize = 600;
const KILLS: usize = 8;
/// A kill comes after 1 to this many lines of mail dialogue (after the instance's first commit
/// for every other kill, so kills land among deletions and sending too).
const MAX_LINES_BEFORE_KILL: u64 = 400;
const PHONE: &str = "operator@sandbox.test";
/// SETP1 in the points file the back end starts with.
const SETP1_INITIAL: f64 = 22.0;

/// The command mails: odd ones set SETP1 to 10.0, 10.1 … 29.9, then round again: each SET
/// sets another value than the one before it.
const QUEUE_MAILS: &str = r#"
s = submission("operator")
for i in range(int(os.environ["MAILS"])):
    body = f"SET SETP1 {10 + (i // 2 % 200) / 10:.1f}" if i % 2 else "LIST"
    s.sendmail("operator@sandbox.test", ["karacrix@sandbox.test"],
        f"From: operator@sandbox.test\r\nTo: karacrix@sandbox.test\r\nSubject: GET PUMP1\r\nMessage-ID: <crash-{i}@phone.sandbox.test>\r\n\r\n{body}\r\n".encode())
s.quit()
"#;

/// Every reply in the phone's mailbox: the mail it answers, its body's digest, and for a SET
/// the old and new value; then how many mails are left in the system's mailbox.
const READ_REPLIES: &str = r#"
import email, email.policy, hashlib, re
p = pop3("operator")
n, _ = p.stat()
for i in range(1, n + 1):
    mail = email.message_from_bytes(b"\r\n".join(p.retr(i)[1]), policy=email.policy.default)
    answers = mail["In-Reply-To"]
    if not answers:
        continue
    body = mail.get_body().get_content()
    set_ = re.search(r"OK SETP1: ([\d.]+) ℃ → ([\d.]+) ℃", body)
    change = f"{set_[1]} {set_[2]}" if set_ else "-"
    print("reply", answers.strip("<>"), hashlib.sha256(body.encode()).hexdigest()[:16], change)
p.quit()
p = pop3("karacrix")
print("left", p.stat()[0])
p.quit()
"#;

/// The value mail `i` sets SETP1 to, if it is a SET.
fn set_value(i: usize) -> Option<f64> {
    (i % 2 == 1).then(|| 10.0 + (i / 2 % 200) as f64 / 10.0)
}

fn message_id(i: usize) -> String {
    format!("crash-{i}@phone.sandbox.test")
}

/// Checks the data a killed instance left: mails executed in mailbox order, each counted once,
/// and the stored SETP1 that of the last SET executed. Returns how many were executed.
fn check_on_disk(data: &Path) -> usize {
    let store = Store::open(data).unwrap();
    let ledger = Ledger::new(&store).unwrap();
    let executed: Vec<bool> = (0..MAILS)
        .map(|i| {
            let key = message_id_key(Some(PHONE), &message_id(i));
            ledger.was_executed(&[key]).unwrap()
        })
        .collect();
    let done = executed.iter().take_while(|e| **e).count();
    assert!(
        executed[done..].iter().all(|e| !e),
        "mails run in mailbox order; executed: {executed:?}"
    );
    let (_, count) = ledger.counts().unwrap();
    assert_eq!(count, done as u64, "each executed mail counted once");
    let stored = store
        .load::<PlantState>(STORE_KEY)
        .unwrap()
        .and_then(|state| state.values.get("SETP1").copied());
    let expected = (0..done).rev().find_map(set_value);
    match (stored, expected) {
        (Some(Value::Analog(value)), Some(set)) => assert!(
            (value - set).abs() < 1e-9,
            "stored SETP1 {value}, the last SET executed (of {done} mails) set {set}"
        ),
        (stored, None) => assert!(
            matches!(stored, None | Some(Value::Analog(SETP1_INITIAL))),
            "no SET executed, yet SETP1 is stored as {stored:?}"
        ),
        (stored, Some(set)) => panic!("SET to {set} executed, SETP1 stored as {stored:?}"),
    }
    done
}

/// Checks the replies: every mail answered, every copy of a reply the same, and the SETs'
/// old → new values chained from the start to `stored`.
fn check_replies(out: &str) {
    let mut bodies: HashMap<String, HashSet<&str>> = HashMap::new();
    let mut changes: HashMap<String, (f64, f64)> = HashMap::new();
    for line in out.lines().filter(|l| l.starts_with("reply ")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        bodies
            .entry(fields[1].into())
            .or_default()
            .insert(fields[2]);
        if let [_, id, _, old, new] = fields[..] {
            changes.insert(id.into(), (old.parse().unwrap(), new.parse().unwrap()));
        }
    }
    let mut previous = SETP1_INITIAL;
    for i in 0..MAILS {
        let id = message_id(i);
        let copies = bodies.get(&id).map_or(0, HashSet::len);
        assert_eq!(
            copies, 1,
            "mail {i}: {copies} different replies (1 expected)"
        );
        if let Some(value) = set_value(i) {
            let (old, new) = changes[&id];
            assert!(
                (old - previous).abs() < 1e-9,
                "mail {i}: old {old}, expected {previous}"
            );
            assert!(
                (new - value).abs() < 1e-9,
                "mail {i}: new {new}, expected {value}"
            );
            previous = new;
        }
    }
}

/// The real binary, every port picked by the system.
fn start(data: &Path) -> Instance {
    let args = [
        "--time-scale",
        "60",
        "--mail-timeout-secs",
        "5",
        // A load test: the one phone sends hundreds of command mails within the hour.
        "--replies-per-hour",
        "10000",
    ];
    Instance::start(env!("CARGO_BIN_EXE_karacrix-mail"), data, &args)
}

/// A tiny deterministic generator for kill moments (xorshift).
struct Moments(u64);

impl Moments {
    fn next(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max
    }
}

/// Waits until the engine has recorded a batch of executions.
async fn a_commit(client: &mut Client) {
    let mut first = None;
    client
        .wait_for("a commit", |m| match m {
            ServerMsg::Engine(state) => {
                let first = *first.get_or_insert(state.executed);
                // On a fast run every mail may already be done: then no commit is left to wait for.
                (state.executed > first || state.executed >= MAILS as u64).then_some(())
            }
            _ => None,
        })
        .await;
}

/// Waits until `lines` lines of mail dialogue (the sandbox's or the engine's) have gone by.
async fn dialogue_lines(client: &mut Client, lines: u64) {
    let mut seen = 0;
    client
        .wait_for("the engine at work", |m| {
            if let ServerMsg::Dialogue(_) = m {
                seen += 1;
            }
            (seen >= lines).then_some(())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_engine_anywhere_loses_nothing_and_repeats_nothing() {
    let data = tempfile::tempdir().unwrap();
    let mut instance = start(data.path());
    let mut client = instance.client().await;
    let mut env: Env = sandbox_env(&client.sandbox().await, data.path());
    env.insert("MAILS".into(), MAILS.to_string());

    // The mailbox fills before the engine is configured, so every kill hits real work.
    sandbox_python(QUEUE_MAILS, &env).await;
    let settings = submission_settings();
    client
        .save_and_restart(settings, PasswordChange::Set("karacrix-pass".into()))
        .await;

    // Let it work for a random stretch of its mail dialogue, then pull the plug; again on the
    // same data, with the engine resuming where the last commit left it.
    let mut moments = Moments(0x5eed_cafe);
    for kill in 0..KILLS {
        if kill % 2 == 1 {
            a_commit(&mut client).await;
        }
        dialogue_lines(&mut client, 1 + moments.next(MAX_LINES_BEFORE_KILL)).await;
        instance.kill();
        let done = check_on_disk(data.path());
        eprintln!("killed with {done} of {MAILS} mails executed");
        instance = start(data.path());
        client = instance.client().await;
    }

    let started = Instant::now();
    let executed = client
        .engine_until("every mail executed and answered", |s| {
            s.outbox == 0 && s.executed >= MAILS as u64
        })
        .await
        .executed;
    assert_eq!(
        executed, MAILS as u64,
        "every command mail executed exactly once"
    );

    // A fresh connection: the sandbox (its ports change with every start) is told on connect.
    let env = sandbox_env(&instance.client().await.sandbox().await, data.path());
    let out = sandbox_python(READ_REPLIES, &env).await;
    check_replies(&out);
    assert!(out.contains("left 0"), "every mail was deleted: {out}");
    instance.kill();
    assert_eq!(check_on_disk(data.path()), MAILS);
    eprintln!("recovered in {:?} after {KILLS} kills", started.elapsed());
}
