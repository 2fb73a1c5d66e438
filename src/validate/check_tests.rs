//! ФЛК over whole tables: допуск, graduates without a school, observers, point types and
//! worker kinds by Russian title, words mixing alphabets, old plans, the checks of the days.

use super::*;

/// A small good plan: two points (one ТОМ), a graduate of past years without a school, an
/// ОВЗ participant, a worker and an observer. Cells are separated by `|`.
const BASE: &str = "\
#exams
exam_id|kind|level|subject_code|subject_name|date|start|duration_min|materials_open_before_min|materials_close_after_start_min|upload_deadline_after_end_min
e1|ege|11|02|Математика|2027.05.27|10:00|235|60|30|60
e2|ege|11|03|Физика|2027.05.29|10:00|235|60|30|60
#exam_points
ppe_code|name|address|ate_code|ate_name|point_type|utc_offset_min
0101|Школа 1|г. Томск|7001|Томск|обычный|420
0102|Школа 2|с. Дальнее|7002|Район|ТОМ|420
#auditoriums
ppe_code|auditorium|rows|columns|capacity|special_needs
0101|101|2|2|2|нет
0101|102|1|2|1|да
0102|201|3|3|9|да
#participants
participant_id|surname|name|sex|birth_date|citizenship|doc_type|doc_number|school_code|school_name|study_form|category|health|separate_room|admitted
P1|Иванов|Иван|М|2009.01.01|РФ|other|A0001|S1|Школа|очная|обучающийся|none|нет|да
P2|Петров|Пётр|М|2009.01.02|РФ|other|A0002|S1|Школа|очная|обучающийся|ovz|да|да
P3|Сидоров|Олег|М|2000.01.03|РФ|other|A0003|||очная|выпускник прошлых лет|none|нет|да
#registrations
exam_id|participant_id|ppe_code
e1|P1|0101
e1|P2|0101
e1|P3|0101
e2|P1|0101
#workers
worker_id|surname|name|birth_year|doc_type|doc_number|workplace|position|roles
W1|Кузнецов|Олег|1980|other|B0001|Школа|учитель|организатор в аудитории,medical
#worker_assignments
worker_id|ppe_code|date
W1|0101|2027.05.27
#observers
observer_id|surname|name|sex|birth_year|doc_type|doc_number|accrediting_body|certificate_number
O1|Орлова|Анна|Ж|1975|other|C0001|Министерство образования Томской области|ON-17
#observer_assignments
observer_id|ppe_code|date
O1|0101|2027.05.27
";

fn tables(text: &str) -> Vec<RawTable> {
    let mut out: Vec<RawTable> = Vec::new();
    let mut header_next = false;
    for (i, line) in text.lines().enumerate() {
        let cells: Vec<String> = line.split('|').map(String::from).collect();
        if let Some(name) = line.strip_prefix('#') {
            out.push(RawTable { name: name.into(), ..RawTable::default() });
            header_next = true;
        } else if let Some(t) = out.last_mut() {
            if std::mem::take(&mut header_next) {
                t.columns = cells;
            } else {
                t.rows.push(RawRow { line: i + 1, cells });
            }
        }
    }
    out
}

fn check(text: &str) -> Result<Checked, Vec<Issue>> {
    check_plan_with_warnings(&tables(text))
}

fn refused(text: &str) -> Vec<Issue> {
    check(text).err().unwrap_or_else(|| panic!("expected a refusal of:\n{text}"))
}

/// The issues' lines, columns and reasons, for assertions.
fn found(issues: &[Issue], table: &str, column: &str) -> Vec<(usize, String)> {
    issues.iter().filter(|i| i.table == table && i.column == column).map(|i| (i.line, i.reason.clone())).collect()
}

#[test]
fn the_base_plan_passes_with_its_new_fields_read() {
    let checked = check(BASE).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    let plan = checked.plan;
    assert_eq!(plan.exam_points[1].point_type, PointType::Tom, "Russian title accepted");
    assert_eq!(plan.exam_points[0].utc_offset_min, Some(420));
    assert_eq!(plan.workers[0].roles, vec![WorkerRole::OrganizerInRoom, WorkerRole::Medical], "title and code both accepted");
    let graduate = &plan.participants[2];
    assert!(graduate.school_code.is_empty() && graduate.admitted);
    assert_eq!(plan.observers.len(), 1);
    assert_eq!(plan.observers[0].certificate_number, "ON-17");
    assert_eq!(plan.observer_assignments[0].ppe_code, "0101");
}

