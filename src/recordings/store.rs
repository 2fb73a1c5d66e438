//! SQL of recordings: the files taken in (`recording_file`, migration 0042) and the moves to
//! reserve workstations (`workstation_move`, 0043).

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::workstations::WorkstationMove;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingFileRow {
    pub file_id: String,
    pub exam_id: String,
    /// `recording` or `answer_file`.
    pub kind: String,
    pub sha256: String,
    pub size: u64,
    pub path: String,
    pub source_name: String,
    pub taken_at: String,
    pub participant_id: Option<String>,
    pub duration_ms: Option<u64>,
    pub rms_dbfs: Option<f64>,
    /// What the decoder found (codec, rate; an archive's entries), JSON.
    pub facts: String,
    /// `matched`, `to_resolve`, `set_aside`.
    pub status: String,
    pub defect: String,
    pub reason: String,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    pub resolution: String,
}

const COLUMNS: &str = "file_id, exam_id, kind, sha256, size, path, source_name, taken_at, participant_id, duration_ms, rms_dbfs, facts,
    status, defect, reason, resolved_by, resolved_at, resolution";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordingFileRow> {
    Ok(RecordingFileRow {
        file_id: r.get(0)?,
        exam_id: r.get(1)?,
        kind: r.get(2)?,
        sha256: r.get(3)?,
        size: r.get::<_, i64>(4)? as u64,
        path: r.get(5)?,
        source_name: r.get(6)?,
        taken_at: r.get(7)?,
        participant_id: r.get(8)?,
        duration_ms: r.get::<_, Option<i64>>(9)?.map(|d| d as u64),
        rms_dbfs: r.get(10)?,
        facts: r.get(11)?,
        status: r.get(12)?,
        defect: r.get(13)?,
        reason: r.get(14)?,
        resolved_by: r.get(15)?,
        resolved_at: r.get(16)?,
        resolution: r.get(17)?,
    })
}

pub fn file_insert(conn: &Connection, f: &RecordingFileRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO recording_file ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"),
        params![
            f.file_id,
            f.exam_id,
            f.kind,
            f.sha256,
            f.size as i64,
            f.path,
            f.source_name,
            f.taken_at,
            f.participant_id,
            f.duration_ms.map(|d| d as i64),
            f.rms_dbfs,
            f.facts,
            f.status,
            f.defect,
            f.reason,
            f.resolved_by,
            f.resolved_at,
            f.resolution,
        ],
    )?;
    Ok(())
}

pub fn file_by_sha256(conn: &Connection, exam_id: &str, sha256: &str) -> rusqlite::Result<Option<RecordingFileRow>> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM recording_file WHERE exam_id = ?1 AND sha256 = ?2"), params![exam_id, sha256], from_row).optional()
}

pub fn file_get(conn: &Connection, file_id: &str) -> rusqlite::Result<Option<RecordingFileRow>> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM recording_file WHERE file_id = ?1"), params![file_id], from_row).optional()
}

/// Every file of an exam, in the order taken in.
pub fn files_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<RecordingFileRow>> {
    let mut st = conn.prepare(&format!("SELECT {COLUMNS} FROM recording_file WHERE exam_id = ?1 ORDER BY taken_at, source_name, file_id"))?;
    let rows = st.query_map(params![exam_id], from_row)?;
    rows.collect()
}

/// A person's resolution: the file attached to a participant (matched) or set aside.
pub fn file_resolve(conn: &Connection, file_id: &str, status: &str, participant_id: Option<&str>, by: &str, at: &str, resolution: &str) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE recording_file SET status = ?2, participant_id = COALESCE(?3, participant_id), resolved_by = ?4, resolved_at = ?5, resolution = ?6
         WHERE file_id = ?1",
        params![file_id, status, participant_id, by, at, resolution],
    )?;
    Ok(n == 1)
}

pub fn move_insert(conn: &Connection, m: &WorkstationMove) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO workstation_move (exam_id, participant_id, auditorium, from_workstation, to_workstation, reason, moved_at, actor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![m.exam_id, m.participant_id, m.auditorium, m.from_workstation, m.to_workstation, m.reason, m.moved_at, m.actor],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The exam's moves in the order made (the latest per participant stands).
pub fn moves_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<WorkstationMove>> {
    let mut st = conn.prepare(
        "SELECT exam_id, participant_id, auditorium, from_workstation, to_workstation, reason, moved_at, actor
         FROM workstation_move WHERE exam_id = ?1 ORDER BY move_id",
    )?;
    let rows = st.query_map(params![exam_id], |r| {
        Ok(WorkstationMove {
            exam_id: r.get(0)?,
            participant_id: r.get(1)?,
            auditorium: r.get(2)?,
            from_workstation: r.get(3)?,
            to_workstation: r.get(4)?,
            reason: r.get(5)?,
            moved_at: r.get(6)?,
            actor: r.get(7)?,
        })
    })?;
    rows.collect()
}

/// An inbox file as the daemon saw it when it took it: where it lay, its size and its
/// modification time (nanoseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSeen {
    pub path: String,
    pub size: u64,
    pub modified_ns: i64,
}

/// Whether this very file (same place, size and time) was taken before.
pub fn source_taken(conn: &Connection, s: &SourceSeen) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM recording_source WHERE source_path = ?1 AND size = ?2 AND modified_ns = ?3",
        params![s.path, s.size as i64, s.modified_ns],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

pub fn source_record(conn: &Connection, s: &SourceSeen, exam_id: &str, sha256: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO recording_source (source_path, size, modified_ns, exam_id, sha256, taken_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s.path, s.size as i64, s.modified_ns, exam_id, sha256, at],
    )?;
    Ok(())
}
