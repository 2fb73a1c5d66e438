//! SQL of monitoring: heartbeats (latest per point, a short history, the timeline), operator
//! notes, and the read-only queries over the plan, materials and upload tables that give the
//! dashboard the hub's own view (what it published, released and received).

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::{HubUploadFacts, Schedule, TimeNeed};
use crate::model::{Exam, ExamPoint};

/// History rows kept per (exam, point); older ones are pruned.
pub const HISTORY_ROWS_PER_POINT: i64 = 300;

/// One row of `heartbeat_history`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub received_at: String,
    pub stage: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub files_done: u64,
    pub pages_scanned: u64,
    pub last_error: Option<String>,
}

/// What the writer persists for one accepted heartbeat.
#[derive(Debug, Clone)]
pub struct HeartbeatWrite {
    pub exam_id: String,
    pub ppe_code: String,
    pub report_json: String,
    pub received_at: String,
    pub clock_offset_ms: i64,
    pub last_progress_at: String,
    pub stage_since: String,
    pub reports_received: u64,
    /// Present when the numbers changed (unchanged reports only refresh `heartbeat_latest`).
    pub history: Option<HistoryRow>,
    /// (kind, detail): `stage`, `error`, `receipt`.
    pub events: Vec<(&'static str, String)>,
    /// Prune this point's history in the same transaction.
    pub prune: bool,
}

/// Persists a batch of heartbeats in one transaction (the writer batches for throughput: one
/// fsync per batch instead of one per report).
pub fn heartbeat_write_batch(conn: &mut Connection, batch: &[HeartbeatWrite]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut latest = tx.prepare_cached(
            "INSERT INTO heartbeat_latest (exam_id, ppe_code, report_json, received_at, clock_offset_ms, last_progress_at, stage_since, reports_received)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(exam_id, ppe_code) DO UPDATE SET report_json = excluded.report_json, received_at = excluded.received_at,
               clock_offset_ms = excluded.clock_offset_ms, last_progress_at = excluded.last_progress_at,
               stage_since = excluded.stage_since, reports_received = excluded.reports_received",
        )?;
        let mut history = tx.prepare_cached(
            "INSERT INTO heartbeat_history (exam_id, ppe_code, received_at, stage, bytes_done, bytes_total, files_done, pages_scanned, last_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut event = tx.prepare_cached("INSERT INTO heartbeat_event (exam_id, ppe_code, at, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut prune = tx.prepare_cached(
            "DELETE FROM heartbeat_history WHERE exam_id = ?1 AND ppe_code = ?2 AND id < (
               SELECT MIN(id) FROM (SELECT id FROM heartbeat_history WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY id DESC LIMIT ?3))",
        )?;
        for w in batch {
            latest.execute(params![
                w.exam_id,
                w.ppe_code,
                w.report_json,
                w.received_at,
                w.clock_offset_ms,
                w.last_progress_at,
                w.stage_since,
                w.reports_received as i64
            ])?;
            if let Some(h) = &w.history {
                history.execute(params![
                    w.exam_id,
                    w.ppe_code,
                    h.received_at,
                    h.stage,
                    h.bytes_done as i64,
                    h.bytes_total as i64,
                    h.files_done as i64,
                    h.pages_scanned as i64,
                    h.last_error
                ])?;
            }
            for (kind, detail) in &w.events {
                event.execute(params![w.exam_id, w.ppe_code, w.received_at, kind, detail])?;
            }
            if w.prune {
                prune.execute(params![w.exam_id, w.ppe_code, HISTORY_ROWS_PER_POINT])?;
            }
        }
    }
    tx.commit()
}

/// A persisted latest heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestRow {
    pub exam_id: String,
    pub ppe_code: String,
    pub report_json: String,
    pub received_at: String,
    pub clock_offset_ms: i64,
    pub last_progress_at: String,
    pub stage_since: String,
    pub reports_received: u64,
}

pub fn heartbeat_latest_all(conn: &Connection) -> rusqlite::Result<Vec<LatestRow>> {
    let mut st = conn.prepare(
        "SELECT exam_id, ppe_code, report_json, received_at, clock_offset_ms, last_progress_at, stage_since, reports_received
         FROM heartbeat_latest ORDER BY exam_id, ppe_code",
    )?;
    let rows = st.query_map([], |r| {
        Ok(LatestRow {
            exam_id: r.get(0)?,
            ppe_code: r.get(1)?,
            report_json: r.get(2)?,
            received_at: r.get(3)?,
            clock_offset_ms: r.get(4)?,
            last_progress_at: r.get(5)?,
            stage_since: r.get(6)?,
            reports_received: r.get::<_, i64>(7)? as u64,
        })
    })?;
    rows.collect()
}

