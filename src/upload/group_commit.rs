//! Group commit for the hub's upload bookkeeping: every request that has made its bytes
//! durable hands over what must be recorded (a new offset, or a completion: the sealed content
//! given its address in the blob store, plus the completion row and its audit entry), and
//! whoever takes the commit lock next records the whole queue at once: the content addresses,
//! one durable sync of the new names, one database transaction. With eight files in flight a
//! completion costs an eighth of a commit instead of a whole one; a request alone still
//! commits at once (nothing waits for company).
//!
//! If the batch's transaction fails, each operation is retried in a transaction of its own,
//! so one bad operation fails alone.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::server::blobs::Sealed;
use super::server::meta::{AuditNote, UploadWrite};
use super::server::{CoreError, UploadServerState};
use super::store::TusUploadRow;

/// What must become durable for one request.
#[derive(Debug)]
pub enum DurableOp {
    /// The upload's new offset (`insert`: the row is new and goes in with it).
    Offset { row: TusUploadRow, insert: bool },
    /// The last byte is in: give the sealed content its address in the blob store, mark the
    /// upload complete.
    Complete { row: TusUploadRow, insert: bool, sealed: Sealed },
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

/// An operation whose bytes are at their address: what the database must record.
struct Ready {
    row: TusUploadRow,
    insert: bool,
    completed_sha256: Option<String>,
}

impl Ready {
    fn write(&self) -> UploadWrite<'_> {
        let completion = self.completed_sha256.as_deref().map(|sha| (sha, completion_audit(&self.row, sha)));
        UploadWrite { row: &self.row, insert: self.insert, completion }
    }

    fn finished(self, now: &str) -> TusUploadRow {
        match self.completed_sha256 {
            None => self.row,
            Some(sha) => TusUploadRow { completed_at: Some(now.to_string()), stored_sha256: Some(sha), ..self.row },
        }
    }
}

/// Content addresses, one durable sync of the names, one transaction; per-operation outcomes.
fn commit_batch(state: &UploadServerState, batch: Vec<(u64, DurableOp)>) -> Vec<(u64, Outcome)> {
    let mut outcomes: Vec<(u64, Outcome)> = Vec::with_capacity(batch.len());
    let mut ready: Vec<(u64, Ready)> = Vec::with_capacity(batch.len());
    let mut completes = false;
    for (ticket, op) in batch {
        match op {
            DurableOp::Complete { row, insert, sealed } => {
                let sha = sealed.sha256().to_string();
                match state.blobs.complete(sealed) {
                    Ok(linked) => {
                        completes = true;
                        if linked {
                            state.group.linked.fetch_add(1, Ordering::Relaxed);
                        }
                        ready.push((ticket, Ready { row, insert, completed_sha256: Some(sha) }));
                    }
                    Err(e) => outcomes.push((ticket, Err(e.into()))),
                }
            }
            DurableOp::Offset { row, insert } => ready.push((ticket, Ready { row, insert, completed_sha256: None })),
        }
    }
    // Once per batch with a completion, also when its blob was there already: a name another
    // request (or a media import) gave it may not have been synced yet.
    if completes {
        if let Err(e) = state.blobs.sync() {
            let why = format!("fsync of the blob folder: {e}");
            outcomes.extend(ready.into_iter().map(|(t, _)| (t, Err(CoreError::Storage(why.clone())))));
            return outcomes;
        }
    }
    let now = state.clock.now_rfc3339();
    let writes: Vec<UploadWrite<'_>> = ready.iter().map(|(_, r)| r.write()).collect();
    let batch_result = state.meta.uploads_commit(&writes, &now);
    drop(writes);
    match batch_result {
        Ok(()) => outcomes.extend(ready.into_iter().map(|(t, r)| (t, Ok(r.finished(&now))))),
        Err(batch_error) => {
            tracing::warn!("upload group commit failed ({batch_error}); committing one by one");
            for (t, r) in ready {
                let one = state.meta.uploads_commit(&[r.write()], &now);
                outcomes.push((t, one.map(|()| r.finished(&now)).map_err(CoreError::from)));
            }
        }
    }
    outcomes
}

/// The audit entry of a file received whole.
fn completion_audit(row: &TusUploadRow, sha: &str) -> AuditNote {
    if !row.declared_sha256.is_empty() && row.declared_sha256 != sha {
        tracing::warn!(upload_id = %row.upload_id, "file hash differs from its declared sha256");
    }
    AuditNote {
        actor: format!("box:{}", row.ppe_code),
        action: "upload.file_received",
        object: row.upload_id.clone(),
        details: serde_json::json!({
            "exam_id": row.exam_id, "ppe_code": row.ppe_code, "sha256": sha,
            "size": row.upload_length, "declared_sha256": row.declared_sha256,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::upload::server::blobs::Durability;

    fn state(dir: &std::path::Path) -> UploadServerState {
        let key = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
        UploadServerState::in_folder(dir, Clock::real(), key).unwrap()
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
        st.meta.uploads_commit(&[UploadWrite { row: &row("taken", 3, 0), insert: true, completion: None }], "t").unwrap();
        st.blobs.partial_append("done", 0, &[bytes::Bytes::from_static(b"xyz")], Durability::Durable).unwrap();
        let sha = crate::util::sha256_hex(b"xyz");
        let sealed = st.blobs.seal_partial("done", None).unwrap();
        let batch = vec![
            (1, DurableOp::Offset { row: row("a", 10, 4), insert: true }),
            // Inserting an upload id that exists breaks the batch's transaction.
            (2, DurableOp::Offset { row: row("taken", 3, 1), insert: true }),
            (3, DurableOp::Complete { row: row("done", 3, 3), insert: true, sealed }),
        ];
        let mut outcomes = commit_batch(&st, batch);
        outcomes.sort_by_key(|(t, _)| *t);
        assert_eq!(outcomes[0].1.as_ref().unwrap().upload_offset, 4);
        assert!(outcomes[1].1.is_err(), "the duplicate fails");
        assert_eq!(outcomes[2].1.as_ref().unwrap().stored_sha256.as_deref(), Some(sha.as_str()));
        assert_eq!(st.meta.upload_get("a").unwrap().unwrap().upload_offset, 4);
        assert_eq!(st.meta.upload_get("taken").unwrap().unwrap().upload_offset, 0, "untouched");
        assert!(st.meta.upload_get("done").unwrap().unwrap().completed_at.is_some());
        let mut stored = Vec::new();
        std::io::Read::read_to_end(&mut st.blobs.open(&sha, None).unwrap(), &mut stored).unwrap();
        assert_eq!(stored, b"xyz");
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
        assert_eq!(st.meta.uploads_for_point("ege-02", "0101").unwrap().len(), 200);
        assert!(lock(&st.group.done).is_empty(), "no outcome left behind");
    }
}
