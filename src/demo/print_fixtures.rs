//! Sample exam days for `docs/forms/`, benchmarks and tests: a simple seating, sheet numbers
//! given out without a database, a day with every kind of event, and a complete set of forms
//! from a generated region. Production code never uses these (they were in
//! `printing/inputs.rs`).

use std::collections::HashMap;

use ring::hmac;

use crate::attendance::{EventKind, ExamEvent, IssuedSheet};
use crate::model::kit::kit_of;
use crate::model::{Exam, Plan, SeatAssignment, WorkerRole};
use crate::printing::inputs::{act_needs, sheet_needs, DayRecord, PrintContext, PrintSet};
use crate::printing::{PrintWhat, PrintingError};
use crate::roster::Replacement;
use crate::serial::{Direction, Movement};
use crate::sheet_code::{SheetId, SheetKind};

/// A simple seating for demos, benchmarks and tests (row by row, auditorium by auditorium);
/// the real algorithm is `seating`'s.
pub fn demo_seating(plan: &Plan, exam_id: &str, ppe_code: &str) -> Vec<SeatAssignment> {
    let mut participants: Vec<&str> =
        plan.registrations.iter().filter(|r| r.exam_id == exam_id && r.ppe_code == ppe_code).map(|r| r.participant_id.as_str()).collect();
    participants.sort();
    let mut seats = Vec::new();
    let mut next = participants.into_iter();
    'outer: for a in plan.auditoriums.iter().filter(|a| a.ppe_code == ppe_code && !a.reserve) {
        for row in 1..=a.rows {
            for column in 1..=a.columns {
                let Some(pid) = next.next() else { break 'outer };
                seats.push(SeatAssignment {
                    exam_id: exam_id.into(),
                    participant_id: pid.into(),
                    ppe_code: ppe_code.into(),
                    auditorium: a.auditorium.clone(),
                    row,
                    column,
                    manual: false,
                });
            }
        }
    }
    seats
}

/// Sheet numbers for a demo or benchmark, given out in order without a database.
pub fn demo_numbers(needs: &[(String, Vec<SheetKind>)]) -> HashMap<String, Vec<u32>> {
    let mut next = 1u32;
    needs
        .iter()
        .map(|(holder, kinds)| {
            let numbers = (next..next + kinds.len() as u32).collect();
            next += kinds.len() as u32;
            (holder.clone(), numbers)
        })
        .collect()
}

