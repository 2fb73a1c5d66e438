//! `ppe edge attendance`: issue kits, record attendance and events and identity confirmations
//! (ППЭ-20), list the auditorium state.

use std::path::Path;

use anyhow::Context;
use clap::Args;

use super::{ops, EventKind, ExamEvent};
use crate::context::EdgeContext;

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("what").args(["event", "escort"])))]
pub struct AttendanceArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// Issue individual kits (sheet numbers) to every seated participant without one.
    #[arg(long)]
    pub issue_kits: bool,
    /// The participant the event or escort is about.
    #[arg(long, requires = "what")]
    pub participant: Option<String>,
    /// present, absent, late, removed, finished_early, left, returned, kit_replaced
    #[arg(long, value_parser = parse_event)]
    pub event: Option<EventKind>,
    /// Reason (required for removal, early finish, kit replacement).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Worker id of the ГЭК member (removal, early finish).
    #[arg(long, default_value = "")]
    pub gek: String,
    /// Worker id of the medical worker (early finish for health reasons).
    #[arg(long, default_value = "")]
    pub medical: String,
    /// The participant came without an identity document: the escort's full name (ППЭ-20);
    /// needs --escort-document and --gek.
    #[arg(long, requires_all = ["participant", "escort_document", "gek"], conflicts_with = "event")]
    pub escort: Option<String>,
    /// The escort's identity document (kind, series, number).
    #[arg(long, requires = "escort")]
    pub escort_document: Option<String>,
    /// When it happened (RFC 3339); default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Who records it (login or worker id), for the audit log.
    #[arg(long, default_value = "cli")]
    pub actor: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What `--json` prints: what this call did and the exam's counts after it.
#[derive(serde::Serialize, Default)]
struct AttendanceReport {
    exam_id: String,
    kits_issued: Vec<super::IssuedSheet>,
    identity_confirmed: Option<String>,
    new_sheets: Vec<super::IssuedSheet>,
    counts: super::AttendanceCounts,
}

fn parse_event(s: &str) -> Result<EventKind, String> {
    EventKind::parse(s).ok_or_else(|| format!("неизвестное событие {s:?}: допустимы {}", EventKind::ALL.map(|k| k.code()).join(", ")))
}

pub fn attendance(config: &Path, args: AttendanceArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let now = ctx.clock.now_rfc3339();
    let ppe_code = ctx.config.ppe_code.clone();
    let json = args.json;
    let mut report = AttendanceReport { exam_id: args.exam.clone(), ..AttendanceReport::default() };
    if args.issue_kits {
        report.kits_issued = ops::issue_kits(&mut conn, &now, &args.actor, &args.exam, &ppe_code)?;
        if !json {
            crate::outln!("выдано бланков: {}", report.kits_issued.len());
        }
    }
    if let (Some(participant_id), Some(escort_name)) = (&args.participant, &args.escort) {
        let confirmation = super::identity::IdentityConfirmation {
            exam_id: args.exam.clone(),
            ppe_code: ppe_code.clone(),
            participant_id: participant_id.clone(),
            escort_name: escort_name.clone(),
            escort_document: args.escort_document.clone().unwrap_or_default(),
            gek_worker_id: args.gek.clone(),
            at: args.at.clone().unwrap_or_else(|| now.clone()),
            actor: args.actor.clone(),
        };
        super::identity::ops::confirm_identity(&mut conn, &now, &confirmation).context("личность не подтверждена")?;
        report.identity_confirmed = Some(participant_id.clone());
        if !json {
            crate::outln!(
                "личность участника {participant_id} подтверждена сопровождающим; акт ППЭ-20: ppe edge print --exam {} --act-for {participant_id}",
                args.exam
            );
        }
    }
    if let (Some(participant_id), Some(kind)) = (args.participant, args.event) {
        let event = ExamEvent {
            medical_worker_id: args.medical,
            exam_id: args.exam.clone(),
            participant_id,
            kind,
            at: args.at.unwrap_or_else(|| now.clone()),
            reason: args.reason,
            gek_worker_id: args.gek,
            actor: args.actor,
        };
        report.new_sheets = ops::record(&mut conn, &now, event).context("событие не записано")?;
        if !json {
            for s in &report.new_sheets {
                crate::outln!("новый бланк: {} № {}", s.kind.title_ru(), s.number);
            }
        }
    }
    let states = ops::states(&conn, &args.exam)?;
    let seated = crate::seating::store::seat_assignments_for_exam(&conn, &args.exam)?;
    let all: Vec<super::ParticipantState> = seated.iter().map(|s| states.get(&s.participant_id).cloned().unwrap_or_default()).collect();
    let c = super::counts(all.iter());
    if json {
        report.counts = c;
        return crate::cli_util::print_json(&report);
    }
    crate::outln!(
        "экзамен {}: по плану {}, присутствуют {}, не явились {}, не отмечены {}, удалены {}, завершили досрочно {}, опоздали {}",
        args.exam,
        c.planned,
        c.present,
        c.absent,
        c.unmarked,
        c.removed,
        c.finished_early,
        c.late
    );
    Ok(())
}
