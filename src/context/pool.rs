//! A small pool of SQLite connections to one database file. The first connection creates the
//! state folder and runs the migrations (in their IMMEDIATE transaction); every later one only
//! sets the pragmas, and idle connections are reused, so a use case no longer pays for an open
//! and a migration check on each call.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::store::{self, Connection, StoreError};

/// Idle connections kept for reuse; more may be open at once, the surplus is closed on return.
const MAX_IDLE: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("создание папки состояния {path}: {source}")]
    StateDir { path: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct DbPool {
    state_dir: PathBuf,
    path: PathBuf,
    migrated: Mutex<bool>,
    idle: Mutex<Vec<Connection>>,
}

impl DbPool {
    pub fn new(state_dir: PathBuf, path: PathBuf) -> Arc<Self> {
        Arc::new(Self { state_dir, path, migrated: Mutex::new(false), idle: Mutex::new(Vec::new()) })
    }

    /// An idle connection, or a new one (migrating the database the first time).
    pub fn get(self: &Arc<Self>) -> Result<PooledConnection, PoolError> {
        if let Some(conn) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(PooledConnection { pool: self.clone(), conn: Some(conn) });
        }
        let conn = {
            let mut migrated = self.migrated.lock().unwrap_or_else(|e| e.into_inner());
            if *migrated {
                store::connect(&self.path)?
            } else {
                std::fs::create_dir_all(&self.state_dir)
                    .map_err(|source| PoolError::StateDir { path: self.state_dir.display().to_string(), source })?;
                let conn = store::open(&self.path)?;
                *migrated = true;
                conn
            }
        };
        Ok(PooledConnection { pool: self.clone(), conn: Some(conn) })
    }

    fn put_back(&self, conn: Connection) {
        // A connection left inside a transaction (a panic mid-use) is not reused.
        if !conn.is_autocommit() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

/// A connection borrowed from the pool; it goes back when dropped.
pub struct PooledConnection {
    pool: Arc<DbPool>,
    conn: Option<Connection>,
}

impl PooledConnection {
    /// Takes the connection out of the pool for good (a long-lived owner such as a server's
    /// writer); the pool opens another when asked.
    pub fn detach(mut self) -> Connection {
        self.conn.take().expect("connection present until drop")
    }
}

impl Deref for PooledConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("connection present until drop")
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put_back(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_reuses_idle_connections() {
        let dir = tempfile::tempdir().unwrap();
        let pool = DbPool::new(dir.path().join("state"), dir.path().join("state/ppe.db"));
        let first = pool.get().unwrap();
        let version: u32 = first.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, store::schema_version_supported());
        let second = pool.get().unwrap();
        let fk: i64 = second.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!(fk, 1, "a connection opened after the first still has the pragmas");
        drop(first);
        drop(second);
        assert_eq!(pool.idle.lock().unwrap().len(), 2);
        let _again = pool.get().unwrap();
        assert_eq!(pool.idle.lock().unwrap().len(), 1, "an idle connection was reused");
    }

    #[test]
    fn a_connection_left_in_a_transaction_is_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        let pool = DbPool::new(dir.path().to_path_buf(), dir.path().join("ppe.db"));
        let conn = pool.get().unwrap();
        conn.execute_batch("BEGIN").unwrap();
        drop(conn);
        assert!(pool.idle.lock().unwrap().is_empty());
    }
}
