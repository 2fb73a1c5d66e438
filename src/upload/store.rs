//! SQL of the upload on both sides: the box's per-file progress and receipts; the hub's box
//! keys, tus uploads and accepted bundles (what arrived when, per exam point, for the
//! dashboard).

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

// ---------- hub: box keys ----------

/// Registers (or replaces) a box's Ed25519 public key; called by `ppe hub enroll`.
pub fn register_box_key(conn: &Connection, ppe_code: &str, ed25519_public_hex: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO box_key (ppe_code, ed25519_public_hex, registered_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(ppe_code) DO UPDATE SET ed25519_public_hex = excluded.ed25519_public_hex, registered_at = excluded.registered_at",
        params![ppe_code, ed25519_public_hex, at],
    )?;
    Ok(())
}

pub fn box_key_get(conn: &Connection, ppe_code: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT ed25519_public_hex FROM box_key WHERE ppe_code = ?1", [ppe_code], |r| r.get(0)).optional()
}

// ---------- hub: tus uploads ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TusUploadRow {
    pub upload_id: String,
    pub exam_id: String,
    pub ppe_code: String,
    pub file_name: String,
    pub kind: String,
    pub declared_sha256: String,
    pub upload_length: u64,
    pub upload_offset: u64,
    pub metadata_json: String,
    pub created_at: String,
    pub updated_at: String,
    pub expires_at: String,
    pub completed_at: Option<String>,
    pub stored_sha256: Option<String>,
}

pub fn tus_insert(conn: &Connection, row: &TusUploadRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO tus_upload (upload_id, exam_id, ppe_code, file_name, kind, declared_sha256, upload_length,
           upload_offset, metadata_json, created_at, updated_at, expires_at, completed_at, stored_sha256)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            row.upload_id,
            row.exam_id,
            row.ppe_code,
            row.file_name,
            row.kind,
            row.declared_sha256,
            row.upload_length as i64,
            row.upload_offset as i64,
            row.metadata_json,
            row.created_at,
            row.updated_at,
            row.expires_at,
            row.completed_at,
            row.stored_sha256
        ],
    )?;
    Ok(())
}

fn tus_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TusUploadRow> {
    Ok(TusUploadRow {
        upload_id: r.get(0)?,
        exam_id: r.get(1)?,
        ppe_code: r.get(2)?,
        file_name: r.get(3)?,
        kind: r.get(4)?,
        declared_sha256: r.get(5)?,
        upload_length: r.get::<_, i64>(6)? as u64,
        upload_offset: r.get::<_, i64>(7)? as u64,
        metadata_json: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        expires_at: r.get(11)?,
        completed_at: r.get(12)?,
        stored_sha256: r.get(13)?,
    })
}

const TUS_COLUMNS: &str = "upload_id, exam_id, ppe_code, file_name, kind, declared_sha256, upload_length, upload_offset,
    metadata_json, created_at, updated_at, expires_at, completed_at, stored_sha256";

pub fn tus_get(conn: &Connection, upload_id: &str) -> rusqlite::Result<Option<TusUploadRow>> {
    conn.query_row(&format!("SELECT {TUS_COLUMNS} FROM tus_upload WHERE upload_id = ?1"), [upload_id], tus_from_row).optional()
}

/// Moves the acknowledged offset; called only after the bytes up to it are fsynced.
pub fn tus_set_offset(conn: &Connection, upload_id: &str, offset: u64, at: &str, expires_at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE tus_upload SET upload_offset = ?2, updated_at = ?3, expires_at = ?4 WHERE upload_id = ?1",
        params![upload_id, offset as i64, at, expires_at],
    )?;
    Ok(())
}

/// Moves an unfinished upload's offset back from `from` to `to`; `false` if the upload is
/// complete or its offset is no longer `from`.
pub fn tus_reset_offset(conn: &Connection, upload_id: &str, from: u64, to: u64, at: &str) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE tus_upload SET upload_offset = ?3, updated_at = ?4 WHERE upload_id = ?1 AND upload_offset = ?2 AND completed_at IS NULL",
        params![upload_id, from as i64, to as i64, at],
    )?;
    Ok(n == 1)
}

