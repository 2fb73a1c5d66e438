//! Readiness use cases, each change one transaction with its audit entry. Box: run the checks
//! (a test page with a fresh sheet code per station through CUPS, the scanner, the hub's
//! signed time, the disk, the package), take the test pages back from a scan, report the
//! latest run to РЦОИ. Hub: judge and keep a box's report. The forms are in `forms`.
//!
//! CUPS and the hub are awaited; a database connection is taken for each short step and never
//! held across an await.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Offset, Utc};

use super::store::{self, RunRow};
use super::{
    judge, judge_report, probe, room_station, station_title, summarize, test_page_holder, BadReport, PointFacts, PrinterFacts, ReadinessAck,
    ReadinessFacts, ReadinessReport, StationFacts, Summary, TestPageFacts, Verdict, STAFF_STATION,
};
use crate::audit::{self, NewEntry};
use crate::context::EdgeContext;
use crate::hub_client::DistributionCallError;
use crate::model::{Exam, ExamId, Plan, PpeCode};
use crate::printing::cups::CupsTarget;
use crate::printing::PrintingError;
use crate::sheet_code::{SheetId, SheetKind};
use crate::store::{Connection, Transaction};

#[derive(Debug, thiserror::Error)]
pub enum ReadinessError {
    #[error("экзамена {0} нет в плане этой станции")]
    UnknownExam(String),
    #[error("проверка готовности к экзамену {0} ещё не проводилась: ppe edge readiness run --exam {0}")]
    NoRun(String),
    #[error("{0}")]
    BadReport(#[from] BadReport),
    #[error("{0}")]
    Hub(#[from] DistributionCallError),
    #[error(transparent)]
    Form(#[from] PrintingError),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

type Result<T, E = ReadinessError> = std::result::Result<T, E>;

/// A run of the checks for an exam.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub exam_id: ExamId,
    /// Test pages into this folder instead of CUPS (a box without a printer: the demo).
    pub out: Option<PathBuf>,
    pub actor: String,
}

/// A run with its verdicts.
#[derive(Debug, Clone)]
pub struct RunView {
    pub run: RunRow,
    pub verdicts: Vec<Verdict>,
    pub summary: Summary,
}

impl RunView {
    fn of(run: RunRow) -> Self {
        let verdicts = judge(&run.facts, &run.limits);
        let summary = summarize(&run.facts, &verdicts);
        Self { run, verdicts, summary }
    }
}

/// The key sheet codes are MACed with (derived from the box's signing key file, as every
/// sheet's code is).
pub fn sheet_key(ctx: &EdgeContext) -> anyhow::Result<ring::hmac::Key> {
    let secret = std::fs::read(&ctx.config.keys.signing_key_file)
        .with_context(|| format!("read the box key {}", ctx.config.keys.signing_key_file.display()))?;
    Ok(crate::sheet_code::sheet_key(&secret))
}

fn audit(tx: &Transaction<'_>, at: &str, actor: &str, action: &str, object: &str, details: serde_json::Value) -> Result<()> {
    audit::store::append(tx, at, NewEntry { actor, action, object, details }).context("audit")?;
    Ok(())
}

fn load_exam(conn: &Connection, exam_id: &ExamId) -> Result<(Plan, Exam)> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let exam = plan.exams.iter().find(|e| e.exam_id == exam_id.as_str()).cloned().ok_or_else(|| ReadinessError::UnknownExam(exam_id.to_string()))?;
    Ok((plan, exam))
}

/// The auditoriums whose stations are checked: the seated ones of the exam, or (before the
/// seating) every auditorium of the point in the plan.
pub fn auditoriums_to_check(conn: &Connection, plan: &Plan, exam_id: &str, ppe_code: &str) -> Result<Vec<String>> {
    let mut seated: Vec<String> = crate::seating::store::seat_assignments_for_exam(conn, exam_id)
        .context("load seating")?
        .into_iter()
        .filter(|s| s.ppe_code == ppe_code)
        .map(|s| s.auditorium)
        .collect();
    if seated.is_empty() {
        seated = plan.auditoriums.iter().filter(|a| a.ppe_code == ppe_code).map(|a| a.auditorium.clone()).collect();
    }
    seated.sort();
    seated.dedup();
    Ok(seated)
}

/// A station as planned for a run, with its test page's sheet number.
struct Planned {
    facts: StationFacts,
    number: u32,
}

/// Reserves one fresh sheet number per station (a repeated run prints new codes, so an old
/// page cannot pass a new run) and records the run as begun.
fn begin(ctx: &EdgeContext, request: &RunRequest) -> Result<(i64, Exam, Plan, Vec<Planned>)> {
    let mut conn = ctx.db()?;
    let (plan, exam) = load_exam(&conn, &request.exam_id)?;
    let ppe_code = ctx.config.ppe_code.clone();
    let out_queue = request.out.as_ref().map(|d| format!("папка {}", d.display()));
    let queue_of = |auditorium: Option<&str>| {
        out_queue.clone().unwrap_or_else(|| {
            auditorium.and_then(|a| ctx.config.readiness.printers.get(a)).cloned().unwrap_or_else(|| ctx.config.printer.name.clone())
        })
    };
    let mut stations = vec![(STAFF_STATION.to_string(), None)];
    stations.extend(auditoriums_to_check(&conn, &plan, &exam.exam_id, &ppe_code)?.into_iter().map(|a| (room_station(&a), Some(a))));
    let at = ctx.clock.now_rfc3339();
    let limits = ctx.config.readiness.limits();
    let tx = conn.transaction().context("start transaction")?;
    let first =
        crate::printing::store::sheet_numbers_reserve(&tx, &exam.exam_id, &ppe_code, stations.len() as u32).context("reserve sheet numbers")?;
    let planned: Vec<Planned> = stations
        .into_iter()
        .enumerate()
        .map(|(i, (station, auditorium))| {
            let printer = PrinterFacts { queue: queue_of(auditorium.as_deref()), reachable: false, detail: String::new(), test_page: None };
            Planned { facts: StationFacts { station, auditorium, printer }, number: first + i as u32 }
        })
        .collect();
    let facts = ReadinessFacts { stations: planned.iter().map(|p| p.facts.clone()).collect(), point: PointFacts::default() };
    let run_id = store::run_insert(&tx, &exam.exam_id, &ppe_code, &at, &request.actor, &limits, &facts)?;
    for p in &planned {
        store::test_page_insert(&tx, run_id, &p.facts.station, &test_page_holder(&p.facts.station), &exam.exam_id, p.number)?;
    }
    let numbers: Vec<u32> = planned.iter().map(|p| p.number).collect();
    audit(
        &tx,
        &at,
        &request.actor,
        "readiness.run_start",
        &exam.exam_id,
        serde_json::json!({"ppe_code": ppe_code, "run_id": run_id, "test_pages": numbers}),
    )?;
    tx.commit().context("commit readiness run")?;
    Ok((run_id, exam, plan, planned))
}

/// `ДД.ММ.ГГГГ ЧЧ:ММ` at the exam point.
pub fn local_stamp(exam: &Exam, at: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(exam.utc_offset_min * 60).unwrap_or_else(|| chrono::Utc.fix());
    at.with_timezone(&offset).format("%d.%m.%Y %H:%M").to_string()
}

/// Prints one station's test page (or writes it to `out`) and follows the job.
async fn print_test_page(
    ctx: &EdgeContext,
    exam: &Exam,
    plan: &Plan,
    planned: &mut Planned,
    key: &ring::hmac::Key,
    out: Option<&Path>,
) -> Result<()> {
    let header = crate::printing::inputs::exam_header(plan, exam, &ctx.config.ppe_code);
    let sheet = SheetId { exam_id: exam.exam_id.clone(), ppe_code: ctx.config.ppe_code.clone(), kind: SheetKind::Statement, number: planned.number };
    let now = ctx.clock.now();
    let input = crate::printing::forms::TestPageInput {
        exam: header,
        station_title: station_title(&planned.facts),
        queue: planned.facts.printer.queue.clone(),
        sheet,
        printed_at: local_stamp(exam, now),
    };
    let doc = crate::printing::forms::readiness_test_page_pdf(&input, key)?;
    let mut page = TestPageFacts {
        sheet_number: planned.number,
        cups_job_id: None,
        job_state: String::new(),
        job_reason: String::new(),
        printed_at: ctx.clock.now_rfc3339(),
        scanned_at: None,
    };
    let printer = &mut planned.facts.printer;
    if let Some(dir) = out {
        let path = dir.join(format!("readiness-{}-{:07}.pdf", planned.facts.station, planned.number));
        match std::fs::create_dir_all(dir).and_then(|_| crate::util::write_atomic(&path, &doc.bytes)) {
            Ok(()) => {
                (printer.reachable, printer.detail) = (true, "печать в папку".into());
                page.job_state = "written".into();
            }
            Err(e) => {
                printer.detail = format!("{}: {e}", path.display());
                (page.job_state, page.job_reason) = ("failed".into(), printer.detail.clone());
            }
        }
        printer.test_page = Some(page);
        return Ok(());
    }
    if printer.queue.trim().is_empty() {
        printer.detail = "очередь печати не задана ([printer] name, [readiness.printers])".into();
        return Ok(());
    }
    let target = CupsTarget::new(&ctx.config.printer.cups_uri, &printer.queue);
    (printer.reachable, printer.detail) = probe::printer_reachable(&target).await;
    let wait = Duration::from_secs(ctx.config.readiness.test_print_wait_secs.max(1));
    match target.submit(&format!("{} Тестовая страница {}", exam.exam_id, planned.facts.station), doc.bytes).await {
        Ok(job) => {
            page.cups_job_id = Some(job);
            match target.wait_settled(job, wait).await {
                Ok(status) => {
                    page.job_state = status.state.code().to_string();
                    if !matches!(status.state, crate::printing::JobState::Completed) {
                        page.job_reason = status.reasons;
                    }
                }
                Err(e) => (page.job_state, page.job_reason) = ("unknown".into(), e.to_string()),
            }
        }
        Err(e) => (page.job_state, page.job_reason) = ("failed".into(), e.to_string()),
    }
    printer.test_page = Some(page);
    Ok(())
}

/// The box clock minus the hub's signed time, when the hub answers.
async fn clock_offset_ms(ctx: &EdgeContext) -> Option<i64> {
    let client = crate::hub_client::HubClient::from_context(ctx).map_err(|e| tracing::warn!("readiness: no hub client: {e}")).ok()?;
    match client.time().await {
        Ok(Some(hub)) => Some((ctx.clock.now() - hub.at).num_milliseconds()),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!("readiness: hub time not had: {e}");
            None
        }
    }
}

/// Runs every check for an exam: each station's test page, the scanner, the clock against the
/// hub, the disk, the package and its activation; the run is kept with its facts.
pub async fn run(ctx: &EdgeContext, request: &RunRequest) -> Result<RunView> {
    let (run_id, exam, plan, mut planned) = begin(ctx, request)?;
    let key = sheet_key(ctx)?;
    for p in planned.iter_mut() {
        print_test_page(ctx, &exam, &plan, p, &key, request.out.as_deref()).await?;
    }
    let scanner_config = ctx.config.scanner.clone();
    let scanner = tokio::task::spawn_blocking(move || probe::probe_scanner(&scanner_config)).await.context("scanner probe")?;
    let clock_offset_ms = clock_offset_ms(ctx).await;
    let mut conn = ctx.db()?;
    let package = probe::package_facts(&conn, &ctx.config, &plan, &exam)?;
    let point = PointFacts { clock_offset_ms, free_disk_bytes: probe::free_disk_bytes(&ctx.config.state_dir), scanner, package };
    let facts = ReadinessFacts { stations: planned.into_iter().map(|p| p.facts).collect(), point };
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    store::run_update_facts(&tx, run_id, &facts, &at)?;
    let summary = summarize(&facts, &judge(&facts, &ctx.config.readiness.limits()));
    audit(
        &tx,
        &at,
        &request.actor,
        "readiness.run",
        &exam.exam_id,
        serde_json::json!({"run_id": run_id, "ready": summary.ready, "failing": summary.failing.len()}),
    )?;
    tx.commit().context("commit readiness run")?;
    latest(&conn, &request.exam_id, &PpeCode::from(&ctx.config.ppe_code))
}

/// The latest run of an exam with its verdicts.
pub fn latest(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode) -> Result<RunView> {
    let run = store::run_latest(conn, exam_id.as_str(), ppe_code.as_str())?.ok_or_else(|| ReadinessError::NoRun(exam_id.to_string()))?;
    Ok(RunView::of(run))
}

/// What taking in a scan of test pages found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanBack {
    /// Stations whose test page of the latest run was recognized now.
    pub matched: Vec<String>,
    /// Test pages of an earlier run (printed again since: they do not count).
    pub stale: usize,
    /// Images with no test page code of this exam and point.
    pub unrecognized: Vec<String>,
}

