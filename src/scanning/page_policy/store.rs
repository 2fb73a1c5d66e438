//! SQL of the page policy: how a stored page was encoded and the scanner's bytes it came from.

use rusqlite::{params, Connection, OptionalExtension};

/// Records that a page was stored re-encoded under `policy` from the scanner's bytes
/// (`original_sha256`, `original_size`); a page stored as it came needs no call.
pub fn record(conn: &Connection, page_id: &str, policy: &str, original_sha256: &str, original_size: u64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE scanned_page SET page_policy = ?2, original_sha256 = ?3, original_size = ?4 WHERE page_id = ?1",
        params![page_id, policy, original_sha256, original_size as i64],
    )?;
    Ok(())
}

/// A page's policy and the scanner's bytes it came from: (policy, original sha256, original size).
pub fn policy_of(conn: &Connection, page_id: &str) -> rusqlite::Result<Option<(String, Option<String>, Option<u64>)>> {
    conn.query_row("SELECT page_policy, original_sha256, original_size FROM scanned_page WHERE page_id = ?1", [page_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<i64>>(2)?.map(|n| n as u64)))
    })
    .optional()
}
