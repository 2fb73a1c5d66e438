//! Tests of the exam point's forms' inputs: holders of the appeal forms, the medical journal's rows.

use super::*;
use crate::demo::print_fixtures::{demo_day, demo_numbers, demo_seating};

fn appeal(id: i64, participant: &str) -> Appeal {
    Appeal {
        appeal_id: id,
        exam_id: "ege-02".into(),
        ppe_code: "0101".into(),
        participant_id: participant.into(),
        filed_at: "2027-06-01T09:00:00Z".into(),
        text: "шум".into(),
        gek_worker_id: "W2".into(),
        actor: "gek".into(),
        review: None,
    }
}

#[test]
fn each_participant_who_appealed_gets_numbers_for_both_appeal_forms_once() {
    let needs = appeal_form_needs(&[appeal(1, "P2"), appeal(2, "P1"), appeal(3, "P2")]);
    let holders: Vec<&str> = needs.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(holders, ["form:ППЭ-02:P1", "form:ППЭ-03:P1", "form:ППЭ-02:P2", "form:ППЭ-03:P2"]);
    assert!(needs.iter().all(|(_, kinds)| kinds.len() == APPEALS_PER_PARTICIPANT && kinds.iter().all(|k| *k == SheetKind::Statement)));
    assert!(appeal_form_needs(&[]).is_empty());
    let seating = point_form_needs(&[], PrintWhat::Seating);
    assert!(seating.iter().all(|(h, _)| h.starts_with("form:ППЭ-0")), "{seating:?}");
    assert!(point_form_needs(&[], PrintWhat::Sheets).is_empty(), "kits need no point forms");
}

#[test]
fn the_medical_journal_lists_confirmed_early_finishes_and_visits_to_the_medical_room_only() {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 40, ..Default::default() });
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").cloned().unwrap();
    let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap();
    let seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
    assert!(seats.len() > 6, "{}", seats.len());
    let numbers = demo_numbers(&sheet_needs(exam.technology(), &kit_of(&exam).unwrap(), &seats, PrintWhat::All, None));
    let mut day = demo_day(&plan, &exam, &seats, &numbers);
    let key = crate::sheet_code::sheet_key(b"k");
    let leave = |kind: EventKind, minutes: i64, reason: &str| ExamEvent {
        exam_id: exam.exam_id.clone(),
        participant_id: seats[6].participant_id.clone(),
        kind,
        at: (exam.start_utc().unwrap() + chrono::Duration::minutes(minutes)).to_rfc3339(),
        reason: reason.into(),
        gek_worker_id: String::new(),
        medical_worker_id: String::new(),
        actor: "o".into(),
    };
    day.events.push(leave(EventKind::Left, 30, "Медпункт"));
    day.events.push(leave(EventKind::Returned, 41, ""));
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let rows = context.medical_rows();
    // The early finish (seat 0, with its medical worker) and the visit; seat 2's leave to the toilet is not one.
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].early_finish && rows[0].outcome.contains("досрочно"), "{rows:?}");
    assert_eq!((rows[1].early_finish, rows[1].outcome.as_str(), rows[1].at.as_str()), (false, "вернулся в аудиторию в 10:41", "10:30"));
    // Without the medical worker's confirmation an early finish is not a medical visit.
    for e in &mut day.events {
        e.medical_worker_id.clear();
    }
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    assert_eq!(context.medical_rows().len(), 1);
}
