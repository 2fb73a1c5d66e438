//! The printing use cases of the box, shared by `ppe edge print` and the UI: lay out an exam
//! point's documents (sheet numbers reserved once per holder, in one transaction with its audit
//! entry), write them to a folder or send them to CUPS and follow each job, reprint, refresh
//! job states, record a person's confirmation of receipt, print the exam materials from memory,
//! and the statements' structured records for the upload bundle (no PDF is made for those).
//!
//! The CUPS steps are `async fn`s for the daemon and the UI to `.await`: no runtime is built
//! here. A database connection is taken from the pool for each short step and never held
//! across an await, so the futures are `Send`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::cups::CupsTarget;
use super::inputs::{act_needs, sheet_needs, PrintContext, PrintSet};
pub use super::kim::ops::{print_exam_materials, MaterialsPrintRequest};
pub use super::records::{load_day, statement_records};
use super::store::{self as print_store, NewPrintJob, PrintJobRow};
use super::{JobState, PrintDocument, PrintWhat, PrintingError};
use crate::context::EdgeContext;
use crate::model::{AuditoriumCode, ExamId, ParticipantId};
use crate::store::{Connection, Transaction};

/// Why a print use case refused or failed, phrased so the operator can act on it.
#[derive(Debug, thiserror::Error)]
pub enum PrintOpsError {
    #[error("экзамена {0} нет в плане этого ППЭ")]
    UnknownExam(ExamId),
    #[error("задание печати {0} не найдено")]
    UnknownJob(i64),
    #[error("задание печати {job} относится к экзамену {belongs}, а не {asked}")]
    OtherExam { job: i64, belongs: String, asked: ExamId },
    #[error("задание печати {job} в состоянии {state}: не напечатано; повторите печать: --reprint {job}")]
    NotPrinted { job: i64, state: &'static str },
    #[error("получение задания печати {0} подтверждено; перепечатывать нечего")]
    ConfirmedAlready(i64),
    #[error("принтер не задан: укажите --printer ИМЯ или `name` в разделе [printer] файла {0}")]
    NoPrinter(String),
    #[error("документ {0} больше нельзя сформировать")]
    DocumentGone(String),
    #[error("участник {participant}: на экзамене {exam} нет удаления или досрочного завершения, акт печатать не по чему")]
    NoAct { exam: ExamId, participant: ParticipantId },
    #[error("апелляции № {appeal} на экзамене {exam} в этом ППЭ нет")]
    NoAppeal { exam: ExamId, appeal: i64 },
    #[error("пакет экзамена {0} не получен")]
    NoPackage(ExamId),
    #[error("нет рассадки на экзамен {exam}{room}: печатать материалы некому")]
    NobodySeated { exam: ExamId, room: String },
    #[error("КИМ экзамена {exam} печатаются {how} не раньше {from} по местному времени ППЭ (сейчас {now})")]
    KimTooEarly { exam: ExamId, how: &'static str, from: String, now: String },
    #[error("экзамен {exam}{room}: {reason}")]
    NoKimToPrint { exam: ExamId, room: String, reason: &'static str },
    #[error(transparent)]
    KimPlan(#[from] super::kim::KimPlanError),
    #[error(transparent)]
    Form(#[from] PrintingError),
    /// A store, file or key that could not be read or written (the chain says which).
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

type Result<T, E = PrintOpsError> = std::result::Result<T, E>;

/// What to lay out (and, for [`print_set`], send to the printer).
#[derive(Debug, Clone)]
pub struct PrintRequest {
    pub exam_id: ExamId,
    pub what: PrintWhat,
    /// Only this auditorium.
    pub auditorium: Option<AuditoriumCode>,
    /// CUPS queue; `None` is the configured `[printer] name`.
    pub printer: Option<String>,
    /// How long to follow each job in CUPS before reporting it.
    pub wait: Duration,
    /// Who asked (the audit entries' actor).
    pub actor: String,
}

/// One participant's act (ППЭ-21 removal or ППЭ-22 early finish), from their recorded event.
#[derive(Debug, Clone)]
pub struct ActRequest {
    pub exam_id: ExamId,
    pub participant_id: ParticipantId,
    pub printer: Option<String>,
    pub wait: Duration,
    pub actor: String,
}

/// A person confirms that the printed run of a job was received: only then it counts.
#[derive(Debug, Clone)]
pub struct ConfirmRequest {
    pub exam_id: ExamId,
    pub job: i64,
    /// Who confirms (recorded in the audit entry's details).
    pub by: String,
    pub actor: String,
}

/// A failed, cancelled or lost job printed again (the stuck CUPS job is cancelled first).
#[derive(Debug, Clone)]
pub struct ReprintRequest {
    pub exam_id: ExamId,
    pub job: i64,
    /// Another queue; `None` is the job's own.
    pub printer: Option<String>,
    pub wait: Duration,
    pub actor: String,
}

/// What a confirmation did.
#[derive(Debug, Clone)]
pub enum Confirmation {
    Confirmed(PrintJobRow),
    /// Confirmed before: nothing changed.
    AlreadyConfirmed(PrintJobRow),
}

/// A job's state after [`refresh_status`]; `cups_error` when CUPS could not be asked.
#[derive(Debug, Clone)]
pub struct JobStatusLine {
    pub row: PrintJobRow,
    pub cups_error: Option<String>,
}

fn audit(tx: &Transaction<'_>, at: &str, actor: &str, action: &str, object: &str, details: serde_json::Value) -> anyhow::Result<()> {
    crate::audit::store::append(tx, at, crate::audit::NewEntry { actor, action, object, details }).context("audit")?;
    Ok(())
}

/// The queue a request names, or the configured one.
pub fn target(ctx: &EdgeContext, printer: Option<&str>) -> Result<CupsTarget> {
    let name = printer.map(str::to_string).unwrap_or_else(|| ctx.config.printer.name.clone());
    if name.trim().is_empty() {
        return Err(PrintOpsError::NoPrinter(ctx.config_path.display().to_string()));
    }
    Ok(CupsTarget::new(&ctx.config.printer.cups_uri, &name))
}

/// The plan's exam, this exam point's seats of it and the day's record: what every layout reads.
struct Loaded {
    plan: crate::model::Plan,
    exam: crate::model::Exam,
    seats: Vec<crate::model::SeatAssignment>,
}

fn load(conn: &Connection, exam_id: &ExamId, ppe_code: &str) -> Result<Loaded> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let exam = plan.exams.iter().find(|e| e.exam_id == exam_id.as_str()).cloned().ok_or_else(|| PrintOpsError::UnknownExam(exam_id.clone()))?;
    let seats = crate::seating::store::seat_assignments_for_exam(conn, exam_id)
        .context("load seating")?
        .into_iter()
        .filter(|s| s.ppe_code == ppe_code)
        .collect();
    Ok(Loaded { plan, exam, seats })
}

/// Gives each holder its sheet numbers, once: a participant's kit is attendance's (kits
/// replaced there void old numbers, so what is printed is what scanning expects); a form's
/// numbers are reserved on its first print and kept, so a reprint carries the same codes.
/// Returns the numbers and how many were given now.
fn reserve_numbers(
    tx: &Transaction<'_>,
    at: &str,
    exam_id: &ExamId,
    ppe_code: &str,
    needs: &[(String, Vec<crate::sheet_code::SheetKind>)],
) -> Result<(HashMap<String, Vec<u32>>, u32)> {
    let mut numbers: HashMap<String, Vec<u32>> = HashMap::new();
    let mut reserved = 0u32;
    for (holder, kinds) in needs {
        if !holder.starts_with("form:") {
            let before = crate::attendance::store::next_sheet_number(tx, exam_id, ppe_code).map_err(anyhow::Error::from)?;
            let have = crate::attendance::ops::kit_for(tx, at, exam_id, ppe_code, holder).map_err(anyhow::Error::from)?;
            reserved += crate::attendance::store::next_sheet_number(tx, exam_id, ppe_code).map_err(anyhow::Error::from)? - before;
            numbers.insert(holder.clone(), have.into_iter().map(|(_, n)| n).collect());
            continue;
        }
        let mut have = print_store::kit_sheets_get(tx, exam_id, holder).context("load sheet numbers")?;
        if have.is_empty() {
            let first = print_store::sheet_numbers_reserve(tx, exam_id, ppe_code, kinds.len() as u32).context("reserve sheet numbers")?;
            have = kinds.iter().enumerate().map(|(i, k)| (*k, first + i as u32)).collect();
            print_store::kit_sheets_insert(tx, exam_id, holder, &have).context("store sheet numbers")?;
            reserved += kinds.len() as u32;
        }
        numbers.insert(holder.clone(), have.into_iter().map(|(_, n)| n).collect());
    }
    Ok((numbers, reserved))
}

/// Reserves the numbers of `needs` in one transaction with its audit entry.
fn reserve(
    conn: &mut Connection,
    at: &str,
    actor: &str,
    exam_id: &ExamId,
    ppe_code: &str,
    needs: &[(String, Vec<crate::sheet_code::SheetKind>)],
) -> Result<HashMap<String, Vec<u32>>> {
    let tx = conn.transaction().context("start transaction")?;
    let (numbers, reserved) = reserve_numbers(&tx, at, exam_id, ppe_code, needs)?;
    if reserved > 0 {
        audit(&tx, at, actor, "print.sheets_reserve", exam_id, serde_json::json!({"ppe_code": ppe_code, "count": reserved}))?;
    }
    tx.commit().context("commit sheet numbers")?;
    Ok(numbers)
}

/// Records the numbers the printed forms' pages took: what scanning matches form pages to and
/// completeness requires.
fn record_printed(
    conn: &mut Connection,
    at: &str,
    actor: &str,
    exam_id: &ExamId,
    ppe_code: &str,
    printed: &[super::inputs::PrintedStatement],
) -> Result<()> {
    if printed.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction().context("start transaction")?;
    for p in printed {
        crate::attendance::store::statement_sheets_replace(&tx, exam_id, ppe_code, p, at).context("store printed forms")?;
    }
    let details: Vec<_> =
        printed.iter().map(|s| serde_json::json!({"holder": s.holder, "form": s.form, "numbers": s.numbers, "required": s.required})).collect();
    audit(&tx, at, actor, "print.statements", exam_id, serde_json::json!({"ppe_code": ppe_code, "statements": details}))?;
    tx.commit().context("commit printed forms")?;
    Ok(())
}

/// Lays out the documents; sheet numbers are given once per holder and kept, so a reprint
/// carries the same codes. The forms' pages just made are recorded as what scanning will match
/// and require.
pub fn make_set(ctx: &EdgeContext, request: &PrintRequest) -> Result<PrintSet> {
    let mut conn = ctx.db()?;
    let conn = &mut *conn;
    let exam_id = &request.exam_id;
    let auditorium = request.auditorium.as_deref();
    let actor = request.actor.as_str();
    let ppe_code = ctx.config.ppe_code.clone();
    let Loaded { plan, exam, seats } = load(conn, exam_id, &ppe_code)?;
    let key = ctx.sheet_key()?;
    let kit = crate::model::kit::kit_of(&exam).map_err(PrintingError::from)?;
    let at = ctx.clock.now_rfc3339();
    // Kits and the protocol carry each participant's КИМ variant once the package is here.
    super::kim::ops::ensure_variants(conn, &at, actor, exam_id, &ppe_code)?;
    let day = load_day(conn, exam_id, &ppe_code)?;
    let mut needs = sheet_needs(exam.technology(), &kit, &seats, request.what, auditorium);
    needs.extend(super::inputs::oral_sheet_needs(&plan, &exam, &ppe_code, &seats, request.what, auditorium));
    if matches!(request.what, PrintWhat::Statements | PrintWhat::All) {
        needs.extend(act_needs(&day, &seats, auditorium, None));
        if auditorium.is_none() {
            needs.extend(super::inputs::appeal_form_needs(&day.appeals));
        }
    }
    let numbers = reserve(conn, &at, actor, exam_id, &ppe_code, &needs)?;
    // Kits issued just now are part of the day the forms count.
    let mut day = load_day(conn, exam_id, &ppe_code)?;
    day.kege.use_config(&ctx.config.recordings);
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let set = context.build(request.what, auditorium)?;
    record_printed(conn, &ctx.clock.now_rfc3339(), actor, exam_id, &ppe_code, &set.statements)?;
    Ok(set)
}

/// The act (ППЭ-21 or ППЭ-22) of one participant's removal or early finish, laid out (not
/// printed) for "print the act" after the event is recorded: its sheet numbers are reserved
/// (once) and its pages recorded, so its scan is matched like every form's.
pub fn act_for(ctx: &EdgeContext, exam_id: &ExamId, participant_id: &ParticipantId) -> Result<PrintDocument> {
    let mut conn = ctx.db()?;
    let conn = &mut *conn;
    let ppe_code = ctx.config.ppe_code.clone();
    let Loaded { plan, exam, seats } = load(conn, exam_id, &ppe_code)?;
    let day = load_day(conn, exam_id, &ppe_code)?;
    let needs = act_needs(&day, &seats, None, Some(participant_id));
    if needs.is_empty() {
        return Err(PrintOpsError::NoAct { exam: exam_id.clone(), participant: participant_id.clone() });
    }
    let key = ctx.sheet_key()?;
    let at = ctx.clock.now_rfc3339();
    let numbers = reserve(conn, &at, "operator", exam_id, &ppe_code, &needs)?;
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let mut set = context.event_acts(Some(participant_id), None)?;
    record_printed(conn, &at, "operator", exam_id, &ppe_code, &set.statements)?;
    set.documents.pop().ok_or_else(|| PrintOpsError::NoAct { exam: exam_id.clone(), participant: participant_id.clone() })
}

/// One appeal's ППЭ-02 and ППЭ-03, laid out (not printed) from its record, with the sheet
/// numbers of its participant's appeal forms (reserved once, kept for reprints).
pub fn appeal_forms(ctx: &EdgeContext, exam_id: &ExamId, appeal_id: i64, actor: &str) -> Result<Vec<PrintDocument>> {
    let mut conn = ctx.db()?;
    let conn = &mut *conn;
    let ppe_code = ctx.config.ppe_code.clone();
    let Loaded { plan, exam, seats } = load(conn, exam_id, &ppe_code)?;
    let appeals = crate::appeals::store::appeals_for_exam(conn, exam_id, &ppe_code).context("load appeals")?;
    let appeal =
        appeals.iter().find(|a| a.appeal_id == appeal_id).ok_or_else(|| PrintOpsError::NoAppeal { exam: exam_id.clone(), appeal: appeal_id })?;
    let needs = super::inputs::appeal_form_needs(std::slice::from_ref(appeal));
    let key = ctx.sheet_key()?;
    let at = ctx.clock.now_rfc3339();
    let numbers = reserve(conn, &at, actor, exam_id, &ppe_code, &needs)?;
    let day = load_day(conn, exam_id, &ppe_code)?;
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    Ok(context.appeal_documents(Some(appeal_id))?.into_iter().map(|f| f.doc).collect())
}

/// `sha` is the hash of what was sent (for КИМ: of the plaintext, which `doc` does not carry).
#[allow(clippy::too_many_arguments)]
fn record_job(
    ctx: &EdgeContext,
    actor: &str,
    exam_id: &str,
    doc: &PrintDocument,
    sha: &str,
    printer: &str,
    cups_job_id: Option<i64>,
    state: JobState,
    reprint_of: Option<i64>,
) -> Result<i64> {
    let mut conn = ctx.db()?;
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    let job = NewPrintJob {
        exam_id,
        document: &doc.file_name,
        form: &doc.form,
        auditorium: doc.auditorium.as_deref(),
        pages: doc.pages,
        sha256: sha,
        printer,
        cups_job_id,
        state,
        reprint_of,
    };
    let id = print_store::print_job_insert(&tx, &job, &at).context("store print job")?;
    audit(
        &tx,
        &at,
        actor,
        if state == JobState::Written { "print.write" } else { "print.submit" },
        &id.to_string(),
        serde_json::json!({"exam_id": exam_id, "document": doc.file_name, "form": doc.form, "pages": doc.pages, "sha256": sha, "printer": printer, "cups_job_id": cups_job_id, "reprint_of": reprint_of}),
    )?;
    tx.commit().context("commit print job")?;
    Ok(id)
}

fn job_get(ctx: &EdgeContext, job: i64) -> Result<PrintJobRow> {
    print_store::print_job_get(&*ctx.db()?, job).context("load print job")?.ok_or(PrintOpsError::UnknownJob(job))
}

/// Records a job's new CUPS state (nothing when it did not change).
fn update_state(ctx: &EdgeContext, actor: &str, row: &PrintJobRow, status: &super::cups::JobStatus) -> Result<()> {
    if row.state == status.state && row.impressions == status.impressions {
        return Ok(());
    }
    let mut conn = ctx.db()?;
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    print_store::print_job_update_state(&tx, row.print_job_id, status.state, status.impressions, &at).context("update print job")?;
    audit(
        &tx,
        &at,
        actor,
        "print.state",
        &row.print_job_id.to_string(),
        serde_json::json!({"state": status.state.code(), "impressions": status.impressions, "reasons": status.reasons}),
    )?;
    tx.commit().context("commit print job state")?;
    Ok(())
}

/// Records the job, has CUPS take it (`send`), then follows it until it settles (or `wait`
/// passes) and records where it got. The row comes first: a box killed after CUPS took the
/// job and before it heard the job's number still holds the job (pending, without a CUPS
/// number) for a person to check and reprint — never paper the box does not know about.
#[allow(clippy::too_many_arguments)]
pub(super) async fn follow(
    ctx: &EdgeContext,
    actor: &str,
    target: &CupsTarget,
    exam_id: &str,
    doc: &PrintDocument,
    sha: &str,
    reprint_of: Option<i64>,
    wait: Duration,
    send: impl std::future::Future<Output = Result<i64, PrintingError>>,
) -> Result<PrintJobRow> {
    let id = record_job(ctx, actor, exam_id, doc, sha, &target.printer, None, JobState::Pending, reprint_of)?;
    let cups_job = match send.await {
        Ok(job) => job,
        Err(e) => {
            let failed = super::cups::JobStatus { state: JobState::Aborted, impressions: 0, reasons: e.to_string() };
            update_state(ctx, actor, &job_get(ctx, id)?, &failed)?;
            return Err(e.into());
        }
    };
    crate::util::crash_point("print.submitted");
    set_cups_job(ctx, actor, id, cups_job)?;
    let status = target.wait_settled(cups_job, wait).await?;
    update_state(ctx, actor, &job_get(ctx, id)?, &status)?;
    job_get(ctx, id)
}

/// Records the number CUPS gave a job recorded before it was sent.
fn set_cups_job(ctx: &EdgeContext, actor: &str, id: i64, cups_job: i64) -> Result<()> {
    let mut conn = ctx.db()?;
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    print_store::print_job_set_cups_id(&tx, id, cups_job, &at).context("store CUPS job")?;
    audit(&tx, &at, actor, "print.cups_job", &id.to_string(), serde_json::json!({"cups_job_id": cups_job}))?;
    tx.commit().context("commit CUPS job")?;
    Ok(())
}

async fn submit(
    ctx: &EdgeContext,
    actor: &str,
    target: &CupsTarget,
    exam_id: &str,
    doc: &PrintDocument,
    reprint_of: Option<i64>,
    wait: Duration,
) -> Result<PrintJobRow> {
    // The job name starts with the exam, so `edge wipe` purges only this exam's jobs.
    let title = format!("{exam_id} {}", doc.title);
    let send = target.submit(&title, doc.bytes.clone());
    follow(ctx, actor, target, exam_id, doc, &crate::util::sha256_hex(&doc.bytes), reprint_of, wait, send).await
}

/// Sends documents already laid out, one job each, following each for `wait`.
pub async fn print_documents(
    ctx: &EdgeContext,
    target: &CupsTarget,
    exam_id: &ExamId,
    documents: &[PrintDocument],
    wait: Duration,
    actor: &str,
) -> Result<Vec<PrintJobRow>> {
    print_documents_with_progress(ctx, target, exam_id, documents, wait, actor, &crate::cli_util::NO_PROGRESS).await
}

/// [`print_documents`], reporting each job sent (one unit per document) to `progress`.
pub async fn print_documents_with_progress(
    ctx: &EdgeContext,
    target: &CupsTarget,
    exam_id: &ExamId,
    documents: &[PrintDocument],
    wait: Duration,
    actor: &str,
    progress: &dyn crate::cli_util::Progress,
) -> Result<Vec<PrintJobRow>> {
    progress.start("задания печати", Some(documents.len() as u64), false);
    let mut rows = Vec::new();
    for doc in documents {
        rows.push(submit(ctx, actor, target, exam_id, doc, None, wait).await?);
        progress.inc(1);
    }
    progress.finish();
    Ok(rows)
}

/// Lays out the documents (on the blocking pool: it renders PDFs and writes the stores) and
/// sends each to the printer; returns the recorded jobs.
pub async fn print_set(ctx: &EdgeContext, request: &PrintRequest) -> Result<Vec<PrintJobRow>> {
    let target = target(ctx, request.printer.as_deref())?;
    let set = on_blocking_pool(ctx, request.clone(), |ctx, request| make_set(ctx, &request)).await?;
    print_documents(ctx, &target, &request.exam_id, &set.documents, request.wait, &request.actor).await
}

/// Writes laid-out documents into a folder (each atomically) and records each as a job
/// `written`; returns the job ids with the paths written.
pub fn write_documents(ctx: &EdgeContext, exam_id: &ExamId, documents: &[PrintDocument], out: &Path, actor: &str) -> Result<Vec<(i64, PathBuf)>> {
    std::fs::create_dir_all(out).with_context(|| format!("create {}", out.display()))?;
    let mut written = Vec::new();
    for doc in documents {
        let path = out.join(&doc.file_name);
        crate::util::write_atomic(&path, &doc.bytes).with_context(|| format!("write {}", path.display()))?;
        let id =
            record_job(ctx, actor, exam_id, doc, &crate::util::sha256_hex(&doc.bytes), &out.display().to_string(), None, JobState::Written, None)?;
        written.push((id, path));
    }
    Ok(written)
}

/// Prints one participant's act on the printer.
pub async fn print_act(ctx: &EdgeContext, request: &ActRequest) -> Result<PrintJobRow> {
    let target = target(ctx, request.printer.as_deref())?;
    let doc = act_for(ctx, &request.exam_id, &request.participant_id)?;
    submit(ctx, &request.actor, &target, &request.exam_id, &doc, None, request.wait).await
}

/// Records that a person received the printed run of a job. A job that failed or was only
/// written to a folder cannot be confirmed.
pub fn confirm(ctx: &EdgeContext, request: &ConfirmRequest) -> Result<Confirmation> {
    let job = request.job;
    let row = job_get(ctx, job)?;
    if row.exam_id != request.exam_id.as_str() {
        return Err(PrintOpsError::OtherExam { job, belongs: row.exam_id, asked: request.exam_id.clone() });
    }
    if row.state == JobState::Confirmed {
        return Ok(Confirmation::AlreadyConfirmed(row));
    }
    if row.state.is_failed() || row.state == JobState::Written {
        return Err(PrintOpsError::NotPrinted { job, state: row.state.code() });
    }
    let mut conn = ctx.db()?;
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    print_store::print_job_confirm(&tx, job, &request.by, &at).context("confirm print job")?;
    audit(
        &tx,
        &at,
        &request.actor,
        "print.confirm",
        &job.to_string(),
        serde_json::json!({"exam_id": request.exam_id, "by": request.by, "cups_state": row.state.code(), "impressions": row.impressions}),
    )?;
    tx.commit().context("commit confirmation")?;
    drop(conn);
    Ok(Confirmation::Confirmed(job_get(ctx, job)?))
}

/// Asks CUPS for the state of every unconfirmed job of an exam and records what changed.
pub async fn refresh_status(ctx: &EdgeContext, exam_id: &ExamId, actor: &str) -> Result<Vec<JobStatusLine>> {
    let jobs = print_store::print_jobs_for_exam(&*ctx.db()?, exam_id).context("load print jobs")?;
    let mut lines = Vec::new();
    for row in jobs {
        let mut cups_error = None;
        if let (Some(cups_job), false) = (row.cups_job_id, row.state == JobState::Confirmed) {
            let target = CupsTarget::new(&ctx.config.printer.cups_uri, &row.printer);
            match target.status(cups_job).await {
                Ok(s) => update_state(ctx, actor, &row, &s)?,
                Err(e) => cups_error = Some(e.to_string()),
            }
        }
        lines.push(JobStatusLine { row: job_get(ctx, row.print_job_id)?, cups_error });
    }
    Ok(lines)
}

/// Prints a job again: the stuck CUPS job is cancelled first, the document is laid out anew
/// with the same sheet numbers, and the new job names the old one. Returns the new job (the
/// caller reports a reprint that failed too).
pub async fn reprint(ctx: &EdgeContext, request: &ReprintRequest) -> Result<PrintJobRow> {
    let job = request.job;
    let row = job_get(ctx, job)?;
    if row.exam_id != request.exam_id.as_str() {
        return Err(PrintOpsError::OtherExam { job, belongs: row.exam_id, asked: request.exam_id.clone() });
    }
    if row.state == JobState::Confirmed {
        return Err(PrintOpsError::ConfirmedAlready(job));
    }
    let printer = request.printer.clone().unwrap_or_else(|| row.printer.clone());
    let old = CupsTarget::new(&ctx.config.printer.cups_uri, &row.printer);
    if let Some(cups_job) = row.cups_job_id {
        old.cancel(cups_job).await?;
        let s = old.status(cups_job).await?;
        update_state(ctx, &request.actor, &row, &s)?;
    }
    let layout = PrintRequest {
        exam_id: request.exam_id.clone(),
        what: PrintWhat::All,
        auditorium: row.auditorium.as_deref().map(AuditoriumCode::from),
        printer: None,
        wait: request.wait,
        actor: request.actor.clone(),
    };
    let set = on_blocking_pool(ctx, layout, |ctx, layout| make_set(ctx, &layout)).await?;
    let doc = set.documents.iter().find(|d| d.file_name == row.document).ok_or_else(|| PrintOpsError::DocumentGone(row.document.clone()))?;
    let target = target(ctx, Some(&printer))?;
    submit(ctx, &request.actor, &target, &request.exam_id, doc, Some(job), request.wait).await
}

/// Runs blocking work (PDF layout, SQLite) on the blocking pool when a runtime drives us.
async fn on_blocking_pool<R: Clone + Send + 'static, T: Send + 'static>(
    ctx: &EdgeContext,
    request: R,
    f: fn(&EdgeContext, R) -> Result<T>,
) -> Result<T> {
    let ctx = ctx.clone();
    tokio::task::spawn_blocking(move || f(&ctx, request)).await.map_err(|e| PrintOpsError::Io(anyhow::anyhow!("layout task: {e}")))?
}
