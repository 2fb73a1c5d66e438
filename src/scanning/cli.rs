//! `ppe edge scan`: take in pages from a SANE device or a folder, list what needs a person,
//! assign a page by hand, and show completeness.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use super::intake::{AtomicPageWriter, Intake};
use super::store as scan_store;
use super::{ExpectedSheets, PageStatus};
use crate::context::EdgeContext;

#[derive(Args, Debug)]
pub struct ScanArgs {
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
    #[arg(long)]
    pub code: Option<String>,
    /// Print pages waiting for a person and what is missing, then exit.
    #[arg(long)]
    pub list: bool,
}

/// The key sheet codes are MACed with: derived from the box's signing key file.
pub fn box_sheet_key(ctx: &EdgeContext) -> anyhow::Result<ring::hmac::Key> {
    let secret = std::fs::read(&ctx.config.keys.signing_key_file)
        .with_context(|| format!("read the box key {}", ctx.config.keys.signing_key_file.display()))?;
    Ok(crate::sheet_code::sheet_key(&secret))
}

pub fn load_expected(ctx: &EdgeContext, exam: &str, path: Option<&Path>) -> anyhow::Result<Option<ExpectedSheets>> {
    let p = match path {
        Some(p) => p.to_path_buf(),
        None => {
            // The box's own record of issued kits and attendance, when kits were issued here.
            let conn = ctx.db()?;
            let expected = crate::attendance::ops::expected_sheets(&conn, exam, &ctx.config.ppe_code)?;
            return Ok((!expected.participants.is_empty()).then_some(expected));
        }
    };
    let text = std::fs::read(&p).with_context(|| format!("read {}", p.display()))?;
    Ok(Some(serde_json::from_slice(&text).with_context(|| format!("{} is not an ExpectedSheets JSON", p.display()))?))
}

pub fn scan(config: &Path, args: ScanArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let conn = ctx.db()?;
    let key = box_sheet_key(&ctx)?;
    let expected = load_expected(&ctx, &args.exam, args.expected.as_deref())?;
    if let Some(page_id) = &args.assign {
        return assign(&ctx, &conn, &key, &args.exam, page_id, args.code.as_deref().unwrap_or(""), expected.as_ref());
    }
    if !args.list {
        let intake = Intake {
            conn: &conn,
            clock: &ctx.clock,
            exam_id: &args.exam,
            ppe_code: &ctx.config.ppe_code,
            key: &key,
            expected: expected.as_ref(),
            scans_dir: ctx.config.state_dir.join("scans"),
            writer: &AtomicPageWriter,
            actor: "operator",
        };
        let report = match (&args.from, &args.device) {
            (Some(dir), _) => intake.ingest_folder(dir)?,
            (None, device) => {
                let device = device.clone().unwrap_or_else(|| ctx.config.scanner.device.clone());
                if device.is_empty() {
                    bail!("no scanner: pass --device or --from, or set [scanner] device in ppe.toml");
                }
                intake.scan_from_sane(&device, &args.sane_options, None)?
            }
        };
        println!(
            "принято страниц: {} (сопоставлено {}, ждут разбора {}, уже были {})",
            report.stored, report.matched, report.to_resolve, report.already_had
        );
        if let Some(fault) = report.fault {
            bail!("сканер: {} ({}); принятые страницы сохранены: {}", fault.message_ru(), report.fault_detail, report.stored);
        }
    }
    print_status(&conn, &args.exam, expected.as_ref())
}

pub use super::intake::completeness_now;

fn print_status(conn: &crate::store::Connection, exam: &str, expected: Option<&ExpectedSheets>) -> anyhow::Result<()> {
    let pages = scan_store::pages_for_exam(conn, exam)?;
    let to_resolve: Vec<_> = pages.iter().filter(|p| PageStatus::parse(&p.status).is_none_or(|s| s.to_resolve())).collect();
    for p in &to_resolve {
        let why = PageStatus::parse(&p.status).map(|s| s.title_ru()).unwrap_or("?");
        println!("к разбору: страница {} ({}): {}", p.page_id, p.source, why);
    }
    if let Some(exp) = expected {
        let c = completeness_now(conn, exam, exp)?;
        if c.holds() {
            println!("комплектность: всё на месте");
        } else {
            for line in c.lines_ru() {
                println!("{line}");
            }
        }
    }
    Ok(())
}

pub fn assign(
    ctx: &EdgeContext,
    conn: &crate::store::Connection,
    key: &ring::hmac::Key,
    exam: &str,
    page_id: &str,
    code: &str,
    expected: Option<&ExpectedSheets>,
) -> anyhow::Result<()> {
    let page = scan_store::page_get(conn, page_id)?.with_context(|| format!("no page {page_id}"))?;
    if page.exam_id != exam {
        bail!("page {page_id} belongs to exam {}", page.exam_id);
    }
    let id = crate::sheet_code::decode(code, key).map_err(|e| anyhow::anyhow!("code {code}: {e}"))?;
    if id.exam_id != exam || id.ppe_code != ctx.config.ppe_code {
        bail!("code is of exam {} at exam point {}", id.exam_id, id.ppe_code);
    }
    let kind = super::intake::kind_str(id.kind);
    if scan_store::sheet_is_scanned(conn, exam, kind, id.number)? {
        bail!("sheet {code} is scanned already");
    }
    let owner = expected.and_then(|e| e.owner_of(id.kind, id.number)).flatten().map(str::to_string);
    let now = ctx.clock.now_rfc3339();
    let tx = conn.unchecked_transaction()?;
    scan_store::page_resolve(&tx, page_id, Some(code), kind, id.number, owner.as_deref(), "operator")?;
    crate::audit::store::append(
        &tx,
        &now,
        crate::audit::NewEntry {
            actor: "operator",
            action: "scan.page_assigned",
            object: page_id,
            details: serde_json::json!({"exam_id": exam, "sheet_kind": kind, "sheet_number": id.number, "was": page.status}),
        },
    )?;
    tx.commit()?;
    println!("страница {page_id} сопоставлена с бланком {code}");
    Ok(())
}
