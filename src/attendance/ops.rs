//! Attendance use cases over the box database, shared by the CLI, the web UI and the demo:
//! each is one transaction with one audit entry.

use std::collections::HashMap;

use anyhow::{bail, Context};

use super::expected::{ExpectedParticipant, ExpectedSheets};
use super::{store, EventKind, ExamEvent, IssuedSheet, ParticipantState};
use crate::audit::{self, NewEntry};
use crate::model::kit::{kit_of, Kit};
use crate::sheet_code::SheetKind;
use crate::store::Connection;

/// Issues a kit to every seated participant of the exam who has none yet (idempotent).
/// Returns the sheets issued now.
pub fn issue_kits(conn: &mut Connection, now: &str, actor: &str, exam_id: &str, ppe_code: &str) -> anyhow::Result<Vec<IssuedSheet>> {
    let seats = crate::seating::store::seat_assignments_for_exam(conn, exam_id)?;
    if seats.iter().all(|s| s.ppe_code != ppe_code) {
        bail!("экзамен {exam_id}: рассадка не выполнена, комплекты выдавать некому (ppe edge seat --exam {exam_id})");
    }
    let kit = exam_kit(conn, exam_id)?;
    let tx = conn.transaction()?;
    let mut issued = Vec::new();
    for seat in seats.iter().filter(|s| s.ppe_code == ppe_code) {
        if store::kit_latest(&tx, exam_id, &seat.participant_id)? > 0 {
            continue;
        }
        issued.extend(issue_kit(&tx, now, exam_id, ppe_code, &seat.participant_id, 1, &kit)?);
    }
    audit::store::append(
        &tx,
        now,
        NewEntry {
            actor,
            action: "attendance.kits_issued",
            object: exam_id,
            details: serde_json::json!({"ppe_code": ppe_code, "kit": kit.codes(), "sheets": issued.len()}),
        },
    )?;
    tx.commit()?;
    Ok(issued)
}

/// The valid kit of one participant, issued now (inside the caller's transaction) if they
/// have none: the numbers printing puts on the sheets are the ones scanning expects.
pub fn kit_for(tx: &Connection, now: &str, exam_id: &str, ppe_code: &str, participant_id: &str) -> anyhow::Result<Vec<(SheetKind, u32)>> {
    let have: Vec<(SheetKind, u32)> = store::issued_sheets(tx, exam_id, ppe_code)?
        .into_iter()
        .filter(|s| !s.voided && s.kind != SheetKind::Additional && s.participant_id.as_deref() == Some(participant_id))
        .map(|s| (s.kind, s.number))
        .collect();
    if !have.is_empty() {
        return Ok(have);
    }
    let kit = store::kit_latest(tx, exam_id, participant_id)? + 1;
    let sheets = issue_kit(tx, now, exam_id, ppe_code, participant_id, kit, &exam_kit(tx, exam_id)?)?;
    Ok(sheets.into_iter().map(|s| (s.kind, s.number)).collect())
}

/// The kit of an exam as this box's plan holds it (its `kit` column or the default of its
/// kind and subject): what is issued, printed, replaced and expected in the scans.
pub fn exam_kit(conn: &Connection, exam_id: &str) -> anyhow::Result<Kit> {
    let exam = crate::plan::store::exam_get(conn, exam_id)?.with_context(|| format!("экзамена {exam_id} нет в плане этого ППЭ"))?;
    Ok(kit_of(&exam)?)
}

/// Issues one whole kit (kit number `kit_number`) to a participant with fresh sheet numbers,
/// inside the caller's transaction.
fn issue_kit(
    tx: &Connection,
    now: &str,
    exam_id: &str,
    ppe_code: &str,
    participant_id: &str,
    kit_number: u32,
    kit: &Kit,
) -> anyhow::Result<Vec<IssuedSheet>> {
    let mut next = store::next_sheet_number(tx, exam_id, ppe_code)?;
    let mut out = Vec::new();
    for &kind in kit.sheets() {
        let s = IssuedSheet {
            exam_id: exam_id.into(),
            ppe_code: ppe_code.into(),
            kind,
            number: next,
            participant_id: Some(participant_id.into()),
            kit: kit_number,
            voided: false,
        };
        store::sheet_insert(tx, &s, now)?;
        out.push(s);
        next += 1;
    }
    Ok(out)
}