pub fn tus_complete(conn: &Connection, upload_id: &str, stored_sha256: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE tus_upload SET completed_at = ?2, stored_sha256 = ?3, updated_at = ?2 WHERE upload_id = ?1",
        params![upload_id, at, stored_sha256],
    )?;
    Ok(())
}

/// An upload of the same content that a box may have lost track of (killed between creation
/// and recording the URL): same exam point, name, declared hash and length, not expired; a
/// completed one only when its stored bytes hash to what was declared.
pub fn tus_find_same(conn: &Connection, row: &TusUploadRow, now: &str) -> rusqlite::Result<Option<TusUploadRow>> {
    conn.query_row(
        &format!(
            "SELECT {TUS_COLUMNS} FROM tus_upload WHERE exam_id = ?1 AND ppe_code = ?2 AND file_name = ?3 AND declared_sha256 = ?4
               AND upload_length = ?5 AND ((completed_at IS NOT NULL AND stored_sha256 = declared_sha256) OR (completed_at IS NULL AND expires_at >= ?6))
             ORDER BY completed_at IS NULL, upload_offset DESC LIMIT 1"
        ),
        params![row.exam_id, row.ppe_code, row.file_name, row.declared_sha256, row.upload_length as i64, now],
        tus_from_row,
    )
    .optional()
}

pub fn tus_delete(conn: &Connection, upload_id: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM tus_upload WHERE upload_id = ?1", [upload_id])? > 0)
}

/// Unfinished uploads whose expiry has passed (RFC 3339 strings in UTC compare as text).
pub fn tus_expired(conn: &Connection, now: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT upload_id FROM tus_upload WHERE completed_at IS NULL AND expires_at < ?1")?;
    let ids = stmt.query_map([now], |r| r.get(0))?.collect();
    ids
}

pub fn tus_for_point(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<TusUploadRow>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {TUS_COLUMNS} FROM tus_upload WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY created_at, upload_id"))?;
    let rows = stmt.query_map(params![exam_id, ppe_code], tus_from_row)?.collect();
    rows
}

/// What one box stores for an exam and what the plan expects of it there, for its allowance
/// (`upload::server::limits`): participants registered for the exam at the point and the
/// point's auditoriums, and the uploads (count, declared bytes) it holds for that exam; for an
/// exam the plan does not hold at the point, the uploads of every such exam together.
pub fn tus_box_usage(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<BoxUsage> {
    let registered: i64 =
        conn.query_row("SELECT COUNT(*) FROM registration WHERE exam_id = ?1 AND ppe_code = ?2", params![exam_id, ppe_code], |r| r.get(0))?;
    let auditoriums: i64 = conn.query_row("SELECT COUNT(*) FROM auditorium WHERE ppe_code = ?1", [ppe_code], |r| r.get(0))?;
    let (files, bytes): (i64, i64) = if registered > 0 {
        conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(upload_length), 0) FROM tus_upload WHERE exam_id = ?1 AND ppe_code = ?2",
            params![exam_id, ppe_code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
    } else {
        conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(upload_length), 0) FROM tus_upload t WHERE t.ppe_code = ?1 \
             AND NOT EXISTS (SELECT 1 FROM registration r WHERE r.exam_id = t.exam_id AND r.ppe_code = t.ppe_code)",
            [ppe_code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
    };
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(BoxUsage { registered: n(registered), auditoriums: n(auditoriums), files: n(files), bytes: n(bytes) })
}

/// See [`tus_box_usage`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BoxUsage {
    pub registered: u64,
    pub auditoriums: u64,
    pub files: u64,
    pub bytes: u64,
}

// ---------- hub: bundles ----------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HubBundleRow {
    pub exam_id: String,
    pub ppe_code: String,
    pub manifest_sha256: String,
    pub via: String,
    pub file_count: u64,
    pub total_bytes: u64,
    pub received_at: String,
    pub receipt_json: String,
}

