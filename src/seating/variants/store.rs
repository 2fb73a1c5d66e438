//! SQL of the variant plan: the КИМ variant of each seated participant, the seat and seed it
//! was drawn for, and when that participant's КИМ was printed.

use rusqlite::{params, Connection, Transaction};

/// One participant's variant as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VariantRow {
    pub participant_id: String,
    pub auditorium: String,
    pub row: u16,
    pub column: u16,
    pub variant: u16,
    pub seed: u64,
    pub kim_printed_at: Option<String>,
}

/// Every variant of an exam at an exam point, in auditorium and seat order.
pub fn variants_for_exam(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<VariantRow>> {
    let mut st = conn.prepare(
        "SELECT participant_id, auditorium, row, col, variant, seed, kim_printed_at FROM variant_assignment
         WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY auditorium, row, col, participant_id",
    )?;
    let rows = st.query_map(params![exam_id, ppe_code], |r| {
        Ok(VariantRow {
            participant_id: r.get(0)?,
            auditorium: r.get(1)?,
            row: r.get(2)?,
            column: r.get(3)?,
            variant: r.get(4)?,
            seed: r.get::<_, i64>(5)? as u64,
            kim_printed_at: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// Writes one participant's variant for their current seat (the printed mark is kept).
pub fn variant_upsert(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, v: &VariantRow, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO variant_assignment (exam_id, participant_id, ppe_code, auditorium, row, col, variant, seed, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(exam_id, participant_id) DO UPDATE SET ppe_code=excluded.ppe_code, auditorium=excluded.auditorium, row=excluded.row, col=excluded.col,
         variant=excluded.variant, seed=excluded.seed, at=excluded.at",
        params![exam_id, v.participant_id, ppe_code, v.auditorium, v.row, v.column, v.variant, v.seed as i64, at],
    )?;
    Ok(())
}

/// Removes the variant of a participant no longer seated at this exam point (never one whose
/// КИМ was printed: that copy exists).
pub fn variant_delete_unprinted(tx: &Transaction<'_>, exam_id: &str, participant_id: &str) -> rusqlite::Result<usize> {
    tx.execute(
        "DELETE FROM variant_assignment WHERE exam_id = ?1 AND participant_id = ?2 AND kim_printed_at IS NULL",
        params![exam_id, participant_id],
    )
}

/// Marks the КИМ of these participants as printed.
pub fn kim_printed_mark(tx: &Transaction<'_>, exam_id: &str, participant_ids: &[String], at: &str) -> rusqlite::Result<()> {
    let mut st =
        tx.prepare("UPDATE variant_assignment SET kim_printed_at = ?3 WHERE exam_id = ?1 AND participant_id = ?2 AND kim_printed_at IS NULL")?;
    for p in participant_ids {
        st.execute(params![exam_id, p, at])?;
    }
    Ok(())
}
