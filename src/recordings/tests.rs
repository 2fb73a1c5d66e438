//! The pure rules of recordings: what an exam collects, station file names, matching and
//! completeness, each in both directions.

use super::*;
use crate::model::tests::sample_exam;

fn exam(kind: ExamKind, code: &str, name: &str) -> Exam {
    Exam { kind, subject_code: code.into(), subject_name: name.into(), ..sample_exam() }
}

#[test]
fn oral_exams_collect_recordings_kege_answer_files_and_written_ones_nothing() {
    assert_eq!(collected_for(&exam(ExamKind::Interview, "99", "Итоговое собеседование по русскому языку")), Some(FileKind::Recording));
    assert_eq!(collected_for(&exam(ExamKind::Ege, "29", "Английский язык (устная часть)")), Some(FileKind::Recording));
    assert_eq!(collected_for(&exam(ExamKind::Ege, "25", "Информатика")), Some(FileKind::AnswerFile));
    assert_eq!(collected_for(&exam(ExamKind::Oge, "05", "Информатика (на компьютере)")), Some(FileKind::AnswerFile));
    assert_eq!(collected_for(&exam(ExamKind::Ege, "02", "Математика")), None);
    assert_eq!(collected_for(&exam(ExamKind::Oge, "25", "Информатика (письменно)")), None, "subject 25 is КЕГЭ only in ЕГЭ");
    // The plan's technology column wins over kind and subject, both ways.
    let held = |technology, code: &str, name: &str| Exam { technology: Some(technology), ..exam(ExamKind::Ege, code, name) };
    assert_eq!(collected_for(&held(Technology::Computer, "02", "Математика")), Some(FileKind::AnswerFile));
    assert!(is_computer_exam(&held(Technology::Computer, "02", "Математика")));
    assert_eq!(collected_for(&held(Technology::Written, "25", "Информатика")), None, "КЕГЭ held on paper collects no files");
    assert!(!is_computer_exam(&held(Technology::Written, "25", "Информатика")));
    assert_eq!(collected_for(&held(Technology::OralRecorded, "01", "Русский язык")), Some(FileKind::Recording));
    assert_eq!(oral_kind(&held(Technology::OralRecorded, "01", "Русский язык")), OralKind::Speaking);
    assert_eq!(oral_kind(&held(Technology::OralInterview, "29", "Английский язык")), OralKind::Other, "an ЕГЭ interview is not ИС-9");
    assert_eq!(oral_kind(&exam(ExamKind::Interview, "70", "Итоговое собеседование")), OralKind::Interview);

    let config = RecordingsConfig::default();
    assert_eq!(duration_range(&exam(ExamKind::Interview, "99", "ИС"), &config), [600, 1200]);
    assert_eq!(duration_range(&exam(ExamKind::Ege, "30", "Немецкий язык (устная часть)"), &config), [840, 1200]);
    assert_eq!(duration_range(&exam(ExamKind::Gve, "01", "Русский язык (устно)"), &config), [60, 3600]);
}

#[test]
fn a_station_file_name_is_read_by_its_pattern_and_a_foreign_one_is_not() {
    let p = crate::config::DEFAULT_NAME_PATTERN;
    let parts = parse_name("0101_103_5_P0000001", p).unwrap();
    assert_eq!(parts.ppe.as_deref(), Some("0101"));
    assert_eq!(parts.room.as_deref(), Some("103"));
    assert_eq!(parts.place.as_deref(), Some("5"));
    assert_eq!(parts.participant.as_deref(), Some("P0000001"));
    // The last field takes the rest, underscores and all.
    assert_eq!(parse_name("0101_103_5_P_01", p).unwrap().participant.as_deref(), Some("P_01"));
    assert_eq!(parse_name("recording-2027-06-01", p), None);
    assert_eq!(parse_name("0101__5_P1", p), None, "an empty field does not fit");
    // Another station's pattern as data: a prefix, a seat label, no participant code.
    let other = "rec-{room}-{place}-{any}";
    let parts = parse_name("rec-201-3Б-take2", other).unwrap();
    assert_eq!((parts.room.as_deref(), parts.place.as_deref(), parts.participant), (Some("201"), Some("3Б"), None));
    assert_eq!(parse_name("x", "{unknown}"), None, "an unknown placeholder fits nothing");
}

fn seated() -> Vec<SeatedParticipant> {
    vec![
        SeatedParticipant { participant_id: "P1".into(), auditorium: "103".into(), seat_label: "1А".into(), workstation: 1 },
        SeatedParticipant { participant_id: "P2".into(), auditorium: "103".into(), seat_label: "1Б".into(), workstation: 2 },
        SeatedParticipant { participant_id: "P3".into(), auditorium: "104".into(), seat_label: "1А".into(), workstation: 21 },
    ]
}

fn parts(ppe: &str, room: &str, place: &str, participant: &str) -> NameParts {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    NameParts { ppe: some(ppe), room: some(room), place: some(place), participant: some(participant) }
}