/// Records an accepted bundle; a second acceptance of the same manifest keeps the first.
pub fn hub_bundle_insert(conn: &Connection, row: &HubBundleRow) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO hub_bundle (exam_id, ppe_code, manifest_sha256, via, file_count, total_bytes, received_at, receipt_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            row.exam_id,
            row.ppe_code,
            row.manifest_sha256,
            row.via,
            row.file_count as i64,
            row.total_bytes as i64,
            row.received_at,
            row.receipt_json
        ],
    )?;
    Ok(())
}

fn bundle_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HubBundleRow> {
    Ok(HubBundleRow {
        exam_id: r.get(0)?,
        ppe_code: r.get(1)?,
        manifest_sha256: r.get(2)?,
        via: r.get(3)?,
        file_count: r.get::<_, i64>(4)? as u64,
        total_bytes: r.get::<_, i64>(5)? as u64,
        received_at: r.get(6)?,
        receipt_json: r.get(7)?,
    })
}

pub fn hub_bundle_get(conn: &Connection, exam_id: &str, ppe_code: &str, manifest_sha256: &str) -> rusqlite::Result<Option<HubBundleRow>> {
    conn.query_row(
        "SELECT exam_id, ppe_code, manifest_sha256, via, file_count, total_bytes, received_at, receipt_json
         FROM hub_bundle WHERE exam_id = ?1 AND ppe_code = ?2 AND manifest_sha256 = ?3",
        params![exam_id, ppe_code, manifest_sha256],
        bundle_from_row,
    )
    .optional()
}

/// Bundles of an exam, per exam point, in arrival order (the dashboard's source).
pub fn hub_bundles_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<HubBundleRow>> {
    let mut stmt = conn.prepare(
        "SELECT exam_id, ppe_code, manifest_sha256, via, file_count, total_bytes, received_at, receipt_json
         FROM hub_bundle WHERE exam_id = ?1 ORDER BY ppe_code, received_at",
    )?;
    let rows = stmt.query_map([exam_id], bundle_from_row)?.collect();
    rows
}

/// Per exam point of an exam: bytes received so far over tus and whether a bundle is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointUploadSummary {
    pub ppe_code: String,
    pub files_started: u64,
    pub files_completed: u64,
    pub bytes_received: u64,
    pub last_activity_at: Option<String>,
    pub receipt_at: Option<String>,
}

pub fn upload_summary_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<PointUploadSummary>> {
    let mut stmt = conn.prepare(
        "SELECT p.ppe_code,
                (SELECT COUNT(*) FROM tus_upload t WHERE t.exam_id = ?1 AND t.ppe_code = p.ppe_code),
                (SELECT COUNT(*) FROM tus_upload t WHERE t.exam_id = ?1 AND t.ppe_code = p.ppe_code AND t.completed_at IS NOT NULL),
                (SELECT COALESCE(SUM(upload_offset), 0) FROM tus_upload t WHERE t.exam_id = ?1 AND t.ppe_code = p.ppe_code),
                (SELECT MAX(updated_at) FROM tus_upload t WHERE t.exam_id = ?1 AND t.ppe_code = p.ppe_code),
                (SELECT MIN(received_at) FROM hub_bundle b WHERE b.exam_id = ?1 AND b.ppe_code = p.ppe_code)
         FROM (SELECT ppe_code FROM tus_upload WHERE exam_id = ?1 UNION SELECT ppe_code FROM hub_bundle WHERE exam_id = ?1) p
         ORDER BY p.ppe_code",
    )?;
    let rows = stmt
        .query_map([exam_id], |r| {
            Ok(PointUploadSummary {
                ppe_code: r.get(0)?,
                files_started: r.get::<_, i64>(1)? as u64,
                files_completed: r.get::<_, i64>(2)? as u64,
                bytes_received: r.get::<_, i64>(3)? as u64,
                last_activity_at: r.get(4)?,
                receipt_at: r.get(5)?,
            })
        })?
        .collect();
    rows
}

// ---------- box: per-file progress and receipts ----------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadFileRow {
    pub exam_id: String,
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub upload_url: Option<String>,
    pub completed_at: Option<String>,
    /// Set (in batches) before the file's first byte is sent.
    pub started_at: Option<String>,
}

