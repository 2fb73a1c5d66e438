//! Tests of the forms' inputs over a generated region and a sample day.

use super::*;
use crate::demo::print_fixtures::{demo_day, demo_numbers, demo_seating};

fn context_parts(participants: usize) -> (Plan, Exam, Vec<SeatAssignment>, HashMap<String, Vec<u32>>) {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants, ..Default::default() });
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").cloned().unwrap();
    let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap();
    let seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
    let numbers = demo_numbers(&sheet_needs(&crate::model::kit::kit_of(&exam).unwrap(), &seats, PrintWhat::All, None));
    (plan, exam, seats, numbers)
}

#[test]
fn absence_rows_pair_each_leave_with_its_return_in_local_time() {
    let (plan, exam, seats, numbers) = context_parts(12);
    let day = demo_day(&plan, &exam, &seats, &numbers);
    let key = crate::sheet_code::sheet_key(b"k");
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let rows = context.absence_rows(&seats[2].auditorium);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].left_at.as_str(), rows[0].returned_at.as_str(), rows[0].reason.as_str()), ("11:00", "11:06", "туалет"));
    let summary = context.summary_rows(&[seats[0].auditorium.clone()]);
    assert_eq!((summary[0].absent, summary[0].removed, summary[0].early, summary[0].sheets_spoiled), (1, 1, 1, 4));
    let protocol = context.protocol_rows(&seats[0].auditorium);
    assert_eq!((protocol[4].late_at.as_deref(), protocol[3].sheets_issued, protocol[3].sheets_replaced), (Some("10:12"), 8, 1));
    let notes = context.kit_replacements(&seats[3].auditorium);
    assert_eq!((notes.len(), notes[0].voided.len(), notes[0].issued.len(), notes[0].at.as_str()), (1, 4, 4, "10:20"));
    assert_eq!(forms::number_runs(&[16, 13, 14, 15, 20]), "0000013–0000016, 0000020");
    let acts = context.event_acts(None, None).unwrap();
    assert_eq!(acts.iter().map(|d| d.form.as_str()).collect::<Vec<_>>(), ["ППЭ-22", "ППЭ-21"], "in the order of the events");
}

#[test]
fn a_statement_longer_than_its_reserved_numbers_fails_instead_of_reusing_codes() {
    let (plan, exam, seats, mut numbers) = context_parts(12);
    let key = crate::sheet_code::sheet_key(b"k");
    let day = DayRecord::default();
    let holder = format!("statement:ППЭ-12-04-МАШ:{}", seats[0].auditorium);
    numbers.insert(holder.clone(), vec![900]);
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    assert_eq!(context.printed(&holder, "ППЭ-12-04-МАШ", 1, true).unwrap().numbers, vec![900]);
    assert!(matches!(context.printed(&holder, "ППЭ-12-04-МАШ", 2, true), Err(PrintingError::NothingToPrint(_))));
}

#[test]
fn a_base_maths_exam_prints_and_counts_its_own_kit() {
    let (plan, mut exam, seats, _) = context_parts(12);
    exam.subject_code = "22".into();
    let kit = kit_of(&exam).unwrap();
    let needs = sheet_needs(&kit, &seats, PrintWhat::Sheets, None);
    assert!(needs.iter().all(|(_, kinds)| kinds == &[SheetKind::Registration, SheetKind::Answers1]), "{needs:?}");
    let numbers = demo_numbers(&sheet_needs(&kit, &seats, PrintWhat::All, None));
    let day = demo_day(&plan, &exam, &seats, &numbers);
    let key = crate::sheet_code::sheet_key(b"k");
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let kits = context.kits(&seats[0].auditorium).unwrap();
    assert!(kits.iter().all(|k| k.sheets.iter().map(|s| s.kind).eq([SheetKind::Registration, SheetKind::Answers1])));
    let protocol = context.protocol_rows(&seats[0].auditorium);
    assert_eq!((protocol[3].sheets_issued, protocol[3].additional), (4, None), "a replaced base-maths kit: 2 + 2 sheets, no ДБО № 2 column");
    assert_eq!(context.summary_rows(&[seats[0].auditorium.clone()])[0].additional, None);
    let notes = context.kit_replacements(&seats[3].auditorium);
    assert_eq!((notes[0].voided.len(), notes[0].issued.len()), (2, 2), "the whole kit of this exam is replaced");

    // The profile exam's kit has answer sheet № 2: the column counts.
    let (plan, exam, seats, numbers) = context_parts(12);
    let day = demo_day(&plan, &exam, &seats, &numbers);
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    assert_eq!(context.protocol_rows(&seats[0].auditorium)[3].additional, Some(0));

    // A kit the plan should never have let through fails the print with its reason.
    let mut bad = exam.clone();
    bad.kit = "R;Q".into();
    let context = PrintContext { plan: &plan, exam: &bad, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let err = context.build(PrintWhat::All, None).err().expect("a bad kit is refused");
    assert!(err.to_string().contains("неизвестный код бланка «Q»"), "{err}");
}
