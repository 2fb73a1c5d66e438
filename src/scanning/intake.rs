//! Pages in: from a SANE scanner (`scanimage --batch` with the feeder) or a folder a network
//! scanner drops files into. Each page is written atomically under
//! `state_dir/scans/<exam_id>/<sha256>.<ext>` before its row commits (with an audit entry),
//! its codes are decoded with rxing and judged by [`super::classify_page`].
//!
//! The scanner's pages land in a spool folder on persistent disk first, so a jam, an empty
//! feeder or an I/O error mid-batch keeps every page scanned before it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::store as scan_store;
use super::{classify_page, ExpectedSheets, PageStatus};
use crate::clock::Clock;
use crate::store::Connection;

mod spool;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "нет места в {folder} (диск заполнен): страница {source_name} не сохранена ({path}); уже сохранённые страницы ({stored}) целы. Освободите место — приём продолжится с этой страницы"
    )]
    DiskFull { source_name: String, folder: String, path: String, stored: usize },
    #[error("не удалось сохранить страницу {source_name} в {path}: {reason}; уже сохранённые страницы ({stored}) целы")]
    Storage { source_name: String, path: String, reason: String, stored: usize },
    #[error("не читается {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("база данных: {0}")]
    Database(String),
    #[error("scanimage не запускается: {0} (установите пакет Debian sane-utils)")]
    NoScanimage(String),
}

/// A fault the scanner reported; the pages before it are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScannerFault {
    Jammed,
    NoDocuments,
    CoverOpen,
    IoError,
    Busy,
    /// scanimage neither wrote a page nor ended for `SCANNER_STALL`: it was stopped.
    NotResponding,
    Other,
}

/// How long scanimage may go without writing to a page file and without ending before the box
/// stops it as hung (a page at 300 dpi takes seconds; a scanner or a SANE backend that hangs
/// must not hold the staff room's intake forever).
pub const SCANNER_STALL: std::time::Duration = std::time::Duration::from_secs(60);

impl ScannerFault {
    pub fn message_ru(self) -> &'static str {
        match self {
            Self::Jammed => "замятие бумаги в податчике: извлеките лист и продолжите сканирование",
            Self::NoDocuments => "в податчике нет бланков: положите пачку и продолжите",
            Self::CoverOpen => "открыта крышка сканера: закройте её и продолжите",
            Self::IoError => "ошибка ввода-вывода сканера: проверьте кабель и питание, затем продолжите",
            Self::Busy => "сканер занят другой программой",
            Self::NotResponding => "сканер не отвечает: сканирование остановлено; проверьте сканер и продолжите",
            Self::Other => "сканер сообщил об ошибке",
        }
    }

    /// From scanimage's message (SANE status strings).
    pub fn from_scanimage_stderr(stderr: &str) -> Self {
        let s = stderr.to_ascii_lowercase();
        if s.contains("jammed") {
            Self::Jammed
        } else if s.contains("out of documents") || s.contains("no docs") {
            Self::NoDocuments
        } else if s.contains("cover") {
            Self::CoverOpen
        } else if s.contains("i/o") {
            Self::IoError
        } else if s.contains("busy") {
            Self::Busy
        } else {
            Self::Other
        }
    }
}

/// Writes a page file; the edge where a full disk shows up (and where tests inject it).
pub trait PageWriter {
    fn write_page(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()>;
}

/// Temp file, fsync, rename, fsync the folder.
pub struct AtomicPageWriter;

impl PageWriter for AtomicPageWriter {
    fn write_page(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        crate::util::write_atomic(path, bytes)
    }
}

/// What an intake run needs.
pub struct Intake<'a> {
    pub conn: &'a Connection,
    pub clock: &'a Clock,
    pub exam_id: &'a str,
    pub ppe_code: &'a str,
    pub key: &'a ring::hmac::Key,
    pub expected: Option<&'a ExpectedSheets>,
    /// `state_dir/scans`
    pub scans_dir: PathBuf,
    pub writer: &'a dyn PageWriter,
    pub actor: &'a str,
    /// Hears the pages of a folder taken in (the CLI draws them on a terminal).
    pub progress: &'a dyn crate::cli_util::Progress,
    /// How pages are stored (`[scanning]`): the scanner's bytes unless set.
    pub policy: crate::config::ScanningConfig,
}

