//! `ppe edge wipe`: run by hand after an exam, and hourly by `ppe-edge-wipe.timer` (`--due`).

use std::path::Path;

use anyhow::Context;
use clap::Args;

use super::ops::{purge_exam_jobs, wipe_exam, JobsPurge, WipeReport};
use super::{MaterialsDecision, PersonalDecision, ReceiptCheck};
use crate::context::EdgeContext;

#[derive(Args, Debug)]
pub struct WipeArgs {
    /// The exam whose material (and, when due, personal data) to remove.
    #[arg(long, required_unless_present = "due", conflicts_with = "due")]
    pub exam: Option<String>,
    /// Every exam in the box database: what is due is wiped, the rest is left (the timer).
    #[arg(long)]
    pub due: bool,
    /// Judge the retention period at this time instead of now (RFC 3339; tests, drills).
    #[arg(long)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn wipe(config: &Path, args: WipeArgs, receipts: &dyn ReceiptCheck) -> anyhow::Result<()> {
    let mut ctx = EdgeContext::open(config)?;
    if let Some(now) = args.now {
        ctx = ctx.with_clock(crate::clock::Clock::simulated(now, 1.0));
    }
    let exam_ids: Vec<String> = match &args.exam {
        Some(id) => vec![id.clone()],
        None => {
            let conn = ctx.db()?;
            crate::plan::store::exam_list(&conn).context("список экзаменов")?.into_iter().map(|e| e.exam_id).collect()
        }
    };
    // The exam's jobs leave cupsd first (an unreachable cupsd is reported, not fatal: the
    // files below go regardless and the next run purges the jobs).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("запуск среды выполнения")?;
    let mut reports = Vec::new();
    for exam_id in &exam_ids {
        let jobs = rt.block_on(purge_exam_jobs(&ctx, exam_id)).with_context(|| format!("удаление заданий печати экзамена {exam_id}"))?;
        let report = wipe_exam(&ctx, exam_id, receipts).with_context(|| format!("очистка экзамена {exam_id}"))?;
        reports.push(ExamWipe { report, print_jobs: jobs });
    }
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            crate::outln!("{}", describe(&r.report));
            if let Some(jobs) = &r.print_jobs {
                crate::outln!("{}", describe_jobs(&r.report.exam_id, jobs));
            }
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct ExamWipe {
    #[serde(flatten)]
    report: WipeReport,
    /// None before the exam is over (nothing is purged then).
    print_jobs: Option<JobsPurge>,
}

fn describe_jobs(exam_id: &str, j: &JobsPurge) -> String {
    let done = format!("{exam_id}: задания печати удалены из CUPS вместе с файлами спула (удалено: {}, уже не было: {}, чужих номеров пропущено: {})", j.purged, j.gone, j.not_ours);
    match &j.unreachable {
        None => done,
        Some(why) => format!(
            "{done}; CUPS недоступен ({why}): остальные задания не удалены — спул CUPS на ППЭ в памяти (tmpfs) и пропадёт при перезагрузке; повторите `ppe edge wipe`, когда CUPS запущен"
        ),
    }
}

fn describe(r: &WipeReport) -> String {
    let materials = match &r.materials {
        MaterialsDecision::Wipe => format!("расшифрованные материалы удалены (файлов: {}, байт: {})", r.materials_removed.files, r.materials_removed.bytes),
        MaterialsDecision::NotBeforeEnd { end } => format!("материалы сохранены: экзамен идёт до {}", end.to_rfc3339()),
    };
    let personal = match &r.personal {
        PersonalDecision::Wipe => {
            let c = r.personal_counts.unwrap_or_default();
            format!("персональные данные удалены (участников: {}, работников обезличено: {})", c.participants_deleted, c.workers_anonymized)
        }
        PersonalDecision::AlreadyWiped => "персональные данные уже удалены".to_string(),
        PersonalDecision::NotDue { due } => format!("персональные данные хранятся до {}", due.to_rfc3339()),
        PersonalDecision::NoReceipt => "персональные данные сохранены: нет квитанции РЦОИ о приёме".to_string(),
        PersonalDecision::ReceiptUnknown => "персональные данные сохранены: наличие квитанции РЦОИ неизвестно".to_string(),
    };
    format!("{}: {materials}; {personal}", r.exam_id)
}
