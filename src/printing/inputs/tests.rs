//! Tests of the forms' inputs over a generated region and a sample day.

use super::*;
use crate::demo::print_fixtures::{demo_day, demo_numbers, demo_seating};

fn context_parts(participants: usize) -> (Plan, Exam, Vec<SeatAssignment>, HashMap<String, Vec<u32>>) {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants, ..Default::default() });
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").cloned().unwrap();
    let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap();
    let seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
    let numbers = demo_numbers(&sheet_needs(exam.technology(), &crate::model::kit::kit_of(&exam).unwrap(), &seats, PrintWhat::All, None));
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
    assert_eq!(number_runs(&[16, 13, 14, 15, 20]), "0000013–0000016, 0000020");
    assert!(context.event_acts(None, None).is_err(), "an act without reserved numbers is not printed");
    let mut numbers = numbers.clone();
    numbers.extend(demo_numbers(&act_needs(&day, &seats, None, None)).into_iter().map(|(h, n)| (h, n.into_iter().map(|x| x + 10_000).collect())));
    let context = PrintContext { numbers: &numbers, ..context };
    let acts = context.event_acts(None, None).unwrap();
    assert_eq!(acts.documents.iter().map(|d| d.form.as_str()).collect::<Vec<_>>(), ["ППЭ-22", "ППЭ-21"], "in the order of the events");
    let holders: Vec<&str> = acts.statements.iter().map(|s| s.holder.as_str()).collect();
    assert_eq!(holders, [format!("form:ППЭ-22:{}", seats[0].participant_id), format!("form:ППЭ-21:{}", seats[1].participant_id)]);
    assert!(acts.statements.iter().all(|s| s.required && s.numbers.len() == 1 && s.participant_id.is_some()), "{:?}", acts.statements);
}

#[test]
fn a_statement_longer_than_its_reserved_numbers_fails_instead_of_reusing_codes() {
    let (plan, exam, seats, mut numbers) = context_parts(12);
    let key = crate::sheet_code::sheet_key(b"k");
    let day = DayRecord::default();
    let holder = form_holder("ППЭ-12-04-МАШ", Some(&seats[0].auditorium));
    numbers.insert(holder.clone(), vec![900]);
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let doc = |pages| PrintDocument {
        file_name: String::new(),
        title: String::new(),
        form: "ППЭ-12-04-МАШ".into(),
        auditorium: Some(seats[0].auditorium.clone()),
        pages,
        bytes: Vec::new(),
    };
    let printed = context.printed(&holder, &doc(1), None).unwrap();
    assert_eq!((printed.numbers, printed.auditorium.as_deref(), printed.required), (vec![900], Some(seats[0].auditorium.as_str()), true));
    assert!(matches!(context.printed(&holder, &doc(2), None), Err(PrintingError::NothingToPrint(_))));
    // An auditorium's whole set fails the same way when a form needs more than it has.
    numbers.insert(form_holder("ППЭ-05-02", Some(&seats[0].auditorium)), Vec::new());
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    assert!(context.build(PrintWhat::Statements, Some(&seats[0].auditorium)).is_err());
}

#[test]
fn every_form_of_a_large_point_fits_its_reserved_numbers_and_is_recorded_with_its_copy() {
    let (plan, exam, seats, numbers) = context_parts(300);
    let day = demo_day(&plan, &exam, &seats, &numbers);
    let key = crate::sheet_code::sheet_key(b"k");
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let mut set = context.build(PrintWhat::Seating, None).unwrap();
    let statements = PrintContext { numbers: &numbers, day: &DayRecord::default(), ..context };
    let more = statements.build(PrintWhat::Statements, None).unwrap();
    set.documents.extend(more.documents);
    set.statements.extend(more.statements);
    let forms: Vec<&PrintDocument> = set.documents.iter().filter(|d| !d.form.is_empty()).collect();
    assert_eq!(forms.len(), set.statements.len(), "every form is recorded");
    for (doc, printed) in forms.iter().zip(&set.statements) {
        assert_eq!((doc.form.as_str(), doc.pages as usize, &doc.auditorium), (printed.form.as_str(), printed.numbers.len(), &printed.auditorium));
        assert!(
            printed.numbers.len() < numbers[&printed.holder].len(),
            "{}: {} pages, {} numbers: room to spare",
            printed.holder,
            printed.numbers.len(),
            numbers[&printed.holder].len()
        );
    }
    let list = set.statements.iter().find(|s| s.form == "ППЭ-06-02").unwrap();
    assert!(list.numbers.len() > 3, "300 names take pages: {list:?}");
    let mut all: Vec<u32> = set.statements.iter().flat_map(|s| s.numbers.clone()).collect();
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), count, "no number on two pages");
}

