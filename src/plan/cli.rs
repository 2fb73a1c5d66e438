//! `ppe hub import-plan` and `ppe hub export-plan`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::csv::CsvEncoding;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Plan file: .csv (UTF-8 or Windows-1251), .xlsx or .json.
    pub file: PathBuf,
    /// Only run ФЛК and report; write nothing.
    #[arg(long)]
    pub check: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Output file; the format follows the extension (.csv, .xlsx, .json).
    #[arg(long)]
    pub out: PathBuf,
    /// Encoding of a CSV export: utf-8 or windows-1251.
    #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
    pub encoding: CsvEncoding,
}

fn parse_encoding(s: &str) -> Result<CsvEncoding, String> {
    CsvEncoding::parse(s).ok_or_else(|| format!("unknown encoding {s:?}: use utf-8 or windows-1251"))
}

pub fn import(config: &Path, args: ImportArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let (plan, report) = super::read_plan_file(&args.file)?;
    let counts = plan.counts();
    if args.check {
        println!("{}: ФЛК пройден ({counts})", args.file.display());
        return Ok(());
    }
    let hub = crate::context::HubContext::open(config)?;
    let mut conn = hub.db()?;
    let source = args.file.display().to_string();
    let at = hub.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    super::store::replace_plan(&tx, &plan, &at, &source, &report.sha256).context("write plan")?;
    crate::audit::store::append(
        &tx,
        &at,
        crate::audit::NewEntry {
            actor: "cli",
            action: "plan.import",
            object: &report.sha256,
            details: serde_json::json!({"counts": counts, "encoding": report.encoding}),
        },
    )
    .context("audit")?;
    tx.commit().context("commit plan")?;
    let enc = report.encoding.map(|e| format!(", {e}")).unwrap_or_default();
    println!("imported {} ({:?}{enc}) in {:.2} s: {counts}", args.file.display(), report.format, started.elapsed().as_secs_f64());
    Ok(())
}

pub fn export(config: &Path, args: ExportArgs) -> anyhow::Result<()> {
    let hub = crate::context::HubContext::open(config)?;
    let conn = hub.db()?;
    let plan = super::store::load_plan(&conn).context("read plan")?;
    super::write_plan_file(&plan, &args.out, args.encoding)?;
    println!("exported {}: {}", args.out.display(), plan.counts());
    Ok(())
}
