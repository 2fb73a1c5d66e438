use super::draw::{mark, rotate, Pen};
use super::*;
use crate::printing::forms::machine::layout::{AbsenceLogLayout, ObservationActLayout, OBSERVATION_CHECKLIST};

/// 150 dpi: 210 mm → 1240 px.
const WIDTH: u32 = 1240;

fn scale() -> f32 {
    WIDTH as f32 / crate::printing::pdf::PAGE_WIDTH_MM
}

fn act_fields() -> Vec<Field> {
    ObservationActLayout::new(&OBSERVATION_CHECKLIST).fields(&OBSERVATION_CHECKLIST)
}

fn field<'f>(fields: &'f [Field], name: &str) -> &'f Field {
    fields.iter().find(|f| f.name == name).unwrap()
}

fn yes_no(f: &Field) -> YesNo {
    match &f.shape {
        FieldShape::YesNo(yn) => *yn,
        FieldShape::Time(_) => panic!("{} is a time", f.name),
    }
}

fn time_boxes(f: &Field, hhmm: &str) -> Vec<MarkBox> {
    let FieldShape::Time(grid) = &f.shape else { panic!("{} is not a time", f.name) };
    hhmm.chars().filter(char::is_ascii_digit).zip(&grid.lines).map(|(d, line)| line.boxes[d.to_digit(10).unwrap() as usize]).collect()
}

fn value_of<'r>(readings: &'r [FieldReading], name: &str) -> &'r FieldReading {
    readings.iter().find(|r| r.name == name).unwrap()
}

#[test]
fn box_darkness_is_judged_by_two_thresholds() {
    assert_eq!(judge_box(0.0), BoxMark::Empty);
    assert_eq!(judge_box(EMPTY_BELOW - 0.01), BoxMark::Empty);
    assert_eq!(judge_box(0.1), BoxMark::Unclear);
    assert_eq!(judge_box(MARKED_FROM), BoxMark::Marked);
    assert_eq!(judge_box(0.6), BoxMark::Marked);
}

#[test]
fn crosses_on_a_turned_page_are_read_back_and_unclear_or_double_marks_are_flagged() {
    let fields = act_fields();
    let mut page = blank_page(WIDTH);
    let s = scale();
    mark(&mut page, s, &yes_no(field(&fields, "item1")).no, Pen::Cross);
    mark(&mut page, s, &yes_no(field(&fields, "item5")).yes, Pen::Cross);
    mark(&mut page, s, &yes_no(field(&fields, "item6")).yes, Pen::Cross);
    mark(&mut page, s, &yes_no(field(&fields, "item6")).no, Pen::Cross);
    mark(&mut page, s, &yes_no(field(&fields, "item7")).yes, Pen::Faint);
    for b in time_boxes(field(&fields, "from"), "09:35") {
        mark(&mut page, s, &b, Pen::Cross);
    }
    // «to»: the hours' units marked twice.
    let FieldShape::Time(to) = &field(&fields, "to").shape else { panic!() };
    for b in time_boxes(field(&fields, "to"), "14:05").into_iter().chain([to.lines[1].boxes[7]]) {
        mark(&mut page, s, &b, Pen::Cross);
    }
    let page = rotate(&page, 1.5);
    let located = LocatedPage::locate(&page).unwrap();
    let read = located.read(&fields);
    assert_eq!((value_of(&read, "item1").value.as_deref(), value_of(&read, "item1").state), (Some("нет"), FieldState::Read));
    assert_eq!(value_of(&read, "item5").value.as_deref(), Some("да"));
    assert_eq!(value_of(&read, "item2").state, FieldState::Empty);
    assert_eq!(value_of(&read, "item6").state, FieldState::Ambiguous);
    assert!(value_of(&read, "item6").reason.contains("и «да», и «нет»"), "{}", value_of(&read, "item6").reason);
    let faint = value_of(&read, "item7");
    assert_eq!((faint.state, faint.reason.starts_with("п. 7 «")), (FieldState::Ambiguous, true), "{faint:?}");
    assert_eq!(value_of(&read, "from").value.as_deref(), Some("09:35"));
    let to = value_of(&read, "to");
    assert_eq!(to.state, FieldState::Ambiguous);
    assert!(to.reason.contains("единицы часов: отмечено 2 клетки (4, 7)"), "{}", to.reason);
    let others = read.iter().filter(|r| !["item1", "item5", "item6", "item7", "from", "to"].contains(&r.name.as_str()));
    assert!(others.clone().all(|r| r.state == FieldState::Empty), "{:?}", others.filter(|r| r.state != FieldState::Empty).collect::<Vec<_>>());
}

