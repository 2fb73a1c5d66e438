//! `ppe edge roster`: assign workers to posts for an exam by the region's `[roster]` rules in
//! the order drawn from the organizers' seed, show it, replace an absent worker.

use std::path::Path;

use clap::Args;

use super::ops::{self, AssignRequest, ReplaceRequest};
use crate::context::EdgeContext;
use crate::model::{ExamId, PpeCode, WorkerId};

#[derive(Args, Debug)]
pub struct RosterArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// Replace this worker (did not come) from the reserve.
    #[arg(long, value_name = "WORKER_ID")]
    pub replace: Option<String>,
    /// Why the worker is replaced (kept in the audit log).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Who decided (the head's login).
    #[arg(long, default_value = "cli")]
    pub by: String,
    /// Teacher rule off for these school codes (regional exceptions), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub exempt_schools: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn roster(config: &Path, args: RosterArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let (exam_id, ppe_code) = (ExamId::from(&args.exam), PpeCode::from(&ctx.config.ppe_code));
    let at = ctx.clock.now_rfc3339();
    let mut rules = ops::rules_for(&conn, &ctx.config.roster, &exam_id)?;
    rules.teacher_rule_exempt_schools.extend(args.exempt_schools.iter().cloned());
    if let Some(absent) = &args.replace {
        let request = ReplaceRequest {
            exam_id: &exam_id,
            ppe_code: &ppe_code,
            absent: &WorkerId::from(absent),
            reason: &args.reason,
            rules: &rules,
            at: &at,
            actor: &args.by,
        };
        let record = ops::replace(&mut conn, &request)?;
        if args.json {
            return crate::cli_util::print_json(&record);
        }
        crate::outln!("замена: {} → {} ({})", record.absent_worker_id, record.replacement_worker_id, record.post.title_ru());
        return Ok(());
    }
    if ops::organizer_seed(&conn, &exam_id, &ppe_code).is_err() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        if let Err(e) = rt.block_on(crate::distribution::ops::fetch_seed(&ctx, &exam_id, crate::distribution::Purpose::Organizers)) {
            eprintln!("РЦОИ не выдал зерно распределения организаторов: {e}");
        }
    }
    let seed = ops::organizer_seed(&conn, &exam_id, &ppe_code)?;
    let roster = ops::assign(&mut conn, &AssignRequest { exam_id: &exam_id, ppe_code: &ppe_code, rules: &rules, seed, at: &at, actor: &args.by })?;
    if args.json {
        crate::cli_util::print_json(&roster)?;
    } else {
        for e in &roster.entries {
            crate::outln!("{:<8} {}", e.worker_id, e.post.title_ru());
        }
        crate::outln!("в резерве: {}", roster.reserve.len());
        crate::outln!("зерно распределения организаторов: {}", roster.seed);
    }
    if !roster.is_complete() {
        for s in &roster.shortfalls {
            eprintln!("не выполнено правило: {s}");
        }
        anyhow::bail!("расстановка работников неполная: {} нарушений (см. выше)", roster.shortfalls.len());
    }
    Ok(())
}