/// Takes scanned images of test pages: each code is decoded and verified (MAC, this exam and
/// point) and the page of the latest run it names counts as scanned back, audited.
pub fn scan_back_images(ctx: &EdgeContext, exam_id: &ExamId, images: &[(String, Vec<u8>)], actor: &str) -> Result<ScanBack> {
    let key = sheet_key(ctx)?;
    let ppe_code = PpeCode::from(&ctx.config.ppe_code);
    let mut conn = ctx.db()?;
    let mut run = store::run_latest(&conn, exam_id.as_str(), ppe_code.as_str())?.ok_or_else(|| ReadinessError::NoRun(exam_id.to_string()))?;
    let mut outcome = ScanBack::default();
    let mut found: Vec<(String, String)> = Vec::new();
    for (name, bytes) in images {
        let ids: Vec<SheetId> = crate::scanning::intake::decode_codes(bytes).iter().filter_map(|t| crate::sheet_code::decode(t, &key).ok()).collect();
        let page = ids
            .iter()
            .filter(|id| id.exam_id == exam_id.as_str() && id.ppe_code == ppe_code.as_str() && id.kind == SheetKind::Statement)
            .find_map(|id| store::test_page_by_number(&conn, exam_id.as_str(), id.number).ok().flatten());
        match page {
            Some((run_id, station, _)) if run_id == run.run_id => found.push((station, crate::util::sha256_hex(bytes))),
            Some(_) => outcome.stale += 1,
            None => outcome.unrecognized.push(name.clone()),
        }
    }
    if found.is_empty() {
        return Ok(outcome);
    }
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    for (station, sha) in &found {
        let Some(s) = run.facts.stations.iter_mut().find(|s| &s.station == station) else { continue };
        let Some(page) = s.printer.test_page.as_mut() else { continue };
        if page.scanned_at.is_none() {
            page.scanned_at = Some(at.clone());
            store::test_page_scanned(&tx, run.run_id, station, &at, sha)?;
            outcome.matched.push(station.clone());
        }
    }
    store::run_update_facts(&tx, run.run_id, &run.facts, &at)?;
    audit(&tx, &at, actor, "readiness.test_pages_scanned", exam_id.as_str(), serde_json::json!({"run_id": run.run_id, "stations": outcome.matched}))?;
    tx.commit().context("commit scan")?;
    Ok(outcome)
}

