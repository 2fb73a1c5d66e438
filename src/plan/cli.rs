//! `ppe hub import-plan`, `ppe hub export-plan` and `ppe hub plan-log`.

use std::path::{Path, PathBuf};

use clap::Args;

use super::csv::CsvEncoding;
use super::merge::Scope;
use super::ops::{ImportRequest, Imported};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Plan file: .csv (UTF-8 or Windows-1251), .xlsx or .json. Tables absent from the file
    /// stay as the hub holds them.
    pub file: PathBuf,
    /// Only run ФЛК on the file alone and report; write nothing.
    #[arg(long)]
    pub check: bool,
    /// Compare with the hub's plan, print the changes and the verdict; write nothing.
    #[arg(long, conflicts_with = "check")]
    pub dry_run: bool,
    /// Take only these tables of the file (comma-separated); the others stay as they are.
    #[arg(long, value_delimiter = ',')]
    pub tables: Vec<String>,
    /// A file of one ТУ: replace only the exam points of this АТЕ code and their auditoriums,
    /// registrations and assignments; exams, participants and workers are added or updated.
    #[arg(long)]
    pub ate: Option<String>,
    /// Apply a change that removes much of the plan or touches an exam held today.
    #[arg(long, requires = "reason")]
    pub force: bool,
    /// Why the plan changes (recorded in the audit and the import record).
    #[arg(long)]
    pub reason: Option<String>,
    /// The official letter the change follows, number and date (needed after the freeze date).
    #[arg(long)]
    pub letter: Option<String>,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Output file; the format follows the extension (.csv, .xlsx, .json).
    #[arg(long)]
    pub out: PathBuf,
    /// Encoding of a CSV export: utf-8 or windows-1251.
    #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
    pub encoding: CsvEncoding,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct LogArgs {
    /// How many of the latest imports to show.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

fn parse_encoding(s: &str) -> Result<CsvEncoding, String> {
    CsvEncoding::parse(s).ok_or_else(|| format!("неизвестная кодировка {s:?}: допустимы utf-8 и windows-1251"))
}

pub fn import(config: &Path, args: ImportArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if args.check {
        let (plan, report) = super::read_plan_file(&args.file)?;
        let warnings = report.warning_lines(&args.file.display().to_string());
        if args.json {
            return crate::cli_util::print_json(
                &serde_json::json!({ "file": args.file, "checked": true, "written": false, "counts": plan.counts(), "warnings": warnings }),
            );
        }
        warnings.iter().for_each(|w| eprintln!("{w}"));
        crate::outln!("{}: ФЛК пройден ({})", args.file.display(), plan.counts());
        return Ok(());
    }
    let hub = crate::context::HubContext::open(config)?;
    let request = ImportRequest {
        file: &args.file,
        check_only: false,
        dry_run: args.dry_run,
        scope: Scope { tables: args.tables.clone(), ate_code: args.ate.clone() },
        force: args.force,
        reason: args.reason.as_deref().unwrap_or(""),
        letter: args.letter.as_deref().unwrap_or(""),
        actor: "cli",
    };
    let imported = super::ops::import(&hub, &request)?;
    let report = &imported.report;
    let warnings = report.warning_lines(&args.file.display().to_string());
    if args.json {
        return crate::cli_util::print_json(&serde_json::json!({
            "file": args.file,
            "format": format!("{:?}", report.format).to_lowercase(),
            "encoding": report.encoding.map(|e| e.to_string()),
            "written": imported.written,
            "counts": imported.plan.counts(),
            "tables_taken": imported.taken,
            "tables_skipped": imported.skipped,
            "tables_kept": imported.kept,
            "frozen": imported.verdict.frozen,
            "forced": imported.verdict.overridden.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "warnings": warnings,
            "seconds": started.elapsed().as_secs_f64(),
        }));
    }
    warnings.iter().for_each(|w| eprintln!("{w}"));
    let enc = report.encoding.map(|e| format!(", {e}")).unwrap_or_default();
    if imported.written {
        crate::outln!(
            "план загружен из {} ({:?}{enc}) за {:.2} с: {}",
            args.file.display(),
            report.format,
            started.elapsed().as_secs_f64(),
            imported.plan.counts()
        );
    } else {
        crate::outln!(
            "пробный прогон {} ({:?}{enc}): ничего не записано; план был бы таким: {}",
            args.file.display(),
            report.format,
            imported.plan.counts()
        );
    }
    crate::out!("{}", change_report(&imported));
    Ok(())
}

/// What the operator reads after an import (names included: this is the operator's screen,
/// not a log).
fn change_report(imported: &Imported) -> String {
    let list = |v: &[String]| if v.is_empty() { "—".to_string() } else { v.join(", ") };
    let mut out = format!("Таблицы из файла: {}\n", list(&imported.taken));
    if !imported.skipped.is_empty() {
        out.push_str(&format!("Пропущены (нет в --tables): {}\n", list(&imported.skipped)));
    }
    out.push_str(&format!("Без изменений (нет в файле): {}\n", list(&imported.kept)));
    if imported.diff.is_empty() {
        out.push_str("Изменений нет.\n");
    } else {
        out.push_str("Изменения:\n");
        out.push_str(&imported.diff.render(20));
    }
    if imported.verdict.frozen {
        out.push_str("План заморожен: изменение записано с причиной и письмом.\n");
    }
    for r in &imported.verdict.overridden {
        out.push_str(&format!("Принято с --force: {r}\n"));
    }
    out
}

pub fn export(config: &Path, args: ExportArgs) -> anyhow::Result<()> {
    let hub = crate::context::HubContext::open(config)?;
    let plan = super::ops::export(&hub, &args.out, args.encoding)?;
    if args.json {
        return crate::cli_util::print_json(&serde_json::json!({ "file": args.out, "counts": plan.counts() }));
    }
    crate::outln!("план выгружен в {}: {}", args.out.display(), plan.counts());
    Ok(())
}

pub fn log(config: &Path, args: LogArgs) -> anyhow::Result<()> {
    let hub = crate::context::HubContext::open(config)?;
    let rows = super::ops::import_log(&hub, args.limit)?;
    if args.json {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| {
                serde_json::json!({ "id": r.id, "imported_at": r.imported_at, "actor": r.actor, "source": r.source, "sha256": r.sha256, "scope": r.scope,
                    "tables": r.tables, "changes": r.diff, "reason": r.reason, "letter": r.letter, "forced": r.forced })
            })
            .collect();
        return crate::cli_util::print_json(&rows);
    }
    for r in rows {
        let scope = if r.scope.is_empty() { String::new() } else { format!(" [{}]", r.scope) };
        crate::outln!(
            "#{} {} {} {} sha256 {}{scope}",
            r.id,
            r.imported_at,
            if r.actor.is_empty() { "-" } else { &r.actor },
            r.source,
            r.sha256.get(..12).unwrap_or(&r.sha256)
        );
        crate::outln!("    tables: {}; changes: {}", if r.tables.is_empty() { "-" } else { &r.tables }, r.diff);
        if !r.reason.is_empty() || !r.letter.is_empty() {
            crate::outln!("    reason: {}; letter: {}", r.reason, if r.letter.is_empty() { "-" } else { &r.letter });
        }
        for f in &r.forced {
            crate::outln!("    forced: {f}");
        }
    }
    Ok(())
}
