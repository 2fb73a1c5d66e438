//! SQL of the key by phone (migration 0050), both sides: the box's seals, wrong codes, lock and
//! offline activations; the hub's seal secrets and disclosures.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::Disclosure;

/// A seal as the box keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxSeal {
    pub exam_id: String,
    pub package_id: String,
    pub version: u64,
    pub box_secret_hex: String,
    pub sealed_key_hex: String,
    pub iterations: u32,
    pub wrong_codes: u32,
    pub locked_at: Option<String>,
}

/// Keeps the seal of an exam's package (a new package's seal replaces an older one and its
/// count of wrong codes; the same package's is never replaced, so its lock stands).
pub fn seal_put(tx: &Transaction<'_>, s: &BoxSeal, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO phone_seal (exam_id, package_id, version, box_secret, sealed_key, iterations, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(exam_id) DO UPDATE SET package_id=excluded.package_id, version=excluded.version, box_secret=excluded.box_secret,
           sealed_key=excluded.sealed_key, iterations=excluded.iterations, fetched_at=excluded.fetched_at, wrong_codes=0, locked_at=NULL
         WHERE phone_seal.package_id <> excluded.package_id",
        params![s.exam_id, s.package_id, s.version as i64, s.box_secret_hex, s.sealed_key_hex, s.iterations, at],
    )?;
    Ok(())
}

fn box_seal(r: &rusqlite::Row<'_>) -> rusqlite::Result<BoxSeal> {
    Ok(BoxSeal {
        exam_id: r.get(0)?,
        package_id: r.get(1)?,
        version: r.get::<_, i64>(2)? as u64,
        box_secret_hex: r.get(3)?,
        sealed_key_hex: r.get(4)?,
        iterations: r.get(5)?,
        wrong_codes: r.get(6)?,
        locked_at: r.get(7)?,
    })
}

const SEAL_COLUMNS: &str = "exam_id, package_id, version, box_secret, sealed_key, iterations, wrong_codes, locked_at";

pub fn seal_get(conn: &Connection, exam_id: &str) -> rusqlite::Result<Option<BoxSeal>> {
    conn.query_row(&format!("SELECT {SEAL_COLUMNS} FROM phone_seal WHERE exam_id = ?1"), [exam_id], box_seal).optional()
}

/// Every seal the box holds (a code is matched against all of them).
pub fn seals(conn: &Connection) -> rusqlite::Result<Vec<BoxSeal>> {
    let mut st = conn.prepare(&format!("SELECT {SEAL_COLUMNS} FROM phone_seal ORDER BY exam_id"))?;
    let rows = st.query_map([], box_seal)?;
    rows.collect()
}

/// Counts a wrong code; locks the seal at `limit`. Returns (wrong codes now, locked now).
pub fn wrong_code(tx: &Transaction<'_>, exam_id: &str, limit: u32, at: &str) -> rusqlite::Result<(u32, bool)> {
    tx.execute("UPDATE phone_seal SET wrong_codes = wrong_codes + 1 WHERE exam_id = ?1", [exam_id])?;
    let n: u32 = tx.query_row("SELECT wrong_codes FROM phone_seal WHERE exam_id = ?1", [exam_id], |r| r.get(0))?;
    let locked = tx.execute(
        "UPDATE phone_seal SET locked_at = ?2 WHERE exam_id = ?1 AND locked_at IS NULL AND wrong_codes >= ?3",
        params![exam_id, at, limit],
    )? == 1;
    Ok((n, locked))
}

/// The box's record of one offline activation (it travels in the bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneActivationRow {
    pub exam_id: String,
    pub package_id: String,
    pub version: u64,
    pub typed_by: String,
    pub worker_id: Option<String>,
    pub code_hub_time: String,
    pub box_time: String,
}

pub fn activation_insert(tx: &Transaction<'_>, a: &PhoneActivationRow) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO phone_activation (exam_id, package_id, version, typed_by, worker_id, code_hub_time, box_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![a.exam_id, a.package_id, a.version as i64, a.typed_by, a.worker_id, a.code_hub_time, a.box_time],
    )?;
    Ok(())
}

