//! SQL of the staff room desk: materials issued to and returned from auditoriums.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Direction, Movement};
use crate::sheet_code::{SheetId, SheetKind};

/// The auditorium a sheet was issued to / returned from, if it was.
pub fn movement_auditorium(conn: &Connection, sheet: &SheetId, direction: Direction) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT auditorium FROM materials_movement
         WHERE exam_id = ?1 AND ppe_code = ?2 AND sheet_kind = ?3 AND sheet_number = ?4 AND direction = ?5",
        params![sheet.exam_id, sheet.ppe_code, sheet.kind.code(), sheet.number, direction.code()],
        |r| r.get(0),
    )
    .optional()
}

pub fn insert_movement(conn: &Connection, m: &Movement) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO materials_movement (exam_id, ppe_code, auditorium, direction, sheet_kind, sheet_number, code, at, actor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![m.exam_id, m.ppe_code, m.auditorium, m.direction.code(), m.sheet.kind.code(), m.sheet.number, m.code, m.at, m.actor],
    )?;
    Ok(())
}

/// Every issue and return of an exam, in the order scanned.
pub fn movements_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<Movement>> {
    let mut st = conn.prepare(
        "SELECT exam_id, ppe_code, auditorium, direction, sheet_kind, sheet_number, code, at, actor
         FROM materials_movement WHERE exam_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([exam_id], |r| {
        let bad = |col: usize, text: String| rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, format!("unknown code {text:?}").into());
        let direction: String = r.get(3)?;
        let kind: String = r.get(4)?;
        Ok(Movement {
            exam_id: r.get(0)?,
            ppe_code: r.get(1)?,
            auditorium: r.get(2)?,
            direction: Direction::parse(&direction).ok_or_else(|| bad(3, direction.clone()))?,
            sheet: SheetId {
                exam_id: r.get(0)?,
                ppe_code: r.get(1)?,
                kind: SheetKind::parse(&kind).ok_or_else(|| bad(4, kind.clone()))?,
                number: r.get(5)?,
            },
            code: r.get(6)?,
            at: r.get(7)?,
            actor: r.get(8)?,
        })
    })?;
    rows.collect()
}

/// Per auditorium: how many sheets were issued and how many returned (the desk's summary).
pub fn movement_counts(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<(String, u32, u32)>> {
    let mut st = conn.prepare(
        "SELECT auditorium, SUM(direction = 'issue'), SUM(direction = 'return')
         FROM materials_movement WHERE exam_id = ?1 GROUP BY auditorium ORDER BY auditorium",
    )?;
    let rows = st.query_map([exam_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}