/// Current state of every participant with events, in one pass.
pub fn states(conn: &Connection, exam_id: &str) -> anyhow::Result<HashMap<String, ParticipantState>> {
    let mut by: HashMap<String, Vec<ExamEvent>> = HashMap::new();
    for e in store::events_for_exam(conn, exam_id)? {
        by.entry(e.participant_id.clone()).or_default().push(e);
    }
    by.into_iter().map(|(p, evs)| Ok((p, super::state_of(&evs)?))).collect()
}

/// The people who sign an act must be the point's own for that day: the ГЭК member of a
/// removal (ППЭ-21) or an early finish (ППЭ-22) a ГЭК member assigned to this exam point on
/// the exam's date, the medical worker of an early finish the point's medical worker that day.
fn check_signatories(conn: &Connection, event: &ExamEvent, ppe_code: &str) -> anyhow::Result<()> {
    use crate::model::WorkerRole;
    if !matches!(event.kind, EventKind::Removed | EventKind::FinishedEarly) {
        return Ok(());
    }
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let exam = plan.exams.iter().find(|e| e.exam_id == event.exam_id).with_context(|| format!("экзамена {} нет в плане", event.exam_id))?;
    require_signatory(&plan, ppe_code, &exam.date, &event.gek_worker_id, WorkerRole::GekMember)?;
    if event.kind == EventKind::FinishedEarly {
        require_signatory(&plan, ppe_code, &exam.date, &event.medical_worker_id, WorkerRole::Medical)?;
    }
    Ok(())
}

/// `worker_id` holds `role` at this exam point on `date` by the plan, or the named refusal.
pub fn require_signatory(
    plan: &crate::model::Plan,
    ppe_code: &str,
    date: &str,
    worker_id: &str,
    role: crate::model::WorkerRole,
) -> anyhow::Result<()> {
    if plan.workers_with_role_at(ppe_code, date, role).iter().any(|w| w.worker_id == worker_id.trim()) {
        return Ok(());
    }
    bail!("«{}» не {} ППЭ {} на {}: документ подписывает назначенный работник", worker_id.trim(), role.title_ru(), ppe_code, date)
}

/// Records one event after checking it against the participant's state; a kit replacement
/// voids the old sheets and issues new numbers. Returns the new sheets, if any.
pub fn record(conn: &mut Connection, now: &str, event: ExamEvent) -> anyhow::Result<Vec<IssuedSheet>> {
    let seats = crate::seating::store::seat_assignments_for_exam(conn, &event.exam_id)?;
    let seat = seats
        .iter()
        .find(|s| s.participant_id == event.participant_id)
        .with_context(|| format!("участник {} не рассажен на экзамен {}", event.participant_id, event.exam_id))?;
    let history: Vec<ExamEvent> =
        store::events_for_exam(conn, &event.exam_id)?.into_iter().filter(|e| e.participant_id == event.participant_id).collect();
    let state = super::state_of(&history)?;
    super::apply(&state, &event)?;
    check_signatories(conn, &event, &seat.ppe_code)?;
    let tx = conn.transaction()?;
    store::event_insert(&tx, &event, now)?;
    let mut new_sheets = Vec::new();
    let mut voided = 0;
    if event.kind == EventKind::KitReplaced {
        voided = store::sheets_void_for_participant(&tx, &event.exam_id, &event.participant_id, now, &event.reason)?;
        let kit = store::kit_latest(&tx, &event.exam_id, &event.participant_id)? + 1;
        // The whole kit of this exam is replaced, whatever sheet was defective.
        new_sheets = issue_kit(&tx, now, &event.exam_id, &seat.ppe_code, &event.participant_id, kit, &exam_kit(&tx, &event.exam_id)?)?;
    }
    audit::store::append(
        &tx,
        now,
        NewEntry {
            actor: &event.actor,
            action: &format!("attendance.{}", event.kind.code()),
            object: &event.participant_id,
            details: serde_json::json!({
                "exam_id": event.exam_id, "at": event.at, "reason": event.reason, "gek_worker_id": event.gek_worker_id,
                "medical_worker_id": event.medical_worker_id,
                "voided_sheets": voided, "new_sheets": new_sheets.iter().map(|s| s.number).collect::<Vec<_>>(),
            }),
        },
    )?;
    tx.commit()?;
    Ok(new_sheets)
}

