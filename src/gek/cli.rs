//! `ppe hub gek enroll|list|revoke`: РЦОИ's commands for ГЭК members' personal credentials
//! (CLI glue only). The PIN comes from a file or standard input, never from the command line.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::context::HubContext;

#[derive(Args, Debug)]
pub struct GekArgs {
    #[command(subcommand)]
    pub command: GekCommand,
}

#[derive(Subcommand, Debug)]
pub enum GekCommand {
    /// Make a ГЭК member's key file sealed under their PIN; the hub keeps the public key.
    Enroll(EnrollArgs),
    /// Every credential enrolled, with who enrolled it and when.
    List {
        /// Print the result as JSON (docs/cli.md).
        #[arg(long)]
        json: bool,
    },
    /// Revoke a member's credentials (lost, or the member replaced).
    Revoke(RevokeArgs),
}

#[derive(Args, Debug)]
pub struct EnrollArgs {
    /// The member's worker id in the plan (must hold the ГЭК role).
    #[arg(long)]
    pub worker: String,
    /// Where to write the sealed key file (never overwritten).
    #[arg(long)]
    pub out: PathBuf,
    /// File holding the PIN (default: one line from standard input).
    #[arg(long)]
    pub pin_file: Option<PathBuf>,
    /// The РЦОИ operator enrolling, for the record.
    #[arg(long, default_value = "rcoi")]
    pub by: String,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// Worker id of the ГЭК member whose credential is revoked.
    #[arg(long)]
    pub worker: String,
    /// Who revokes it (РЦОИ operator), for the audit log.
    #[arg(long, default_value = "rcoi")]
    pub by: String,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

pub fn gek(config: &Path, args: GekArgs) -> anyhow::Result<()> {
    let ctx = HubContext::open(config)?;
    match args.command {
        GekCommand::Enroll(a) => {
            let pin = crate::cli_util::read_password(a.pin_file.as_deref())?;
            let request = super::ops::EnrollRequest { worker_id: a.worker.as_str().into(), pin, out: a.out.clone(), enrolled_by: a.by };
            let c = super::ops::enroll(&ctx, &request)?;
            if a.json {
                return crate::cli_util::print_json(&serde_json::json!({ "worker_id": c.worker_id, "key_file": a.out, "public_key": c.public_key }));
            }
            crate::outln!("ключ члена ГЭК {} выпущен: {} (открытый ключ {})", c.worker_id, a.out.display(), c.public_key);
        }
        GekCommand::List { json } => {
            let credentials = super::ops::list(&ctx)?;
            if json {
                let rows: Vec<_> = credentials
                    .iter()
                    .map(|c| {
                        let key = if c.kind == super::CredentialKind::WebAuthn { super::webauthn::credential_id(c).unwrap_or_default() } else { c.public_key.clone() };
                        serde_json::json!({ "worker_id": c.worker_id, "kind": c.kind.code(), "key": key, "enrolled_by": c.enrolled_by, "enrolled_at": c.enrolled_at, "revoked_at": c.revoked_at })
                    })
                    .collect();
                return crate::cli_util::print_json(&rows);
            }
            for c in credentials {
                let state = c.revoked_at.as_deref().map(|r| format!("отозван {r}")).unwrap_or_else(|| "действует".into());
                let key = if c.kind == super::CredentialKind::WebAuthn {
                    super::webauthn::credential_id(&c).unwrap_or_default()
                } else {
                    c.public_key.clone()
                };
                crate::outln!("{}\t{}\t{key}\tвыпустил {} {}\t{state}", c.worker_id, c.kind.code(), c.enrolled_by, c.enrolled_at);
            }
        }
        GekCommand::Revoke(a) => {
            let n = super::ops::revoke(&ctx, &a.worker.as_str().into(), &a.by)?;
            if a.json {
                return crate::cli_util::print_json(&serde_json::json!({ "worker_id": a.worker, "revoked": n }));
            }
            crate::outln!("отозвано ключей члена ГЭК {}: {n}", a.worker);
        }
    }
    Ok(())
}
