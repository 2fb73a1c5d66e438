//! SQL of the audit log: append in the caller's transaction, read, verify.

use rusqlite::{params, Connection, OptionalExtension};

use super::{canonical_bytes, chain_hash, AuditEntry, NewEntry, GENESIS};

/// Appends one entry inside the caller's transaction (so the action and its audit entry
/// commit together). `at` comes from the caller's clock.
pub fn append(conn: &Connection, at: &str, entry: NewEntry<'_>) -> rusqlite::Result<AuditEntry> {
    let last: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let hash = chain_hash(&prev_hash, &canonical_bytes(seq, at, entry.actor, entry.action, entry.object, &entry.details));
    conn.execute(
        "INSERT INTO audit_log (seq, at, actor, action, object, details, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![seq, at, entry.actor, entry.action, entry.object, entry.details.to_string(), prev_hash, hash],
    )?;
    Ok(AuditEntry {
        seq,
        at: at.to_string(),
        actor: entry.actor.to_string(),
        action: entry.action.to_string(),
        object: entry.object.to_string(),
        details: entry.details,
        prev_hash,
        hash,
    })
}

/// The newest entry's sequence number and hash (`0`, genesis when empty).
pub fn head(conn: &Connection) -> rusqlite::Result<(i64, String)> {
    Ok(conn
        .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, GENESIS.to_string())))
}

/// Entries in order, optionally only those whose action starts with `action_prefix`.
pub fn list(conn: &Connection, action_prefix: Option<&str>, limit: usize) -> rusqlite::Result<Vec<AuditEntry>> {
    let prefix = format!("{}%", action_prefix.unwrap_or(""));
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, object, details, prev_hash, hash FROM audit_log
         WHERE action LIKE ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![prefix, limit as i64], |r| {
        let details: String = r.get(5)?;
        Ok(AuditEntry {
            seq: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            object: r.get(4)?,
            details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
            prev_hash: r.get(6)?,
            hash: r.get(7)?,
        })
    })?;
    let mut v: Vec<AuditEntry> = rows.collect::<rusqlite::Result<_>>()?;
    v.reverse();
    Ok(v)
}

/// Every entry in order (for verification and the upload bundle).
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<AuditEntry>> {
    list(conn, None, usize::MAX >> 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::verify_chain;

    #[test]
    fn appended_entries_chain_and_cannot_be_edited() {
        let conn = crate::store::open_in_memory().unwrap();
        for i in 0..3 {
            append(&conn, "2026-06-01T09:00:00Z", NewEntry { actor: "tech", action: "test.step", object: &i.to_string(), details: serde_json::json!({}) }).unwrap();
        }
        let entries = all(&conn).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(verify_chain(GENESIS, &entries).unwrap(), head(&conn).unwrap().1);
        assert!(conn.execute("UPDATE audit_log SET actor = 'x'", []).is_err());
        assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    }
}
