//! `ppe edge upload`, `ppe edge export`, `ppe hub import`: the upload's command-line glue —
//! arguments, the runtime, printing; the work is in `upload::ops`.

use std::path::{Path, PathBuf};

use clap::Args;

use super::ops::{self, BoxBundle, UploadRequest};
use crate::context::{EdgeContext, HubContext};
use crate::hub_client::HubClient;
use crate::model::ExamId;

#[derive(Args, Debug)]
pub struct UploadArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// Build the bundle again even if the scanned pages did not change.
    #[arg(long)]
    pub rebuild: bool,
    /// Bytes per PATCH.
    #[arg(long, default_value_t = 4 << 20)]
    pub chunk_size: usize,
    /// Upload deadline (RFC 3339) for the estimate and the alarm.
    #[arg(long)]
    pub deadline: Option<String>,
    /// Failed attempts in a row before giving up.
    #[arg(long, default_value_t = 30)]
    pub max_failures: u32,
    /// Files in flight at once.
    #[arg(long, default_value_t = 8)]
    pub parallel: usize,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// Folder on removable media.
    #[arg(long)]
    pub to: PathBuf,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A folder written by `ppe edge export` (and, for the receipt, taken back from `ppe hub import`).
    pub dir: PathBuf,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

/// What completeness still misses, for the person who chose to send now.
fn print_missing(bundle: &BoxBundle) {
    if !bundle.missing.is_empty() {
        eprintln!("комплектность не полная, пакет уходит как есть:");
        for line in &bundle.missing {
            eprintln!("  {line}");
        }
    }
}

/// `ppe edge upload --exam ID`: exits 0 only with a verified receipt.
pub fn edge_upload(config: &Path, args: UploadArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let deadline = args.deadline.as_deref().map(crate::clock::parse_now).transpose().map_err(|e| anyhow::anyhow!("--deadline: {e}"))?;
    let request = UploadRequest { chunk_size: args.chunk_size, deadline, max_failures: args.max_failures, parallel: args.parallel };
    let conn = ctx.db()?;
    let bundle = ops::box_bundle(&ctx, &conn, &ExamId::from(args.exam), args.rebuild)?;
    print_missing(&bundle);
    let hub = HubClient::from_context(&ctx)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // On a terminal the running byte count and ETA ride on one line; elsewhere (a pipe, the
    // journal) only the lines that matter (deadline, alarm) are written.
    let progress = crate::cli_util::TerminalProgress::new();
    let report = |line: &str| match line.strip_prefix(ops::PROGRESS_LINE_PREFIX) {
        Some(_) if progress.is_drawn() => progress.message(line),
        Some(_) if !line.contains("ВНИМАНИЕ") => {}
        _ => progress.println(line),
    };
    let receipt = rt.block_on(ops::upload_bundle(&ctx, &conn, &bundle.built, &hub, &request, &report));
    drop(progress);
    let receipt = receipt?;
    if args.json {
        return crate::cli_util::print_json(&serde_json::json!({ "receipt": receipt.receipt, "missing": bundle.missing }));
    }
    crate::outln!(
        "квитанция РЦОИ получена: экзамен {}, ППЭ {}, файлов {}, байт {}, принято {} (опись {})",
        receipt.receipt.exam_id,
        receipt.receipt.ppe_code,
        receipt.receipt.file_count,
        receipt.receipt.total_bytes,
        receipt.receipt.received_at,
        receipt.receipt.manifest_sha256
    );
    Ok(())
}

/// `ppe edge export --exam ID --to DIR`.
pub fn edge_export(config: &Path, args: ExportArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let conn = ctx.db()?;
    let bundle = ops::export_bundle(&ctx, &conn, &ExamId::from(args.exam.as_str()), &args.to)?;
    if args.json {
        let m = &bundle.built.signed.manifest;
        return crate::cli_util::print_json(
            &serde_json::json!({ "exam_id": args.exam, "dir": args.to, "files": m.files.len(), "bytes": m.total_bytes(), "missing": bundle.missing }),
        );
    }
    print_missing(&bundle);
    crate::outln!(
        "пакет экзамена {} записан в {}: файлов {}, байт {}; отвезите носитель в РЦОИ (ppe hub import)",
        args.exam,
        args.to.display(),
        bundle.built.signed.manifest.files.len(),
        bundle.built.signed.manifest.total_bytes()
    );
    Ok(())
}

/// `ppe edge import-receipt DIR`: the receipt `ppe hub import` wrote onto the media, verified
/// against the hub's key and this box's own bundle, kept like a receipt that came by network.
pub fn edge_import_receipt(config: &Path, args: ImportArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let conn = ctx.db()?;
    let receipt = ops::import_receipt(&ctx, &conn, &args.dir)?;
    let r = &receipt.receipt;
    if args.json {
        return crate::cli_util::print_json(&serde_json::json!({ "receipt": r }));
    }
    crate::outln!(
        "квитанция РЦОИ принята: экзамен {}, ППЭ {}, получено {} ({}), файлов {}",
        r.exam_id,
        r.ppe_code,
        r.received_at,
        r.via,
        r.file_count
    );
    Ok(())
}

/// `ppe hub import DIR`: verifies exactly like an upload and writes `DIR/receipt.json`.
pub fn hub_import(config: &Path, args: ImportArgs) -> anyhow::Result<()> {
    let ctx = HubContext::open(config)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let receipt = rt.block_on(ops::hub_import(&ctx, &args.dir))?;
    if args.json {
        return crate::cli_util::print_json(&serde_json::json!({ "receipt": receipt.receipt, "receipt_file": args.dir.join("receipt.json") }));
    }
    crate::outln!(
        "пакет принят: экзамен {}, ППЭ {}; квитанция {}",
        receipt.receipt.exam_id,
        receipt.receipt.ppe_code,
        args.dir.join("receipt.json").display()
    );
    Ok(())
}
