//! SQL of the UI's sessions (`web_session`): only the SHA-256 of the cookie token is stored.
//! Times are typed here and written as RFC 3339 in one format (UTC, whole seconds), so that
//! the expiry comparison in SQL is a comparison of times.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};

/// One logged-in session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub login: String,
    pub role: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn session_insert(conn: &Connection, token_sha256: &str, row: &SessionRow, now: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO web_session (token_sha256, login, role, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![token_sha256, row.login, row.role, row.csrf_token, text(now), text(row.expires_at)],
    )?;
    Ok(())
}

/// The session of a token, if it has not expired at `now`.
pub fn session_get(conn: &Connection, token_sha256: &str, now: DateTime<Utc>) -> rusqlite::Result<Option<SessionRow>> {
    conn.query_row(
        "SELECT login, role, csrf_token, expires_at FROM web_session WHERE token_sha256 = ?1 AND expires_at > ?2",
        params![token_sha256, text(now)],
        |r| {
            let expires: String = r.get(3)?;
            let expires_at = DateTime::parse_from_rfc3339(&expires).map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e)))?.with_timezone(&Utc);
            Ok(SessionRow { login: r.get(0)?, role: r.get(1)?, csrf_token: r.get(2)?, expires_at })
        },
    )
    .optional()
}

pub fn session_delete(conn: &Connection, token_sha256: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM web_session WHERE token_sha256 = ?1", [token_sha256])?;
    Ok(())
}

pub fn sessions_prune(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM web_session WHERE expires_at <= ?1", [text(now)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lives_until_its_expiry_and_is_pruned_after() {
        let mut conn = crate::store::open_in_memory().unwrap();
        crate::accounts::create_account(&mut conn, "tech", "W1", crate::model::WorkerRole::TechSpecialist, "correct-horse-42", "2027-05-27T00:00:00Z").unwrap();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let row = SessionRow { login: "tech".into(), role: "tech_specialist".into(), csrf_token: "c".repeat(64), expires_at: t("2027-05-27T16:00:00Z") };
        session_insert(&conn, "aa", &row, t("2027-05-27T02:00:00Z")).unwrap();
        assert_eq!(session_get(&conn, "aa", t("2027-05-27T15:59:59Z")).unwrap(), Some(row));
        assert_eq!(session_get(&conn, "aa", t("2027-05-27T16:00:00Z")).unwrap(), None, "expired at its expiry");
        assert_eq!(session_get(&conn, "bb", t("2027-05-27T02:00:00Z")).unwrap(), None);
        assert_eq!(sessions_prune(&conn, t("2027-05-27T16:00:00Z")).unwrap(), 1);
    }
}
