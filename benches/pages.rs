//! Bytes per page and code-reading rate per page policy (issue 22 item 3). No harness:
//! `cargo bench --bench pages -- --bench` (scripts/bench-pages.sh); under `cargo test
//! --all-targets` it only runs two pages once.
//!
//! Pages: a demo exam point's print run (answer-sheet kits and the first page of every form)
//! rendered by `pdftoppm -gray` at 150 and 300 dpi, then delivered four ways: PGM as SANE's
//! `scanimage --format=pnm` writes it, the grey PNG a network scanner writes, the RGB PNG of a
//! scanner in colour mode (equal channels), and grey PNG with simulated scanner noise (paper
//! at ~245 ± 3, ink lifted to ~25). For each policy: stored bytes per page against the
//! original, the policy's own time per page (what intake adds), the rate at which the stored
//! pages' codes are read back (`decode_codes`: image decode + rxing) and how many codes read —
//! times are medians of `BENCH_RUNS` (5) runs; `original` is the baseline of the same run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ppe::config::{PagePolicy, ScanningConfig};
use ppe::scanning::intake::{decode_codes, decode_grey, grey_for_codes, page_image};
use ppe::scanning::page_policy::{apply, ScannedPage};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The print run's pages as grey PNGs at `dpi`: kit pages first, then each form's first page.
fn rendered(docs: &[&ppe::printing::PrintDocument], dpi: u32, dir: &Path, limit: usize) -> Vec<Vec<u8>> {
    std::fs::create_dir_all(dir).unwrap();
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let pdf = dir.join(format!("{i:03}.pdf"));
        std::fs::write(&pdf, &doc.bytes).unwrap();
        let last = if doc.form.is_empty() { doc.pages } else { 1 };
        let o = Command::new("pdftoppm")
            .args(["-r", &dpi.to_string(), "-gray", "-png", "-f", "1", "-l", &last.to_string()])
            .arg(&pdf)
            .arg(dir.join(format!("{i:03}")))
            .output()
            .expect("pdftoppm (poppler-utils)");
        assert!(o.status.success(), "pdftoppm: {}", String::from_utf8_lossy(&o.stderr));
        let mut pngs: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "png") && p.file_name().unwrap().to_string_lossy().starts_with(&format!("{i:03}-")))
            .collect();
        pngs.sort();
        out.extend(pngs.iter().map(|p| std::fs::read(p).unwrap()));
        if out.len() >= limit {
            break;
        }
    }
    out.truncate(limit);
    out
}

