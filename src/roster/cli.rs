//! `ppe edge roster`: assign workers to posts for an exam, show it, replace an absent worker.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context;
use clap::Args;

use super::{store, Roster, RosterInput, RosterRules};
use crate::context::EdgeContext;
use crate::store::Connection;

#[derive(Args, Debug)]
pub struct RosterArgs {
    #[arg(long)]
    pub exam: String,
    /// Replace this worker (did not come) from the reserve.
    #[arg(long, value_name = "WORKER_ID")]
    pub replace: Option<String>,
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Who decided (the head's login).
    #[arg(long, default_value = "cli")]
    pub by: String,
    /// Teacher rule off for these school codes (regional exceptions), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub exempt_schools: Vec<String>,
}

/// Builds the roster input of an exam from the box's plan and seating.
fn with_input<T>(conn: &Connection, exam_id: &str, ppe_code: &str, f: impl FnOnce(&RosterInput<'_>) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let plan = crate::plan::store::load_plan(conn)?;
    let exam = plan.exams.iter().find(|e| e.exam_id == exam_id).with_context(|| format!("экзамена {exam_id} нет в плане"))?;
    let seats = crate::seating::store::seat_assignments_for_exam(conn, exam_id)?;
    if seats.is_empty() {
        anyhow::bail!("сначала рассадка: ppe edge seat --exam {exam_id}");
    }
    let mut room_sizes = BTreeMap::new();
    for s in seats.iter().filter(|s| s.ppe_code == ppe_code) {
        *room_sizes.entry(s.auditorium.clone()).or_insert(0usize) += 1;
    }
    let room_floors = plan.auditoriums.iter().filter(|a| a.ppe_code == ppe_code && room_sizes.contains_key(&a.auditorium)).map(|a| (a.auditorium.clone(), a.floor)).collect();
    let same_day: BTreeSet<&str> = plan.exams.iter().filter(|e| e.date == exam.date).map(|e| e.exam_id.as_str()).collect();
    let here: BTreeSet<&str> = plan.registrations.iter().filter(|r| r.ppe_code == ppe_code && same_day.contains(r.exam_id.as_str())).map(|r| r.participant_id.as_str()).collect();
    let participant_schools = plan.participants.iter().filter(|p| here.contains(p.participant_id.as_str())).map(|p| p.school_code.clone()).collect();
    let seated: BTreeSet<&str> = seats.iter().map(|s| s.participant_id.as_str()).collect();
    let need_assistant = plan.participants.iter().filter(|p| p.conditions.assistant && seated.contains(p.participant_id.as_str())).map(|p| p.participant_id.clone()).collect();
    let input = RosterInput { exam, ppe_code, workers: &plan.workers, assignments: &plan.worker_assignments, room_sizes, room_floors, participant_schools, need_assistant };
    f(&input)
}

/// Assigns the roster of an exam, stores it and audits it (one transaction).
pub fn assign_and_save(conn: &mut Connection, now: &str, actor: &str, exam_id: &str, ppe_code: &str, rules: &RosterRules) -> anyhow::Result<Roster> {
    let roster = with_input(conn, exam_id, ppe_code, |input| Ok(super::assign(input, rules)))?;
    let tx = conn.transaction()?;
    store::roster_replace(&tx, exam_id, ppe_code, &roster.entries)?;
    crate::audit::store::append(&tx, now, crate::audit::NewEntry {
        actor,
        action: "roster.assign",
        object: exam_id,
        details: serde_json::json!({"posts": roster.entries.len(), "reserve": roster.reserve.len(), "shortfalls": roster.shortfalls.iter().map(|s| s.to_string()).collect::<Vec<_>>()}),
    })?;
    tx.commit()?;
    Ok(roster)
}

pub fn roster(config: &Path, args: RosterArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let mut conn = ctx.db()?;
    let ppe_code = ctx.config.ppe_code.clone();
    let now = ctx.clock.now_rfc3339();
    let exam = crate::plan::store::exam_get(&conn, &args.exam)?.with_context(|| format!("экзамена {} нет в плане", args.exam))?;
    let mut rules = RosterRules::for_exam(&exam);
    rules.teacher_rule_exempt_schools.extend(args.exempt_schools.iter().cloned());
    if let Some(absent) = &args.replace {
        let record = replace_and_save(&mut conn, &now, &args.by, &args.exam, &ppe_code, absent, &args.reason, &rules)?;
        println!("замена: {} → {} ({})", record.absent_worker_id, record.replacement_worker_id, record.post.title_ru());
        return Ok(());
    }
    let roster = assign_and_save(&mut conn, &now, &args.by, &args.exam, &ppe_code, &rules)?;
    for e in &roster.entries {
        println!("{:<8} {}", e.worker_id, e.post.title_ru());
    }
    println!("в резерве: {}", roster.reserve.len());
    if !roster.is_complete() {
        for s in &roster.shortfalls {
            eprintln!("не выполнено правило: {s}");
        }
        anyhow::bail!("расстановка работников неполная: {} нарушений (см. выше)", roster.shortfalls.len());
    }
    Ok(())
}

/// Replaces a worker who did not come with one from the reserve (ППЭ-19): one transaction with
/// its audit entry. Used by `edge roster --replace` and the UI.
#[allow(clippy::too_many_arguments)]
pub fn replace_and_save(conn: &mut Connection, now: &str, actor: &str, exam_id: &str, ppe_code: &str, absent: &str, reason: &str, rules: &RosterRules) -> anyhow::Result<super::Replacement> {
    if reason.trim().is_empty() {
        anyhow::bail!("укажите причину замены");
    }
    let exam = crate::plan::store::exam_get(conn, exam_id)?.with_context(|| format!("экзамена {exam_id} нет в плане"))?;
    let entries = store::roster_get(conn, exam_id, ppe_code)?;
    let (next, record) = with_input(conn, exam_id, ppe_code, |input| {
        let on_roster: BTreeSet<&str> = entries.iter().map(|e| e.worker_id.as_str()).collect();
        let reserve = input
            .assignments
            .iter()
            .filter(|a| a.ppe_code == ppe_code && a.date == exam.date && !on_roster.contains(a.worker_id.as_str()))
            .map(|a| a.worker_id.clone())
            .collect();
        let current = Roster { exam_id: exam_id.to_string(), ppe_code: ppe_code.to_string(), entries: entries.clone(), reserve, shortfalls: Vec::new() };
        Ok(super::replace(&current, input, rules, absent, reason, now, actor)?)
    })?;
    let tx = conn.transaction()?;
    store::roster_replace(&tx, exam_id, ppe_code, &next.entries)?;
    store::replacement_insert(&tx, ppe_code, &record)?;
    crate::audit::store::append(&tx, now, crate::audit::NewEntry {
        actor,
        action: "roster.replace",
        object: absent,
        details: serde_json::json!({"exam_id": exam_id, "replacement": record.replacement_worker_id, "post": record.post, "reason": record.reason}),
    })?;
    tx.commit()?;
    Ok(record)
}
