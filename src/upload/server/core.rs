//! The protocol-neutral core of the hub's upload: what an upload is, why an operation fails,
//! and create / append / status / terminate / expire. Nothing here knows a header: the tus
//! dialect (`tus.rs`) maps its headers onto these calls, and another dialect (the IETF
//! resumable-upload draft with `Repr-Digest`, DESIGN §5) can sit beside it. Bytes go through
//! the [`BlobStore`](super::blobs::BlobStore), rows through [`UploadMeta`](super::meta::UploadMeta).
//!
//! Invariants: an offset is acknowledged only after the bytes up to it are durable; a chunk
//! whose checksum fails leaves no byte behind; completed files are stored by SHA-256, so
//! retries are idempotent.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::OwnedMutexGuard;

use super::blobs::{BlobError, Durability};
use super::locks::Held;
use super::meta::MetaError;
use super::UploadServerState;
use crate::context::BoxIdentity;
use crate::model::ids::{ExamId, PpeCode};
use crate::upload::group_commit::DurableOp;
use crate::upload::store::TusUploadRow;
use crate::upload::UploadError;

/// A request body is written to the partial in pieces of this size, so a request holds no
/// more than this in memory (a page smaller than this is written once, at its address).
/// Behind the hub's concurrency cap (`[limits] max_concurrent_uploads`) this bounds what
/// bodies take of the hub's memory.
pub const SPILL_AT: usize = 1 << 20;

/// Why an operation failed, independent of the header dialect.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("такой загрузки нет")]
    NotFound,
    #[error("срок загрузки истёк")]
    Gone,
    #[error("смещение {client} не совпадает с серверным {server}")]
    OffsetMismatch { client: u64, server: u64 },
    #[error("контрольная сумма не совпала: часть отброшена, отправьте её снова")]
    ChecksumMismatch,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    /// A box's allowance, the hub's disk or its concurrency cap (413, 429, 507).
    #[error("{0}")]
    Limit(super::limits::LimitRefusal),
    #[error("пакет отвергнут: {0}")]
    Refused(UploadError),
    #[error("хранилище: {0}")]
    Storage(String),
}

impl From<std::io::Error> for CoreError {
    fn from(e: std::io::Error) -> Self {
        // The disk filled between the checks and the write: the box backs off (507), not 500.
        if crate::util::is_disk_full(&e) {
            tracing::warn!("upload storage full: {e}");
            return CoreError::Limit(super::limits::LimitRefusal::DiskFull { free: 0, reserve: 0 });
        }
        CoreError::Storage(e.to_string())
    }
}

impl From<BlobError> for CoreError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::Io(io) => io.into(),
            other => CoreError::Storage(other.to_string()),
        }
    }
}

impl From<MetaError> for CoreError {
    fn from(e: MetaError) -> Self {
        CoreError::Storage(format!("database: {e}"))
    }
}

/// The refusal of an upload whose bytes, complete, do not hash to its declared SHA-256 (what
/// they hash to is not told), recorded in the hub's audit under the box that sent them.
fn content_mismatch(state: &UploadServerState, row: &TusUploadRow) -> CoreError {
    let note = crate::audit::AuditNote {
        actor: format!("box:{}", row.ppe_code),
        action: "upload.file_refused",
        object: row.upload_id.clone(),
        details: serde_json::json!({"exam_id": row.exam_id, "file_name": row.file_name, "reason": "hash_mismatch", "declared_sha256": row.declared_sha256}),
    };
    if let Err(e) = state.meta.audit(&note, &state.clock.now_rfc3339()) {
        return e.into();
    }
    CoreError::Refused(UploadError::HashMismatch { name: row.file_name.clone(), expected: row.declared_sha256.clone(), found: String::new() })
}

pub(super) fn join_error(e: tokio::task::JoinError) -> CoreError {
    CoreError::Storage(format!("blocking task: {e}"))
}

/// Metadata the hub needs for every upload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadMetadata {
    pub exam_id: ExamId,
    pub ppe_code: PpeCode,
    pub file_name: String,
    pub kind: String,
    pub sha256: String,
    pub all: BTreeMap<String, String>,
}

