//! Seating use cases over the box database, shared by the CLI and the web UI: load the
//! inputs, run the pure function, write the result and its audit entry in one transaction.

use std::collections::HashMap;

use anyhow::{bail, Context};

use super::{store, Seatee, Seating, SeatingInput, SeatingRules};
use crate::audit::{self, NewEntry};
use crate::model::{Auditorium, Participant, Plan, SeatAssignment};
use crate::store::Connection;

/// What one exam at one exam point needs for seating, read from the box's plan.
pub struct ExamRoom {
    pub plan: Plan,
    pub auditoriums: Vec<Auditorium>,
    pub participants: Vec<Participant>,
}

pub fn load(conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<ExamRoom> {
    let plan = crate::plan::store::load_plan(conn).context("read the plan")?;
    if !plan.exams.iter().any(|e| e.exam_id == exam_id) {
        bail!("экзамена {exam_id} нет в плане этого ППЭ");
    }
    Ok(room_of(plan, exam_id, ppe_code))
}

/// One exam at one exam point of a plan (the box's slice, or the hub's plan).
fn room_of(plan: Plan, exam_id: &str, ppe_code: &str) -> ExamRoom {
    let ids: std::collections::HashSet<&str> =
        plan.registrations.iter().filter(|r| r.exam_id == exam_id && r.ppe_code == ppe_code).map(|r| r.participant_id.as_str()).collect();
    let participants = plan.participants.iter().filter(|p| ids.contains(p.participant_id.as_str())).cloned().collect();
    let auditoriums = plan.auditoriums.iter().filter(|a| a.ppe_code == ppe_code).cloned().collect();
    ExamRoom { plan, auditoriums, participants }
}

/// The seating input of one exam at one exam point: what the box seats from and what РЦОИ
/// recomputes from (`distribution::ops::verify_seating`), so the two cannot drift apart.
pub fn input_from_plan(plan: Plan, exam_id: &str, ppe_code: &str, manual: Vec<SeatAssignment>, rules: SeatingRules) -> SeatingInput {
    input_of(room_of(plan, exam_id, ppe_code), exam_id, ppe_code, manual, rules)
}

fn input_of(room: ExamRoom, exam_id: &str, ppe_code: &str, manual: Vec<SeatAssignment>, rules: SeatingRules) -> SeatingInput {
    SeatingInput {
        exam_id: exam_id.into(),
        ppe_code: ppe_code.into(),
        auditoriums: room.auditoriums,
        participants: room.participants.iter().map(Seatee::from_participant).collect(),
        manual,
        rules,
    }
}

fn school_lookup(participants: &[Participant]) -> HashMap<String, String> {
    participants.iter().map(|p| (p.participant_id.clone(), p.school_code.clone())).collect()
}

/// Seats the exam (keeping manual seats), writes it, records the run and audits it.
pub fn run(conn: &mut Connection, now: &str, actor: &str, exam_id: &str, ppe_code: &str, seed: u64, rules: SeatingRules) -> anyhow::Result<Seating> {
    let room = load(conn, exam_id, ppe_code)?;
    let manual: Vec<SeatAssignment> = store::seat_assignments_for_exam(conn, exam_id)?.into_iter().filter(|s| s.manual && s.ppe_code == ppe_code).collect();
    let input = input_of(room, exam_id, ppe_code, manual, rules);
    let seating = super::seat(&input, seed)?;
    let tx = conn.transaction()?;
    store::replace_seating(&tx, exam_id, ppe_code, &seating.seats)?;
    store::seating_run_insert(&tx, &seating, now, actor)?;
    audit::store::append(&tx, now, NewEntry {
        actor,
        action: "seating.run",
        object: exam_id,
        details: serde_json::json!({
            "ppe_code": ppe_code, "seed": seed, "input_hash": seating.input_hash, "seated": seating.seats.len(),
            "rooms_used": seating.rooms_used, "same_school_pairs": seating.same_school_pairs,
            "same_school_lower_bound": seating.same_school_lower_bound,
        }),
    })?;
    tx.commit()?;
    Ok(seating)
}

/// The kinds of change during the day; each is logged with who and why.
pub enum Change<'a> {
    Move { participant_id: &'a str, to_auditorium: &'a str, to_seat: Option<&'a str> },
    CloseAuditorium { auditorium: &'a str, reserve: &'a str },
    AddParticipant { participant_id: &'a str },
}

/// Applies one change without reshuffling anybody else; returns the seats that changed.
pub fn change(conn: &mut Connection, now: &str, actor: &str, reason: &str, exam_id: &str, ppe_code: &str, change: Change<'_>, rules: SeatingRules) -> anyhow::Result<Vec<SeatAssignment>> {
    if reason.trim().is_empty() {
        bail!("укажите причину изменения рассадки");
    }
    let room = load(conn, exam_id, ppe_code)?;
    let schools = school_lookup(&room.plan.participants);
    let school_of = |pid: &str| schools.get(pid).cloned().unwrap_or_default();
    let mut seats: Vec<SeatAssignment> = store::seat_assignments_for_exam(conn, exam_id)?.into_iter().filter(|s| s.ppe_code == ppe_code).collect();
    let seatee = |pid: &str| -> anyhow::Result<Seatee> {
        room.plan.participants.iter().find(|p| p.participant_id == pid).map(Seatee::from_participant).with_context(|| format!("участника {pid} нет в плане"))
    };
    let (action, object, changed) = match change {
        Change::Move { participant_id, to_auditorium, to_seat } => {
            let who = seatee(participant_id)?;
            let s = super::move_participant(&mut seats, &room.auditoriums, &rules, &who, to_auditorium, to_seat, &school_of)?;
            ("seating.move", participant_id.to_string(), vec![s])
        }
        Change::CloseAuditorium { auditorium, reserve } => {
            let moved = super::close_auditorium(&mut seats, &room.auditoriums, &rules, auditorium, reserve)?;
            ("seating.close_auditorium", auditorium.to_string(), moved)
        }
        Change::AddParticipant { participant_id } => {
            if !room.participants.iter().any(|p| p.participant_id == participant_id) {
                bail!("участник {participant_id} не зарегистрирован на экзамен {exam_id} в этом ППЭ (сначала обновите план)");
            }
            let who = seatee(participant_id)?;
            let s = super::add_participant(&mut seats, &room.auditoriums, &rules, exam_id, ppe_code, &who, &school_of)?;
            ("seating.add", participant_id.to_string(), vec![s])
        }
    };
    let tx = conn.transaction()?;
    for s in &changed {
        store::seat_upsert(&tx, s)?;
    }
    audit::store::append(&tx, now, NewEntry {
        actor,
        action,
        object: &object,
        details: serde_json::json!({
            "exam_id": exam_id, "reason": reason,
            "seats": changed.iter().map(|s| serde_json::json!({"participant_id": s.participant_id, "auditorium": s.auditorium, "seat": s.seat_label()})).collect::<Vec<_>>(),
        }),
    })?;
    tx.commit()?;
    Ok(changed)
}
