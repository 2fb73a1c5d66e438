//! SQL of local accounts: create, read, count failed attempts.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::Account;

pub fn account_create(tx: &Transaction<'_>, a: &Account, at: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO account (login, worker_id, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![a.login, a.worker_id, a.role.code(), a.password_hash, at],
    )?;
    Ok(())
}

pub fn account_get(conn: &Connection, login: &str) -> rusqlite::Result<Option<(Account, u32, Option<String>)>> {
    conn.query_row(
        "SELECT login, worker_id, role, password_hash, failed_attempts, locked_until FROM account WHERE login = ?1",
        [login],
        |r| {
            let role: String = r.get(2)?;
            Ok((
                Account {
                    login: r.get(0)?,
                    worker_id: r.get(1)?,
                    role: crate::model::WorkerRole::parse(&role).unwrap_or(crate::model::WorkerRole::OrganizerInRoom),
                    password_hash: r.get(3)?,
                },
                r.get::<_, i64>(4)? as u32,
                r.get(5)?,
            ))
        },
    )
    .optional()
}

pub fn account_record_attempt(conn: &Connection, login: &str, success: bool, locked_until: Option<&str>) -> rusqlite::Result<()> {
    if success {
        conn.execute("UPDATE account SET failed_attempts = 0, locked_until = NULL WHERE login = ?1", [login])?;
    } else {
        conn.execute("UPDATE account SET failed_attempts = failed_attempts + 1, locked_until = ?2 WHERE login = ?1", params![login, locked_until])?;
    }
    Ok(())
}

/// Replaces the password hash (a rehash at login, inside its transaction).
pub fn account_set_password_hash(tx: &Transaction<'_>, login: &str, password_hash: &str) -> rusqlite::Result<()> {
    tx.execute("UPDATE account SET password_hash = ?2 WHERE login = ?1", params![login, password_hash])?;
    Ok(())
}

/// How many accounts exist (none: the UI asks for the administrator's password first).
pub fn account_count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT COUNT(*) FROM account", [], |r| r.get::<_, i64>(0)).map(|n| n as u64)
}

/// (login, worker id, role) of every account, by login.
pub fn account_list(conn: &Connection) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut st = conn.prepare("SELECT login, worker_id, role FROM account ORDER BY login")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}
