//! The plan data of the exam-day rules through the real binary: an old plan imports with
//! warnings naming what is now required (or is refused when a time zone cannot be known);
//! observers, допуск, graduates without a school and point types round-trip through every
//! format; each new check refuses a bad file naming the file, row, column and reason.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;

fn import(hub: &Path, file: &Path) -> Output {
    ppe(&["hub", "import-plan", file.to_str().unwrap(), "--config", hub.to_str().unwrap()])
}

fn check(file: &Path) -> Output {
    ppe(&["hub", "import-plan", file.to_str().unwrap(), "--check"])
}

fn export(hub: &Path, out: &Path) -> String {
    let o = ppe(&["hub", "export-plan", "--out", out.to_str().unwrap(), "--config", hub.to_str().unwrap()]);
    assert!(o.status.success(), "export {}: {}", out.display(), stderr(&o));
    std::fs::read_to_string(out).unwrap_or_default()
}

/// A fresh hub holding `file`, and the plan exported back as JSON.
fn imported_as_json(dir: &Path, file: &Path) -> serde_json::Value {
    let hub = init_hub(&dir.join(format!("hub-{}", file.file_name().unwrap().to_string_lossy())));
    let o = import(&hub, file);
    assert!(o.status.success(), "import {}: {}", file.display(), stderr(&o));
    let out = dir.join(format!("back-of-{}.json", file.file_name().unwrap().to_string_lossy()));
    serde_json::from_str(&export(&hub, &out)).unwrap()
}

/// The sample (old format) imported and exported as CSV: a file of the new format.
fn new_format_csv(dir: &Path) -> String {
    let hub = init_hub(&dir.join("hub-new"));
    assert!(import(&hub, &fixture("plan-sample.csv")).status.success());
    export(&hub, &dir.join("new.csv"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `text` with the line starting `start` changed by `edit`.
fn edit_line(text: &str, start: &str, edit: impl Fn(&str) -> String) -> String {
    assert!(text.lines().any(|l| l.starts_with(start)), "no line {start:?}");
    text.lines().map(|l| if l.starts_with(start) { edit(l) } else { l.to_string() }).collect::<Vec<_>>().join("\n") + "\n"
}

#[test]
fn an_old_plan_imports_with_warnings_naming_what_is_now_required() {
    let dir = tempfile::tempdir().unwrap();
    let hub = init_hub(dir.path());
    let o = import(&hub, &fixture("plan-sample.csv"));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for expected in [
        "plan-sample.csv: предупреждение: таблица participants, столбец admitted: столбца нет (план старого формата): всем 12 участникам принят допуск к ГИА «да»; столбец admitted (да/нет) теперь обязателен",
        "plan-sample.csv: предупреждение: таблица exam_points, столбец utc_offset_min: не указано у 1 ППЭ (0101): принято 420 из exams.utc_offset_min (план старого формата); часовой пояс ППЭ теперь обязателен",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    let plan: serde_json::Value = serde_json::from_str(&export(&hub, &dir.path().join("back.json"))).unwrap();
    assert_eq!(plan["exam_points"][0]["utc_offset_min"], 420, "the offset taken is stored");
    assert!(plan["participants"].as_array().unwrap().iter().all(|p| p["admitted"] == true));
    // The same plan exported is of the new format: no warning any more.
    let csv = dir.path().join("back.csv");
    export(&hub, &csv);
    let o = check(&csv);
    assert!(o.status.success() && !stderr(&o).contains("предупреждение"), "{}", stderr(&o));
}

#[test]
fn an_old_plan_without_any_time_zone_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("plan-sample.csv")).unwrap();
    let no_offsets =
        text.replace("upload_deadline_after_end_min;utc_offset_min\n", "upload_deadline_after_end_min\n").replace(";60;30;60;420\n", ";60;30;60\n");
    assert_ne!(no_offsets, text);
    let o = check(&write(dir.path(), "moscow-by-mistake.csv", &no_offsets));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("moscow-by-mistake.csv: таблица exam_points, строка 8, столбец utc_offset_min: обязательное поле не заполнено: смещение местного времени ППЭ от UTC"),
        "{err}"
    );
    assert!(err.contains("1 ошибок ФЛК, ничего не записано"), "{err}");
}

#[test]
fn observers_admission_graduates_and_point_types_round_trip_through_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = imported_as_json(dir.path(), &fixture("plan-sample.csv"));
    plan["exam_points"][0]["point_type"] = "tom".into();
    let graduate = plan["participants"].as_array_mut().unwrap().iter_mut().find(|p| p["participant_id"] == "P0000007").unwrap();
    for (key, value) in [("category", "выпускник прошлых лет"), ("school_code", ""), ("school_name", ""), ("class", "")] {
        graduate[key] = value.into();
    }
    plan["participants"][1]["admitted"] = false.into();
    plan["workers"][0]["roles"] = serde_json::json!(["руководитель ППЭ", "медицинский работник"]);
    plan["observers"] = serde_json::json!([{
        "observer_id": "O1", "surname": "Орлова", "name": "Анна", "patronymic": "", "sex": "Ж", "birth_year": 1975,
        "phone": "+7 (913) 000-00-01", "email": "o1@example.ru", "doc_type": "passport_rf", "doc_series": "6901", "doc_number": "123456",
        "accrediting_body": "Министерство образования Томской области", "certificate_number": "ON-17"
    }]);
    plan["observer_assignments"] = serde_json::json!([{"observer_id": "O1", "ppe_code": "0101", "date": "2027.05.27"}]);
    let source = write(dir.path(), "new.json", &serde_json::to_string_pretty(&plan).unwrap());
    let reference = imported_as_json(dir.path(), &source);
    assert_eq!(reference["observers"][0]["certificate_number"], "ON-17");
    assert_eq!(reference["observer_assignments"][0]["date"], "2027.05.27");
    assert_eq!(reference["exam_points"][0]["point_type"], "tom");
    assert_eq!(reference["participants"][1]["admitted"], false);
    assert_eq!(reference["workers"][0]["roles"], serde_json::json!(["head", "medical"]), "Russian titles read as codes");
    let graduate = reference["participants"].as_array().unwrap().iter().find(|p| p["participant_id"] == "P0000007").unwrap();
    assert_eq!((graduate["school_code"].as_str(), graduate["category"].as_str()), (Some(""), Some("выпускник прошлых лет")));

    let hub = init_hub(&dir.path().join("hub-round"));
    assert!(import(&hub, &source).status.success());
    for ext in ["csv", "xlsx", "json"] {
        let out = dir.path().join(format!("export.{ext}"));
        export(&hub, &out);
        assert_eq!(imported_as_json(dir.path(), &out), reference, "round trip through .{ext}");
    }
    let csv = std::fs::read_to_string(dir.path().join("export.csv")).unwrap();
    assert!(csv.contains("#observers\n") && csv.contains("#observer_assignments\nobserver_id;ppe_code;date\nO1;0101;2027.05.27"), "{csv}");
}

