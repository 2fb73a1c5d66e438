//! The roster through the real binary (`ppe edge roster`): the demo region meets every rule at
//! every point and exam with one post per worker per day; a ГИА-9 exam refuses the teachers of
//! its participants (and a ТОМ point is exempt); the organizers' order is drawn from the seed
//! recorded with the seating: the same plan and seed give the same roster, another seed
//! another one.

use std::path::{Path, PathBuf};

use ppe::model::{Plan, PointType, WorkerRole};

use crate::common::*;

/// A box of exam point `ppe_code` holding `plan`'s part for it, each of its exams seated (with
/// `seating_seed`, recorded as a seating run) and holding РЦОИ's organizers' seed (the same
/// number); returns its ppe.toml.
fn seated_box(dir: &Path, plan: &Plan, ppe_code: &str, seating_seed: u64) -> PathBuf {
    std::fs::write(
        dir.join("ppe.toml"),
        format!("ppe_code = \"{ppe_code}\"\nstate_dir = \"state\"\nrun_dir = \"run\"\n[hub]\nurl = \"https://127.0.0.1:1\"\nca_file = \"ca.pem\"\nsigning_public_key = \"00\"\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let mut conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let here = plan.for_exam_point(ppe_code);
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &here, "2027-05-20T00:00:00Z", "test", "t").unwrap();
    tx.commit().unwrap();
    for exam in ppe::day::exams_here(&here, ppe_code) {
        ppe::seating::ops::run(
            &mut conn,
            "2027-05-26T03:00:00Z",
            "test",
            &exam.exam_id,
            ppe_code,
            seating_seed,
            ppe::seating::SeatingRules::default(),
        )
        .unwrap();
        plant_organizers_seed(&mut conn, &exam.exam_id, ppe_code, seating_seed);
    }
    dir.join("ppe.toml")
}

fn roster(config: &Path, exam: &str) -> std::process::Output {
    ppe(&["edge", "roster", "--config", config.to_str().unwrap(), "--exam", exam])
}

fn db(config: &Path) -> ppe::store::Connection {
    ppe::store::open(&config.parent().unwrap().join("state/ppe.db")).unwrap()
}

#[test]
fn the_demo_region_meets_every_roster_rule_at_every_point() {
    let plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams::default());
    let mut checked = 0;
    for point in &plan.exam_points {
        let dir = tempfile::tempdir().unwrap();
        let config = seated_box(dir.path(), &plan, &point.ppe_code, 1);
        let exams = ppe::day::exams_here(&plan.for_exam_point(&point.ppe_code), &point.ppe_code);
        let mut by_date: std::collections::BTreeMap<String, Vec<ppe::roster::Roster>> = Default::default();
        for exam in &exams {
            let o = roster(&config, &exam.exam_id);
            assert!(o.status.success(), "{} {}: {}\n{}", point.ppe_code, exam.exam_id, stdout(&o), stderr(&o));
            let run = ppe::roster::store::roster_run_latest(&db(&config), &exam.exam_id, &point.ppe_code).unwrap().unwrap();
            assert_eq!(run.shortfalls, Vec::<String>::new(), "{} {}", point.ppe_code, exam.exam_id);
            let entries = ppe::roster::store::roster_get(&db(&config), &exam.exam_id, &point.ppe_code).unwrap();
            assert!(entries.iter().any(|e| e.post == ppe::roster::Post::Medical), "a medical worker on site");
            let stored = ppe::roster::Roster {
                exam_id: exam.exam_id.clone(),
                ppe_code: point.ppe_code.clone(),
                seed: run.seed,
                entries,
                reserve: vec![],
                shortfalls: vec![],
            };
            by_date.entry(exam.date.clone()).or_default().push(stored);
            checked += 1;
        }
        for (date, rosters) in &by_date {
            assert_eq!(ppe::roster::day_double_bookings(rosters), vec![], "{} {date}: one post per worker per day", point.ppe_code);
        }
    }
    assert!(checked >= 2 * plan.exam_points.len() - 1, "{checked} rosters");
}

