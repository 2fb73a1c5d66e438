//! SQL of readiness: on the box the runs with their facts and each station's test page
//! (migration 0034); on the hub the reports boxes sent with the hub's judgement (0035).

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{ReadinessFacts, ReadinessLimits, ReadinessReport};

/// A driver error in a readiness use case (kept here: the driver is named only in stores).
impl From<rusqlite::Error> for super::ops::ReadinessError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Other(e.into())
    }
}

fn json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn parse<T: serde::de::DeserializeOwned>(column: usize, text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e)))
}

/// A run as the box keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub run_id: i64,
    pub exam_id: String,
    pub ppe_code: String,
    pub started_at: String,
    pub updated_at: String,
    pub actor: String,
    pub limits: ReadinessLimits,
    pub facts: ReadinessFacts,
    pub reported_at: Option<String>,
}

pub fn run_insert(
    tx: &Transaction<'_>,
    exam_id: &str,
    ppe_code: &str,
    at: &str,
    actor: &str,
    limits: &ReadinessLimits,
    facts: &ReadinessFacts,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO readiness_run (exam_id, ppe_code, started_at, updated_at, actor, limits_json, facts_json) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)",
        params![exam_id, ppe_code, at, actor, json(limits)?, json(facts)?],
    )?;
    Ok(tx.last_insert_rowid())
}

pub fn run_update_facts(tx: &Transaction<'_>, run_id: i64, facts: &ReadinessFacts, at: &str) -> rusqlite::Result<usize> {
    tx.execute("UPDATE readiness_run SET facts_json = ?2, updated_at = ?3 WHERE run_id = ?1", params![run_id, json(facts)?, at])
}

pub fn run_mark_reported(tx: &Transaction<'_>, run_id: i64, at: &str) -> rusqlite::Result<usize> {
    tx.execute("UPDATE readiness_run SET reported_at = ?2 WHERE run_id = ?1", params![run_id, at])
}

/// The latest run of an exam at a point.
pub fn run_latest(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Option<RunRow>> {
    let row: Option<(i64, String, String, String, String, String, Option<String>)> = conn
        .query_row(
            "SELECT run_id, started_at, updated_at, actor, limits_json, facts_json, reported_at FROM readiness_run
             WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY run_id DESC LIMIT 1",
            params![exam_id, ppe_code],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .optional()?;
    row.map(|(run_id, started_at, updated_at, actor, limits, facts, reported_at)| {
        Ok(RunRow {
            run_id,
            exam_id: exam_id.into(),
            ppe_code: ppe_code.into(),
            started_at,
            updated_at,
            actor,
            limits: parse(4, &limits)?,
            facts: parse(5, &facts)?,
            reported_at,
        })
    })
    .transpose()
}

/// Records the sheet number a station's test page takes in a run.
pub fn test_page_insert(tx: &Transaction<'_>, run_id: i64, station: &str, holder: &str, exam_id: &str, sheet_number: u32) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO readiness_test_page (run_id, station, holder, exam_id, sheet_number) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![run_id, station, holder, exam_id, sheet_number],
    )?;
    Ok(())
}

/// The run and station a test page number of an exam belongs to, with when it was scanned.
pub fn test_page_by_number(conn: &Connection, exam_id: &str, sheet_number: u32) -> rusqlite::Result<Option<(i64, String, Option<String>)>> {
    conn.query_row(
        "SELECT run_id, station, scanned_at FROM readiness_test_page WHERE exam_id = ?1 AND sheet_number = ?2",
        params![exam_id, sheet_number],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

pub fn test_page_scanned(tx: &Transaction<'_>, run_id: i64, station: &str, at: &str, sha256: &str) -> rusqlite::Result<usize> {
    tx.execute(
        "UPDATE readiness_test_page SET scanned_at = ?3, scan_sha256 = ?4 WHERE run_id = ?1 AND station = ?2",
        params![run_id, station, at, sha256],
    )
}

/// The hub's row of a report: what the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HubReportRow {
    pub exam_id: String,
    pub ppe_code: String,
    pub received_at: String,
    pub clock_offset_ms: i64,
    pub ready: bool,
    pub failing: Vec<String>,
}

pub fn report_insert(
    tx: &Transaction<'_>,
    report: &ReadinessReport,
    at: &str,
    clock_offset_ms: i64,
    ready: bool,
    failing: &[String],
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO readiness_report (exam_id, ppe_code, received_at, clock_offset_ms, ready, failing_json, report_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![report.exam_id, report.ppe_code, at, clock_offset_ms, i64::from(ready), json(&failing)?, json(report)?],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The latest report of each point for an exam.
pub fn reports_latest_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<HubReportRow>> {
    let mut st = conn.prepare(
        "SELECT r.ppe_code, r.received_at, r.clock_offset_ms, r.ready, r.failing_json FROM readiness_report r
         WHERE r.exam_id = ?1 AND r.id = (SELECT MAX(id) FROM readiness_report x WHERE x.exam_id = r.exam_id AND x.ppe_code = r.ppe_code)
         ORDER BY r.ppe_code",
    )?;
    let rows = st.query_map([exam_id], |r| {
        let failing: String = r.get(4)?;
        Ok(HubReportRow {
            exam_id: exam_id.to_string(),
            ppe_code: r.get(0)?,
            received_at: r.get(1)?,
            clock_offset_ms: r.get(2)?,
            ready: r.get::<_, i64>(3)? == 1,
            failing: parse(4, &failing)?,
        })
    })?;
    rows.collect()
}
