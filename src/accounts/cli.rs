//! `ppe edge account` and `ppe edge activate`: local accounts and the ГЭК member's activation
//! of a package key. Passwords come from a file or standard input, never from the command line.

use std::path::{Path, PathBuf};

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


pub fn account(config: &Path, args: AccountArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let password = crate::cli_util::read_password(args.password_file.as_deref())?;
    super::create_account(&mut conn, &args.login, &args.worker, args.role, &password, &ctx.clock.now_rfc3339())?;
    println!("учётная запись {} создана ({})", args.login, args.role.title_ru());
    Ok(())
}

pub fn activate(config: &Path, args: ActivateArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let password = crate::cli_util::read_password(args.password_file.as_deref())?;
    crate::materials::pull::activate(&ctx, &args.exam, &args.gek, &password, &args.pulled_by)?;
    println!("ключ экзамена {} активирован членом ГЭК {}", args.exam, args.gek);
    Ok(())
}