impl UploadMetadata {
    /// From decoded key/value pairs; the names of stock clients (`filename`) are accepted too.
    pub fn from_pairs(all: BTreeMap<String, String>) -> Self {
        let get = |keys: &[&str]| keys.iter().find_map(|k| all.get(*k).cloned()).unwrap_or_default();
        Self {
            exam_id: ExamId::new(get(&["exam_id"])),
            ppe_code: PpeCode::new(get(&["ppe_code"])),
            file_name: get(&["file_name", "filename", "name"]),
            kind: get(&["kind"]),
            sha256: get(&["sha256"]).to_ascii_lowercase(),
            all,
        }
    }
}

/// A request body as read: what to write, what was already spilled, its SHA-256, and why it
/// broke off (if it did).
struct Gathered {
    /// The body frames not yet written, as they arrived, and their length.
    pending: Vec<bytes::Bytes>,
    pending_len: usize,
    spilled: u64,
    digest: [u8; 32],
    broken: Option<String>,
}

/// The next frame of a body; `Err(idle)` when none came within `idle` (a stalled sender).
async fn next_frame<S, T>(body: &mut S, idle: Option<std::time::Duration>) -> Result<Option<T>, std::time::Duration>
where
    S: futures_util::Stream<Item = T> + Unpin,
{
    match idle {
        Some(d) => tokio::time::timeout(d, body.next()).await.map_err(|_| d),
        None => Ok(body.next().await),
    }
}

/// What a creation request gets.
enum Prepared {
    /// The same content's upload, already here (with its offset).
    Existing(TusUploadRow),
    /// A new upload, not yet stored.
    New(TusUploadRow),
}

/// The lock of a content (exam, exam point, file name, declared SHA-256, length) while it is
/// being created; `None` when the request declares no SHA-256 (creation by content does not
/// apply).
fn content_lock(
    state: &UploadServerState,
    meta: &UploadMetadata,
    identity: Option<&BoxIdentity>,
    length: u64,
) -> Option<Arc<tokio::sync::Mutex<()>>> {
    if meta.sha256.is_empty() {
        return None;
    }
    let ppe = if meta.ppe_code.is_empty() { identity.map(|i| i.ppe_code.as_str()).unwrap_or_default() } else { meta.ppe_code.as_str() };
    Some(state.locks.lock_for(&format!("content\u{0}{}\u{0}{ppe}\u{0}{}\u{0}{}\u{0}{length}", meta.exam_id, meta.file_name, meta.sha256)))
}

/// The protocol-neutral operations.
pub struct UploadCore;

impl UploadCore {
    /// Creation: a new upload, or the same content's upload already here (see
    /// [`Self::prepare`]).
    pub fn create(state: &UploadServerState, length: u64, meta: UploadMetadata, identity: Option<&BoxIdentity>) -> Result<TusUploadRow, CoreError> {
        let row = match Self::prepare(state, length, meta, identity)? {
            Prepared::Existing(row) => return Ok(row),
            Prepared::New(row) => row,
        };
        // The partial is made by the first append: an upload with no bytes needs nothing
        // stored, which saves two fsyncs per file.
        if length == 0 {
            let empty = crate::util::sha256_hex(b"");
            if !row.declared_sha256.is_empty() && row.declared_sha256 != empty {
                return Err(content_mismatch(state, &row));
            }
            let sealed = state.blobs.seal_whole(&row.upload_id, &[], &empty)?;
            return state.group.submit(state, DurableOp::Complete { row, insert: true, sealed });
        }
        state.group.submit(state, DurableOp::Offset { row, insert: true })
    }

