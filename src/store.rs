//! The SQLite connection and its embedded, versioned migrations.
//!
//! Exam-day state must survive a power cut, so every database is opened in WAL mode with
//! `synchronous=FULL` (WAL+NORMAL may lose the last commits), with foreign keys on. Each domain
//! keeps its own SQL in its `store.rs`; this file only opens, migrates and checks the version.

use std::path::Path;

use rusqlite::OpenFlags;

/// Re-exported so that code outside store files can hold a connection without naming the
/// driver (a test below keeps the driver's name inside store files).
pub use rusqlite::{Connection, Error as SqlError, Result as SqlResult, Transaction};

pub mod integrity;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("база данных {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("база данных {path} со схемой {found} новее, чем знает программа ({supported}); обновите ppe")]
    TooNew { path: String, found: u32, supported: u32 },
    #[error("миграция {version} ({name}) не выполнена: {source}")]
    Migration { version: u32, name: &'static str, source: rusqlite::Error },
    #[error("ошибка базы данных: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// Whether a database error says its disk is full: `SQLITE_FULL`, or the I/O error SQLite
/// gives when it cannot grow its WAL index (`SQLITE_IOERR_SHMSIZE`, what a full tmpfs says).
pub fn is_disk_full(e: &rusqlite::Error) -> bool {
    const SQLITE_IOERR_SHMSIZE: i32 = 4874;
    match e {
        rusqlite::Error::SqliteFailure(f, _) => f.code == rusqlite::ErrorCode::DiskFull || f.extended_code == SQLITE_IOERR_SHMSIZE,
        _ => false,
    }
}

/// Whether anything in an error's chain is a full disk (a database's or a file's), also when
/// a cause was kept only as text.
pub fn chain_says_disk_full(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<rusqlite::Error>().is_some_and(is_disk_full)
            || cause.downcast_ref::<std::io::Error>().is_some_and(crate::util::is_disk_full)
            || ["database or disk is full", "Error code 4874", "No space left on device"].iter().any(|t| cause.to_string().contains(t))
    })
}

/// The failure of a metadata seam (`upload::server::meta`, `materials::hub_meta`): the
/// cause as text, so that an implementation over another database fits the same signature.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MetaError(pub String);

impl MetaError {
    /// Any displayable cause (a driver or pool error), with its chain.
    pub fn from_cause(e: impl std::fmt::Display) -> Self {
        MetaError(format!("{e:#}"))
    }
}

impl From<rusqlite::Error> for MetaError {
    fn from(e: rusqlite::Error) -> Self {
        MetaError(e.to_string())
    }
}

pub type MetaResult<T> = std::result::Result<T, MetaError>;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The newest schema version this binary knows.
pub fn schema_version_supported() -> u32 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// Opens (creating if needed) and migrates the database at `path`.
pub fn open(path: &Path) -> Result<Connection> {
    let shown = path.display().to_string();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|source| StoreError::Open { path: shown.clone(), source })?;
    prepare(conn, &shown)
}

/// Opens a database that is already migrated (the pool's later connections): the pragmas, a
/// version check, no migration transaction.
pub fn connect(path: &Path) -> Result<Connection> {
    let shown = path.display().to_string();
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|source| StoreError::Open { path: shown.clone(), source })?;
    let mut conn = conn;
    writers_wait_their_turn(&mut conn)?;
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    refuse_newer(&shown, current)?;
    Ok(conn)
}

/// An in-memory database with the full schema, for tests and pure dry runs.
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()
        .map_err(|source| StoreError::Open { path: ":memory:".into(), source })?;
    prepare(conn, ":memory:")
}

/// Every transaction on this connection is IMMEDIATE: it takes the write lock when it begins,
/// waiting up to the busy timeout for another writer. A deferred transaction that reads first
/// and writes later cannot wait — SQLite answers "database is locked" at once when another
/// connection wrote in between — so the daemon's duties and a person's command racing for the
/// same box database would fail instead of taking turns.
fn writers_wait_their_turn(conn: &mut Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    Ok(())
}

fn prepare(mut conn: Connection, shown: &str) -> Result<Connection> {
    writers_wait_their_turn(&mut conn)?;
    // journal_mode returns a row, so it is queried rather than executed.
    let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    migrate(&mut conn, shown)?;
    Ok(conn)
}

/// A database written by a newer binary is refused, never downgraded.
fn refuse_newer(shown: &str, current: u32) -> Result<()> {
    let supported = schema_version_supported();
    if current > supported {
        return Err(StoreError::TooNew { path: shown.to_string(), found: current, supported });
    }
    Ok(())
}

fn migrate(conn: &mut Connection, shown: &str) -> Result<()> {
    // One IMMEDIATE transaction for the check and every pending migration: two processes
    // opening a fresh database at once (the daemon and a CLI command) serialize here instead
    // of both trying to create the tables.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    refuse_newer(shown, current)?;
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.execute_batch(sql).map_err(|source| StoreError::Migration { version, name, source })?;
        tx.pragma_update(None, "user_version", version)?;
    }
    tx.commit()?;
    Ok(())
}

