//! The plant with explicit times: model steps, alarms with their deadband, commands, training
//! inputs, persistence, and the points file's refusals.

use shared::command::{Command, parse_mail};
use shared::points::AlarmEventKind::{self, Cleared, Raised};

use super::*;

const T0: u64 = 1_700_000_000_000;

fn analog(plant: &Plant, id: &str) -> f64 {
    match plant.point(id).unwrap().value {
        Value::Analog(x) => x,
        Value::Digital(_) => panic!("{id} is digital"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The default plant with its start-up alarms already evaluated.
fn plant() -> Plant {
    let mut plant = Plant::default_plant();
    assert_eq!(plant.evaluate_alarms(T0), vec![]);
    plant
}

#[test]
fn the_default_plant_is_the_one_of_the_spec() {
    let plant = plant();
    let points: Vec<(String, String, PointKind, String)> = plant
        .points()
        .into_iter()
        .map(|p| (p.id, p.name, p.kind, p.unit))
        .collect();
    let expected = [
        ("PUMP1", "給水ポンプ", PointKind::Do, ""),
        ("FAN1", "換気ファン", PointKind::Do, ""),
        ("LIGHT1", "照明", PointKind::Do, ""),
        ("DOOR1", "扉", PointKind::Di, ""),
        ("TEMP1", "室温", PointKind::Ai, "℃"),
        ("LEVEL1", "受水槽水位", PointKind::Ai, "%"),
        ("SETP1", "温度設定", PointKind::Ao, "℃"),
        ("KWH1", "電力量", PointKind::Cnt, "kWh"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(i, n, k, u)| (i.to_string(), n.to_string(), *k, u.to_string()))
        .collect();
    assert_eq!(points, expected);
    let temp = plant.point("temp1").unwrap();
    assert_eq!((temp.low, temp.high), (Some(5.0), Some(30.0)));
    let level = plant.point("LEVEL1").unwrap();
    assert_eq!((level.low, level.high), (Some(20.0), None));
    assert!(plant.active_alarms().is_empty());
}

#[test]
fn commands_operate_do_and_ao_only() {
    let mut plant = plant();
    assert_eq!(
        plant.set("PUMP1", Value::Digital(true)),
        Ok((Value::Digital(false), Value::Digital(true)))
    );
    assert_eq!(
        plant.set("pump1", Value::Digital(false)),
        Ok((Value::Digital(true), Value::Digital(false)))
    );
    assert_eq!(
        plant.set("SETP1", Value::Analog(25.5)),
        Ok((Value::Analog(22.0), Value::Analog(25.5)))
    );
    let refusals = [
        ("SETP1", Value::Analog(99.0)),
        ("SETP1", Value::Analog(f64::NAN)),
        ("SETP1", Value::Digital(true)),
        ("PUMP1", Value::Analog(1.0)),
        ("TEMP1", Value::Analog(20.0)),
        ("DOOR1", Value::Digital(true)),
        ("KWH1", Value::Analog(0.0)),
        ("PUMP9", Value::Digital(true)),
    ];
    let before = plant.snapshot();
    let errors: Vec<PlantError> = refusals
        .iter()
        .map(|(id, v)| plant.set(id, *v).unwrap_err())
        .collect();
    assert_eq!(
        plant.snapshot(),
        before,
        "a refused command changes nothing"
    );
    assert_eq!(
        errors[0],
        PlantError::OutOfRange {
            id: "SETP1".into(),
            value: 99.0,
            min: 10.0,
            max: 30.0
        }
    );
    assert!(matches!(
        errors[1],
        PlantError::WrongType { digital: false, .. }
    ));
    assert!(matches!(
        errors[2],
        PlantError::WrongType { digital: false, .. }
    ));
    assert!(matches!(
        errors[3],
        PlantError::WrongType { digital: true, .. }
    ));
    assert!(matches!(
        errors[4],
        PlantError::NotOperable {
            kind: PointKind::Ai,
            ..
        }
    ));
    assert!(matches!(
        errors[5],
        PlantError::NotOperable {
            kind: PointKind::Di,
            ..
        }
    ));
    assert!(matches!(
        errors[6],
        PlantError::NotOperable {
            kind: PointKind::Cnt,
            ..
        }
    ));
    assert!(matches!(errors[7], PlantError::UnknownPoint { .. }));
    for error in &errors {
        let (ja, en) = (error.message(Lang::Ja), error.message(Lang::En));
        assert!(!ja.is_ascii() && en.is_ascii() && ja != en, "{ja} / {en}");
    }
    assert_eq!(
        errors[0].message(Lang::Ja),
        "SETP1 に 99 は設定できません（10〜30）。"
    );
}

#[test]
fn training_inputs_force_di_and_ai_only() {
    let mut plant = plant();
    assert_eq!(
        plant.simulate("DOOR1", Value::Digital(true)),
        Ok((Value::Digital(false), Value::Digital(true)))
    );
    assert_eq!(
        plant.simulate("TEMP1", Value::Analog(35.0)),
        Ok((Value::Analog(24.0), Value::Analog(35.0)))
    );
    assert!(matches!(
        plant.simulate("TEMP1", Value::Analog(500.0)),
        Err(PlantError::OutOfRange { .. })
    ));
    assert!(matches!(
        plant.simulate("PUMP1", Value::Digital(true)),
        Err(PlantError::NotAnInput {
            kind: PointKind::Do,
            ..
        })
    ));
    assert!(matches!(
        plant.simulate("DOOR1", Value::Analog(1.0)),
        Err(PlantError::WrongType { digital: true, .. })
    ));
}

#[test]
fn the_fan_pulls_the_room_toward_the_set_point() {
    let mut plant = plant();
    plant.set("SETP1", Value::Analog(20.0)).unwrap();
    plant.set("FAN1", Value::Digital(true)).unwrap();
    // One time constant (10 minutes) covers 1 - 1/e of the way from 24 to 20.
    plant.tick(600.0, T0);
    let expected = 20.0 + 4.0 * (-1.0_f64).exp();
    assert!(
        close(analog(&plant, "TEMP1"), expected),
        "{}",
        analog(&plant, "TEMP1")
    );

    // Many small steps land where one big step does: the step is the exact solution.
    let mut fine = Plant::default_plant();
    fine.set("SETP1", Value::Analog(20.0)).unwrap();
    fine.set("FAN1", Value::Digital(true)).unwrap();
    for _ in 0..600 {
        fine.tick(1.0, T0);
    }
    assert!((analog(&fine, "TEMP1") - expected).abs() < 1e-6);

    // Fan off: the room drifts toward the warm ambient of 32 ℃, and never past it.
    plant.set("FAN1", Value::Digital(false)).unwrap();
    plant.tick(6.0 * 3600.0, T0);
    let temp = analog(&plant, "TEMP1");
    assert!(temp > 31.9 && temp <= 32.0, "{temp}");
}

#[test]
fn the_pump_fills_the_tank_and_use_drains_it() {
    let mut plant = plant();
    plant.tick(60.0, T0);
    assert!(close(analog(&plant, "LEVEL1"), 59.0));
    plant.set("PUMP1", Value::Digital(true)).unwrap();
    plant.tick(60.0, T0);
    assert!(close(analog(&plant, "LEVEL1"), 62.0));
    // The tank never overflows its 0–100 % range.
    plant.tick(3600.0, T0);
    assert!(close(analog(&plant, "LEVEL1"), 100.0));
    plant.set("PUMP1", Value::Digital(false)).unwrap();
    plant.tick(10.0 * 3600.0, T0);
    assert!(close(analog(&plant, "LEVEL1"), 0.0));
}

#[test]
fn outputs_drive_the_energy_meter() {
    let mut plant = plant();
    plant.tick(3600.0, T0);
    assert!(close(analog(&plant, "KWH1"), 0.1), "the base load alone");
    plant.set("PUMP1", Value::Digital(true)).unwrap();
    plant.set("LIGHT1", Value::Digital(true)).unwrap();
    plant.tick(1800.0, T0);
    assert!(close(analog(&plant, "KWH1"), 0.1 + (0.1 + 2.2 + 0.4) / 2.0));
    assert_eq!(plant.point("KWH1").unwrap().value_text(), "1.45 kWh");
}

#[test]
fn steps_that_are_not_time_change_nothing() {
    let mut plant = plant();
    let before = plant.snapshot();
    for dt in [0.0, -5.0, f64::NAN, f64::NEG_INFINITY] {
        assert_eq!(plant.tick(dt, T0), vec![]);
    }
    assert_eq!(plant.snapshot(), before);
    // A huge step is capped, and everything stays finite.
    plant.set("FAN1", Value::Digital(true)).unwrap();
    plant.tick(f64::INFINITY, T0);
    plant.tick(1e300, T0);
    for point in plant.points() {
        if let Value::Analog(x) = point.value {
            assert!(x.is_finite(), "{}", point.id);
        }
    }
}

#[test]
fn the_same_steps_give_the_same_plant() {
    let run = || {
        let mut plant = Plant::default_plant();
        let mut events = Vec::new();
        for n in 0..500u64 {
            if n.is_multiple_of(37) {
                let on = n.is_multiple_of(74);
                plant.set("FAN1", Value::Digital(on)).unwrap();
                plant.set("PUMP1", Value::Digital(!on)).unwrap();
            }
            events.extend(plant.tick(30.0, T0 + n * 30_000));
        }
        (plant.snapshot(), events)
    };
    assert_eq!(run(), run());
}

#[test]
fn a_high_alarm_is_raised_and_cleared_once_despite_hovering() {
    let mut plant = plant();
    let mut push = |x: f64, at: u64| {
        plant.simulate("TEMP1", Value::Analog(x)).unwrap();
        plant.evaluate_alarms(at)
    };
    assert_eq!(push(30.0, T0), vec![], "at the limit is not above it");
    let raised = push(30.2, T0 + 1000);
    assert_eq!(raised.len(), 1);
    let event = &raised[0];
    assert_eq!(
        (
            event.point.as_str(),
            event.name.as_str(),
            event.alarm,
            event.kind
        ),
        ("TEMP1", "室温", AlarmState::High, Raised)
    );
    assert_eq!(event.value, Value::Analog(30.2));
    assert_eq!(event.limit, Some(30.0));
    assert_eq!(event.at_unix_ms, T0 + 1000);
    assert_eq!(
        event.summary(Lang::Ja),
        "TEMP1 室温 上限警報 発生 30.2 ℃ (警報設定値 30.0 ℃)"
    );
    // Hovering around the limit, inside the 0.5 deadband: no mail storm.
    for (n, x) in [29.9, 30.1, 29.6, 30.4, 29.51].into_iter().enumerate() {
        assert_eq!(push(x, T0 + 2000 + n as u64), vec![], "{x}");
    }
    let cleared = push(29.5, T0 + 9000);
    assert_eq!(cleared.len(), 1);
    assert_eq!((cleared[0].kind, cleared[0].limit), (Cleared, Some(30.0)));
    assert_eq!(
        cleared[0].summary(Lang::Ja),
        "TEMP1 室温 上限警報 復旧 29.5 ℃ (警報設定値 30.0 ℃)"
    );
    assert_eq!(push(29.9, T0 + 10_000), vec![]);
}

#[test]
fn a_jump_past_both_limits_clears_one_alarm_and_raises_the_other() {
    let mut plant = plant();
    plant.simulate("TEMP1", Value::Analog(40.0)).unwrap();
    assert_eq!(plant.evaluate_alarms(T0).len(), 1);
    plant.simulate("TEMP1", Value::Analog(0.0)).unwrap();
    let events = plant.evaluate_alarms(T0 + 1);
    let summary: Vec<(AlarmState, AlarmEventKind, Option<f64>)> =
        events.iter().map(|e| (e.alarm, e.kind, e.limit)).collect();
    assert_eq!(
        summary,
        [
            (AlarmState::High, Cleared, Some(30.0)),
            (AlarmState::Low, Raised, Some(5.0))
        ]
    );
    assert_eq!(plant.point("TEMP1").unwrap().alarm, Some(AlarmState::Low));
}

#[test]
fn an_open_door_is_an_alarm_until_it_closes() {
    let mut plant = plant();
    plant.simulate("DOOR1", Value::Digital(true)).unwrap();
    let events = plant.tick(1.0, T0);
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].alarm, events[0].kind, events[0].limit),
        (AlarmState::Contact, Raised, None)
    );
    assert_eq!(events[0].summary(Lang::Ja), "DOOR1 扉 接点警報 発生 ON");
    assert_eq!(plant.active_alarms().len(), 1);
    assert_eq!(
        plant.tick(1.0, T0 + 1000),
        vec![],
        "still open: no second mail"
    );
    plant.simulate("DOOR1", Value::Digital(false)).unwrap();
    let events = plant.tick(1.0, T0 + 2000);
    assert_eq!((events[0].kind, events[0].at_unix_ms), (Cleared, T0 + 2000));
    assert!(plant.active_alarms().is_empty());
}

#[test]
fn the_tank_runs_low_at_the_tick_the_model_says() {
    let mut plant = plant();
    // 60 % draining 1 %/min reaches the 20 % limit after 40 minutes; below it after that.
    // (The room warms past its high limit meanwhile, with the fan off: other events.)
    let level_events = |events: Vec<AlarmEvent>| {
        events
            .into_iter()
            .filter(|e| e.point == "LEVEL1")
            .collect::<Vec<_>>()
    };
    let mut raised_at = None;
    for minute in 1..=45u64 {
        let events = level_events(plant.tick(60.0, T0 + minute * 60_000));
        if let Some(event) = events.first() {
            assert_eq!((event.alarm, event.kind), (AlarmState::Low, Raised));
            assert_eq!(raised_at, None, "raised once");
            raised_at = Some(minute);
        }
    }
    assert_eq!(raised_at, Some(41));
    // The pump brings it back; it clears only once 2 % (the deadband) above the limit.
    plant.set("PUMP1", Value::Digital(true)).unwrap();
    let mut cleared_level = None;
    for second in 1..=600u64 {
        if let Some(event) = level_events(plant.tick(1.0, T0 + second * 1000)).first() {
            assert_eq!(event.kind, Cleared);
            cleared_level = Some(analog(&plant, "LEVEL1"));
            break;
        }
    }
    let level = cleared_level.expect("cleared");
    assert!((22.0..22.1).contains(&level), "{level}");
}

#[test]
fn a_restart_keeps_values_and_known_alarms() {
    let mut plant = plant();
    plant.set("PUMP1", Value::Digital(true)).unwrap();
    plant.simulate("DOOR1", Value::Digital(true)).unwrap();
    assert_eq!(plant.evaluate_alarms(T0).len(), 1);
    let state = plant.snapshot();

    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(dir.path()).unwrap();
    store.save(STORE_KEY, &state).unwrap();
    let loaded: PlantState = store.load(STORE_KEY).unwrap().unwrap();
    assert_eq!(loaded, state);

    let mut again = Plant::default_plant();
    assert_eq!(again.restore(&loaded), Vec::<String>::new());
    assert_eq!(again.point("PUMP1").unwrap().value, Value::Digital(true));
    assert_eq!(
        again.evaluate_alarms(T0 + 1),
        vec![],
        "the door alarm was already mailed"
    );
    assert_eq!(again.active_alarms().len(), 1);
}

#[test]
fn restoring_an_older_state_lets_the_points_file_win() {
    let mut plant = plant();
    let mut state = plant.snapshot();
    state.values.insert("GONE1".into(), Value::Digital(true));
    state.values.insert("PUMP1".into(), Value::Analog(3.0));
    state.values.insert("SETP1".into(), Value::Analog(99.0));
    state.values.insert("TEMP1".into(), Value::Analog(f64::NAN));
    let mut notes = plant.restore(&state);
    notes.sort();
    assert_eq!(notes, ["GONE1", "PUMP1", "SETP1", "TEMP1"]);
    assert_eq!(plant.point("PUMP1").unwrap().value, Value::Digital(false));
    assert_eq!(plant.point("SETP1").unwrap().value, Value::Analog(30.0));
    assert_eq!(plant.point("TEMP1").unwrap().value, Value::Analog(24.0));
}

#[test]
fn command_mails_resolve_points_against_the_plant() {
    let plant = plant();
    let mail = parse_mail(
        "",
        "SET 給水ポンプ 入\nｓｅｔｐ１＝２５\nDOOR1?\nGET 無い点",
        &plant,
    );
    let results: Vec<_> = mail.commands.iter().map(|c| c.result.clone()).collect();
    assert_eq!(
        results[..3],
        [
            Ok(Command::Set {
                point: "PUMP1".into(),
                value: Value::Digital(true)
            }),
            Ok(Command::Set {
                point: "SETP1".into(),
                value: Value::Analog(25.0)
            }),
            Ok(Command::Get {
                point: "DOOR1".into()
            }),
        ]
    );
    assert!(results[3].is_err());
}

/// A minimal valid file, to which the bad cases add one mistake.
const BASE: &str = r#"
[[point]]
id = "PUMP1"
name = "給水ポンプ"
kind = "DO"

[[point]]
id = "TEMP1"
name = "室温"
kind = "AI"
low = 5
high = 30
"#;

#[test]
fn a_minimal_file_is_accepted_with_defaults() {
    let plant = Plant::from_toml(BASE).unwrap();
    let temp = plant.point("TEMP1").unwrap();
    assert_eq!(temp.value, Value::Analog(0.0));
    assert_eq!((temp.decimals, temp.unit.as_str()), (1, ""));
    assert!(plant.config().links.is_empty());
}

#[test]
fn bad_points_files_are_refused_with_line_and_reason() {
    let cases: &[(&str, usize, &str)] = &[
        // TOML syntax and shape, with the parser's position.
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"DO\"\ninitial = \n",
            5,
            "",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"DO\"\ncolour = \"red\"\n",
            5,
            "colour",
        ),
        ("[[point]]\nid = \"X1\"\nkind = \"DO\"\n", 1, "name"),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"DO\"\ninitial = [1]\n",
            5,
            "expected \"ON\", \"OFF\", a number or a point id",
        ),
        // Our own checks, naming the point.
        (
            "[[point]]\nid = \"PUMP1\"\nname = \"ポンプ\"\nkind = \"DO\"\n",
            1,
            "PUMP1",
        ),
        (
            "[[point]]\nid = \"pump1\"\nname = \"ポンプ\"\nkind = \"DO\"\n",
            1,
            "already used by point PUMP1 on line 2",
        ),
        (
            "[[point]]\nid = \"PUMP2\"\nname = \"給水ポンプ\"\nkind = \"DO\"\n",
            1,
            "already used",
        ),
        (
            "[[point]]\nid = \"PUMP2\"\nname = \"ｔｅｍｐ１\"\nkind = \"DO\"\n",
            1,
            "already used by point TEMP1",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"XO\"\n",
            1,
            "point X1: unknown kind \"XO\"",
        ),
        (
            "[[point]]\nid = \"1X\"\nname = \"x\"\nkind = \"DO\"\n",
            1,
            "point id \"1X\"",
        ),
        (
            "[[point]]\nid = \"HELP\"\nname = \"x\"\nkind = \"DO\"\n",
            1,
            "command word",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"一覧\"\nkind = \"DO\"\n",
            1,
            "command word",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"a b\"\nkind = \"DO\"\n",
            1,
            "spaces",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"状態灯\"\nkind = \"DO\"\n",
            1,
            "状態",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"AI\"\nlow = 30\nhigh = 5\n",
            1,
            "point X1: low (30) must be below high (5)",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"AI\"\nlow = 5\nhigh = 6\ndeadband = 2\n",
            1,
            "deadband",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"AI\"\nrange = [10, 0]\n",
            1,
            "range",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"AI\"\nhigh = 200\nrange = [0, 100]\n",
            1,
            "outside the range",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"AI\"\nlow = nan\n",
            1,
            "finite",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"AO\"\nmin = 0\n",
            1,
            "needs both min and max",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"AO\"\nmin = 5\nmax = 5\n",
            1,
            "min (5) must be below max (5)",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"AO\"\nmin = 0\nmax = 5\ninitial = 9\n",
            1,
            "initial (9) is outside",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"DO\"\nhigh = 3\n",
            1,
            "`high` does not apply to a DO",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"DO\"\ninitial = \"MAYBE\"\n",
            1,
            "initial must be \"ON\" or \"OFF\"",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"DI\"\nalarm_when = 2\n",
            1,
            "alarm_when",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"CNT\"\ninitial = \"ON\"\n",
            1,
            "initial must be a number",
        ),
        (
            "[[point]]\nid = \"X1\"\nname = \"x\"\nkind = \"CNT\"\ndecimals = 9\n",
            1,
            "decimals",
        ),
        // Links, naming the link.
        (
            "[[link]]\nkind = \"rate\"\npoint = \"LEVEL9\"\n",
            1,
            "link rate of LEVEL9: point: there is no point \"LEVEL9\"",
        ),
        (
            "[[link]]\nkind = \"rate\"\npoint = \"PUMP1\"\n",
            1,
            "PUMP1 is a DO, this needs AI",
        ),
        (
            "[[link]]\nkind = \"spin\"\npoint = \"TEMP1\"\n",
            1,
            "unknown kind \"spin\"",
        ),
        (
            "[[link]]\nkind = \"approach\"\npoint = \"TEMP1\"\nwhen = \"PUMP1\"\ntoward = 20\nminutes = 5\n",
            1,
            "needs `otherwise`",
        ),
        (
            "[[link]]\nkind = \"approach\"\npoint = \"TEMP1\"\nwhen = \"PUMP1\"\ntoward = 20\notherwise = 30\nminutes = 0\n",
            1,
            "minutes (0) must be above 0",
        ),
        (
            "[[link]]\nkind = \"approach\"\npoint = \"TEMP1\"\nwhen = \"TEMP1\"\ntoward = 20\notherwise = 30\nminutes = 5\n",
            1,
            "when: TEMP1 is a AI",
        ),
        (
            "[[link]]\nkind = \"rate\"\npoint = \"TEMP1\"\nminutes = 5\n",
            1,
            "`minutes` does not apply to a rate link",
        ),
        (
            "[[link]]\nkind = \"meter\"\npoint = \"TEMP1\"\n",
            1,
            "needs CNT",
        ),
    ];
    // The cases count lines from their own first line.
    let offset = BASE.matches('\n').count() + 1;
    for (extra, line, reason) in cases {
        let text = format!("{BASE}\n{extra}");
        let line = &(line + offset);
        let error = Plant::from_toml(&text).expect_err(extra);
        assert_eq!(error.line, Some(*line), "{extra:?}: {error}");
        assert!(error.reason.en.contains(reason), "{extra:?}: {error}");
        // Both languages, each naming the line.
        let shown = error.to_string();
        assert!(
            shown.starts_with(&format!("ポイントファイル {line} 行目: ")),
            "{shown}"
        );
        assert!(
            shown.contains(&format!("\npoints file, line {line}: ")),
            "{shown}"
        );
        assert_ne!(error.reason.ja, error.reason.en, "{extra:?}");
    }
    let error = Plant::from_toml("# nothing\n").unwrap_err();
    assert_eq!(
        error.to_string(),
        "ポイントファイル: [[point]] の表がありません\npoints file: there are no [[point]] tables"
    );
}
