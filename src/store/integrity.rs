//! SQLite's own check of a database file (`PRAGMA integrity_check`), for `edge::verify_state`.

use rusqlite::Connection;

/// The messages of `PRAGMA integrity_check`: exactly `["ok"]` for a sound database.
pub fn integrity_check(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}
