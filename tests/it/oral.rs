//! An ИС-9 day on one box (issue 18 items 1–3, 5), in-process with the real stores and the
//! real binary for the CLI and the export: the queues built from the seating, turns started and
//! finished with their times, one participant absent and then late, one moved to another room's
//! queue, the expert's protocols entered by the expert's own account (a non-expert refused),
//! the signed bundle carrying the queue and the protocols, and the forms whole.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ppe::model::{ExamId, ParticipantId, PpeCode, RoomKind, Technology, WorkerRole};
use ppe::oral::ops::{self, ExamRequest, MoveRequest, OralError, ScoreRequest, Step, StepRequest};
use ppe::oral::{QueueError, TurnState};

use crate::common::{ppe as run, stderr, stdout};
use crate::formcheck::{assert_signatures, assert_whole, text_layout};
use crate::upload::{make_box, PPE};

const IS9: &str = "is-9";
const DATE: &str = "2027.02.14";

/// The sample plan's point 0101 with an ИС-9 exam: its six participants waiting in room 101,
/// rooms 102 (room_kind conducting) and 103 (the oral flag) conducting, two experts of Russian
/// (01) and a собеседник on duty that day, the ГЭК member W000002 too.
pub(crate) fn interview_box(dir: &Path) -> (std::path::PathBuf, Vec<String>) {
    let (config, _) = make_box(dir, "http://127.0.0.1:9", "00");
    let (mut plan, _) = ppe::plan::read_plan_file(&crate::common::fixture("plan-sample.json")).unwrap();
    let mut exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").unwrap().clone();
    exam.exam_id = IS9.into();
    exam.kind = ppe::model::ExamKind::Interview;
    exam.level = 9;
    exam.subject_code = "01".into();
    exam.subject_name = "Итоговое собеседование по русскому языку".into();
    exam.date = DATE.into();
    exam.start = "09:00".into();
    assert_eq!(exam.technology(), Technology::OralInterview, "ИС-9 is an interview by default");
    plan.exams.push(exam);
    for a in plan.auditoriums.iter_mut().filter(|a| a.ppe_code == PPE && a.auditorium == "102") {
        a.room_kind = Some(RoomKind::Conducting);
    }
    let people: Vec<String> =
        plan.registrations.iter().filter(|r| r.exam_id == "ege-02" && r.ppe_code == PPE).map(|r| r.participant_id.clone()).collect();
    for p in &people {
        plan.registrations.push(ppe::model::Registration { exam_id: IS9.into(), participant_id: p.clone(), ppe_code: PPE.into() });
    }
    let template = plan.workers[0].clone();
    for (id, role) in [("W900001", WorkerRole::Expert), ("W900002", WorkerRole::Expert), ("W900003", WorkerRole::Examiner)] {
        let mut w = template.clone();
        w.worker_id = id.into();
        w.roles = vec![role];
        w.specializations = vec!["01".into()];
        plan.workers.push(w);
    }
    for id in ["W900001", "W900002", "W900003", "W000002"] {
        plan.worker_assignments.push(ppe::model::WorkerAssignment { worker_id: id.into(), ppe_code: PPE.into(), date: DATE.into(), reserve: false });
    }
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let mut db = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let tx = db.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan.for_exam_point(PPE), "2027-02-01T00:00:00Z", "hub", "00").unwrap();
    let seats: Vec<ppe::model::SeatAssignment> = people
        .iter()
        .enumerate()
        .map(|(i, p)| ppe::model::SeatAssignment {
            exam_id: IS9.into(),
            participant_id: p.clone(),
            ppe_code: PPE.into(),
            auditorium: "101".into(),
            row: i as u16 / 3 + 1,
            column: i as u16 % 3 + 1,
            manual: false,
        })
        .collect();
    ppe::seating::store::replace_seating(&tx, IS9, PPE, &seats).unwrap();
    tx.commit().unwrap();
    let now = "2027-02-14T01:00:00Z";
    ppe::accounts::create_account(&mut db, "expert1", "W900001", WorkerRole::Expert, "пароль-эксперта", now).unwrap();
    ppe::accounts::create_account(&mut db, "gek1", "W000002", WorkerRole::GekMember, "пароль-члена-гэк", now).unwrap();
    (config, people)
}

