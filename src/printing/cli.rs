//! `ppe edge print`: make an exam point's documents, write them to a folder or send them to
//! CUPS, track the jobs, reprint failed ones, and record the human confirmation of receipt.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;

use super::cups::CupsTarget;
use super::inputs::{sheet_needs, DayRecord, PrintContext, PrintSet};
use super::store::{self as print_store, NewPrintJob, PrintJobRow};
use super::{JobState, PrintDocument, PrintWhat};
use crate::context::EdgeContext;
use crate::store::{Connection, Transaction};

#[derive(Args, Debug)]
pub struct PrintArgs {
    /// Exam id (as in the plan), e.g. `ege-02`.
    #[arg(long)]
    pub exam: String,
    /// What to print: answer-sheet kits, seating lists, statements, or all.
    #[arg(long, value_enum, required_unless_present_any = ["confirm", "reprint", "status", "act_for"])]
    pub what: Option<PrintWhat>,
    /// Print only the act (ППЭ-21 removal or ППЭ-22 early finish) of this participant, from
    /// their recorded event.
    #[arg(long, conflicts_with_all = ["what", "confirm", "reprint", "status"])]
    pub act_for: Option<String>,
    /// Only this auditorium.
    #[arg(long)]
    pub auditorium: Option<String>,
    /// CUPS queue (default: `[printer] name` of the config).
    #[arg(long, conflicts_with = "out")]
    pub printer: Option<String>,
    /// Write the PDFs into this folder instead of printing.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Confirm that a person received the printed run of this job (only then it counts).
    #[arg(long, conflicts_with_all = ["what", "reprint", "status"])]
    pub confirm: Option<i64>,
    /// Who confirms (recorded in the audit log).
    #[arg(long, default_value = "operator")]
    pub by: String,
    /// Print a failed, cancelled or lost job again (the stuck CUPS job is cancelled first).
    #[arg(long, conflicts_with_all = ["what", "status"])]
    pub reprint: Option<i64>,
    /// Refresh and show the state of this exam's print jobs.
    #[arg(long)]
    pub status: bool,
    /// How long to follow each job in CUPS before reporting it.
    #[arg(long, default_value_t = 30)]
    pub wait_secs: u64,
}

fn audit(tx: &Transaction<'_>, at: &str, action: &str, object: &str, details: serde_json::Value) -> anyhow::Result<()> {
    crate::audit::store::append(tx, at, crate::audit::NewEntry { actor: "cli", action, object, details }).context("audit")?;
    Ok(())
}

pub fn run(config: &Path, args: PrintArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("start runtime")?;
    if let Some(job) = args.confirm {
        return confirm(&ctx, &mut conn, &args.exam, job, &args.by);
    }
    if args.status {
        return runtime.block_on(status(&ctx, &mut conn, &args));
    }
    if let Some(job) = args.reprint {
        return runtime.block_on(reprint(&ctx, &mut conn, &args, job));
    }
    if args.what == Some(PrintWhat::Kim) {
        if args.out.is_some() {
            bail!("the exam materials are printed from memory only: --out is refused for --what kim (no plaintext on disk)");
        }
        let rows = print_exam_materials(&ctx, &mut conn, &args.exam, args.auditorium.as_deref(), args.printer.as_deref(), Duration::from_secs(args.wait_secs))?;
        let failed = rows.iter().filter(|r| r.state.is_failed()).count();
        for row in &rows {
            report(row);
        }
        if failed > 0 {
            bail!("{failed} print job(s) of the exam materials failed: fix the printer, then print them again");
        }
        return Ok(());
    }
    let set = match &args.act_for {
        Some(participant) => PrintSet { documents: vec![act_for(&ctx, &mut conn, &args.exam, participant)?], ..PrintSet::default() },
        None => {
            let what = args.what.context("--what is required")?;
            let set = make_set(&ctx, &mut conn, &args.exam, what, args.auditorium.as_deref())?;
            write_records(&ctx, &args.exam, &set)?;
            set
        }
    };
    let total_pages: u32 = set.documents.iter().map(|d| d.pages).sum();
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("create {}", out.display()))?;
        for doc in &set.documents {
            let path = out.join(&doc.file_name);
            crate::util::write_atomic(&path, &doc.bytes).with_context(|| format!("write {}", path.display()))?;
            let id = record_job(&ctx, &mut conn, &args.exam, doc, &out.display().to_string(), None, JobState::Written, None)?;
            println!("задание {id}: {} — {} стр. → {}", doc.title, doc.pages, path.display());
        }
        println!("записано документов: {}, страниц: {total_pages}", set.documents.len());
        return Ok(());
    }
    let target = target(&ctx, args.printer.as_deref())?;
    runtime.block_on(async {
        let mut failed = 0;
        for doc in &set.documents {
            let row = submit(&ctx, &mut conn, &target, &args.exam, doc, None, Duration::from_secs(args.wait_secs)).await?;
            failed += usize::from(row.state.is_failed());
            report(&row);
        }
        println!("отправлено документов: {}, страниц: {total_pages}; напечатанным задание считается после подтверждения: ppe edge print --exam {} --confirm N", set.documents.len(), args.exam);
        if failed > 0 {
            bail!("{failed} print job(s) failed: fix the printer, then `ppe edge print --exam {} --reprint N`", args.exam);
        }
        Ok(())
    })
}