#[test]
fn a_page_without_its_corner_marks_is_not_read() {
    let page = image::GrayImage::from_pixel(WIDTH, 1754, image::Luma([255u8]));
    assert_eq!(LocatedPage::locate(&page).err(), Some(MarksError::NoFiducial("верхний левый")));
}

#[test]
fn impossible_times_and_lone_returns_wait_for_a_person() {
    let layout = AbsenceLogLayout::new();
    let fields = layout.fields(0);
    let mut page = blank_page(WIDTH);
    let s = scale();
    for b in time_boxes(field(&fields, "row1.left"), "29:10") {
        mark(&mut page, s, &b, Pen::Cross);
    }
    for b in time_boxes(field(&fields, "row2.returned"), "10:10") {
        mark(&mut page, s, &b, Pen::Cross);
    }
    let mut read = LocatedPage::locate(&page).unwrap().read(&fields);
    assert!(value_of(&read, "row1.left").reason.contains("отмечено 29:10, такого времени нет"));
    check_absences(&mut read, &[]);
    assert_eq!(value_of(&read, "row2.returned").state, FieldState::Ambiguous);
}

fn reading_of(name: &str, value: Option<&str>) -> FieldReading {
    let state = if value.is_some() { FieldState::Read } else { FieldState::Empty };
    FieldReading { name: name.into(), label: name.into(), kind: "time", value: value.map(str::to_string), state, reason: String::new() }
}

fn record(left: &str, back: &str) -> AbsenceRow {
    AbsenceRow {
        auditorium: "101".into(),
        seat: "2Б".into(),
        name: "Иванов".into(),
        left_at: left.into(),
        returned_at: back.into(),
        reason: String::new(),
    }
}

#[test]
fn absences_on_the_page_agree_with_the_boxs_record_or_are_flagged() {
    let mut read = vec![
        reading_of("row1.left", Some("10:20")),
        reading_of("row1.returned", Some("10:31")),
        reading_of("row2.left", Some("11:00")),
        reading_of("row2.returned", Some("11:09")),
        reading_of("row3.left", Some("11:40")),
        reading_of("row3.returned", None),
        reading_of("row4.left", Some("12:00")),
        reading_of("row4.returned", Some("12:05")),
    ];
    check_absences(&mut read, &[record("10:20", "10:31"), record("11:00", "11:07"), record("12:00", "")]);
    let state = |n: &str| value_of(&read, n).state;
    assert_eq!((state("row1.left"), state("row1.returned")), (FieldState::Read, FieldState::Read));
    assert_eq!(state("row2.returned"), FieldState::Disagrees);
    assert_eq!(value_of(&read, "row2.returned").reason, "row2.returned: на бланке 11:09, в журнале ППЭ 11:07 (место 2Б)");
    assert_eq!(state("row3.left"), FieldState::Disagrees);
    assert!(value_of(&read, "row3.left").reason.contains("выхода в это время нет"));
    assert!(value_of(&read, "row4.returned").reason.contains("возвращение не отмечено"));
}

#[test]
fn a_persons_value_must_fit_the_field() {
    for (kind, value, ok) in [
        ("yes_no", "да", true),
        ("yes_no", "", true),
        ("yes_no", "может", false),
        ("time", "09:05", true),
        ("time", "9:05", false),
        ("time", "25:00", false),
        ("time", "", true),
    ] {
        assert_eq!(valid_value(kind, value), ok, "{kind} {value}");
    }
}