/// The newest `limit` history rows of a point, oldest first.
pub fn heartbeat_history_for_point(conn: &Connection, exam_id: &str, ppe_code: &str, limit: i64) -> rusqlite::Result<Vec<HistoryRow>> {
    let mut st = conn.prepare(
        "SELECT received_at, stage, bytes_done, bytes_total, files_done, pages_scanned, last_error FROM (
           SELECT * FROM heartbeat_history WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY id DESC LIMIT ?3) ORDER BY id",
    )?;
    let rows = st.query_map(params![exam_id, ppe_code, limit], |r| {
        Ok(HistoryRow {
            received_at: r.get(0)?,
            stage: r.get(1)?,
            bytes_done: r.get::<_, i64>(2)? as u64,
            bytes_total: r.get::<_, i64>(3)? as u64,
            files_done: r.get::<_, i64>(4)? as u64,
            pages_scanned: r.get::<_, i64>(5)? as u64,
            last_error: r.get(6)?,
        })
    })?;
    rows.collect()
}

pub fn heartbeat_history_count(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<u64> {
    conn.query_row("SELECT COUNT(*) FROM heartbeat_history WHERE exam_id = ?1 AND ppe_code = ?2", params![exam_id, ppe_code], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
}

/// A line of a point's timeline: a stage change, an error, a receipt, or an operator's note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: String,
    pub kind: String,
    pub detail: String,
    /// The operator who wrote a note (notes only).
    pub operator_login: Option<String>,
}

/// Stage changes, errors, receipts and notes of a point, oldest first.
pub fn timeline_for_point(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<TimelineEntry>> {
    let mut st = conn.prepare(
        "SELECT at, kind, detail, NULL, id, 0 FROM heartbeat_event WHERE exam_id = ?1 AND ppe_code = ?2
         UNION ALL
         SELECT at, 'note', text, operator_login, id, 1 FROM monitoring_note WHERE exam_id = ?1 AND ppe_code = ?2
         ORDER BY 1, 6, 5",
    )?;
    let rows = st.query_map(params![exam_id, ppe_code], |r| {
        Ok(TimelineEntry { at: r.get(0)?, kind: r.get(1)?, detail: r.get(2)?, operator_login: r.get(3)? })
    })?;
    rows.collect()
}

pub fn note_insert(conn: &Connection, exam_id: &str, ppe_code: &str, at: &str, operator_login: &str, text: &str) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO monitoring_note (exam_id, ppe_code, at, operator_login, text) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![exam_id, ppe_code, at, operator_login, text],
    )?;
    Ok(conn.last_insert_rowid())
}

/// One exam point assigned to an exam, from the plan: how many admitted participants are
/// planned and the point's own schedule (`Schedule::at_point`, the function the box shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub exam_id: String,
    pub ppe_code: String,
    pub planned: u32,
    /// `None` when the exam's date or start time is not valid.
    pub schedule: Option<Schedule>,
}

/// The part of the plan monitoring needs (no personal data: counts and flags only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSlice {
    pub exams: Vec<Exam>,
    pub points: Vec<ExamPoint>,
    pub assignments: Vec<Assignment>,
}

