//! Printing benchmark and demo-form writer (no harness: `cargo bench --bench printing -- …`).
//!
//! `forms DIR`: every form of a demo exam point as PDF into DIR (scripts/render-forms.sh).
//! `kits N`: time to make N participants' kits; prints one JSON line (scripts/bench-print.sh).

use std::time::Instant;

use ppe::printing::forms::kits_pdf;
use ppe::demo::print_fixtures::{demo_numbers, demo_seating};
use ppe::printing::inputs::{sheet_needs, PrintContext};
use ppe::printing::PrintWhat;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let key = ppe::sheet_code::sheet_key(b"demo box secret");
    match args.first().map(String::as_str) {
        Some("forms") => {
            let dir = std::path::PathBuf::from(args.get(1).map(String::as_str).unwrap_or("target/forms"));
            std::fs::create_dir_all(&dir)?;
            let (set, _, _) = ppe::demo::print_fixtures::demo_set(60, &key)?;
            for doc in &set.documents {
                std::fs::write(dir.join(&doc.file_name), &doc.bytes)?;
                println!("{} {}", doc.file_name, doc.pages);
            }
        }
        Some("kits") => {
            let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(300);
            let plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: n * 2, ..Default::default() });
            let exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").cloned().ok_or_else(|| anyhow::anyhow!("no ege-02"))?;
            let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap_or_default();
            let mut seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
            seats.truncate(n);
            let numbers = demo_numbers(&sheet_needs(exam.technology(), &ppe::model::kit::kit_of(&exam).unwrap(), &seats, PrintWhat::Sheets, None));
            let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &Default::default() };
            let mut auditoriums: Vec<String> = seats.iter().map(|s| s.auditorium.clone()).collect();
            auditoriums.dedup();
            let mut kits = Vec::new();
            for a in &auditoriums {
                kits.extend(context.kits(a)?);
            }
            // Warm the font cache so the number is the steady state of a running box.
            kits_pdf(&kits[..1], &key)?;
            let started = Instant::now();
            let doc = kits_pdf(&kits, &key)?;
            let seconds = started.elapsed().as_secs_f64();
            if let Some(path) = args.get(2) {
                std::fs::write(path, &doc.bytes)?;
            }
            println!(
                "{{\"participants\": {}, \"pages\": {}, \"seconds\": {:.4}, \"pages_per_second\": {:.1}, \"bytes\": {}}}",
                kits.len(),
                doc.pages,
                seconds,
                f64::from(doc.pages) / seconds,
                doc.bytes.len()
            );
        }
        // Under `cargo test --all-targets` (no arguments, or the harness's flags): a smoke run.
        None => {
            let (set, _, _) = ppe::demo::print_fixtures::demo_set(2, &key)?;
            println!("printing bench smoke: {} documents (usage: printing forms DIR | printing kits N [OUT.pdf])", set.documents.len());
        }
        Some(a) if a.starts_with("--") => {
            let (set, _, _) = ppe::demo::print_fixtures::demo_set(2, &key)?;
            println!("printing bench smoke: {} documents", set.documents.len());
        }
        _ => anyhow::bail!("usage: printing forms DIR | printing kits N [OUT.pdf]"),
    }
    Ok(())
}
