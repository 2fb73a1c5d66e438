//! The page policy (issue 22 item 3) through the real intake: pages of a demo exam point's print
//! run (one participant's kit — registration, answers № 1, answers № 2 — and the -МАШ summary)
//! rendered by pdftoppm as a scanner in colour mode delivers them (150 dpi RGB PNG, equal
//! channels) are taken in under each policy. Every page is matched, its stored bytes carry its
//! sheet code and their own hash, lossless pages are the same pixels in fewer bytes, bitonal is
//! applied only to the sheet kinds allowed (the others are refused with a Russian reason and
//! stored lossless), and the same files dropped again are known.

use std::path::Path;
use std::process::Command;

use ppe::config::{PagePolicy, ScanningConfig};
use ppe::scanning::intake::{decode_codes, Intake};
use ppe::sheet_code::SheetKind;

use crate::common::have;

/// The first `pages` pages of `pdf` as 150 dpi RGB PNG files in `dir`.
fn render_rgb(pdf: &[u8], pages: u32, dir: &Path, prefix: &str) {
    let path = dir.join(format!("{prefix}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-f", "1", "-l", &pages.to_string()])
        .arg(&path)
        .arg(dir.join(prefix))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success());
    std::fs::remove_file(path).unwrap();
}

#[test]
fn each_page_policy_keeps_every_code_read_and_the_page_matched_in_fewer_bytes() {
    assert!(have("pdftoppm"), "pdftoppm missing: run scripts/install-deps.sh (poppler-utils)");
    let key = ppe::sheet_code::sheet_key(b"pagebytes box");
    let (set, _, ppe_code) = ppe::demo::print_fixtures::demo_set(6, &key).unwrap();
    let inbox = tempfile::tempdir().unwrap();
    let kits = set.documents.iter().find(|d| d.form.is_empty()).expect("a kit document");
    render_rgb(&kits.bytes, 4, inbox.path(), "kit");
    let summary = set.documents.iter().find(|d| d.form == "ППЭ-13-02-МАШ").expect("ППЭ-13-02-МАШ");
    render_rgb(&summary.bytes, 1, inbox.path(), "summary");
    let originals: Vec<(String, Vec<u8>)> = {
        let mut files: Vec<_> = std::fs::read_dir(inbox.path()).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        files.iter().map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(p).unwrap())).collect()
    };
    assert_eq!(originals.len(), 5);
    let first = image::load_from_memory(&originals[0].1).unwrap();
    assert!(matches!(first, image::DynamicImage::ImageRgb8(_)), "the scanner's page is RGB: {:?}", first.color());

    let mut total = std::collections::BTreeMap::new();
    for policy in [PagePolicy::Original, PagePolicy::Lossless, PagePolicy::Bitonal] {
        let t = tempfile::tempdir().unwrap();
        let conn = ppe::store::open(&t.path().join("ppe.db")).unwrap();
        let clock = ppe::clock::Clock::real();
        let cfg = ScanningConfig { page_policy: policy, ..Default::default() };
        let intake = Intake::new(&conn, &clock, "ege-02", &ppe_code, &key, t.path().join("scans"), "tech").storing(&cfg);
        let report = intake.ingest_folder(inbox.path()).unwrap();
        assert_eq!((report.stored, report.matched, report.to_resolve), (5, 5, 0), "{policy:?}: {report:?}");
        let pages = ppe::scanning::store::pages_for_exam(&conn, "ege-02").unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for p in &pages {
            let stored = std::fs::read(&p.path).unwrap();
            assert_eq!((ppe::util::sha256_hex(&stored), stored.len() as u64), (p.sha256.clone(), p.size), "the row names the stored bytes");
            assert!(decode_codes(&stored).contains(p.code_text.as_ref().unwrap()), "{policy:?}: the stored page's code reads");
            let kind = ppe::sheet_code::decode(p.code_text.as_ref().unwrap(), &key).unwrap().kind;
            kinds.insert(kind);
            let (applied, original_sha, original_size) = ppe::scanning::page_policy::store::policy_of(&conn, &p.page_id).unwrap().unwrap();
            let original = &originals.iter().find(|(name, _)| *name == p.source).unwrap().1;
            let want = match policy {
                PagePolicy::Bitonal if matches!(kind, SheetKind::Answers2 | SheetKind::Additional) => "bitonal",
                PagePolicy::Original => "original",
                _ => "lossless",
            };
            assert_eq!(applied, want, "{policy:?} on {kind:?}");
            if policy == PagePolicy::Original {
                assert_eq!((stored.as_slice(), original_sha), (original.as_slice(), None));
                continue;
            }
            assert_eq!((original_sha, original_size), (Some(ppe::util::sha256_hex(original)), Some(original.len() as u64)));
            assert!(p.path.ends_with(".png") && stored.len() < original.len(), "{policy:?} {kind:?}: {} < {}", stored.len(), original.len());
            if applied == "lossless" {
                let (a, b) = (image::load_from_memory(&stored).unwrap(), image::load_from_memory(original).unwrap());
                assert_eq!(a.to_rgb8(), b.to_rgb8(), "lossless: the same pixels");
                assert_eq!(a.color(), image::ColorType::L8, "equal channels stored as grey");
            }
        }
        assert!(
            [SheetKind::Registration, SheetKind::Answers1, SheetKind::Answers2, SheetKind::Statement].iter().all(|k| kinds.contains(k)),
            "{kinds:?}"
        );
        if policy == PagePolicy::Bitonal {
            // The refusal is named, in Russian, in the page's audit entry.
            let entries = ppe::audit::store::list(&conn, Some("scan.page_stored"), 100).unwrap();
            let refused: Vec<String> = entries.iter().filter_map(|e| e.details["bitonal_refused"].as_str().map(str::to_string)).collect();
            assert_eq!(refused.len(), 3, "registration, answers № 1, the summary: {refused:?}");
            assert!(refused.iter().any(|r| r.starts_with("бланк регистрации: двуцветное хранение") && r.contains("не разрешено")), "{refused:?}");
        }
        // The scanner's files dropped again are known by their own hash: nothing new.
        let again = intake.ingest_folder(inbox.path()).unwrap();
        assert_eq!((again.stored, again.already_had), (0, 5), "{policy:?}");
        total.insert(policy.as_str(), pages.iter().map(|p| p.size).sum::<u64>());
    }
    let ratio = total["lossless"] as f64 / total["original"] as f64;
    println!("bytes: {total:?}, lossless/original {ratio:.3}");
    assert!(ratio < 1.0, "lossless shrinks an RGB-grey page: {ratio}");
    assert!(total["bitonal"] < total["lossless"], "{total:?}");
}