/// 09:00 local at Tomsk (+7) plus `minutes`.
fn at(minutes: i64) -> String {
    (chrono::DateTime::parse_from_rfc3339("2027-02-14T02:00:00Z").unwrap() + chrono::Duration::minutes(minutes))
        .with_timezone(&chrono::Utc)
        .to_rfc3339()
}

#[test]
fn an_interview_day_queues_times_absences_moves_protocols_bundle_and_forms() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("box");
    let (config, _) = interview_box(&dir);
    let mut db = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let (exam, ppe_code) = (ExamId::new(IS9), PpeCode::new(PPE));

    // Seating places the six into the two conducting rooms' queues by the minutes they take:
    // P0000001's extra time (+30) weighs as two more turns.
    let turns = ops::build(&mut db, &ExamRequest { exam_id: &exam, ppe_code: &ppe_code, at: &at(-30), actor: "tech" }).unwrap();
    let room = |r: &str| turns.iter().filter(|t| t.auditorium == r).map(|t| t.participant_id.clone()).collect::<Vec<_>>();
    let (r103, r102) = (room("103"), room("102"));
    assert_eq!((r102.len(), r103.len()), (2, 4), "{turns:?}");
    assert_eq!(r102[0], "P0000001", "{turns:?}");
    let o = run(&["edge", "oral", "--config", config.to_str().unwrap(), "queue", "--exam", IS9]);
    assert!(o.status.success() && stdout(&o).contains("аудитория проведения 102"), "{}", stderr(&o));

    let step = |db: &mut ppe::store::Connection, who: &str, step: Step, minutes: i64| {
        let p = ParticipantId::new(who);
        ops::step(db, &StepRequest { exam_id: &exam, ppe_code: &ppe_code, participant_id: &p, step, at: &at(minutes), actor: "org" })
    };
    // Room 103: the first answers 09:00–09:15; nobody else starts meanwhile.
    step(&mut db, &r103[0], Step::Start, 0).unwrap();
    let busy = step(&mut db, &r103[1], Step::Start, 1).unwrap_err();
    assert!(matches!(busy, OralError::Queue(QueueError::RoomBusy { .. })), "{busy}");
    step(&mut db, &r103[0], Step::Finish, 15).unwrap();
    // The second does not come; the third answers; the second comes late, at the end.
    step(&mut db, &r103[1], Step::Absent, 16).unwrap();
    step(&mut db, &r103[2], Step::Start, 16).unwrap();
    step(&mut db, &r103[2], Step::Finish, 31).unwrap();
    let late = step(&mut db, &r103[1], Step::Late, 35).unwrap();
    assert!(late.late && late.state == TurnState::Waiting && late.position == 5, "{late:?}");
    step(&mut db, &r103[1], Step::Start, 36).unwrap();
    step(&mut db, &r103[1], Step::Finish, 52).unwrap();
    // Its last participant moves to room 102's queue with a reason; room 102's answer.
    let p = ParticipantId::new(&r103[3]);
    let moved = ops::move_to(
        &mut db,
        &MoveRequest { exam_id: &exam, ppe_code: &ppe_code, participant_id: &p, to_auditorium: "102", reason: "", at: &at(20), actor: "org" },
    );
    assert!(matches!(moved, Err(OralError::Queue(QueueError::NoReason))), "a move needs its reason");
    let moved = ops::move_to(
        &mut db,
        &MoveRequest {
            exam_id: &exam,
            ppe_code: &ppe_code,
            participant_id: &p,
            to_auditorium: "102",
            reason: "вызван к врачу, вернулся позже",
            at: &at(20),
            actor: "org",
        },
    )
    .unwrap();
    assert_eq!((moved.auditorium.as_str(), moved.moved_from.as_slice(), moved.position), ("102", ["103".to_string()].as_slice(), 3));
    step(&mut db, &r102[0], Step::Start, 0).unwrap();
    step(&mut db, &r102[0], Step::Finish, 45).unwrap();
    step(&mut db, &r102[1], Step::Start, 46).unwrap();
    step(&mut db, &r102[1], Step::Finish, 61).unwrap();
    step(&mut db, &r103[3], Step::Start, 62).unwrap();
    step(&mut db, &r103[3], Step::Finish, 77).unwrap();

    // The expert's protocol: only by an expert's account, after the answer, once.
    let full: BTreeMap<String, u8> = ppe::oral::CURRENT.criteria().map(|c| (c.code.to_string(), c.max)).collect();
    let mut weak = full.clone();
    for v in weak.values_mut() {
        *v = 0;
    }
    weak.insert("ИЧ".into(), 1);
    let score = |db: &mut ppe::store::Connection, login: &str, who: &str, points: &BTreeMap<String, u8>| {
        let p = ParticipantId::new(who);
        ops::score(db, &ScoreRequest { exam_id: &exam, ppe_code: &ppe_code, participant_id: &p, login, points, at: &at(70) })
    };
    let refused = score(&mut db, "gek1", &r103[0], &full).unwrap_err();
    assert!(matches!(refused, OralError::NotExpert(_)) && refused.to_string().contains("не эксперта"), "{refused}");
    let first = score(&mut db, "expert1", &r103[0], &full).unwrap();
    assert_eq!((first.score.total, first.score.passed, first.expert_worker_id.as_str()), (20, true, "W900001"));
    let second = score(&mut db, "expert1", &r103[2], &weak).unwrap();
    assert_eq!((second.score.total, second.score.result_ru()), (1, "незачёт"));
    assert!(matches!(score(&mut db, "expert1", &r103[0], &full), Err(OralError::AlreadyScored(_))), "one protocol per participant");
    let mut over = full.clone();
    over.insert("П1".into(), 3);
    assert!(score(&mut db, "expert1", &r103[1], &over).unwrap_err().to_string().contains("П1"), "a point above the maximum is named");
    let o = run(&["edge", "oral", "--config", config.to_str().unwrap(), "protocols", "--exam", IS9]);
    assert!(stdout(&o).contains("20 б.") && stdout(&o).contains("незачёт"), "{}", stdout(&o));

    // The audit log has every step by id, no names and no points.
    let actions: Vec<String> = {
        let mut st = db.prepare("SELECT action || ' ' || details FROM audit_log WHERE action LIKE 'oral.%' ORDER BY seq").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(actions.iter().filter(|a| a.starts_with("oral.scored")).count(), 2, "{actions:?}");
    assert!(actions.iter().any(|a| a.starts_with("oral.moved") && a.contains("\"from\":\"103\"")), "{actions:?}");

    // The signed bundle carries the queue with its times and the protocols.
    let usb = t.path().join("usb");
    let o = run(&["edge", "export", "--config", config.to_str().unwrap(), "--exam", IS9, "--to", usb.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let record: serde_json::Value = serde_json::from_slice(&std::fs::read(usb.join("files/records-oral.json")).unwrap()).unwrap();
    assert_eq!(record["technology"], "oral_interview");
    assert_eq!(record["protocols"].as_array().unwrap().len(), 2);
    assert_eq!(record["turns"].as_array().unwrap().len(), 6);
    assert!(record["turns"].as_array().unwrap().iter().any(|t| t["late"] == true && t["state"]["state"] == "done"));
    let m: ppe::upload::SignedManifest = serde_json::from_slice(&std::fs::read(usb.join("manifest.json")).unwrap()).unwrap();
    assert!(m.manifest.files.iter().any(|f| f.name == "records-oral.json"), "the record is in the signed manifest");

    // The forms: per conducting room the ведомость and the expert's protocol, whole, signable,
    // each with its sheet code.
    let plan = ppe::plan::store::load_plan(&db).unwrap();
    let exam_row = plan.exams.iter().find(|e| e.exam_id == IS9).unwrap();
    let seats = ppe::seating::store::seat_assignments_for_exam(&db, IS9).unwrap();
    let needs = ppe::printing::inputs::oral_sheet_needs(&plan, exam_row, PPE, &seats, ppe::printing::PrintWhat::Statements, None);
    assert_eq!(needs.len(), 4, "ИС-02 and ИС-03 for each of 102 and 103: {needs:?}");
    let mut next = 100u32;
    let numbers: HashMap<String, Vec<u32>> = needs
        .iter()
        .map(|(holder, kinds)| {
            let n = (next..next + kinds.len() as u32).collect();
            next += kinds.len() as u32;
            (holder.clone(), n)
        })
        .collect();
    let day = ppe::printing::inputs::DayRecord { oral: ppe::printing::inputs::OralDay::load(&db, IS9, PPE).unwrap(), ..Default::default() };
    let key = ppe::sheet_code::sheet_key(b"test");
    let context =
        ppe::printing::inputs::PrintContext { plan: &plan, exam: exam_row, ppe_code: PPE, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let docs = context.oral_documents(None).unwrap();
    let name_of = |id: &str| plan.participants.iter().find(|p| p.participant_id == id).unwrap().full_name();
    let text_of = |file: &str| text_layout(&docs.iter().find(|(d, _)| d.file_name == file).unwrap_or_else(|| panic!("no {file}")).0.bytes);
    let conduct = text_of("is-02-103.pdf");
    assert_whole(
        &conduct,
        &[
            "Ведомость учёта проведения итогового собеседования в аудитории 103",
            &name_of(&r103[0]),
            &name_of(&r103[1]),
            "09:00",
            "09:15",
            "опоздал",
            "Экзаменатор-собеседник",
        ],
    );
    assert_whole(&text_of("is-02-102.pdf"), &[&name_of(&r103[3]), "переведён из ауд. 103", "10:02", "10:17"]);
    let protocol = text_of("is-03-103.pdf");
    assert_whole(&protocol, &["Протокол эксперта", &name_of(&r103[0]), "зачёт", "незачёт", "ИЧ", "РО", "Эксперт"]);
    for (doc, printed) in &docs {
        assert_signatures(&doc.bytes, 1);
        assert!(printed.numbers.len() as u32 == doc.pages && printed.required, "{} records the pages it took", doc.file_name);
        assert!(
            text_layout(&doc.bytes).contains(&format!("{:07}", printed.numbers[0]))
                || text_layout(&doc.bytes).contains(&printed.numbers[0].to_string()),
            "{}: its sheet number is printed",
            doc.file_name
        );
    }

    // The same rooms as a «Говорение» day: 101 the preparation room, 102 and 103 recording
    // rooms, the point's summary.
    let mut speaking = exam_row.clone();
    speaking.technology = Some(Technology::OralRecorded);
    let needs = ppe::printing::inputs::oral_sheet_needs(&plan, &speaking, PPE, &seats, ppe::printing::PrintWhat::All, None);
    let numbers: HashMap<String, Vec<u32>> =
        needs.iter().enumerate().map(|(i, (h, k))| (h.clone(), (0..k.len() as u32).map(|n| 500 + 20 * i as u32 + n).collect())).collect();
    let context = ppe::printing::inputs::PrintContext { exam: &speaking, numbers: &numbers, ..context };
    let docs = context.oral_documents(None).unwrap();
    let files: Vec<&str> = docs.iter().map(|(d, _)| d.file_name.as_str()).collect();
    assert_eq!(files, ["ppe-05-03-u-101.pdf", "ppe-05-04-u-102.pdf", "ppe-05-04-u-103.pdf", "ppe-13-03-u.pdf"]);
    let text = |i: usize| text_layout(&docs[i].0.bytes);
    assert_whole(&text(0), &["Протокол проведения экзамена в аудитории подготовки 101", &name_of(&r102[0]), "Организатор в аудитории"]);
    assert_whole(&text(1), &["Протокол проведения экзамена в аудитории проведения 102", "10:17", "Технический специалист"]);
    assert_whole(&text(3), &["Сводная ведомость", "аудитория подготовки", "Руководитель ППЭ", "Член ГЭК"]);
    for (doc, _) in &docs {
        assert_signatures(&doc.bytes, 2);
    }
}