fn encoded(page: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    page.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// Binary PGM (P5), as `scanimage --format=pnm` writes a grey page (`image`'s default PNM is
/// ASCII, three times larger).
fn binary_pgm(page: &image::DynamicImage) -> Vec<u8> {
    use image::codecs::pnm::{PnmEncoder, PnmSubtype, SampleEncoding};
    use image::ImageEncoder;
    let grey = page.to_luma8();
    let mut out = Vec::new();
    PnmEncoder::new(&mut out)
        .with_subtype(PnmSubtype::Graymap(SampleEncoding::Binary))
        .write_image(grey.as_raw(), grey.width(), grey.height(), image::ExtendedColorType::L8)
        .unwrap();
    out
}

/// Paper at ~245 ± 3 and ink lifted to ~25, from a deterministic generator.
fn noisy(grey: &image::GrayImage, seed: u64) -> image::GrayImage {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 7) as i32 - 3
    };
    image::GrayImage::from_fn(grey.width(), grey.height(), |x, y| {
        let v = grey.get_pixel(x, y).0[0] as i32;
        image::Luma([(25 + v * 220 / 255 + next()).clamp(0, 255) as u8])
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Row {
    bytes: u64,
    policy_s: Vec<f64>,
    decode_s: Vec<f64>,
    read: usize,
    stored_as: std::collections::BTreeMap<&'static str, usize>,
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let runs = if bench { env_or("BENCH_RUNS", 5) } else { 1 };
    let limit = if bench { env_or("BENCH_PAGES", 24) } else { 2 };
    let dpis: Vec<u32> = if bench { vec![150, 300] } else { vec![150] };
    let key = ppe::sheet_code::sheet_key(b"bench box secret");
    let (set, _, _) = ppe::demo::print_fixtures::demo_set(6, &key).expect("demo set");
    let kits: Vec<_> = set.documents.iter().filter(|d| d.form.is_empty()).collect();
    let forms: Vec<_> = set.documents.iter().filter(|d| !d.form.is_empty()).collect();
    // Half kit pages, half forms' pages, as an exam point's scanning holds both.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-pages");
    let _ = std::fs::remove_dir_all(&root);
    let policy = |page_policy| ScanningConfig { page_policy, ..Default::default() };
    let everywhere = ScanningConfig { bitonal_sheets: ppe::sheet_code::SheetKind::ALL.into_iter().collect(), ..policy(PagePolicy::Bitonal) };
    let policies = [
        ("original", policy(PagePolicy::Original)),
        ("lossless", policy(PagePolicy::Lossless)),
        ("bitonal (default sheets)", policy(PagePolicy::Bitonal)),
        ("bitonal (every sheet)", everywhere),
    ];
    println!("| dpi | delivered as | policy | KB/page | × original | policy ms/page | codes read back, pages/s | codes read | stored as |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for dpi in dpis {
        let mut pages = rendered(&kits, dpi, &root.join(format!("kits-{dpi}")), limit.div_ceil(2));
        pages.extend(rendered(&forms, dpi, &root.join(format!("forms-{dpi}")), limit / 2));
        let greys: Vec<image::DynamicImage> = pages.iter().map(|p| image::load_from_memory(p).unwrap()).collect();
        let inputs: Vec<(&str, Vec<Vec<u8>>)> = vec![
            ("PGM (scanimage)", greys.iter().map(binary_pgm).collect()),
            ("grey PNG", pages.clone()),
            ("RGB PNG", greys.iter().map(|g| encoded(&image::DynamicImage::ImageRgb8(g.to_rgb8()), image::ImageFormat::Png)).collect()),
            (
                "grey PNG + noise",
                greys
                    .iter()
                    .enumerate()
                    .map(|(i, g)| encoded(&image::DynamicImage::ImageLuma8(noisy(&g.to_luma8(), i as u64 + 7)), image::ImageFormat::Png))
                    .collect(),
            ),
        ];
        for (name, originals) in &inputs {
            // What intake has before the policy: the pixels, the grey, the sheet code read.
            let decoded: Vec<_> = originals
                .iter()
                .map(|b| {
                    let image = page_image(b).unwrap();
                    let grey = grey_for_codes(image.clone());
                    let code = decode_grey(grey.clone()).into_iter().find_map(|t| ppe::sheet_code::decode(&t, &key).ok().map(|id| (id.kind, t)));
                    (image, grey, code)
                })
                .collect();
            let original_bytes: u64 = originals.iter().map(|b| b.len() as u64).sum();
            let mut rows: Vec<Row> =
                policies.iter().map(|_| Row { bytes: 0, policy_s: vec![], decode_s: vec![], read: 0, stored_as: Default::default() }).collect();
            for _ in 0..runs {
                for ((_, cfg), row) in policies.iter().zip(rows.iter_mut()) {
                    let started = Instant::now();
                    let stored: Vec<_> = originals
                        .iter()
                        .zip(&decoded)
                        .map(|(bytes, (image, grey, code))| {
                            let page = ScannedPage { bytes, ext: "png", image: Some(image), grey: Some(grey) };
                            let s = apply(cfg, &page, code.as_ref().map(|(k, t)| (*k, t.as_str())), &decode_grey);
                            (s.bytes.into_owned(), s.policy)
                        })
                        .collect();
                    row.policy_s.push(started.elapsed().as_secs_f64());
                    let started = Instant::now();
                    let read: Vec<Vec<String>> = stored.iter().map(|(b, _)| decode_codes(b)).collect();
                    row.decode_s.push(started.elapsed().as_secs_f64());
                    row.bytes = stored.iter().map(|(b, _)| b.len() as u64).sum();
                    row.read = read.iter().zip(&decoded).filter(|(r, (_, _, code))| code.as_ref().is_some_and(|(_, t)| r.contains(t))).count();
                    row.stored_as = Default::default();
                    for (_, p) in &stored {
                        *row.stored_as.entry(p.as_str()).or_default() += 1;
                    }
                }
            }
            let n = originals.len() as f64;
            let codes_in_originals = decoded.iter().filter(|d| d.2.is_some()).count();
            for ((policy, _), row) in policies.iter().zip(&rows) {
                let stored_as: Vec<String> = row.stored_as.iter().map(|(k, v)| format!("{k} {v}")).collect();
                println!(
                    "| {dpi} | {name} | {policy} | {:.1} | {:.3} | {:.1} | {:.1} | {}/{codes_in_originals} | {} |",
                    row.bytes as f64 / n / 1024.0,
                    row.bytes as f64 / original_bytes as f64,
                    median(row.policy_s.clone()) * 1000.0 / n,
                    n / median(row.decode_s.clone()),
                    row.read,
                    stored_as.join(", ")
                );
                assert_eq!(row.read, codes_in_originals, "{dpi} dpi {name} {policy}: every code read off the original reads off the stored page");
            }
        }
    }
}
