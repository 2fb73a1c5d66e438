//! Seating use cases over the box database, shared by the CLI and the web UI: load the
//! inputs, run the pure function, write the result and its audit entry in one transaction.
//! Each exam is seated against the rooms the point's other exams hold while it runs
//! (`seating::day`), and only participants with допуск к ГИА are seated.

use std::collections::HashMap;

use anyhow::{bail, Context};

use super::day::{self, ExamAtPoint};
use super::{store, HeldRoom, Seatee, Seating, SeatingInput, SeatingRules};
use crate::audit::{self, NewEntry};
use crate::model::{Auditorium, Exam, Participant, Plan, SeatAssignment};
use crate::store::Connection;

/// What one exam at one exam point needs for seating, read from the box's plan.
pub struct ExamRoom {
    pub plan: Plan,
    pub exam: Exam,
    pub auditoriums: Vec<Auditorium>,
    /// Registered here for this exam and admitted (допуск к ГИА).
    pub participants: Vec<Participant>,
}

impl ExamRoom {
    /// The exams held at this point (with registrations here), any date.
    fn point_exams(&self, ppe_code: &str) -> Vec<&Exam> {
        self.plan.exams.iter().filter(|e| self.plan.registrations.iter().any(|r| r.exam_id == e.exam_id && r.ppe_code == ppe_code)).collect()
    }
}

pub fn load(conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<ExamRoom> {
    room_of(crate::plan::store::load_plan(conn).context("read the plan")?, exam_id, ppe_code)
}

/// One exam at one exam point of a plan (the box's slice, or the hub's plan cut to the point).
fn room_of(plan: Plan, exam_id: &str, ppe_code: &str) -> anyhow::Result<ExamRoom> {
    let Some(exam) = plan.exams.iter().find(|e| e.exam_id == exam_id).cloned() else {
        bail!("экзамена {exam_id} нет в плане этого ППЭ");
    };
    let ids: std::collections::HashSet<&str> =
        plan.registrations.iter().filter(|r| r.exam_id == exam_id && r.ppe_code == ppe_code).map(|r| r.participant_id.as_str()).collect();
    let registered: Vec<Participant> = plan.participants.iter().filter(|p| ids.contains(p.participant_id.as_str())).cloned().collect();
    let participants = day::admitted(&registered);
    // An oral exam seats its participants in the waiting rooms; its conducting rooms hold queues.
    let technology = exam.technology();
    let auditorium_kind = |a: &crate::model::Auditorium| crate::model::room_kind_for(technology, a);
    let auditoriums = plan.auditoriums.iter().filter(|a| a.ppe_code == ppe_code && auditorium_kind(a) != crate::model::RoomKind::Conducting).cloned().collect();
    Ok(ExamRoom { plan, exam, auditoriums, participants })
}

fn input_of(room: &ExamRoom, ppe_code: &str, manual: Vec<SeatAssignment>, point_seats: &[SeatAssignment], rules: SeatingRules) -> SeatingInput {
    let point_exams = room.point_exams(ppe_code);
    day::input_for(ExamAtPoint {
        exam: &room.exam,
        ppe_code,
        auditoriums: &room.auditoriums,
        participants: &room.participants,
        manual,
        point_exams: &point_exams,
        point_seats,
        rules,
    })
}

/// The seating input of one exam at one exam point: what the box seats from and what РЦОИ
/// recomputes from (`distribution::ops::verify_seating`), so the two cannot drift apart.
/// `point_seats` are the seats of the point's exams (the box's own); РЦОИ, which holds no
/// seats, sets the input's `held` rooms from the box's report instead.
pub fn input_from_plan(plan: Plan, exam_id: &str, ppe_code: &str, manual: Vec<SeatAssignment>, point_seats: &[SeatAssignment], rules: SeatingRules) -> anyhow::Result<SeatingInput> {
    Ok(input_of(&room_of(plan, exam_id, ppe_code)?, ppe_code, manual, point_seats, rules))
}

fn school_lookup(participants: &[Participant]) -> HashMap<String, String> {
    participants.iter().map(|p| (p.participant_id.clone(), p.school_code.clone())).collect()
}

/// Seats the exam (keeping manual seats), writes it, records the run and audits it.
pub fn run(conn: &mut Connection, now: &str, actor: &str, exam_id: &str, ppe_code: &str, seed: u64, rules: SeatingRules) -> anyhow::Result<Seating> {
    let room = load(conn, exam_id, ppe_code)?;
    let manual: Vec<SeatAssignment> = store::seat_assignments_for_exam(conn, exam_id)?.into_iter().filter(|s| s.manual && s.ppe_code == ppe_code).collect();
    let point_seats = store::seat_assignments_for_point(conn, ppe_code)?;
    let input = input_of(&room, ppe_code, manual, &point_seats, rules);
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
            "held_by_other_exams": seating.held, "video_only": input.video_only,
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
    let point_seats = store::seat_assignments_for_point(conn, ppe_code)?;
    let held: Vec<HeldRoom> = day::held_rooms(&room.exam, &room.point_exams(ppe_code), &point_seats);
    let video_only = day::needs_video(&room.exam);
    let target = |auditorium: &str| -> anyhow::Result<()> {
        if let Some(a) = room.auditoriums.iter().find(|a| a.auditorium == auditorium) {
            day::check_target_room(a, &held, video_only)?;
        }
        Ok(())
    };
    let schools = school_lookup(&room.plan.participants);
    let school_of = |pid: &str| schools.get(pid).cloned().unwrap_or_default();
    let mut seats: Vec<SeatAssignment> = store::seat_assignments_for_exam(conn, exam_id)?.into_iter().filter(|s| s.ppe_code == ppe_code).collect();
    let seatee = |pid: &str| -> anyhow::Result<Seatee> {
        room.plan.participants.iter().find(|p| p.participant_id == pid).map(Seatee::from_participant).with_context(|| format!("участника {pid} нет в плане"))
    };
    let (action, object, changed) = match change {
        Change::Move { participant_id, to_auditorium, to_seat } => {
            let who = seatee(participant_id)?;
            target(to_auditorium)?;
            let s = super::move_participant(&mut seats, &room.auditoriums, &rules, &who, to_auditorium, to_seat, &school_of)?;
            ("seating.move", participant_id.to_string(), vec![s])
        }
        Change::CloseAuditorium { auditorium, reserve } => {
            target(reserve)?;
            let moved = super::close_auditorium(&mut seats, &room.auditoriums, &rules, auditorium, reserve)?;
            ("seating.close_auditorium", auditorium.to_string(), moved)
        }
        Change::AddParticipant { participant_id } => {
            if room.plan.participants.iter().any(|p| p.participant_id == participant_id && !p.admitted) {
                bail!("участник {participant_id} не допущен к ГИА: он не рассаживается");
            }
            if !room.participants.iter().any(|p| p.participant_id == participant_id) {
                bail!("участник {participant_id} не зарегистрирован на экзамен {exam_id} в этом ППЭ (сначала обновите план)");
            }
            let who = seatee(participant_id)?;
            let open: Vec<Auditorium> = room.auditoriums.iter().filter(|a| day::check_target_room(a, &held, video_only).is_ok()).cloned().collect();
            let s = super::add_participant(&mut seats, &open, &rules, exam_id, ppe_code, &who, &school_of)?;
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
