//! SQL of the marks read back from machine-read forms: the fields of each scanned page, a
//! person's decisions, and which printed form a sheet number belongs to.

use rusqlite::{params, Connection, OptionalExtension};

/// One field of one scanned page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MarkFieldRow {
    pub page_id: String,
    pub exam_id: String,
    pub form: String,
    pub holder: String,
    pub sheet_number: u32,
    pub page_index: u32,
    pub field: String,
    pub label: String,
    pub kind: String,
    pub value: Option<String>,
    pub state: String,
    pub reason: String,
    pub resolved_value: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
}

const COLUMNS: &str =
    "page_id, exam_id, form, holder, sheet_number, page_index, field, label, kind, value, state, reason, resolved_value, resolved_by, resolved_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MarkFieldRow> {
    Ok(MarkFieldRow {
        page_id: r.get(0)?,
        exam_id: r.get(1)?,
        form: r.get(2)?,
        holder: r.get(3)?,
        sheet_number: r.get(4)?,
        page_index: r.get(5)?,
        field: r.get(6)?,
        label: r.get(7)?,
        kind: r.get(8)?,
        value: r.get(9)?,
        state: r.get(10)?,
        reason: r.get(11)?,
        resolved_value: r.get(12)?,
        resolved_by: r.get(13)?,
        resolved_at: r.get(14)?,
    })
}

pub fn field_insert(conn: &Connection, f: &MarkFieldRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO mark_field ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"),
        params![
            f.page_id,
            f.exam_id,
            f.form,
            f.holder,
            f.sheet_number,
            f.page_index,
            f.field,
            f.label,
            f.kind,
            f.value,
            f.state,
            f.reason,
            f.resolved_value,
            f.resolved_by,
            f.resolved_at
        ],
    )?;
    Ok(())
}

/// Every field read for an exam, by form, holder, page and field order of reading.
pub fn fields_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<MarkFieldRow>> {
    let mut st =
        conn.prepare(&format!("SELECT {COLUMNS} FROM mark_field WHERE exam_id = ?1 ORDER BY form, holder, page_index, sheet_number, rowid"))?;
    let rows = st.query_map([exam_id], from_row)?;
    rows.collect()
}

pub fn field_get(conn: &Connection, page_id: &str, field: &str) -> rusqlite::Result<Option<MarkFieldRow>> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM mark_field WHERE page_id = ?1 AND field = ?2"), params![page_id, field], from_row).optional()
}

/// A person's value for a field.
pub fn field_resolve(conn: &Connection, page_id: &str, field: &str, value: &str, by: &str, at: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE mark_field SET resolved_value = ?3, resolved_by = ?4, resolved_at = ?5 WHERE page_id = ?1 AND field = ?2",
        params![page_id, field, value, by, at],
    )? > 0)
}

/// Pages of an exam with a flagged field no person has decided yet.
pub fn pages_waiting(conn: &Connection, exam_id: &str) -> rusqlite::Result<u64> {
    conn.query_row(
        "SELECT COUNT(DISTINCT page_id) FROM mark_field WHERE exam_id = ?1 AND state IN ('ambiguous', 'disagrees') AND resolved_at IS NULL",
        [exam_id],
        |r| r.get::<_, i64>(0).map(|n| n as u64),
    )
}

/// The printed form a statement sheet number belongs to: (holder, form, page index), the page
/// index counted from the form's first number in the print that gave this one.
pub fn statement_form_of(conn: &Connection, exam_id: &str, ppe_code: &str, number: u32) -> rusqlite::Result<Option<(String, String, u32)>> {
    conn.query_row(
        "SELECT s.holder, s.form, ?3 - (SELECT MIN(f.number) FROM statement_sheet f WHERE f.exam_id = s.exam_id AND f.ppe_code = s.ppe_code AND f.holder = s.holder)
           FROM statement_sheet s WHERE s.exam_id = ?1 AND s.ppe_code = ?2 AND s.number = ?3",
        params![exam_id, ppe_code, number],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}