/// Reads the image files of a folder (in name order) for [`scan_back_images`].
pub fn images_in(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && crate::scanning::intake::is_image_name(p))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).with_context(|| format!("read {}", f.display()))?;
        out.push((f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), bytes));
    }
    Ok(out)
}

/// The report of the latest run as the hub receives it.
pub fn report_of(run: &RunRow, box_now: &str) -> ReadinessReport {
    ReadinessReport {
        ppe_code: run.ppe_code.clone(),
        exam_id: run.exam_id.clone(),
        box_time: box_now.to_string(),
        run_at: run.started_at.clone(),
        limits: run.limits,
        facts: run.facts.clone(),
    }
}

/// Sends the latest run of an exam to the hub; the run is marked reported with the hub's word.
pub async fn report(ctx: &EdgeContext, exam_id: &ExamId, actor: &str) -> Result<ReadinessAck> {
    let ppe_code = PpeCode::from(&ctx.config.ppe_code);
    let run = latest(&*ctx.db()?, exam_id, &ppe_code)?.run;
    let client = crate::hub_client::HubClient::from_context(ctx).context("hub client")?;
    let ack = client.report_readiness(&report_of(&run, &ctx.clock.now_rfc3339())).await?;
    let mut conn = ctx.db()?;
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    store::run_mark_reported(&tx, run.run_id, &at)?;
    audit(
        &tx,
        &at,
        actor,
        "readiness.reported",
        exam_id.as_str(),
        serde_json::json!({"run_id": run.run_id, "hub_ready": ack.ready, "hub_failing": ack.failing.len()}),
    )?;
    tx.commit().context("commit report")?;
    Ok(ack)
}