    /// Checks a creation request and finds what it should get: the same content's upload
    /// when one is here, else a new row (not yet stored).
    fn prepare(state: &UploadServerState, length: u64, meta: UploadMetadata, identity: Option<&BoxIdentity>) -> Result<Prepared, CoreError> {
        if length > state.max_size {
            return Err(CoreError::Limit(super::limits::LimitRefusal::TooLarge { length, max: state.max_size }));
        }
        let mut meta = meta;
        if let Some(id) = identity {
            if meta.ppe_code.is_empty() {
                meta.ppe_code = PpeCode::from(&id.ppe_code);
            } else if meta.ppe_code != *id.ppe_code {
                return Err(CoreError::Forbidden(format!("upload for exam point {} refused: this box is exam point {}", meta.ppe_code, id.ppe_code)));
            }
        }
        if meta.exam_id.is_empty() || meta.ppe_code.is_empty() {
            return Err(CoreError::BadRequest("metadata must name exam_id and ppe_code".into()));
        }
        if !meta.sha256.is_empty() && (meta.sha256.len() != 64 || !meta.sha256.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(CoreError::BadRequest("metadata sha256 must be 64 hex digits".into()));
        }
        let now = state.clock.now_rfc3339();
        let row = TusUploadRow {
            upload_id: uuid::Uuid::new_v4().simple().to_string(),
            exam_id: meta.exam_id.to_string(),
            ppe_code: meta.ppe_code.to_string(),
            file_name: meta.file_name.clone(),
            kind: meta.kind.clone(),
            declared_sha256: meta.sha256.clone(),
            upload_length: length,
            upload_offset: 0,
            metadata_json: serde_json::to_string(&meta.all).unwrap_or_default(),
            created_at: now.clone(),
            updated_at: now,
            expires_at: state.expiry_from_now(),
            completed_at: None,
            stored_sha256: None,
        };
        // Creation is idempotent by content: a box that lost the URL gets the same upload back
        // and resumes from its offset instead of sending the file twice.
        if !row.declared_sha256.is_empty() {
            if let Some(same) = state.meta.upload_find_same(&row, &row.created_at)? {
                return Ok(Prepared::Existing(same));
            }
        }
        // Only new bytes count against the box's allowance and the hub's disk.
        if let Some(limits) = &state.limits {
            let usage = state.meta.box_usage(&row.exam_id, &row.ppe_code)?;
            super::limits::check_creation(length, &usage, state.blobs.free_bytes(), limits).map_err(|refusal| {
                tracing::warn!(ppe = %row.ppe_code, exam = %row.exam_id, length, reason = refusal.code(), "upload creation refused: {refusal}");
                CoreError::Limit(refusal)
            })?;
        }
        Ok(Prepared::New(row))
    }

    /// The upload as the server holds it; expired unfinished uploads are gone.
    pub fn status(state: &UploadServerState, upload_id: &str, identity: Option<&BoxIdentity>) -> Result<TusUploadRow, CoreError> {
        let row = state.meta.upload_get(upload_id)?.ok_or(CoreError::NotFound)?;
        if let Some(id) = identity {
            if id.ppe_code != row.ppe_code {
                return Err(CoreError::NotFound);
            }
        }
        if row.completed_at.is_none() && row.expires_at < state.clock.now_rfc3339() {
            return Err(CoreError::Gone);
        }
        Ok(row)
    }

