//! `ppe edge prestage|pull|activate`: the box's materials commands (CLI glue only). The ГЭК
//! member's PIN comes from a file or standard input, never from the command line.

use std::path::{Path, PathBuf};

use clap::Args;

use super::ops::PullRequest;
use super::pull::PullOptions;
use crate::context::EdgeContext;

#[derive(Args, Debug)]
pub struct PrestageArgs {
    /// Exam id (from the plan).
    #[arg(long = "exam")]
    pub exam_id: String,
}

#[derive(Args, Debug)]
pub struct PullArgs {
    /// Exam id (from the plan).
    #[arg(long = "exam")]
    pub exam_id: String,
    /// Take the ciphertext from removable media (a folder with manifest.json and *.enc);
    /// only the key comes over the network.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Login of the technical specialist pulling (recorded; the key comes only at activation).
    #[arg(long, default_value = "operator")]
    pub by: String,
    /// The exam's documents package instead (ИС-9: instructions, expert protocols,
    /// statements): pulled, verified and its key obtained from the documents' own moment,
    /// without a ГЭК member.
    #[arg(long, conflicts_with = "from")]
    pub documents: bool,
}

fn run_pull(config: &Path, request: PullRequest) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let rt = tokio::runtime::Runtime::new()?;
    let progress = crate::cli_util::TerminalProgress::new();
    let report = rt.block_on(super::ops::pull_with_progress(&ctx, &request, &progress)).map_err(pull_error)?;
    crate::outln!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// The pull's error as the CLI reports it (its text once), "try again later" kept as such: the
/// hub unreachable, busy or the window not open yet (exit 75, docs/cli.md).
fn pull_error(e: super::pull::PullError) -> anyhow::Error {
    use super::pull::PullError;
    let later = match &e {
        PullError::Network(_) => true,
        PullError::Refused(reason) => {
            reason.contains("window_not_open")
                || [" 429)", " 503)", " 502)", " 504)", "HTTP 429", "HTTP 503", "HTTP 502", "HTTP 504"].iter().any(|s| reason.contains(s))
        }
        PullError::Other(inner) => crate::cli_util::common_exit_class(inner) == Some(crate::cli_util::ExitClass::TryLater),
        _ => false,
    };
    if later {
        anyhow::Error::new(crate::cli_util::TryLater(e.to_string()))
    } else {
        anyhow::anyhow!("{e}")
    }
}

pub fn prestage(config: &Path, args: PrestageArgs) -> anyhow::Result<()> {
    run_pull(config, PullRequest { exam_id: args.exam_id.into(), from: None, actor: PullOptions::default().actor })
}

pub fn pull(config: &Path, args: PullArgs) -> anyhow::Result<()> {
    if args.documents {
        let ctx = EdgeContext::open(config)?;
        let rt = tokio::runtime::Runtime::new()?;
        let report =
            rt.block_on(super::documents::pull_documents(&ctx, &args.exam_id.as_str().into(), &args.by)).map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::outln!("{}", serde_json::to_string(&report)?);
        eprintln!("пакет документов экзамена {}: файлов {}, ключ получен", report.exam_id, report.files.len());
        return Ok(());
    }
    run_pull(config, PullRequest { exam_id: args.exam_id.into(), from: args.from, actor: args.by })
}

#[derive(Args, Debug)]
pub struct ActivateArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// The ГЭК member's own key file, issued by РЦОИ (`ppe hub gek enroll`).
    #[arg(long)]
    pub gek_key: PathBuf,
    /// File holding the member's PIN (default: one line from standard input).
    #[arg(long)]
    pub pin_file: Option<PathBuf>,
}

/// Obtains the key from the hub against the member's credential and activates it.
pub fn activate(config: &Path, args: ActivateArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let pin = crate::cli_util::read_password(args.pin_file.as_deref())?;
    let request = crate::materials::ops::ActivateRequest { exam_id: args.exam.as_str().into(), gek_key_file: args.gek_key, pin, actor: "cli".into(), account_worker_id: None };
    let rt = tokio::runtime::Runtime::new()?;
    let report = rt.block_on(crate::materials::ops::activate(&ctx, &request))?;
    crate::outln!("{}", serde_json::to_string(&report)?);
    eprintln!("ключ экзамена {} получен и активирован членом ГЭК {}", report.exam_id, report.gek_worker_id);
    Ok(())
}
