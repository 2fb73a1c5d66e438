//! `ppe edge appeal`: file an appeal about the procedure (ППЭ-02), record its review (ППЭ-03),
//! list the exam's appeals.

use std::path::Path;

use clap::{Args, Subcommand};

use super::ops::{self, FileRequest, ReviewRequest};
use crate::context::EdgeContext;

#[derive(Args, Debug)]
pub struct AppealArgs {
    #[command(subcommand)]
    pub command: AppealCommand,
    /// Print the appeal (or the list) as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum AppealCommand {
    /// A participant files an appeal about the procedure before leaving the point (ППЭ-02).
    File {
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
        /// Participant id (from the plan).
        #[arg(long)]
        participant: String,
        /// What was broken, in the participant's words.
        #[arg(long)]
        text: String,
        /// Worker id of the ГЭК member who takes it.
        #[arg(long)]
        gek: String,
        /// Who records it (login or worker id), for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// The ГЭК member records the check of an appeal (ППЭ-03).
    Review {
        /// Number of the appeal (`ppe edge appeal list` gives it).
        #[arg(long)]
        appeal: i64,
        /// Worker id of the ГЭК member who reviews it.
        #[arg(long)]
        gek: String,
        /// What the check found.
        #[arg(long)]
        findings: String,
        /// The facts were confirmed (default: not confirmed).
        #[arg(long)]
        upheld: bool,
        /// Who records it (login or worker id), for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// The exam's appeals at this point.
    List {
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
    },
}

pub fn appeal(config: &Path, args: AppealArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let now = ctx.clock.now_rfc3339();
    let ppe_code = ctx.config.ppe_code.clone();
    match args.command {
        AppealCommand::File { exam, participant, text, gek, actor } => {
            let a = ops::file(&mut conn, &FileRequest { exam_id: &exam, ppe_code: &ppe_code, participant_id: &participant, text: &text, gek_worker_id: &gek, at: &now, actor: &actor })?;
            if args.json {
                return crate::cli_util::print_json(&a);
            }
            crate::outln!("апелляция № {} принята членом ГЭК {} (ППЭ-02)", a.appeal_id, a.gek_worker_id);
        }
        AppealCommand::Review { appeal, gek, findings, upheld, actor } => {
            let a = ops::review(&mut conn, &ReviewRequest { appeal_id: appeal, ppe_code: &ppe_code, gek_worker_id: &gek, findings: &findings, upheld, at: &now, actor: &actor })?;
            if args.json {
                return crate::cli_util::print_json(&a);
            }
            let conclusion = a.review.as_ref().map(|r| r.conclusion_ru()).unwrap_or_default();
            crate::outln!("апелляция № {} рассмотрена (ППЭ-03): {conclusion}", a.appeal_id);
        }
        AppealCommand::List { exam } => {
            let appeals = super::store::appeals_for_exam(&conn, &exam, &ppe_code)?;
            if args.json {
                return crate::cli_util::print_json(&appeals);
            }
            for a in appeals {
                let state = a.review.as_ref().map(|r| r.conclusion_ru()).unwrap_or("не рассмотрена");
                crate::outln!("№ {}  участник {}  подана {}  {}", a.appeal_id, a.participant_id, a.filed_at, state);
            }
        }
    }
    Ok(())
}