/// Current schema version of an open database.
pub fn schema_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_told_apart_from_other_database_errors() {
        let failure = |code| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert!(is_disk_full(&failure(13)), "SQLITE_FULL");
        assert!(is_disk_full(&failure(4874)), "SQLITE_IOERR_SHMSIZE: the WAL index could not grow");
        assert!(!is_disk_full(&failure(5)), "busy is not full");
        assert!(chain_says_disk_full(&anyhow::Error::new(failure(13)).context("store print job")));
        assert!(chain_says_disk_full(&anyhow::anyhow!("база: database or disk is full")), "kept as text");
        assert!(!chain_says_disk_full(&anyhow::Error::new(failure(19))), "a constraint");
    }

    #[test]
    fn fresh_database_is_migrated_to_latest_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db")).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), schema_version_supported());
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn database_newer_than_binary_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let conn = open(&path).unwrap();
            conn.pragma_update(None, "user_version", schema_version_supported() + 1).unwrap();
        }
        match open(&path) {
            Err(StoreError::TooNew { found, .. }) => assert_eq!(found, schema_version_supported() + 1),
            other => panic!("expected TooNew, got {other:?}"),
        }
        // The pool's later connections check it too.
        match connect(&path) {
            Err(StoreError::TooNew { found, .. }) => assert_eq!(found, schema_version_supported() + 1),
            other => panic!("expected TooNew from connect, got {other:?}"),
        }
    }

    #[test]
    fn concurrent_first_opens_do_not_race_on_migrations() {
        // Regression: two processes opening a fresh database at once failed with
        // "table … already exists".
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let handles: Vec<_> = (0..4).map(|_| { let p = path.clone(); std::thread::spawn(move || open(&p).map(|_| ())) }).collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
    }

    #[test]
    fn reopening_does_not_rerun_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        drop(open(&path).unwrap());
        let conn = open(&path).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), schema_version_supported());
    }

    #[test]
    fn sql_lives_only_in_store_files() {
        // House rule: handlers and domain logic never touch SQL directly — neither the driver
        // nor SQL text nor the statement calls, outside store files (test modules aside).
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        let mut stack = vec![root];
        let mut seen = 0;
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let name = path.file_name().unwrap().to_string_lossy();
                    let in_store_folder = path.parent().is_some_and(|p| p.ends_with("store"));
                    let allowed = name == "store.rs" || name.ends_with("_store.rs") || in_store_folder;
                    let text = std::fs::read_to_string(&path).unwrap();
                    seen += 1;
                    if !allowed {
                        if let Some(what) = sql_in(&text) {
                            offenders.push(format!("{}: {what}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 50, "the walk found the source tree");
        assert!(offenders.is_empty(), "SQL outside store files: {offenders:#?}");
    }

    /// The first SQL sign in a file's code before its test module, if any.
    fn sql_in(text: &str) -> Option<String> {
        let code = text.split("#[cfg(test)]").next().unwrap_or(text);
        let signs = [
            concat!("rusqlite", "::"),
            concat!("\"SEL", "ECT "),
            concat!("\"INS", "ERT "),
            concat!("\"UPD", "ATE "),
            concat!("\"DEL", "ETE "),
            concat!("\"CRE", "ATE "),
            concat!("\"PRA", "GMA "),
            concat!(".exec", "ute("),
            concat!(".exec", "ute_batch("),
            concat!(".prep", "are("),
            concat!(".prep", "are_cached("),
            concat!(".query", "_row("),
        ];
        signs.iter().find(|s| code.contains(**s)).map(|s| s.to_string())
    }

    #[test]
    fn the_sql_check_sees_sql() {
        assert!(sql_in(concat!("fn f(c: &Connection) { c.exec", "ute(\"DELETE FROM x\", []); }")).is_some());
        assert!(sql_in(concat!("let q = \"SEL", "ECT 1\";")).is_some());
        assert!(sql_in(concat!("fn f() {}\n#[cfg(test)]\nmod tests { fn t(c: &C) { c.query", "_row(\"x\") } }")).is_none());
        assert!(sql_in("fn select_exam() {}").is_none());
    }

    #[test]
    fn a_read_then_write_transaction_waits_for_a_concurrent_writer_instead_of_failing() {
        // Regression: the demo's exam day failed with "reserve sheet numbers: database is
        // locked" when the daemon's readiness duty wrote between a command's read and its write.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        open(&path).unwrap().execute_batch("CREATE TABLE n (v INTEGER)").unwrap();
        let reader_path = path.clone();
        let first = std::thread::spawn(move || {
            let mut conn = connect(&reader_path).unwrap();
            let tx = conn.transaction().unwrap();
            let _: i64 = tx.query_row("SELECT count(*) FROM n", [], |r| r.get(0)).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            tx.execute("INSERT INTO n VALUES (1)", []).map_err(|e| e.to_string())?;
            tx.commit().map_err(|e| e.to_string())
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut other = connect(&path).unwrap();
        let tx = other.transaction().unwrap();
        tx.execute("INSERT INTO n VALUES (2)", []).unwrap();
        tx.commit().unwrap();
        first.join().unwrap().expect("the first transaction waits its turn");
        let n: i64 = other.query_row("SELECT count(*) FROM n", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
    }
}
