//! SQL of printing: print jobs with their CUPS state and the human confirmation, and the
//! sheet numbers given to each participant's kit (so a reprint carries the same codes).

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::JobState;
use crate::sheet_code::SheetKind;

#[derive(Debug, Clone, PartialEq)]
pub struct PrintJobRow {
    pub print_job_id: i64,
    pub exam_id: String,
    pub document: String,
    pub form: String,
    pub auditorium: Option<String>,
    pub pages: u32,
    pub sha256: String,
    pub printer: String,
    pub cups_job_id: Option<i64>,
    pub state: JobState,
    pub impressions: u32,
    pub created_at: String,
    pub updated_at: String,
    pub reprint_of: Option<i64>,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<String>,
}

const COLUMNS: &str = "print_job_id, exam_id, document, form, auditorium, pages, sha256, printer, cups_job_id, state, impressions, created_at, updated_at, reprint_of, confirmed_by, confirmed_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PrintJobRow> {
    let state: String = r.get(9)?;
    Ok(PrintJobRow {
        print_job_id: r.get(0)?,
        exam_id: r.get(1)?,
        document: r.get(2)?,
        form: r.get(3)?,
        auditorium: r.get(4)?,
        pages: r.get(5)?,
        sha256: r.get(6)?,
        printer: r.get(7)?,
        cups_job_id: r.get(8)?,
        state: JobState::parse(&state).ok_or_else(|| rusqlite::Error::InvalidColumnType(9, state.clone(), rusqlite::types::Type::Text))?,
        impressions: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        reprint_of: r.get(13)?,
        confirmed_by: r.get(14)?,
        confirmed_at: r.get(15)?,
    })
}

pub struct NewPrintJob<'a> {
    pub exam_id: &'a str,
    pub document: &'a str,
    pub form: &'a str,
    pub auditorium: Option<&'a str>,
    pub pages: u32,
    pub sha256: &'a str,
    pub printer: &'a str,
    pub cups_job_id: Option<i64>,
    pub state: JobState,
    pub reprint_of: Option<i64>,
}

pub fn print_job_insert(tx: &Transaction<'_>, job: &NewPrintJob<'_>, now: &str) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO print_job (exam_id, document, form, auditorium, pages, sha256, printer, cups_job_id, state, impressions, created_at, updated_at, reprint_of)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?10, ?11)",
        params![job.exam_id, job.document, job.form, job.auditorium, job.pages, job.sha256, job.printer, job.cups_job_id, job.state.code(), now, job.reprint_of],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn print_job_get(conn: &Connection, print_job_id: i64) -> rusqlite::Result<Option<PrintJobRow>> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM print_job WHERE print_job_id = ?1"), [print_job_id], from_row).optional()
}

pub fn print_jobs_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<PrintJobRow>> {
    let mut st = conn.prepare(&format!("SELECT {COLUMNS} FROM print_job WHERE exam_id = ?1 ORDER BY print_job_id"))?;
    let rows = st.query_map([exam_id], from_row)?;
    rows.collect()
}

pub fn print_job_update_state(tx: &Transaction<'_>, print_job_id: i64, state: JobState, impressions: u32, now: &str) -> rusqlite::Result<usize> {
    tx.execute(
        "UPDATE print_job SET state = ?2, impressions = ?3, updated_at = ?4 WHERE print_job_id = ?1",
        params![print_job_id, state.code(), impressions, now],
    )
}

/// The CUPS number of a job recorded before CUPS took it.
pub fn print_job_set_cups_id(tx: &Transaction<'_>, print_job_id: i64, cups_job_id: i64, now: &str) -> rusqlite::Result<usize> {
    tx.execute("UPDATE print_job SET cups_job_id = ?2, updated_at = ?3 WHERE print_job_id = ?1", params![print_job_id, cups_job_id, now])
}

pub fn print_job_confirm(tx: &Transaction<'_>, print_job_id: i64, confirmed_by: &str, now: &str) -> rusqlite::Result<usize> {
    tx.execute(
        "UPDATE print_job SET state = 'confirmed', confirmed_by = ?2, confirmed_at = ?3, updated_at = ?3 WHERE print_job_id = ?1",
        params![print_job_id, confirmed_by, now],
    )
}

/// The sheet numbers of a participant's kit, in order, if already given.
pub fn kit_sheets_get(conn: &Connection, exam_id: &str, participant_id: &str) -> rusqlite::Result<Vec<(SheetKind, u32)>> {
    let mut st = conn.prepare("SELECT kind, number FROM kit_sheet WHERE exam_id = ?1 AND participant_id = ?2 ORDER BY position")?;
    let rows = st.query_map(params![exam_id, participant_id], |r| {
        let kind: String = r.get(0)?;
        let number: u32 = r.get(1)?;
        Ok((kind, number))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (kind, number) = row?;
        let kind = SheetKind::parse(&kind).ok_or_else(|| rusqlite::Error::InvalidColumnType(0, kind.clone(), rusqlite::types::Type::Text))?;
        out.push((kind, number));
    }
    Ok(out)
}

/// Reserves `count` consecutive sheet numbers of an exam point for an exam; returns the first.
pub fn sheet_numbers_reserve(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, count: u32) -> rusqlite::Result<u32> {
    let next: Option<u32> = tx
        .query_row("SELECT next_number FROM sheet_counter WHERE exam_id = ?1 AND ppe_code = ?2", params![exam_id, ppe_code], |r| r.get(0))
        .optional()?;
    let first = next.unwrap_or(1);
    tx.execute(
        "INSERT INTO sheet_counter (exam_id, ppe_code, next_number) VALUES (?1, ?2, ?3)
         ON CONFLICT (exam_id, ppe_code) DO UPDATE SET next_number = excluded.next_number",
        params![exam_id, ppe_code, first + count],
    )?;
    Ok(first)
}

pub fn kit_sheets_insert(tx: &Transaction<'_>, exam_id: &str, participant_id: &str, sheets: &[(SheetKind, u32)]) -> rusqlite::Result<()> {
    let mut st = tx.prepare("INSERT INTO kit_sheet (exam_id, participant_id, position, kind, number) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for (position, (kind, number)) in sheets.iter().enumerate() {
        st.execute(params![exam_id, participant_id, position as i64, kind.code(), number])?;
    }
    Ok(())
}
