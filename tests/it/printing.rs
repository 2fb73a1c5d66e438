//! Printing through the real binary: a private cupsd with the cups-pdf printer (jobs go
//! through, a stopped printer is reported and reprinted, a run counts after confirmation),
//! and every code of a generated set read back by an independent decoder (zbarimg).

use std::path::{Path, PathBuf};
use std::process::Command;


use crate::common::*;

/// A box folder: ppe.toml, its signing key, a database with a demo plan and a seating.
fn make_box(dir: &Path, participants: usize, cups: Option<&Cupsd>) -> PathBuf {
    let plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants, ..Default::default() });
    let ppe_code = plan.exam_points[0].ppe_code.clone();
    let printer = cups.map(|c| format!("[printer]\nname = \"{}\"\ncups_uri = \"{}\"\n", c.printer, c.uri())).unwrap_or_default();
    std::fs::write(
        dir.join("ppe.toml"),
        format!(
            "ppe_code = \"{ppe_code}\"\nstate_dir = \"state\"\nrun_dir = \"run\"\n{printer}\n[hub]\nurl = \"https://127.0.0.1:1\"\nca_file = \"ca.pem\"\nsigning_public_key = \"00\"\n\n[keys]\nsigning_key_file = \"keys/signing.pk8\"\n"
        ),
    )
    .unwrap();
    ppe::keys::write_secret(&dir.join("keys/signing.pk8"), &ppe::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let mut conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let seats = ppe::printing::inputs::demo_seating(&plan, "ege-02", &ppe_code);
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan.for_exam_point(&ppe_code), "t", "test", "t").unwrap();
    ppe::seating::store::replace_seating(&tx, "ege-02", &ppe_code, &seats).unwrap();
    tx.commit().unwrap();
    dir.join("ppe.toml")
}

fn cups_job_of(stdout: &str, print_job: i64) -> i64 {
    let line = stdout.lines().find(|l| l.starts_with(&format!("задание {print_job}:"))).unwrap_or_else(|| panic!("no job {print_job} in {stdout}"));
    let after = line.split("CUPS ").nth(1).unwrap();
    after.split_whitespace().next().unwrap().parse().unwrap()
}

fn audit_actions(dir: &Path) -> Vec<String> {
    let conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    ppe::audit::store::all(&conn).unwrap().into_iter().map(|e| e.action).collect()
}

#[test]
fn job_goes_through_cups_pdf_and_counts_only_after_confirmation() {
    let cups = Cupsd::start();
    let dir = tempfile::tempdir().unwrap();
    let config = make_box(dir.path(), 16, Some(&cups));
    let config = config.to_str().unwrap();
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--what", "seating", "--auditorium", "101"]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("completed"), "{out}");
    let pdf = cups.output_of(cups_job_of(&out, 1));
    let check = Command::new("qpdf").arg("--check").arg(&pdf).output().unwrap();
    assert!(check.status.success(), "qpdf on cups-pdf output: {}", String::from_utf8_lossy(&check.stdout));
    // Left the queue is not printed: a reprint of a confirmed job is refused, confirming works once.
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--confirm", "1", "--by", "tech-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--reprint", "1"]);
    assert!(!o.status.success());
    let actions = audit_actions(dir.path());
    for a in ["print.submit", "print.state", "print.confirm"] {
        assert!(actions.iter().any(|x| x == a), "{a} missing in {actions:?}");
    }
}

#[test]
fn job_to_stopped_printer_is_reported_failed_and_reprinted() {
    let cups = Cupsd::start();
    let dir = tempfile::tempdir().unwrap();
    let config = make_box(dir.path(), 16, Some(&cups));
    let config = config.to_str().unwrap();
    cups.admin("cupsdisable");
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--what", "seating", "--auditorium", "101", "--wait-secs", "3"]);
    assert!(!o.status.success(), "a stopped printer must fail the run: {}", stdout(&o));
    assert!(stdout(&o).contains("stopped"), "{}", stdout(&o));
    assert!(stderr(&o).contains("--reprint"), "{}", stderr(&o));
    let first_cups_job = cups_job_of(&stdout(&o), 1);
    // A failed job cannot be confirmed as received.
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--confirm", "1"]);
    assert!(!o.status.success());
    cups.admin("cupsenable");
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--reprint", "1"]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let second_cups_job = cups_job_of(&stdout(&o), 2);
    assert_ne!(first_cups_job, second_cups_job);
    cups.output_of(second_cups_job);
    // The stuck job was cancelled, so it never comes out beside its reprint.
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--status"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let status = stdout(&o);
    assert!(status.lines().any(|l| l.starts_with("задание 1:") && l.contains("canceled")), "{status}");
    assert!(status.lines().any(|l| l.starts_with("задание 2:") && l.contains("completed")), "{status}");
}