#[test]
fn a_word_mixing_alphabets_is_refused_with_its_row_column_and_word() {
    // «Ивaнов» with a Latin a (U+0061).
    let issues = refused(&BASE.replace("P1|Иванов", "P1|Ив\u{61}нов"));
    let hits = found(&issues, "participants", "surname");
    assert_eq!(hits.len(), 1, "{issues:#?}");
    assert_eq!(hits[0].0, 16);
    assert!(hits[0].1.contains("«Ивaнов»") && hits[0].1.contains("латинские буквы «a»"), "{}", hits[0].1);
    let issues = refused(&BASE.replace("Министерство образования", "Министерствo образования"));
    assert_eq!(found(&issues, "observers", "accrediting_body").len(), 1, "{issues:#?}");
    // Separate words in different alphabets are fine: a series like IV-МЮ, a name like «Школа IT».
    assert!(check(&BASE.replace("Школа 1|", "Школа IT-класс 1|")).is_ok());
}

#[test]
fn mixed_alphabet_words_pure() {
    assert!(mixed_alphabet_word("Иванов Иван").is_none());
    assert!(mixed_alphabet_word("IV-МЮ").is_none());
    assert!(mixed_alphabet_word("Smith Смит").is_none());
    assert!(mixed_alphabet_word("123 ул.Ленина").is_none());
    let r = mixed_alphabet_word("Петр Ивaнов").unwrap();
    assert!(r.contains("«Ивaнов»") && r.contains("«a»"), "{r}");
    let r = mixed_alphabet_word("Smiтh").unwrap();
    assert!(r.contains("кириллические буквы «т»") && r.contains("среди латиницы"), "{r}");
}

#[test]
fn only_a_graduate_of_past_years_may_have_no_school() {
    assert!(is_past_year_graduate("выпускник прошлых лет") && is_past_year_graduate("Выпускник прошлых лет (ВПЛ)") && is_past_year_graduate("ВПЛ"));
    assert!(!is_past_year_graduate("обучающийся"));
    let issues = refused(&BASE.replace("A0001|S1|Школа", "A0001||"));
    assert_eq!(found(&issues, "participants", "school_code").len(), 1, "{issues:#?}");
    assert!(found(&issues, "participants", "school_name")[0].1.contains("выпускник прошлых лет"));
    // A graduate may still name a school.
    assert!(check(&BASE.replace("A0003|||", "A0003|S1|Школа|")).is_ok());
}

#[test]
fn admitted_is_required_and_an_old_file_without_it_takes_yes_with_a_warning() {
    let issues = refused(&BASE.replace("none|нет|да\nP2", "none|нет|\nP2"));
    assert_eq!(found(&issues, "participants", "admitted").len(), 1, "{issues:#?}");
    let old = BASE.replace("|separate_room|admitted", "|separate_room").replace("|нет|да\n", "|нет\n").replace("|да|да\n", "|да\n");
    let checked = check(&old).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(checked.plan.participants.iter().all(|p| p.admitted));
    assert_eq!(checked.warnings.len(), 1);
    assert_eq!(checked.warnings[0].column, "admitted");
    let not_admitted = check(&BASE.replace("выпускник прошлых лет|none|нет|да", "выпускник прошлых лет|none|нет|нет")).unwrap();
    assert!(!not_admitted.plan.participants[2].admitted);
}

#[test]
fn an_old_plan_takes_the_point_offset_from_its_exams_or_is_refused() {
    let no_point_offset = BASE.replace("|point_type|utc_offset_min", "|point_type").replace("|обычный|420", "|обычный").replace("|ТОМ|420", "|ТОМ");
    let issues = refused(&no_point_offset);
    assert_eq!(found(&issues, "exam_points", "utc_offset_min").len(), 2, "{issues:#?}");
    let with_exam_offsets = no_point_offset
        .replace("upload_deadline_after_end_min\n", "upload_deadline_after_end_min|utc_offset_min\n")
        .replace("|30|60\n", "|30|60|420\n");
    let checked = check(&with_exam_offsets).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(checked.plan.exam_points.iter().all(|p| p.utc_offset_min == Some(420)));
    assert_eq!(checked.warnings.len(), 1, "{:?}", checked.warnings);
    assert!(checked.warnings[0].reason.contains("0101, 0102"), "{}", checked.warnings[0]);
}

#[test]
fn seats_are_checked_at_the_busiest_moment_of_each_point_day() {
    let extra = |rows: &str| BASE.replace("e2|P1|0101\n", &format!("e2|P1|0101\n{rows}"));
    let p4 = "P4|Орлов|Илья|М|2009.01.04|РФ|other|A0004|S1|Школа|очная|обучающийся|none|нет|да\n";
    let with_p4 = |admitted: &str| {
        extra("e1|P4|0101\n").replace("#registrations", &format!("{}#registrations", p4.replace("нет|да\n", &format!("нет|{admitted}\n"))))
    };
    let issues = refused(&with_p4("да"));
    let hits = found(&issues, "exam_points", "ppe_code");
    assert_eq!(hits.len(), 1, "{issues:#?}");
    assert_eq!(hits[0].0, 7);
    assert!(hits[0].1.contains("участников 4") && hits[0].1.contains("мест в нерезервных аудиториях 3"), "{}", hits[0].1);
    assert!(check(&with_p4("нет")).is_ok(), "a participant without допуск takes no seat");
    // ОВЗ rooms: two participants need one, the ОВЗ room has one seat.
    let issues = refused(&BASE.replace("обучающийся|none|нет|да\nP2", "обучающийся|ovz|да|да\nP2"));
    assert!(found(&issues, "exam_points", "ppe_code")[0].1.contains("аудитория для ОВЗ, 2"), "{issues:#?}");
}