    /// Appends a body at `client_offset`. With `expected_sha256` the whole body must match or
    /// nothing of it is kept; without, whatever arrived before a break is kept (tus core).
    ///
    /// The body is gathered in memory (spilled to the partial every [`SPILL_AT`] bytes for a
    /// big body) and hashed as it arrives; the write and the fsync run in one blocking task,
    /// and the new offset (for the last chunk: the completion at the content address) is
    /// committed together with whatever other requests are committing
    /// ([`GroupCommit`](crate::upload::group_commit::GroupCommit)), so a page costs one hop to
    /// the blocking pool and a share of one database commit.
    pub async fn append<S, E>(
        state: &Arc<UploadServerState>,
        upload_id: &str,
        client_offset: u64,
        body: S,
        expected_sha256: Option<[u8; 32]>,
        identity: Option<&BoxIdentity>,
    ) -> Result<TusUploadRow, CoreError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        Self::append_holding(state, upload_id, client_offset, body, expected_sha256, identity, Vec::new()).await
    }

    /// [`Self::append`] with locks the caller already holds (kept until the write is durable).
    #[allow(clippy::too_many_arguments)]
    async fn append_holding<S, E>(
        state: &Arc<UploadServerState>,
        upload_id: &str,
        client_offset: u64,
        body: S,
        expected_sha256: Option<[u8; 32]>,
        identity: Option<&BoxIdentity>,
        mut held: Vec<OwnedMutexGuard<()>>,
    ) -> Result<TusUploadRow, CoreError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        held.push(state.locks.lock_for(upload_id).lock_owned().await);
        let held = Arc::new(held);
        let row = Self::status(state, upload_id, identity)?;
        if client_offset != row.upload_offset || row.completed_at.is_some() {
            return Err(CoreError::OffsetMismatch { client: client_offset, server: row.upload_offset });
        }
        if let Some(limits) = &state.limits {
            super::limits::check_append(row.upload_length - row.upload_offset, state.blobs.free_bytes(), limits).map_err(CoreError::Limit)?;
        }
        let gathered = Self::gather(state, &row, body, expected_sha256, &held).await?;
        Self::persist(state, row, gathered, false, held).await
    }

    /// Async creation for a handler: waits while a request with the same content is being
    /// created (see [`content_lock`]), then [`Self::create`].
    pub async fn create_waiting(
        state: &Arc<UploadServerState>,
        length: u64,
        meta: UploadMetadata,
        identity: Option<BoxIdentity>,
    ) -> Result<TusUploadRow, CoreError> {
        let _content = match content_lock(state, &meta, identity.as_ref(), length) {
            Some(lock) => Some(lock.lock_owned().await),
            None => None,
        };
        let st = state.clone();
        tokio::task::spawn_blocking(move || Self::create(&st, length, meta, identity.as_ref())).await.map_err(join_error)?
    }

    /// Creation with the first bytes in the same request. A new upload's row is written
    /// together with its first offset (for a file sent whole: with its completion), so a page
    /// costs one commit instead of two. When creation finds the same content already here
    /// (see [`Self::create`]), the body is appended if that upload holds no byte yet and read
    /// and dropped otherwise; the answer names the offset.
    pub async fn create_with_upload<S, E>(
        state: &Arc<UploadServerState>,
        length: u64,
        meta: UploadMetadata,
        mut body: S,
        expected_sha256: Option<[u8; 32]>,
        identity: Option<&BoxIdentity>,
    ) -> Result<TusUploadRow, CoreError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        // Creation by content stays idempotent while this body is read and committed: another
        // creation of the same content waits here and then finds this upload.
        let mut held = Vec::new();
        if let Some(lock) = content_lock(state, &meta, identity, length) {
            held.push(lock.lock_owned().await);
        }
        let st = state.clone();
        let id = identity.cloned();
        let prepared = tokio::task::spawn_blocking(move || Self::prepare(&st, length, meta, id.as_ref())).await.map_err(join_error)??;
        match prepared {
            Prepared::Existing(row) if row.completed_at.is_none() && row.upload_offset == 0 => {
                Self::append_holding(state, &row.upload_id, 0, body, expected_sha256, identity, held).await
            }
            Prepared::Existing(row) => {
                // Read and dropped, never more than the upload's length.
                let mut drained = 0u64;
                let idle = state.body_idle();
                while let Ok(Some(Ok(bytes))) = next_frame(&mut body, idle).await {
                    state.bytes_received_total.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    drained += bytes.len() as u64;
                    if drained > row.upload_length {
                        return Err(CoreError::BadRequest("body goes past Upload-Length".into()));
                    }
                }
                Ok(row)
            }
            Prepared::New(row) => {
                // Nobody else knows this upload id before its row is committed.
                let held = Arc::new(held);
                let gathered = Self::gather(state, &row, body, expected_sha256, &held).await?;
                Self::persist(state, row, gathered, true, held).await
            }
        }
    }

    /// Reads a request body for `row` at its offset: hashed as it arrives, kept in memory,
    /// spilled to the partial past [`SPILL_AT`]. A body that fails its checksum (or breaks
    /// off under one) leaves nothing behind.
    async fn gather<S, E>(
        state: &Arc<UploadServerState>,
        row: &TusUploadRow,
        mut body: S,
        expected_sha256: Option<[u8; 32]>,
        held: &Held,
    ) -> Result<Gathered, CoreError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let base = row.upload_offset;
        let room = row.upload_length - base;
        // ring's SHA-256 (SHA-NI assembly) is the fastest here; this is the hot path.
        let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
        let mut pending: Vec<bytes::Bytes> = Vec::new();
        let mut pending_len = 0usize;
        let mut spilled: u64 = 0;
        let mut broken: Option<String> = None;
        let idle = state.body_idle();
        loop {
            let item = match next_frame(&mut body, idle).await {
                Ok(Some(item)) => item,
                Ok(None) => break,
                Err(waited) => {
                    broken = Some(format!("no body bytes for {} s", waited.as_secs()));
                    break;
                }
            };
            match item {
                Ok(bytes) => {
                    state.bytes_received_total.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    if spilled + (pending_len + bytes.len()) as u64 > room {
                        if spilled > 0 {
                            Self::blocking_truncate(state, row, base).await?;
                        }
                        return Err(CoreError::BadRequest("body goes past Upload-Length".into()));
                    }
                    hasher.update(&bytes);
                    pending_len += bytes.len();
                    pending.push(bytes);
                    if pending_len >= SPILL_AT {
                        let data = std::mem::take(&mut pending);
                        let (at, n) = (spilled, std::mem::take(&mut pending_len) as u64);
                        let (st, r, h) = (state.clone(), row.clone(), held.clone());
                        tokio::task::spawn_blocking(move || {
                            let _held = h;
                            Self::write_partial(&st, &r, at, &data, Durability::Buffered)
                        })
                        .await
                        .map_err(join_error)??;
                        spilled += n;
                    }
                }
                Err(e) => {
                    broken = Some(e.to_string());
                    break;
                }
            }
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(hasher.finish().as_ref());
        if let Some(expected) = expected_sha256 {
            if broken.is_some() || digest != expected {
                if spilled > 0 {
                    Self::blocking_truncate(state, row, base).await?;
                }
                return Err(match broken {
                    Some(e) => CoreError::BadRequest(format!("body broken off: {e}")),
                    None => CoreError::ChecksumMismatch,
                });
            }
        }
        Ok(Gathered { pending, pending_len, spilled, digest, broken })
    }

    /// Writes durably what [`Self::gather`] kept, then commits the new offset (and the
    /// completion) through the group commit. `insert`: the row is new and goes in with it.
    async fn persist(state: &Arc<UploadServerState>, row: TusUploadRow, g: Gathered, insert: bool, held: Held) -> Result<TusUploadRow, CoreError> {
        let st = state.clone();
        let broken = g.broken.clone();
        let row = tokio::task::spawn_blocking(move || -> Result<TusUploadRow, CoreError> {
            let _held = held;
            let base = row.upload_offset;
            let written = g.spilled + g.pending_len as u64;
            let new_offset = base + written;
            let complete = new_offset == row.upload_length;
            // The body is the whole file from its first byte: hashed already, and written in
            // one go (a page, usually), sealed for its content address.
            let whole = base == 0 && g.spilled == 0;
            // The invariant: bytes reach the disk before their offset is acknowledged.
            let sealed = if whole && complete {
                Some(st.blobs.seal_whole(&row.upload_id, &g.pending, &hex::encode(g.digest))?)
            } else {
                if written > 0 {
                    Self::write_partial(&st, &row, g.spilled, &g.pending, Durability::Durable)?;
                }
                None
            };
            let now = st.clock.now_rfc3339();
            let row = TusUploadRow { upload_offset: new_offset, updated_at: now, expires_at: st.expiry_from_now(), ..row };
            let op = if complete {
                let sealed = match sealed {
                    Some(s) => s,
                    None => st.blobs.seal_partial(&row.upload_id, None)?,
                };
                // Never complete with bytes that are not what was declared: the upload is
                // dropped (bytes and row), so creation by content cannot hand it back.
                if !row.declared_sha256.is_empty() && sealed.sha256() != row.declared_sha256 {
                    drop(sealed);
                    st.blobs.partial_remove(&row.upload_id)?;
                    if !insert {
                        st.meta.upload_delete(&row.upload_id)?;
                    }
                    tracing::warn!(upload_id = %row.upload_id, ppe = %row.ppe_code, "upload's bytes do not hash to its declared sha256; discarded");
                    return Err(content_mismatch(&st, &row));
                }
                DurableOp::Complete { row, insert, sealed }
            } else {
                DurableOp::Offset { row, insert }
            };
            st.group.submit(&st, op)
        })
        .await
        .map_err(join_error)??;
        if let Some(e) = broken {
            tracing::info!(upload_id = %row.upload_id, kept = row.upload_offset, "body broken off: {e}");
        }
        Ok(row)
    }

    /// Appends into the upload's partial at `row`'s offset plus `at`; a partial shorter than
    /// that is [`Self::partial_lost`].
    fn write_partial(state: &UploadServerState, row: &TusUploadRow, at: u64, data: &[bytes::Bytes], durability: Durability) -> Result<(), CoreError> {
        match state.blobs.partial_append(&row.upload_id, row.upload_offset + at, data, durability) {
            Err(BlobError::PartialShort { .. }) => Err(Self::partial_lost(state, row)),
            other => other.map_err(CoreError::from),
        }
    }

    /// The partial is shorter than the offset the database holds (the hub lost it, or a
    /// completion failed after the move): the offset goes back to what the partial holds and
    /// the client is told to ask again (409), so it resends from there instead of leaving a gap.
    pub(super) fn partial_lost(state: &UploadServerState, row: &TusUploadRow) -> CoreError {
        let held = state.blobs.partial_len(&row.upload_id).ok().flatten().unwrap_or(0).min(row.upload_offset);
        tracing::warn!(upload_id = %row.upload_id, offset = row.upload_offset, held, "partial file shorter than its offset; offset reset");
        // Only from the offset this request saw, and never on a completed upload.
        let reset = (|| -> Result<u64, CoreError> {
            if state.meta.upload_reset_offset(&row.upload_id, row.upload_offset, held, &row.updated_at)? {
                return Ok(held);
            }
            Ok(state.meta.upload_get(&row.upload_id)?.map_or(0, |r| r.upload_offset))
        })();
        match reset {
            Ok(server) => CoreError::OffsetMismatch { client: row.upload_offset, server },
            Err(e) => e,
        }
    }

    /// Drops bytes past the acknowledged offset (a refused body), durably.
    async fn blocking_truncate(state: &Arc<UploadServerState>, row: &TusUploadRow, base: u64) -> Result<(), CoreError> {
        let (st, id) = (state.clone(), row.upload_id.clone());
        tokio::task::spawn_blocking(move || st.blobs.partial_truncate(&id, base)).await.map_err(join_error)?.map_err(CoreError::from)
    }

    pub fn terminate(state: &UploadServerState, upload_id: &str, identity: Option<&BoxIdentity>) -> Result<(), CoreError> {
        let row = state.meta.upload_get(upload_id)?.ok_or(CoreError::NotFound)?;
        if identity.is_some_and(|id| id.ppe_code != row.ppe_code) {
            return Err(CoreError::NotFound);
        }
        // A completed file may be shared by content with another upload; only the partial goes.
        let _ = state.blobs.partial_remove(upload_id);
        state.meta.upload_delete(upload_id)?;
        Ok(())
    }

    /// Removes unfinished uploads past their expiry; returns how many.
    pub fn expire(state: &UploadServerState) -> Result<usize, CoreError> {
        let ids = state.meta.uploads_expired(&state.clock.now_rfc3339())?;
        for id in &ids {
            let _ = state.blobs.partial_remove(id);
            state.meta.upload_delete(id)?;
        }
        // Partials no upload names (a body refused after it was spilled, a hub stopped between
        // the write and the commit, an interrupted media import), once they are older than an
        // upload may stay idle.
        let idle = state.expire_after.to_std().unwrap_or_default();
        for partial in state.blobs.partials()? {
            let old = partial.modified.and_then(|t| t.elapsed().ok()).is_some_and(|age| age >= idle);
            if old && state.meta.upload_get(&partial.upload_id)?.is_none() {
                let _ = state.blobs.partial_remove(&partial.upload_id);
            }
        }
        Ok(ids.len())
    }
}
