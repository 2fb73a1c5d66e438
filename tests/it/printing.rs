//! Printing through the real binary: a private cupsd with the cups-pdf printer (jobs go
//! through, a stopped printer is reported and reprinted, a run counts after confirmation),
//! and every code of a generated set read back by an independent decoder (zbarimg).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// A box folder: ppe.toml, its signing key, a database with a demo plan and a seating.
pub(crate) fn make_box(dir: &Path, participants: usize, cups: Option<&Cupsd>) -> PathBuf {
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
    let seats = ppe::demo::print_fixtures::demo_seating(&plan, "ege-02", &ppe_code);
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan.for_exam_point(&ppe_code), "t", "test", "t").unwrap();
    ppe::seating::store::replace_seating(&tx, "ege-02", &ppe_code, &seats).unwrap();
    tx.commit().unwrap();
    crate::common::plant_organizers_seed(&mut conn, "ege-02", &ppe_code, 7);
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
    // Left the queue is not printed: CUPS says completed, yet the box does not count the run.
    let ppe_code = ppe::plan::store::load_plan(&db(dir.path())).unwrap().exam_points[0].ppe_code.clone();
    let printed = || ppe::day::gather_box_numbers(&db(dir.path()), "ege-02", &ppe_code).unwrap().materials.printed;
    let job = || ppe::printing::store::print_job_get(&db(dir.path()), 1).unwrap().unwrap();
    assert_eq!((job().state, job().confirmed_by), (ppe::printing::JobState::Completed, None));
    assert!(!printed(), "a completed job counts only after a person confirms it");
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--confirm", "1", "--by", "tech-1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("подтверждено как полученное"), "{}", stdout(&o));
    assert_eq!((job().state, job().confirmed_by.as_deref()), (ppe::printing::JobState::Confirmed, Some("tech-1")));
    assert!(printed(), "confirmed: now it counts");
    // Confirming works once: a second confirmation changes nothing and is not audited again.
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--confirm", "1", "--by", "tech-2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("уже подтверждено"), "{}", stdout(&o));
    assert_eq!(job().confirmed_by.as_deref(), Some("tech-1"), "the first confirmation stands");
    // A reprint of a confirmed job is refused.
    let o = ppe(&["edge", "print", "--config", config, "--exam", "ege-02", "--reprint", "1"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("перепечатывать нечего"), "{}", stderr(&o));
    let actions = audit_actions(dir.path());
    for a in ["print.submit", "print.state", "print.confirm"] {
        assert!(actions.iter().any(|x| x == a), "{a} missing in {actions:?}");
    }
    assert_eq!(actions.iter().filter(|x| *x == "print.confirm").count(), 1, "confirmed once: {actions:?}");
}

