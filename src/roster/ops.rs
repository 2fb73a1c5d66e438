//! The roster use cases of the box, shared by `ppe edge roster`, the UI and the demo: assign
//! workers to posts for an exam, and replace a worker who did not come from the reserve
//! (ППЭ-19); each one transaction with its audit entry. The rules are `roster`'s, pure; the
//! region's numbers come from `[roster]` of `ppe.toml`; the organizers' order from
//! [`organizer_seed`].

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;

use super::{store, Replacement, Roster, RosterInput, RosterRules};
use crate::config::RosterConfig;
use crate::model::{ExamId, PpeCode, WorkerId};
use crate::store::Connection;

/// Why a roster use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum RosterOpsError {
    #[error("экзамена {0} нет в плане")]
    UnknownExam(ExamId),
    #[error("сначала рассадка: ppe edge seat --exam {0}")]
    NotSeated(ExamId),
    #[error("зерно распределения организаторов экзамена {0} ещё не получено от РЦОИ (РЦОИ выдаёт его утром в день экзамена)")]
    NoSeed(ExamId),
    #[error("укажите причину замены")]
    NoReason,
    #[error(transparent)]
    Replacement(#[from] super::ReplacementError),
    /// A store that could not be read or written (the chain says which).
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

type Result<T, E = RosterOpsError> = std::result::Result<T, E>;

/// Assign the roster of an exam at this exam point.
#[derive(Debug, Clone)]
pub struct AssignRequest<'a> {
    pub exam_id: &'a ExamId,
    pub ppe_code: &'a PpeCode,
    pub rules: &'a RosterRules,
    /// The organizers' seed: from [`organizer_seed`], never typed by people at the point.
    pub seed: u64,
    /// RFC 3339 instant of the decision (the store's and the audit entry's time).
    pub at: &'a str,
    pub actor: &'a str,
}

/// Replace a worker who did not come with one from the reserve.
#[derive(Debug, Clone)]
pub struct ReplaceRequest<'a> {
    pub exam_id: &'a ExamId,
    pub ppe_code: &'a PpeCode,
    pub absent: &'a WorkerId,
    pub reason: &'a str,
    pub rules: &'a RosterRules,
    pub at: &'a str,
    pub actor: &'a str,
}

/// The rules of an exam: the region's `[roster]` numbers for the exam's kind as the plan of
/// the box holds it.
pub fn rules_for(conn: &Connection, config: &RosterConfig, exam_id: &ExamId) -> Result<RosterRules> {
    let exam = crate::plan::store::exam_get(conn, exam_id).context("load exam")?.ok_or_else(|| RosterOpsError::UnknownExam(exam_id.clone()))?;
    Ok(RosterRules::from_config(config, &exam))
}

/// The seed of the organizers' order for an exam at this point: the one place it comes from —
/// РЦОИ's organizers' seed, drawn and signed by the hub and released on the morning of the exam
/// (`distribution`, from `[distribution] organizers_from` local time), held by the box once
/// fetched (`distribution::ops::fetch_seed`). Nobody at the point can know who gets which room
/// before then, and РЦОИ can recompute the assignment from plan + seed.
pub fn organizer_seed(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode) -> Result<u64> {
    crate::distribution::ops::released_seed(conn, exam_id, ppe_code, crate::distribution::Purpose::Organizers)
        .map_err(|_| RosterOpsError::NoSeed(exam_id.clone()))
}