pub fn activations_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<PhoneActivationRow>> {
    let mut st = conn.prepare(
        "SELECT exam_id, package_id, version, typed_by, worker_id, code_hub_time, box_time FROM phone_activation WHERE exam_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([exam_id], |r| {
        Ok(PhoneActivationRow {
            exam_id: r.get(0)?,
            package_id: r.get(1)?,
            version: r.get::<_, i64>(2)? as u64,
            typed_by: r.get(3)?,
            worker_id: r.get(4)?,
            code_hub_time: r.get(5)?,
            box_time: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// The secrets of one seal as the hub keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSeal {
    pub exam_id: String,
    pub ppe_code: String,
    pub package_id: String,
    pub version: u64,
    pub box_secret_hex: String,
    pub code_secret: u64,
    pub iterations: u32,
}

/// Records a seal unless one exists for the same package (then the first stands); returns
/// the seal as kept.
pub fn hub_seal_put(tx: &Transaction<'_>, s: &HubSeal, at: &str) -> rusqlite::Result<HubSeal> {
    tx.execute(
        "INSERT OR IGNORE INTO hub_phone_seal (exam_id, ppe_code, package_id, version, box_secret, code_secret, iterations, issued_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![s.exam_id, s.ppe_code, s.package_id, s.version as i64, s.box_secret_hex, format!("{:012}", s.code_secret), s.iterations, at],
    )?;
    hub_seal_of(tx, &s.exam_id, &s.ppe_code, Some(&s.package_id)).map(|kept| kept.unwrap_or_else(|| s.clone()))
}

/// The seal of a package (`None`: the latest version sealed) for an exam point.
pub fn hub_seal_of(conn: &Connection, exam_id: &str, ppe_code: &str, package_id: Option<&str>) -> rusqlite::Result<Option<HubSeal>> {
    conn.query_row(
        "SELECT exam_id, ppe_code, package_id, version, box_secret, code_secret, iterations FROM hub_phone_seal
         WHERE exam_id = ?1 AND ppe_code = ?2 AND (?3 IS NULL OR package_id = ?3) ORDER BY version DESC LIMIT 1",
        params![exam_id, ppe_code, package_id],
        |r| {
            Ok(HubSeal {
                exam_id: r.get(0)?,
                ppe_code: r.get(1)?,
                package_id: r.get(2)?,
                version: r.get::<_, i64>(3)? as u64,
                box_secret_hex: r.get(4)?,
                code_secret: r.get::<_, String>(5)?.parse().unwrap_or(u64::MAX),
                iterations: r.get(6)?,
            })
        },
    )
    .optional()
}

#[allow(clippy::too_many_arguments)]
pub fn hub_disclosure_insert(
    tx: &Transaction<'_>,
    exam_id: &str,
    ppe_code: &str,
    package_id: &str,
    gek_worker_id: &str,
    operator: &str,
    hub_time: &str,
    minutes: u16,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO hub_phone_disclosure (exam_id, ppe_code, package_id, gek_worker_id, operator_login, hub_time, minutes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![exam_id, ppe_code, package_id, gek_worker_id, operator, hub_time, minutes],
    )?;
    Ok(())
}

/// Every code disclosed for an exam point, oldest first.
pub fn hub_disclosures(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<Disclosure>> {
    let mut st = conn.prepare(
        "SELECT package_id, hub_time, gek_worker_id, operator_login FROM hub_phone_disclosure WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY id",
    )?;
    let rows = st.query_map([exam_id, ppe_code], |r| {
        Ok(Disclosure { package_id: r.get(0)?, hub_time: r.get(1)?, gek_worker_id: r.get(2)?, operator_login: r.get(3)? })
    })?;
    rows.collect()
}

/// The role code of a РЦОИ operator account, if there is one with that login.
pub fn hub_operator_role(conn: &Connection, login: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT role FROM hub_operator WHERE login = ?1", [login], |r| r.get(0)).optional()
}
