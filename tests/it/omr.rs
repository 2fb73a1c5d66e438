//! The machine-read forms read back from their scans: ППЭ-18-МАШ and ППЭ-12-04-МАШ rendered by
//! pdftoppm at 150 and 300 dpi, crosses drawn into chosen boxes (`scanning::marks::draw`), the
//! page turned askew; the marks come back exactly, a faint mark and a time that disagrees with
//! the box's record wait for a person, whose value (`ppe edge marks`) the bundle's record carries.

use ppe::printing::forms::machine::layout::{AbsenceLogLayout, Field, FieldShape, MarkBox, ObservationActLayout, OBSERVATION_CHECKLIST};
use ppe::printing::forms::{observation_act_pdf, ExamHeader, ObservationActInput, ObserverOnForm};
use ppe::scanning::marks::draw::{mark, rotate, Pen};
use ppe::scanning::marks::{FieldState, LocatedPage};
use ppe::sheet_code::{SheetId, SheetKind};

use crate::common::*;
use crate::formcheck;

fn field<'f>(fields: &'f [Field], name: &str) -> &'f Field {
    fields.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no field {name}"))
}

/// The boxes a person marks for `value` in `field` («да», «нет» or `ЧЧ:ММ`).
fn boxes_for(field: &Field, value: &str) -> Vec<MarkBox> {
    match &field.shape {
        FieldShape::YesNo(yn) => vec![if value == "да" { yn.yes } else { yn.no }],
        FieldShape::Time(grid) => {
            value.chars().filter(char::is_ascii_digit).zip(&grid.lines).map(|(d, line)| line.boxes[d.to_digit(10).unwrap() as usize]).collect()
        }
    }
}

