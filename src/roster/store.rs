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

/// The last assignment of an exam's roster at an exam point: its seed and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRun {
    pub seed: u64,
    pub posts: usize,
    pub reserve: usize,
    pub shortfalls: Vec<String>,
    pub at: String,
    pub actor: String,
}

pub fn roster_run_insert(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, run: &RosterRun) -> rusqlite::Result<()> {
    let shortfalls = serde_json::to_string(&run.shortfalls).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT INTO roster_run (exam_id, ppe_code, seed, posts, reserve, shortfalls, at, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![exam_id, ppe_code, run.seed as i64, run.posts as i64, run.reserve as i64, shortfalls, run.at, run.actor],
    )?;
    Ok(())
}

pub fn roster_run_latest(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Option<RosterRun>> {
    let mut st = conn.prepare(
        "SELECT seed, posts, reserve, shortfalls, at, actor FROM roster_run WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY id DESC LIMIT 1",
    )?;
    let mut rows = st.query_map(params![exam_id, ppe_code], |r| {
        let shortfalls: String = r.get(3)?;
        Ok(RosterRun {
            seed: r.get::<_, i64>(0)? as u64,
            posts: r.get::<_, i64>(1)? as usize,
            reserve: r.get::<_, i64>(2)? as usize,
            shortfalls: serde_json::from_str(&shortfalls)
                .map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e)))?,
            at: r.get(4)?,
            actor: r.get(5)?,
        })
    })?;
    rows.next().transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_keeps_its_full_seed_and_shortfalls() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::store::open(&dir.path().join("ppe.db")).unwrap();
        assert_eq!(roster_run_latest(&conn, "ege-02", "0101").unwrap(), None);
        let run = RosterRun {
            seed: u64::MAX - 3,
            posts: 9,
            reserve: 2,
            shortfalls: vec!["нет руководителя ППЭ".into()],
            at: "2027-05-27T01:00:00Z".into(),
            actor: "tech".into(),
        };
        let tx = conn.transaction().unwrap();
        roster_run_insert(&tx, "ege-02", "0101", &RosterRun { seed: 1, ..run.clone() }).unwrap();
        roster_run_insert(&tx, "ege-02", "0101", &run).unwrap();
        tx.commit().unwrap();
        assert_eq!(roster_run_latest(&conn, "ege-02", "0101").unwrap(), Some(run));
        assert_eq!(roster_run_latest(&conn, "ege-02", "0202").unwrap(), None);
    }
}