fn target(ctx: &EdgeContext, printer: Option<&str>) -> anyhow::Result<CupsTarget> {
    let name = printer.map(str::to_string).unwrap_or_else(|| ctx.config.printer.name.clone());
    if name.trim().is_empty() {
        bail!("no printer: pass --printer NAME or set `name` under [printer] in {}", ctx.config_path.display());
    }
    Ok(CupsTarget::new(&ctx.config.printer.cups_uri, &name))
}

fn report(row: &PrintJobRow) {
    println!(
        "задание {}: {} — {} стр., CUPS {} — {}, отпечатано листов: {}",
        row.print_job_id,
        row.document,
        row.pages,
        row.cups_job_id.map(|j| j.to_string()).unwrap_or_else(|| "—".into()),
        row.state.code(),
        row.impressions
    );
}

/// Lays out the documents; sheet numbers are given once per holder and kept, so a reprint
/// carries the same codes.
pub fn make_set(ctx: &EdgeContext, conn: &mut Connection, exam_id: &str, what: PrintWhat, auditorium: Option<&str>) -> anyhow::Result<PrintSet> {
    let ppe_code = ctx.config.ppe_code.clone();
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let exam = plan.exams.iter().find(|e| e.exam_id == exam_id).cloned().with_context(|| format!("exam {exam_id} is not in the plan of this box"))?;
    let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, exam_id).context("load seating")?.into_iter().filter(|s| s.ppe_code == ppe_code).collect();
    let secret = std::fs::read(&ctx.config.keys.signing_key_file)
        .with_context(|| format!("read the box key {} (keys.signing_key_file)", ctx.config.keys.signing_key_file.display()))?;
    let key = crate::sheet_code::sheet_key(&secret);
    let needs = sheet_needs(&seats, what, auditorium);
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    let mut numbers: HashMap<String, Vec<u32>> = HashMap::new();
    let mut reserved = 0u32;
    for (holder, kinds) in &needs {
        if !holder.starts_with("statement:") {
            // A participant's kit: the numbers of record are attendance's (kits replaced there
            // void old numbers), so what is printed is what scanning expects.
            let before = crate::attendance::store::next_sheet_number(&tx, exam_id, &ppe_code)?;
            let have = crate::attendance::ops::kit_for(&tx, &at, exam_id, &ppe_code, holder)?;
            reserved += crate::attendance::store::next_sheet_number(&tx, exam_id, &ppe_code)? - before;
            numbers.insert(holder.clone(), have.into_iter().map(|(_, n)| n).collect());
            continue;
        }
        let mut have = print_store::kit_sheets_get(&tx, exam_id, holder).context("load sheet numbers")?;
        if have.is_empty() {
            let first = print_store::sheet_numbers_reserve(&tx, exam_id, &ppe_code, kinds.len() as u32).context("reserve sheet numbers")?;
            have = kinds.iter().enumerate().map(|(i, k)| (*k, first + i as u32)).collect();
            print_store::kit_sheets_insert(&tx, exam_id, holder, &have).context("store sheet numbers")?;
            reserved += kinds.len() as u32;
        }
        numbers.insert(holder.clone(), have.into_iter().map(|(_, n)| n).collect());
    }
    if reserved > 0 {
        audit(&tx, &at, "print.sheets_reserve", exam_id, serde_json::json!({"ppe_code": ppe_code, "count": reserved}))?;
    }
    tx.commit().context("commit sheet numbers")?;
    let day = load_day(conn, exam_id, &ppe_code)?;
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let set = context.build(what, auditorium)?;
    if !set.statements.is_empty() {
        // The statement pages just made are what scanning will require (not ППЭ-18-МАШ).
        let at = ctx.clock.now_rfc3339();
        let tx = conn.transaction().context("start transaction")?;
        for printed in &set.statements {
            print_store::statement_sheets_replace(&tx, exam_id, &ppe_code, printed, &at).context("store statement sheets")?;
        }
        let details: Vec<_> = set.statements.iter().map(|s| serde_json::json!({"holder": s.holder, "numbers": s.numbers, "required": s.required})).collect();
        audit(&tx, &at, "print.statements", exam_id, serde_json::json!({"ppe_code": ppe_code, "statements": details}))?;
        tx.commit().context("commit statement sheets")?;
    }
    Ok(set)
}

