//! `ppe edge readiness run|scan|show|report|forms`: the technical readiness check of the day
//! before an exam (CLI glue only; the use cases are `readiness::ops` and `readiness::forms`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use super::ops::{self, RunRequest, RunView};
use super::station_title;
use crate::context::EdgeContext;
use crate::model::{ExamId, PpeCode};

#[derive(Args, Debug)]
pub struct ReadinessArgs {
    #[command(subcommand)]
    pub command: ReadinessCommand,
}

#[derive(Subcommand, Debug)]
pub enum ReadinessCommand {
    /// Check every station: a test page with a sheet code on each printer, the scanner, the
    /// clock against РЦОИ, free disk, the pre-staged package.
    Run(RunArgs),
    /// Take the scanned test pages back: each printer passes only once its page's code is read.
    Scan(ScanArgs),
    /// The latest run's verdicts.
    Show(ShowArgs),
    /// Send the latest run to РЦОИ (the dashboard's readiness of the next exam day).
    Report(ShowArgs),
    /// Print ППЭ-01-01 per auditorium, ППЭ-01-02 and ППЭ-01 from the latest run.
    Forms(FormsArgs),
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// Write the test pages into this folder instead of printing (no printer at hand).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Run as at this time (RFC 3339; drills and tests).
    #[arg(long, value_parser = crate::clock::parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// A folder of scanned images (default: `[scanner] inbox`).
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// The time to act at (RFC 3339), instead of the clock.
    #[arg(long, value_parser = crate::clock::parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// The time to act at (RFC 3339), instead of the clock.
    #[arg(long, value_parser = crate::clock::parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Args, Debug)]
pub struct FormsArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// Write the PDFs into this folder instead of printing.
    #[arg(long, conflicts_with = "printer")]
    pub out: Option<PathBuf>,
    /// CUPS queue (default: `[printer] name`).
    #[arg(long)]
    pub printer: Option<String>,
    /// The time to act at (RFC 3339), instead of the clock.
    #[arg(long, value_parser = crate::clock::parse_now)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

const ACTOR: &str = "cli";

fn context(config: &Path, now: Option<chrono::DateTime<chrono::Utc>>) -> anyhow::Result<EdgeContext> {
    let ctx = EdgeContext::open(config)?;
    Ok(match now {
        Some(t) => ctx.with_clock(crate::clock::Clock::simulated(t, 1.0)),
        None => ctx,
    })
}

fn print_view(view: &RunView) -> anyhow::Result<()> {
    let run = &view.run;
    crate::outln!("проверка готовности № {} экзамена {} (ППЭ {}), начата {}", run.run_id, run.exam_id, run.ppe_code, run.started_at);
    for v in &view.verdicts {
        let title = run.facts.stations.iter().find(|s| s.station == v.station).map(station_title).unwrap_or_else(|| "Штаб ППЭ".into());
        let mark = if v.passed { "да " } else { "НЕТ" };
        let why = if v.passed { String::new() } else { format!(" — {}", v.reason) };
        crate::outln!("  [{mark}] {title}: {}: {}{why}", v.check.title_ru(), v.seen);
    }
    if view.summary.ready {
        crate::outln!("ППЭ готов к экзамену");
    } else {
        crate::outln!("ППЭ НЕ готов: {} проверок не пройдено", view.summary.failing.len());
    }
    Ok(())
}

/// A run and its verdicts as `--json` prints them.
fn view_json(view: &RunView) -> serde_json::Value {
    serde_json::json!({"run_id": view.run.run_id, "exam_id": view.run.exam_id, "ppe_code": view.run.ppe_code, "started_at": view.run.started_at,
        "reported_at": view.run.reported_at, "ready": view.summary.ready, "failing": view.summary.failing, "verdicts": view.verdicts, "facts": view.run.facts})
}

pub fn readiness(config: &Path, args: ReadinessArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match args.command {
        ReadinessCommand::Run(a) => {
            let ctx = context(config, a.now)?;
            let view = runtime.block_on(ops::run(&ctx, &RunRequest { exam_id: ExamId::from(a.exam.as_str()), out: a.out, actor: ACTOR.into() }))?;
            if a.json {
                return crate::cli_util::print_json(&view_json(&view));
            }
            print_view(&view)?;
            if view.verdicts.iter().any(|v| v.check == super::CheckKind::TestPrint && v.seen.ends_with("напечатан")) {
                crate::outln!("отсканируйте тестовые страницы и выполните: ppe edge readiness scan --exam {}", a.exam);
            }
            Ok(())
        }
        ReadinessCommand::Scan(a) => {
            let ctx = context(config, a.now)?;
            let dir = a.from.or_else(|| ctx.config.scanner.inbox.clone()).context("папка со сканами: --from DIR или [scanner] inbox в ppe.toml")?;
            let exam_id = ExamId::from(a.exam.as_str());
            let found = ops::scan_back_images(&ctx, &exam_id, &ops::images_in(&dir)?, ACTOR)?;
            if a.json {
                let view = ops::latest(&*ctx.db()?, &exam_id, &PpeCode::from(&ctx.config.ppe_code))?;
                let json = serde_json::json!({"matched": found.matched, "unrecognized": found.unrecognized.len(), "stale": found.stale, "run": view_json(&view)});
                return crate::cli_util::print_json(&json);
            }
            crate::outln!(
                "распознано тестовых страниц: {}{}; не тестовые страницы: {}{}",
                found.matched.len(),
                if found.matched.is_empty() { String::new() } else { format!(" ({})", found.matched.join(", ")) },
                found.unrecognized.len(),
                if found.stale > 0 {
                    format!("; страницы прошлых проверок (не засчитаны): {}", found.stale)
                } else {
                    String::new()
                }
            );
            print_view(&ops::latest(&*ctx.db()?, &exam_id, &PpeCode::from(&ctx.config.ppe_code))?)?;
            Ok(())
        }
        ReadinessCommand::Show(a) => {
            let ctx = context(config, a.now)?;
            let view = ops::latest(&*ctx.db()?, &ExamId::from(a.exam.as_str()), &PpeCode::from(&ctx.config.ppe_code))?;
            if a.json {
                crate::cli_util::print_json(&view_json(&view))?;
            } else {
                print_view(&view)?;
            }
            Ok(())
        }
        ReadinessCommand::Report(a) => {
            let ctx = context(config, a.now)?;
            let ack = runtime.block_on(ops::report(&ctx, &ExamId::from(a.exam.as_str()), ACTOR))?;
            if a.json {
                return crate::cli_util::print_json(&ack);
            }
            if ack.ready {
                crate::outln!("отчёт о готовности принят РЦОИ {}: ППЭ готов", ack.received_at);
            } else {
                crate::outln!("отчёт о готовности принят РЦОИ {}: ППЭ НЕ готов — {}", ack.received_at, ack.failing.join("; "));
            }
            Ok(())
        }
        ReadinessCommand::Forms(a) => {
            let ctx = context(config, a.now)?;
            let request = ops::FormsRequest { exam_id: ExamId::from(a.exam.as_str()), out: a.out, printer: a.printer, actor: ACTOR.into() };
            for line in runtime.block_on(ops::print_forms(&ctx, &request))? {
                crate::outln!("{line}");
            }
            Ok(())
        }
    }
}