#[test]
fn two_exams_of_one_day_share_the_seats_only_while_they_overlap() {
    let same_day = |start: &str| {
        BASE.replace("e2|ege|11|03|Физика|2027.05.29|10:00", &format!("e2|ege|11|03|Физика|2027.05.27|{start}"))
            .replace("e2|P1|0101", "e2|P4|0101")
            .replace("#registrations", "P4|Орлов|Илья|М|2009.01.04|РФ|other|A0004|S1|Школа|очная|обучающийся|none|нет|да\n#registrations")
    };
    let issues = refused(&same_day("11:00"));
    assert!(found(&issues, "exam_points", "ppe_code")[0].1.contains("e1, e2"), "{issues:#?}");
    assert!(check(&same_day("14:00")).is_ok(), "e1 ends at 13:55");
}

#[test]
fn a_participant_in_two_overlapping_exams_is_refused() {
    let overlapping = BASE.replace("Физика|2027.05.29|10:00", "Физика|2027.05.27|12:00");
    let issues = refused(&overlapping);
    let hits = found(&issues, "registrations", "exam_id");
    assert_eq!(hits.len(), 1, "{issues:#?}");
    assert_eq!(hits[0].0, 24);
    assert!(hits[0].1.contains("«P1»") && hits[0].1.contains("e1") && hits[0].1.contains("10:00–13:55 и 12:00–15:55"), "{}", hits[0].1);
    assert!(check(&BASE.replace("Физика|2027.05.29|10:00", "Физика|2027.05.27|14:00")).is_ok());
}

#[test]
fn a_worker_at_two_points_on_one_date_is_refused() {
    let issues = refused(&BASE.replace("W1|0101|2027.05.27\n", "W1|0101|2027.05.27\nW1|0102|2027.05.27\n"));
    let hits = found(&issues, "worker_assignments", "ppe_code");
    assert_eq!(hits.len(), 1, "{issues:#?}");
    assert!(hits[0].1.contains("уже назначен в ППЭ 0101"), "{}", hits[0].1);
    assert!(check(&BASE.replace("W1|0101|2027.05.27\n", "W1|0101|2027.05.27\nW1|0102|2027.05.29\n")).is_ok(), "another date is fine");
}

#[test]
fn observers_get_the_checks_of_workers() {
    let issues = refused(&BASE.replace("O1|0101|2027.05.27", "O2|0101|2027.05.27"));
    assert!(found(&issues, "observer_assignments", "observer_id")[0].1.contains("нет в таблице observers"), "{issues:#?}");
    let twice = BASE.replace("ON-17\n", "ON-17\nO2|Орлова|Анна|Ж|1975|other|C0001|Министерство|ON-18\n");
    assert!(found(&refused(&twice), "observers", "doc_number")[0].1.contains("один человек дважды"));
    let issues = refused(&BASE.replace("|Ж|1975|", "|Ж|1875|").replace("|ON-17", "|"));
    assert_eq!(found(&issues, "observers", "birth_year").len(), 1, "{issues:#?}");
    assert_eq!(found(&issues, "observers", "certificate_number").len(), 1, "{issues:#?}");
    let issues = refused(&BASE.replace("|обычный|", "|школа|"));
    assert!(found(&issues, "exam_points", "point_type")[0].1.contains("tom (ТОМ)"), "{issues:#?}");
}

proptest::proptest! {
    #[test]
    fn one_letter_of_the_other_alphabet_inside_a_word_is_always_found(
        word in "[а-яё]{1,12}",
        latin in "[a-z]",
        at in 0usize..13,
        tail in "( [a-z]{1,8}| [а-я]{1,8}| [0-9]{1,4}){0,3}",
    ) {
        let pure = format!("{word}{tail}");
        proptest::prop_assert!(mixed_alphabet_word(&pure).is_none(), "{}", pure);
        let mut chars: Vec<char> = word.chars().collect();
        chars.insert(at.min(chars.len()), latin.chars().next().unwrap_or('a'));
        let mixed: String = chars.into_iter().collect();
        let reason = mixed_alphabet_word(&format!("{mixed}{tail}"));
        proptest::prop_assert!(reason.as_deref().is_some_and(|r| r.contains(&format!("«{mixed}»"))), "{:?}", reason);
    }
}
