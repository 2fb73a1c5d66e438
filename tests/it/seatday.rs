//! The point's day through the real binary: two ЕГЭ on one date at one point overlap, so
//! `ppe edge seat` puts them in disjoint auditoriums and refuses a move into the other's room;
//! a participant without допуск к ГИА is neither seated nor on any printed list.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// A box folder with the demo region's first point (two overlapping ЕГЭ on one date) and one
/// participant of the first ЕГЭ without допуск, renamed so a list would show them.
fn make_box(dir: &Path) -> (PathBuf, ppe::model::Participant) {
    let mut plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: 120, ..Default::default() });
    let ppe_code = plan.exam_points[0].ppe_code.clone();
    let first = plan.registrations.iter().find(|r| r.exam_id == ppe::demo::generate::EGE_EXAM_ID).unwrap().participant_id.clone();
    let barred = plan.participants.iter_mut().find(|p| p.participant_id == first).unwrap();
    barred.admitted = false;
    barred.surname = "Недопущенова".into();
    barred.doc_number = "999999".into();
    let barred = barred.clone();
    std::fs::write(
        dir.join("ppe.toml"),
        format!(
            "ppe_code = \"{ppe_code}\"\nstate_dir = \"state\"\nrun_dir = \"run\"\n\n[hub]\nurl = \"https://127.0.0.1:1\"\nca_file = \"ca.pem\"\nsigning_public_key = \"00\"\n\n[keys]\nsigning_key_file = \"keys/signing.pk8\"\n"
        ),
    )
    .unwrap();
    ppe::keys::write_secret(&dir.join("keys/signing.pk8"), &ppe::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let mut conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan.for_exam_point(&ppe_code), "t", "test", "t").unwrap();
    tx.commit().unwrap();
    // РЦОИ's seating seeds of both exams, as the box holds them after fetching.
    for exam in [ppe::demo::generate::EGE_EXAM_ID, ppe::demo::generate::EGE_BASE_EXAM_ID] {
        plant_seed(&mut conn, exam, &ppe_code, ppe::distribution::Purpose::Seating, 20270527);
    }
    (dir.join("ppe.toml"), barred)
}

fn rooms_of(dir: &Path, exam: &str) -> BTreeSet<String> {
    let conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    ppe::seating::store::seat_assignments_for_exam(&conn, exam).unwrap().into_iter().map(|s| s.auditorium).collect()
}

#[test]
fn two_overlapping_exams_get_disjoint_rooms_and_a_move_into_the_others_room_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = make_box(dir.path());
    let config = config.to_str().unwrap();
    for exam in ["ege-02", "ege-22"] {
        let o = ppe(&["edge", "seat", "--config", config, "--exam", exam]);
        assert!(o.status.success(), "{exam}: {}\n{}", stdout(&o), stderr(&o));
    }
    let (a, b) = (rooms_of(dir.path(), "ege-02"), rooms_of(dir.path(), "ege-22"));
    assert!(!a.is_empty() && !b.is_empty(), "{a:?} {b:?}");
    assert!(a.is_disjoint(&b), "overlapping exams share auditoriums: {a:?} {b:?}");
    // Re-seating the first exam (from the same seed: its input changed, the second exam's rooms
    // are taken now, and nothing is printed yet) keeps clear of the second's rooms.
    let o = ppe(&["edge", "seat", "--config", config, "--exam", "ege-02"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(rooms_of(dir.path(), "ege-02").is_disjoint(&b));
    // A move of a participant of the second exam into a room of the first is refused, by name.
    let conn = ppe::store::open(&dir.path().join("state/ppe.db")).unwrap();
    let someone = ppe::seating::store::seat_assignments_for_exam(&conn, "ege-22").unwrap()[0].participant_id.clone();
    let taken = rooms_of(dir.path(), "ege-02").into_iter().next().unwrap();
    let o = ppe(&["edge", "seat", "--config", config, "--exam", "ege-22", "--move", &someone, "--to", &taken, "--reason", "просьба участника"]);
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(stderr(&o).contains(&format!("аудитория {taken} в это время занята экзаменом ege-02")), "{}", stderr(&o));
}

#[test]
fn a_participant_without_admission_is_neither_seated_nor_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (config, barred) = make_box(dir.path());
    let config = config.to_str().unwrap();
    let o = ppe(&["edge", "seat", "--config", config, "--exam", "ege-02"]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let conn = ppe::store::open(&dir.path().join("state/ppe.db")).unwrap();
    let seats = ppe::seating::store::seat_assignments_for_exam(&conn, "ege-02").unwrap();
    assert!(!seats.is_empty());
    assert!(seats.iter().all(|s| s.participant_id != barred.participant_id), "a participant without допуск was seated");
    // A late addition of them is refused with the reason.
    let o = ppe(&["edge", "seat", "--config", config, "--exam", "ege-02", "--add", &barred.participant_id, "--reason", "изменение плана"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("не допущен к ГИА"), "{}", stderr(&o));
    // Every printed list and kit of the exam: their name and document appear nowhere.
    let out = dir.path().join("out");
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--what", "all", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let mut pdfs = 0;
    let mut someone_listed = false;
    let seated = ppe::plan::store::load_plan(&conn).unwrap().participants.into_iter().find(|p| p.participant_id == seats[0].participant_id).unwrap();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pdf") {
            pdfs += 1;
            let text = String::from_utf8_lossy(&Command::new("pdftotext").arg(&path).arg("-").output().unwrap().stdout).to_string();
            assert!(!text.contains(&barred.surname) && !text.contains(&barred.doc_number), "{} lists the participant without допуск", path.display());
            someone_listed |= text.contains(&seated.surname);
        }
    }
    assert!(pdfs > 0 && someone_listed, "the lists were printed and show the seated ({pdfs} files)");
    // Attendance counts only the admitted as planned.
    let numbers = ppe::day::gather_box_numbers(&conn, "ege-02", &seats[0].ppe_code).unwrap();
    assert_eq!(numbers.attendance.planned as usize, seats.len());
}
