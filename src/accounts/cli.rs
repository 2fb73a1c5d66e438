//! `ppe edge account` and `ppe edge activate`: local accounts and the ГЭК member's activation
//! of a package key. Passwords come from a file or standard input, never from the command line.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::context::EdgeContext;
use crate::model::WorkerRole;

#[derive(Args, Debug)]
pub struct AccountArgs {
    #[arg(long)]
    pub login: String,
    /// head, gek_member, tech_specialist, organizer_in_room, organizer_outside, assistant
    #[arg(long, value_parser = parse_role)]
    pub role: WorkerRole,
    /// The worker of the plan this account belongs to.
    #[arg(long)]
    pub worker: String,
    /// File holding the password (default: read one line from standard input).
    #[arg(long)]
    pub password_file: Option<PathBuf>,
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

fn parse_role(s: &str) -> Result<WorkerRole, String> {
    WorkerRole::parse(s).ok_or_else(|| format!("unknown role {s:?}"))
}

fn read_password(file: Option<&Path>) -> anyhow::Result<String> {
    let line = match file {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("read {}", p.display()))?,
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("read the password from standard input")?;
            line
        }
    };
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub fn account(config: &Path, args: AccountArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let password = read_password(args.password_file.as_deref())?;
    let at = ctx.clock.now_rfc3339();
    let request = super::ops::CreateAccountRequest { login: &args.login, worker_id: &args.worker.as_str().into(), role: args.role, password: &password, at: &at, actor: "system" };
    super::ops::create(&mut conn, &request)?;
    println!("учётная запись {} создана ({})", args.login, args.role.title_ru());
    Ok(())
}

pub fn activate(config: &Path, args: ActivateArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let password = read_password(args.password_file.as_deref())?;
    let request = crate::materials::ops::ActivateRequest { exam_id: args.exam.as_str().into(), gek_login: args.gek.clone(), password, pulled_by: Some(args.pulled_by.clone()) };
    crate::materials::ops::activate(&ctx, &request)?;
    println!("ключ экзамена {} активирован членом ГЭК {}", args.exam, args.gek);
    Ok(())
}
