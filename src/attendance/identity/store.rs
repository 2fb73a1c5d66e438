//! SQL of identity confirmations (ППЭ-20).

use rusqlite::{params, Connection};

use super::IdentityConfirmation;

pub fn confirmation_insert(conn: &Connection, c: &IdentityConfirmation, recorded_at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO identity_confirmation (exam_id, ppe_code, participant_id, escort_name, escort_document, gek_worker_id, at, actor, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![c.exam_id, c.ppe_code, c.participant_id, c.escort_name, c.escort_document, c.gek_worker_id, c.at, c.actor, recorded_at],
    )?;
    Ok(())
}

/// Every confirmation of an exam at an exam point, in the order recorded.
pub fn confirmations_for_exam(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<IdentityConfirmation>> {
    let mut st = conn.prepare(
        "SELECT exam_id, ppe_code, participant_id, escort_name, escort_document, gek_worker_id, at, actor
         FROM identity_confirmation WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY recorded_at, participant_id",
    )?;
    let rows = st.query_map(params![exam_id, ppe_code], |r| {
        Ok(IdentityConfirmation {
            exam_id: r.get(0)?,
            ppe_code: r.get(1)?,
            participant_id: r.get(2)?,
            escort_name: r.get(3)?,
            escort_document: r.get(4)?,
            gek_worker_id: r.get(5)?,
            at: r.get(6)?,
            actor: r.get(7)?,
        })
    })?;
    rows.collect()
}
