//! Kits as data per exam, through the real binary: a base-maths exam (БР + БО № 1) and a
//! profile exam (БР + БО № 1 + БО № 2 л. 1, л. 2) at one box, their kits printed to PDF,
//! rendered as scans and taken back in; completeness asks each exam for its own kit's sheets
//! and nothing else. And a plan with a kit that is no kit is refused at import with its reason.

use std::path::{Path, PathBuf};

use ppe::sheet_code::SheetKind;

use crate::common::*;
use crate::printing::{pdf_text, render_kits_as_scans};

const PROFILE: &str = "ege-02";
const BASE: &str = "ege-base";

/// A box whose plan holds the demo's profile exam and a base-maths exam (subject 22, no `kit`
/// column: the default) for the same participants, both seated.
fn make_box(dir: &Path, participants: usize) -> (PathBuf, Vec<String>) {
    let config = crate::printing::make_box(dir, participants, None);
    let mut conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let mut plan = ppe::plan::store::load_plan(&conn).unwrap();
    let ppe_code = plan.exam_points[0].ppe_code.clone();
    let mut base = plan.exams.iter().find(|e| e.exam_id == PROFILE).cloned().unwrap();
    base.exam_id = BASE.into();
    base.subject_code = "22".into();
    base.subject_name = "Математика (базовый уровень)".into();
    assert!(base.kit.is_empty(), "the base-maths kit comes from the defaults");
    plan.exams.push(base);
    let again: Vec<_> =
        plan.registrations.iter().filter(|r| r.exam_id == PROFILE).map(|r| ppe::model::Registration { exam_id: BASE.into(), ..r.clone() }).collect();
    plan.registrations.extend(again);
    let seats = ppe::demo::print_fixtures::demo_seating(&plan, BASE, &ppe_code);
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan, "t", "test", "t").unwrap();
    ppe::seating::store::replace_seating(&tx, BASE, &ppe_code, &seats).unwrap();
    tx.commit().unwrap();
    (config, seats.iter().map(|s| s.participant_id.clone()).collect())
}

