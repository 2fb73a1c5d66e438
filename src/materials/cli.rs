//! `ppe edge prestage|pull|serve`: the box's materials commands (CLI glue only).

use std::path::{Path, PathBuf};

use clap::Args;

use super::ops::PullRequest;
use super::pull::PullOptions;
use crate::context::EdgeContext;

#[derive(Args, Debug)]
pub struct PrestageArgs {
    #[arg(long = "exam")]
    pub exam_id: String,
}

#[derive(Args, Debug)]
pub struct PullArgs {
    #[arg(long = "exam")]
    pub exam_id: String,
    /// Take the ciphertext from removable media (a folder with manifest.json and *.enc);
    /// only the key comes over the network.
    #[arg(long)]
    pub from: Option<PathBuf>,
    /// Login of the technical specialist pulling (recorded; the ГЭК member activates).
    #[arg(long, default_value = "operator")]
    pub by: String,
}

fn run_pull(config: &Path, request: PullRequest) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let rt = tokio::runtime::Runtime::new()?;
    let report = rt.block_on(super::ops::pull(&ctx, &request)).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

pub fn prestage(config: &Path, args: PrestageArgs) -> anyhow::Result<()> {
    run_pull(config, PullRequest { exam_id: args.exam_id.into(), from: None, with_key: false, actor: PullOptions::default().actor })
}

pub fn pull(config: &Path, args: PullArgs) -> anyhow::Result<()> {
    run_pull(config, PullRequest { exam_id: args.exam_id.into(), from: args.from, with_key: true, actor: args.by })
}