/// The hub: judges a box's report (with the clock offset it measures from the report's box
/// time) and keeps it, audited.
pub fn record_report(conn: &mut Connection, caller: &PpeCode, report: &ReadinessReport, now: DateTime<Utc>) -> Result<ReadinessAck> {
    super::check_report(report, caller.as_str())?;
    if !crate::plan::store::exam_points_of_exam(conn, &report.exam_id).context("load plan")?.iter().any(|p| p == caller.as_str()) {
        return Err(BadReport::Shape(format!("ППЭ {caller} не назначен на экзамен {}", report.exam_id)).into());
    }
    let box_time =
        DateTime::parse_from_rfc3339(&report.box_time).map_err(|_| BadReport::Shape("время станции не RFC 3339".into()))?.with_timezone(&Utc);
    let offset = (box_time - now).num_milliseconds();
    let (_, summary) = judge_report(report, offset);
    let at = now.to_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    let id = store::report_insert(&tx, report, &at, offset, summary.ready, &summary.failing)?;
    audit(
        &tx,
        &at,
        caller.as_str(),
        "readiness.report_received",
        &report.exam_id,
        serde_json::json!({"ppe_code": caller.as_str(), "report_id": id, "ready": summary.ready, "failing": summary.failing.len(), "clock_offset_ms": offset}),
    )?;
    tx.commit().context("commit report")?;
    Ok(ReadinessAck { received_at: at, ready: summary.ready, failing: summary.failing, clock_offset_ms: offset })
}