pub fn plan_slice(conn: &Connection) -> rusqlite::Result<PlanSlice> {
    let exams = crate::plan::store::exam_list(conn)?;
    let points = crate::plan::store::exam_point_list(conn)?;
    // Participant records are JSON with the special conditions flattened in (`extra_time`);
    // a record from before допуск existed reads as admitted (the model's serde default).
    let mut st = conn.prepare(
        "SELECT r.exam_id, r.ppe_code, COALESCE(json_extract(p.record, '$.admitted'), 1), COALESCE(json_extract(p.record, '$.extra_time'), 0)
         FROM registration r JOIN participant p ON p.participant_id = r.participant_id
         ORDER BY r.exam_id, r.ppe_code",
    )?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, TimeNeed { admitted: r.get::<_, i64>(2)? != 0, extra_time: r.get::<_, i64>(3)? != 0 }))
    })?;
    let mut registered: Vec<(String, String, Vec<TimeNeed>)> = Vec::new();
    for row in rows {
        let (exam_id, ppe_code, need) = row?;
        match registered.last_mut() {
            Some((e, p, needs)) if *e == exam_id && *p == ppe_code => needs.push(need),
            _ => registered.push((exam_id, ppe_code, vec![need])),
        }
    }
    let exam_of: HashMap<&str, &Exam> = exams.iter().map(|e| (e.exam_id.as_str(), e)).collect();
    let point_of: HashMap<&str, &ExamPoint> = points.iter().map(|p| (p.ppe_code.as_str(), p)).collect();
    let assignments = registered
        .into_iter()
        .map(|(exam_id, ppe_code, needs)| Assignment {
            planned: needs.iter().filter(|n| n.admitted).count() as u32,
            schedule: exam_of.get(exam_id.as_str()).and_then(|e| Schedule::at_point(e, point_of.get(ppe_code.as_str()).copied(), needs)),
            exam_id,
            ppe_code,
        })
        .collect();
    Ok(PlanSlice { exams, points, assignments })
}

/// The hub's own upload records for an exam, per exam point: tus uploads and accepted bundles
/// (the upload domain's tables, read only). A bundle accepted means every file and the box
/// signature verified, so its pages count as verified.
pub fn hub_upload_facts_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<HashMap<String, HubUploadFacts>> {
    let mut out: HashMap<String, HubUploadFacts> = HashMap::new();
    let mut st = conn.prepare(
        "SELECT ppe_code,
                SUM(completed_at IS NOT NULL),
                COALESCE(SUM(upload_offset), 0),
                SUM(completed_at IS NOT NULL AND kind = 'page'),
                MAX(updated_at),
                SUM(completed_at IS NOT NULL AND kind IN ('recording', 'answer_file'))
         FROM tus_upload WHERE exam_id = ?1 GROUP BY ppe_code",
    )?;
    let rows = st.query_map([exam_id], |r| {
        Ok((
            (r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64, r.get::<_, i64>(3)? as u64),
            (r.get::<_, Option<String>>(4)?, r.get::<_, i64>(5)? as u64),
        ))
    })?;
    for row in rows {
        let ((code, files, bytes, pages), (last, participant_files)) = row?;
        let f = out.entry(code).or_default();
        f.files_received = files;
        f.bytes_received = bytes;
        f.pages_received = pages;
        f.participant_files_received = participant_files;
        f.last_activity_at = last.as_deref().and_then(super::parse_time);
    }
    // The receipt lists every recording and answer file the hub verified.
    let mut st = conn.prepare(
        "SELECT ppe_code, manifest_sha256, received_at, file_count,
                CASE WHEN json_valid(receipt_json) THEN COALESCE(json_array_length(receipt_json, '$.receipt.participant_files'), 0) ELSE 0 END
         FROM hub_bundle WHERE exam_id = ?1 ORDER BY ppe_code, received_at",
    )?;
    let rows = st.query_map([exam_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)? as u64, r.get::<_, i64>(4)? as u64))
    })?;
    for row in rows {
        let (code, manifest, at, files, participant_files) = row?;
        let f = out.entry(code).or_default();
        f.bundle_verified = true;
        f.receipt_id = Some(manifest);
        f.receipt_at = Some(at);
        f.participant_files_verified = participant_files;
        // A bundle carried on media never went through tus: its pages are its files less the
        // record of the day and the participants' files.
        f.pages_verified = if f.pages_received > 0 { f.pages_received } else { files.saturating_sub(1 + participant_files) };
    }
    Ok(out)
}

/// Per exam point of an exam: the newest package version the hub published, and whether a key
/// was released to it.
pub fn hub_materials_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<HashMap<String, (Option<u64>, bool)>> {
    let mut out: HashMap<String, (Option<u64>, bool)> = HashMap::new();
    let mut st = conn.prepare("SELECT ppe_code, MAX(version) FROM hub_package WHERE exam_id = ?1 GROUP BY ppe_code")?;
    for row in st.query_map([exam_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))? {
        let (code, v) = row?;
        out.entry(code).or_default().0 = Some(v);
    }
    let mut st = conn.prepare("SELECT DISTINCT ppe_code FROM hub_key_release WHERE exam_id = ?1 AND outcome = 'released'")?;
    for row in st.query_map([exam_id], |r| r.get::<_, String>(0))? {
        out.entry(row?).or_default().1 = true;
    }
    Ok(out)
}