#[test]
fn a_base_maths_exam_prints_and_counts_its_own_kit() {
    let (plan, mut exam, seats, _) = context_parts(12);
    exam.subject_code = "22".into();
    let kit = kit_of(&exam).unwrap();
    let needs = sheet_needs(exam.technology(), &kit, &seats, PrintWhat::Sheets, None);
    assert!(needs.iter().all(|(_, kinds)| kinds == &[SheetKind::Registration, SheetKind::Answers1]), "{needs:?}");
    let numbers = demo_numbers(&sheet_needs(exam.technology(), &kit, &seats, PrintWhat::All, None));
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

/// The forms of `needs` (holders `form:<ФОРМА>[:…]`), each once.
fn forms_in(needs: &[(String, Vec<SheetKind>)]) -> std::collections::BTreeSet<String> {
    needs.iter().filter_map(|(h, _)| h.strip_prefix("form:")).map(|h| h.split(':').next().unwrap_or_default().to_string()).collect()
}

#[test]
fn each_technology_reserves_numbers_for_exactly_the_forms_it_prints() {
    let (_, exam, seats, _) = context_parts(12);
    let kit = kit_of(&exam).unwrap();
    let written: Vec<&str> = vec![
        "ППЭ-05-01",
        "ППЭ-05-02",
        "ППЭ-06-01",
        "ППЭ-06-02",
        "ППЭ-07",
        "ППЭ-08",
        "ППЭ-10",
        "ППЭ-11",
        "ППЭ-12-02",
        "ППЭ-12-04-МАШ",
        "ППЭ-13-02-МАШ",
        "ППЭ-14-01",
        "ППЭ-14-02",
        "ППЭ-18-МАШ",
        "ППЭ-19",
    ];
    let needs = |t: Technology| forms_in(&sheet_needs(t, &kit, &seats, PrintWhat::All, None));
    assert_eq!(needs(Technology::Written), written.iter().map(|f| f.to_string()).collect(), "the written run as it always was");
    for t in Technology::ALL {
        let profile = t.profile();
        assert!(needs(t).iter().all(|f| profile.prints(f)), "{t:?}: numbers only for forms it prints: {:?}", needs(t));
    }
    let interview = needs(Technology::OralInterview);
    for absent in ["ППЭ-05-02", "ППЭ-12-04-МАШ", "ППЭ-13-02-МАШ", "ППЭ-14-02", "ППЭ-11"] {
        assert!(!interview.contains(absent), "ИС-9 reserves nothing for {absent}");
    }
    assert!(interview.contains("ППЭ-05-01") && interview.contains("ППЭ-07"), "its lists: {interview:?}");
    let recorded = needs(Technology::OralRecorded);
    assert!(!recorded.contains("ППЭ-05-02") && recorded.contains("ППЭ-14-02"), "{recorded:?}");
    let computer = needs(Technology::Computer);
    for present in ["ППЭ-13-03-К", "ППЭ-14-02-К", "ППЭ-05-02", "ППЭ-12-04-МАШ"] {
        assert!(computer.contains(present), "КЕГЭ reserves for {present}: {computer:?}");
    }
    assert!(!computer.contains("ППЭ-13-02-МАШ") && !computer.contains("ППЭ-14-02"), "{computer:?}");
    // One auditorium alone: its own forms, never the point's.
    let room = forms_in(&sheet_needs(Technology::Computer, &kit, &seats, PrintWhat::All, Some(&seats[0].auditorium)));
    assert!(!room.contains("ППЭ-13-03-К") && room.contains("ППЭ-05-02"), "{room:?}");
}

#[test]
fn a_computer_exams_point_forms_list_every_move_to_a_reserve_workstation() {
    let (plan, mut exam, seats, _) = context_parts(12);
    exam.technology = Some(Technology::Computer);
    let kit = kit_of(&exam).unwrap();
    let numbers = demo_numbers(&sheet_needs(Technology::Computer, &kit, &seats, PrintWhat::Statements, None));
    let mut day = DayRecord::default();
    let moved = &seats[1];
    day.kege.moves.push(crate::recordings::workstations::WorkstationMove {
        exam_id: exam.exam_id.clone(),
        participant_id: moved.participant_id.clone(),
        auditorium: moved.auditorium.clone(),
        from_workstation: 2,
        to_workstation: 31,
        reason: "отказ станции № 2".into(),
        moved_at: "2027-05-29T04:10:00Z".into(),
        actor: "tech".into(),
    });
    let key = crate::sheet_code::sheet_key(b"k");
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let set = context.build(PrintWhat::Statements, None).unwrap();
    let forms: Vec<&str> = set.documents.iter().map(|d| d.form.as_str()).collect();
    assert!(forms.contains(&"ППЭ-13-03-К") && forms.contains(&"ППЭ-14-02-К"), "{forms:?}");
    assert!(!forms.contains(&"ППЭ-13-02-МАШ") && !forms.contains(&"ППЭ-14-02"), "{forms:?}");
    let moves = context.kege_moves();
    assert_eq!(moves.len(), 1);
    assert_eq!((moves[0].from_workstation, moves[0].to_workstation, moves[0].reason.as_str()), (2, 31, "отказ станции № 2"));
    assert!(moves[0].line_ru().contains("станция № 2 → резервная № 31"), "{}", moves[0].line_ru());
    assert_eq!(context.place_label(moved), format!("ст. 31 (была 2; {})", moved.seat_label()));
    // A written exam's list keeps the seat label; its records keep the -МАШ statements.
    let written = Exam { technology: Some(Technology::Written), ..exam.clone() };
    let context = PrintContext { exam: &written, ..context };
    assert_eq!(context.place_label(moved), moved.seat_label());
}

#[test]
fn an_oral_part_prints_its_own_forms_and_none_of_the_written_auditoriums() {
    let (plan, mut exam, seats, _) = context_parts(12);
    exam.technology = Some(Technology::OralRecorded);
    let kit = kit_of(&exam).unwrap();
    let mut needs = sheet_needs(Technology::OralRecorded, &kit, &seats, PrintWhat::All, None);
    needs.extend(oral_sheet_needs(&plan, &exam, &seats[0].ppe_code, &seats, PrintWhat::All, None));
    let numbers = demo_numbers(&needs);
    let day = DayRecord::default();
    let key = crate::sheet_code::sheet_key(b"k");
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &seats[0].ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let set = context.build(PrintWhat::All, None).unwrap();
    let forms: std::collections::BTreeSet<&str> = set.documents.iter().map(|d| d.form.as_str()).filter(|f| !f.is_empty()).collect();
    for present in ["ППЭ-05-01", "ППЭ-05-03-У", "ППЭ-13-03-У", "ППЭ-14-02", "ППЭ-07", "ППЭ-12-02"] {
        assert!(forms.contains(present), "«Говорение» prints {present}: {forms:?}");
    }
    for absent in ["ППЭ-05-02", "ППЭ-12-04-МАШ", "ППЭ-13-02-МАШ", "ИС-02", "ППЭ-13-03-К"] {
        assert!(!forms.contains(absent), "«Говорение» never prints {absent}");
    }
    assert!(forms.iter().all(|f| Technology::OralRecorded.profile().prints(f)), "{forms:?}");
    assert!(set.statements.iter().all(|s| !s.numbers.is_empty()), "every printed form is recorded with its numbers");
    // The bundle's machine-read records follow what is printed: only the observer's act.
    let records: Vec<String> = context.records(None).unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(records, ["ppe-18-mash.json"]);
}