fn db(dir: &Path) -> ppe::store::Connection {
    ppe::store::open(&dir.join("state/ppe.db")).unwrap()
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
                    .flat_map(|s| {
                        issued
                            .iter()
                            .filter(|i| !i.voided && i.participant_id.as_deref() == Some(s.participant_id.as_str()))
                            .map(|i| (i.kind, i.number))
                            .collect::<Vec<_>>()
                    })
                    .collect()
            }
        } else if name.contains("mash") {
            let holder = match name.as_str() {
                "ppe-13-02-mash.pdf" => "form:ППЭ-13-02-МАШ".to_string(),
                "ppe-18-mash.pdf" => "form:ППЭ-18-МАШ".to_string(),
                n => format!("form:ППЭ-12-04-МАШ:{}", n.trim_start_matches("ppe-12-04-mash-").trim_end_matches(".pdf")),
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

/// The printed kits, rendered as a scanner would deliver them (150 dpi greyscale PNG from the
/// very PDFs that went to the printer), dropped into the inbox: every page is matched to the
/// sheet attendance issued and to its participant.
#[test]
fn printed_kits_rendered_as_scans_go_through_the_inbox_all_matched() {
    let dir = tempfile::tempdir().unwrap();
    let config = make_box(dir.path(), 12, None);
    let c = config.to_str().unwrap();
    let out = dir.path().join("out");
    let o = ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--what", "sheets", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let inbox = dir.path().join("inbox");
    let rendered = render_kits_as_scans(&out, &inbox);
    let o = ppe(&["edge", "scan", "--config", c, "--exam", "ege-02", "--from", inbox.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains(&format!("принято страниц: {rendered} (сопоставлено {rendered}, ждут разбора 0")), "{}", stdout(&o));
    let conn = ppe::store::open(&dir.path().join("state/ppe.db")).unwrap();
    let ppe_code = ppe::seating::store::seat_assignments_for_exam(&conn, "ege-02").unwrap()[0].ppe_code.clone();
    let issued = ppe::attendance::store::issued_sheets(&conn, "ege-02", &ppe_code).unwrap();
    let pages = ppe::scanning::store::pages_for_exam(&conn, "ege-02").unwrap();
    assert_eq!(pages.len(), rendered);
    for p in &pages {
        let number = p.sheet_number.expect("matched to a sheet number");
        let sheet = issued.iter().find(|s| s.number == number && !s.voided).unwrap_or_else(|| panic!("sheet {number} was not issued"));
        assert_eq!(p.participant_id, sheet.participant_id, "sheet {number} belongs to its participant");
    }
    // Every issued sheet came back exactly once.
    let mut numbers: Vec<u32> = pages.iter().filter_map(|p| p.sheet_number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), issued.iter().filter(|s| !s.voided).count());
}

/// Renders the printed kits (`kits-*.pdf` in `out`) as a scanner would deliver them, 150 dpi
/// greyscale PNG, one file per page named in print order, into `into`; returns the pages.
pub(crate) fn render_kits_as_scans(out: &Path, into: &Path) -> usize {
    std::fs::create_dir_all(into).unwrap();
    let mut kits: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("kits-"))
        .collect();
    kits.sort();
    assert!(!kits.is_empty(), "no kits printed in {}", out.display());
    let mut rendered = 0;
    for (i, pdf) in kits.iter().enumerate() {
        let o = Command::new("pdftoppm").args(["-r", "150", "-gray", "-png"]).arg(pdf).arg(into.join(format!("scan{i:02}"))).output().unwrap();
        assert!(o.status.success(), "pdftoppm {}", pdf.display());
        rendered += page_count(pdf);
    }
    rendered
}

fn page_count(pdf: &Path) -> usize {
    let o = Command::new("qpdf").arg("--show-npages").arg(pdf).output().unwrap();
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

/// `pdftotext -layout` of a PDF.
pub(crate) fn pdf_text(pdf: &Path) -> String {
    let o = Command::new("pdftotext").args(["-layout"]).arg(pdf).arg("-").output().unwrap();
    assert!(o.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// The line of a table that holds `needle` (a document number or an auditorium), as tokens.
fn row_tokens(text: &str, needle: &str) -> Vec<String> {
    let line = text.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"));
    line.split_whitespace().map(str::to_string).collect()
}

/// A box after an exam day played through the stores: kits issued, attendance with a late
/// arrival, an absence, a leave and return, a kit replacement, a removal, an early finish, a
/// worker replaced from the reserve and a kit issued at the staff room desk.
pub(crate) struct PlayedDay {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) config: PathBuf,
    pub(crate) seats: Vec<ppe::model::SeatAssignment>,
    plan: ppe::model::Plan,
    gek_worker: String,
    replaced: (String, String),
}

impl PlayedDay {
    fn person(&self, i: usize) -> &ppe::model::Participant {
        self.plan.participants.iter().find(|p| p.participant_id == self.seats[i].participant_id).unwrap()
    }
    fn worker_surname(&self, id: &str) -> String {
        self.plan.workers.iter().find(|w| w.worker_id == id).unwrap().surname.clone()
    }
    pub(crate) fn db(&self) -> ppe::store::Connection {
        ppe::store::open(&self.dir.path().join("state/ppe.db")).unwrap()
    }
}

pub(crate) fn play_day() -> PlayedDay {
    use ppe::attendance::{ops, EventKind, ExamEvent};
    let dir = tempfile::tempdir().unwrap();
    let config = make_box(dir.path(), 40, None);
    let c = config.to_str().unwrap();
    let mut conn = ppe::store::open(&dir.path().join("state/ppe.db")).unwrap();
    let plan = ppe::plan::store::load_plan(&conn).unwrap();
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").unwrap().clone();
    let seats = ppe::seating::store::seat_assignments_for_exam(&conn, "ege-02").unwrap();
    let ppe_code = seats[0].ppe_code.clone();
    assert!(seats.len() >= 8, "{} seats", seats.len());
    // The roster and one replacement from the reserve, through the CLI. The organizers' order
    // comes from РЦОИ's organizers' seed, which the fixture box holds (make_box).
    let run = ppe::seating::Seating {
        held: Vec::new(),
        exam_id: "ege-02".into(),
        ppe_code: ppe_code.clone(),
        seed: 1,
        input_hash: String::new(),
        seats: Vec::new(),
        rooms_used: Vec::new(),
        same_school_pairs: 0,
        same_school_lower_bound: 0,
    };
    let tx = conn.transaction().unwrap();
    ppe::seating::store::seating_run_insert(&tx, &run, "2027-05-26T00:00:00Z", "test").unwrap();
    tx.commit().unwrap();
    let _ = ppe(&["edge", "roster", "--config", c, "--exam", "ege-02"]);
    let roster = ppe::roster::store::roster_get(&conn, "ege-02", &ppe_code).unwrap();
    let absent_worker = roster
        .iter()
        .map(|e| e.worker_id.clone())
        .find(|w| ppe(&["edge", "roster", "--config", c, "--exam", "ege-02", "--replace", w, "--reason", "болезнь", "--by", "head"]).status.success())
        .expect("a post with someone in the reserve to replace it");
    let replacement = ppe::roster::store::replacements(&conn, "ege-02").unwrap()[0].replacement_worker_id.clone();
    let gek_worker = plan.workers.iter().find(|w| w.roles.contains(&ppe::model::WorkerRole::GekMember)).expect("a ГЭК member").worker_id.clone();
    let start = exam.start_utc().unwrap();
    let at = |m: i64| (start + chrono::Duration::minutes(m)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let now = at(0);
    ops::issue_kits(&mut conn, &now, "tech", "ege-02", &ppe_code).unwrap();
    let medical = plan.workers.iter().find(|w| w.roles.contains(&ppe::model::WorkerRole::Medical)).expect("a medical worker").worker_id.clone();
    let event = |i: usize, kind: EventKind, m, reason: &str, gek: &str| ExamEvent {
        medical_worker_id: if kind == EventKind::FinishedEarly { medical.clone() } else { String::new() },
        exam_id: "ege-02".into(),
        participant_id: seats[i].participant_id.clone(),
        kind,
        at: at(m),
        reason: reason.into(),
        gek_worker_id: gek.into(),
        actor: "organizer".into(),
    };
    for i in 0..seats.len() {
        let kind = match i {
            4 => EventKind::Late,
            5 => EventKind::Absent,
            _ => EventKind::Present,
        };
        ops::record(&mut conn, &now, event(i, kind, if i == 4 { 12 } else { 0 }, "", "")).unwrap();
    }
    ops::record(&mut conn, &now, event(0, EventKind::FinishedEarly, 135, "плохое самочувствие, подтверждено врачом", &gek_worker)).unwrap();
    ops::record(&mut conn, &now, event(1, EventKind::Removed, 95, "использование мобильного телефона", &gek_worker)).unwrap();
    ops::record(&mut conn, &now, event(2, EventKind::Left, 60, "медпункт", "")).unwrap();
    ops::record(&mut conn, &now, event(2, EventKind::Returned, 67, "", "")).unwrap();
    ops::record(&mut conn, &now, event(3, EventKind::KitReplaced, 20, "типографский брак", "")).unwrap();
    // The staff room desk hands seat 6's kit to its auditorium (two sheets of one kit).
    let key = ppe::sheet_code::sheet_key(&std::fs::read(dir.path().join("keys/signing.pk8")).unwrap());
    let desk = ppe::serial::DeskSelection {
        exam_id: "ege-02".into(),
        auditorium: seats[6].auditorium.clone(),
        direction: ppe::serial::Direction::Issue,
        actor: "tech".into(),
    };
    let clock = ppe::clock::Clock::simulated(start - chrono::Duration::minutes(20), 1.0);
    let issued = ppe::attendance::store::issued_sheets(&conn, "ege-02", &ppe_code).unwrap();
    for s in issued.iter().filter(|s| s.participant_id.as_deref() == Some(seats[6].participant_id.as_str())).take(2) {
        let code = ppe::sheet_code::encode(
            &ppe::sheet_code::SheetId { exam_id: "ege-02".into(), ppe_code: ppe_code.clone(), kind: s.kind, number: s.number },
            &key,
        );
        ppe::serial::record_scan(&mut conn, &clock, &ppe_code, &key, &desk, &code).unwrap();
    }
    PlayedDay { dir, config, seats, plan, gek_worker, replaced: (absent_worker, replacement) }
}

#[test]
fn statements_after_a_played_day_show_names_times_reasons_and_counts() {
    assert!(have("pdftotext"), "pdftotext missing: run scripts/install-deps.sh (poppler-utils)");
    let day = play_day();
    let c = day.config.to_str().unwrap();
    let out = day.dir.path().join("out");
    let o = ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--what", "statements", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let seat = |i: usize| &day.seats[i];
    let room = |i: usize| seat(i).auditorium.clone();

    // ППЭ-05-02: status, late time (10:00 local start + 12 min), removed, early, sheets.
    let protocol = pdf_text(&out.join(format!("ppe-05-02-{}.pdf", room(0))));
    let doc = |i: usize| day.person(i).document();
    assert!(protocol.contains(&day.person(0).surname), "{protocol}");
    let late = row_tokens(&protocol, &doc(4));
    assert!(late.contains(&"явился".to_string()) && late.contains(&"10:12".to_string()), "{late:?}");
    assert!(row_tokens(&protocol, &doc(5)).contains(&"не".to_string()), "absent: {protocol}");
    assert!(row_tokens(&protocol, &doc(1)).contains(&"да".to_string()), "removed: {protocol}");
    let replaced = row_tokens(&protocol, &doc(3));
    assert_eq!(
        replaced[replaced.len() - 3..],
        ["8".to_string(), "1".to_string(), "0".to_string()],
        "two kits issued, one replacement, no ДБО № 2: {replaced:?}"
    );
    assert!(protocol.contains("Индивидуальный комплект: БР, БО № 1, БО № 2 (2 л.)"), "{protocol}");
    // The replacement names the voided kit's numbers and the new ones.
    let issued = ppe::attendance::store::issued_sheets(&day.db(), "ege-02", &seat(3).ppe_code).unwrap();
    let of_3 = |voided: bool| {
        issued
            .iter()
            .filter(|s| s.participant_id.as_deref() == Some(seat(3).participant_id.as_str()) && s.voided == voided)
            .map(|s| s.number)
            .collect::<Vec<_>>()
    };
    let (old, new) = (of_3(true), of_3(false));
    assert_eq!((old.len(), new.len()), (4, 4));
    let note = format!("испорчены № {:07}–{:07}; выданы № {:07}–{:07}", old[0], old[3], new[0], new[3]);
    assert!(protocol.contains(&note), "{note} not in {protocol}");
    assert!(protocol.contains(&format!("Замена комплекта в 10:20, место {}", seat(3).seat_label())), "{protocol}");

    // ППЭ-12-04-МАШ: the leave and the return with local times and where to.
    let absences = pdf_text(&out.join(format!("ppe-12-04-mash-{}.pdf", room(2))));
    // A row of the machine-read log is several lines tall (name, where to, the times recorded).
    let at = absences.lines().position(|l| l.contains(&day.person(2).surname)).expect("the row of seat 2");
    let row = absences.lines().skip(at.saturating_sub(1)).take(9).collect::<Vec<_>>().join(" ");
    for want in ["11:00", "11:07", "медпункт", &seat(2).seat_label()] {
        assert!(row.contains(want), "{want} not in {row:?}");
    }

    // ППЭ-13-02-МАШ: totals from attendance (planned, sat, absent, removed, early, sheets, spoiled).
    let summary = pdf_text(&out.join("ppe-13-02-mash.pdf"));
    let n = day.seats.len();
    let total = row_tokens(&summary, "Итого");
    let want: Vec<String> = [
        "Итого".to_string(),
        n.to_string(),
        (n - 1).to_string(),
        "1".into(),
        "1".into(),
        "1".into(),
        (n * 4 + 4).to_string(),
        "4".into(),
        "0".into(),
    ]
    .to_vec();
    assert_eq!(total, want, "{summary}");

    // ППЭ-14-02: one kit (two of its sheets) issued at 09:40 local to seat 6's auditorium.
    let materials = pdf_text(&out.join("ppe-14-02.pdf"));
    let row = row_tokens(&materials, &format!(" {} ", room(6)));
    assert_eq!(row[..4], [room(6), "1".into(), "2".into(), "09:40".into()], "{materials}");

    // ППЭ-19: who was replaced by whom, and why.
    let replacements = pdf_text(&out.join("ppe-19.pdf"));
    for want in [day.worker_surname(&day.replaced.0), day.worker_surname(&day.replaced.1), "болезнь".into()] {
        assert!(replacements.contains(&want), "{want} not in {replacements}");
    }

    // ППЭ-21 and ППЭ-22 from the events: person, time, reason, the ГЭК member, the kit.
    let removal = pdf_text(&out.join(format!("ppe-21-{}.pdf", seat(1).participant_id)));
    for want in [day.person(1).surname.clone(), "11:35".into(), "использование мобильного телефона".into(), day.worker_surname(&day.gek_worker)]
    {
        assert!(removal.contains(&want), "{want} not in {removal}");
    }
    let early = pdf_text(&out.join(format!("ppe-22-{}.pdf", seat(0).participant_id)));
    for want in [day.person(0).surname.as_str(), "12:15", "плохое самочувствие"] {
        assert!(early.contains(want), "{want} not in {early}");
    }
    assert!(!out.join(format!("ppe-21-{}.pdf", seat(0).participant_id)).exists(), "an early finish is not a removal");

    // One act on its own, for the button after a removal; none for a participant without one.
    let acts = day.dir.path().join("acts");
    let o = ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--act-for", &seat(1).participant_id, "--out", acts.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(pdf_text(&acts.join(format!("ppe-21-{}.pdf", seat(1).participant_id))).contains("Акт об удалении"));
    let o = ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--act-for", &seat(6).participant_id, "--out", acts.to_str().unwrap()]);
    assert!(!o.status.success(), "no event, no act: {}", stdout(&o));
}

#[test]
fn printed_forms_are_required_by_completeness_until_scanned() {
    use ppe::sheet_code::{encode, SheetId, SheetKind};
    let day = play_day();
    let c = day.config.to_str().unwrap();
    let out = day.dir.path().join("out");
    for what in ["seating", "statements"] {
        let o = ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--what", what, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    }
    let conn = day.db();
    let ppe_code = day.seats[0].ppe_code.clone();
    let expected = ppe::attendance::ops::expected_sheets(&conn, "ege-02", &ppe_code).unwrap();
    // Every printed form is recorded with its copy and pages; the exam's table says which the
    // scans must bring back (the acts of the day's removal and early finish among them).
    let required: Vec<&str> = expected.forms.iter().filter(|f| f.required).map(|f| f.form.as_str()).collect();
    for form in ["ППЭ-05-02", "ППЭ-12-04-МАШ", "ППЭ-13-02-МАШ", "ППЭ-14-02", "ППЭ-07", "ППЭ-21", "ППЭ-22"] {
        assert!(required.contains(&form), "{form} not required: {required:?}");
    }
    for form in ["ППЭ-05-01", "ППЭ-06-02", "ППЭ-19"] {
        assert!(expected.forms.iter().any(|f| f.form == form) && !required.contains(&form), "{form} is printed with codes but not required");
    }
    assert!(expected.unprinted_forms.is_empty(), "{:?}", expected.unprinted_forms);
    let mut printed: Vec<u32> = expected.forms.iter().filter(|f| f.required).flat_map(|f| f.numbers.clone()).collect();
    printed.sort_unstable();
    assert_eq!(expected.required_statements, printed);
    let protocol = expected.forms.iter().find(|f| f.form == "ППЭ-05-02").unwrap();
    let file = format!("ppe-05-02-{}.pdf", protocol.auditorium.as_deref().unwrap());
    assert_eq!(protocol.numbers.len(), page_count(&out.join(file)), "one number per printed page");

    // Scan only the kits of those who sat: completeness names every form page missing.
    let key = ppe::sheet_code::sheet_key(&std::fs::read(day.dir.path().join("keys/signing.pk8")).unwrap());
    let page = |kind, number: u32| {
        ppe::demo::autopilot::render_scanned_page(&encode(&SheetId { exam_id: "ege-02".into(), ppe_code: ppe_code.clone(), kind, number }, &key))
            .unwrap()
    };
    let kits = day.dir.path().join("scan-kits");
    std::fs::create_dir_all(&kits).unwrap();
    for p in expected.participants.iter().filter(|p| p.present) {
        for s in &p.sheets {
            std::fs::write(kits.join(format!("{:07}.png", s.number)), page(s.kind, s.number)).unwrap();
        }
    }
    let o = ppe(&["edge", "scan", "--config", c, "--exam", "ege-02", "--from", kits.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let report = stdout(&o);
    for n in &printed {
        let place = expected.form_page(*n).unwrap().place_ru();
        assert!(report.contains(&format!("нет скана {place} (№ {n:07})")), "{place} not reported missing:\n{report}");
    }
    assert!(!report.contains("всё на месте"), "{report}");
    let statements = day.dir.path().join("scan-statements");
    std::fs::create_dir_all(&statements).unwrap();
    let all: Vec<u32> = expected.forms.iter().flat_map(|f| f.numbers.clone()).collect();
    for n in &all {
        std::fs::write(statements.join(format!("s{n:07}.png")), page(SheetKind::Statement, *n)).unwrap();
    }
    let o = ppe(&["edge", "scan", "--config", c, "--exam", "ege-02", "--from", statements.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    // The optional forms' pages (the observer's act, the lists) are matched, not left for a person.
    assert!(stdout(&o).contains(&format!("принято страниц: {} (сопоставлено {}, ждут разбора 0", all.len(), all.len())), "{}", stdout(&o));
    assert!(stdout(&o).contains("комплектность: всё на месте"), "{}", stdout(&o));
}

#[test]
fn machine_read_statement_records_travel_in_the_signed_bundle_to_the_hub() {
    let t = tempfile::tempdir().unwrap();
    let hub = crate::upload::start_hub(&t.path().join("hub"));
    let day = play_day();
    let c = day.config.to_str().unwrap();
    let ppe_code = day.seats[0].ppe_code.clone();
    let toml = std::fs::read_to_string(&day.config)
        .unwrap()
        .replace("https://127.0.0.1:1", &hub.url)
        .replace("signing_public_key = \"00\"", &format!("signing_public_key = \"{}\"", hub.hub_public_hex));
    std::fs::write(&day.config, toml).unwrap();
    let der = std::fs::read(day.dir.path().join("keys/signing.pk8")).unwrap();
    hub.register_box(&ppe_code, &ppe::keys::ed25519_public_hex(&ppe::keys::ed25519_from_pkcs8(&der).unwrap()));
    hub.import_plan(&day.plan);
    let out = day.dir.path().join("out");
    let o = ppe(&["edge", "print", "--config", c, "--exam", "ege-02", "--what", "statements", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    // An absence after the print: the records sent are the day's, not the last printed ones.
    let start = day.plan.exams.iter().find(|e| e.exam_id == "ege-02").unwrap().start_utc().unwrap();
    let at = |m: i64| (start + chrono::Duration::minutes(m)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for (kind, m) in [(ppe::attendance::EventKind::Left, 150), (ppe::attendance::EventKind::Returned, 155)] {
        let e = ppe::attendance::ExamEvent {
            medical_worker_id: String::new(),
            exam_id: "ege-02".into(),
            participant_id: day.seats[7].participant_id.clone(),
            kind,
            at: at(m),
            reason: "медпункт".into(),
            gek_worker_id: String::new(),
            actor: "organizer".into(),
        };
        ppe::attendance::ops::record(&mut day.db(), &at(m), e).unwrap();
    }
    let o = ppe(&["edge", "upload", "--config", c, "--exam", "ege-02"]);
    assert!(o.status.success(), "upload: {}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("квитанция РЦОИ получена"), "{}", stdout(&o));

    let bundle = day.dir.path().join("state/bundles/ege-02");
    let signed: ppe::upload::SignedManifest = serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    let records: Vec<_> = signed.manifest.files.iter().filter(|f| f.kind == ppe::upload::bundle::STATEMENT_RECORD_KIND).collect();
    let mut rooms: Vec<String> = day.seats.iter().map(|s| s.auditorium.clone()).collect();
    rooms.dedup();
    let mut want: Vec<String> = rooms
        .iter()
        .map(|a| format!("records-ppe-12-04-mash-{a}.json"))
        .chain(["records-ppe-13-02-mash.json".into(), "records-ppe-18-mash.json".into()])
        .collect();
    want.sort();
    assert_eq!(records.iter().map(|f| f.name.clone()).collect::<Vec<_>>(), want);
    // The records are made from the box's stores as they are now (no PDF, nothing on disk
    // beside the bundle): what the box makes is what the bundle holds, what the manifest signs
    // and what the hub stored under that hash.
    assert!(!day.dir.path().join("state/records").exists(), "records are not handed over through the disk");
    let made = ppe::printing::records::statement_records(&day.db(), &"ege-02".into(), &ppe_code.as_str().into()).unwrap();
    assert_eq!(made.len(), records.len());
    for f in &records {
        let record = made.iter().find(|r| format!("records-{}", r.name) == f.name).unwrap_or_else(|| panic!("{} not made from the stores", f.name));
        let written = std::fs::read(bundle.join("files").join(&f.name)).unwrap();
        assert_eq!(written, serde_json::to_vec_pretty(&record.data).unwrap(), "{}", f.name);
        assert_eq!(ppe::util::sha256_hex(&written), f.sha256, "{}", f.name);
        let on_hub = hub.blob(&f.sha256).unwrap_or_else(|_| panic!("{} not on the hub", f.name));
        assert_eq!(on_hub, written, "{}", f.name);
    }
    let summary = ppe::upload::store::upload_summary_for_exam(&hub.db(), "ege-02").unwrap();
    assert!(summary[0].receipt_at.is_some(), "the hub finalized the bundle after checking every hash");
    // The records carry the day's data, not blanks.
    let summary_record: serde_json::Value =
        serde_json::from_slice(&hub.blob(&records.iter().find(|f| f.name == "records-ppe-13-02-mash.json").unwrap().sha256).unwrap()).unwrap();
    assert_eq!(summary_record["form"], "ППЭ-13-02-МАШ");
    let rows = summary_record["data"]["rows"].as_array().unwrap();
    let sum = |field: &str| rows.iter().map(|r| r[field].as_u64().unwrap()).sum::<u64>();
    assert_eq!((sum("planned"), sum("absent"), sum("removed"), sum("early")), (day.seats.len() as u64, 1, 1, 1));
    let absence = records.iter().find(|f| f.name == format!("records-ppe-12-04-mash-{}.json", day.seats[2].auditorium)).unwrap();
    let absence: serde_json::Value = serde_json::from_slice(&hub.blob(&absence.sha256).unwrap()).unwrap();
    assert_eq!((absence["data"]["rows"][0]["left_at"].as_str(), absence["data"]["rows"][0]["returned_at"].as_str()), (Some("11:00"), Some("11:07")));
    let later = records.iter().find(|f| f.name == format!("records-ppe-12-04-mash-{}.json", day.seats[7].auditorium)).unwrap();
    let later: serde_json::Value = serde_json::from_slice(&hub.blob(&later.sha256).unwrap()).unwrap();
    let rows = later["data"]["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["left_at"] == "12:30" && r["returned_at"] == "12:35" && r["reason"] == "медпункт"), "{rows:?}");
}
