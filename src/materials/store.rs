//! SQL of materials, both sides: the hub's boxes, packages and key releases; the box's
//! accepted manifests, verified files, keys, clock offsets, activations and alarms.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// A box as the hub enrolled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubBox {
    pub ppe_code: String,
    pub cert_sha256: String,
    pub signing_public_key: String,
}

pub fn hub_box_upsert(tx: &Transaction<'_>, b: &HubBox, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO hub_box (ppe_code, cert_sha256, signing_public_key, enrolled_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(ppe_code) DO UPDATE SET cert_sha256=excluded.cert_sha256, signing_public_key=excluded.signing_public_key, enrolled_at=excluded.enrolled_at",
        params![b.ppe_code, b.cert_sha256, b.signing_public_key, at],
    )?;
    Ok(())
}

pub fn hub_box_by_cert(conn: &Connection, cert_sha256: &str) -> rusqlite::Result<Option<HubBox>> {
    conn.query_row("SELECT ppe_code, cert_sha256, signing_public_key FROM hub_box WHERE cert_sha256 = ?1", [cert_sha256], |r| {
        Ok(HubBox { ppe_code: r.get(0)?, cert_sha256: r.get(1)?, signing_public_key: r.get(2)? })
    })
    .optional()
}

pub fn hub_box_get(conn: &Connection, ppe_code: &str) -> rusqlite::Result<Option<HubBox>> {
    conn.query_row("SELECT ppe_code, cert_sha256, signing_public_key FROM hub_box WHERE ppe_code = ?1", [ppe_code], |r| {
        Ok(HubBox { ppe_code: r.get(0)?, cert_sha256: r.get(1)?, signing_public_key: r.get(2)? })
    })
    .optional()
}

/// A published package as the hub keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubPackage {
    pub exam_id: String,
    pub ppe_code: String,
    pub version: u64,
    pub package_id: String,
    pub package_key_hex: String,
    pub manifest_sha256: String,
}

pub fn hub_package_latest_version(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Option<u64>> {
    conn.query_row("SELECT MAX(version) FROM hub_package WHERE exam_id = ?1 AND ppe_code = ?2", [exam_id, ppe_code], |r| r.get::<_, Option<i64>>(0))
        .map(|v| v.map(|v| v as u64))
}

pub fn hub_package_insert(tx: &Transaction<'_>, p: &HubPackage, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO hub_package (exam_id, ppe_code, version, package_id, package_key, manifest_sha256, published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![p.exam_id, p.ppe_code, p.version as i64, p.package_id, p.package_key_hex, p.manifest_sha256, at],
    )?;
    Ok(())
}

pub fn hub_package_latest(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Option<HubPackage>> {
    conn.query_row(
        "SELECT exam_id, ppe_code, version, package_id, package_key, manifest_sha256 FROM hub_package
         WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY version DESC LIMIT 1",
        [exam_id, ppe_code],
        |r| {
            Ok(HubPackage {
                exam_id: r.get(0)?,
                ppe_code: r.get(1)?,
                version: r.get::<_, i64>(2)? as u64,
                package_id: r.get(3)?,
                package_key_hex: r.get(4)?,
                manifest_sha256: r.get(5)?,
            })
        },
    )
    .optional()
}

/// One key request's outcome; `gek_worker_id` is the ГЭК member its proof named, if any.
#[allow(clippy::too_many_arguments)]
pub fn hub_key_release_log(tx: &Transaction<'_>, at: &str, exam_id: &str, ppe_code: &str, package_id: Option<&str>, released: bool, reason: &str, gek_worker_id: Option<&str>) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO hub_key_release (at, exam_id, ppe_code, package_id, outcome, reason, gek_worker_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![at, exam_id, ppe_code, package_id, if released { "released" } else { "refused" }, reason, gek_worker_id],
    )?;
    Ok(())
}

