//! The print run follows the exam's technology (issue 18 item 5): an ИС-9 exam's whole run
//! goes through a real cupsd with cups-pdf and holds exactly the forms of its technology's
//! profile (no written protocol, absence log or -МАШ summary), each whole and every page
//! carrying a sheet code that decodes (zbarimg) to the numbers the printed-forms record holds;
//! completeness asks for nothing it did not print. A КЕГЭ run prints ППЭ-13-03-К and
//! ППЭ-14-02-К in place of the written summary and materials record, with the room's
//! workstation numbers, its reserve ones and the day's move to a reserve workstation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{have, ppe as run, stderr, stdout, Cupsd};
use crate::formcheck::{assert_whole, text_layout};
use crate::upload::PPE;

/// Every page of `pdf` rendered at 150 dpi as a scanner would, each page's code read by
/// zbarimg and decoded with the box's key: (kind, number) per page.
fn codes_of(pdf: &Path, key: &ring::hmac::Key, exam: &str) -> Vec<(ppe::sheet_code::SheetKind, u32)> {
    let render = tempfile::tempdir().unwrap();
    let o = Command::new("pdftoppm").args(["-r", "150", "-gray", "-png"]).arg(pdf).arg(render.path().join("p")).output().unwrap();
    assert!(o.status.success(), "pdftoppm {}", pdf.display());
    let mut pages: Vec<PathBuf> = std::fs::read_dir(render.path()).unwrap().flatten().map(|e| e.path()).collect();
    pages.sort();
    pages
        .iter()
        .map(|page| {
            let o = Command::new("zbarimg").args(["--raw", "-q"]).arg(page).output().unwrap();
            let text = String::from_utf8_lossy(&o.stdout).to_string();
            let codes: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(codes.len(), 1, "{} page {}: one code, got {codes:?}", pdf.display(), page.display());
            let id = ppe::sheet_code::decode(codes[0], key).unwrap_or_else(|e| panic!("{}: {e}: {}", pdf.display(), codes[0]));
            assert_eq!(id.exam_id, exam, "{}", pdf.display());
            (id.kind, id.number)
        })
        .collect()
}

/// The printed-forms record: (form, auditorium) → the numbers its pages took.
fn printed_numbers(db: &ppe::store::Connection, exam: &str) -> BTreeMap<(String, Option<String>), Vec<u32>> {
    let mut out: BTreeMap<(String, Option<String>), Vec<u32>> = BTreeMap::new();
    for f in ppe::attendance::store::printed_forms(db, exam, PPE).unwrap() {
        out.entry((f.form, f.auditorium)).or_default().extend(f.numbers);
    }
    out
}

fn key_of(dir: &Path) -> ring::hmac::Key {
    ppe::sheet_code::sheet_key(&std::fs::read(dir.join("keys/signing.pk8")).unwrap())
}