/// The hub's receipt for a point's bundle, if one was accepted (newest first).
pub fn hub_receipt_for_point(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Option<(String, String, String)>> {
    conn.query_row(
        "SELECT manifest_sha256, received_at, receipt_json FROM hub_bundle WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY received_at DESC LIMIT 1",
        params![exam_id, ppe_code],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
}

/// A trivial read: the database file is there and not locked up (the watchdog's check).
pub fn database_answers(conn: &Connection) -> bool {
    conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(exam: &str, code: &str, n: u64) -> HeartbeatWrite {
        HeartbeatWrite {
            exam_id: exam.into(),
            ppe_code: code.into(),
            report_json: "{}".into(),
            received_at: format!("2027-05-27T02:{:02}:00Z", n % 60),
            clock_offset_ms: 5,
            last_progress_at: "2027-05-27T02:00:00Z".into(),
            stage_since: "2027-05-27T02:00:00Z".into(),
            reports_received: n,
            history: Some(HistoryRow {
                received_at: format!("2027-05-27T02:{:02}:00Z", n % 60),
                stage: "uploading".into(),
                bytes_done: n,
                bytes_total: 1000,
                files_done: 0,
                pages_scanned: 0,
                last_error: None,
            }),
            events: if n == 1 { vec![("stage", "uploading".into())] } else { vec![] },
            prune: true,
        }
    }

    #[test]
    fn latest_is_upserted_history_is_pruned_timeline_merges_notes() {
        let mut conn = crate::store::open_in_memory().unwrap();
        for chunk in (1..=HISTORY_ROWS_PER_POINT as u64 + 20).collect::<Vec<_>>().chunks(50) {
            let batch: Vec<_> = chunk.iter().map(|n| write("ege-02", "0101", *n)).collect();
            heartbeat_write_batch(&mut conn, &batch).unwrap();
        }
        heartbeat_write_batch(&mut conn, &[write("ege-02", "0202", 7)]).unwrap();
        let latest = heartbeat_latest_all(&conn).unwrap();
        assert_eq!(latest.len(), 2);
        assert_eq!(latest[0].reports_received, HISTORY_ROWS_PER_POINT as u64 + 20);
        assert_eq!(heartbeat_history_count(&conn, "ege-02", "0101").unwrap(), HISTORY_ROWS_PER_POINT as u64);
        assert_eq!(heartbeat_history_count(&conn, "ege-02", "0202").unwrap(), 1, "pruning one point leaves the others");
        let hist = heartbeat_history_for_point(&conn, "ege-02", "0101", 3).unwrap();
        assert_eq!(hist.iter().map(|h| h.bytes_done).collect::<Vec<_>>(), vec![318, 319, 320]);
        note_insert(&conn, "ege-02", "0101", "2027-05-27T02:30:00Z", "op1", "позвонили в ППЭ").unwrap();
        let tl = timeline_for_point(&conn, "ege-02", "0101").unwrap();
        assert_eq!(tl.len(), 2);
        assert_eq!(tl[0].kind, "stage");
        assert_eq!(tl[1].operator_login.as_deref(), Some("op1"));
    }

    #[test]
    fn hub_facts_come_from_tus_uploads_and_bundles() {
        let conn = crate::store::open_in_memory().unwrap();
        let tus = |id: &str, kind: &str, done: bool| crate::upload::store::TusUploadRow {
            upload_id: id.into(),
            exam_id: "ege-02".into(),
            ppe_code: "0101".into(),
            file_name: format!("{id}.png"),
            kind: kind.into(),
            declared_sha256: "00".into(),
            upload_length: 100,
            upload_offset: if done { 100 } else { 40 },
            metadata_json: "{}".into(),
            created_at: "2027-05-27T07:00:00Z".into(),
            updated_at: "2027-05-27T07:01:00Z".into(),
            expires_at: "2027-05-28T07:00:00Z".into(),
            completed_at: done.then(|| "2027-05-27T07:01:00Z".into()),
            stored_sha256: None,
        };
        crate::upload::store::tus_insert(&conn, &tus("a", "page", true)).unwrap();
        crate::upload::store::tus_insert(&conn, &tus("b", "page", false)).unwrap();
        crate::upload::store::tus_insert(&conn, &tus("c", "record", true)).unwrap();
        let facts = hub_upload_facts_for_exam(&conn, "ege-02").unwrap();
        let f = &facts["0101"];
        assert_eq!((f.files_received, f.bytes_received, f.pages_received, f.bundle_verified), (2, 240, 1, false));
        crate::upload::store::hub_bundle_insert(
            &conn,
            &crate::upload::store::HubBundleRow {
                exam_id: "ege-02".into(),
                ppe_code: "0101".into(),
                manifest_sha256: "feed".into(),
                via: "upload".into(),
                file_count: 2,
                total_bytes: 200,
                received_at: "2027-05-27T07:02:00Z".into(),
                receipt_json: "{}".into(),
            },
        )
        .unwrap();
        let f = &hub_upload_facts_for_exam(&conn, "ege-02").unwrap()["0101"];
        assert!(f.bundle_verified);
        assert_eq!((f.pages_verified, f.receipt_id.as_deref()), (1, Some("feed")));
        assert!(hub_upload_facts_for_exam(&conn, "oge-01").unwrap().is_empty());
        // A bundle imported from media has no tus rows: its pages are its files less the record.
        crate::upload::store::hub_bundle_insert(
            &conn,
            &crate::upload::store::HubBundleRow {
                exam_id: "ege-02".into(),
                ppe_code: "0202".into(),
                manifest_sha256: "beef".into(),
                via: "media".into(),
                file_count: 41,
                total_bytes: 4100,
                received_at: "2027-05-27T07:03:00Z".into(),
                receipt_json: "{}".into(),
            },
        )
        .unwrap();
        let f = &hub_upload_facts_for_exam(&conn, "ege-02").unwrap()["0202"];
        assert_eq!((f.bundle_verified, f.pages_verified, f.files_received), (true, 40, 0));
    }

    #[test]
    fn recordings_count_received_over_tus_and_verified_from_the_receipt() {
        let conn = crate::store::open_in_memory().unwrap();
        for (id, kind, done) in [("r1", "recording", true), ("r2", "recording", true), ("r3", "recording", false), ("p1", "page", true)] {
            let row = crate::upload::store::TusUploadRow {
                upload_id: id.into(),
                exam_id: "is-9".into(),
                ppe_code: "0101".into(),
                file_name: format!("{id}.wav"),
                kind: kind.into(),
                declared_sha256: "00".into(),
                upload_length: 100,
                upload_offset: if done { 100 } else { 40 },
                metadata_json: "{}".into(),
                created_at: "2027-02-11T07:00:00Z".into(),
                updated_at: "2027-02-11T07:01:00Z".into(),
                expires_at: "2027-02-12T07:00:00Z".into(),
                completed_at: done.then(|| "2027-02-11T07:01:00Z".into()),
                stored_sha256: None,
            };
            crate::upload::store::tus_insert(&conn, &row).unwrap();
        }
        let f = &hub_upload_facts_for_exam(&conn, "is-9").unwrap()["0101"];
        assert_eq!((f.participant_files_received, f.pages_received, f.participant_files_verified), (2, 1, 0), "an unfinished upload is not received");
        let bundle = |code: &str, via: &str, receipt_json: &str| crate::upload::store::HubBundleRow {
            exam_id: "is-9".into(),
            ppe_code: code.into(),
            manifest_sha256: format!("m{code}"),
            via: via.into(),
            file_count: 6,
            total_bytes: 600,
            received_at: "2027-02-11T07:02:00Z".into(),
            receipt_json: receipt_json.into(),
        };
        let listed = r#"{"receipt":{"participant_files":[{"sha256":"a"},{"sha256":"b"},{"sha256":"c"}]},"hub_signature_hex":""}"#;
        crate::upload::store::hub_bundle_insert(&conn, &bundle("0101", "upload", listed)).unwrap();
        crate::upload::store::hub_bundle_insert(&conn, &bundle("0202", "media", listed)).unwrap();
        crate::upload::store::hub_bundle_insert(&conn, &bundle("0303", "media", "not json")).unwrap();
        let facts = hub_upload_facts_for_exam(&conn, "is-9").unwrap();
        assert_eq!(facts["0101"].participant_files_verified, 3);
        assert_eq!(
            (facts["0202"].participant_files_verified, facts["0202"].pages_verified),
            (3, 2),
            "media: 6 files less the record and 3 recordings"
        );
        assert_eq!(facts["0303"].participant_files_verified, 0, "a receipt that does not parse counts nothing");
    }
}
