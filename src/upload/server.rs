//! The hub's side of the upload: a tus 1.0.0 server (core, creation, checksum sha256,
//! termination, expiration) and the bundle finalize endpoint, as an axum `Router` to nest at
//! `/v1/uploads`.
//!
//! [`UploadCore`] holds the protocol-neutral operations (create, offset, append with an
//! optional digest, terminate, finalize); the handlers below only map tus headers onto them,
//! so another dialect (the IETF resumable-upload draft with `Repr-Digest`) can sit beside
//! them. Invariants: an offset is acknowledged only after the bytes up to it are fsynced; a
//! chunk whose checksum fails leaves no byte behind; completed files are stored
//! content-addressed by SHA-256 (`blobs/<sha256>`), so retries are idempotent.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{OriginalUri, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{options, patch, post};
use axum::{Extension, Json, Router};
use base64::Engine;
use futures_util::StreamExt;
use ring::signature::Ed25519KeyPair;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::OwnedMutexGuard;

use super::group_commit::{DurableOp, GroupCommit};
use super::store::{self as upload_store, TusUploadRow};
use super::{make_receipt, verify_signed_manifest, ManifestFile, Receipt, SignedManifest, UploadError};
use crate::clock::Clock;
use crate::context::BoxIdentity;
use crate::store::Connection;

pub const TUS_VERSION: &str = "1.0.0";
pub const TUS_EXTENSIONS: &str = "creation,creation-with-upload,checksum,termination,expiration";
/// OPTIONS header of our hub: creation with the same exam, exam point, file name, declared
/// `sha256` metadata and length returns the upload already there.
pub const IDEMPOTENT_CREATION_HEADER: &str = "Ppe-Idempotent-Creation";
/// Status code tus assigns to a checksum mismatch.
pub const CHECKSUM_MISMATCH: u16 = 460;

/// What the server needs; shared by every request.
pub struct UploadServerState {
    pub db: Mutex<Connection>,
    /// `state_dir/uploads`: `partial/<upload_id>` while uploading, `blobs/<sha256>` when done.
    pub storage_dir: PathBuf,
    pub clock: Clock,
    pub hub_key: Ed25519KeyPair,
    /// Unfinished uploads expire this long after their last progress.
    pub expire_after: chrono::Duration,
    pub max_size: u64,
    /// Every body byte read by PATCH, kept or discarded (re-sends show up here).
    pub bytes_received_total: std::sync::atomic::AtomicU64,
    /// Offsets and completions become durable in groups (see [`GroupCommit`]).
    pub group: GroupCommit,
    /// One lock per upload while requests hold it; entries nobody holds are pruned.
    locks: Mutex<HashMap<String, std::sync::Weak<tokio::sync::Mutex<()>>>>,
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

/// Locks a request holds until its bytes are durable (shared with its blocking tasks).
type Held = Arc<Vec<OwnedMutexGuard<()>>>;

/// What a creation request gets.
enum Prepared {
    /// The same content's upload, already here (with its offset).
    Existing(TusUploadRow),
    /// A new upload, not yet stored.
    New(TusUploadRow),
}

/// The per-upload lock table is swept of unheld entries when it reaches this size.
const LOCKS_PRUNE_AT: usize = 4096;

/// A PATCH body bigger than this is written to the partial file in pieces of this size.
pub const SPILL_AT: usize = 16 << 20;

/// Writes `data` at `base + at` of the partial file (created if missing). The first write of
/// a PATCH (`at == 0`) first cuts the file back to `base`: bytes past the acknowledged offset
/// are from a chunk that never completed. With `sync`, fdatasync before returning.
fn write_at(path: &Path, base: u64, at: u64, data: &[bytes::Bytes], sync: bool) -> std::io::Result<()> {
    use std::io::Seek;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
    if at == 0 {
        // Never fill a gap with zeros: a partial shorter than the acknowledged offset is lost.
        if f.metadata()?.len() < base {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "partial file shorter than its offset"));
        }
        f.set_len(base)?;
    }
    f.seek(std::io::SeekFrom::Start(base + at))?;
    write_chunks(&mut f, data)?;
    if sync {
        f.sync_data()?;
    }
    Ok(())
}

/// Writes the body frames as they arrived (writev), without gathering them into one buffer.
fn write_chunks(f: &mut std::fs::File, chunks: &[bytes::Bytes]) -> std::io::Result<()> {
    use std::io::{IoSlice, Write};
    let mut slices: Vec<IoSlice<'_>> = chunks.iter().filter(|c| !c.is_empty()).map(|c| IoSlice::new(c)).collect();
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        // IOV_MAX is 1024 on Linux.
        let n = f.write_vectored(&rest[..rest.len().min(512)])?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::WriteZero, "write returned 0"));
        }
        IoSlice::advance_slices(&mut rest, n);
    }
    Ok(())
}

fn join_error(e: tokio::task::JoinError) -> CoreError {
    CoreError::Storage(format!("blocking task: {e}"))
}

/// Why an operation failed, independent of the header dialect.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("no such upload")]
    NotFound,
    #[error("upload expired")]
    Gone,
    #[error("offset {client} does not match the server's {server}")]
    OffsetMismatch { client: u64, server: u64 },
    #[error("checksum mismatch: the chunk was discarded, send it again")]
    ChecksumMismatch,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("upload larger than allowed ({0} bytes)")]
    TooLarge(u64),
    #[error("bundle refused: {0}")]
    Refused(UploadError),
    #[error("storage: {0}")]
    Storage(String),
}

impl From<std::io::Error> for CoreError {
    fn from(e: std::io::Error) -> Self {
        CoreError::Storage(e.to_string())
    }
}
fn sql<T>(r: Result<T, impl std::fmt::Display>) -> Result<T, CoreError> {
    r.map_err(|e| CoreError::Storage(format!("database: {e}")))
}

