//! `ppe hub import-plan` and `ppe hub export-plan`.

use std::path::{Path, PathBuf};

use clap::Args;

use super::csv::CsvEncoding;
use super::ops::ImportRequest;

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
    if args.check {
        let (plan, report) = super::read_plan_file(&args.file)?;
        report.warning_lines(&args.file.display().to_string()).iter().for_each(|w| eprintln!("{w}"));
        println!("{}: ФЛК пройден ({})", args.file.display(), plan.counts());
        return Ok(());
    }
    let hub = crate::context::HubContext::open(config)?;
    let imported = super::ops::import(&hub, &ImportRequest { file: &args.file, check_only: false, actor: "cli" })?;
    let report = &imported.report;
    report.warning_lines(&args.file.display().to_string()).iter().for_each(|w| eprintln!("{w}"));
    let enc = report.encoding.map(|e| format!(", {e}")).unwrap_or_default();
    println!("imported {} ({:?}{enc}) in {:.2} s: {}", args.file.display(), report.format, started.elapsed().as_secs_f64(), imported.plan.counts());
    Ok(())
}

pub fn export(config: &Path, args: ExportArgs) -> anyhow::Result<()> {
    let hub = crate::context::HubContext::open(config)?;
    let plan = super::ops::export(&hub, &args.out, args.encoding)?;
    println!("exported {}: {}", args.out.display(), plan.counts());
    Ok(())
}