/// Makes sure a file of the bundle has a progress row; an existing row for the same content
/// keeps its URL and completion (that is what a restart resumes from).
pub fn upload_file_ensure(conn: &Connection, exam_id: &str, name: &str, sha256: &str, size: u64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO upload_file (exam_id, name, sha256, size) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(exam_id, name) DO UPDATE SET
           upload_url = CASE WHEN upload_file.sha256 = excluded.sha256 THEN upload_file.upload_url ELSE NULL END,
           completed_at = CASE WHEN upload_file.sha256 = excluded.sha256 THEN upload_file.completed_at ELSE NULL END,
           started_at = CASE WHEN upload_file.sha256 = excluded.sha256 THEN upload_file.started_at ELSE NULL END,
           sha256 = excluded.sha256, size = excluded.size",
        params![exam_id, name, sha256, size as i64],
    )?;
    Ok(())
}

pub fn upload_file_get(conn: &Connection, exam_id: &str, name: &str) -> rusqlite::Result<Option<UploadFileRow>> {
    conn.query_row(
        "SELECT exam_id, name, sha256, size, upload_url, completed_at, started_at FROM upload_file WHERE exam_id = ?1 AND name = ?2",
        params![exam_id, name],
        |r| {
            Ok(UploadFileRow {
                exam_id: r.get(0)?,
                name: r.get(1)?,
                sha256: r.get(2)?,
                size: r.get::<_, i64>(3)? as u64,
                upload_url: r.get(4)?,
                completed_at: r.get(5)?,
                started_at: r.get(6)?,
            })
        },
    )
    .optional()
}

/// Box side: how far the upload of an exam's bundle got, from the per-file progress (bytes done counts completed files), as (bytes_done, bytes_total, files_done,
/// files_total).
pub fn box_upload_progress(conn: &Connection, exam_id: &str) -> rusqlite::Result<(u64, u64, u64, u64)> {
    conn.query_row(
        "SELECT COALESCE(SUM(CASE WHEN completed_at IS NOT NULL THEN size END), 0), COALESCE(SUM(size), 0), COUNT(completed_at), COUNT(*)
         FROM upload_file WHERE exam_id = ?1",
        [exam_id],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64, r.get::<_, i64>(3)? as u64)),
    )
}

/// Marks files as started (the caller's transaction holds a batch of them).
pub fn upload_file_mark_started(conn: &Connection, exam_id: &str, name: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE upload_file SET started_at = COALESCE(started_at, ?3) WHERE exam_id = ?1 AND name = ?2", params![exam_id, name, at])?;
    Ok(())
}

pub fn upload_file_set_url(conn: &Connection, exam_id: &str, name: &str, url: Option<&str>) -> rusqlite::Result<()> {
    conn.execute("UPDATE upload_file SET upload_url = ?3 WHERE exam_id = ?1 AND name = ?2", params![exam_id, name, url])?;
    Ok(())
}

pub fn upload_file_complete(conn: &Connection, exam_id: &str, name: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute("UPDATE upload_file SET completed_at = ?3 WHERE exam_id = ?1 AND name = ?2", params![exam_id, name, at])?;
    Ok(())
}

pub fn receipt_insert(conn: &Connection, exam_id: &str, manifest_sha256: &str, receipt_json: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO upload_receipt (exam_id, manifest_sha256, receipt_json, received_at) VALUES (?1, ?2, ?3, ?4)",
        params![exam_id, manifest_sha256, receipt_json, at],
    )?;
    Ok(())
}

