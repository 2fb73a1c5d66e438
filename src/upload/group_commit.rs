//! Group commit for the hub's upload bookkeeping: every request that has fsynced its bytes
//! hands over what must become durable (a new offset, or a completion: the move of the
//! partial file to its content address plus the completion row and its audit entry), and
//! whoever takes the commit lock next makes the whole queue durable at once: the moves, one
//! fsync of the blob folder, one database transaction. With eight files in flight a
//! completion costs an eighth of a commit instead of a whole one; a request alone still
//! commits at once (nothing waits for company).
//!
//! If the batch's transaction fails, each operation is retried in a transaction of its own,
//! so one bad operation fails alone.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::server::{CoreError, UploadServerState};
use super::store::{self as upload_store, TusUploadRow};
use crate::store::Connection;

/// What must become durable for one request.
#[derive(Debug)]
pub enum DurableOp {
    /// The upload's new offset (`insert`: the row is new and goes in with it).
    Offset { row: TusUploadRow, insert: bool },
    /// The last byte is in: move the partial file to `blobs/<sha>` (or link `unnamed`, the
    /// whole file written and fsynced as an unnamed file in the blob folder), mark the upload
    /// complete.
    Complete { row: TusUploadRow, insert: bool, sha: String, unnamed: Option<std::fs::File> },
}

type Outcome = Result<TusUploadRow, CoreError>;

/// The queue and the commit lock; lives in [`UploadServerState`].
#[derive(Default)]
pub struct GroupCommit {
    next_ticket: AtomicU64,
    queue: Mutex<Vec<(u64, DurableOp)>>,
    done: Mutex<HashMap<u64, Outcome>>,
    commit_lock: Mutex<()>,
    /// Batches committed and operations in them, unnamed files linked (tests, benchmarks).
    pub batches: AtomicU64,
    pub operations: AtomicU64,
    pub linked: AtomicU64,
}

impl GroupCommit {
    /// Makes `op` durable (alone or with others queued meanwhile); blocking.
    pub fn submit(&self, state: &UploadServerState, op: DurableOp) -> Outcome {
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        lock(&self.queue).push((ticket, op));
        let _leader = lock(&self.commit_lock);
        // A leader before us may have committed ours with its batch.
        if let Some(outcome) = lock(&self.done).remove(&ticket) {
            return outcome;
        }
        let batch = std::mem::take(&mut *lock(&self.queue));
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.operations.fetch_add(batch.len() as u64, Ordering::Relaxed);
        let outcomes = commit_batch(state, batch);
        let mut done = lock(&self.done);
        done.extend(outcomes);
        done.remove(&ticket).unwrap_or_else(|| Err(CoreError::Storage("group commit lost an operation".into())))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Moves, one folder fsync, one transaction; per-operation outcomes.
fn commit_batch(state: &UploadServerState, batch: Vec<(u64, DurableOp)>) -> Vec<(u64, Outcome)> {
    let mut outcomes: Vec<(u64, Outcome)> = Vec::with_capacity(batch.len());
    let mut ready: Vec<(u64, DurableOp)> = Vec::with_capacity(batch.len());
    let mut completes = false;
    for (ticket, op) in batch {
        match &op {
            DurableOp::Complete { row, sha, unnamed, insert } => match move_to_blob(state, row, sha, unnamed.as_ref(), *insert) {
                Ok(linked) => {
                    completes = true;
                    if linked {
                        state.group.linked.fetch_add(1, Ordering::Relaxed);
                    }
                    ready.push((ticket, op));
                }
                Err(e) => outcomes.push((ticket, Err(e))),
            },
            DurableOp::Offset { .. } => ready.push((ticket, op)),
        }
    }
    // Once per batch with a completion, also when its blob was there already: a name another
    // request (or a media import) gave it may not have been synced yet.
    if completes {
        if let Err(e) = crate::util::sync_dir(&state.storage_dir.join("blobs")) {
            let why = format!("fsync of the blob folder: {e}");
            outcomes.extend(ready.into_iter().map(|(t, _)| (t, Err(CoreError::Storage(why.clone())))));
            return outcomes;
        }
    }
    let now = state.clock.now_rfc3339();
    let db = match state.db.lock() {
        Ok(db) => db,
        Err(_) => {
            outcomes.extend(ready.into_iter().map(|(t, _)| (t, Err(CoreError::Storage("database lock poisoned".into())))));
            return outcomes;
        }
    };
    match commit(&db, ready.iter().map(|(_, op)| op), &now) {
        Ok(()) => outcomes.extend(ready.into_iter().map(|(t, op)| (t, Ok(finished(op, &now))))),
        Err(batch_error) => {
            tracing::warn!("upload group commit failed ({batch_error}); committing one by one");
            for (t, op) in ready {
                let one = commit(&db, std::iter::once(&op), &now);
                outcomes.push((t, one.map(|()| finished(op, &now)).map_err(|e| CoreError::Storage(format!("database: {e}")))));
            }
        }
    }
    outcomes
}

/// `ops` in one transaction.
fn commit<'a>(db: &Connection, ops: impl Iterator<Item = &'a DurableOp>, now: &str) -> Result<(), String> {
    let tx = db.unchecked_transaction().map_err(|e| e.to_string())?;
    for op in ops {
        apply(&tx, op, now)?;
    }
    tx.commit().map_err(|e| e.to_string())
}

/// `true` when an unnamed file was linked at its address; the same content already there just
/// drops the partial or the unnamed file.
fn move_to_blob(state: &UploadServerState, row: &TusUploadRow, sha: &str, unnamed: Option<&std::fs::File>, insert: bool) -> Result<bool, CoreError> {
    let partial = state.partial_path(&row.upload_id);
    let blob = state.blob_path(sha);
    if let Some(file) = unnamed {
        // An upload created earlier may have left an empty partial behind.
        if !insert {
            let _ = std::fs::remove_file(&partial);
        }
        if blob.exists() {
            return Ok(false);
        }
        return match link_unnamed(file, &blob) {
            Ok(()) => Ok(true),
            Err(e) => {
                // No /proc (or no linkat here): copy the bytes to a named file instead.
                tracing::warn!("linking an unnamed upload file failed ({e}); copying it");
                let mut bytes = Vec::new();
                let mut f = file;
                std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(0))?;
                std::io::Read::read_to_end(&mut f, &mut bytes)?;
                crate::util::write_atomic(&blob, &bytes)?;
                Ok(false)
            }
        };
    }
    if row.upload_length == 0 && !partial.exists() {
        if blob.exists() {
            return Ok(false);
        }
        crate::util::write_atomic(&blob, b"")?;
        return Ok(false);
    }
    if blob.exists() {
        std::fs::remove_file(&partial)?;
    } else {
        std::fs::rename(&partial, &blob)?;
    }
    Ok(false)
}

