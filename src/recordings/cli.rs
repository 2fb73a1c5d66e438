//! `ppe edge recordings`: take in recordings or КЕГЭ answer files from a folder, list them with
//! completeness, attach a kept file to a participant or set it aside, move a КЕГЭ participant
//! to a reserve workstation.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::ops::{self, ImportRequest, MoveRequest, ResolveRequest};
use crate::context::EdgeContext;

#[derive(Args, Debug)]
pub struct RecordingsArgs {
    #[command(subcommand)]
    pub command: RecordingsCommand,
}

#[derive(Subcommand, Debug)]
pub enum RecordingsCommand {
    /// Takes in every file of a folder (a station's export, removable media): decoded,
    /// checked, matched; a bad file is kept with its reason.
    Import {
        /// The folder.
        dir: PathBuf,
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
        /// Who records it (login or worker id), for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// The exam's files and what completeness still misses.
    List {
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
        /// Print the result as JSON (docs/cli.md).
        #[arg(long)]
        json: bool,
    },
    /// Attaches a kept file to a participant (the person checked it).
    Attach {
        /// Id of the file (as `recordings list` shows it).
        file_id: String,
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
        /// Participant id (from the plan).
        #[arg(long)]
        participant: String,
        /// What the person checked.
        #[arg(long)]
        note: String,
        /// Who records it (login or worker id), for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Sets a file aside: kept, not counted, not sent.
    SetAside {
        /// Id of the file (as `recordings list` shows it).
        file_id: String,
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
        /// Why (kept with the file or the move, for the audit log).
        #[arg(long)]
        reason: String,
        /// Who records it (login or worker id), for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Moves a КЕГЭ participant to a reserve workstation of their room.
    Move {
        /// Exam id (from the plan).
        #[arg(long)]
        exam: String,
        /// Participant id (from the plan).
        #[arg(long)]
        participant: String,
        /// The reserve workstation's number.
        #[arg(long)]
        to: u16,
        /// Why (kept with the file or the move, for the audit log).
        #[arg(long)]
        reason: String,
        /// Who records it (login or worker id), for the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

pub fn recordings(config: &Path, args: RecordingsArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let conn = ctx.db()?;
    let ppe_code = ctx.config.ppe_code.clone();
    let rec = &ctx.config.recordings;
    match args.command {
        RecordingsCommand::Import { dir, exam, actor } => {
            let store_dir = ctx.config.state_dir.join("recordings");
            let report = ops::import_folder(
                &conn,
                &ctx.clock,
                rec,
                &ImportRequest { exam_id: &exam, ppe_code: &ppe_code, dir: &dir, store_dir, actor: &actor },
            )?;
            crate::outln!(
                "принято файлов: {}, сопоставлено: {}, к разбору: {}, уже были приняты: {}",
                report.stored,
                report.matched,
                report.to_resolve,
                report.already_had
            );
            for f in report.files.iter().filter(|f| f.status != "matched") {
                crate::outln!("к разбору: {} — {} [{}]", f.source_name, f.reason, f.file_id);
            }
            print_completeness(&conn, &exam, &ppe_code)?;
        }
        RecordingsCommand::List { exam, json } => {
            let files = super::store::files_for_exam(&conn, &exam)?;
            if json {
                let rows: Vec<_> = files
                    .iter()
                    .map(|f| serde_json::json!({ "file_id": f.file_id, "status": f.status, "participant_id": f.participant_id, "source_name": f.source_name, "sha256": f.sha256, "duration_ms": f.duration_ms, "reason": f.reason }))
                    .collect();
                let completeness = super::facts::completeness_now(&conn, &exam, &ppe_code)?.map(|(kind, c)| {
                    serde_json::json!({ "kind": kind.code(), "expected": c.expected, "received": c.received, "complete": c.holds(), "missing": c.lines_ru(kind) })
                });
                return crate::cli_util::print_json(&serde_json::json!({ "exam_id": exam, "files": rows, "completeness": completeness }));
            }
            for f in files {
                let who = f.participant_id.as_deref().unwrap_or("—");
                let length = f.duration_ms.map(|d| format!("{:.1} с", d as f64 / 1000.0)).unwrap_or_default();
                crate::outln!("{}  {}  {}  {}  {}  {length}  {}", f.file_id, f.status, who, f.source_name, &f.sha256[..12], f.reason);
            }
            print_completeness(&conn, &exam, &ppe_code)?;
        }
        RecordingsCommand::Attach { file_id, exam, participant, note, actor } => {
            let r = ResolveRequest { exam_id: &exam, ppe_code: &ppe_code, file_id: &file_id, actor: &actor, note: &note };
            let f = ops::attach(&conn, &ctx.clock, &r, &participant)?;
            crate::outln!("файл {} принят как файл участника {participant}", f.file_id);
        }
        RecordingsCommand::SetAside { file_id, exam, reason, actor } => {
            let r = ResolveRequest { exam_id: &exam, ppe_code: &ppe_code, file_id: &file_id, actor: &actor, note: &reason };
            let f = ops::set_aside(&conn, &ctx.clock, &r)?;
            crate::outln!("файл {} отложен (хранится, не учитывается и не передаётся)", f.file_id);
        }
        RecordingsCommand::Move { exam, participant, to, reason, actor } => {
            let m = ops::move_workstation(
                &conn,
                &ctx.clock,
                rec,
                &MoveRequest {
                    exam_id: &exam,
                    ppe_code: &ppe_code,
                    participant_id: &participant,
                    to_workstation: to,
                    reason: &reason,
                    actor: &actor,
                },
            )?;
            crate::outln!(
                "участник {} пересажен в аудитории {} со станции № {} на резервную станцию № {}",
                m.participant_id,
                m.auditorium,
                m.from_workstation,
                m.to_workstation
            );
        }
    }
    Ok(())
}

fn print_completeness(conn: &crate::store::Connection, exam: &str, ppe_code: &str) -> anyhow::Result<()> {
    match super::facts::completeness_now(conn, exam, ppe_code)? {
        None => crate::outln!("экзамен {exam} не собирает аудиозаписей и файлов ответов"),
        Some((kind, c)) if c.holds() => crate::outln!("комплектность: {} из {} ({}) — полная", c.received, c.expected, kind.code()),
        Some((kind, c)) => {
            crate::outln!("комплектность: {} из {} ({}) — не полная:", c.received, c.expected, kind.code());
            for line in c.lines_ru(kind) {
                crate::outln!("  {line}");
            }
        }
    }
    Ok(())
}
