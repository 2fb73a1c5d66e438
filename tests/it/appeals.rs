//! Appeals about the procedure filed at the point (ППЭ-02) and their review (ППЭ-03), through
//! the real binary: who may file and sign, once only, and the record the bundle carries.

use std::path::Path;

use crate::common::{ppe, stderr, stdout};
use crate::upload::{make_box, EXAM, PPE};

/// A box holding the sample plan's slice for 0101 and a seating of ege-02 in room 101.
pub(crate) fn seated_box(dir: &Path) -> std::path::PathBuf {
    let (config, _) = make_box(dir, "http://127.0.0.1:9", "00");
    let (plan, _) = ppe::plan::read_plan_file(&crate::common::fixture("plan-sample.json")).unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let mut db = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let tx = db.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan.for_exam_point(PPE), "2027-05-20T00:00:00Z", "hub", "00").unwrap();
    let seats: Vec<ppe::model::SeatAssignment> = plan
        .registrations
        .iter()
        .filter(|r| r.exam_id == EXAM && r.ppe_code == PPE)
        .take(3)
        .enumerate()
        .map(|(i, r)| ppe::model::SeatAssignment {
            exam_id: EXAM.into(),
            participant_id: r.participant_id.clone(),
            ppe_code: PPE.into(),
            auditorium: "101".into(),
            row: 1,
            column: i as u16 * 2 + 1,
            manual: false,
        })
        .collect();
    ppe::seating::store::replace_seating(&tx, EXAM, PPE, &seats).unwrap();
    tx.commit().unwrap();
    config
}

pub(crate) fn participants(n: usize) -> Vec<String> {
    let (plan, _) = ppe::plan::read_plan_file(&crate::common::fixture("plan-sample.json")).unwrap();
    plan.registrations.iter().filter(|r| r.exam_id == EXAM && r.ppe_code == PPE).take(n).map(|r| r.participant_id.clone()).collect()
}

fn appeal_rows(dir: &Path) -> i64 {
    let db = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    db.query_row("SELECT COUNT(*) FROM appeal", [], |r| r.get(0)).unwrap()
}

#[test]
fn an_appeal_is_filed_by_a_participant_who_sat_taken_and_reviewed_by_the_points_gek_member_and_travels_in_the_bundle() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("box");
    let config = seated_box(&dir);
    let c = config.to_str().unwrap();
    let p = participants(3);
    let mark = |who: &str, event: &str| {
        let o = ppe(&["edge", "attendance", "--config", c, "--exam", EXAM, "--participant", who, "--event", event]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    mark(&p[0], "present");
    mark(&p[1], "absent");
    let file = |who: &str, gek: &str, text: &str| ppe(&["edge", "appeal", "--config", c, "file", "--exam", EXAM, "--participant", who, "--gek", gek, "--text", text]);

    // Refused, each with its reason, and nothing stored.
    let o = file(&p[1], "W000002", "шум в аудитории");
    assert!(!o.status.success() && stderr(&o).contains("сдававший экзамен"), "an absent participant: {}", stderr(&o));
    let o = file(&p[0], "W000001", "шум в аудитории");
    assert!(!o.status.success() && stderr(&o).contains("член ГЭК"), "the head is not a ГЭК member: {}", stderr(&o));
    let o = file(&p[0], "W999999", "шум в аудитории");
    assert!(!o.status.success() && stderr(&o).contains("W999999"), "{}", stderr(&o));
    let o = file(&p[0], "W000002", "   ");
    assert!(!o.status.success() && stderr(&o).contains("суть"), "{}", stderr(&o));
    let o = file("P9999999", "W000002", "шум");
    assert!(!o.status.success() && stderr(&o).contains("не рассажен"), "{}", stderr(&o));
    assert_eq!(appeal_rows(&dir), 0);

    // Filed by the present participant, taken by the point's ГЭК member.
    let o = file(&p[0], "W000002", "организатор разговаривал по телефону во время экзамена");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("апелляция № 1 принята"), "{}", stdout(&o));

    let review = |gek: &str, findings: &str, upheld: bool| {
        let mut args = vec!["edge", "appeal", "--config", c, "review", "--appeal", "1", "--gek", gek, "--findings", findings];
        if upheld {
            args.push("--upheld");
        }
        ppe(&args)
    };
    let o = review("W000004", "проверено", false);
    assert!(!o.status.success() && stderr(&o).contains("член ГЭК"), "a technical specialist may not review: {}", stderr(&o));
    let o = review("W000003", "", false);
    assert!(!o.status.success() && stderr(&o).contains("результаты проверки"), "{}", stderr(&o));
    let o = review("W000003", "опрошены организаторы в аудитории, просмотрена видеозапись", true);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("факты подтвердились"), "{}", stdout(&o));
    let o = review("W000003", "ещё раз", false);
    assert!(!o.status.success() && stderr(&o).contains("уже рассмотрена"), "reviewed once: {}", stderr(&o));

    let o = ppe(&["edge", "appeal", "--config", c, "list", "--exam", EXAM]);
    assert!(stdout(&o).contains("№ 1") && stdout(&o).contains("подтвердились"), "{}", stdout(&o));

    // The audit log has both steps, without the appeal's words.
    let db = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let details: Vec<String> = {
        let mut st = db.prepare("SELECT action || ' ' || details FROM audit_log WHERE action LIKE 'appeal.%' ORDER BY seq").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(details.iter().all(|d| !d.contains("телефону")), "the appeal's text reached the audit log: {details:?}");

    // The bundle carries it for РЦОИ.
    let usb = t.path().join("usb");
    let o = ppe(&["edge", "export", "--config", c, "--exam", EXAM, "--to", usb.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let record: serde_json::Value = serde_json::from_slice(&std::fs::read(usb.join("files/records-ppe-02-03.json")).unwrap()).unwrap();
    let a = &record["appeals"][0];
    assert_eq!(a["participant_id"], serde_json::json!(p[0]));
    assert_eq!(a["gek_worker_id"], "W000002");
    assert_eq!(a["review"]["gek_worker_id"], "W000003");
    assert_eq!(a["review"]["upheld"], true);
    let m: ppe::upload::SignedManifest = serde_json::from_slice(&std::fs::read(usb.join("manifest.json")).unwrap()).unwrap();
    assert!(m.manifest.files.iter().any(|f| f.name == "records-ppe-02-03.json"), "the record is in the signed manifest");
}