/// The readiness forms of the latest run, printed or written to a folder.
#[derive(Debug, Clone)]
pub struct FormsRequest {
    pub exam_id: ExamId,
    pub out: Option<PathBuf>,
    pub printer: Option<String>,
    pub actor: String,
}

/// Reserves a readiness form's sheet numbers once per holder (a reprint carries the same codes).
fn form_numbers(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, holder: &str) -> Result<Vec<u32>> {
    let have = crate::printing::store::kit_sheets_get(tx, exam_id, holder).context("load sheet numbers")?;
    if !have.is_empty() {
        return Ok(have.into_iter().map(|(_, n)| n).collect());
    }
    let budget = super::forms::FORM_PAGE_BUDGET;
    let first = crate::printing::store::sheet_numbers_reserve(tx, exam_id, ppe_code, budget).context("reserve sheet numbers")?;
    let sheets: Vec<(SheetKind, u32)> = (0..budget).map(|i| (SheetKind::Statement, first + i)).collect();
    crate::printing::store::kit_sheets_insert(tx, exam_id, holder, &sheets).context("store sheet numbers")?;
    Ok(sheets.into_iter().map(|(_, n)| n).collect())
}

/// Lays out ППЭ-01-01 per auditorium station, ППЭ-01-02 and ППЭ-01 from the latest run, each
/// with its sheet code; the pages they take are recorded as printed statements (scanned when
/// filled, not required for completeness), in one transaction with the audit entry.
pub fn make_forms(ctx: &EdgeContext, request: &FormsRequest) -> Result<Vec<crate::printing::PrintDocument>> {
    let mut conn = ctx.db()?;
    let ppe_code = ctx.config.ppe_code.clone();
    let view = latest(&conn, &request.exam_id, &PpeCode::from(&ppe_code))?;
    let (plan, exam) = load_exam(&conn, &request.exam_id)?;
    let key = sheet_key(ctx)?;
    let header = crate::printing::inputs::exam_header(&plan, &exam, &ppe_code);
    let started = DateTime::parse_from_rfc3339(&view.run.started_at).map(|t| t.with_timezone(&Utc)).unwrap_or_else(|_| ctx.clock.now());
    let checked_at = local_stamp(&exam, started);
    let signers = super::forms::signers(&plan, &ppe_code, &exam);
    let mut protocols = super::forms::protocols(&header, &view.run.facts, &view.verdicts, &signers, &checked_at);
    let mut act = super::forms::act(&header, &plan, &ppe_code, &view.run.facts, &view.verdicts, &signers, &checked_at);
    let sheet = |number: u32| SheetId { exam_id: exam.exam_id.clone(), ppe_code: ppe_code.clone(), kind: SheetKind::Statement, number };
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    let mut holders = Vec::new();
    for p in protocols.iter_mut() {
        let holder = super::forms::form_holder(super::forms::protocol_form(p), p.auditorium.as_deref());
        let numbers = form_numbers(&tx, &exam.exam_id, &ppe_code, &holder)?;
        p.first_sheet = numbers.first().copied().map(sheet);
        holders.push((holder, super::forms::protocol_form(p), numbers));
    }
    let act_holder = super::forms::form_holder("ППЭ-01", None);
    let act_numbers = form_numbers(&tx, &exam.exam_id, &ppe_code, &act_holder)?;
    act.first_sheet = act_numbers.first().copied().map(sheet);
    holders.push((act_holder, "ППЭ-01", act_numbers));
    let mut documents = Vec::new();
    for p in &protocols {
        let mut doc = crate::printing::forms::readiness_protocol_pdf(p, &key)?;
        doc.file_name = match &p.auditorium {
            Some(a) => format!("ppe-01-01-{a}.pdf"),
            None => "ppe-01-02.pdf".into(),
        };
        documents.push(doc);
    }
    let mut doc = crate::printing::forms::readiness_act_pdf(&act, &key)?;
    doc.file_name = "ppe-01.pdf".into();
    documents.push(doc);
    let mut printed = Vec::new();
    for ((holder, form, numbers), doc) in holders.into_iter().zip(&documents) {
        if doc.pages as usize > numbers.len() {
            return Err(PrintingError::NothingToPrint(format!("{form}: {} стр., а номеров листов выделено {}", doc.pages, numbers.len())).into());
        }
        let statement =
            crate::attendance::PrintedStatement {
            holder,
            form: form.to_string(),
            auditorium: None,
            participant_id: None,
            numbers: numbers[..doc.pages as usize].to_vec(),
            required: false,
        };
        crate::attendance::store::statement_sheets_replace(&tx, &exam.exam_id, &ppe_code, &statement, &at).context("store statement sheets")?;
        printed.push(serde_json::json!({"holder": statement.holder, "numbers": statement.numbers}));
    }
    audit(
        &tx,
        &at,
        &request.actor,
        "readiness.forms",
        &exam.exam_id,
        serde_json::json!({"ppe_code": ppe_code, "run_id": view.run.run_id, "forms": printed}),
    )?;
    tx.commit().context("commit readiness forms")?;
    Ok(documents)
}