/// The newest receipt held for an exam.
pub fn receipt_latest(conn: &Connection, exam_id: &str) -> rusqlite::Result<Option<(String, String)>> {
    conn.query_row("SELECT manifest_sha256, receipt_json FROM upload_receipt WHERE exam_id = ?1 ORDER BY received_at DESC LIMIT 1", [exam_id], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
}

/// Names of an exam's files the hub acknowledged in full (what a streaming pass skips).
pub fn upload_files_completed(conn: &Connection, exam_id: &str) -> rusqlite::Result<std::collections::HashSet<String>> {
    let mut st = conn.prepare("SELECT name FROM upload_file WHERE exam_id = ?1 AND completed_at IS NOT NULL")?;
    let rows = st.query_map([exam_id], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// Adds a streaming pass's bytes and sending time to the exam's link measurement, with the
/// round trip it saw.
pub fn upload_link_record(conn: &Connection, exam_id: &str, bytes_sent: u64, sending_ms: u64, rtt_ms: u64, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO upload_link (exam_id, bytes_sent, sending_ms, rtt_ms, measured_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(exam_id) DO UPDATE SET bytes_sent = upload_link.bytes_sent + excluded.bytes_sent,
           sending_ms = upload_link.sending_ms + excluded.sending_ms, rtt_ms = excluded.rtt_ms, measured_at = excluded.measured_at",
        params![exam_id, bytes_sent as i64, sending_ms as i64, rtt_ms as i64, at],
    )?;
    Ok(())
}

/// (bytes sent, sending milliseconds, last round trip in milliseconds) of an exam's link.
pub fn upload_link_get(conn: &Connection, exam_id: &str) -> rusqlite::Result<Option<(u64, u64, u64)>> {
    conn.query_row("SELECT bytes_sent, sending_ms, rtt_ms FROM upload_link WHERE exam_id = ?1", [exam_id], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64))
    })
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_key_registration_replaces_and_reads_back() {
        let conn = crate::store::open_in_memory().unwrap();
        assert_eq!(box_key_get(&conn, "0101").unwrap(), None);
        register_box_key(&conn, "0101", "aa", "t1").unwrap();
        register_box_key(&conn, "0101", "bb", "t2").unwrap();
        assert_eq!(box_key_get(&conn, "0101").unwrap().as_deref(), Some("bb"));
    }

    #[test]
    fn upload_file_progress_survives_reensure_unless_content_changed() {
        let conn = crate::store::open_in_memory().unwrap();
        upload_file_ensure(&conn, "e", "a", "h1", 3).unwrap();
        upload_file_set_url(&conn, "e", "a", Some("http://x/1")).unwrap();
        upload_file_ensure(&conn, "e", "a", "h1", 3).unwrap();
        assert_eq!(upload_file_get(&conn, "e", "a").unwrap().unwrap().upload_url.as_deref(), Some("http://x/1"));
        upload_file_mark_started(&conn, "e", "a", "t1").unwrap();
        upload_file_mark_started(&conn, "e", "a", "t2").unwrap();
        assert_eq!(upload_file_get(&conn, "e", "a").unwrap().unwrap().started_at.as_deref(), Some("t1"), "the first start is kept");
        upload_file_ensure(&conn, "e", "a", "h1", 3).unwrap();
        assert!(upload_file_get(&conn, "e", "a").unwrap().unwrap().started_at.is_some());
        upload_file_ensure(&conn, "e", "a", "h2", 4).unwrap();
        let changed = upload_file_get(&conn, "e", "a").unwrap().unwrap();
        assert_eq!((changed.upload_url, changed.started_at), (None, None), "new content starts over");
    }

    #[test]
    fn the_link_measurement_adds_up_over_passes_and_completed_names_are_listed() {
        let conn = crate::store::open_in_memory().unwrap();
        assert_eq!(upload_link_get(&conn, "e").unwrap(), None);
        upload_link_record(&conn, "e", 1000, 4, 200, "t1").unwrap();
        upload_link_record(&conn, "e", 3000, 8, 180, "t2").unwrap();
        assert_eq!(upload_link_get(&conn, "e").unwrap(), Some((4000, 12, 180)), "sums, and the last round trip");
        assert_eq!(upload_link_get(&conn, "other").unwrap(), None, "per exam");
        upload_file_ensure(&conn, "e", "a", "h1", 3).unwrap();
        upload_file_ensure(&conn, "e", "b", "h2", 3).unwrap();
        upload_file_complete(&conn, "e", "b", "t").unwrap();
        assert_eq!(upload_files_completed(&conn, "e").unwrap(), ["b".to_string()].into_iter().collect());
    }
}
