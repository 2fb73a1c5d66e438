//! SQL of distribution: the seeds the hub drew, the seatings boxes reported to it, and on the
//! box the seeds it received (migration 0027), plus the one question the box asks of printing:
//! were lists or kits of an exam printed yet.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{Purpose, SeatingReport, SignedSeed};

/// A driver error in a distribution use case (kept here: the driver is named only in stores).
impl From<rusqlite::Error> for super::ops::DistributionError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Other(e.into())
    }
}

/// The hub's seed of (exam, point, purpose): stored once, the first drawn wins (a second draw
/// racing it is dropped), returned as stored.
pub fn seed_draw_once(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, purpose: Purpose, drawn: u64, at: &str) -> rusqlite::Result<(u64, bool)> {
    let inserted = tx.execute(
        "INSERT INTO distribution_seed (exam_id, ppe_code, purpose, seed, drawn_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        params![exam_id, ppe_code, purpose.code(), drawn.to_string(), at],
    )?;
    let seed = seed_get(tx, exam_id, ppe_code, purpose)?.unwrap_or(drawn);
    Ok((seed, inserted == 1))
}

/// The hub's seed of (exam, point, purpose), if drawn.
pub fn seed_get(conn: &Connection, exam_id: &str, ppe_code: &str, purpose: Purpose) -> rusqlite::Result<Option<u64>> {
    let text: Option<String> = conn
        .query_row(
            "SELECT seed FROM distribution_seed WHERE exam_id = ?1 AND ppe_code = ?2 AND purpose = ?3",
            params![exam_id, ppe_code, purpose.code()],
            |r| r.get(0),
        )
        .optional()?;
    text.map(|t| t.parse::<u64>().map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))).transpose()
}

/// A box's seating report, kept whole (the latest per exam and point is the one verified).
pub fn seating_report_insert(tx: &Transaction<'_>, report: &SeatingReport, at: &str) -> rusqlite::Result<i64> {
    let json = serde_json::to_string(report).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT INTO seating_report (exam_id, ppe_code, seed, input_hash, report_json, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![report.exam_id, report.ppe_code, report.seed, report.input_hash, json, at],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The latest seating report of an exam at a point, with when it came.
pub fn seating_report_latest(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Option<(SeatingReport, String)>> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT report_json, received_at FROM seating_report WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY id DESC LIMIT 1",
            params![exam_id, ppe_code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(json, at)| {
        serde_json::from_str(&json)
            .map(|r| (r, at))
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
    })
    .transpose()
}

/// The box keeps a seed it received, with the hub's signature (re-received: the same row).
pub fn released_seed_put(tx: &Transaction<'_>, signed: &SignedSeed, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO released_seed (exam_id, ppe_code, purpose, seed, release_at, signature, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (exam_id, ppe_code, purpose) DO UPDATE SET seed = excluded.seed, release_at = excluded.release_at, signature = excluded.signature, received_at = excluded.received_at",
        params![signed.exam_id, signed.ppe_code, signed.purpose.code(), signed.seed, signed.release_at, signed.signature, at],
    )?;
    Ok(())
}

/// The seed the box received for (exam, point, purpose), as the hub signed it.
pub fn released_seed_get(conn: &Connection, exam_id: &str, ppe_code: &str, purpose: Purpose) -> rusqlite::Result<Option<SignedSeed>> {
    conn.query_row(
        "SELECT exam_id, ppe_code, seed, release_at, signature FROM released_seed WHERE exam_id = ?1 AND ppe_code = ?2 AND purpose = ?3",
        params![exam_id, ppe_code, purpose.code()],
        |r| Ok(SignedSeed { exam_id: r.get(0)?, ppe_code: r.get(1)?, purpose, seed: r.get(2)?, release_at: r.get(3)?, signature: r.get(4)? }),
    )
    .optional()
}

/// The forms that fix a seating on paper: the auditorium lists, the entrance lists, the
/// auditorium protocol, and the kits (their print jobs carry no form code).
const SEATING_FORMS: [&str; 5] = ["ППЭ-05-01", "ППЭ-05-02", "ППЭ-06-01", "ППЭ-06-02", ""];

/// Whether any list or kit of the exam was sent to the printer (a canceled or aborted job
/// printed nothing).
pub fn seating_printed(conn: &Connection, exam_id: &str) -> rusqlite::Result<bool> {
    let placeholders = SEATING_FORMS.iter().enumerate().map(|(i, _)| format!("?{}", i + 2)).collect::<Vec<_>>().join(", ");
    let sql =
        format!("SELECT EXISTS (SELECT 1 FROM print_job WHERE exam_id = ?1 AND state NOT IN ('canceled', 'aborted') AND form IN ({placeholders}))");
    let mut values: Vec<&dyn rusqlite::ToSql> = vec![&exam_id];
    values.extend(SEATING_FORMS.iter().map(|f| f as &dyn rusqlite::ToSql));
    conn.query_row(&sql, values.as_slice(), |r| r.get(0))
}
