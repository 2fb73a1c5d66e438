//! The hub's side of the upload, split along its jobs:
//!
//! - [`core`]: the protocol-neutral upload (state, errors, create / append / status /
//!   terminate / expire), independent of the header dialect;
//! - [`tus`]: the tus 1.0.0 HTTP dialect over it, as an axum `Router` to nest at `/v1/uploads`
//!   (with the bundle finalize endpoint beside it);
//! - [`blobs`]: the [`BlobStore`] interface for the bytes (content-addressed blobs, partials)
//!   and its filesystem implementation (O_TMPFILE, positional writes, fsync);
//! - [`meta`]: the [`UploadMeta`] seam for uploads, bundles, receipts and box keys, over the
//!   hub's SQLite database through its connection pool;
//! - [`locks`]: one lock per upload and per content being created;
//! - [`limits`]: what a box may store (its allowance from the plan) and the upload requests
//!   served at once;
//! - [`finalize`]: the signed manifest checked, the signed receipt;
//! - [`import`]: bundle files carried on media into the blob store.
//!
//! Offsets and completions become durable in groups (`upload/group_commit.rs`).

pub mod blobs;
pub mod core;
pub mod finalize;
pub mod import;
pub mod limits;
pub mod locks;
pub mod meta;
pub mod tus;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use ring::signature::Ed25519KeyPair;

pub use self::blobs::{BlobError, BlobStore, FsBlobStore};
pub use self::core::{CoreError, UploadCore, UploadMetadata, SPILL_AT};
pub use self::import::store_blob_from_file;
pub use self::meta::{SqliteUploadMeta, UploadMeta};
pub use self::tus::router;

use super::group_commit::GroupCommit;
use crate::clock::Clock;
use crate::config::HubLimitsConfig;
use crate::context::HubContext;
use locks::UploadLocks;

/// What the hub's upload side needs; shared by every request.
pub struct UploadServerState {
    /// Uploads, bundles, receipts, box keys.
    pub meta: Arc<dyn UploadMeta>,
    /// The bytes: partials while uploading, blobs by SHA-256 when done.
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Clock,
    pub hub_key: Ed25519KeyPair,
    /// Unfinished uploads expire this long after their last progress.
    pub expire_after: chrono::Duration,
    pub max_size: u64,
    /// Every body byte read by an append, kept or discarded (re-sends show up here).
    pub bytes_received_total: AtomicU64,
    /// Offsets and completions become durable in groups (see [`GroupCommit`]).
    pub group: GroupCommit,
    /// Behind the hub's listener: the per-box allowance, size and disk checks at creation, the
    /// body idle timeout and the concurrency caps (`hub.toml` `[limits]`); `None` for a bare
    /// upload server (tests, benchmarks).
    pub limits: Option<HubLimitsConfig>,
    pub concurrency: Option<limits::Concurrency>,
    locks: UploadLocks,
}

impl UploadServerState {
    pub fn new(meta: Arc<dyn UploadMeta>, blobs: Arc<dyn BlobStore>, clock: Clock, hub_key: Ed25519KeyPair) -> Self {
        Self {
            meta,
            blobs,
            clock,
            hub_key,
            expire_after: chrono::Duration::hours(24),
            max_size: 4 << 30,
            bytes_received_total: AtomicU64::new(0),
            group: GroupCommit::default(),
            limits: None,
            concurrency: None,
            locks: UploadLocks::default(),
        }
    }

    /// The hub's upload side from its context: the hub database through the context's pool,
    /// blobs under `state_dir/uploads`, the hub's signing key for receipts. Its routes serve
    /// enrolled boxes only, wherever they are mounted (see [`tus::router`]).
    pub fn from_context(ctx: &HubContext) -> anyhow::Result<Self> {
        let key = crate::keys::load_ed25519(&ctx.config.signing_key_file)?;
        let blobs = FsBlobStore::open(ctx.config.state_dir.join("uploads"))?;
        let mut state = Self::new(Arc::new(SqliteUploadMeta::from_context(ctx)), Arc::new(blobs), ctx.clock.clone(), key);
        state.set_limits(ctx.config.limits.clone());
        Ok(state)
    }

    /// A hub's upload side in one folder without a config (tests, benchmarks): the database
    /// `dir/hub.db`, blobs under `dir/uploads`.
    pub fn in_folder(dir: &Path, clock: Clock, hub_key: Ed25519KeyPair) -> std::io::Result<Self> {
        let blobs = FsBlobStore::open(dir.join("uploads"))?;
        let meta = SqliteUploadMeta::open(dir.to_path_buf(), dir.join("hub.db"));
        Ok(Self::new(Arc::new(meta), Arc::new(blobs), clock, hub_key))
    }

    /// Applies `[limits]`: the checks at creation, the body idle timeout, the concurrency caps,
    /// the largest upload and how long an unfinished one may stay idle.
    pub fn set_limits(&mut self, limits: HubLimitsConfig) {
        self.max_size = limits.max_upload_bytes;
        // Clamped to what chrono holds (a century is more than any exam needs).
        self.expire_after = chrono::Duration::seconds(limits.expire_after_secs.clamp(1, 100 * 366 * 86_400) as i64);
        self.concurrency = Some(limits::Concurrency::new(limits.max_concurrent_uploads, limits.max_concurrent_uploads_per_box));
        self.limits = Some(limits);
    }

    /// A body frame may take this long to arrive (`None`: no limit).
    pub fn body_idle(&self) -> Option<std::time::Duration> {
        self.limits.as_ref().map(|l| std::time::Duration::from_secs(l.body_idle_secs.max(1)))
    }

    fn expiry_from_now(&self) -> String {
        (self.clock.now() + self.expire_after).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}