/// Issues an additional answer sheet (дополнительный бланк) to a present participant.
pub fn issue_additional(conn: &mut Connection, now: &str, actor: &str, exam_id: &str, participant_id: &str) -> anyhow::Result<IssuedSheet> {
    let st = states(conn, exam_id)?.remove(participant_id).unwrap_or_default();
    if st.status != super::Status::Present {
        bail!("участник {participant_id}: дополнительный бланк выдаётся только присутствующему");
    }
    let seats = crate::seating::store::seat_assignments_for_exam(conn, exam_id)?;
    let seat = seats.iter().find(|s| s.participant_id == participant_id).with_context(|| format!("участник {participant_id} не рассажен"))?;
    let kit = exam_kit(conn, exam_id)?;
    if !kit.allows_additional() {
        bail!(
            "участник {participant_id}: в комплекте экзамена {exam_id} ({}) нет бланка ответов № 2, дополнительный бланк ответов № 2 не выдаётся",
            kit.title_ru()
        );
    }
    let tx = conn.transaction()?;
    let kit = store::kit_latest(&tx, exam_id, participant_id)?.max(1);
    let s = IssuedSheet {
        exam_id: exam_id.into(),
        ppe_code: seat.ppe_code.clone(),
        kind: SheetKind::Additional,
        number: store::next_sheet_number(&tx, exam_id, &seat.ppe_code)?,
        participant_id: Some(participant_id.into()),
        kit,
        voided: false,
    };
    store::sheet_insert(&tx, &s, now)?;
    audit::store::append(
        &tx,
        now,
        NewEntry {
            actor,
            action: "attendance.additional_sheet",
            object: participant_id,
            details: serde_json::json!({"exam_id": exam_id, "number": s.number}),
        },
    )?;
    tx.commit()?;
    Ok(s)
}

/// What scanning must find: every valid sheet of every participant who sat the exam.
pub fn expected_sheets(conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<ExpectedSheets> {
    let states = states(conn, exam_id)?;
    let mut by: std::collections::BTreeMap<String, Vec<super::expected::IssuedSheet>> = std::collections::BTreeMap::new();
    let mut statements = Vec::new();
    for s in store::issued_sheets(conn, exam_id, ppe_code)?.into_iter().filter(|s| !s.voided) {
        match &s.participant_id {
            Some(p) => by.entry(p.clone()).or_default().push(super::expected::IssuedSheet { kind: s.kind, number: s.number }),
            None => statements.push(s.number),
        }
    }
    // Every form printed with codes is scanned with the sheets; printing records which numbers
    // its pages took, the exam's table which of them are required.
    let mut forms = store::printed_forms(conn, exam_id, ppe_code)?;
    let unprinted_forms = match crate::plan::store::exam_get(conn, exam_id)? {
        Some(exam) => {
            let mut rooms: Vec<String> = crate::seating::store::seat_assignments_for_exam(conn, exam_id)?
                .into_iter()
                .filter(|s| s.ppe_code == ppe_code)
                .map(|s| s.auditorium)
                .collect();
            rooms.sort();
            rooms.dedup();
            let observer = crate::plan::store::observers_at(conn, ppe_code, &exam.date)? > 0;
            super::expected::judge_forms(&super::expected::required_forms(&exam), &mut forms, &rooms, observer)
        }
        None => Vec::new(),
    };
    let mut optional = Vec::new();
    for f in &forms {
        if f.required {
            statements.extend(&f.numbers)
        } else {
            optional.extend(&f.numbers)
        }
    }
    statements.sort_unstable();
    statements.dedup();
    optional.sort_unstable();
    Ok(ExpectedSheets {
        exam_id: exam_id.into(),
        ppe_code: ppe_code.into(),
        participants: by
            .into_iter()
            .map(|(participant_id, sheets)| {
                let present = states.get(&participant_id).is_some_and(|s| s.status.sat());
                ExpectedParticipant { participant_id, present, sheets }
            })
            .collect(),
        required_statements: statements,
        optional_statements: optional,
        forms,
        unprinted_forms,
    })
}
