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
        roster: crate::roster::store::roster_get(conn, exam_id, ppe_code).context("load roster")?,
        appeals: crate::appeals::store::appeals_for_exam(conn, exam_id, ppe_code).context("load appeals")?,
        materials: materials_received(conn, exam_id)?,
        oral: super::inputs::OralDay::load(conn, exam_id, ppe_code)?,
        identities: crate::attendance::identity::store::confirmations_for_exam(conn, exam_id, ppe_code).context("load identity confirmations")?,
        kege: super::inputs::KegeDay::load(conn, exam_id)?,
    })
}

/// The exam's package as accepted (its files and КИМ variants) and who activated its key when.
fn materials_received(conn: &Connection, exam_id: &str) -> anyhow::Result<Option<super::inputs::MaterialsReceived>> {
    let Some((_, json)) = crate::materials::store::manifest_get(conn, exam_id).context("load manifest")? else { return Ok(None) };
    let manifest = match serde_json::from_str::<crate::materials::SignedManifest>(&json) {
        Ok(signed) => signed.manifest,
        Err(_) => serde_json::from_str::<crate::materials::Manifest>(&json).context("read manifest")?,
    };
    let (activated_by, activated_at) =
        crate::materials::store::activation_of(conn, exam_id, &manifest.package_id).context("load activation")?.unwrap_or_default();
    let mut variants: Vec<u16> = manifest.files.iter().filter(|f| f.role == "kim").map(|f| f.variant.unwrap_or(1)).collect();
    variants.sort_unstable();
    variants.dedup();
    Ok(Some(super::inputs::MaterialsReceived {
        package_id: manifest.package_id.clone(),
        files: manifest.files.len(),
        kim_variants: variants.len(),
        activated_by,
        activated_at,
    }))
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
    for (holder, _) in sheet_needs(exam.technology(), &kit, &seats, PrintWhat::Statements, None)
        .into_iter()
        .filter(|(h, _)| h.ends_with("-МАШ") || h.contains("-МАШ:"))
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

/// The box's own record of one auditorium's absences as it is now (ППЭ-12-04-МАШ's rows):
/// what the marks read back from the form's scan are checked against.
pub fn absence_rows_now(conn: &Connection, exam_id: &str, ppe_code: &str, auditorium: &str) -> anyhow::Result<Vec<super::forms::AbsenceRow>> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let Some(exam) = plan.exams.iter().find(|e| e.exam_id == exam_id) else { return Ok(Vec::new()) };
    let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, exam_id)
        .context("load seating")?
        .into_iter()
        .filter(|s| s.ppe_code == ppe_code)
        .collect();
    let day = load_day(conn, exam_id, ppe_code)?;
    let key = crate::sheet_code::sheet_key(b"");
    let numbers = HashMap::new();
    let context = super::inputs::PrintContext { plan: &plan, exam, ppe_code, seats: &seats, numbers: &numbers, key: &key, day: &day };
    Ok(context.absence_rows(auditorium))
}