#[test]
fn a_gia9_exam_refuses_the_teachers_of_its_participants_unless_the_point_is_exempt() {
    let mut plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: 80, ..Default::default() });
    let code = plan.exam_points[0].ppe_code.clone();
    let oge = plan.exams.iter().find(|e| e.level == 9).unwrap().exam_id.clone();
    let sitting = plan.registrations.iter().find(|r| r.exam_id == oge).unwrap().participant_id.clone();
    let school = plan.participants.iter().find(|p| p.participant_id == sitting).unwrap().school_code.clone();
    for w in plan.workers.iter_mut().filter(|w| w.roles.contains(&WorkerRole::OrganizerInRoom)) {
        w.workplace_school_code = school.clone();
    }
    let dir = tempfile::tempdir().unwrap();
    let config = seated_box(dir.path(), &plan, &code, 1);
    let o = roster(&config, &oge);
    assert!(!o.status.success(), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("не выполнено правило: аудитория") && err.contains("допустимых по правилам нашлось 0"), "{err}");
    let run = ppe::roster::store::roster_run_latest(&db(&config), &oge, &code).unwrap().unwrap();
    assert!(!run.shortfalls.is_empty());
    let in_rooms = ppe::roster::store::roster_get(&db(&config), &oge, &code).unwrap();
    assert!(in_rooms.iter().all(|e| !matches!(e.post, ppe::roster::Post::InRoom { .. })), "no teacher of theirs in a room");
    // The same people at a remote (ТОМ) point: the rule does not apply there.
    plan.exam_points[0].point_type = PointType::Tom;
    let remote = tempfile::tempdir().unwrap();
    let config = seated_box(remote.path(), &plan, &code, 1);
    let o = roster(&config, &oge);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    // And a region that lists the school as exempt in [roster] of ppe.toml.
    plan.exam_points[0].point_type = PointType::Ordinary;
    let exempt = tempfile::tempdir().unwrap();
    let config = seated_box(exempt.path(), &plan, &code, 1);
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}[roster]\nteacher_rule_exempt_schools = [\"{school}\"]\n")).unwrap();
    let o = roster(&config, &oge);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
}

#[test]
fn without_the_organizers_seed_from_rcoi_no_roster_is_drawn() {
    let plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: 60, ..Default::default() });
    let code = plan.exam_points[0].ppe_code.clone();
    let dir = tempfile::tempdir().unwrap();
    let config = seated_box(dir.path(), &plan, &code, 5);
    // The box has its seating but not (yet) РЦОИ's morning seed, and the hub is unreachable.
    db(&config).execute("DELETE FROM released_seed WHERE purpose = 'organizers'", []).unwrap();
    let o = roster(&config, "ege-02");
    assert!(!o.status.success(), "a roster without РЦОИ's seed: {}", stdout(&o));
    assert!(stderr(&o).contains("зерно распределения организаторов") && stderr(&o).contains("ещё не получено от РЦОИ"), "{}", stderr(&o));
    assert!(ppe::roster::store::roster_get(&db(&config), "ege-02", &code).unwrap().is_empty(), "nothing stored");
}

#[test]
fn the_same_plan_and_seed_give_the_same_roster_and_another_seed_another() {
    let plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: 120, ..Default::default() });
    let code = plan.exam_points[0].ppe_code.clone();
    let exam = "ege-02";
    let assign = |seating_seed: u64| {
        let dir = tempfile::tempdir().unwrap();
        let config = seated_box(dir.path(), &plan, &code, seating_seed);
        let o = roster(&config, exam);
        assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
        let seed = seating_seed;
        assert!(stdout(&o).contains(&format!("зерно распределения организаторов: {seed}")), "{}", stdout(&o));
        let conn = db(&config);
        let audit = ppe::audit::store::all(&conn).unwrap().into_iter().find(|e| e.action == "roster.assign").expect("the assignment is audited");
        assert_eq!(audit.details["seed"], seed.to_string(), "the seed is in the audit entry");
        let mut rooms: Vec<(String, String)> = ppe::roster::store::roster_get(&conn, exam, &code)
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.post {
                ppe::roster::Post::InRoom { auditorium, .. } => Some((auditorium, e.worker_id)),
                _ => None,
            })
            .collect();
        rooms.sort();
        rooms
    };
    let first = assign(1);
    assert!(first.len() >= 4, "{first:?}");
    assert_eq!(first, assign(1), "same plan and seed, same roster");
    assert_ne!(first, assign(2), "another seed, another roster");
    // Nobody can tell from the plan who gets which room: not the order of worker ids.
    let mut by_id: Vec<String> = first.iter().map(|(_, w)| w.clone()).collect();
    by_id.sort();
    assert_ne!(first.iter().map(|(_, w)| w.clone()).collect::<Vec<_>>(), by_id);
}
