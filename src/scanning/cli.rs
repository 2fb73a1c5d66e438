//! `ppe edge scan`: take in pages from a SANE device or a folder, list what needs a person,
//! assign a page by hand, and show completeness.

use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;

use super::ops::{self, completeness_now, AssignRequest, IntakeRequest, IntakeSource};
use super::store as scan_store;
use super::{ExpectedSheets, PageStatus};
use crate::context::EdgeContext;
use crate::model::ExamId;

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// SANE device (`scanimage -L`); default the configured scanner.
    #[arg(long, conflicts_with = "from")]
    pub device: Option<String>,
    /// A folder of page images (a network scanner's inbox).
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Extra option passed to scanimage as is (repeatable), e.g. `--source=Automatic Document Feeder`.
    #[arg(long = "sane-option", allow_hyphen_values = true)]
    pub sane_options: Vec<String>,
    /// The issued sheets and attendance (JSON `ExpectedSheets`) instead of the box's own record
    /// of kits and attendance.
    #[arg(long)]
    pub expected: Option<PathBuf>,
    /// Assign a page waiting for a person to the sheet whose code is given in `--code`.
    #[arg(long, requires = "code")]
    pub assign: Option<String>,
    /// The sheet code (as printed under the barcode) for --assign.
    #[arg(long)]
    pub code: Option<String>,
    /// Print pages waiting for a person and what is missing, then exit.
    #[arg(long)]
    pub list: bool,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

pub fn scan(config: &Path, args: ScanArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let exam_id = ExamId::from(&args.exam);
    if let Some(page_id) = &args.assign {
        let conn = ctx.db()?;
        let key = ops::box_sheet_key(&ctx)?;
        let expected = ops::load_expected(&ctx, &args.exam, args.expected.as_deref())?;
        let code = args.code.clone().unwrap_or_default();
        ops::assign(
            &ctx,
            &conn,
            &key,
            expected.as_ref(),
            &AssignRequest { exam_id, page_id: page_id.clone(), code: code.clone(), actor: "operator".into() },
        )?;
        if args.json {
            return crate::cli_util::print_json(&serde_json::json!({ "page_id": page_id, "code": code, "assigned": true }));
        }
        crate::outln!("страница {page_id} сопоставлена с бланком {code}");
        return Ok(());
    }
    let mut intake = None;
    if !args.list {
        let source = match (&args.from, &args.device) {
            (Some(dir), _) => IntakeSource::Folder(dir.clone()),
            (None, device) => {
                let device = device.clone().unwrap_or_else(|| ctx.config.scanner.device.clone());
                if device.is_empty() {
                    bail!("сканер не задан: укажите --device или --from либо [scanner] device в ppe.toml");
                }
                IntakeSource::Sane { device, options: args.sane_options.clone() }
            }
        };
        let request = IntakeRequest { exam_id, source, expected_file: args.expected.clone(), actor: "operator".into() };
        let progress = crate::cli_util::TerminalProgress::new();
        let report = ops::ingest_with_progress(&ctx, &request, &progress);
        drop(progress);
        let report = report?;
        if !args.json {
            crate::outln!(
                "принято страниц: {} (сопоставлено {}, ждут разбора {}, уже были {})",
                report.stored,
                report.matched,
                report.to_resolve,
                report.already_had
            );
        }
        intake = Some(
            serde_json::json!({ "stored": report.stored, "matched": report.matched, "to_resolve": report.to_resolve, "already_had": report.already_had }),
        );
        if let Some(fault) = report.fault {
            bail!("сканер: {} ({}); принятые страницы сохранены: {}", fault.message_ru(), report.fault_detail, report.stored);
        }
    }
    let expected = ops::load_expected(&ctx, &args.exam, args.expected.as_deref())?;
    if args.json {
        return print_status_json(&*ctx.db()?, &args.exam, expected.as_ref(), intake);
    }
    print_status(&*ctx.db()?, &args.exam, expected.as_ref(), args.list)
}

/// `--json`: what the intake took (when it ran), the pages waiting for a person, completeness.
fn print_status_json(
    conn: &crate::store::Connection,
    exam: &str,
    expected: Option<&ExpectedSheets>,
    intake: Option<serde_json::Value>,
) -> anyhow::Result<()> {
    let pages = scan_store::pages_for_exam(conn, exam)?;
    let to_resolve: Vec<_> = pages
        .iter()
        .filter(|p| PageStatus::parse(&p.status).is_none_or(|s| s.to_resolve()))
        .map(|p| serde_json::json!({ "page_id": p.page_id, "source": p.source, "status": p.status }))
        .collect();
    let completeness = match expected {
        Some(exp) => {
            let c = completeness_now(conn, exam, exp)?;
            Some(serde_json::json!({ "complete": c.holds(), "missing": c.lines_ru() }))
        }
        None => None,
    };
    crate::cli_util::print_json(
        &serde_json::json!({ "exam_id": exam, "intake": intake, "pages": pages.len(), "to_resolve": to_resolve, "completeness": completeness }),
    )
}

fn print_status(conn: &crate::store::Connection, exam: &str, expected: Option<&ExpectedSheets>, forms: bool) -> anyhow::Result<()> {
    let pages = scan_store::pages_for_exam(conn, exam)?;
    if forms {
        // The form pages matched, each with its form, copy and page.
        let mut places: Vec<(String, &str)> =
            pages.iter().filter(|p| p.status == "matched").filter_map(|p| Some((p.form_place_ru()?, p.source.as_str()))).collect();
        places.sort();
        for (place, source) in places {
            crate::outln!("форма: {place} ({source})");
        }
    }
    let to_resolve: Vec<_> = pages.iter().filter(|p| PageStatus::parse(&p.status).is_none_or(|s| s.to_resolve())).collect();
    for p in &to_resolve {
        let why = PageStatus::parse(&p.status).map(|s| s.title_ru()).unwrap_or("?");
        crate::outln!("к разбору: страница {} ({}): {}", p.page_id, p.source, why);
    }
    if let Some(exp) = expected {
        let c = completeness_now(conn, exam, exp)?;
        if c.holds() {
            crate::outln!("комплектность: всё на месте");
        } else {
            for line in c.lines_ru() {
                crate::outln!("{line}");
            }
        }
    }
    Ok(())
}
