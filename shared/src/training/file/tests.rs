use super::*;
use crate::sandbox::Op25b;
use crate::training::SettingsStart;

const PLANT: [&str; 3] = ["PUMP1", "DOOR1", "TEMP1"];

fn is_point(id: &str) -> bool {
    PLANT.iter().any(|p| p.eq_ignore_ascii_case(id))
}

/// Every exercise that ships, by file name.
const SHIPPED: [(&str, &str); 9] = [
    (
        "01",
        include_str!("../../../../exercises/01-first-setup.toml"),
    ),
    ("02", include_str!("../../../../exercises/02-op25b.toml")),
    (
        "03",
        include_str!("../../../../exercises/03-smtp-auth.toml"),
    ),
    (
        "04",
        include_str!("../../../../exercises/04-pop-before-smtp.toml"),
    ),
    (
        "05",
        include_str!("../../../../exercises/05-wrong-password.toml"),
    ),
    ("06", include_str!("../../../../exercises/06-interval.toml")),
    (
        "07",
        include_str!("../../../../exercises/07-remote-control.toml"),
    ),
    (
        "08",
        include_str!("../../../../exercises/08-alarm-mail.toml"),
    ),
    (
        "09",
        include_str!("../../../../exercises/09-strangers.toml"),
    ),
];

#[test]
fn every_shipped_exercise_parses_in_order_with_unique_ids() {
    let mut ids = Vec::new();
    for (n, text) in SHIPPED {
        let exercise = parse(text, &is_point).unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(format!("{:02}", exercise.order), n);
        assert!(!exercise.hints.is_empty(), "{n} has no hint");
        assert!(!exercise.title.ja.is_empty() && !exercise.goal.en.is_empty());
        ids.push(exercise.id);
    }
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique);
}

#[test]
fn the_first_exercise_starts_blank_and_the_second_blocks_port_25() {
    let first = parse(SHIPPED[0].1, &is_point).unwrap();
    assert_eq!(first.start.form, SettingsStart::Blank);
    assert!(first.start.settings.user.is_empty() && first.start.password.is_empty());
    assert!(!first.start.settings.password_set && !first.start.applied);
    assert_eq!(first.start.mails.len(), 1);
    let second = parse(SHIPPED[1].1, &is_point).unwrap();
    assert_eq!(second.start.isp.op25b, Op25b::Timeout);
    assert_eq!(second.start.settings.smtp_service, "smtp");
    assert_eq!(second.start.password, "karacrix-pass");
    assert_eq!(second.notice.smtp_port, 587);
}

fn refused(text: &str) -> ExerciseFileError {
    parse(text, &is_point).unwrap_err()
}

const GOOD: &str = r#"id = "x"
order = 1
title = { ja = "t", en = "t" }
goal = { ja = "g", en = "g" }

[notice]
user = "karacrix"
password = "karacrix-pass"
address = "karacrix@sandbox.test"
pop_server = "mail.sandbox.test"
smtp_server = "mail.sandbox.test"
smtp_service = "submission"
smtp_port = 587
auth = "smtp_auth"

[start]

[[check]]
step = { ja = "s", en = "s" }
missing = { ja = "m", en = "m" }
when = { kind = "received" }
"#;

#[test]
fn a_minimal_file_parses() {
    let exercise = parse(GOOD, &is_point).unwrap();
    let mut demo = MailSettings::sandbox_demo();
    demo.password_set = true;
    assert_eq!(exercise.start.settings, demo);
    assert_eq!(exercise.start.password, "karacrix-pass");
    assert_eq!(exercise.checks.len(), 1);
}

#[test]
fn bad_files_are_refused_with_their_line() {
    let cases: [(&str, &str, usize, &str); 8] = [
        ("order = 1", "order = \"one\"", 2, "u32"),
        ("smtp_port = 587", "smtp_port = 25", 6, "is port 587"),
        ("[start]", "[start]\nsurprise = 1", 17, "surprise"),
        (
            "when = { kind = \"received\" }",
            "when = { kind = \"point\", id = \"PUMP9\", equals = \"ON\" }",
            18,
            "PUMP9",
        ),
        (
            "when = { kind = \"received\" }",
            "when = { kind = \"recieved\" }",
            21,
            "recieved",
        ),
        (
            "[start]",
            "[start]\n[start.isp]\npop_before_smtp_minutes = 0",
            17,
            "1440",
        ),
        (
            "[start]",
            "[start]\n[[start.mail]]\nmailbox = \"root\"\nfrom = \"a@b\"\nsubject = \"s\"",
            17,
            "mailbox",
        ),
        ("id = \"x\"", "id = \"Bad Id\"", 1, "a-z"),
    ];
    for (from, to, line, words) in cases {
        let text = GOOD.replacen(from, to, 1);
        let err = refused(&text);
        assert!(err.message.contains(words), "{to}: {err}");
        assert_eq!(err.line, Some(line), "{to}: {err}");
        assert!(err.to_string().starts_with(&format!("line {line}: ")));
    }
}

#[test]
fn start_settings_that_would_not_save_are_refused() {
    let text = GOOD.replacen(
        "[start]",
        "[start]\n[start.settings]\nsmtp_service = \"smtp-auth\"",
        1,
    );
    let err = refused(&text);
    assert_eq!(err.line, Some(17), "{err}");
    assert!(err.message.contains("smtp-auth"), "{err}");
    let missing_checks = GOOD.split("[[check]]").next().unwrap().to_string();
    let err = refused(&missing_checks);
    assert!(err.message.contains("check"), "{err}");
}