impl<'a> Intake<'a> {
    /// An intake storing pages under `scans_dir` with atomic writes, matching nothing until
    /// [`Intake::expecting`] names the sheets issued.
    pub fn new(
        conn: &'a Connection,
        clock: &'a Clock,
        exam_id: &'a str,
        ppe_code: &'a str,
        key: &'a ring::hmac::Key,
        scans_dir: PathBuf,
        actor: &'a str,
    ) -> Self {
        Self {
            conn,
            clock,
            exam_id,
            ppe_code,
            key,
            expected: None,
            scans_dir,
            writer: &AtomicPageWriter,
            actor,
            progress: &crate::cli_util::NO_PROGRESS,
            policy: Default::default(),
        }
    }

    /// The box's own intake: its exam point, its clock and `state_dir/scans`.
    pub fn for_box(ctx: &'a crate::context::EdgeContext, conn: &'a Connection, key: &'a ring::hmac::Key, exam_id: &'a str, actor: &'a str) -> Self {
        Self::new(conn, &ctx.clock, exam_id, &ctx.config.ppe_code, key, ctx.config.state_dir.join("scans"), actor).storing(&ctx.config.scanning)
    }

    /// Pages are stored under this page policy.
    pub fn storing(self, policy: &crate::config::ScanningConfig) -> Self {
        Self { policy: policy.clone(), ..self }
    }

    /// Pages are matched to these issued sheets and attendance.
    pub fn expecting(self, expected: Option<&'a ExpectedSheets>) -> Self {
        Self { expected, ..self }
    }

    /// Pages taken in are reported to `progress`.
    pub fn reporting(self, progress: &'a dyn crate::cli_util::Progress) -> Self {
        Self { progress, ..self }
    }

    /// Pages are written through `writer` (tests: a disk that fills up).
    pub fn writing_with(self, writer: &'a dyn PageWriter) -> Self {
        Self { writer, ..self }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IntakeReport {
    pub stored: usize,
    /// Same bytes taken in before (a file dropped twice): nothing new stored.
    pub already_had: usize,
    pub matched: usize,
    pub to_resolve: usize,
    pub fault: Option<ScannerFault>,
    pub fault_detail: String,
}

/// The texts of every barcode rxing finds on an image (PNG, PNM, TIFF, JPEG).
///
/// Our sheets carry a QR code, so a page is first searched for QR codes alone, in one pass;
/// a page where that finds none of our sheet codes gets the thorough search (every symbology
/// rxing reads, `TryHarder`, the page cut into parts), so a rotated, faded or foreign page, or
/// a faint sheet code beside someone else's QR code, is still read.
/// `benches/intake.rs` measures both against the thorough search alone.
pub fn decode_codes(image_bytes: &[u8]) -> Vec<String> {
    grey_page(image_bytes).map(decode_grey).unwrap_or_default()
}

/// [`decode_codes`] of a page's grey pixels.
pub fn decode_grey(page: image::GrayImage) -> Vec<String> {
    let (width, height) = page.dimensions();
    let texts = |found: rxing::common::Result<Vec<rxing::RXingResult>>| -> Vec<String> {
        found.map(|r| r.into_iter().map(|r| r.getText().to_string()).collect()).unwrap_or_default()
    };
    let mut qr_only = rxing::DecodeHints {
        PossibleFormats: Some(std::collections::HashSet::from([rxing::BarcodeFormat::QR_CODE])),
        TryHarder: Some(false),
        ..Default::default()
    };
    let quick = texts(rxing::helpers::detect_multiple_in_luma_with_hints(page.as_raw().clone(), width, height, &mut qr_only));
    if quick.iter().any(|t| crate::sheet_code::looks_like_sheet_code(t)) {
        return quick;
    }
    let mut all = texts(rxing::helpers::detect_multiple_in_luma_with_hints(page.into_raw(), width, height, &mut rxing::DecodeHints::default()));
    for t in quick {
        if !all.contains(&t) {
            all.push(t);
        }
    }
    all
}

/// A scanned page (PNG, PNM, TIFF, JPEG) as the grey pixels the code reader looks at; `None`
/// when the bytes are no image of those formats (or have no pixels).
pub fn grey_page(image_bytes: &[u8]) -> Option<image::GrayImage> {
    page_image(image_bytes).map(grey_for_codes)
}

/// A scanned page's pixels; `None` when the bytes are no image intake reads (or have no pixels).
pub fn page_image(image_bytes: &[u8]) -> Option<image::DynamicImage> {
    image::load_from_memory(image_bytes).ok().filter(|page| page.width() > 0 && page.height() > 0)
}

/// Grey levels the way rxing's own image source makes them (ZXing's reference): a grey page
/// as it is; colour by the BT.601 weights (306 R + 601 G + 117 B) / 1024, rounded; a fully
/// transparent pixel is white. rxing's `image` feature is not built (it brings every image
/// format), so intake converts the page itself.
pub fn grey_for_codes(page: image::DynamicImage) -> image::GrayImage {
    if let image::DynamicImage::ImageLuma8(grey) = page {
        return grey;
    }
    let rgba = page.to_rgba8();
    image::GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        if a == 0 {
            return image::Luma([0xFF]);
        }
        image::Luma([((306 * r as u32 + 601 * g as u32 + 117 * b as u32 + 0x200) >> 10) as u8])
    })
}

