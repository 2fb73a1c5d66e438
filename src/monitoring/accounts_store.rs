//! SQL of РЦОИ operator accounts and their sessions.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::accounts::{Operator, OperatorRole, Session};

pub fn operator_create(tx: &Transaction<'_>, op: &Operator, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO hub_operator (login, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![op.login, op.role.code(), op.password_hash, at],
    )?;
    Ok(())
}

/// The operator with its failed-attempt count and lock time.
pub fn operator_get(conn: &Connection, login: &str) -> rusqlite::Result<Option<(Operator, u32, Option<String>)>> {
    conn.query_row("SELECT login, role, password_hash, failed_attempts, locked_until FROM hub_operator WHERE login = ?1", [login], |r| {
        let role: String = r.get(1)?;
        Ok((
            // An unknown role in the table (edited by hand) gets the least rights.
            Operator { login: r.get(0)?, role: OperatorRole::parse(&role).unwrap_or(OperatorRole::Viewer), password_hash: r.get(2)? },
            r.get::<_, i64>(3)? as u32,
            r.get(4)?,
        ))
    })
    .optional()
}

/// (login, role code, failed logins since the last right one) of every operator, by login.
pub fn operator_list(conn: &Connection) -> rusqlite::Result<Vec<(String, String, u32)>> {
    let mut st = conn.prepare("SELECT login, role, failed_attempts FROM hub_operator ORDER BY login")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u32)))?;
    rows.collect()
}

pub fn operator_record_attempt(tx: &Transaction<'_>, login: &str, success: bool, locked_until: Option<&str>) -> rusqlite::Result<()> {
    if success {
        tx.execute("UPDATE hub_operator SET failed_attempts = 0, locked_until = NULL WHERE login = ?1", [login])?;
    } else {
        tx.execute("UPDATE hub_operator SET failed_attempts = failed_attempts + 1, locked_until = ?2 WHERE login = ?1", params![login, locked_until])?;
    }
    Ok(())
}

/// Replaces the password hash (a rehash at login, inside its transaction).
pub fn operator_set_password_hash(tx: &Transaction<'_>, login: &str, password_hash: &str) -> rusqlite::Result<()> {
    tx.execute("UPDATE hub_operator SET password_hash = ?2 WHERE login = ?1", params![login, password_hash])?;
    Ok(())
}

pub fn session_insert(tx: &Transaction<'_>, token_sha256: &str, login: &str, csrf_token: &str, created_at: &str, expires_at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO hub_operator_session (token_sha256, login, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_sha256, login, csrf_token, created_at, expires_at],
    )?;
    Ok(())
}

/// The session and its operator's current role (a role changed after login applies at once).
pub fn session_get(conn: &Connection, token_sha256: &str) -> rusqlite::Result<Option<Session>> {
    conn.query_row(
        "SELECT s.login, o.role, s.csrf_token, s.expires_at FROM hub_operator_session s JOIN hub_operator o ON o.login = s.login
         WHERE s.token_sha256 = ?1",
        [token_sha256],
        |r| {
            let role: String = r.get(1)?;
            Ok(Session { login: r.get(0)?, role: OperatorRole::parse(&role).unwrap_or(OperatorRole::Viewer), csrf_token: r.get(2)?, expires_at: r.get(3)? })
        },
    )
    .optional()
}

pub fn session_delete(conn: &Connection, token_sha256: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM hub_operator_session WHERE token_sha256 = ?1", [token_sha256])? > 0)
}

pub fn sessions_delete_expired(conn: &Connection, now: &str) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM hub_operator_session WHERE expires_at <= ?1", [now])
}
