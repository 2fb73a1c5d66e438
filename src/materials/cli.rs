//! `ppe edge prestage|pull|activate`: the box's materials commands (CLI glue only). The ГЭК
//! member's password comes from a file or standard input, never from the command line.

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

#[derive(Args, Debug)]
pub struct ActivateArgs {
    #[arg(long)]
    pub exam: String,
    /// Login of the ГЭК member activating the key.
    #[arg(long)]
    pub gek: String,
    /// Login of the technical specialist who pulled the package (two-person rule).
    #[arg(long, default_value = "operator")]
    pub pulled_by: String,
    #[arg(long)]
    pub password_file: Option<PathBuf>,
}

pub fn activate(config: &Path, args: ActivateArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let password = crate::cli_util::read_password(args.password_file.as_deref())?;
    let request = crate::materials::ops::ActivateRequest { exam_id: args.exam.as_str().into(), gek_login: args.gek.clone(), password, pulled_by: Some(args.pulled_by.clone()) };
    crate::materials::ops::activate(&ctx, &request)?;
    println!("ключ экзамена {} активирован членом ГЭК {}", args.exam, args.gek);
    Ok(())
}
