//! SQL of retention: which wipes are done, removing participants' records, blanking workers'
//! personal fields, and scrubbing the database files afterwards.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Which wipes are recorded for an exam: (`materials` at, `personal` at).
pub fn wipe_recorded(conn: &Connection, exam_id: &str, what: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT at FROM retention_wipe WHERE exam_id = ?1 AND what = ?2", params![exam_id, what], |r| r.get(0)).optional()
}

/// Records a wipe (a repeat of the materials wipe only refreshes the time and details).
pub fn record_wipe(tx: &Transaction<'_>, exam_id: &str, what: &str, at: &str, details: &serde_json::Value) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO retention_wipe (exam_id, what, at, details) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(exam_id, what) DO UPDATE SET at = excluded.at, details = excluded.details",
        params![exam_id, what, at, details.to_string()],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PersonalWipeCounts {
    pub participants_deleted: u64,
    pub workers_anonymized: u64,
}

/// Turns on overwriting of deleted content for this connection; call before the deleting
/// transaction, or freed pages keep the names until they are reused.
pub fn enable_secure_delete(conn: &Connection) -> rusqlite::Result<()> {
    let _on: i64 = conn.query_row("PRAGMA secure_delete = ON", [], |r| r.get(0))?;
    Ok(())
}

/// Deletes the participants of `exam_id` who are not registered for another exam whose
/// personal data is still kept (rows referring to them go by the foreign keys' cascades), and
/// blanks the personal fields of workers with no assignment on the date of such an exam.
/// `anonymize` turns a worker's stored record into one without personal fields.
pub fn wipe_personal_data(tx: &Transaction<'_>, exam_id: &str, anonymize: impl Fn(serde_json::Value) -> serde_json::Value) -> rusqlite::Result<PersonalWipeCounts> {
    let participants_deleted = tx.execute(
        "DELETE FROM participant WHERE NOT EXISTS (
            SELECT 1 FROM registration r
            WHERE r.participant_id = participant.participant_id AND r.exam_id != ?1
              AND r.exam_id NOT IN (SELECT exam_id FROM retention_wipe WHERE what = 'personal'))",
        [exam_id],
    )? as u64;
    let workers: Vec<(String, String)> = {
        let mut st = tx.prepare(
            "SELECT worker_id, record FROM worker w
             WHERE (w.surname != '' OR w.name != '')
               AND NOT EXISTS (
                 SELECT 1 FROM worker_assignment a JOIN exam e ON e.date = a.date
                 WHERE a.worker_id = w.worker_id AND e.exam_id != ?1
                   AND e.exam_id NOT IN (SELECT exam_id FROM retention_wipe WHERE what = 'personal'))",
        )?;
        let rows = st.query_map([exam_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut update = tx.prepare("UPDATE worker SET surname = '', name = '', record = ?2 WHERE worker_id = ?1")?;
    for (worker_id, record) in &workers {
        let parsed: serde_json::Value = serde_json::from_str(record).unwrap_or(serde_json::Value::Null);
        let blank = match anonymize(parsed) {
            serde_json::Value::Null => serde_json::json!({"worker_id": worker_id}),
            v => v,
        };
        update.execute(params![worker_id, blank.to_string()])?;
    }
    Ok(PersonalWipeCounts { participants_deleted, workers_anonymized: workers.len() as u64 })
}

/// After the deleting transaction: rebuilds the database without free pages and truncates the
/// WAL so no old page images stay in either file. Returns false when another connection kept
/// the WAL from being truncated (the daemon holds it open); the next wipe run retries.
pub fn compact_and_truncate_wal(conn: &Connection) -> rusqlite::Result<bool> {
    conn.execute_batch("VACUUM")?;
    let (busy, _log, _checkpointed): (i64, i64, i64) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(busy == 0)
}
