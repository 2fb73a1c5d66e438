//! SQL of the roster: the posts of an exam and the replacement record (ППЭ-19).

use rusqlite::{params, Connection, Transaction};

use super::{Post, Replacement, RosterEntry};

fn post_json(p: &Post) -> rusqlite::Result<String> {
    serde_json::to_string(p).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Replaces the roster of an exam at an exam point.
pub fn roster_replace(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, entries: &[RosterEntry]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM roster_entry WHERE exam_id = ?1 AND ppe_code = ?2", params![exam_id, ppe_code])?;
    let mut st = tx.prepare("INSERT INTO roster_entry (exam_id, ppe_code, worker_id, post) VALUES (?1, ?2, ?3, ?4)")?;
    for e in entries {
        st.execute(params![exam_id, ppe_code, e.worker_id, post_json(&e.post)?])?;
    }
    Ok(())
}

pub fn roster_get(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<RosterEntry>> {
    let mut st = conn.prepare("SELECT worker_id, post FROM roster_entry WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY post, worker_id")?;
    let rows = st.query_map(params![exam_id, ppe_code], |r| {
        let post: String = r.get(1)?;
        Ok(RosterEntry {
            worker_id: r.get(0)?,
            post: serde_json::from_str(&post).map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?,
        })
    })?;
    rows.collect()
}

pub fn replacement_insert(tx: &Transaction<'_>, ppe_code: &str, r: &Replacement) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO worker_replacement (exam_id, ppe_code, post, absent_worker_id, replacement_worker_id, reason, at, decided_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![r.exam_id, ppe_code, post_json(&r.post)?, r.absent_worker_id, r.replacement_worker_id, r.reason, r.at, r.decided_by],
    )?;
    Ok(())
}

/// The replacement record of an exam (form ППЭ-19).
pub fn replacements(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<Replacement>> {
    let mut st = conn.prepare("SELECT exam_id, post, absent_worker_id, replacement_worker_id, reason, at, decided_by FROM worker_replacement WHERE exam_id = ?1 ORDER BY id")?;
    let rows = st.query_map([exam_id], |r| {
        let post: String = r.get(1)?;
        Ok(Replacement {
            exam_id: r.get(0)?,
            post: serde_json::from_str(&post).map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?,
            absent_worker_id: r.get(2)?,
            replacement_worker_id: r.get(3)?,
            reason: r.get(4)?,
            at: r.get(5)?,
            decided_by: r.get(6)?,
        })
    })?;
    rows.collect()
}
