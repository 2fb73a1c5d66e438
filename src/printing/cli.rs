//! `ppe edge print`: make an exam point's documents, write them to a folder or send them to
//! CUPS, track the jobs, reprint failed ones, and record the human confirmation of receipt.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;

use super::ops::{self, Confirmation, ConfirmRequest, MaterialsPrintRequest, PrintRequest, ReprintRequest};
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
    /// Judge when КИМ may be printed at this time instead of now (RFC 3339; tests, drills).
    #[arg(long)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

/// The audit entries of the command line name this actor.
const ACTOR: &str = "cli";

pub fn run(config: &Path, args: PrintArgs) -> anyhow::Result<()> {
    let mut ctx = EdgeContext::open(config)?;
    if let Some(now) = args.now {
        ctx = ctx.with_clock(crate::clock::Clock::simulated(now, 1.0));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("start runtime")?;
    runtime.block_on(run_async(&ctx, args))
}

async fn run_async(ctx: &EdgeContext, args: PrintArgs) -> anyhow::Result<()> {
    let exam_id = ExamId::from(&args.exam);
    let wait = Duration::from_secs(args.wait_secs);
    if let Some(job) = args.confirm {
        return match ops::confirm(ctx, &ConfirmRequest { exam_id, job, by: args.by.clone(), actor: ACTOR.into() })? {
            Confirmation::AlreadyConfirmed(_) => {
                println!("задание {job} уже подтверждено");
                Ok(())
            }
            Confirmation::Confirmed(row) => {
                println!("задание {job} ({}) подтверждено как полученное", row.document);
                Ok(())
            }
        };
    }
    if args.status {
        for line in ops::refresh_status(ctx, &exam_id, ACTOR).await? {
            if let Some(e) = &line.cups_error {
                eprintln!("задание {}: состояние в CUPS недоступно: {e}", line.row.print_job_id);
            }
            report(&line.row);
        }
        return Ok(());
    }
    if let Some(job) = args.reprint {
        let row = ops::reprint(ctx, &ReprintRequest { exam_id, job, printer: args.printer.clone(), wait, actor: ACTOR.into() }).await?;
        report(&row);
        if row.state.is_failed() {
            bail!("reprint of job {job} failed too ({})", row.state.code());
        }
        return Ok(());
    }
    let auditorium = args.auditorium.as_deref().map(AuditoriumCode::from);
    if args.what == Some(PrintWhat::Kim) {
        if args.out.is_some() {
            bail!("the exam materials are printed from memory only: --out is refused for --what kim (no plaintext on disk)");
        }
        let rows = ops::print_exam_materials(ctx, &MaterialsPrintRequest { exam_id, auditorium, printer: args.printer.clone(), wait, actor: ACTOR.into() }).await?;
        let failed = rows.iter().filter(|r| r.state.is_failed()).count();
        for row in &rows {
            report(row);
        }
        if failed > 0 {
            bail!("{failed} print job(s) of the exam materials failed: fix the printer, then print them again");
        }
        return Ok(());
    }
    let documents = match &args.act_for {
        Some(participant) => vec![ops::act_for(ctx, &exam_id, &ParticipantId::from(participant))?],
        None => {
            let what = args.what.context("--what is required")?;
            ops::make_set(ctx, &PrintRequest { exam_id: exam_id.clone(), what, auditorium, printer: args.printer.clone(), wait, actor: ACTOR.into() })?.documents
        }
    };
    let total_pages: u32 = documents.iter().map(|d| d.pages).sum();
    if let Some(out) = &args.out {
        let written = ops::write_documents(ctx, &exam_id, &documents, out, ACTOR)?;
        for (doc, (id, path)) in documents.iter().zip(&written) {
            println!("задание {id}: {} — {} стр. → {}", doc.title, doc.pages, path.display());
        }
        println!("записано документов: {}, страниц: {total_pages}", documents.len());
        return Ok(());
    }
    let target = ops::target(ctx, args.printer.as_deref())?;
    let rows = ops::print_documents(ctx, &target, &exam_id, &documents, wait, ACTOR).await?;
    for row in &rows {
        report(row);
    }
    let failed = rows.iter().filter(|r| r.state.is_failed()).count();
    println!("отправлено документов: {}, страниц: {total_pages}; напечатанным задание считается после подтверждения: ppe edge print --exam {} --confirm N", documents.len(), args.exam);
    if failed > 0 {
        bail!("{failed} print job(s) failed: fix the printer, then `ppe edge print --exam {} --reprint N`", args.exam);
    }
    Ok(())
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
