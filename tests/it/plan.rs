//! Plan import/export through the real binary: every format, Windows-1251, a workbook made by
//! openpyxl, round trips, and a bad file refused whole with every problem reported.

use std::path::Path;

use crate::common::*;

fn export(hub: &Path, out: &Path) {
    let o = ppe(&["hub", "export-plan", "--out", out.to_str().unwrap(), "--config", hub.to_str().unwrap()]);
    assert!(o.status.success(), "export {}: {}", out.display(), stderr(&o));
}

fn import(hub: &Path, file: &Path) -> std::process::Output {
    ppe(&["hub", "import-plan", file.to_str().unwrap(), "--config", hub.to_str().unwrap()])
}

/// Imports `file` into a fresh hub and returns the plan exported back as JSON text.
fn import_fresh_as_json(file: &Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let hub = init_hub(dir.path());
    let o = import(&hub, file);
    assert!(o.status.success(), "import {}: {}", file.display(), stderr(&o));
    let out = dir.path().join("back.json");
    export(&hub, &out);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn every_format_round_trips_to_the_same_plan() {
    let reference = import_fresh_as_json(&fixture("plan-sample.json"));
    assert!(reference.contains("Математика"), "sample has Cyrillic text");
    let dir = tempfile::tempdir().unwrap();
    let hub = init_hub(dir.path());
    assert!(import(&hub, &fixture("plan-sample.json")).status.success());
    for ext in ["csv", "xlsx", "json"] {
        let out = dir.path().join(format!("export.{ext}"));
        export(&hub, &out);
        assert_eq!(import_fresh_as_json(&out), reference, "round trip through .{ext}");
    }
}

#[test]
fn windows_1251_csv_imports_like_utf8() {
    let bytes = std::fs::read(fixture("plan-sample-cp1251.csv")).unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture really is Windows-1251");
    let o = ppe(&["hub", "import-plan", fixture("plan-sample-cp1251.csv").to_str().unwrap(), "--check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(import_fresh_as_json(&fixture("plan-sample-cp1251.csv")), import_fresh_as_json(&fixture("plan-sample.csv")));
}

#[test]
fn workbook_written_by_openpyxl_imports() {
    // openpyxl (Debian python3-openpyxl) writes numbers as numbers and dates as dates, as a
    // spreadsheet user would; the import must still give the same plan.
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("by-openpyxl.xlsx");
    let o = std::process::Command::new("/usr/bin/python3")
        .arg(fixture("csv_to_xlsx.py"))
        .arg(fixture("plan-sample.csv"))
        .arg(&xlsx)
        .output()
        .expect("run /usr/bin/python3 (install python3-openpyxl)");
    assert!(o.status.success(), "openpyxl: {}", stderr(&o));
    assert_eq!(import_fresh_as_json(&xlsx), import_fresh_as_json(&fixture("plan-sample.csv")));
    // The committed sample was made the same way.
    assert_eq!(import_fresh_as_json(&fixture("plan-sample.xlsx")), import_fresh_as_json(&fixture("plan-sample.csv")));
}

#[test]
fn bad_file_reports_every_kind_of_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let hub = init_hub(dir.path());
    assert!(import(&hub, &fixture("plan-sample.csv")).status.success());
    let before = dir.path().join("before.json");
    export(&hub, &before);

    let o = import(&hub, &fixture("plan-bad.csv"));
    assert!(!o.status.success());
    let err = stderr(&o);
    for expected in [
        "неверная контрольная сумма",
        "«31.02.2009» не является датой",
        "недопустимый символ «2»",
        "серия паспорта РФ «691»",
        "один человек дважды",
        "обязательное поле не заполнено",
        "неправдоподобен для ГИА-9",
        "недопустимый символ «№»",
        "«X»: недопустимое значение",
        "ППЭ «9999» нет в таблице exam_points",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(err.contains("plan-bad.csv") && err.contains("строка 18") && err.contains("столбец snils"), "{err}");
    assert!(err.contains("10 ошибок ФЛК, ничего не записано"), "{err}");

    let after = dir.path().join("after.json");
    export(&hub, &after);
    assert_eq!(std::fs::read(before).unwrap(), std::fs::read(after).unwrap(), "nothing written");
}

#[test]
fn malformed_inputs_never_panic_the_importers() {
    use ppe::plan::{parse_plan, PlanFormat};
    use rand::{Rng, SeedableRng};
    let mut corpus: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\xff\xfe\x00".to_vec(),
        b"#exams\n".to_vec(),
        b"#exams\nexam_id\n\"unterminated".to_vec(),
        b"{\"exams\": [1, 2]}".to_vec(),
        b"[]".to_vec(),
        b"{\"participants\": [{\"participant_id\": {\"x\": 1}}]}".to_vec(),
        b"PK\x03\x04garbage".to_vec(),
        "#exams\nexam_id;level\nЁ;99999999999999999999999\n".as_bytes().to_vec(),
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(805);
    for name in ["plan-sample.csv", "plan-sample.json", "plan-sample.xlsx", "plan-sample-cp1251.csv"] {
        let good = std::fs::read(fixture(name)).unwrap();
        for _ in 0..60 {
            let mut bad = good.clone();
            match rng.gen_range(0..3) {
                0 => bad.truncate(rng.gen_range(0..good.len())),
                1 => {
                    for _ in 0..rng.gen_range(1..8) {
                        let i = rng.gen_range(0..bad.len());
                        bad[i] = rng.gen();
                    }
                }
                _ => {
                    let i = rng.gen_range(0..bad.len());
                    let j = rng.gen_range(i..bad.len());
                    bad.drain(i..j);
                }
            }
            corpus.push(bad);
        }
    }
    for (i, bytes) in corpus.iter().enumerate() {
        for format in [PlanFormat::Csv, PlanFormat::Xlsx, PlanFormat::Json] {
            // Must return (Ok or a readable error), never panic.
            if let Err(e) = parse_plan(format, bytes, &format!("case-{i}")) {
                assert!(!e.to_string().is_empty());
            }
        }
    }
}
