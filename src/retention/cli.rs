//! `ppe edge wipe`: run by hand after an exam, and hourly by `ppe-edge-wipe.timer` (`--due`).

use std::path::Path;

use anyhow::Context;
use clap::Args;

use super::ops::{wipe_exam, WipeReport};
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
            crate::plan::store::exam_list(&conn).context("list exams")?.into_iter().map(|e| e.exam_id).collect()
        }
    };
    let mut reports = Vec::new();
    for exam_id in &exam_ids {
        reports.push(wipe_exam(&ctx, exam_id, receipts).with_context(|| format!("wipe exam {exam_id}"))?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            println!("{}", describe(r));
        }
    }
    Ok(())
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