/// Prints the readiness forms (or writes them to `out`); a line per document saying where it went.
pub async fn print_forms(ctx: &EdgeContext, request: &FormsRequest) -> Result<Vec<String>> {
    let documents = make_forms(ctx, request)?;
    let mut lines = Vec::new();
    if let Some(dir) = &request.out {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        for doc in &documents {
            let path = dir.join(&doc.file_name);
            crate::util::write_atomic(&path, &doc.bytes).with_context(|| format!("write {}", path.display()))?;
            lines.push(format!("{} ({} стр.): {}", doc.title, doc.pages, path.display()));
        }
        return Ok(lines);
    }
    let queue = request.printer.clone().unwrap_or_else(|| ctx.config.printer.name.clone());
    if queue.trim().is_empty() {
        return Err(anyhow::anyhow!("нет принтера: --printer или [printer] name в {}", ctx.config_path.display()).into());
    }
    let target = CupsTarget::new(&ctx.config.printer.cups_uri, &queue);
    let wait = Duration::from_secs(ctx.config.readiness.test_print_wait_secs.max(1));
    for doc in documents {
        let job = target.submit(&format!("{} {}", request.exam_id, doc.title), doc.bytes.clone()).await?;
        let status = target.wait_settled(job, wait).await?;
        lines.push(format!("{} ({} стр.): задание CUPS {job}, {}", doc.title, doc.pages, status.state.code()));
    }
    Ok(lines)
}

/// The dashboard's readiness of an exam day: the day asked for (or the next exam day by the
/// hub's clock), the exam days of the plan, every (exam, point) of that day with its latest
/// report, and each exam's UTC offset for the times shown. Reads only.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DashboardDay {
    pub date: Option<String>,
    pub dates: Vec<String>,
    pub points: Vec<super::DayRow>,
    #[serde(skip)]
    pub offsets: Vec<(String, i32)>,
}

pub fn dashboard_day(conn: &Connection, now: DateTime<Utc>, asked: Option<String>) -> Result<DashboardDay> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let date = asked.filter(|d| !d.is_empty()).or_else(|| super::next_exam_day(&plan.exams, now));
    let mut dates: Vec<String> = plan.exams.iter().map(|e| e.date.clone()).collect();
    dates.sort();
    dates.dedup();
    let mut reports = Vec::new();
    for exam in plan.exams.iter().filter(|e| Some(&e.date) == date.as_ref()) {
        reports.extend(store::reports_latest_for_exam(conn, &exam.exam_id)?);
    }
    let points = date.as_deref().map(|d| super::day_table(&plan, d, &reports)).unwrap_or_default();
    let offsets = plan.exams.iter().map(|e| (e.exam_id.clone(), e.utc_offset_min)).collect();
    Ok(DashboardDay { date, dates, points, offsets })
}
