//! `ppe edge print`: make an exam point's documents, write them to a folder or send them to
//! CUPS, track the jobs, reprint failed ones, and record the human confirmation of receipt.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;

use super::ops::{self, ConfirmRequest, Confirmation, MaterialsPrintRequest, PrintRequest, ReprintRequest};
use super::store::PrintJobRow;
use super::PrintWhat;
use crate::context::EdgeContext;
use crate::model::{AuditoriumCode, ExamId, ParticipantId};

#[derive(Args, Debug)]
pub struct PrintArgs {
    /// Exam id (as in the plan), e.g. `ege-02`.
    #[arg(long)]
    pub exam: String,
    /// What to print: answer-sheet kits, seating lists, statements, or all.
    #[arg(long, value_enum, required_unless_present_any = ["confirm", "reprint", "status", "act_for", "appeal"])]
    pub what: Option<PrintWhat>,
    /// Print only the act (ППЭ-21 removal or ППЭ-22 early finish) of this participant, from
    /// their recorded event.
    #[arg(long, conflicts_with_all = ["what", "confirm", "reprint", "status"])]
    pub act_for: Option<String>,
    /// Print only this appeal's ППЭ-02 (the appeal) and ППЭ-03 (the protocol of its review),
    /// from its record (`ppe edge appeal list` gives the numbers).
    #[arg(long, conflicts_with_all = ["what", "confirm", "reprint", "status", "act_for"])]
    pub appeal: Option<i64>,
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
    /// Judge when КИМ may be printed at this time instead of now (RFC 3339; tests, drills).
    #[arg(long)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

/// The audit entries of the command line name this actor.
const ACTOR: &str = "cli";

pub fn run(config: &Path, args: PrintArgs) -> anyhow::Result<()> {
    let mut ctx = EdgeContext::open(config)?;
    if let Some(now) = args.now {
        ctx = ctx.with_clock(crate::clock::Clock::simulated(now, 1.0));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("запуск среды выполнения")?;
    runtime.block_on(run_async(&ctx, args))
}

async fn run_async(ctx: &EdgeContext, args: PrintArgs) -> anyhow::Result<()> {
    let exam_id = ExamId::from(&args.exam);
    let wait = Duration::from_secs(args.wait_secs);
    if let Some(job) = args.confirm {
        return match ops::confirm(ctx, &ConfirmRequest { exam_id, job, by: args.by.clone(), actor: ACTOR.into() })? {
            Confirmation::AlreadyConfirmed(_) if args.json => {
                crate::cli_util::print_json(&serde_json::json!({ "job": job, "confirmed": true, "already": true }))
            }
            Confirmation::Confirmed(row) if args.json => {
                crate::cli_util::print_json(&serde_json::json!({ "job": job, "confirmed": true, "already": false, "document": row.document }))
            }
            Confirmation::AlreadyConfirmed(_) => {
                crate::outln!("задание {job} уже подтверждено");
                Ok(())
            }
            Confirmation::Confirmed(row) => {
                crate::outln!("задание {job} ({}) подтверждено как полученное", row.document);
                Ok(())
            }
        };
    }
    if args.status {
        let lines = ops::refresh_status(ctx, &exam_id, ACTOR).await?;
        for line in &lines {
            if let Some(e) = &line.cups_error {
                eprintln!("задание {}: состояние в CUPS недоступно: {e}", line.row.print_job_id);
            }
        }
        let rows: Vec<&PrintJobRow> = lines.iter().map(|l| &l.row).collect();
        return report_all(&rows, args.json, None);
    }
    if let Some(job) = args.reprint {
        let row = ops::reprint(ctx, &ReprintRequest { exam_id, job, printer: args.printer.clone(), wait, actor: ACTOR.into() }).await?;
        report_all(&[&row], args.json, None)?;
        if row.state.is_failed() {
            bail!("повторная печать задания {job} тоже не удалась ({})", row.state.code());
        }
        return Ok(());
    }
    let auditorium = args.auditorium.as_deref().map(AuditoriumCode::from);
    if args.what == Some(PrintWhat::Kim) {
        if args.out.is_some() {
            bail!("материалы экзамена печатаются только из памяти: --out для --what kim не допускается (открытый текст не пишется на диск)");
        }
        let rows =
            ops::print_exam_materials(ctx, &MaterialsPrintRequest { exam_id, auditorium, printer: args.printer.clone(), wait, actor: ACTOR.into() })
                .await?;
        let failed = rows.iter().filter(|r| r.state.is_failed()).count();
        report_all(&rows.iter().collect::<Vec<_>>(), args.json, None)?;
        if failed > 0 {
            bail!("не напечатано заданий с материалами экзамена: {failed}; устраните неисправность принтера и напечатайте их снова");
        }
        return Ok(());
    }
    let documents = match (&args.act_for, args.appeal) {
        (Some(participant), _) => vec![ops::act_for(ctx, &exam_id, &ParticipantId::from(participant))?],
        (None, Some(appeal)) => ops::appeal_forms(ctx, &exam_id, appeal, ACTOR)?,
        (None, None) => {
            let what = args.what.context("нужен параметр --what")?;
            ops::make_set(
                ctx,
                &PrintRequest { exam_id: exam_id.clone(), what, auditorium, printer: args.printer.clone(), wait, actor: ACTOR.into() },
            )?
            .documents
        }
    };
    let total_pages: u32 = documents.iter().map(|d| d.pages).sum();
    if let Some(out) = &args.out {
        let written = ops::write_documents(ctx, &exam_id, &documents, out, ACTOR)?;
        if args.json {
            let files: Vec<_> = documents
                .iter()
                .zip(&written)
                .map(|(doc, (id, path))| serde_json::json!({ "job": id, "title": doc.title, "pages": doc.pages, "file": path }))
                .collect();
            return crate::cli_util::print_json(&serde_json::json!({ "documents": documents.len(), "pages": total_pages, "files": files }));
        }
        for (doc, (id, path)) in documents.iter().zip(&written) {
            crate::outln!("задание {id}: {} — {} стр. → {}", doc.title, doc.pages, path.display());
        }
        crate::outln!("записано документов: {}, страниц: {total_pages}", documents.len());
        return Ok(());
    }
    let target = ops::target(ctx, args.printer.as_deref())?;
    let progress = crate::cli_util::TerminalProgress::new();
    let rows = ops::print_documents_with_progress(ctx, &target, &exam_id, &documents, wait, ACTOR, &progress).await?;
    drop(progress);
    let failed = rows.iter().filter(|r| r.state.is_failed()).count();
    report_all(&rows.iter().collect::<Vec<_>>(), args.json, Some(total_pages))?;
    if !args.json {
        crate::outln!("отправлено документов: {}, страниц: {total_pages}; напечатанным задание считается после подтверждения: ppe edge print --exam {} --confirm N", documents.len(), args.exam);
    }
    if failed > 0 {
        bail!("не напечатано заданий: {failed}; устраните неисправность принтера, затем `ppe edge print --exam {} --reprint N`", args.exam);
    }
    Ok(())
}

/// The jobs as text lines, or with `--json` one object: `jobs` (and `pages` sent, if known).
fn report_all(rows: &[&PrintJobRow], json: bool, pages: Option<u32>) -> anyhow::Result<()> {
    if json {
        let jobs: Vec<_> = rows
            .iter()
            .map(|r| serde_json::json!({ "job": r.print_job_id, "document": r.document, "pages": r.pages, "cups_job_id": r.cups_job_id, "state": r.state.code(), "impressions": r.impressions }))
            .collect();
        return crate::cli_util::print_json(&serde_json::json!({ "jobs": jobs, "pages": pages }));
    }
    for row in rows {
        report(row)?;
    }
    Ok(())
}

fn report(row: &PrintJobRow) -> anyhow::Result<()> {
    crate::outln!(
        "задание {}: {} — {} стр., CUPS {} — {}, отпечатано листов: {}",
        row.print_job_id,
        row.document,
        row.pages,
        row.cups_job_id.map(|j| j.to_string()).unwrap_or_else(|| "—".into()),
        row.state.code(),
        row.impressions
    );
    Ok(())
}
