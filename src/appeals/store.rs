//! SQL of appeals about the procedure and their reviews.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Appeal, Review};

pub struct NewAppeal<'a> {
    pub exam_id: &'a str,
    pub ppe_code: &'a str,
    pub participant_id: &'a str,
    pub filed_at: &'a str,
    pub text: &'a str,
    pub gek_worker_id: &'a str,
    pub actor: &'a str,
}

pub fn appeal_insert(conn: &Connection, a: &NewAppeal<'_>) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO appeal (exam_id, ppe_code, participant_id, filed_at, text, gek_worker_id, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![a.exam_id, a.ppe_code, a.participant_id, a.filed_at, a.text, a.gek_worker_id, a.actor],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn review_set(conn: &Connection, appeal_id: i64, r: &Review) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE appeal SET reviewed_at = ?2, review_gek_worker_id = ?3, review_findings = ?4, review_upheld = ?5, review_actor = ?6
         WHERE appeal_id = ?1 AND reviewed_at IS NULL",
        params![appeal_id, r.reviewed_at, r.gek_worker_id, r.findings, r.upheld, r.actor],
    )?;
    Ok(n == 1)
}

const COLUMNS: &str = "appeal_id, exam_id, ppe_code, participant_id, filed_at, text, gek_worker_id, actor,
    reviewed_at, review_gek_worker_id, review_findings, review_upheld, review_actor";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Appeal> {
    let reviewed_at: Option<String> = r.get(8)?;
    let review = match reviewed_at {
        Some(reviewed_at) => Some(Review {
            reviewed_at,
            gek_worker_id: r.get::<_, Option<String>>(9)?.unwrap_or_default(),
            findings: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
            upheld: r.get::<_, Option<bool>>(11)?.unwrap_or(false),
            actor: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Appeal {
        appeal_id: r.get(0)?,
        exam_id: r.get(1)?,
        ppe_code: r.get(2)?,
        participant_id: r.get(3)?,
        filed_at: r.get(4)?,
        text: r.get(5)?,
        gek_worker_id: r.get(6)?,
        actor: r.get(7)?,
        review,
    })
}

pub fn appeal_get(conn: &Connection, appeal_id: i64) -> rusqlite::Result<Option<Appeal>> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM appeal WHERE appeal_id = ?1"), [appeal_id], from_row).optional()
}

/// The appeals of an exam at an exam point, in the order filed.
pub fn appeals_for_exam(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<Appeal>> {
    let mut st = conn.prepare(&format!("SELECT {COLUMNS} FROM appeal WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY appeal_id"))?;
    let rows = st.query_map(params![exam_id, ppe_code], from_row)?;
    rows.collect()
}
