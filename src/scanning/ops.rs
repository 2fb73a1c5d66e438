//! The scanning use cases of the box, shared by `ppe edge scan`, the UI, the daemon's inbox
//! duty and the demo: the key sheet codes are checked with, the sheets expected, a run of
//! intake from a folder or a SANE device, and a page assigned by a person (one transaction with
//! its audit entry).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::intake::{Intake, IntakeReport, ScanError};
use super::store as scan_store;
use super::ExpectedSheets;
use crate::context::EdgeContext;
use crate::model::ExamId;
use crate::store::Connection;

pub use super::intake::completeness_now;

/// Why a scanning use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ScanOpsError {
    #[error("нет страницы {0}")]
    UnknownPage(String),
    #[error("страница {page} относится к экзамену {exam}")]
    OtherExam { page: String, exam: String },
    #[error("код {code}: {reason}")]
    BadCode { code: String, reason: String },
    #[error("код относится к экзамену {exam} в ППЭ {ppe_code}")]
    OtherSheet { exam: String, ppe_code: String },
    #[error("лист {0} уже отсканирован")]
    ScannedAlready(String),
    #[error("сканер не задан: укажите папку или настройте [scanner] в ppe.toml")]
    NoScanner,
    #[error(transparent)]
    Intake(#[from] ScanError),
    /// A key, file or store that could not be read or written (the chain says which).
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// The key sheet codes are MACed with: derived from the box's signing key file.
pub fn box_sheet_key(ctx: &EdgeContext) -> anyhow::Result<ring::hmac::Key> {
    ctx.sheet_key()
}

/// The sheets an exam's scans are checked against: a JSON `ExpectedSheets` file when a
/// command is given one (`edge scan --expected FILE`), else the box's own record of issued
/// kits and attendance when kits were issued here — the same source the UI, status, upload
/// and the daemon read.
pub fn load_expected(ctx: &EdgeContext, exam: &str, path: Option<&Path>) -> anyhow::Result<Option<ExpectedSheets>> {
    let p = match path {
        Some(p) => p.to_path_buf(),
        None => {
            // The box's own record of issued kits and attendance, when kits were issued here.
            let conn = ctx.db()?;
            let expected = crate::attendance::ops::expected_sheets(&conn, exam, &ctx.config.ppe_code)?;
            return Ok((!expected.participants.is_empty()).then_some(expected));
        }
    };
    let text = std::fs::read(&p).with_context(|| format!("read {}", p.display()))?;
    Ok(Some(serde_json::from_slice(&text).with_context(|| format!("{} is not an ExpectedSheets JSON", p.display()))?))
}

/// Where the pages of an intake run come from.
#[derive(Debug, Clone)]
pub enum IntakeSource {
    /// A folder of page images (a network scanner's inbox, media).
    Folder(PathBuf),
    /// A SANE device with extra `scanimage` options.
    Sane { device: String, options: Vec<String> },
    /// The configured scanner: its SANE device, else its inbox folder for this exam.
    Configured,
}

/// One intake run of an exam.
#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub exam_id: ExamId,
    pub source: IntakeSource,
    /// The expected sheets as a JSON file instead of the box's own (see [`load_expected`]).
    pub expected_file: Option<PathBuf>,
    pub actor: String,
}

/// Takes in the pages of one run: each stored atomically by hash with its verdict. A scanner
/// fault ends the run with the pages before it kept (the report names the fault).
pub fn ingest(ctx: &EdgeContext, request: &IntakeRequest) -> Result<IntakeReport, ScanOpsError> {
    ingest_with_progress(ctx, request, &crate::cli_util::NO_PROGRESS)
}

/// [`ingest`], reporting the pages of a folder to `progress`.
pub fn ingest_with_progress(
    ctx: &EdgeContext,
    request: &IntakeRequest,
    progress: &dyn crate::cli_util::Progress,
) -> Result<IntakeReport, ScanOpsError> {
    let conn = ctx.db()?;
    let key = box_sheet_key(ctx)?;
    let exam = request.exam_id.as_str();
    let expected = load_expected(ctx, exam, request.expected_file.as_deref())?;
    let intake = Intake::for_box(ctx, &conn, &key, exam, &request.actor).expecting(expected.as_ref()).reporting(progress);
    let scanner = &ctx.config.scanner;
    let report = match &request.source {
        IntakeSource::Folder(dir) => intake.ingest_folder(dir)?,
        IntakeSource::Sane { device, options } => intake.scan_from_sane(device, options, None)?,
        IntakeSource::Configured if !scanner.device.is_empty() => intake.scan_from_sane(&scanner.device, &[], None)?,
        IntakeSource::Configured => match &scanner.inbox {
            Some(inbox) => intake.ingest_folder(&inbox.join(exam))?,
            None => return Err(ScanOpsError::NoScanner),
        },
    };
    Ok(report)
}

/// A person assigns a page waiting for one to the sheet whose code they read off it.
#[derive(Debug, Clone)]
pub struct AssignRequest {
    pub exam_id: ExamId,
    pub page_id: String,
    pub code: String,
    pub actor: String,
}

/// Assigns a page to a sheet of this exam point not scanned yet: one transaction with its
/// audit entry. The owner of the sheet comes from the expected sheets, when known.
pub fn assign(
    ctx: &EdgeContext,
    conn: &Connection,
    key: &ring::hmac::Key,
    expected: Option<&ExpectedSheets>,
    request: &AssignRequest,
) -> Result<(), ScanOpsError> {
    let (exam, page_id, code, actor) = (request.exam_id.as_str(), request.page_id.as_str(), request.code.as_str(), request.actor.as_str());
    let page = scan_store::page_get(conn, page_id).context("load page")?.ok_or_else(|| ScanOpsError::UnknownPage(page_id.into()))?;
    if page.exam_id != exam {
        return Err(ScanOpsError::OtherExam { page: page_id.into(), exam: page.exam_id });
    }
    let id = crate::sheet_code::decode(code, key).map_err(|e| ScanOpsError::BadCode { code: code.into(), reason: e.to_string() })?;
    if id.exam_id != exam || id.ppe_code != ctx.config.ppe_code {
        return Err(ScanOpsError::OtherSheet { exam: id.exam_id, ppe_code: id.ppe_code });
    }
    let kind = super::intake::kind_str(id.kind);
    if scan_store::sheet_is_scanned(conn, exam, kind, id.number).context("load scanned sheets")? {
        return Err(ScanOpsError::ScannedAlready(code.into()));
    }
    let owner = expected.and_then(|e| e.owner_of(id.kind, id.number)).flatten().map(str::to_string);
    let form = expected.filter(|_| id.kind == crate::sheet_code::SheetKind::Statement).and_then(|e| e.form_page(id.number));
    let owner = owner.or_else(|| form.as_ref().and_then(|f| f.participant_id.clone()));
    let now = ctx.clock.now_rfc3339();
    let tx = conn.unchecked_transaction().context("start transaction")?;
    scan_store::page_resolve(&tx, page_id, Some(code), kind, id.number, owner.as_deref(), form.as_ref(), actor).context("resolve page")?;
    crate::audit::store::append(
        &tx,
        &now,
        crate::audit::NewEntry {
            actor,
            action: "scan.page_assigned",
            object: page_id,
            details: serde_json::json!({"exam_id": exam, "sheet_kind": kind, "sheet_number": id.number, "was": page.status}),
        },
    )
    .context("audit")?;
    tx.commit().context("commit page")?;
    Ok(())
}