/// The day as this box's stores hold it: attendance events and issued sheets, the roster's
/// replacements, the staff room desk's movements.
pub fn load_day(conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<DayRecord> {
    Ok(DayRecord {
        events: crate::attendance::store::events_for_exam(conn, exam_id).context("load attendance events")?,
        issued: crate::attendance::store::issued_sheets(conn, exam_id, ppe_code).context("load issued sheets")?,
        replacements: crate::roster::store::replacements(conn, exam_id).context("load worker replacements")?,
        movements: crate::serial::store::movements_for_exam(conn, exam_id).context("load materials movements")?.into_iter().filter(|m| m.ppe_code == ppe_code).collect(),
    })
}

/// The act (ППЭ-21 or ППЭ-22) of one participant's removal or early finish, for "print the
/// act" after the event is recorded (CLI `--act-for`, the web UI).
pub fn act_for(ctx: &EdgeContext, conn: &mut Connection, exam_id: &str, participant_id: &str) -> anyhow::Result<PrintDocument> {
    let ppe_code = ctx.config.ppe_code.clone();
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let exam = plan.exams.iter().find(|e| e.exam_id == exam_id).cloned().with_context(|| format!("exam {exam_id} is not in the plan of this box"))?;
    let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, exam_id).context("load seating")?.into_iter().filter(|s| s.ppe_code == ppe_code).collect();
    let day = load_day(conn, exam_id, &ppe_code)?;
    // Acts carry no sheet codes: no key or sheet numbers are needed to lay them out.
    let key = crate::sheet_code::sheet_key(b"");
    let numbers = HashMap::new();
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let mut acts = context.event_acts(Some(participant_id), None)?;
    match acts.pop() {
        Some(doc) => Ok(doc),
        None => bail!("участник {participant_id}: на экзамене {exam_id} нет удаления или досрочного завершения, акт печатать не по чему"),
    }
}

/// The -МАШ forms' data as JSON under the state folder, for the upload bundle.
fn write_records(ctx: &EdgeContext, exam_id: &str, set: &PrintSet) -> anyhow::Result<()> {
    write_records_into(&ctx.config.state_dir, exam_id, set)
}

/// Rewrites the records of the -МАШ statements already printed from the stores as they are
/// now, so the upload carries the day's data even when the statements were printed before
/// the exam. Does nothing until every statement of the exam point has its sheet numbers.
/// Returns how many records were written.
pub fn refresh_records(conn: &Connection, state_dir: &Path, exam_id: &str, ppe_code: &str) -> anyhow::Result<usize> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let Some(exam) = plan.exams.iter().find(|e| e.exam_id == exam_id).cloned() else { return Ok(0) };
    let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, exam_id).context("load seating")?.into_iter().filter(|s| s.ppe_code == ppe_code).collect();
    let mut numbers: HashMap<String, Vec<u32>> = HashMap::new();
    for (holder, _) in sheet_needs(&seats, PrintWhat::Statements, None) {
        let have = print_store::kit_sheets_get(conn, exam_id, &holder).context("load sheet numbers")?;
        if have.is_empty() {
            return Ok(0);
        }
        numbers.insert(holder, have.into_iter().map(|(_, n)| n).collect());
    }
    let day = load_day(conn, exam_id, ppe_code)?;
    // The PDFs made on the way are dropped: only the records are wanted, and they carry no MAC.
    let key = crate::sheet_code::sheet_key(b"records only");
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    let set = context.build(PrintWhat::Statements, None)?;
    write_records_into(state_dir, exam_id, &set)?;
    Ok(set.records.len())
}

