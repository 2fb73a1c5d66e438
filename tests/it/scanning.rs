//! Scan intake: rendered sheets with real codes through the inbox, SANE's test backend with
//! its forced faults, and a full disk at the store edge.

use std::path::{Path, PathBuf};

use ppe::scanning::intake::{AtomicPageWriter, Intake, PageWriter, ScanError};
use ppe::scanning::{ExpectedParticipant, ExpectedSheets, IssuedSheet};
use ppe::sheet_code::{SheetId, SheetKind};

use crate::common::{have, ppe, stderr, stdout};
use crate::upload::{make_box, EXAM, PPE};

fn box_key(box_dir: &Path) -> ring::hmac::Key {
    ppe::sheet_code::sheet_key(&std::fs::read(box_dir.join("keys/signing.pk8")).unwrap())
}

/// A page as a scanner would deliver it: white A4-ish at ~100 dpi with the QR code of `text`.
fn render_page(text: &str, scale: u32, x: u32, y: u32) -> Vec<u8> {
    let qr = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let code = qr.render::<image::Luma<u8>>().module_dimensions(scale, scale).quiet_zone(true).build();
    let mut page = image::GrayImage::from_pixel(850, 1100, image::Luma([255u8]));
    image::imageops::overlay(&mut page, &code, i64::from(x), i64::from(y));
    let mut out = std::io::Cursor::new(Vec::new());
    page.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn sheet(kind: SheetKind, number: u32) -> SheetId {
    SheetId { exam_id: EXAM.into(), ppe_code: PPE.into(), kind, number }
}

fn expected() -> ExpectedSheets {
    let mut participants = Vec::new();
    for p in 0..3u32 {
        participants.push(ExpectedParticipant {
            participant_id: format!("p{p}"),
            present: true,
            sheets: vec![IssuedSheet { kind: SheetKind::Registration, number: 100 + p }, IssuedSheet { kind: SheetKind::Answers1, number: 200 + p }],
        });
    }
    participants.push(ExpectedParticipant {
        participant_id: "absent".into(),
        present: false,
        sheets: vec![IssuedSheet { kind: SheetKind::Registration, number: 109 }],
    });
    ExpectedSheets { exam_id: EXAM.into(), ppe_code: PPE.into(), participants, required_statements: vec![900], ..Default::default() }
}

fn scan_cmd(config: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["edge", "scan", "--config", config.to_str().unwrap(), "--exam", EXAM];
    args.extend_from_slice(extra);
    ppe(&args)
}

#[test]
fn inbox_pages_with_real_sheet_codes_are_all_matched_and_complete() {
    let t = tempfile::tempdir().unwrap();
    let box_dir = t.path().join("box");
    let (config, _) = make_box(&box_dir, "http://127.0.0.1:9", "00");
    let key = box_key(&box_dir);
    let exp_path = t.path().join("expected.json");
    std::fs::write(&exp_path, serde_json::to_vec(&expected()).unwrap()).unwrap();
    let inbox = t.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut ids: Vec<SheetId> = (0..3).flat_map(|p| [sheet(SheetKind::Registration, 100 + p), sheet(SheetKind::Answers1, 200 + p)]).collect();
    ids.push(sheet(SheetKind::Statement, 900));
    // Scanned in an order that differs from the issue order, at different places and sizes.
    for (i, id) in ids.iter().rev().enumerate() {
        let code = ppe::sheet_code::encode(id, &key);
        let png = render_page(&code, 4 + (i as u32 % 3), 40 + 30 * i as u32, 40 + 50 * i as u32);
        std::fs::write(inbox.join(format!("scan-{i:03}.png")), png).unwrap();
    }
    let o = scan_cmd(&config, &["--from", inbox.to_str().unwrap(), "--expected", exp_path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("принято страниц: 7 (сопоставлено 7, ждут разбора 0"), "{out}");
    assert!(out.contains("комплектность: всё на месте"), "{out}");
    let conn = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
    let pages = ppe::scanning::store::pages_for_exam(&conn, EXAM).unwrap();
    assert!(pages.iter().all(|p| p.status == "matched"));
    let reg0 = pages.iter().find(|p| p.sheet_number == Some(100)).unwrap();
    assert_eq!(reg0.participant_id.as_deref(), Some("p0"));
    for p in &pages {
        assert_eq!(ppe::util::sha256_hex(&std::fs::read(&p.path).unwrap()), p.sha256, "page stored with its hash");
    }

    // A second scan of a sheet, another exam's sheet and a blank page go to the list.
    let more = t.path().join("inbox2");
    std::fs::create_dir_all(&more).unwrap();
    std::fs::write(more.join("a.png"), render_page(&ppe::sheet_code::encode(&ids[0], &key), 5, 300, 300)).unwrap();
    let other = SheetId { exam_id: "oge-01".into(), ..ids[1].clone() };
    std::fs::write(more.join("b.png"), render_page(&ppe::sheet_code::encode(&other, &key), 5, 100, 100)).unwrap();
    std::fs::write(more.join("c.png"), render_page("just text", 5, 100, 100)).unwrap();
    let o = scan_cmd(&config, &["--from", more.to_str().unwrap(), "--expected", exp_path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("ждут разбора 3"), "{out}");
    assert!(out.contains("повторный скан") && out.contains("другого экзамена") && out.contains("не читается"), "{out}");
    assert!(out.contains("ждут разбора: 3 стр."), "completeness names the pages waiting: {out}");
    // Dropping the same files again stores nothing new.
    let o = scan_cmd(&config, &["--from", more.to_str().unwrap()]);
    assert!(stdout(&o).contains("уже были 3"), "{}", stdout(&o));
}

#[test]
fn completeness_names_the_missing_sheet_of_a_present_participant() {
    let t = tempfile::tempdir().unwrap();
    let box_dir = t.path().join("box");
    let (config, _) = make_box(&box_dir, "http://127.0.0.1:9", "00");
    let key = box_key(&box_dir);
    let exp_path = t.path().join("expected.json");
    std::fs::write(&exp_path, serde_json::to_vec(&expected()).unwrap()).unwrap();
    let inbox = t.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join("one.png"), render_page(&ppe::sheet_code::encode(&sheet(SheetKind::Registration, 100), &key), 5, 50, 50)).unwrap();
    let o = scan_cmd(&config, &["--from", inbox.to_str().unwrap(), "--expected", exp_path.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(out.contains("нет скана: участник p0, бланк ответов № 1 № 0000200"), "{out}");
    assert!(out.contains("нет скана формы № 0000900"), "a number with no printed-forms record: {out}");
    assert!(!out.contains("участник p0, бланк регистрации"), "{out}");
}

/// A SANE config folder with only the test backend enabled.
fn sane_test_config(dir: &Path) -> PathBuf {
    let d = dir.join("sane.d");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("dll.conf"), "test\n").unwrap();
    std::fs::copy("/etc/sane.d/test.conf", d.join("test.conf")).unwrap();
    d
}

#[test]
fn sane_test_backend_intake_reports_faults_and_keeps_pages_then_all_matched_by_hand() {
    assert!(have("scanimage"), "scanimage missing: install sane-utils (scripts/packages.txt)");
    let t = tempfile::tempdir().unwrap();
    let box_dir = t.path().join("box");
    let (config, _) = make_box(&box_dir, "http://127.0.0.1:9", "00");
    let sane = sane_test_config(t.path());
    let scan = |extra: &[&str]| {
        let mut args = vec!["edge", "scan", "--config", config.to_str().unwrap(), "--exam", EXAM, "--device", "test"];
        for e in extra {
            args.push("--sane-option");
            args.push(e);
        }
        std::process::Command::new(crate::common::ppe_bin()).args(&args).env("SANE_CONFIG_DIR", &sane).env("PPE_LOG", "warn").output().unwrap()
    };
    std::fs::create_dir_all(box_dir.join("state")).unwrap();
    let conn = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
    let count = || ppe::scanning::store::pages_for_exam(&conn, EXAM).unwrap().len();

    // Two flatbed pages that differ (grid, colour pattern): stored.
    let o = scan(&["--test-picture=Grid", "--batch-count=1"]);
    assert!(o.status.success(), "{} {}", stdout(&o), stderr(&o));
    let o = scan(&["--test-picture=Color pattern", "--mode=Color", "--batch-count=1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(count(), 2);

    for (value, text) in
        [("SANE_STATUS_JAMMED", "замятие бумаги"), ("SANE_STATUS_IO_ERROR", "ошибка ввода-вывода"), ("SANE_STATUS_NO_DOCS", "нет бланков")]
    {
        // SANE's test backend now and then deadlocks after reporting an error status (scanimage
        // waits on a futex forever); the box stops such a run after its stall limit and still
        // names the fault it printed. Should a run hang before saying anything, it is "not
        // responding", and a person scans again, as this does.
        let mut tries = 0;
        let o = loop {
            tries += 1;
            let o = scan(&[&format!("--read-return-value={value}"), "--batch-count=1"]);
            if !stderr(&o).contains("сканер не отвечает") || tries == 3 {
                break o;
            }
        };
        assert!(!o.status.success(), "{value} must fail");
        assert!(stderr(&o).contains(text), "{value}: {}", stderr(&o));
        assert!(stderr(&o).contains("принятые страницы сохранены"), "{}", stderr(&o));
        assert_eq!(count(), 2, "{value}: nothing already scanned is lost");
    }
    // An empty feeder is reported as such.
    let o = scan(&["--source=Automatic Document Feeder", "--read-return-value=SANE_STATUS_NO_DOCS"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("нет бланков"), "{}", stderr(&o));

    // Every stored page is still readable with its hash, then matched by a person.
    let pages = ppe::scanning::store::pages_for_exam(&conn, EXAM).unwrap();
    let key = box_key(&box_dir);
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(ppe::util::sha256_hex(&std::fs::read(&p.path).unwrap()), p.sha256);
        assert_eq!(p.status, "unreadable");
        let code = ppe::sheet_code::encode(&sheet(SheetKind::Answers2, 500 + i as u32), &key);
        let o = scan_cmd(&config, &["--assign", &p.page_id, "--code", &code]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let pages = ppe::scanning::store::pages_for_exam(&conn, EXAM).unwrap();
    assert!(pages.iter().all(|p| p.status == "matched"), "{pages:?}");
}

/// Fails with ENOSPC after `ok` pages, like a disk that fills up.
struct FillingDisk {
    ok: std::cell::Cell<usize>,
}

impl PageWriter for FillingDisk {
    fn write_page(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        if self.ok.get() == 0 {
            return Err(std::io::Error::from_raw_os_error(28));
        }
        self.ok.set(self.ok.get() - 1);
        AtomicPageWriter.write_page(path, bytes)
    }
}

#[test]
fn disk_full_during_intake_is_a_clear_error_and_stored_pages_survive() {
    let t = tempfile::tempdir().unwrap();
    let conn = ppe::store::open(&t.path().join("ppe.db")).unwrap();
    let clock = ppe::clock::Clock::real();
    let key = ppe::sheet_code::sheet_key(b"box");
    let inbox = t.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for i in 0..5u32 {
        let code = ppe::sheet_code::encode(&sheet(SheetKind::Answers2, i), &key);
        std::fs::write(inbox.join(format!("p{i}.png")), render_page(&code, 4, 60, 60)).unwrap();
    }
    let disk = FillingDisk { ok: std::cell::Cell::new(2) };
    fn make<'a>(
        conn: &'a ppe::store::Connection,
        clock: &'a ppe::clock::Clock,
        key: &'a ring::hmac::Key,
        dir: &Path,
        writer: &'a dyn PageWriter,
    ) -> Intake<'a> {
        Intake::new(conn, clock, EXAM, PPE, key, dir.join("scans"), "test").writing_with(writer)
    }
    let intake = |writer: &'static dyn PageWriter| make(&conn, &clock, &key, t.path(), writer);
    let err = make(&conn, &clock, &key, t.path(), &disk).ingest_folder(&inbox).unwrap_err();
    assert!(matches!(err, ScanError::DiskFull { stored: 2, .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("диск заполнен") && text.contains("p2.png") && text.contains("(2) целы"), "{text}");
    let pages = ppe::scanning::store::pages_for_exam(&conn, EXAM).unwrap();
    assert_eq!(pages.len(), 2);
    for p in &pages {
        assert_eq!(ppe::util::sha256_hex(&std::fs::read(&p.path).unwrap()), p.sha256);
    }
    // No half-written page is left behind in the store folder.
    let files = std::fs::read_dir(t.path().join("scans").join(EXAM)).unwrap().count();
    assert_eq!(files, 2);
    // Space freed: the same folder again takes the rest, nothing twice.
    let report = intake(&AtomicPageWriter).ingest_folder(&inbox).unwrap();
    assert_eq!((report.stored, report.already_had, report.matched), (3, 2, 3));
    assert_eq!(ppe::scanning::store::pages_for_exam(&conn, EXAM).unwrap().len(), 5);
}
