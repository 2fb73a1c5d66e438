//! SQL of the hub's ГЭК credentials and one-time challenges.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{CredentialKind, GekCredential};

fn row_credential(r: &rusqlite::Row<'_>) -> rusqlite::Result<GekCredential> {
    let kind: String = r.get(1)?;
    Ok(GekCredential {
        worker_id: r.get(0)?,
        kind: CredentialKind::from_code(&kind).ok_or_else(|| rusqlite::Error::InvalidColumnType(1, kind, rusqlite::types::Type::Text))?,
        public_key: r.get(2)?,
        enrolled_by: r.get(3)?,
        enrolled_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

const CREDENTIAL_COLUMNS: &str = "worker_id, kind, public_key, enrolled_by, enrolled_at, revoked_at";

pub fn credential_insert(tx: &Transaction<'_>, c: &GekCredential) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO gek_credential (worker_id, kind, public_key, enrolled_by, enrolled_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![c.worker_id, c.kind.code(), c.public_key, c.enrolled_by, c.enrolled_at, c.revoked_at],
    )?;
    Ok(())
}

/// The member's active credential of a kind.
pub fn credential_active(conn: &Connection, worker_id: &str, kind: CredentialKind) -> rusqlite::Result<Option<GekCredential>> {
    conn.query_row(
        &format!("SELECT {CREDENTIAL_COLUMNS} FROM gek_credential WHERE worker_id = ?1 AND kind = ?2 AND revoked_at IS NULL"),
        params![worker_id, kind.code()],
        row_credential,
    )
    .optional()
}

/// Every credential ever enrolled, oldest first.
pub fn credential_list(conn: &Connection) -> rusqlite::Result<Vec<GekCredential>> {
    let mut st = conn.prepare(&format!("SELECT {CREDENTIAL_COLUMNS} FROM gek_credential ORDER BY id"))?;
    let rows = st.query_map([], row_credential)?;
    rows.collect()
}

/// Revokes the member's active credentials; how many there were.
pub fn credential_revoke(tx: &Transaction<'_>, worker_id: &str, at: &str) -> rusqlite::Result<usize> {
    tx.execute("UPDATE gek_credential SET revoked_at = ?2 WHERE worker_id = ?1 AND revoked_at IS NULL", params![worker_id, at])
}

pub fn challenge_insert(conn: &Connection, challenge: &str, ppe_code: &str, exam_id: &str, issued_at: &str, expires_at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO gek_challenge (challenge, ppe_code, exam_id, issued_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![challenge, ppe_code, exam_id, issued_at, expires_at],
    )?;
    Ok(())
}

/// (exam point, exam, expires at, used) of a challenge.
pub fn challenge_get(conn: &Connection, challenge: &str) -> rusqlite::Result<Option<(String, String, String, bool)>> {
    conn.query_row("SELECT ppe_code, exam_id, expires_at, used_at IS NOT NULL FROM gek_challenge WHERE challenge = ?1", [challenge], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })
    .optional()
}

/// Marks a challenge used; false if it was already used (or never issued), so two requests
/// racing with one challenge cannot both succeed.
pub fn challenge_consume(tx: &Transaction<'_>, challenge: &str, at: &str) -> rusqlite::Result<bool> {
    Ok(tx.execute("UPDATE gek_challenge SET used_at = ?2 WHERE challenge = ?1 AND used_at IS NULL", params![challenge, at])? == 1)
}

/// Forgets challenges that expired before `before` (they can never be used).
pub fn challenge_purge(conn: &Connection, before: &str) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM gek_challenge WHERE expires_at < ?1", [before])
}

/// A registration started on the dashboard: (id, member, webauthn-rs state, operator, expires at).
pub fn registration_insert(conn: &Connection, id: &str, worker_id: &str, state: &str, started_by: &str, expires_at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO gek_registration (id, worker_id, state, started_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, worker_id, state, started_by, expires_at],
    )?;
    Ok(())
}

/// Takes a started registration out (one-time): (member, state, operator, expires at).
pub fn registration_take(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<Option<(String, String, String, String)>> {
    tx.query_row("DELETE FROM gek_registration WHERE id = ?1 RETURNING worker_id, state, started_by, expires_at", [id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).optional()
}

/// Forgets registrations that expired before `before`.
pub fn registration_purge(conn: &Connection, before: &str) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM gek_registration WHERE expires_at < ?1", [before])
}

/// Every active security key (to refuse one key registered for two members).
pub fn webauthn_active(conn: &Connection) -> rusqlite::Result<Vec<GekCredential>> {
    let mut st = conn.prepare(&format!("SELECT {CREDENTIAL_COLUMNS} FROM gek_credential WHERE kind = 'webauthn' AND revoked_at IS NULL ORDER BY id"))?;
    let rows = st.query_map([], row_credential)?;
    rows.collect()
}

/// Replaces the stored passkey of the member's active security key (its counter moved on).
pub fn webauthn_update(tx: &Transaction<'_>, worker_id: &str, passkey_json: &str) -> rusqlite::Result<usize> {
    tx.execute("UPDATE gek_credential SET public_key = ?2 WHERE worker_id = ?1 AND kind = 'webauthn' AND revoked_at IS NULL", params![worker_id, passkey_json])
}

/// A challenge for a security key: bound to the member and to the key request's `box_public`,
/// keeping webauthn-rs's authentication state.
#[allow(clippy::too_many_arguments)]
pub fn challenge_insert_webauthn(conn: &Connection, challenge: &str, ppe_code: &str, exam_id: &str, issued_at: &str, expires_at: &str, worker_id: &str, box_public: &str, state: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO gek_challenge (challenge, ppe_code, exam_id, issued_at, expires_at, worker_id, box_public, webauthn_state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![challenge, ppe_code, exam_id, issued_at, expires_at, worker_id, box_public, state],
    )?;
    Ok(())
}

/// (member, box_public, webauthn state) a security-key challenge was issued for.
pub fn challenge_binding(conn: &Connection, challenge: &str) -> rusqlite::Result<Option<(String, String, String)>> {
    conn.query_row("SELECT worker_id, box_public, webauthn_state FROM gek_challenge WHERE challenge = ?1 AND webauthn_state IS NOT NULL", [challenge], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .optional()
}
