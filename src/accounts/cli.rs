//! `ppe edge account`: local accounts of the box. Passwords come from a file or standard
//! input, never from the command line.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::context::EdgeContext;
use crate::model::WorkerRole;

#[derive(Args, Debug)]
pub struct AccountArgs {
    /// Login of the new account.
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
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_role(s: &str) -> Result<WorkerRole, String> {
    WorkerRole::parse(s).ok_or_else(|| format!("неизвестная роль {s:?}"))
}

pub fn account(config: &Path, args: AccountArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let password = crate::cli_util::read_password(args.password_file.as_deref())?;
    let at = ctx.clock.now_rfc3339();
    let request = super::ops::CreateAccountRequest { login: &args.login, worker_id: &args.worker.as_str().into(), role: args.role, password: &password, at: &at, actor: "cli" };
    super::ops::create(&mut conn, &request)?;
    if args.json {
        return crate::cli_util::print_json(&serde_json::json!({ "login": args.login, "role": args.role.code(), "worker_id": args.worker }));
    }
    crate::outln!("учётная запись {} создана ({})", args.login, args.role.title_ru());
    Ok(())
}