/// Opens an unnamed file in `dir` (O_TMPFILE): it has no name until [`link_unnamed`] gives it
/// one, and vanishes if the process dies first.
pub fn open_unnamed(dir: &std::path::Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::openat(rustix::fs::CWD, dir, OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC, Mode::from_raw_mode(0o640))?;
    Ok(std::fs::File::from(fd))
}

/// Gives an unnamed file its name (linkat through /proc/self/fd, which needs no privilege).
fn link_unnamed(file: &std::fs::File, to: &std::path::Path) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(rustix::fs::CWD, proc_path.as_str(), rustix::fs::CWD, to, rustix::fs::AtFlags::SYMLINK_FOLLOW)?;
    Ok(())
}

fn apply(tx: &Connection, op: &DurableOp, now: &str) -> Result<(), String> {
    let (row, insert) = match op {
        DurableOp::Offset { row, insert } | DurableOp::Complete { row, insert, .. } => (row, *insert),
    };
    // A new row goes in with its offset; a known one gets its new offset.
    if insert {
        upload_store::tus_insert(tx, row).map_err(|e| e.to_string())?;
    } else {
        upload_store::tus_set_offset(tx, &row.upload_id, row.upload_offset, &row.updated_at, &row.expires_at).map_err(|e| e.to_string())?;
    }
    if let DurableOp::Complete { row, sha, .. } = op {
        upload_store::tus_complete(tx, &row.upload_id, sha, now).map_err(|e| e.to_string())?;
        crate::audit::store::append(
            tx,
            now,
            crate::audit::NewEntry {
                actor: &format!("box:{}", row.ppe_code),
                action: "upload.file_received",
                object: &row.upload_id,
                details: serde_json::json!({
                    "exam_id": row.exam_id, "ppe_code": row.ppe_code, "sha256": sha,
                    "size": row.upload_length, "declared_sha256": row.declared_sha256,
                }),
            },
        )
        .map_err(|e| e.to_string())?;
        if !row.declared_sha256.is_empty() && &row.declared_sha256 != sha {
            tracing::warn!(upload_id = %row.upload_id, "file hash differs from its declared sha256");
        }
    }
    Ok(())
}

