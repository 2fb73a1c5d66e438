//! SQL of the first start's one-time code (`ui_setup_code`, one row at most): only the code's
//! SHA-256 is kept, with the failed attempts since it was armed.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// The armed code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupCodeRow {
    pub code_sha256: String,
    pub source: String,
    pub failed_attempts: u32,
    pub locked_until: Option<String>,
}

/// Arms a code (replacing an older one, failures cleared).
pub fn setup_code_arm(conn: &Connection, code_sha256: &str, source: &str, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO ui_setup_code (id, code_sha256, source, armed_at, failed_attempts, locked_until) VALUES (1, ?1, ?2, ?3, 0, NULL) \
         ON CONFLICT (id) DO UPDATE SET code_sha256 = excluded.code_sha256, source = excluded.source, armed_at = excluded.armed_at, failed_attempts = 0, locked_until = NULL",
        params![code_sha256, source, at],
    )?;
    Ok(())
}

pub fn setup_code_get(conn: &Connection) -> rusqlite::Result<Option<SetupCodeRow>> {
    conn.query_row("SELECT code_sha256, source, failed_attempts, locked_until FROM ui_setup_code WHERE id = 1", [], |r| {
        Ok(SetupCodeRow { code_sha256: r.get(0)?, source: r.get(1)?, failed_attempts: r.get::<_, i64>(2)? as u32, locked_until: r.get(3)? })
    })
    .optional()
}

/// One more wrong code; `locked_until` set once too many were tried.
pub fn setup_code_record_failure(conn: &Connection, locked_until: Option<&str>) -> rusqlite::Result<()> {
    conn.execute("UPDATE ui_setup_code SET failed_attempts = failed_attempts + 1, locked_until = ?1 WHERE id = 1", params![locked_until])?;
    Ok(())
}

/// The code is spent (with the first account, in the same transaction).
pub fn setup_code_spend(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM ui_setup_code WHERE id = 1", [])?;
    Ok(())
}
