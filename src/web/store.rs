//! SQL of the UI's sessions (`web_session`): only the SHA-256 of the cookie token is stored.

use rusqlite::{params, Connection, OptionalExtension};

/// One logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub login: String,
    pub role: String,
    pub csrf_token: String,
    pub expires_at: String,
}

pub fn session_insert(conn: &Connection, token_sha256: &str, row: &SessionRow, now: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO web_session (token_sha256, login, role, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![token_sha256, row.login, row.role, row.csrf_token, now, row.expires_at],
    )?;
    Ok(())
}

/// The session of a token, if it has not expired at `now` (RFC 3339 strings compare in time
/// order: both come from the one clock in the same format).
pub fn session_get(conn: &Connection, token_sha256: &str, now: &str) -> rusqlite::Result<Option<SessionRow>> {
    conn.query_row(
        "SELECT login, role, csrf_token, expires_at FROM web_session WHERE token_sha256 = ?1 AND expires_at > ?2",
        params![token_sha256, now],
        |r| Ok(SessionRow { login: r.get(0)?, role: r.get(1)?, csrf_token: r.get(2)?, expires_at: r.get(3)? }),
    )
    .optional()
}

pub fn session_delete(conn: &Connection, token_sha256: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM web_session WHERE token_sha256 = ?1", [token_sha256])?;
    Ok(())
}

pub fn sessions_prune(conn: &Connection, now: &str) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM web_session WHERE expires_at <= ?1", [now])
}