/// A rendered page with `marks` drawn, turned by `degrees`, as PNG bytes.
fn marked_scan(png: &[u8], dpi: u32, fields: &[Field], marks: &[(&str, &str, Pen)], degrees: f32) -> Vec<u8> {
    let mut page = image::load_from_memory(png).unwrap().to_luma8();
    let scale = dpi as f32 / 25.4;
    for (name, value, pen) in marks {
        for b in boxes_for(field(fields, name), value) {
            mark(&mut page, scale, &b, *pen);
        }
    }
    let page = if degrees == 0.0 { page } else { rotate(&page, degrees) };
    let mut out = std::io::Cursor::new(Vec::new());
    page.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

const ACT_MARKS: [(&str, &str); 7] =
    [("from", "09:40"), ("to", "14:55"), ("item1", "нет"), ("item4", "да"), ("item9", "да"), ("item13", "нет"), ("item16", "нет")];

#[test]
fn crosses_on_the_observation_act_are_read_back_exactly_at_150_and_300_dpi_askew_and_a_faint_one_is_flagged() {
    let key = ppe::sheet_code::sheet_key(b"omr");
    let exam = ExamHeader {
        exam_id: "ege-02".into(),
        kind_title: "ЕГЭ".into(),
        subject_name: "Математика профильная".into(),
        date: "2027.05.27".into(),
        ppe_code: "0101".into(),
        ppe_name: "Школа № 1".into(),
    };
    let observer = ObserverOnForm {
        name: "Константинопольская Александра Владимировна".into(), certificate: "ОН-2027-0017".into()
    };
    let first_sheet = SheetId { exam_id: "ege-02".into(), ppe_code: "0101".into(), kind: SheetKind::Statement, number: 41 };
    let pdf = observation_act_pdf(&ObservationActInput { exam, observers: vec![observer.clone()], first_sheet }, &key).unwrap().bytes;
    let text = formcheck::text_layout(&pdf);
    let items: Vec<&str> = OBSERVATION_CHECKLIST.iter().map(|i| i.text).collect();
    formcheck::assert_whole(
        &text,
        &[&[observer.name.as_str(), observer.certificate.as_str(), "Акт общественного наблюдения", "Школа № 1"][..], &items[..]].concat(),
    );
    formcheck::assert_signatures(&pdf, 2);

    let fields = ObservationActLayout::new(&OBSERVATION_CHECKLIST).fields(&OBSERVATION_CHECKLIST);
    let mut marks: Vec<(&str, &str, Pen)> = ACT_MARKS.iter().map(|(f, v)| (*f, *v, Pen::Cross)).collect();
    marks.push(("item12", "да", Pen::Faint));
    for (dpi, degrees) in [(150, 2.0), (300, -1.0), (300, 0.0)] {
        let png = &formcheck::render_png(&pdf, dpi, 0.0)[0];
        let scan = marked_scan(png, dpi, &fields, &marks, degrees);
        let image = image::load_from_memory(&scan).unwrap().to_luma8();
        let read = LocatedPage::locate(&image).unwrap_or_else(|e| panic!("{dpi} dpi, {degrees}°: {e}")).read(&fields);
        for r in &read {
            let want = ACT_MARKS.iter().find(|(f, _)| *f == r.name).map(|(_, v)| *v);
            match (r.name.as_str(), want) {
                ("item12", _) => {
                    assert_eq!(r.state, FieldState::Ambiguous, "{dpi} dpi, {degrees}°: the faint mark {r:?}");
                    assert!(r.reason.starts_with("п. 12 «Видеонаблюдение в аудитории"), "{}", r.reason);
                }
                (_, Some(v)) => assert_eq!((r.state, r.value.as_deref()), (FieldState::Read, Some(v)), "{dpi} dpi, {degrees}°: {r:?}"),
                (_, None) => assert_eq!(r.state, FieldState::Empty, "{dpi} dpi, {degrees}°: {r:?}"),
            }
        }
    }
}

#[test]
fn a_return_time_that_disagrees_with_the_boxs_record_waits_for_a_person_whose_value_the_bundle_carries() {
    use ppe::attendance::{ops, EventKind, ExamEvent};
    let dir = tempfile::tempdir().unwrap();
    let config = crate::printing::make_box(dir.path(), 16, None);
    let c = config.to_str().unwrap();
    let out = dir.path().join("out");
    let o = ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--what", "statements", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));

    // The day after the print: everyone present, seat 0 out from 11:00 to 11:07 local.
    let mut conn = ppe::store::open(&dir.path().join("state/ppe.db")).unwrap();
    let plan = ppe::plan::store::load_plan(&conn).unwrap();
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").unwrap().clone();
    let seats = ppe::seating::store::seat_assignments_for_exam(&conn, "ege-02").unwrap();
    let ppe_code = seats[0].ppe_code.clone();
    let start = exam.start_utc().unwrap();
    let at = |m: i64| (start + chrono::Duration::minutes(m)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    ops::issue_kits(&mut conn, &at(0), "tech", "ege-02", &ppe_code).unwrap();
    let event = |i: usize, kind: EventKind, m: i64| ExamEvent {
        medical_worker_id: String::new(),
        exam_id: "ege-02".into(),
        participant_id: seats[i].participant_id.clone(),
        kind,
        at: at(m),
        reason: "медпункт".into(),
        gek_worker_id: String::new(),
        actor: "organizer".into(),
    };
    for i in 0..seats.len() {
        ops::record(&mut conn, &at(0), event(i, EventKind::Present, 0)).unwrap();
    }
    ops::record(&mut conn, &at(0), event(0, EventKind::Left, 60)).unwrap();
    ops::record(&mut conn, &at(0), event(0, EventKind::Returned, 67)).unwrap();
    let left = ppe::printing::inputs::local_time(&exam, &at(60));
    let recorded = ppe::printing::inputs::local_time(&exam, &at(67));
    let written = ppe::printing::inputs::local_time(&exam, &at(69));

    // The organizer marked the leave right and the return two minutes off; the observer's act
    // has a faint mark. Scanned at 150 dpi turned 2°, and at 300 dpi.
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let log = std::fs::read(out.join(format!("ppe-12-04-mash-{}.pdf", seats[0].auditorium))).unwrap();
    let log_fields = AbsenceLogLayout::new().fields(0);
    let png = &formcheck::render_png(&log, 150, 0.0)[0];
    std::fs::write(
        inbox.join("log.png"),
        marked_scan(png, 150, &log_fields, &[("row1.left", &left, Pen::Cross), ("row1.returned", &written, Pen::Cross)], 2.0),
    )
    .unwrap();
    let act = std::fs::read(out.join("ppe-18-mash.pdf")).unwrap();
    let act_fields = ObservationActLayout::new(&OBSERVATION_CHECKLIST).fields(&OBSERVATION_CHECKLIST);
    let png = &formcheck::render_png(&act, 300, 0.0)[0];
    std::fs::write(inbox.join("act.png"), marked_scan(png, 300, &act_fields, &[("item1", "да", Pen::Cross), ("item2", "нет", Pen::Half)], 0.0))
        .unwrap();
    let o = ppe(&["edge", "scan", "--config", c, "--exam", "ege-02", "--from", inbox.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("принято страниц: 2 (сопоставлено 2"), "{}", stdout(&o));
    assert!(stdout(&o).contains("ждут разбора: 2 стр."), "both pages wait for a person: {}", stdout(&o));

    let o = ppe(&["edge", "marks", "--config", c, "--exam", "ege-02"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = stdout(&o);
    assert!(
        listed.contains(&format!(
            "поле row1.returned: строка 1, время возвращения: на бланке {written}, в журнале ППЭ {recorded} (место {})",
            seats[0].seat_label()
        )),
        "{listed}"
    );
    assert!(listed.contains("поле item2: п. 2 «В ППЭ находились посторонние лица»: неясная отметка в клетке «нет»"), "{listed}");
    assert_eq!(listed.lines().filter(|l| l.starts_with("к разбору")).count(), 2, "the leave agrees with the record, item 1 is clear: {listed}");

    let waiting = ppe::scanning::marks::ops::waiting(&conn, "ege-02").unwrap();
    let page_of = |f: &str| waiting.iter().find(|w| w.field == f).unwrap().page_id.clone();
    let o = ppe(&["edge", "marks", "--config", c, "--exam", "ege-02", "--page", &page_of("item2"), "--field", "item2", "--value", "может быть"]);
    assert!(!o.status.success(), "a value that does not fit the field is refused");
    assert!(stderr(&o).contains("нужно «да», «нет» или пусто"), "{}", stderr(&o));
    let mut last = String::new();
    for (f, v) in [("row1.returned", recorded.as_str()), ("item2", "нет")] {
        let o = ppe(&["edge", "marks", "--config", c, "--exam", "ege-02", "--page", &page_of(f), "--field", f, "--value", v, "--actor", "tech-1"]);
        assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
        last = stdout(&o);
    }
    assert!(last.contains("ничего не ждёт разбора"), "{last}");
    let audit: Vec<_> =
        ppe::audit::store::all(&conn).unwrap().into_iter().filter(|e| e.action.starts_with("marks.")).map(|e| (e.action, e.actor)).collect();
    assert_eq!(audit.iter().filter(|(a, _)| a == "marks.page_read").count(), 2);
    assert_eq!(audit.iter().filter(|(a, who)| a == "marks.field_resolved" && who == "tech-1").count(), 2);
    let completeness =
        ppe::scanning::intake::completeness_now(&conn, "ege-02", &ppe::attendance::ops::expected_sheets(&conn, "ege-02", &ppe_code).unwrap())
            .unwrap();
    assert_eq!(completeness.to_resolve, 0, "decided fields no longer hold the pages");

    // The bundle's records carry what was read and what the person decided.
    let records = ppe::printing::records::statement_records(&conn, &"ege-02".into(), &ppe_code.as_str().into()).unwrap();
    let records = ppe::scanning::marks::with_answers(&ppe::scanning::marks::store::fields_for_exam(&conn, "ege-02").unwrap(), records);
    let answer = |record: &str, f: &str| {
        let r = records.iter().find(|r| r.name == record).unwrap_or_else(|| panic!("no {record}"));
        let fields = r.data["answers"][0]["fields"].as_array().unwrap_or_else(|| panic!("{record} has no answers: {}", r.data));
        let a = fields.iter().find(|a| a["field"] == f).unwrap().clone();
        (a["value"].as_str().map(str::to_string), a["source"].as_str().unwrap().to_string())
    };
    assert_eq!(answer("ppe-18-mash.json", "item1"), (Some("да".into()), "recognized".into()));
    assert_eq!(answer("ppe-18-mash.json", "item2"), (Some("нет".into()), "person".into()));
    assert_eq!(answer("ppe-18-mash.json", "item3"), (None, "recognized".into()));
    let log_record = format!("ppe-12-04-mash-{}.json", seats[0].auditorium);
    assert_eq!(answer(&log_record, "row1.left"), (Some(left.clone()), "recognized".into()));
    assert_eq!(answer(&log_record, "row1.returned"), (Some(recorded.clone()), "person".into()));
}