#[test]
fn every_code_on_every_page_decodes_with_zbarimg_to_its_sheet() {
    for p in ["pdftoppm", "zbarimg", "qpdf"] {
        assert!(have(p), "{p} missing: run scripts/install-deps.sh");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = make_box(dir.path(), 16, None);
    let out = dir.path().join("out");
    let o = ppe(&["edge", "print", "--config", config.to_str().unwrap(), "--exam", "ege-02", "--what", "all", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let key = ppe::sheet_code::sheet_key(&std::fs::read(dir.path().join("keys/signing.pk8")).unwrap());
    let conn = ppe::store::open(&dir.path().join("state/ppe.db")).unwrap();
    let seats = ppe::seating::store::seat_assignments_for_exam(&conn, "ege-02").unwrap();
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.path()).collect();
    pdfs.sort();
    assert!(pdfs.len() >= 10, "{pdfs:?}");
    let mut decoded_total = 0;
    for pdf in &pdfs {
        let check = Command::new("qpdf").arg("--check").arg(pdf).output().unwrap();
        assert!(check.status.success(), "qpdf --check {}: {}", pdf.display(), String::from_utf8_lossy(&check.stdout));
        let name = pdf.file_name().unwrap().to_string_lossy().to_string();
        let expected: Vec<(ppe::sheet_code::SheetKind, u32)> = if let Some(a) = name.strip_prefix("kits-").and_then(|n| n.strip_suffix(".pdf")) {
            {
                // Kits carry attendance's issued sheets (one source of sheet numbers).
                let issued = ppe::attendance::store::issued_sheets(&conn, "ege-02", &seats[0].ppe_code).unwrap();
                seats
                    .iter()
                    .filter(|s| s.auditorium == a)
                    .flat_map(|s| issued.iter().filter(|i| !i.voided && i.participant_id.as_deref() == Some(s.participant_id.as_str())).map(|i| (i.kind, i.number)).collect::<Vec<_>>())
                    .collect()
            }
        } else if name.contains("mash") {
            let holder = match name.as_str() {
                "ppe-13-02-mash.pdf" => "statement:ППЭ-13-02-МАШ".to_string(),
                "ppe-18-mash.pdf" => "statement:ППЭ-18-МАШ".to_string(),
                n => format!("statement:ППЭ-12-04-МАШ:{}", n.trim_start_matches("ppe-12-04-mash-").trim_end_matches(".pdf")),
            };
            let numbers = ppe::printing::store::kit_sheets_get(&conn, "ege-02", &holder).unwrap();
            assert!(!numbers.is_empty(), "no numbers for {holder}");
            let pages = page_count(pdf);
            numbers.into_iter().take(pages).collect()
        } else {
            continue;
        };
        let render = dir.path().join("render");
        let _ = std::fs::remove_dir_all(&render);
        std::fs::create_dir_all(&render).unwrap();
        let o = Command::new("pdftoppm").args(["-r", "300", "-gray", "-png"]).arg(pdf).arg(render.join("p")).output().unwrap();
        assert!(o.status.success(), "pdftoppm {}", pdf.display());
        let mut pages: Vec<PathBuf> = std::fs::read_dir(&render).unwrap().flatten().map(|e| e.path()).collect();
        pages.sort();
        assert_eq!(pages.len(), expected.len(), "{name}: pages vs expected sheets");
        for (page, (kind, number)) in pages.iter().zip(&expected) {
            let o = Command::new("zbarimg").args(["--raw", "-q"]).arg(page).output().unwrap();
            let text = String::from_utf8_lossy(&o.stdout);
            let codes: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(codes.len(), 1, "{name} {}: {codes:?}", page.display());
            let id = ppe::sheet_code::decode(codes[0], &key).unwrap_or_else(|e| panic!("{name}: {e}: {}", codes[0]));
            assert_eq!((id.kind, id.number, id.exam_id.as_str()), (*kind, *number, "ege-02"), "{name} {}", page.display());
            decoded_total += 1;
        }
    }
    assert!(decoded_total >= 20, "decoded only {decoded_total} codes");
}

fn page_count(pdf: &Path) -> usize {
    let o = Command::new("qpdf").arg("--show-npages").arg(pdf).output().unwrap();
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}