fn write_records_into(state_dir: &Path, exam_id: &str, set: &PrintSet) -> anyhow::Result<()> {
    if set.records.is_empty() {
        return Ok(());
    }
    let dir = state_dir.join("records").join(exam_id);
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    for (name, value) in &set.records {
        crate::util::write_atomic(&dir.join(name), &serde_json::to_vec_pretty(value)?).with_context(|| format!("write record {name}"))?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn record_job(ctx: &EdgeContext, conn: &mut Connection, exam_id: &str, doc: &PrintDocument, printer: &str, cups_job_id: Option<i64>, state: JobState, reprint_of: Option<i64>) -> anyhow::Result<i64> {
    let at = ctx.clock.now_rfc3339();
    let sha = crate::util::sha256_hex(&doc.bytes);
    let tx = conn.transaction().context("start transaction")?;
    let job = NewPrintJob { exam_id, document: &doc.file_name, form: &doc.form, auditorium: doc.auditorium.as_deref(), pages: doc.pages, sha256: &sha, printer, cups_job_id, state, reprint_of };
    let id = print_store::print_job_insert(&tx, &job, &at).context("store print job")?;
    audit(
        &tx,
        &at,
        if state == JobState::Written { "print.write" } else { "print.submit" },
        &id.to_string(),
        serde_json::json!({"exam_id": exam_id, "document": doc.file_name, "form": doc.form, "pages": doc.pages, "sha256": sha, "printer": printer, "cups_job_id": cups_job_id, "reprint_of": reprint_of}),
    )?;
    tx.commit().context("commit print job")?;
    Ok(id)
}

fn update_state(ctx: &EdgeContext, conn: &mut Connection, row: &PrintJobRow, state: JobState, impressions: u32, reasons: &str) -> anyhow::Result<()> {
    if row.state == state && row.impressions == impressions {
        return Ok(());
    }
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    print_store::print_job_update_state(&tx, row.print_job_id, state, impressions, &at).context("update print job")?;
    audit(&tx, &at, "print.state", &row.print_job_id.to_string(), serde_json::json!({"state": state.code(), "impressions": impressions, "reasons": reasons}))?;
    tx.commit().context("commit print job state")?;
    Ok(())
}

async fn submit(ctx: &EdgeContext, conn: &mut Connection, target: &CupsTarget, exam_id: &str, doc: &PrintDocument, reprint_of: Option<i64>, wait: Duration) -> anyhow::Result<PrintJobRow> {
    let cups_job = target.submit(&doc.title, doc.bytes.clone()).await?;
    let id = record_job(ctx, conn, exam_id, doc, &target.printer, Some(cups_job), JobState::Pending, reprint_of)?;
    let status = target.wait_settled(cups_job, wait).await?;
    let row = print_store::print_job_get(conn, id)?.context("print job vanished")?;
    update_state(ctx, conn, &row, status.state, status.impressions, &status.reasons)?;
    print_store::print_job_get(conn, id)?.context("print job vanished")
}

fn confirm(ctx: &EdgeContext, conn: &mut Connection, exam_id: &str, job: i64, by: &str) -> anyhow::Result<()> {
    let row = print_store::print_job_get(conn, job)?.with_context(|| format!("print job {job} is not known"))?;
    if row.exam_id != exam_id {
        bail!("print job {job} belongs to exam {}, not {exam_id}", row.exam_id);
    }
    if row.state == JobState::Confirmed {
        println!("задание {job} уже подтверждено");
        return Ok(());
    }
    if row.state.is_failed() || row.state == JobState::Written {
        bail!("print job {job} is {}: it was not printed; reprint it with --reprint {job}", row.state.code());
    }
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    print_store::print_job_confirm(&tx, job, by, &at).context("confirm print job")?;
    audit(&tx, &at, "print.confirm", &job.to_string(), serde_json::json!({"exam_id": exam_id, "by": by, "cups_state": row.state.code(), "impressions": row.impressions}))?;
    tx.commit().context("commit confirmation")?;
    println!("задание {job} ({}) подтверждено как полученное", row.document);
    Ok(())
}

async fn status(ctx: &EdgeContext, conn: &mut Connection, args: &PrintArgs) -> anyhow::Result<()> {
    let jobs = print_store::print_jobs_for_exam(conn, &args.exam)?;
    for row in jobs {
        if let (Some(cups_job), false) = (row.cups_job_id, row.state == JobState::Confirmed) {
            let target = CupsTarget::new(&ctx.config.printer.cups_uri, &row.printer);
            match target.status(cups_job).await {
                Ok(s) => update_state(ctx, conn, &row, s.state, s.impressions, &s.reasons)?,
                Err(e) => eprintln!("задание {}: состояние в CUPS недоступно: {e}", row.print_job_id),
            }
        }
        let fresh = print_store::print_job_get(conn, row.print_job_id)?.context("print job vanished")?;
        report(&fresh);
    }
    Ok(())
}

async fn reprint(ctx: &EdgeContext, conn: &mut Connection, args: &PrintArgs, job: i64) -> anyhow::Result<()> {
    let row = print_store::print_job_get(conn, job)?.with_context(|| format!("print job {job} is not known"))?;
    if row.exam_id != args.exam {
        bail!("print job {job} belongs to exam {}, not {}", row.exam_id, args.exam);
    }
    if row.state == JobState::Confirmed {
        bail!("print job {job} was confirmed as received; nothing to reprint");
    }
    let printer = args.printer.clone().unwrap_or_else(|| row.printer.clone());
    let old = CupsTarget::new(&ctx.config.printer.cups_uri, &row.printer);
    if let Some(cups_job) = row.cups_job_id {
        old.cancel(cups_job).await?;
        let s = old.status(cups_job).await?;
        update_state(ctx, conn, &row, s.state, s.impressions, &s.reasons)?;
    }
    let set = make_set(ctx, conn, &args.exam, PrintWhat::All, row.auditorium.as_deref())?;
    let doc = set.documents.iter().find(|d| d.file_name == row.document).with_context(|| format!("document {} can no longer be made", row.document))?;
    let target = target(ctx, Some(&printer))?;
    let new_row = submit(ctx, conn, &target, &args.exam, doc, Some(job), Duration::from_secs(args.wait_secs)).await?;
    report(&new_row);
    if new_row.state.is_failed() {
        bail!("reprint of job {job} failed too ({})", new_row.state.code());
    }
    Ok(())
}

/// For the UI: makes the documents and sends each to the configured printer, following each
/// job in CUPS for a short while; returns the recorded jobs. Blocking (own runtime): call it
/// from a thread that is not driving async tasks.
pub fn print_to_configured_printer(ctx: &EdgeContext, conn: &mut Connection, exam_id: &str, what: PrintWhat, auditorium: Option<&str>) -> anyhow::Result<Vec<PrintJobRow>> {
    let target = target(ctx, None)?;
    let set = make_set(ctx, conn, exam_id, what, auditorium)?;
    write_records(ctx, exam_id, &set)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("start runtime")?;
    runtime.block_on(async {
        let mut rows = Vec::new();
        for doc in &set.documents {
            rows.push(submit(ctx, conn, &target, exam_id, doc, None, Duration::from_secs(10)).await?);
        }
        Ok(rows)
    })
}

/// For the UI: a person confirms the printed run of a job was received.
pub fn confirm_received(ctx: &EdgeContext, conn: &mut Connection, exam_id: &str, job: i64, by: &str) -> anyhow::Result<()> {
    confirm(ctx, conn, exam_id, job, by)
}

/// For the UI: prints a failed job again (the stuck CUPS job is cancelled first). Blocking.
pub fn reprint_job(ctx: &EdgeContext, conn: &mut Connection, exam_id: &str, job: i64) -> anyhow::Result<()> {
    let args = PrintArgs { exam: exam_id.to_string(), what: None, auditorium: None, printer: None, out: None, confirm: None, by: "ui".into(), reprint: Some(job), status: false, wait_secs: 10, act_for: None };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("start runtime")?;
    runtime.block_on(reprint(ctx, conn, &args, job))
}

/// For the UI: prints the act (ППЭ-21 or ППЭ-22) of one participant's recorded event on the
/// configured printer. Blocking (own runtime).
pub fn print_act_to_configured_printer(ctx: &EdgeContext, conn: &mut Connection, exam_id: &str, participant_id: &str) -> anyhow::Result<PrintJobRow> {
    let target = target(ctx, None)?;
    let doc = act_for(ctx, conn, exam_id, participant_id)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("start runtime")?;
    runtime.block_on(submit(ctx, conn, &target, exam_id, &doc, None, Duration::from_secs(10)))
}

/// Prints the exam materials decrypted in memory (`materials::open_decrypted`: the key must be
/// held and activated by a ГЭК member): per auditorium, КИМ once per seated participant (IPP
/// copies) and the other files once. Each job is recorded with the hash of what was sent;
/// nothing plaintext touches the disk. Blocking (own runtime).
pub fn print_exam_materials(ctx: &EdgeContext, conn: &mut Connection, exam_id: &str, auditorium: Option<&str>, printer: Option<&str>, wait: Duration) -> anyhow::Result<Vec<PrintJobRow>> {
    let target = target(ctx, printer)?;
    let (_, json) = crate::materials::store::manifest_get(conn, exam_id)?.with_context(|| format!("пакет экзамена {exam_id} не получен"))?;
    let signed: crate::materials::SignedManifest = serde_json::from_str(&json).context("stored manifest")?;
    let files: Vec<(String, String)> = signed.manifest.files.iter().map(|f| (f.name.clone(), f.role.clone())).collect();
    let mut seated: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
    for s in crate::seating::store::seat_assignments_for_exam(conn, exam_id)?.into_iter().filter(|s| s.ppe_code == ctx.config.ppe_code) {
        if auditorium.is_none_or(|a| a == s.auditorium) {
            *seated.entry(s.auditorium).or_default() += 1;
        }
    }
    if seated.is_empty() {
        bail!("нет рассадки на экзамен {exam_id}{}: печатать материалы некому", auditorium.map(|a| format!(" в аудитории {a}")).unwrap_or_default());
    }
    let jobs = super::kim::plan_copies(&files, &seated);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("start runtime")?;
    let mut decrypted: HashMap<String, Vec<u8>> = HashMap::new();
    let mut rows = Vec::new();
    for job in jobs {
        if !decrypted.contains_key(&job.file_name) {
            decrypted.insert(job.file_name.clone(), crate::materials::pull::open_decrypted(ctx, exam_id, &job.file_name)?);
        }
        let bytes = decrypted[&job.file_name].clone();
        let doc = PrintDocument {
            file_name: job.file_name.clone(),
            title: format!("{exam_id} {} ауд. {} ×{}", job.file_name, job.auditorium, job.copies),
            form: "КИМ".into(),
            auditorium: Some(job.auditorium.clone()),
            pages: job.copies,
            bytes,
        };
        let row = runtime.block_on(async {
            let cups_job = target.submit_copies(&doc.title, doc.bytes.clone(), super::kim::document_format(&job.file_name), job.copies).await?;
            let id = record_job(ctx, conn, exam_id, &doc, &target.printer, Some(cups_job), JobState::Pending, None)?;
            let status = target.wait_settled(cups_job, wait).await?;
            let row = print_store::print_job_get(conn, id)?.context("print job vanished")?;
            update_state(ctx, conn, &row, status.state, status.impressions, &status.reasons)?;
            anyhow::Ok(print_store::print_job_get(conn, id)?.context("print job vanished")?)
        })?;
        rows.push(row);
    }
    // The plaintext lived only in this map.
    decrypted.clear();
    Ok(rows)
}