/// Prints the exam's kits to PDF and renders every page as a scanner would (150 dpi grey PNG,
/// one file per page, in print order).
fn print_and_render(dir: &Path, config: &Path, exam: &str) -> Vec<PathBuf> {
    let c = config.to_str().unwrap();
    let out = dir.join(format!("out-{exam}"));
    let o = ppe(&["edge", "print", "--config", c, "--exam", exam, "--what", "sheets", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let render = dir.join(format!("render-{exam}"));
    let rendered = render_kits_as_scans(&out, &render);
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&render).unwrap().flatten().map(|e| e.path()).collect();
    pages.sort();
    assert_eq!(pages.len(), rendered);
    pages
}

fn mark_present(config: &Path, exam: &str, participants: &[String]) {
    for p in participants {
        let o = ppe(&["edge", "attendance", "--config", config.to_str().unwrap(), "--exam", exam, "--participant", p, "--event", "present"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

fn scan(config: &Path, exam: &str, inbox: &Path) -> String {
    let o = ppe(&["edge", "scan", "--config", config.to_str().unwrap(), "--exam", exam, "--from", inbox.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    stdout(&o)
}

fn issued(dir: &Path, exam: &str) -> Vec<ppe::attendance::IssuedSheet> {
    let conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let ppe_code = ppe::seating::store::seat_assignments_for_exam(&conn, exam).unwrap()[0].ppe_code.clone();
    ppe::attendance::store::issued_sheets(&conn, exam, &ppe_code).unwrap()
}

#[test]
fn each_exam_prints_scans_and_completes_against_its_own_kit() {
    for p in ["pdftoppm", "pdftotext", "qpdf"] {
        assert!(have(p), "{p} missing: install poppler-utils (scripts/packages.txt)");
    }
    let t = tempfile::tempdir().unwrap();
    let (config, participants) = make_box(t.path(), 4);
    let n = participants.len();

    // Base maths: БР + БО № 1 per participant, no answer sheet № 2 anywhere.
    let pages = print_and_render(t.path(), &config, BASE);
    assert_eq!(pages.len(), 2 * n, "two pages per base-maths kit");
    let base_sheets = issued(t.path(), BASE);
    assert_eq!(base_sheets.len(), 2 * n);
    assert!(base_sheets.iter().all(|s| matches!(s.kind, SheetKind::Registration | SheetKind::Answers1)), "{base_sheets:?}");
    mark_present(&config, BASE, &participants);
    let inbox = t.path().join("inbox-base");
    std::fs::create_dir_all(&inbox).unwrap();
    for p in &pages {
        std::fs::copy(p, inbox.join(p.file_name().unwrap())).unwrap();
    }
    let out = scan(&config, BASE, &inbox);
    assert!(out.contains(&format!("принято страниц: {} (сопоставлено {}, ждут разбора 0", 2 * n, 2 * n)), "{out}");
    assert!(out.contains("комплектность: всё на месте"), "a base-maths kit is complete without answer sheet № 2: {out}");
    assert!(!out.contains("бланк ответов № 2"), "{out}");
    // Its forms name the kit and print «—» where an additional answer sheet № 2 cannot be.
    let forms = t.path().join("forms-base");
    let o = ppe(&["edge", "print", "--config", config.to_str().unwrap(), "--exam", BASE, "--what", "statements", "--out", forms.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = pdf_text(&forms.join("ppe-13-02-mash.pdf"));
    assert!(summary.contains("Индивидуальный комплект: БР, БО № 1") && !summary.contains("Индивидуальный комплект: БР, БО № 1,"), "{summary}");
    let total: Vec<&str> = summary.lines().find(|l| l.contains("Итого")).unwrap().split_whitespace().collect();
    assert_eq!(total.last(), Some(&"—"), "{summary}");
    assert_eq!(total[total.len() - 3], (2 * n).to_string(), "sheets issued: two per kit: {summary}");

    // Profile: four pages per kit; leave out the last page of the first kit (its БО № 2 л. 2).
    let pages = print_and_render(t.path(), &config, PROFILE);
    assert_eq!(pages.len(), 4 * n, "four pages per profile kit");
    mark_present(&config, PROFILE, &participants);
    let inbox = t.path().join("inbox-profile");
    std::fs::create_dir_all(&inbox).unwrap();
    for p in pages.iter().enumerate().filter(|(i, _)| *i != 3).map(|(_, p)| p) {
        std::fs::copy(p, inbox.join(p.file_name().unwrap())).unwrap();
    }
    let out = scan(&config, PROFILE, &inbox);
    assert!(out.contains(&format!("сопоставлено {}, ждут разбора 0", 4 * n - 1)), "{out}");
    assert!(!out.contains("всё на месте"), "{out}");
    let missing: Vec<&str> = out.lines().filter(|l| l.starts_with("нет скана")).collect();
    assert_eq!(missing.len(), 1, "{out}");
    // The one sheet not scanned is the second page of answer sheet № 2 of a participant's kit.
    let conn = ppe::store::open(&t.path().join("state/ppe.db")).unwrap();
    let scanned: Vec<u32> = ppe::scanning::store::pages_for_exam(&conn, PROFILE).unwrap().iter().filter_map(|p| p.sheet_number).collect();
    let profile_sheets = issued(t.path(), PROFILE);
    let left: Vec<_> = profile_sheets.iter().filter(|s| !scanned.contains(&s.number)).collect();
    assert_eq!(left.len(), 1);
    let owner = left[0].participant_id.clone().unwrap();
    let last_a2 = profile_sheets
        .iter()
        .filter(|s| s.participant_id.as_deref() == Some(owner.as_str()) && s.kind == SheetKind::Answers2)
        .map(|s| s.number)
        .max()
        .unwrap();
    assert_eq!((left[0].kind, left[0].number), (SheetKind::Answers2, last_a2));
    assert_eq!(missing[0], format!("нет скана: участник {owner}, бланк ответов № 2, лист 2 из 2 № {last_a2:07}"));

    // The page found later completes the profile exam.
    let late = t.path().join("inbox-late");
    std::fs::create_dir_all(&late).unwrap();
    std::fs::copy(&pages[3], late.join("late.png")).unwrap();
    assert!(scan(&config, PROFILE, &late).contains("комплектность: всё на месте"));
}

#[test]
fn a_kit_replacement_and_the_additional_sheet_follow_the_exams_kit() {
    let t = tempfile::tempdir().unwrap();
    let (config, participants) = make_box(t.path(), 2);
    let c = config.to_str().unwrap();
    let p = &participants[0];
    for exam in [BASE, PROFILE] {
        let o = ppe(&["edge", "attendance", "--config", c, "--exam", exam, "--issue-kits"]);
        assert!(o.status.success(), "{}", stderr(&o));
        mark_present(&config, exam, &participants[..1]);
        let o = ppe(&["edge", "attendance", "--config", c, "--exam", exam, "--participant", p, "--event", "kit_replaced", "--reason", "брак"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let new_sheets = stdout(&o).lines().filter(|l| l.starts_with("новый бланк")).count();
        assert_eq!(new_sheets, if exam == BASE { 2 } else { 4 }, "{exam}: the whole kit of this exam is replaced: {}", stdout(&o));
    }
    let mut conn = ppe::store::open(&t.path().join("state/ppe.db")).unwrap();
    let refused = ppe::attendance::ops::issue_additional(&mut conn, "2027-05-27T08:00:00Z", "t", BASE, p).unwrap_err();
    assert!(refused.to_string().contains("нет бланка ответов № 2, дополнительный бланк ответов № 2 не выдаётся"), "{refused:#}");
    let extra = ppe::attendance::ops::issue_additional(&mut conn, "2027-05-27T08:00:00Z", "t", PROFILE, p).unwrap();
    assert_eq!(extra.kind, SheetKind::Additional);
}

#[test]
fn a_plan_with_a_bad_kit_is_refused_at_import_with_its_reason() {
    let t = tempfile::tempdir().unwrap();
    let mut plan: serde_json::Value = serde_json::from_slice(&std::fs::read(fixture("plan-sample.json")).unwrap()).unwrap();
    let check = |plan: &serde_json::Value| {
        let file = t.path().join("plan.json");
        std::fs::write(&file, serde_json::to_vec_pretty(plan).unwrap()).unwrap();
        ppe(&["hub", "import-plan", file.to_str().unwrap(), "--check"])
    };
    plan["exams"][0]["kit"] = "R;A1".into();
    let o = check(&plan);
    assert!(o.status.success(), "a kit of known sheets passes: {}", stderr(&o));
    for (kit, reason) in [
        ("R;A1;Q", "неизвестный код бланка «Q»"),
        ("A1;A2", "нет бланка регистрации"),
        ("R;A1;D", "не входит в комплект"),
        ("R;A2;A1", "порядок бланков"),
    ] {
        plan["exams"][0]["kit"] = kit.into();
        let o = check(&plan);
        assert!(!o.status.success(), "{kit} must be refused");
        let err = format!("{}{}", stdout(&o), stderr(&o));
        assert!(err.contains(reason) && err.contains("kit"), "{kit}: {err}");
    }
}