/// (exam point, ГЭК member) of every key actually released for an exam, oldest first.
pub fn hub_keys_released(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<(String, Option<String>)>> {
    let mut st = conn.prepare("SELECT ppe_code, gek_worker_id FROM hub_key_release WHERE exam_id = ?1 AND outcome = 'released' ORDER BY id")?;
    let rows = st.query_map([exam_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// (outcome, reason) of every key request for an exam, oldest first.
pub fn hub_key_releases(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut st = conn.prepare("SELECT ppe_code, outcome, reason FROM hub_key_release WHERE exam_id = ?1 ORDER BY id")?;
    let rows = st.query_map([exam_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// The manifest a box accepted for an exam (the highest version it has seen).
pub fn manifest_get(conn: &Connection, exam_id: &str) -> rusqlite::Result<Option<(u64, String)>> {
    conn.query_row("SELECT version, manifest_json FROM materials_manifest WHERE exam_id = ?1", [exam_id], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
        .optional()
}

pub fn manifest_accept(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, version: u64, package_id: &str, manifest_json: &str, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO materials_manifest (exam_id, ppe_code, version, package_id, manifest_json, accepted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(exam_id) DO UPDATE SET ppe_code=excluded.ppe_code, version=excluded.version, package_id=excluded.package_id,
           manifest_json=excluded.manifest_json, accepted_at=excluded.accepted_at",
        params![exam_id, ppe_code, version as i64, package_id, manifest_json, at],
    )?;
    Ok(())
}

pub fn file_verified(tx: &Connection, exam_id: &str, package_id: &str, name: &str, cipher_sha256: &str, cipher_len: u64, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO materials_file (exam_id, package_id, name, cipher_sha256, cipher_len, verified_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![exam_id, package_id, name, cipher_sha256, cipher_len as i64, at],
    )?;
    Ok(())
}

pub fn files_verified(conn: &Connection, exam_id: &str, package_id: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("SELECT name FROM materials_file WHERE exam_id = ?1 AND package_id = ?2 ORDER BY name")?;
    let rows = st.query_map([exam_id, package_id], |r| r.get(0))?;
    rows.collect()
}

pub fn key_received(tx: &Transaction<'_>, exam_id: &str, package_id: &str, version: u64, at: &str, hub_time: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO materials_key (exam_id, package_id, version, received_at, hub_time) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![exam_id, package_id, version as i64, at, hub_time],
    )?;
    Ok(())
}

/// The package id whose key the box holds for an exam.
pub fn key_get(conn: &Connection, exam_id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT package_id FROM materials_key WHERE exam_id = ?1", [exam_id], |r| r.get(0)).optional()
}

pub fn clock_offset_record(conn: &Connection, observed_at: &str, hub_time: &str, offset_ms: i64) -> rusqlite::Result<()> {
    conn.execute("INSERT INTO materials_clock_offset (observed_at, hub_time, offset_ms) VALUES (?1, ?2, ?3)", params![observed_at, hub_time, offset_ms])?;
    Ok(())
}

/// The latest known offset (hub − box), milliseconds.
pub fn clock_offset_latest(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    conn.query_row("SELECT offset_ms FROM materials_clock_offset ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).optional()
}

pub fn activation_insert(tx: &Transaction<'_>, exam_id: &str, package_id: &str, gek_worker_id: &str, gek_login: &str, pulled_by: &str, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO materials_activation (exam_id, package_id, gek_worker_id, gek_login, pulled_by, activated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![exam_id, package_id, gek_worker_id, gek_login, pulled_by, at],
    )?;
    Ok(())
}

/// The ГЭК member's worker id who activated this package, if anyone has.
pub fn activation_get(conn: &Connection, exam_id: &str, package_id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT gek_worker_id FROM materials_activation WHERE exam_id = ?1 AND package_id = ?2", [exam_id, package_id], |r| r.get(0))
        .optional()
}

/// Who activated this package (the ГЭК member's worker id) and when (RFC 3339).
pub fn activation_of(conn: &Connection, exam_id: &str, package_id: &str) -> rusqlite::Result<Option<(String, String)>> {
    conn.query_row("SELECT gek_worker_id, activated_at FROM materials_activation WHERE exam_id = ?1 AND package_id = ?2", [exam_id, package_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// Raises an alarm once per (exam, kind); returns whether it is new.
pub fn alarm_raise(tx: &Transaction<'_>, exam_id: &str, kind: &str, message: &str, at: &str) -> rusqlite::Result<bool> {
    let n = tx.execute(
        "INSERT OR IGNORE INTO materials_alarm (exam_id, kind, message, raised_at) VALUES (?1, ?2, ?3, ?4)",
        params![exam_id, kind, message, at],
    )?;
    Ok(n == 1)
}

/// (exam_id, kind, message, raised_at) of every alarm.
pub fn alarms(conn: &Connection) -> rusqlite::Result<Vec<(String, String, String, String)>> {
    let mut st = conn.prepare("SELECT exam_id, kind, message, raised_at FROM materials_alarm ORDER BY id")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}
