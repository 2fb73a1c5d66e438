//! `ppe edge seat`: seat an exam, show it, or change it during the day.

use std::path::Path;

use clap::Args;

use super::ops::{self, Change};
use super::SeatingRules;
use crate::context::EdgeContext;

#[derive(Args, Debug)]
pub struct SeatArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// Refused: the seed of the seating is drawn and released by РЦОИ (fetched by the box).
    #[arg(long, hide = true)]
    pub seed: Option<String>,
    /// Send the current seating to РЦОИ again (after a failed report).
    #[arg(long)]
    pub report: bool,
    /// Show the current seating as a table instead of seating.
    #[arg(long)]
    pub show: bool,
    /// At most this many participants per auditorium.
    #[arg(long, default_value_t = 25)]
    pub max_per_room: u16,
    /// Move this participant (with --to, optionally --seat).
    #[arg(long = "move", value_name = "PARTICIPANT_ID")]
    pub move_participant: Option<String>,
    /// Auditorium to move the participant to (with --move).
    #[arg(long, value_name = "AUDITORIUM")]
    pub to: Option<String>,
    /// Seat in that auditorium (with --move), e.g. 3Б.
    #[arg(long, value_name = "LABEL")]
    pub seat: Option<String>,
    /// Close this auditorium and move its people to --reserve.
    #[arg(long, value_name = "AUDITORIUM")]
    pub close: Option<String>,
    /// Reserve auditorium that takes the people of --close.
    #[arg(long, value_name = "AUDITORIUM")]
    pub reserve: Option<String>,
    /// Seat a participant added by a late plan change.
    #[arg(long, value_name = "PARTICIPANT_ID")]
    pub add: Option<String>,
    /// Why (required for changes; goes into the audit log).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Who (account login), for the audit log.
    #[arg(long, default_value = "cli")]
    pub actor: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

impl SeatArgs {
    /// A seating run (no show, no change): `distribution::cli::seat` runs it from РЦОИ's seed.
    pub fn is_run(&self) -> bool {
        !self.show && self.move_participant.is_none() && self.close.is_none() && self.add.is_none()
    }
}

/// Shows the seating or changes it; a run goes through `distribution::cli::seat`.
pub fn seat(config: &Path, args: SeatArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let ppe_code = ctx.config.ppe_code.clone();
    let rules = SeatingRules { max_per_room: args.max_per_room, ..SeatingRules::default() };
    let now = ctx.clock.now_rfc3339();
    let change = if let Some(pid) = args.move_participant.as_deref() {
        let to = args.to.as_deref().ok_or_else(|| anyhow::anyhow!("для --move нужен --to АУДИТОРИЯ"))?;
        Some(Change::Move { participant_id: pid, to_auditorium: to, to_seat: args.seat.as_deref() })
    } else if let Some(room) = args.close.as_deref() {
        let reserve = args.reserve.as_deref().ok_or_else(|| anyhow::anyhow!("для --close нужен --reserve АУДИТОРИЯ"))?;
        Some(Change::CloseAuditorium { auditorium: room, reserve })
    } else {
        args.add.as_deref().map(|pid| Change::AddParticipant { participant_id: pid })
    };
    if let Some(change) = change {
        let changed = ops::change(&mut conn, &now, &args.actor, &args.reason, &args.exam, &ppe_code, change, rules)?;
        if args.json {
            return crate::cli_util::print_json(&changed);
        }
        for s in changed {
            crate::outln!("{} → аудитория {}, место {}", s.participant_id, s.auditorium, s.seat_label());
        }
        return Ok(());
    }
    if args.show {
        let room = ops::load(&conn, &args.exam, &ppe_code)?;
        let names: std::collections::HashMap<&str, String> = room.participants.iter().map(|p| (p.participant_id.as_str(), p.full_name())).collect();
        let seats = super::store::seat_assignments_for_exam(&conn, &args.exam)?;
        if seats.is_empty() {
            anyhow::bail!("рассадка экзамена {} ещё не выполнена: ppe edge seat --exam {}", args.exam, args.exam);
        }
        if args.json {
            return crate::cli_util::print_json(&seats);
        }
        crate::out!("{}", super::render_table(&seats, &|pid| names.get(pid).cloned().unwrap_or_default()));
        return Ok(());
    }
    anyhow::bail!("рассадка выполняется только по зерну РЦОИ: ppe edge seat --exam {}", args.exam)
}
