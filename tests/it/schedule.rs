//! One schedule on both sides: a hub imports a region whose points sit in two time zones, one
//! point with no ОВЗ participant and one with a participant with extra time; `ppe hub status`
//! (the dashboard's rows) and `ppe edge status` of each point's box (its slice of the plan, as
//! the hub serves it) give the same upload deadline, and the point without ОВЗ gets the
//! planned end, not the extended one.

use std::path::{Path, PathBuf};

use crate::common::{init_hub, ppe, stderr, stdout};

const EXAM: &str = "ege-02";
const NOW: &str = "2027-05-27T05:00:00Z";
/// A second exam on the same day, shorter.
const SECOND: &str = "oge-07";

/// The box's config and state, holding the slice of the plan the hub serves it.
fn box_with_slice(dir: &Path, hub_db: &Path, ppe_code: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let config = dir.join("ppe.toml");
    let text = format!(
        "ppe_code = \"{ppe_code}\"\nstate_dir = \"state\"\nrun_dir = \"run\"\n[hub]\nurl = \"https://rcoi.example:8443\"\nca_file = \"keys/ca.crt\"\nsigning_public_key = \"{}\"\n",
        "ab".repeat(32)
    );
    std::fs::write(&config, text).unwrap();
    // What `GET /v1/plan` answers this box: the hub's stored plan, this point's part.
    let served = ppe::plan::store::load_plan(&ppe::store::open(hub_db).unwrap()).unwrap().for_exam_point(ppe_code);
    let ctx = ppe::context::EdgeContext::open(&config).unwrap();
    let mut conn = ctx.db().unwrap();
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &served, "2027-05-20T00:00:00Z", "hub", "00").unwrap();
    tx.commit().unwrap();
    config
}

fn box_deadline(config: &Path) -> String {
    let o = ppe(&["edge", "--config", config.to_str().unwrap(), "status", "--exam", EXAM, "--json", "--now", NOW]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    v["exams"][0]["upload_deadline"].as_str().unwrap_or_else(|| panic!("no deadline: {v}")).to_string()
}

#[test]
fn a_box_shows_the_deadline_the_hub_judges_at_points_with_and_without_ovz_in_two_time_zones() {
    let dir = tempfile::tempdir().unwrap();
    let config = init_hub(dir.path());
    let mut plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 2, participants: 120, ..Default::default() });
    let (tomsk, moscow) = (plan.exam_points[0].ppe_code.clone(), plan.exam_points[1].ppe_code.clone());
    plan.exam_points[0].utc_offset_min = Some(420);
    plan.exam_points[1].utc_offset_min = Some(180);
    let at = |code: &str| -> Vec<String> {
        plan.registrations.iter().filter(|r| r.exam_id == EXAM && r.ppe_code == code).map(|r| r.participant_id.clone()).collect()
    };
    let (at_tomsk, at_moscow) = (at(&tomsk), at(&moscow));
    assert!(!at_tomsk.is_empty() && !at_moscow.is_empty());
    for p in &mut plan.participants {
        // No ОВЗ at the Tomsk point; one participant with extra time (only) in Moscow.
        p.conditions.extra_time = false;
        if p.participant_id == at_moscow[0] {
            p.conditions = ppe::model::SpecialConditions { extra_time: true, ..Default::default() };
            p.health = ppe::model::HealthCategory::Ovz;
        }
        if at_tomsk.contains(&p.participant_id) {
            p.conditions = Default::default();
            p.health = Default::default();
        }
    }
    // A second, shorter exam the same day at the Tomsk point (three of its ОГЭ participants).
    let mut second = plan.exams.iter().find(|e| e.exam_id == "oge-01").unwrap().clone();
    second.exam_id = SECOND.into();
    second.subject_code = "07".into();
    second.subject_name = "История".into();
    second.date = plan.exams.iter().find(|e| e.exam_id == EXAM).unwrap().date.clone();
    second.duration_min = 180;
    plan.exams.push(second);
    let oge_here: Vec<String> =
        plan.registrations.iter().filter(|r| r.exam_id == "oge-01" && r.ppe_code == tomsk).take(3).map(|r| r.participant_id.clone()).collect();
    assert_eq!(oge_here.len(), 3);
    for id in oge_here {
        plan.registrations.push(ppe::model::Registration { exam_id: SECOND.into(), participant_id: id, ppe_code: tomsk.clone() });
    }
    let file = dir.path().join("plan.json");
    std::fs::write(&file, ppe::plan::json::write(&plan)).unwrap();
    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "import-plan", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "status", "--exam", EXAM, "--json", "--now", NOW]);
    assert!(o.status.success(), "{}", stderr(&o));
    let hub: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let hub_deadline = |code: &str| {
        hub["rows"].as_array().unwrap().iter().find(|r| r["ppe_code"] == code).unwrap_or_else(|| panic!("no row of {code}: {hub}"))["deadline"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let hub_db = config.parent().unwrap().join("state/hub.db");
    let tomsk_box = box_with_slice(&dir.path().join("box-tomsk"), &hub_db, &tomsk);
    let moscow_box = box_with_slice(&dir.path().join("box-moscow"), &hub_db, &moscow);

    // 10:00 at UTC+7 is 03:00Z; 235 min, no extra time, upload within 60 min of the end.
    assert_eq!(hub_deadline(&tomsk), "2027-05-27T07:55:00Z", "the hub judges the planned end where nobody has extra time");
    assert_eq!(box_deadline(&tomsk_box), hub_deadline(&tomsk), "the box without ОВЗ shows the hub's deadline, not one 90 min later");
    // 10:00 at UTC+3 is 07:00Z; 235 + 90 min for the one participant with extra time, + 60.
    assert_eq!(hub_deadline(&moscow), "2027-05-27T13:25:00Z", "the Moscow point by its own clock, extended");
    assert_eq!(box_deadline(&moscow_box), hub_deadline(&moscow));

    // Two exams of one day at one point: each its own deadline, on the box as at the hub.
    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "status", "--exam", SECOND, "--json", "--now", NOW]);
    assert!(o.status.success(), "{}", stderr(&o));
    let hub_second: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let row = hub_second["rows"].as_array().unwrap().iter().find(|r| r["ppe_code"] == tomsk.as_str()).unwrap();
    assert_eq!(row["deadline"], "2027-05-27T07:00:00Z", "10:00 UTC+7, 180 min, + 60");
    let o = ppe(&["edge", "--config", tomsk_box.to_str().unwrap(), "status", "--json", "--now", NOW]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let deadlines: Vec<(String, String)> = v["exams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["exam_id"].as_str().unwrap().to_string(), e["upload_deadline"].as_str().unwrap().to_string()))
        .collect();
    assert!(deadlines.contains(&(SECOND.to_string(), "2027-05-27T07:00:00Z".to_string())), "{deadlines:?}");
    assert!(deadlines.contains(&(EXAM.to_string(), "2027-05-27T07:55:00Z".to_string())), "{deadlines:?}");
}