fn is_disk_full(e: &std::io::Error) -> bool {
    crate::util::is_disk_full(e)
}

impl Intake<'_> {
    /// Stores one page and records its verdict. Returns its status, or `None` when the same
    /// bytes were taken in already.
    pub fn ingest_page(&self, original: &[u8], source_name: &str, ext: &str, stored_so_far: usize) -> Result<Option<PageStatus>, ScanError> {
        let db = |e: String| ScanError::Database(e);
        let known = |sha: &str| scan_store::page_by_sha256(self.conn, self.exam_id, sha).map(|p| p.is_some()).map_err(|e| db(e.to_string()));
        let original_sha = crate::util::sha256_hex(original);
        if known(&original_sha)? {
            return Ok(None);
        }
        let ext = if ext.chars().all(|c| c.is_ascii_alphanumeric()) && !ext.is_empty() { ext } else { "img" };
        // Codes are read off the scanner's pixels; the page policy then picks the bytes stored.
        let image = page_image(original);
        let grey = image.clone().map(grey_for_codes);
        let codes = grey.clone().map(decode_grey).unwrap_or_default();
        let conn = self.conn;
        let exam_id = self.exam_id;
        let scanned = |id: &crate::sheet_code::SheetId| scan_store::sheet_is_scanned(conn, exam_id, kind_str(id.kind), id.number).unwrap_or(false);
        let verdict = classify_page(&codes, self.key, self.exam_id, self.ppe_code, self.expected, &scanned);
        let sheet =
            verdict.sheet.as_ref().zip(verdict.code_text.as_deref()).filter(|_| verdict.status == PageStatus::Matched).map(|(s, c)| (s.kind, c));
        let scanned_page = super::page_policy::ScannedPage { bytes: original, ext, image: image.as_ref(), grey: grey.as_ref() };
        let stored = super::page_policy::apply(&self.policy, &scanned_page, sheet, &decode_grey);
        let (bytes, ext) = (stored.bytes.as_ref(), stored.ext);
        let sha = crate::util::sha256_hex(bytes);
        if sha != original_sha && known(&sha)? {
            return Ok(None);
        }
        let dir = self.scans_dir.join(self.exam_id);
        let path = dir.join(format!("{sha}.{ext}"));
        let stored_err = |e: std::io::Error| {
            if is_disk_full(&e) {
                ScanError::DiskFull {
                    source_name: source_name.into(),
                    folder: dir.display().to_string(),
                    path: path.display().to_string(),
                    stored: stored_so_far,
                }
            } else {
                ScanError::Storage { source_name: source_name.into(), path: path.display().to_string(), reason: e.to_string(), stored: stored_so_far }
            }
        };
        std::fs::create_dir_all(&dir).map_err(stored_err)?;
        self.writer.write_page(&path, bytes).map_err(stored_err)?;
        let now = self.clock.now_rfc3339();
        let row = scan_store::ScannedPageRow {
            page_id: uuid::Uuid::new_v4().simple().to_string(),
            exam_id: self.exam_id.to_string(),
            sha256: sha.clone(),
            size: bytes.len() as u64,
            path: path.display().to_string(),
            source: source_name.to_string(),
            scanned_at: now.clone(),
            code_text: verdict.code_text.clone(),
            sheet_kind: verdict.sheet.as_ref().map(|s| kind_str(s.kind).to_string()),
            sheet_number: verdict.sheet.as_ref().map(|s| s.number),
            participant_id: verdict.participant_id.clone(),
            status: verdict.status.as_str().to_string(),
            reason: verdict.reason.clone(),
            resolved_by: None,
            form: None,
            auditorium: None,
            form_page: None,
            form_pages: None,
        }
        .with_form(verdict.form.as_ref());
        let tx = conn.unchecked_transaction().map_err(|e| db(e.to_string()))?;
        scan_store::page_insert(&tx, &row).map_err(|e| db(e.to_string()))?;
        if stored.policy != super::page_policy::PagePolicy::Original {
            super::page_policy::store::record(&tx, &row.page_id, stored.policy.as_str(), &original_sha, original.len() as u64)
                .map_err(|e| db(e.to_string()))?;
        }
        if let (PageStatus::Matched, Some(sheet)) =
            (verdict.status, verdict.sheet.as_ref().filter(|s| s.kind == crate::sheet_code::SheetKind::Statement))
        {
            let page = super::marks::ops::ScannedStatement {
                exam_id: self.exam_id,
                ppe_code: self.ppe_code,
                page_id: &row.page_id,
                sheet_number: sheet.number,
                image: bytes,
            };
            super::marks::ops::read_page(&tx, &now, self.actor, &page).map_err(|e| db(format!("{e:#}")))?;
        }
        crate::audit::store::append(
            &tx,
            &now,
            crate::audit::NewEntry {
                actor: self.actor,
                action: "scan.page_stored",
                object: &row.page_id,
                details: serde_json::json!({
                    "exam_id": self.exam_id, "sha256": sha, "status": row.status,
                    "sheet_kind": row.sheet_kind, "sheet_number": row.sheet_number, "participant_id": row.participant_id,
                    "form": row.form, "auditorium": row.auditorium, "form_page": row.form_page,
                    "page_policy": stored.policy.as_str(), "original_sha256": original_sha, "original_size": original.len(),
                    "bitonal_refused": stored.refused.as_ref().map(|r| r.to_string()),
                }),
            },
        )
        .map_err(|e| db(e.to_string()))?;
        crate::util::crash_point("scan.page_written");
        tx.commit().map_err(|e| db(e.to_string()))?;
        Ok(Some(verdict.status))
    }

    /// Takes in every image file of a folder, in name order. Stops at the first page that
    /// cannot be stored (disk full): everything before it is kept and counted.
    pub fn ingest_folder(&self, dir: &Path) -> Result<IntakeReport, ScanError> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| ScanError::Read { path: dir.display().to_string(), reason: e.to_string() })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_image_name(p))
            .collect();
        files.sort();
        let mut report = IntakeReport::default();
        self.progress.start("страницы", Some(files.len() as u64), false);
        for f in files {
            self.progress.inc(1);
            let bytes = std::fs::read(&f).map_err(|e| ScanError::Read { path: f.display().to_string(), reason: e.to_string() })?;
            if bytes.is_empty() {
                continue;
            }
            let name = f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let ext = f.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            match self.ingest_page(&bytes, &name, &ext, report.stored)? {
                None => report.already_had += 1,
                Some(status) => {
                    report.stored += 1;
                    if status.to_resolve() {
                        report.to_resolve += 1;
                    } else {
                        report.matched += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// Runs `scanimage --batch` on `device` into a spool folder, then takes in every page it
    /// wrote, fault or not. Extra `options` go to scanimage as they are.
    pub fn scan_from_sane(&self, device: &str, options: &[String], sane_config_dir: Option<&Path>) -> Result<IntakeReport, ScanError> {
        let spool = self.scans_dir.join("spool").join(format!("{}-{}", self.exam_id, uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&spool).map_err(|e| ScanError::Storage {
            source_name: "scanner".into(),
            path: spool.display().to_string(),
            reason: e.to_string(),
            stored: 0,
        })?;
        let mut cmd = Command::new("scanimage");
        cmd.arg("-d").arg(device).arg("--format=pnm").arg(format!("--batch={}/page-%04d.pnm", spool.display()));
        cmd.args(options);
        if let Some(d) = sane_config_dir {
            cmd.env("SANE_CONFIG_DIR", d);
        }
        // Pages a run killed before its intake left in a spool are taken in first.
        let earlier = self.take_in_leftover_spools(&spool)?;
        let run = run_watched(cmd, &spool, SCANNER_STALL).map_err(|e| ScanError::NoScanimage(e.to_string()))?;
        let stderr = run.stderr;
        crate::util::crash_point("scan.sane_spooled");
        let mut report = self.ingest_folder(&spool)?;
        report.absorb(earlier);
        // scanimage ends a batch on an empty feeder; that is the normal end once pages came.
        let fault = if run.stalled {
            // A fault scanimage printed before it hung (SANE's test backend reports a jam, then
            // deadlocks in its cleanup) is the fault; silence is "not responding".
            Some(Some(ScannerFault::from_scanimage_stderr(&stderr)).filter(|f| *f != ScannerFault::Other).unwrap_or(ScannerFault::NotResponding))
        } else if !run.success {
            Some(ScannerFault::from_scanimage_stderr(&stderr))
        } else if report.stored + report.already_had == 0 {
            Some(ScannerFault::from_scanimage_stderr(&stderr)).filter(|f| *f != ScannerFault::Other).or(Some(ScannerFault::NoDocuments))
        } else {
            None
        };
        report.fault = fault;
        report.fault_detail = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").to_string();
        self.clear_spool(&spool);
        Ok(report)
    }
}

/// How a watched scanimage run ended.
struct ScanimageRun {
    success: bool,
    /// Stopped by the box: no page progress and no exit for the stall limit.
    stalled: bool,
    stderr: String,
}

/// Runs scanimage and waits for it, stopping it when nothing in `spool` grows and it does not
/// end for `stall` (the pages already written stay for the intake).
fn run_watched(mut cmd: Command, spool: &Path, stall: std::time::Duration) -> std::io::Result<ScanimageRun> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn()?;
    let mut pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(p) = pipe.as_mut() {
            let _ = p.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    });
    let progress = |spool: &Path| -> u64 {
        std::fs::read_dir(spool).map(|d| d.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len() + 1).sum()).unwrap_or(0)
    };
    let mut seen = progress(spool);
    let mut last_change = std::time::Instant::now();
    let (status, stalled) = loop {
        if let Some(status) = child.try_wait()? {
            break (status, false);
        }
        let now = progress(spool);
        if now != seen {
            seen = now;
            last_change = std::time::Instant::now();
        } else if last_change.elapsed() >= stall {
            tracing::warn!("scanimage made no progress for {} s: stopped", stall.as_secs());
            let _ = child.kill();
            break (child.wait()?, true);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let stderr = reader.join().unwrap_or_default();
    Ok(ScanimageRun { success: status.success(), stalled, stderr })
}

pub fn is_image_name(p: &Path) -> bool {
    let ext = p.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    matches!(ext.as_str(), "png" | "pnm" | "pgm" | "ppm" | "pbm" | "tif" | "tiff" | "jpg" | "jpeg")
}

pub use crate::attendance::{kind_from_str, kind_str};

/// Completeness of an exam from what is stored now.
pub fn completeness_now(conn: &Connection, exam: &str, expected: &super::ExpectedSheets) -> anyhow::Result<super::Completeness> {
    let pages = scan_store::pages_for_exam(conn, exam)?;
    let to_resolve = pages.iter().filter(|p| PageStatus::parse(&p.status).is_none_or(|s| s.to_resolve())).count() as u64
        + super::marks::store::pages_waiting(conn, exam)?;
    let scanned: Vec<super::ScannedSheet> = pages
        .iter()
        .filter(|p| p.status == "matched")
        .filter_map(|p| {
            Some(super::ScannedSheet {
                kind: kind_from_str(p.sheet_kind.as_deref()?)?,
                number: p.sheet_number?,
                participant_id: p.participant_id.clone(),
            })
        })
        .collect();
    Ok(super::completeness(expected, &scanned, to_resolve))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hung_scanimage_is_stopped_and_an_ended_one_keeps_its_status_and_message() {
        let spool = tempfile::tempdir().unwrap();
        let mut hung = std::process::Command::new("sleep");
        hung.arg("30");
        let started = std::time::Instant::now();
        let run = super::run_watched(hung, spool.path(), std::time::Duration::from_millis(300)).unwrap();
        assert!(run.stalled && !run.success);
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "stopped at the stall limit, not at its end");
        let mut failing = std::process::Command::new("sh");
        failing.args(["-c", "echo 'scanimage: sane_read: Document feeder jammed' >&2; exit 1"]);
        let run = super::run_watched(failing, spool.path(), std::time::Duration::from_secs(30)).unwrap();
        assert!(!run.stalled && !run.success);
        assert_eq!(super::ScannerFault::from_scanimage_stderr(&run.stderr), super::ScannerFault::Jammed);
        // Pages still being written count as progress: a slow writer is not stopped.
        let dir = spool.path().to_path_buf();
        let mut slow = std::process::Command::new("sh");
        slow.args(["-c", &format!("for i in 1 2 3 4 5; do echo x >> {}/page-0001.pnm; sleep 0.2; done", dir.display())]);
        let run = super::run_watched(slow, spool.path(), std::time::Duration::from_millis(600)).unwrap();
        assert!(!run.stalled && run.success);
    }

    use super::*;

    fn png(page: &image::GrayImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        page.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn blank() -> image::GrayImage {
        image::GrayImage::from_pixel(850, 1100, image::Luma([255u8]))
    }

    #[test]
    fn sheet_codes_foreign_qr_codes_and_data_matrix_codes_are_read_and_blank_pages_have_none() {
        let qr =
            |text: &str| qrcode::QrCode::new(text.as_bytes()).unwrap().render::<image::Luma<u8>>().module_dimensions(4, 4).quiet_zone(true).build();
        let mut page = blank();
        image::imageops::overlay(&mut page, &qr("PPE1.ege-02.0101.A1.0000007.4"), 500, 80);
        assert_eq!(decode_codes(&png(&page)), vec!["PPE1.ege-02.0101.A1.0000007.4".to_string()]);
        // Someone else's QR code alone: read too (by the thorough search after the quick one).
        let mut page = blank();
        image::imageops::overlay(&mut page, &qr("https://example.org/leaflet"), 100, 600);
        assert_eq!(decode_codes(&png(&page)), vec!["https://example.org/leaflet".to_string()]);

        // Not a QR code: only the thorough search reads it.
        let dm = datamatrix::DataMatrix::encode_str("DM-12345", datamatrix::SymbolList::default()).unwrap();
        let bitmap = dm.bitmap();
        let mut page = blank();
        let (scale, at) = (8u32, 200u32);
        for (x, y) in bitmap.pixels() {
            for dx in 0..scale {
                for dy in 0..scale {
                    page.put_pixel(at + x as u32 * scale + dx, at + y as u32 * scale + dy, image::Luma([0u8]));
                }
            }
        }
        assert_eq!(decode_codes(&png(&page)), vec!["DM-12345".to_string()]);

        assert!(decode_codes(&png(&blank())).is_empty(), "a blank page has no code");
        assert!(decode_codes(b"not an image").is_empty());
    }

    #[test]
    fn a_sheet_code_is_read_from_every_format_a_scanner_delivers_and_colour_is_greyed_as_rxing_does() {
        let code = "PPE1.ege-02.0101.A1.0000007.4";
        let symbol = qrcode::QrCode::new(code.as_bytes()).unwrap().render::<image::Luma<u8>>().module_dimensions(4, 4).quiet_zone(true).build();
        let mut page = blank();
        image::imageops::overlay(&mut page, &symbol, 500, 80);
        for format in [image::ImageFormat::Png, image::ImageFormat::Pnm, image::ImageFormat::Tiff, image::ImageFormat::Jpeg] {
            let mut out = std::io::Cursor::new(Vec::new());
            image::DynamicImage::ImageLuma8(page.clone()).to_rgb8().write_to(&mut out, format).unwrap();
            assert_eq!(decode_codes(&out.into_inner()), vec![code.to_string()], "{format:?}");
        }
        assert!(grey_page(b"GIF89a").is_none(), "a format intake does not take is no page");

        let colour = image::RgbaImage::from_fn(3, 1, |x, _| match x {
            0 => image::Rgba([255, 0, 0, 255]),
            1 => image::Rgba([10, 200, 30, 255]),
            _ => image::Rgba([0, 0, 0, 0]),
        });
        let grey = grey_for_codes(image::DynamicImage::ImageRgba8(colour));
        assert_eq!(grey.as_raw(), &vec![76, 124, 255], "BT.601 weights, rounded; transparent is white");
        let as_is = image::GrayImage::from_raw(2, 1, vec![7, 200]).unwrap();
        assert_eq!(grey_for_codes(image::DynamicImage::ImageLuma8(as_is.clone())), as_is);
    }
}