fn finished(op: DurableOp, now: &str) -> TusUploadRow {
    match op {
        DurableOp::Offset { row, .. } => row,
        DurableOp::Complete { row, sha, .. } => TusUploadRow { completed_at: Some(now.to_string()), stored_sha256: Some(sha), ..row },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn state(dir: &std::path::Path) -> UploadServerState {
        let key = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
        UploadServerState::new(crate::store::open_in_memory().unwrap(), dir.to_path_buf(), Clock::real(), key).unwrap()
    }

    fn row(id: &str, length: u64, offset: u64) -> TusUploadRow {
        TusUploadRow {
            upload_id: id.into(),
            exam_id: "ege-02".into(),
            ppe_code: "0101".into(),
            file_name: format!("{id}.png"),
            kind: "page".into(),
            declared_sha256: String::new(),
            upload_length: length,
            upload_offset: offset,
            metadata_json: "{}".into(),
            created_at: "2027-05-27T10:00:00Z".into(),
            updated_at: "2027-05-27T10:00:00Z".into(),
            expires_at: "2099-01-01T00:00:00Z".into(),
            completed_at: None,
            stored_sha256: None,
        }
    }

    #[test]
    fn a_batch_commits_many_and_a_bad_operation_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let st = state(dir.path());
        upload_store::tus_insert(&st.db.lock().unwrap(), &row("taken", 3, 0)).unwrap();
        std::fs::write(st.storage_dir.join("partial/done"), b"xyz").unwrap();
        let sha = crate::util::sha256_hex(b"xyz");
        let batch = vec![
            (1, DurableOp::Offset { row: row("a", 10, 4), insert: true }),
            // Inserting an upload id that exists breaks the batch's transaction.
            (2, DurableOp::Offset { row: row("taken", 3, 1), insert: true }),
            (3, DurableOp::Complete { row: row("done", 3, 3), insert: true, sha: sha.clone(), unnamed: None }),
        ];
        let mut outcomes = commit_batch(&st, batch);
        outcomes.sort_by_key(|(t, _)| *t);
        assert_eq!(outcomes[0].1.as_ref().unwrap().upload_offset, 4);
        assert!(outcomes[1].1.is_err(), "the duplicate fails");
        assert_eq!(outcomes[2].1.as_ref().unwrap().stored_sha256.as_deref(), Some(sha.as_str()));
        let db = st.db.lock().unwrap();
        assert_eq!(upload_store::tus_get(&db, "a").unwrap().unwrap().upload_offset, 4);
        assert_eq!(upload_store::tus_get(&db, "taken").unwrap().unwrap().upload_offset, 0, "untouched");
        assert!(upload_store::tus_get(&db, "done").unwrap().unwrap().completed_at.is_some());
        assert_eq!(std::fs::read(st.blob_path(&sha)).unwrap(), b"xyz");
    }

    #[test]
    fn operations_queued_while_a_commit_runs_go_in_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let st = std::sync::Arc::new(state(dir.path()));
        // A commit in progress: the submitters queue behind it.
        let running = lock(&st.group.commit_lock);
        let threads: Vec<_> = (0..6)
            .map(|t| {
                let st = st.clone();
                std::thread::spawn(move || st.group.submit(&st, DurableOp::Offset { row: row(&format!("q{t}"), 10, 2), insert: true }).unwrap())
            })
            .collect();
        while lock(&st.group.queue).len() < 6 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        drop(running);
        for t in threads {
            assert_eq!(t.join().unwrap().upload_offset, 2);
        }
        assert_eq!(st.group.operations.load(Ordering::SeqCst), 6);
        assert_eq!(st.group.batches.load(Ordering::SeqCst), 1, "six operations, one commit");
    }

    #[test]
    fn concurrent_submitters_each_get_their_own_outcome() {
        let dir = tempfile::tempdir().unwrap();
        let st = std::sync::Arc::new(state(dir.path()));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let st = st.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let id = format!("u{t}-{i}");
                        let op = DurableOp::Offset { row: row(&id, 10, 1 + i), insert: true };
                        let got = st.group.submit(&st, op).unwrap();
                        assert_eq!((got.upload_id.as_str(), got.upload_offset), (id.as_str(), 1 + i));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // Every submitter got its own outcome back and every row is stored, however the
        // operations were grouped.
        assert_eq!(st.group.operations.load(Ordering::SeqCst), 200);
        assert_eq!(upload_store::tus_for_point(&st.db.lock().unwrap(), "ege-02", "0101").unwrap().len(), 200);
        assert!(lock(&st.group.done).is_empty(), "no outcome left behind");
    }
}