/// Builds the roster input of an exam from the box's plan, seating and the rosters of the
/// point's other exams of the same date.
fn with_input<T>(conn: &Connection, exam_id: &ExamId, ppe_code: &str, f: impl FnOnce(&RosterInput<'_>) -> Result<T>) -> Result<T> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let exam = plan.exams.iter().find(|e| e.exam_id == exam_id.as_str()).ok_or_else(|| RosterOpsError::UnknownExam(exam_id.clone()))?;
    let seats = crate::seating::store::seat_assignments_for_exam(conn, exam_id).context("load seating")?;
    if seats.is_empty() {
        return Err(RosterOpsError::NotSeated(exam_id.clone()));
    }
    let mut room_sizes = BTreeMap::new();
    for s in seats.iter().filter(|s| s.ppe_code == ppe_code) {
        *room_sizes.entry(s.auditorium.clone()).or_insert(0usize) += 1;
    }
    let room_floors = plan
        .auditoriums
        .iter()
        .filter(|a| a.ppe_code == ppe_code && room_sizes.contains_key(&a.auditorium))
        .map(|a| (a.auditorium.clone(), a.floor))
        .collect();
    let same_day: BTreeSet<&str> = plan.exams.iter().filter(|e| e.date == exam.date).map(|e| e.exam_id.as_str()).collect();
    let here: BTreeSet<&str> = plan
        .registrations
        .iter()
        .filter(|r| r.ppe_code == ppe_code && same_day.contains(r.exam_id.as_str()))
        .map(|r| r.participant_id.as_str())
        .collect();
    // Graduates of past years have no school; a participant without допуск does not sit here.
    let participant_schools = plan
        .participants
        .iter()
        .filter(|p| p.admitted && !p.school_code.is_empty() && here.contains(p.participant_id.as_str()))
        .map(|p| p.school_code.clone())
        .collect();
    let seated: BTreeSet<&str> = seats.iter().filter(|s| s.ppe_code == ppe_code).map(|s| s.participant_id.as_str()).collect();
    let need_assistant = plan
        .participants
        .iter()
        .filter(|p| p.conditions.assistant && seated.contains(p.participant_id.as_str()))
        .map(|p| p.participant_id.clone())
        .collect();
    let mut held_today = BTreeMap::new();
    for other in same_day.iter().filter(|id| **id != exam_id.as_str()) {
        for entry in store::roster_get(conn, other, ppe_code).context("load the day's other rosters")? {
            held_today.entry(entry.worker_id).or_insert(entry.post);
        }
    }
    let point_type = plan.exam_points.iter().find(|p| p.ppe_code == ppe_code).map(|p| p.point_type).unwrap_or_default();
    let conducting_rooms = crate::model::rooms_of_kind(&plan.auditoriums, ppe_code, exam.technology(), crate::model::RoomKind::Conducting)
        .into_iter()
        .map(|a| a.auditorium.clone())
        .collect();
    let input = RosterInput {
        exam,
        ppe_code,
        point_type,
        workers: &plan.workers,
        assignments: &plan.worker_assignments,
        room_sizes,
        room_floors,
        participant_schools,
        need_assistant,
        held_today,
        conducting_rooms,
    };
    f(&input)
}

/// Assigns the roster of an exam, stores it with its run and audits it with the seed (one
/// transaction). A roster short of a rule is stored all the same: its shortfalls say what is
/// missing.
pub fn assign(conn: &mut Connection, request: &AssignRequest<'_>) -> Result<Roster> {
    let AssignRequest { exam_id, ppe_code, rules, seed, at, actor } = *request;
    let roster = with_input(conn, exam_id, ppe_code, |input| Ok(super::assign(input, rules, seed)))?;
    let shortfalls: Vec<String> = roster.shortfalls.iter().map(|s| s.to_string()).collect();
    let tx = conn.transaction().context("start transaction")?;
    store::roster_replace(&tx, exam_id, ppe_code, &roster.entries).context("store roster")?;
    let run = store::RosterRun {
        seed,
        posts: roster.entries.len(),
        reserve: roster.reserve.len(),
        shortfalls: shortfalls.clone(),
        at: at.into(),
        actor: actor.into(),
    };
    store::roster_run_insert(&tx, exam_id, ppe_code, &run).context("store roster run")?;
    crate::audit::store::append(&tx, at, crate::audit::NewEntry {
        actor,
        action: "roster.assign",
        object: exam_id,
        details: serde_json::json!({"ppe_code": ppe_code, "seed": seed.to_string(), "posts": roster.entries.len(), "reserve": roster.reserve.len(), "shortfalls": shortfalls}),
    })
    .context("audit")?;
    tx.commit().context("commit roster")?;
    Ok(roster)
}

/// Replaces a worker who did not come with one from the reserve (ППЭ-19): one transaction with
/// its audit entry.
pub fn replace(conn: &mut Connection, request: &ReplaceRequest<'_>) -> Result<Replacement> {
    let ReplaceRequest { exam_id, ppe_code, absent, reason, rules, at, actor } = *request;
    if reason.trim().is_empty() {
        return Err(RosterOpsError::NoReason);
    }
    let exam = crate::plan::store::exam_get(conn, exam_id).context("load exam")?.ok_or_else(|| RosterOpsError::UnknownExam(exam_id.clone()))?;
    let entries = store::roster_get(conn, exam_id, ppe_code).context("load roster")?;
    let (next, record) = with_input(conn, exam_id, ppe_code, |input| {
        let on_roster: BTreeSet<&str> = entries.iter().map(|e| e.worker_id.as_str()).collect();
        let reserve = input
            .assignments
            .iter()
            .filter(|a| {
                a.ppe_code == ppe_code.as_str()
                    && a.date == exam.date
                    && !on_roster.contains(a.worker_id.as_str())
                    && !input.held_today.contains_key(&a.worker_id)
            })
            .map(|a| a.worker_id.clone())
            .collect();
        let current = Roster {
            exam_id: exam_id.to_string(),
            ppe_code: ppe_code.to_string(),
            seed: 0,
            entries: entries.clone(),
            reserve,
            shortfalls: Vec::new(),
        };
        Ok(super::replace(&current, input, rules, absent, reason, at, actor)?)
    })?;
    let tx = conn.transaction().context("start transaction")?;
    store::roster_replace(&tx, exam_id, ppe_code, &next.entries).context("store roster")?;
    store::replacement_insert(&tx, ppe_code, &record).context("store replacement")?;
    crate::audit::store::append(&tx, at, crate::audit::NewEntry {
        actor,
        action: "roster.replace",
        object: absent,
        details: serde_json::json!({"exam_id": exam_id, "replacement": record.replacement_worker_id, "post": record.post, "reason": record.reason}),
    })
    .context("audit")?;
    tx.commit().context("commit replacement")?;
    Ok(record)
}
