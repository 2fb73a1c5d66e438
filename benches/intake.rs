//! Scan intake decoding benchmark (no harness: `cargo bench --bench intake -- --bench`; under
//! `cargo test --all-targets` it only checks a few pages).
//!
//! Pages: answer-sheet kits made by the printing module and rendered by `pdftoppm` at 150 dpi
//! greyscale (what a document scanner delivers), the demo's synthetic scans (100 dpi, one QR
//! code), and blank pages (nothing to find: the worst case). Ours = `decode_codes` (QR alone
//! first, the thorough search only when that finds nothing); baseline in the same run = the
//! thorough search alone (`rxing::helpers::detect_multiple_in_luma_with_hints` with default hints: every symbology,
//! TryHarder), which is what intake did before. Both must read the same code on every page.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ppe::demo::print_fixtures::{demo_numbers, demo_seating};
use ppe::printing::forms::kits_pdf;
use ppe::printing::inputs::{sheet_needs, PrintContext};
use ppe::printing::PrintWhat;

fn baseline(bytes: &[u8]) -> Vec<String> {
    let Some(page) = ppe::scanning::intake::grey_page(bytes) else {
        return Vec::new();
    };
    let (width, height) = page.dimensions();
    rxing::helpers::detect_multiple_in_luma_with_hints(page.into_raw(), width, height, &mut rxing::DecodeHints::default())
        .map(|r| r.into_iter().map(|r| r.getText().to_string()).collect())
        .unwrap_or_default()
}

/// Printed kit pages as 150 dpi greyscale PNGs.
fn printed_pages(participants: usize, dir: &Path, key: &ring::hmac::Key) -> Vec<Vec<u8>> {
    let plan =
        ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: participants * 3, ..Default::default() });
    let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").cloned().expect("ege-02");
    let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap_or_default();
    let mut seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
    seats.truncate(participants);
    let numbers = demo_numbers(&sheet_needs(exam.technology(), &ppe::model::kit::kit_of(&exam).unwrap(), &seats, PrintWhat::Sheets, None));
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key, day: &Default::default() };
    let mut auditoriums: Vec<String> = seats.iter().map(|s| s.auditorium.clone()).collect();
    auditoriums.dedup();
    let mut kits = Vec::new();
    for a in &auditoriums {
        kits.extend(context.kits(a).expect("kits"));
    }
    let doc = kits_pdf(&kits, key).expect("kits pdf");
    std::fs::create_dir_all(dir).unwrap();
    let pdf = dir.join("kits.pdf");
    std::fs::write(&pdf, &doc.bytes).unwrap();
    let o = Command::new("pdftoppm").args(["-r", "150", "-gray", "-png"]).arg(&pdf).arg(dir.join("p")).output().expect("pdftoppm (poppler-utils)");
    assert!(o.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&o.stderr));
    let mut pngs: Vec<_> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "png")).collect();
    pngs.sort();
    pngs.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn blank_page() -> Vec<u8> {
    let page = image::GrayImage::from_pixel(1240, 1754, image::Luma([250u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    page.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn time_each(pages: &[Vec<u8>], decode: fn(&[u8]) -> Vec<String>) -> (Duration, Vec<Vec<String>>) {
    let started = Instant::now();
    let found = pages.iter().map(|p| decode(p)).collect();
    (started.elapsed(), found)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let key = ppe::sheet_code::sheet_key(b"bench box secret");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-intake");
    let _ = std::fs::remove_dir_all(&root);
    let participants = if bench { 20 } else { 1 };
    let printed = printed_pages(participants, &root.join("printed"), &key);
    let synthetic: Vec<Vec<u8>> = (0..if bench { 40 } else { 2 })
        .map(|n| {
            let id = ppe::sheet_code::SheetId {
                exam_id: "ege-02".into(),
                ppe_code: "0101".into(),
                kind: ppe::sheet_code::SheetKind::Answers1,
                number: 1000 + n,
            };
            ppe::demo::autopilot::render_scanned_page(&ppe::sheet_code::encode(&id, &key)).unwrap()
        })
        .collect();
    let blank: Vec<Vec<u8>> = (0..if bench { 5 } else { 1 }).map(|_| blank_page()).collect();

    println!("| pages | n | ours ms/page | baseline ms/page | speed-up |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, pages) in [("printed kits, 150 dpi", &printed), ("demo scans, 100 dpi", &synthetic), ("blank, 150 dpi", &blank)] {
        let (ours, ours_found) = time_each(pages, ppe::scanning::intake::decode_codes);
        let (base, base_found) = time_each(pages, baseline);
        for (i, (a, b)) in ours_found.iter().zip(&base_found).enumerate() {
            let (mut a, mut b) = (a.clone(), b.clone());
            a.sort();
            b.sort();
            assert_eq!(a, b, "{name} page {i}: ours and the baseline read different codes");
        }
        if name != "blank, 150 dpi" {
            assert!(ours_found.iter().all(|c| c.len() == 1), "{name}: every page has its one code");
        }
        let per = |d: Duration| d.as_secs_f64() * 1000.0 / pages.len() as f64;
        println!("| {name} | {} | {:.1} | {:.1} | {:.2}× |", pages.len(), per(ours), per(base), base.as_secs_f64() / ours.as_secs_f64());
    }
}