#[test]
fn an_interview_run_through_cups_has_exactly_its_forms_each_whole_and_coded() {
    for p in ["pdftoppm", "zbarimg", "pdftotext"] {
        assert!(have(p), "{p} missing: run scripts/install-deps.sh");
    }
    let cups = Cupsd::start();
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("box");
    let (config, people) = crate::oral::interview_box(&dir);
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!("[printer]\nname = \"{}\"\ncups_uri = \"{}\"\n", cups.printer, cups.uri()));
    std::fs::write(&config, toml).unwrap();
    // The queues exist, so ИС-02 lists who answers where.
    let mut db = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let (exam, ppe_code) = (ppe::model::ExamId::new("is-9"), ppe::model::PpeCode::new(PPE));
    let request = ppe::oral::ops::ExamRequest { exam_id: &exam, ppe_code: &ppe_code, at: "2027-02-14T01:30:00Z", actor: "tech" };
    let turns = ppe::oral::ops::build(&mut db, &request).unwrap();

    let o = run(&["edge", "print", "--config", config.to_str().unwrap(), "--exam", "is-9", "--what", "all"]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let jobs = ppe::printing::store::print_jobs_for_exam(&db, "is-9").unwrap();
    assert!(jobs.iter().all(|j| j.state == ppe::printing::JobState::Completed), "{}", stdout(&o));
    let forms: BTreeSet<&str> = jobs.iter().map(|j| j.form.as_str()).filter(|f| !f.is_empty()).collect();
    let profile = ppe::model::Technology::OralInterview.profile();
    assert_eq!(
        forms,
        BTreeSet::from(["ИС-02", "ИС-03", "ППЭ-05-01", "ППЭ-06-01", "ППЭ-06-02", "ППЭ-07", "ППЭ-19"]),
        "ИС-9's run: its lists, its ведомость and protocols, the point forms that apply"
    );
    assert!(forms.iter().all(|f| profile.prints(f)), "nothing printed outside the profile's list");
    for written in ["ППЭ-05-02", "ППЭ-12-04-МАШ", "ППЭ-13-02-МАШ", "ППЭ-14-02", "ППЭ-11", "ППЭ-12-02"] {
        assert!(!forms.contains(written), "{written} is a written exam's form");
    }
    let per_room = |form: &str| jobs.iter().filter(|j| j.form == form).filter_map(|j| j.auditorium.clone()).collect::<BTreeSet<_>>();
    assert_eq!(per_room("ИС-02"), BTreeSet::from(["102".to_string(), "103".to_string()]), "one per conducting room");
    assert_eq!(per_room("ИС-03"), per_room("ИС-02"));

    // Every page of every job, as cups-pdf wrote it, carries its own code.
    let key = key_of(&dir);
    let numbers = printed_numbers(&db, "is-9");
    let mut kit_pages = 0;
    for job in &jobs {
        let codes = codes_of(&cups.output_of(job.cups_job_id.unwrap()), &key, "is-9");
        assert_eq!(codes.len() as u32, job.pages, "{}: a code on every page", job.document);
        if job.form.is_empty() {
            kit_pages += codes.len();
            assert!(codes.iter().all(|(kind, _)| *kind == ppe::sheet_code::SheetKind::Registration), "ИС-9's kit is its БР");
            continue;
        }
        let want = &numbers[&(job.form.clone(), job.auditorium.clone())];
        let got: Vec<u32> = codes.iter().map(|(_, n)| *n).collect();
        assert_eq!(&got, &want[..got.len()], "{}: the pages carry the numbers recorded for them", job.document);
        assert!(codes.iter().all(|(kind, _)| *kind == ppe::sheet_code::SheetKind::Statement));
    }
    assert_eq!(kit_pages, people.len(), "one БР per participant");

    // cups-pdf re-encodes the fonts, so the text is read from the same run written out: every
    // form whole, ИС-02 listing each room's queue.
    let out = t.path().join("out");
    let o = run(&["edge", "print", "--config", config.to_str().unwrap(), "--exam", "is-9", "--what", "all", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let plan = ppe::plan::store::load_plan(&db).unwrap();
    let name_of = |id: &str| plan.participants.iter().find(|p| p.participant_id == id).unwrap().surname.clone();
    for job in jobs.iter().filter(|j| !j.form.is_empty()) {
        let file = out.join(&job.document);
        let text = text_layout(&std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())));
        assert_whole(&text, &[job.form.as_str(), &format!("лист 1 из {}", job.pages)]);
        if job.form == "ИС-02" {
            let room = job.auditorium.as_deref().unwrap();
            let mut expected = vec![format!("Ведомость учёта проведения итогового собеседования в аудитории {room}")];
            expected.extend(turns.iter().filter(|t| t.auditorium == room).map(|t| name_of(&t.participant_id)));
            assert_whole(&text, &expected.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }

    // Completeness asks for what was printed, never for a form the technology does not print.
    let expected = ppe::attendance::ops::expected_sheets(&db, "is-9", PPE).unwrap();
    assert!(expected.unprinted_forms.is_empty(), "{:?}", expected.unprinted_forms);
    for f in &expected.forms {
        let required =
            ppe::attendance::expected::required_forms(plan.exams.iter().find(|e| e.exam_id == "is-9").unwrap()).iter().any(|r| r.form == f.form);
        assert_eq!(f.required, required, "{}: required as the table says", f.form);
    }
    assert!(expected.forms.iter().any(|f| f.form == "ИС-02" && f.required), "ИС-02 printed, so its scans are required");
}

#[test]
fn a_computer_exam_run_prints_its_summary_and_materials_record_with_workstations_and_the_move() {
    for p in ["pdftoppm", "zbarimg", "pdftotext"] {
        assert!(have(p), "{p} missing: run scripts/install-deps.sh");
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("box");
    let (config, _) = crate::recordings::oral_box(&dir, "http://127.0.0.1:9", &"00".repeat(32), 6);
    crate::recordings::set_up_box(&dir, crate::recordings::KEGE, "101", 6);
    let kege = crate::recordings::KEGE;
    let p = crate::recordings::ids(6);
    // Room 101 is 6 × 3: seats are workstations 1–18, the reserve ones 19 and 20.
    let o = crate::recordings::recordings(&config, &["move", "--exam", kege, "--participant", &p[1], "--to", "19", "--reason", "отказ станции № 2"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let out = t.path().join("out");
    let o = run(&["edge", "print", "--config", config.to_str().unwrap(), "--exam", kege, "--what", "all", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let files: BTreeSet<String> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    for f in ["ppe-13-03-k.pdf", "ppe-14-02-k.pdf", "ppe-05-02-101.pdf", "ppe-12-04-mash-101.pdf", "ppe-05-01-101.pdf", "kits-101.pdf"] {
        assert!(files.contains(f), "{f} missing in {files:?}");
    }
    for f in ["ppe-13-02-mash.pdf", "ppe-14-02.pdf"] {
        assert!(!files.contains(f), "{f}: КЕГЭ prints its own in its place ({files:?})");
    }

    let read = |name: &str| text_layout(&std::fs::read(out.join(name)).unwrap());
    let db = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let plan = ppe::plan::store::load_plan(&db).unwrap();
    let moved = plan.participants.iter().find(|x| x.participant_id == p[1]).unwrap();
    let moved_name = format!("{} {} {}", moved.surname, moved.name, moved.patronymic);
    let summary = read("ppe-13-03-k.pdf");
    assert_whole(&summary, &["ППЭ-13-03-К", "Номера рабочих станций", "1–6", "19–20", "Пересадки на резервные станции (1):", "отказ станции № 2"]);
    assert_whole(&summary, &[&format!("ауд. 101, {moved_name}: станция № 2 → резервная № 19")]);
    assert_whole(&read("ppe-14-02-k.pdf"), &["ППЭ-14-02-К", "Выдано бланков регистрации", "1–6", "19–20"]);
    // The auditorium list names each participant's workstation, the moved one's reserve one.
    let list = read("ppe-05-01-101.pdf");
    assert_whole(&list, &["ст.", "(была"]);
    let compact: String = list.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(compact.contains("ст. 1 (1А)") || compact.contains("ст. 1"), "{list}");
    assert!(compact.contains("была 2;"), "the moved participant's list line names the workstation they left:\n{list}");

    // Both КЕГЭ forms carry on every page the numbers recorded for them; completeness needs them.
    let key = key_of(&dir);
    let numbers = printed_numbers(&db, kege);
    for (file, form) in [("ppe-13-03-k.pdf", "ППЭ-13-03-К"), ("ppe-14-02-k.pdf", "ППЭ-14-02-К")] {
        let got: Vec<u32> = codes_of(&out.join(file), &key, kege).into_iter().map(|(_, n)| n).collect();
        let want = &numbers[&(form.to_string(), None)];
        assert_eq!(&got, &want[..got.len()], "{file}");
    }
    let expected = ppe::attendance::ops::expected_sheets(&db, kege, PPE).unwrap();
    assert!(expected.unprinted_forms.is_empty(), "{:?}", expected.unprinted_forms);
    let required: BTreeSet<&str> = expected.forms.iter().filter(|f| f.required).map(|f| f.form.as_str()).collect();
    for form in ["ППЭ-13-03-К", "ППЭ-14-02-К", "ППЭ-05-02", "ППЭ-12-04-МАШ"] {
        assert!(required.contains(form), "{form} printed and required: {required:?}");
    }
}