#[test]
fn each_new_check_refuses_a_bad_file_naming_file_row_column_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let base = new_format_csv(dir.path());
    let o = check(&write(dir.path(), "good.csv", &base));
    assert!(o.status.success(), "the base passes: {}", stderr(&o));
    let with_registration = |text: &str, row: &str| text.replace("\n\n#workers", &format!("\n{row}\n\n#workers"));
    let cases: Vec<(&str, String, &[&str])> = vec![
        ("mixed", base.replace("Егоров", "Eгоров"), &["mixed.csv: таблица participants, строка ", ", столбец surname: слово «Eгоров» смешивает кириллицу и латиницу: латинские буквы «E» среди кириллицы"][..]),
        (
            "overlap",
            with_registration(&base.replace("oge-01;oge;9;01;Русский язык;2027.05.28", "oge-01;oge;9;01;Русский язык;2027.05.27"), "oge-01;P0000001;0101"),
            &["overlap.csv: таблица registrations, строка ", "столбец exam_id: участник «P0000001» уже зарегистрирован на экзамен ege-02", "в то же время: 2027.05.27 10:00–13:55 и 10:00–13:55"],
        ),
        (
            "two-points",
            base.replace("\n\n#auditoriums", "\n0102;Школа 2;с. Дальнее;7002;Район;ordinary;420\n\n#auditoriums")
                .replace("\n\n#observers", "\nW000006;0102;2027.05.27;нет\n\n#observers"),
            &["two-points.csv: таблица worker_assignments, строка ", "столбец ppe_code: работник «W000006» на 2027.05.27 уже назначен в ППЭ 0101"],
        ),
        (
            "no-seats",
            base.replace(";нет;;1;\n", ";да;;1;\n"),
            &["no-seats.csv: таблица exam_points, строка 8, столбец ppe_code: ППЭ 0101, 2027.05.27: участников 6 (экзамен ege-02), а мест в нерезервных аудиториях 0"],
        ),
        (
            "no-ovz-rooms",
            base.replace(";12;да;да;нет;нет;;1;\n", ";12;нет;да;нет;нет;;1;\n"),
            &["no-ovz-rooms.csv: таблица exam_points, строка 8, столбец ppe_code: ППЭ 0101, 2027.05.27: участников, которым нужна аудитория для ОВЗ,", "а мест в аудиториях для ОВЗ 0"],
        ),
        ("no-admission", edit_line(&base, "P0000001;", |l| l.trim_end_matches("да").to_string()), &["столбец admitted: обязательное поле не заполнено"][..]),
        (
            "no-school",
            edit_line(&base, "P0000001;", |l| l.replace(";7001001;МАОУ Лицей 1 г. Томск;", ";;;")),
            &["no-school.csv: таблица participants, строка ", "столбец school_code: обязательное поле не заполнено (без ОО — только выпускник прошлых лет, а категория «обучающийся»)"],
        ),
    ];
    for (name, text, expected) in cases {
        assert_ne!(text, base, "case {name} changes the file");
        let o = check(&write(dir.path(), &format!("{name}.csv"), &text));
        assert!(!o.status.success(), "{name} must be refused");
        let err = stderr(&o);
        assert!(err.contains("ничего не записано"), "{name}: {err}");
        for fragment in expected {
            assert!(err.contains(fragment), "{name}: missing {fragment:?} in:\n{err}");
        }
    }
}