/// A sample exam day over a seating for demos and `docs/forms/`: kits issued in `numbers`,
/// attendance with a late arrival, an absence, a leave and return, a kit replacement, a
/// removal and an early finish, one worker replacement and the desk's issue and return.
pub fn demo_day(plan: &Plan, exam: &Exam, seats: &[SeatAssignment], numbers: &HashMap<String, Vec<u32>>) -> DayRecord {
    let mut day = DayRecord::default();
    // Two КИМ variants, drawn as the box draws them (neighbours never share one).
    day.variants = crate::seating::variants::assign(seats, &[1, 2], 1, &Default::default()).map(|p| p.by_participant).unwrap_or_default();
    let Some(start) = exam.start_utc() else { return day };
    let at = |minutes: i64| (start + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let gek = plan
        .workers
        .iter()
        .find(|w| w.roles.contains(&WorkerRole::GekMember))
        .or(plan.workers.first())
        .map(|w| w.worker_id.clone())
        .unwrap_or_default();
    let medical = plan.workers.iter().find(|w| w.roles.contains(&WorkerRole::Medical)).map(|w| w.worker_id.clone()).unwrap_or_else(|| gek.clone());
    let mut next_number = numbers.values().flatten().copied().max().unwrap_or(0) + 1;
    let kinds = kit_of(exam).map(|k| k.sheets().to_vec()).unwrap_or_default();
    for (i, s) in seats.iter().enumerate() {
        let given = numbers.get(&s.participant_id).cloned().unwrap_or_default();
        for (kind, number) in kinds.iter().zip(&given) {
            day.issued.push(IssuedSheet {
                exam_id: exam.exam_id.clone(),
                ppe_code: s.ppe_code.clone(),
                kind: *kind,
                number: *number,
                participant_id: Some(s.participant_id.clone()),
                kit: 1,
                voided: i == 3,
            });
        }
        let event = |kind: EventKind, minutes, reason: &str, gek: &str| ExamEvent {
            medical_worker_id: if kind == EventKind::FinishedEarly { medical.clone() } else { String::new() },
            exam_id: exam.exam_id.clone(),
            participant_id: s.participant_id.clone(),
            kind,
            at: at(minutes),
            reason: reason.into(),
            gek_worker_id: gek.into(),
            actor: "organizer".into(),
        };
        match i {
            4 => day.events.push(event(EventKind::Late, 12, "", "")),
            5 => day.events.push(event(EventKind::Absent, 0, "", "")),
            _ => day.events.push(event(EventKind::Present, 0, "", "")),
        }
        match i {
            0 => day.events.push(event(
                EventKind::FinishedEarly,
                135,
                "Ухудшение самочувствия; осмотр медицинского работника, участник не может продолжить экзамен.",
                &gek,
            )),
            1 => day.events.push(event(
                EventKind::Removed,
                102,
                "Использование мобильного телефона во время экзамена (зафиксировано организатором в аудитории).",
                &gek,
            )),
            2 => {
                day.events.push(event(EventKind::Left, 60, "туалет", ""));
                day.events.push(event(EventKind::Returned, 66, "", ""));
            }
            3 => {
                day.events.push(event(EventKind::KitReplaced, 20, "типографский брак бланка ответов № 1", ""));
                for &kind in &kinds {
                    day.issued.push(IssuedSheet {
                        exam_id: exam.exam_id.clone(),
                        ppe_code: s.ppe_code.clone(),
                        kind,
                        number: next_number,
                        participant_id: Some(s.participant_id.clone()),
                        kit: 2,
                        voided: false,
                    });
                    next_number += 1;
                }
            }
            _ => {}
        }
        for (direction, minutes) in [(Direction::Issue, -20), (Direction::Return, 240)] {
            if let Some(first) = given.first() {
                let sheet = SheetId { exam_id: exam.exam_id.clone(), ppe_code: s.ppe_code.clone(), kind: SheetKind::Registration, number: *first };
                day.movements.push(Movement {
                    exam_id: exam.exam_id.clone(),
                    ppe_code: s.ppe_code.clone(),
                    auditorium: s.auditorium.clone(),
                    direction,
                    sheet,
                    code: String::new(),
                    at: at(minutes),
                    actor: "tech".into(),
                });
            }
        }
    }
    if let [absent, replacement, ..] = plan.workers.as_slice() {
        day.replacements.push(Replacement {
            exam_id: exam.exam_id.clone(),
            post: crate::roster::Post::InRoom { auditorium: seats.first().map(|s| s.auditorium.clone()).unwrap_or_default(), responsible: false },
            absent_worker_id: absent.worker_id.clone(),
            replacement_worker_id: replacement.worker_id.clone(),
            reason: "болезнь".into(),
            at: at(-65),
            decided_by: "head".into(),
        });
    }
    day
}

/// A demo exam point's complete set (every form, filled from [`demo_day`]) from a generated
/// region: for `docs/forms/`, benchmarks and tests.
pub fn demo_set(participants: usize, key: &hmac::Key) -> Result<(PrintSet, Vec<SeatAssignment>, String), PrintingError> {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants, ..Default::default() });
    let exam = plan
        .exams
        .iter()
        .find(|e| e.exam_id == "ege-02")
        .or(plan.exams.first())
        .cloned()
        .ok_or_else(|| PrintingError::NothingToPrint("демо-план без экзаменов".into()))?;
    let ppe_code = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).map(|r| r.ppe_code.clone()).unwrap_or_default();
    let seats = demo_seating(&plan, &exam.exam_id, &ppe_code);
    let mut needs = sheet_needs(exam.technology(), &kit_of(&exam)?, &seats, PrintWhat::All, None);
    let numbers = demo_numbers(&needs);
    let day = demo_day(&plan, &exam, &seats, &numbers);
    // The acts of the day's events get their numbers after the others.
    needs.extend(act_needs(&day, &seats, None, None));
    let numbers = demo_numbers(&needs);
    let context = PrintContext { plan: &plan, exam: &exam, ppe_code: &ppe_code, seats: &seats, numbers: &numbers, key, day: &day };
    let mut set = context.build(PrintWhat::All, None)?;
    // One sample of each act under a stable name for docs/forms.
    for doc in &mut set.documents {
        for form in ["ppe-21", "ppe-22"] {
            if doc.file_name.starts_with(&format!("{form}-")) {
                doc.file_name = format!("{form}.pdf");
            }
        }
    }
    Ok((set, seats, ppe_code))
}
