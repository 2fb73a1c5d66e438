//! The day's data the forms are filled from, read from the box's stores (attendance, roster,
//! the staff room desk), and the machine-read statements' structured records made from it for
//! the upload bundle: the pure [`inputs::statement_records`](super::inputs::statement_records)
//! over what the stores hold now — no PDF is rendered, nothing is handed over through the disk.

use std::collections::HashMap;

use anyhow::Context;

use super::inputs::{sheet_needs, DayRecord, StatementRecord};
use super::store as print_store;
use super::PrintWhat;
use crate::model::{ExamId, PpeCode};
use crate::store::Connection;

/// The day as this box's stores hold it: attendance events and issued sheets, the roster's
/// replacements, the staff room desk's movements.
pub fn load_day(conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<DayRecord> {
    Ok(DayRecord {
        events: crate::attendance::store::events_for_exam(conn, exam_id).context("load attendance events")?,
        issued: crate::attendance::store::issued_sheets(conn, exam_id, ppe_code).context("load issued sheets")?,
        replacements: crate::roster::store::replacements(conn, exam_id).context("load worker replacements")?,
        movements: crate::serial::store::movements_for_exam(conn, exam_id)
            .context("load materials movements")?
            .into_iter()
            .filter(|m| m.ppe_code == ppe_code)
            .collect(),
        variants: crate::seating::variants::store::variants_for_exam(conn, exam_id, ppe_code)
            .context("load variants")?
            .into_iter()
            .map(|v| (v.participant_id, v.variant))
            .collect(),
    })
}

/// The structured records of the machine-read statements (ППЭ-12-04-МАШ per auditorium,
/// ППЭ-13-02-МАШ, ППЭ-18-МАШ) filled from the stores as they are now, so the upload carries
/// the day's data even when the statements were printed blank before the exam. Empty until
/// every statement of the exam point has its sheet numbers (they are printed).
pub fn statement_records(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode) -> anyhow::Result<Vec<StatementRecord>> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let Some(exam) = plan.exams.iter().find(|e| e.exam_id == exam_id.as_str()).cloned() else { return Ok(Vec::new()) };
    let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, exam_id)
        .context("load seating")?
        .into_iter()
        .filter(|s| s.ppe_code == ppe_code.as_str())
        .collect();
    let mut numbers: HashMap<String, Vec<u32>> = HashMap::new();
    // Statements only: the kit does not change which statements there are.
    let kit = crate::model::kit::kit_of(&exam)?;
    // The machine-read forms' numbers only: the records name their first sheets.
    for (holder, _) in sheet_needs(&kit, &seats, PrintWhat::Statements, None).into_iter().filter(|(h, _)| h.ends_with("-МАШ") || h.contains("-МАШ:"))
    {
        let have = print_store::kit_sheets_get(conn, exam_id, &holder).context("load sheet numbers")?;
        if have.is_empty() {
            return Ok(Vec::new());
        }
        numbers.insert(holder, have.into_iter().map(|(_, n)| n).collect());
    }
    let day = load_day(conn, exam_id, ppe_code)?;
    Ok(super::inputs::statement_records(&plan, &exam, ppe_code, &seats, &numbers, &day)?)
}