#[test]
fn a_file_is_matched_by_code_or_by_workstation_and_every_mismatch_is_named() {
    let s = seated();
    assert_eq!(match_file(&parts("0101", "103", "2", "P2"), "0101", &s), Ok("P2".into()));
    assert_eq!(match_file(&parts("", "103", "1Б", ""), "0101", &s), Ok("P2".into()), "by seat label");
    assert_eq!(match_file(&parts("", "104", "21", ""), "0101", &s), Ok("P3".into()), "by the (reserve) workstation");
    assert_eq!(match_file(&parts("", "", "", "P1"), "0101", &s), Ok("P1".into()), "by code alone");

    assert_eq!(match_file(&parts("0202", "103", "2", "P2"), "0101", &s).unwrap_err().code(), "other_exam_point");
    let e = match_file(&parts("0101", "103", "2", "P9"), "0101", &s).unwrap_err();
    assert_eq!(e, Defect::UnknownParticipant { code: "P9".into() });
    assert!(e.to_string().contains("P9 не зарегистрирован"), "{e}");
    let e = match_file(&parts("0101", "103", "1", "P2"), "0101", &s).unwrap_err();
    assert_eq!(e.code(), "place_mismatch");
    assert!(e.to_string().contains("станция 2"), "{e}");
    assert_eq!(match_file(&parts("", "103", "7", ""), "0101", &s).unwrap_err().code(), "nobody_at_place");
    assert_eq!(match_file(&parts("0101", "", "", ""), "0101", &s).unwrap_err().code(), "name_not_understood");
}

fn file(id: &str, participant: Option<&str>, status: &str, reason: &str) -> FileState {
    FileState {
        file_id: id.into(),
        source_name: format!("{id}.wav"),
        participant_id: participant.map(Into::into),
        status: status.into(),
        reason: reason.into(),
    }
}

#[test]
fn completeness_names_the_missing_the_broken_and_the_unmatched() {
    let sat = ["P1".to_string(), "P2".into(), "P3".into(), "P4".into()];
    let files = [
        file("a", Some("P1"), "matched", ""),
        file("b", Some("P2"), "to_resolve", "не читается: поток прерван"),
        file("c", Some("P3"), "to_resolve", "тишина: уровень -200.0 дБ ниже порога -45.0 дБ"),
        file("d", None, "to_resolve", "участник с кодом P9 не зарегистрирован на этот экзамен в ППЭ"),
        file("e", None, "set_aside", "чужой файл"),
    ];
    let c = completeness(&sat, &files);
    assert!(!c.holds());
    assert_eq!((c.expected, c.received, c.to_resolve), (4, 1, 3));
    let lines = c.lines_ru(FileKind::Recording);
    assert_eq!(
        lines,
        [
            "запись участника P2 не читается: поток прерван",
            "запись участника P3: тишина: уровень -200.0 дБ ниже порога -45.0 дБ",
            "нет записи участника P4",
            "файл «d.wav» не сопоставлен с участником: участник с кодом P9 не зарегистрирован на этот экзамен в ППЭ",
        ]
    );
    assert_eq!(completeness(&["P4".into()], &[]).lines_ru(FileKind::AnswerFile), ["нет файла ответов участника P4"]);

    // Every one who sat has a good file, nothing left to resolve: it holds (a set-aside file
    // does not count against it).
    let good = [file("a", Some("P1"), "matched", ""), file("e", None, "set_aside", "чужой файл")];
    let c = completeness(&["P1".into()], &good);
    assert!(c.holds(), "{c:?}");
    assert!(c.lines_ru(FileKind::Recording).is_empty());
}

#[test]
fn only_files_that_decode_may_be_accepted_by_a_person() {
    for code in ["silent", "too_short", "too_long", "unknown_participant", "name_not_understood", "place_mismatch", "second_file"] {
        assert!(Defect::acceptable_by_a_person(code), "{code}");
    }
    for code in ["unreadable", "truncated", "empty_archive", "unsupported"] {
        assert!(!Defect::acceptable_by_a_person(code), "{code}");
    }
}

mod properties {
    use proptest::prelude::*;

    use super::super::{parse_name, NameParts};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any name a station makes by the default pattern reads back to the same fields (the
        /// participant code, last, may hold the separator itself).
        #[test]
        fn a_name_made_by_the_pattern_reads_back(ppe in "[0-9]{4}", room in "[0-9A-Za-zА-Я]{1,5}", place in "[0-9]{1,3}|[1-9][А-Я]", code in "[A-Z0-9][A-Z0-9_]{0,11}") {
            let name = format!("{ppe}_{room}_{place}_{code}");
            let parts = parse_name(&name, crate::config::DEFAULT_NAME_PATTERN).unwrap();
            prop_assert_eq!(parts, NameParts { ppe: Some(ppe), room: Some(room), place: Some(place), participant: Some(code) });
        }
    }
}