/// Metadata the hub needs for every upload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadMetadata {
    pub exam_id: String,
    pub ppe_code: String,
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
            exam_id: get(&["exam_id"]),
            ppe_code: get(&["ppe_code"]),
            file_name: get(&["file_name", "filename", "name"]),
            kind: get(&["kind"]),
            sha256: get(&["sha256"]).to_ascii_lowercase(),
            all,
        }
    }
}

impl UploadServerState {
    pub fn new(db: Connection, storage_dir: PathBuf, clock: Clock, hub_key: Ed25519KeyPair) -> std::io::Result<Self> {
        std::fs::create_dir_all(storage_dir.join("partial"))?;
        std::fs::create_dir_all(storage_dir.join("blobs"))?;
        Ok(Self {
            db: Mutex::new(db),
            storage_dir,
            clock,
            hub_key,
            expire_after: chrono::Duration::hours(24),
            max_size: 4 << 30,
            bytes_received_total: std::sync::atomic::AtomicU64::new(0),
            group: GroupCommit::default(),
            locks: Mutex::new(HashMap::new()),
        })
    }

    fn db(&self) -> Result<std::sync::MutexGuard<'_, Connection>, CoreError> {
        self.db.lock().map_err(|_| CoreError::Storage("database lock poisoned".into()))
    }

    pub(super) fn partial_path(&self, upload_id: &str) -> PathBuf {
        self.storage_dir.join("partial").join(upload_id)
    }

    /// Where a completed file with this SHA-256 lives.
    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        self.storage_dir.join("blobs").join(sha256)
    }

    /// The lock of a content (exam, exam point, file name, declared SHA-256, length) while it
    /// is being created; `None` when the request declares no SHA-256 (creation by content does
    /// not apply).
    fn content_lock(&self, meta: &UploadMetadata, identity: Option<&BoxIdentity>, length: u64) -> Option<Arc<tokio::sync::Mutex<()>>> {
        if meta.sha256.is_empty() {
            return None;
        }
        let ppe = if meta.ppe_code.is_empty() { identity.map(|i| i.ppe_code.as_str()).unwrap_or_default() } else { meta.ppe_code.as_str() };
        Some(self.lock_for(&format!("content\u{0}{}\u{0}{ppe}\u{0}{}\u{0}{}\u{0}{length}", meta.exam_id, meta.file_name, meta.sha256)))
    }

    fn lock_for(&self, upload_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(held) = locks.get(upload_id).and_then(std::sync::Weak::upgrade) {
            return held;
        }
        // A hub sees every page of a region: forget the locks no request holds any more.
        if locks.len() >= LOCKS_PRUNE_AT {
            locks.retain(|_, l| l.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(upload_id.to_string(), Arc::downgrade(&lock));
        lock
    }

    fn expiry_from_now(&self) -> String {
        (self.clock.now() + self.expire_after).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

/// The protocol-neutral operations.
pub struct UploadCore;

impl UploadCore {
    /// tus creation: a new upload, or the same content's upload already here (see
    /// [`Self::prepare`]).
    pub fn create(state: &UploadServerState, length: u64, meta: UploadMetadata, identity: Option<&BoxIdentity>) -> Result<TusUploadRow, CoreError> {
        let row = match Self::prepare(state, length, meta, identity)? {
            Prepared::Existing(row) => return Ok(row),
            Prepared::New(row) => row,
        };
        // The partial file is made by the first PATCH (open with create): an upload with no
        // bytes needs nothing on disk, which saves two fsyncs per file.
        if length == 0 {
            let sha = crate::util::sha256_hex(b"");
            return state.group.submit(state, DurableOp::Complete { row, insert: true, sha, unnamed: None });
        }
        state.group.submit(state, DurableOp::Offset { row, insert: true })
    }

    /// Checks a creation request and finds what it should get: the same content's upload
    /// when one is here, else a new row (not yet stored).
    fn prepare(state: &UploadServerState, length: u64, meta: UploadMetadata, identity: Option<&BoxIdentity>) -> Result<Prepared, CoreError> {
        if length > state.max_size {
            return Err(CoreError::TooLarge(state.max_size));
        }
        let mut meta = meta;
        if let Some(id) = identity {
            if meta.ppe_code.is_empty() {
                meta.ppe_code = id.ppe_code.clone();
            } else if meta.ppe_code != id.ppe_code {
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
            exam_id: meta.exam_id.clone(),
            ppe_code: meta.ppe_code.clone(),
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
            if let Some(same) = sql(upload_store::tus_find_same(&*state.db()?, &row, &row.created_at))? {
                return Ok(Prepared::Existing(same));
            }
        }
        Ok(Prepared::New(row))
    }

    /// The upload as the server holds it; expired unfinished uploads are gone.
    pub fn status(state: &UploadServerState, upload_id: &str, identity: Option<&BoxIdentity>) -> Result<TusUploadRow, CoreError> {
        let row = sql(upload_store::tus_get(&*state.db()?, upload_id))?.ok_or(CoreError::NotFound)?;
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
    /// The body is gathered in memory (spilled to the partial file every [`SPILL_AT`] bytes
    /// for a big PATCH) and hashed as it arrives; the write and the fsync run in one blocking
    /// task, and the new offset (for the last chunk: the move to the content address and the
    /// completion) is committed together with whatever other requests are committing
    /// ([`GroupCommit`]), so a page costs one hop to the blocking pool and a share of one
    /// database commit.
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
        held.push(state.lock_for(upload_id).lock_owned().await);
        // Held by every blocking task of this request: a client that goes away drops the
        // request, not the lock, while its bytes are still being written and committed.
        let held = Arc::new(held);
        let row = Self::status(state, upload_id, identity)?;
        if client_offset != row.upload_offset || row.completed_at.is_some() {
            return Err(CoreError::OffsetMismatch { client: client_offset, server: row.upload_offset });
        }
        let gathered = Self::gather(state, &row, body, expected_sha256, &held).await?;
        Self::persist(state, row, gathered, false, held).await
    }

    /// Async creation for the tus handler: waits while a request with the same content is being
    /// created (see [`Self::content_lock`]), then [`Self::create`].
    pub async fn create_waiting(
        state: &Arc<UploadServerState>,
        length: u64,
        meta: UploadMetadata,
        identity: Option<BoxIdentity>,
    ) -> Result<TusUploadRow, CoreError> {
        let _content = match state.content_lock(&meta, identity.as_ref(), length) {
            Some(lock) => Some(lock.lock_owned().await),
            None => None,
        };
        let st = state.clone();
        tokio::task::spawn_blocking(move || Self::create(&st, length, meta, identity.as_ref())).await.map_err(join_error)?
    }

    /// tus creation-with-upload: creates the upload and takes the first bytes in the same
    /// request. A new upload's row is written together with its first offset (for a file sent
    /// whole: with its completion), so a page costs one commit instead of two. When creation
    /// finds the same content already here (see [`Self::create`]), the body is appended if that
    /// upload holds no byte yet and read and dropped otherwise; the answer names the offset.
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
        if let Some(lock) = state.content_lock(&meta, identity, length) {
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
                while let Some(Ok(bytes)) = body.next().await {
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
    /// spilled to the partial file past [`SPILL_AT`]. A body that fails its checksum (or
    /// breaks off under one) leaves nothing behind.
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
        let path = state.partial_path(&row.upload_id);
        let base = row.upload_offset;
        let room = row.upload_length - base;
        // ring's SHA-256 (SHA-NI assembly) is the fastest here; this is the hot path.
        let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
        let mut pending: Vec<bytes::Bytes> = Vec::new();
        let mut pending_len = 0usize;
        let mut spilled: u64 = 0;
        let mut broken: Option<String> = None;
        while let Some(item) = body.next().await {
            match item {
                Ok(bytes) => {
                    state.bytes_received_total.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    if spilled + (pending_len + bytes.len()) as u64 > room {
                        if spilled > 0 {
                            Self::blocking_truncate(path, base).await?;
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
                            Self::write_partial(&st, &r, at, data, false)
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
                    Self::blocking_truncate(path, base).await?;
                }
                return Err(match broken {
                    Some(e) => CoreError::BadRequest(format!("body broken off: {e}")),
                    None => CoreError::ChecksumMismatch,
                });
            }
        }
        Ok(Gathered { pending, pending_len, spilled, digest, broken })
    }

    /// Writes and fsyncs what [`Self::gather`] kept, then commits the new offset (and the
    /// completion) through the group commit. `insert`: the row is new and goes in with it.
    async fn persist(state: &Arc<UploadServerState>, row: TusUploadRow, g: Gathered, insert: bool, held: Held) -> Result<TusUploadRow, CoreError> {
        let st = state.clone();
        let broken = g.broken.clone();
        let row = tokio::task::spawn_blocking(move || -> Result<TusUploadRow, CoreError> {
            let _held = held;
            let path = st.partial_path(&row.upload_id);
            let base = row.upload_offset;
            let written = g.spilled + g.pending_len as u64;
            let new_offset = base + written;
            // The body is the whole file from its first byte: hashed already, and (a page,
            // usually) written as an unnamed file in the blob folder that the group commit
            // links at its content address.
            let whole = base == 0 && g.spilled == 0;
            let mut unnamed = None;
            if whole && written > 0 && new_offset == row.upload_length {
                unnamed = super::group_commit::open_unnamed(&st.storage_dir.join("blobs")).ok();
            }
            // The invariant: bytes reach the disk before their offset is acknowledged.
            match unnamed.as_mut() {
                Some(file) => {
                    write_chunks(file, &g.pending)?;
                    file.sync_data()?;
                }
                None if written > 0 => Self::write_partial(&st, &row, g.spilled, g.pending, true)?,
                None => {}
            }
            let now = st.clock.now_rfc3339();
            let row = TusUploadRow { upload_offset: new_offset, updated_at: now, expires_at: st.expiry_from_now(), ..row };
            let op = if new_offset == row.upload_length {
                let sha = if whole { hex::encode(g.digest) } else { sha256_file(&path)? };
                DurableOp::Complete { row, insert, sha, unnamed }
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

    /// [`write_at`] into the upload's partial file at `row`'s offset; a partial shorter than
    /// that offset is [`Self::partial_lost`].
    fn write_partial(state: &UploadServerState, row: &TusUploadRow, at: u64, data: Vec<bytes::Bytes>, sync: bool) -> Result<(), CoreError> {
        match write_at(&state.partial_path(&row.upload_id), row.upload_offset, at, &data, sync) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(Self::partial_lost(state, row)),
            other => other.map_err(CoreError::from),
        }
    }

    /// The partial file is shorter than the offset the database holds (the hub lost it, or a
    /// completion failed after the move): the offset goes back to what the file holds and the
    /// client is told to ask again (409), so it resends from there instead of leaving a gap.
    fn partial_lost(state: &UploadServerState, row: &TusUploadRow) -> CoreError {
        let held = std::fs::metadata(state.partial_path(&row.upload_id)).map(|m| m.len()).unwrap_or(0).min(row.upload_offset);
        tracing::warn!(upload_id = %row.upload_id, offset = row.upload_offset, held, "partial file shorter than its offset; offset reset");
        // Only from the offset this request saw, and never on a completed upload.
        let reset = state.db().and_then(|db| {
            if sql(upload_store::tus_reset_offset(&db, &row.upload_id, row.upload_offset, held, &row.updated_at))? {
                return Ok(held);
            }
            Ok(sql(upload_store::tus_get(&db, &row.upload_id))?.map_or(0, |r| r.upload_offset))
        });
        match reset {
            Ok(server) => CoreError::OffsetMismatch { client: row.upload_offset, server },
            Err(e) => e,
        }
    }

    /// Drops bytes past the acknowledged offset (a refused body) and syncs.
    async fn blocking_truncate(path: PathBuf, base: u64) -> Result<(), CoreError> {
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let f = std::fs::OpenOptions::new().write(true).open(&path)?;
            f.set_len(base)?;
            f.sync_data()
        })
        .await
        .map_err(join_error)?
        .map_err(CoreError::from)
    }

    pub fn terminate(state: &UploadServerState, upload_id: &str, identity: Option<&BoxIdentity>) -> Result<(), CoreError> {
        let row = sql(upload_store::tus_get(&*state.db()?, upload_id))?.ok_or(CoreError::NotFound)?;
        if identity.is_some_and(|id| id.ppe_code != row.ppe_code) {
            return Err(CoreError::NotFound);
        }
        // A completed file may be shared by content with another upload; only the partial goes.
        let _ = std::fs::remove_file(state.partial_path(upload_id));
        sql(upload_store::tus_delete(&*state.db()?, upload_id))?;
        Ok(())
    }

    /// Removes unfinished uploads past their expiry; returns how many.
    pub fn expire(state: &UploadServerState) -> Result<usize, CoreError> {
        let ids = sql(upload_store::tus_expired(&*state.db()?, &state.clock.now_rfc3339()))?;
        for id in &ids {
            let _ = std::fs::remove_file(state.partial_path(id));
            sql(upload_store::tus_delete(&*state.db()?, id))?;
        }
        // Partial files no upload names (a body refused after it was spilled, a hub stopped
        // between the write and the commit, an interrupted media import), once they are older
        // than an upload may stay idle.
        let idle = state.expire_after.to_std().unwrap_or_default();
        for entry in std::fs::read_dir(state.storage_dir.join("partial"))?.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let old = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age >= idle);
            if old && sql(upload_store::tus_get(&*state.db()?, &name))?.is_none() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(ids.len())
    }

    /// What the hub holds for a manifest file: the blob with that hash, its size and hash.
    /// The hash is recomputed from the bytes on disk, never taken from a name.
    pub fn held(state: &UploadServerState, f: &ManifestFile) -> super::HeldFile {
        let path = state.blob_path(&f.sha256);
        let len = std::fs::metadata(&path).ok()?.len();
        let sha = sha256_file(&path).ok()?;
        Some((len, sha))
    }

    /// Verifies a signed manifest against what arrived and answers with a signed receipt.
    pub fn finalize(state: &UploadServerState, signed: &SignedManifest, identity: Option<&BoxIdentity>) -> Result<Receipt, CoreError> {
        let m = &signed.manifest;
        let mut held = |f: &ManifestFile| -> super::HeldFile {
            // What arrived over tus under this name is what the box sent; fall back to content.
            let by_name = state.db().ok().and_then(|db| upload_store::tus_latest_completed(&db, &m.exam_id, &m.ppe_code, &f.name).ok().flatten());
            match by_name {
                Some(row) => row.stored_sha256.map(|sha| (row.upload_length, sha)),
                None => Self::held(state, f),
            }
        };
        Self::finalize_with(state, signed, identity, "upload", &mut held)
    }

    /// As [`Self::finalize`], with the caller saying what it holds (media: the files on it).
    pub fn finalize_with(
        state: &UploadServerState,
        signed: &SignedManifest,
        identity: Option<&BoxIdentity>,
        via: &str,
        held: &mut dyn FnMut(&ManifestFile) -> super::HeldFile,
    ) -> Result<Receipt, CoreError> {
        let public = sql(upload_store::box_key_get(&*state.db()?, &signed.manifest.ppe_code))?;
        let verdict = verify_signed_manifest(signed, public.as_deref(), identity.map(|i| i.ppe_code.as_str()), held);
        let now = state.clock.now_rfc3339();
        let db = state.db()?;
        let m = &signed.manifest;
        if let Err(e) = verdict {
            sql(crate::audit::store::append(
                &db,
                &now,
                crate::audit::NewEntry {
                    actor: &format!("box:{}", m.ppe_code),
                    action: "upload.bundle_refused",
                    object: &m.exam_id,
                    details: serde_json::json!({"ppe_code": m.ppe_code, "reason": e.code(), "detail": e.to_string()}),
                },
            ))?;
            return Err(CoreError::Refused(e));
        }
        // Idempotent: the same manifest again gets the receipt already issued.
        if let Some(existing) = sql(upload_store::hub_bundle_get(&db, &m.exam_id, &m.ppe_code, &m.sha256()))? {
            if let Ok(r) = serde_json::from_str::<Receipt>(&existing.receipt_json) {
                return Ok(r);
            }
        }
        let receipt = make_receipt(signed, &now, via, &state.hub_key);
        let receipt_json = serde_json::to_string(&receipt).map_err(|e| CoreError::Storage(e.to_string()))?;
        let tx = sql(db.unchecked_transaction())?;
        sql(upload_store::hub_bundle_insert(
            &tx,
            &upload_store::HubBundleRow {
                exam_id: m.exam_id.clone(),
                ppe_code: m.ppe_code.clone(),
                manifest_sha256: receipt.receipt.manifest_sha256.clone(),
                via: via.to_string(),
                file_count: receipt.receipt.file_count,
                total_bytes: receipt.receipt.total_bytes,
                received_at: now.clone(),
                receipt_json,
            },
        ))?;
        sql(crate::audit::store::append(
            &tx,
            &now,
            crate::audit::NewEntry {
                actor: &format!("box:{}", m.ppe_code),
                action: "upload.bundle_accepted",
                object: &m.exam_id,
                details: serde_json::json!({
                    "ppe_code": m.ppe_code, "manifest_sha256": receipt.receipt.manifest_sha256,
                    "files": receipt.receipt.file_count, "bytes": receipt.receipt.total_bytes, "via": via,
                    "box_audit_head": m.audit_head.hash,
                }),
            },
        ))?;
        sql(tx.commit())?;
        Ok(receipt)
    }
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finish()))
}

/// Copies a stream into the blob store (media import), verifying nothing: the caller checks
/// the manifest after. Returns the SHA-256.
pub async fn store_blob_from_file(state: &UploadServerState, src: &Path) -> Result<String, CoreError> {
    let tmp = state.storage_dir.join("partial").join(format!("import-{}", uuid::Uuid::new_v4().simple()));
    let mut input = tokio::fs::File::open(src).await?;
    let mut out = tokio::fs::File::create(&tmp).await?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = input.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        out.write_all(&buf[..n]).await?;
    }
    out.sync_all().await?;
    drop(out);
    let sha = hex::encode(h.finalize());
    let blob = state.blob_path(&sha);
    if blob.exists() {
        tokio::fs::remove_file(&tmp).await?;
    } else {
        tokio::fs::rename(&tmp, &blob).await?;
        crate::util::sync_dir(&state.storage_dir.join("blobs"))?;
    }
    Ok(sha)
}

// ---------- the tus 1.0.0 dialect ----------

/// The router to nest at `/v1/uploads`.
pub fn router(state: Arc<UploadServerState>) -> Router {
    Router::new()
        .route("/", options(tus_options).post(tus_create))
        .route("/bundles", post(bundle_finalize_post))
        .route("/{upload_id}", patch(tus_patch).head(tus_head).delete(tus_delete).options(tus_options))
        .with_state(state)
}

fn tus_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert("Tus-Resumable", HeaderValue::from_static(TUS_VERSION));
    h.insert("Cache-Control", HeaderValue::from_static("no-store"));
    resp
}

fn error_response(e: CoreError) -> Response {
    let status = match &e {
        CoreError::NotFound => StatusCode::NOT_FOUND,
        CoreError::Gone => StatusCode::GONE,
        CoreError::OffsetMismatch { .. } => StatusCode::CONFLICT,
        CoreError::ChecksumMismatch => StatusCode::from_u16(CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST),
        CoreError::BadRequest(_) => StatusCode::BAD_REQUEST,
        CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        CoreError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        CoreError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        CoreError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let CoreError::Storage(detail) = &e {
        tracing::error!("upload storage error: {detail}");
    }
    let body = match &e {
        CoreError::Refused(u) => {
            serde_json::json!({"error": u.code(), "message": u.to_string(), "message_ru": u.message_ru()})
        }
        CoreError::Storage(_) => {
            serde_json::json!({"error": "storage", "message": "storage error on the hub"})
        }
        other => serde_json::json!({"error": "tus", "message": other.to_string()}),
    };
    tus_headers((status, Json(body)).into_response())
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `Some(412 answer)` when the client does not speak tus 1.0.0.
fn refuse_unresumable(h: &HeaderMap) -> Option<Response> {
    if header_str(h, "Tus-Resumable") == Some(TUS_VERSION) {
        return None;
    }
    let mut resp = StatusCode::PRECONDITION_FAILED.into_response();
    resp.headers_mut().insert("Tus-Version", HeaderValue::from_static(TUS_VERSION));
    Some(tus_headers(resp))
}

/// `Upload-Metadata: key base64,key2 base64` (a value may be absent).
pub fn parse_metadata(header: &str) -> Result<BTreeMap<String, String>, CoreError> {
    let mut out = BTreeMap::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.splitn(2, ' ');
        let key = parts.next().unwrap_or_default().to_string();
        let value = match parts.next() {
            Some(v) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .map_err(|_| CoreError::BadRequest(format!("metadata `{key}` is not base64")))?;
                String::from_utf8(raw).map_err(|_| CoreError::BadRequest(format!("metadata `{key}` is not UTF-8")))?
            }
            None => String::new(),
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// `Upload-Checksum: sha256 <base64>`.
pub fn parse_checksum(header: &str) -> Result<[u8; 32], CoreError> {
    let (algo, value) = header.trim().split_once(' ').ok_or_else(|| CoreError::BadRequest("Upload-Checksum malformed".into()))?;
    if !algo.eq_ignore_ascii_case("sha256") {
        return Err(CoreError::BadRequest(format!("checksum algorithm `{algo}` not supported (sha256 only)")));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| CoreError::BadRequest("Upload-Checksum value is not base64".into()))?;
    raw.try_into().map_err(|_| CoreError::BadRequest("Upload-Checksum value is not 32 bytes".into()))
}

fn http_date(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Utc).format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

fn offset_response(status: StatusCode, row: &TusUploadRow) -> Response {
    let mut resp = status.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&row.upload_offset.to_string()) {
        h.insert("Upload-Offset", v);
    }
    if row.completed_at.is_none() {
        if let Ok(v) = HeaderValue::from_str(&http_date(&row.expires_at)) {
            h.insert("Upload-Expires", v);
        }
    }
    tus_headers(resp)
}

async fn tus_options(State(state): State<Arc<UploadServerState>>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert("Tus-Version", HeaderValue::from_static(TUS_VERSION));
    h.insert("Tus-Extension", HeaderValue::from_static(TUS_EXTENSIONS));
    h.insert("Tus-Checksum-Algorithm", HeaderValue::from_static("sha256"));
    // Not a tus extension: tells our boxes that creation is idempotent by content, so they may
    // send a page with its creation request and keep its URL lazily.
    h.insert(IDEMPOTENT_CREATION_HEADER, HeaderValue::from_static("sha256"));
    if let Ok(v) = HeaderValue::from_str(&state.max_size.to_string()) {
        h.insert("Tus-Max-Size", v);
    }
    tus_headers(resp)
}

async fn tus_create(
    State(state): State<Arc<UploadServerState>>,
    OriginalUri(uri): OriginalUri,
    identity: Option<Extension<BoxIdentity>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = refuse_unresumable(&headers) {
        return r;
    }
    let Some(length) = header_str(&headers, "Upload-Length").and_then(|v| v.trim().parse::<u64>().ok()) else {
        return error_response(CoreError::BadRequest("Upload-Length is required (deferred length is not supported)".into()));
    };
    let meta = match header_str(&headers, "Upload-Metadata").map(parse_metadata).transpose() {
        Ok(m) => UploadMetadata::from_pairs(m.unwrap_or_default()),
        Err(e) => return error_response(e),
    };
    let identity = identity.map(|Extension(i)| i);
    // creation-with-upload: a body of application/offset+octet-stream is the first chunk.
    let with_upload = header_str(&headers, "Content-Type") == Some("application/offset+octet-stream");
    let created = if with_upload {
        let checksum = match header_str(&headers, "Upload-Checksum").map(parse_checksum).transpose() {
            Ok(c) => c,
            Err(e) => return error_response(e),
        };
        UploadCore::create_with_upload(&state, length, meta, body.into_data_stream(), checksum, identity.as_ref()).await
    } else {
        UploadCore::create_waiting(&state, length, meta, identity).await
    };
    match created {
        Ok(row) => {
            let base = uri.path().trim_end_matches('/');
            let mut resp = offset_response(StatusCode::CREATED, &row);
            if let Ok(v) = HeaderValue::from_str(&format!("{base}/{}", row.upload_id)) {
                resp.headers_mut().insert("Location", v);
            }
            resp
        }
        Err(e) => error_response(e),
    }
}

async fn tus_head(
    State(state): State<Arc<UploadServerState>>,
    UrlPath(upload_id): UrlPath<String>,
    identity: Option<Extension<BoxIdentity>>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = refuse_unresumable(&headers) {
        return r;
    }
    match UploadCore::status(&state, &upload_id, identity.as_ref().map(|e| &e.0)) {
        Ok(row) => {
            let mut resp = offset_response(StatusCode::OK, &row);
            if let Ok(v) = HeaderValue::from_str(&row.upload_length.to_string()) {
                resp.headers_mut().insert("Upload-Length", v);
            }
            resp
        }
        Err(e) => {
            let status = match e {
                CoreError::Gone => StatusCode::GONE,
                CoreError::NotFound => StatusCode::NOT_FOUND,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tus_headers(status.into_response())
        }
    }
}

async fn tus_patch(
    State(state): State<Arc<UploadServerState>>,
    UrlPath(upload_id): UrlPath<String>,
    identity: Option<Extension<BoxIdentity>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = refuse_unresumable(&headers) {
        return r;
    }
    if header_str(&headers, "Content-Type") != Some("application/offset+octet-stream") {
        return tus_headers(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
    }
    let Some(offset) = header_str(&headers, "Upload-Offset").and_then(|v| v.trim().parse::<u64>().ok()) else {
        return error_response(CoreError::BadRequest("Upload-Offset is required".into()));
    };
    let checksum = match header_str(&headers, "Upload-Checksum").map(parse_checksum).transpose() {
        Ok(c) => c,
        Err(e) => return error_response(e),
    };
    let stream = body.into_data_stream();
    match UploadCore::append(&state, &upload_id, offset, stream, checksum, identity.as_ref().map(|e| &e.0)).await {
        Ok(row) => offset_response(StatusCode::NO_CONTENT, &row),
        Err(e) => error_response(e),
    }
}

async fn tus_delete(
    State(state): State<Arc<UploadServerState>>,
    UrlPath(upload_id): UrlPath<String>,
    identity: Option<Extension<BoxIdentity>>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = refuse_unresumable(&headers) {
        return r;
    }
    match UploadCore::terminate(&state, &upload_id, identity.as_ref().map(|e| &e.0)) {
        Ok(()) => tus_headers(StatusCode::NO_CONTENT.into_response()),
        Err(e) => error_response(e),
    }
}

/// `POST /v1/uploads/bundles` with a [`SignedManifest`]: verify and answer with a receipt.
async fn bundle_finalize_post(
    State(state): State<Arc<UploadServerState>>,
    identity: Option<Extension<BoxIdentity>>,
    Json(signed): Json<SignedManifest>,
) -> Response {
    let identity = identity.map(|Extension(i)| i);
    let state2 = state.clone();
    let result = tokio::task::spawn_blocking(move || UploadCore::finalize(&state2, &signed, identity.as_ref())).await;
    match result {
        Ok(Ok(receipt)) => (StatusCode::OK, Json(receipt)).into_response(),
        Ok(Err(e)) => error_response(e),
        Err(e) => error_response(CoreError::Storage(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_checksum_headers_parse() {
        let m = parse_metadata("exam_id ZWdlLTAy,ppe_code MDEwMQ==,empty").unwrap();
        assert_eq!(m["exam_id"], "ege-02");
        assert_eq!(m["ppe_code"], "0101");
        assert_eq!(m["empty"], "");
        assert!(parse_metadata("k !!!").is_err());
        let digest = Sha256::digest(b"abc");
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        assert_eq!(parse_checksum(&format!("sha256 {b64}")).unwrap().as_slice(), digest.as_slice());
        assert!(parse_checksum(&format!("md5 {b64}")).is_err());
        assert!(parse_checksum("sha256 AAAA").is_err());
    }

    fn state(dir: &Path) -> UploadServerState {
        let key = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
        UploadServerState::new(crate::store::open_in_memory().unwrap(), dir.to_path_buf(), Clock::real(), key).unwrap()
    }

    fn meta() -> UploadMetadata {
        UploadMetadata::from_pairs(BTreeMap::from([("exam_id".to_string(), "ege-02".to_string()), ("ppe_code".to_string(), "0101".to_string())]))
    }

    fn chunks(parts: Vec<Result<&'static [u8], &'static str>>) -> impl futures_util::Stream<Item = Result<bytes::Bytes, &'static str>> + Unpin {
        futures_util::stream::iter(parts.into_iter().map(|p| p.map(bytes::Bytes::from_static)))
    }

    #[tokio::test]
    async fn checksum_mismatch_keeps_no_byte_and_offset_stays() {
        let dir = tempfile::tempdir().unwrap();
        let st = Arc::new(state(dir.path()));
        let row = UploadCore::create(&st, 6, meta(), None).unwrap();
        let wrong: [u8; 32] = Sha256::digest(b"abX").into();
        let e = UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abc")]), Some(wrong), None).await.unwrap_err();
        assert!(matches!(e, CoreError::ChecksumMismatch));
        assert_eq!(UploadCore::status(&st, &row.upload_id, None).unwrap().upload_offset, 0);
        let right: [u8; 32] = Sha256::digest(b"abc").into();
        let r = UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abc")]), Some(right), None).await.unwrap();
        assert_eq!(r.upload_offset, 3);
        let e = UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"def")]), None, None).await.unwrap_err();
        assert!(matches!(e, CoreError::OffsetMismatch { server: 3, .. }));
        // A body broken off without a checksum keeps what arrived.
        let r = UploadCore::append(&st, &row.upload_id, 3, chunks(vec![Ok(b"d"), Err("reset")]), None, None).await.unwrap();
        assert_eq!(r.upload_offset, 4);
        let r = UploadCore::append(&st, &row.upload_id, 4, chunks(vec![Ok(b"ef")]), None, None).await.unwrap();
        let sha = r.stored_sha256.unwrap();
        assert_eq!(sha, crate::util::sha256_hex(b"abcdef"));
        assert_eq!(std::fs::read(st.blob_path(&sha)).unwrap(), b"abcdef");
    }

    fn with_sha(data: &[u8]) -> UploadMetadata {
        let mut m = meta();
        m.file_name = "p.png".into();
        m.sha256 = crate::util::sha256_hex(data);
        m
    }

    #[tokio::test]
    async fn creation_with_upload_takes_a_whole_file_in_one_request_and_one_commit() {
        let dir = tempfile::tempdir().unwrap();
        let st = Arc::new(state(dir.path()));
        let sum: [u8; 32] = Sha256::digest(b"abcdef").into();
        let row = UploadCore::create_with_upload(&st, 6, with_sha(b"abcdef"), chunks(vec![Ok(b"abc"), Ok(b"def")]), Some(sum), None).await.unwrap();
        assert_eq!(row.upload_offset, 6);
        let sha = row.stored_sha256.clone().expect("complete in the creation request");
        assert_eq!(std::fs::read(st.blob_path(&sha)).unwrap(), b"abcdef");
        assert!(!st.partial_path(&row.upload_id).exists());
        let names: Vec<_> = std::fs::read_dir(dir.path().join("blobs")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(&sha)], "only the content address, no temporary name");
        // Where the filesystem has O_TMPFILE (ext4, xfs, btrfs, tmpfs), the page was written
        // unnamed and linked, not written under a partial name and moved.
        if crate::upload::group_commit::open_unnamed(&dir.path().join("blobs")).is_ok() {
            assert_eq!(st.group.linked.load(std::sync::atomic::Ordering::SeqCst), 1, "written unnamed and linked");
        }
        assert_eq!(st.group.batches.load(std::sync::atomic::Ordering::SeqCst), 1, "row, offset and completion in one commit");
        let stored = UploadCore::status(&st, &row.upload_id, None).unwrap();
        assert_eq!((stored.upload_offset, stored.stored_sha256), (6, Some(sha)));
        // The same content again: the body is read and dropped, the answer is the finished upload.
        let before = st.bytes_received_total.load(std::sync::atomic::Ordering::SeqCst);
        let again = UploadCore::create_with_upload(&st, 6, with_sha(b"abcdef"), chunks(vec![Ok(b"abcdef")]), Some(sum), None).await.unwrap();
        assert_eq!((again.upload_id.as_str(), again.upload_offset), (row.upload_id.as_str(), 6));
        assert_eq!(st.bytes_received_total.load(std::sync::atomic::Ordering::SeqCst), before + 6);
    }

    #[tokio::test]
    async fn creation_with_upload_refused_by_checksum_creates_nothing_and_a_first_chunk_continues() {
        let dir = tempfile::tempdir().unwrap();
        let st = Arc::new(state(dir.path()));
        let wrong: [u8; 32] = Sha256::digest(b"abX").into();
        let e = UploadCore::create_with_upload(&st, 6, with_sha(b"abcdef"), chunks(vec![Ok(b"abc")]), Some(wrong), None).await.unwrap_err();
        assert!(matches!(e, CoreError::ChecksumMismatch));
        assert!(upload_store::tus_for_point(&st.db.lock().unwrap(), "ege-02", "0101").unwrap().is_empty(), "no upload was created");
        // A first chunk of a bigger file: the upload exists with that offset, PATCH goes on.
        let right: [u8; 32] = Sha256::digest(b"abc").into();
        let row = UploadCore::create_with_upload(&st, 6, with_sha(b"abcdef"), chunks(vec![Ok(b"abc")]), Some(right), None).await.unwrap();
        assert_eq!((row.upload_offset, row.completed_at.is_none()), (3, true));
        let done = UploadCore::append(&st, &row.upload_id, 3, chunks(vec![Ok(b"def")]), None, None).await.unwrap();
        assert_eq!(done.stored_sha256.unwrap(), crate::util::sha256_hex(b"abcdef"));
        // An empty file completes with its creation.
        let empty = UploadCore::create_with_upload(&st, 0, with_sha(b""), chunks(vec![]), None, None).await.unwrap();
        assert_eq!(empty.stored_sha256.as_deref(), Some(crate::util::sha256_hex(b"").as_str()));
        assert_eq!(std::fs::read(st.blob_path(&crate::util::sha256_hex(b""))).unwrap(), b"");
    }

    #[tokio::test]
    async fn a_lost_partial_file_resets_the_offset_instead_of_leaving_a_gap() {
        let dir = tempfile::tempdir().unwrap();
        let st = Arc::new(state(dir.path()));
        let row = UploadCore::create(&st, 6, meta(), None).unwrap();
        UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abc")]), None, None).await.unwrap();
        std::fs::remove_file(st.partial_path(&row.upload_id)).unwrap();
        let e = UploadCore::append(&st, &row.upload_id, 3, chunks(vec![Ok(b"def")]), None, None).await.unwrap_err();
        assert!(matches!(e, CoreError::OffsetMismatch { client: 3, server: 0 }), "{e:?}");
        assert_eq!(UploadCore::status(&st, &row.upload_id, None).unwrap().upload_offset, 0);
        UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abcdef")]), None, None).await.unwrap();
        assert_eq!(std::fs::read(st.blob_path(&crate::util::sha256_hex(b"abcdef"))).unwrap(), b"abcdef");
    }

    #[tokio::test]
    async fn a_stale_request_never_resets_a_completed_upload() {
        let dir = tempfile::tempdir().unwrap();
        let st = Arc::new(state(dir.path()));
        let row = UploadCore::create(&st, 6, meta(), None).unwrap();
        let half = UploadCore::append(&st, &row.upload_id, 0, chunks(vec![Ok(b"abc")]), None, None).await.unwrap();
        UploadCore::append(&st, &row.upload_id, 3, chunks(vec![Ok(b"def")]), None, None).await.unwrap();
        // A request that read the row at offset 3 finds no partial (it became the blob).
        let e = UploadCore::partial_lost(&st, &half);
        assert!(matches!(e, CoreError::OffsetMismatch { client: 3, server: 6 }), "{e:?}");
        let now = UploadCore::status(&st, &row.upload_id, None).unwrap();
        assert_eq!((now.upload_offset, now.completed_at.is_some()), (6, true));
    }

    #[tokio::test]
    async fn a_body_of_many_small_frames_is_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let st = Arc::new(state(dir.path()));
        // More frames than one writev takes (IOV_MAX), each a few bytes.
        let frames: Vec<bytes::Bytes> = (0..1500u32).map(|i| bytes::Bytes::from(format!("{i:05}"))).collect();
        let whole: Vec<u8> = frames.iter().flat_map(|f| f.iter().copied()).collect();
        let body = futures_util::stream::iter(frames.into_iter().map(Ok::<_, &'static str>));
        let row = UploadCore::create(&st, whole.len() as u64 + 3, meta(), None).unwrap();
        let r = UploadCore::append(&st, &row.upload_id, 0, body, None, None).await.unwrap();
        assert_eq!(r.upload_offset, whole.len() as u64);
        assert_eq!(std::fs::read(st.partial_path(&row.upload_id)).unwrap(), whole);
        let r = UploadCore::append(&st, &row.upload_id, r.upload_offset, chunks(vec![Ok(b"end")]), None, None).await.unwrap();
        let mut all = whole.clone();
        all.extend_from_slice(b"end");
        assert_eq!(std::fs::read(st.blob_path(r.stored_sha256.as_deref().unwrap())).unwrap(), all);
    }

    #[test]
    fn upload_locks_are_shared_while_held_and_forgotten_after() {
        let dir = tempfile::tempdir().unwrap();
        let st = state(dir.path());
        let held = st.lock_for("a");
        assert!(Arc::ptr_eq(&held, &st.lock_for("a")), "two requests for one upload share its lock");
        for i in 0..3 * LOCKS_PRUNE_AT {
            drop(st.lock_for(&format!("u{i}")));
        }
        assert!(st.locks.lock().unwrap().len() <= LOCKS_PRUNE_AT + 1, "unheld locks are pruned");
        assert!(Arc::ptr_eq(&held, &st.lock_for("a")), "a held lock survives the sweep");
    }

    #[tokio::test]
    async fn box_that_lost_the_url_gets_the_same_upload_back_with_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let st = Arc::new(state(dir.path()));
        let mut m = meta();
        m.file_name = "p.png".into();
        m.sha256 = crate::util::sha256_hex(b"abcdef");
        let first = UploadCore::create(&st, 6, m.clone(), None).unwrap();
        UploadCore::append(&st, &first.upload_id, 0, chunks(vec![Ok(b"abc")]), None, None).await.unwrap();
        let again = UploadCore::create(&st, 6, m.clone(), None).unwrap();
        assert_eq!((again.upload_id.as_str(), again.upload_offset), (first.upload_id.as_str(), 3));
        let mut other = m;
        other.sha256 = crate::util::sha256_hex(b"abcdeX");
        assert_ne!(UploadCore::create(&st, 6, other, None).unwrap().upload_id, first.upload_id);
    }

    #[tokio::test]
    async fn another_exam_points_upload_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let st = Arc::new(state(dir.path()));
        let other = BoxIdentity { ppe_code: "0202".into() };
        assert!(matches!(UploadCore::create(&st, 1, meta(), Some(&other)), Err(CoreError::Forbidden(_))));
        let row = UploadCore::create(&st, 1, meta(), None).unwrap();
        assert!(matches!(UploadCore::status(&st, &row.upload_id, Some(&other)), Err(CoreError::NotFound)));
    }

    #[tokio::test]
    async fn expired_upload_is_gone_and_swept() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = state(dir.path());
        st.expire_after = chrono::Duration::seconds(-10);
        let row = UploadCore::create(&st, 5, meta(), None).unwrap();
        assert!(matches!(UploadCore::status(&st, &row.upload_id, None), Err(CoreError::Gone)));
        assert_eq!(UploadCore::expire(&st).unwrap(), 1);
        assert!(matches!(UploadCore::status(&st, &row.upload_id, None), Err(CoreError::NotFound)));
    }
}
