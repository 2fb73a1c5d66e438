//! The hub's upload metadata behind one seam: uploads in progress and done, accepted bundles
//! and their receipts, the box keys bundles are checked against, the plan's assignment of exam
//! points to exams (receipts only for those), and the audit entries that go with them. [`UploadMeta`] is what the core, the group commit and finalize call;
//! [`SqliteUploadMeta`] is today's implementation over the hub's SQLite database (its SQL in
//! `upload/store.rs`), a PostgreSQL one can take its place (issue #19).
//!
//! One access pattern: every call takes a connection from the hub's pool
//! ([`HubContext::db`]) for its duration and runs on the caller's (blocking) thread; each write
//! is one IMMEDIATE transaction with its audit entry.

use std::path::PathBuf;
use std::sync::Arc;

use crate::context::{DbPool, HubContext, PooledConnection};
use crate::upload::store::{self as upload_store, HubBundleRow, TusUploadRow};

pub use crate::audit::AuditNote;
pub use crate::store::{MetaError, MetaResult};

fn db(e: impl std::fmt::Display) -> MetaError {
    MetaError(e.to_string())
}

/// One upload's change in a group commit: its new offset (`insert`: the row is new and goes
/// in with it) and, for the last byte, its completion with the stored SHA-256.
#[derive(Debug)]
pub struct UploadWrite<'a> {
    pub row: &'a TusUploadRow,
    pub insert: bool,
    pub completion: Option<(&'a str, AuditNote)>,
}

/// The hub's upload metadata. Every call blocks (the core runs them on the blocking pool).
pub trait UploadMeta: Send + Sync {
    fn upload_get(&self, upload_id: &str) -> MetaResult<Option<TusUploadRow>>;
    /// An upload of the same content (exam point, name, declared hash, length) not expired at
    /// `now`, the most advanced first.
    fn upload_find_same(&self, row: &TusUploadRow, now: &str) -> MetaResult<Option<TusUploadRow>>;
    fn uploads_for_point(&self, exam_id: &str, ppe_code: &str) -> MetaResult<Vec<TusUploadRow>>;
    /// What the box stores for the exam and what the plan expects there (its allowance).
    fn box_usage(&self, exam_id: &str, ppe_code: &str) -> MetaResult<upload_store::BoxUsage>;
    /// Unfinished uploads whose expiry is before `now`.
    fn uploads_expired(&self, now: &str) -> MetaResult<Vec<String>>;
    /// `writes` in one transaction, each completion with its audit entry.
    fn uploads_commit(&self, writes: &[UploadWrite<'_>], now: &str) -> MetaResult<()>;
    /// Moves an unfinished upload's offset back from `from` to `to`; `false` if it is complete
    /// or its offset is no longer `from`.
    fn upload_reset_offset(&self, upload_id: &str, from: u64, to: u64, at: &str) -> MetaResult<bool>;
    fn upload_delete(&self, upload_id: &str) -> MetaResult<()>;

    /// The Ed25519 public key (hex) a box signs its bundles with.
    /// Whether an exam point is assigned to an exam in the hub's plan; `None` when the exam
    /// is not in the plan.
    fn exam_point_assignment(&self, exam_id: &str, ppe_code: &str) -> MetaResult<Option<bool>>;

    fn box_key(&self, ppe_code: &str) -> MetaResult<Option<String>>;
    fn box_key_register(&self, ppe_code: &str, ed25519_public_hex: &str, at: &str) -> MetaResult<()>;

    fn bundle_get(&self, exam_id: &str, ppe_code: &str, manifest_sha256: &str) -> MetaResult<Option<HubBundleRow>>;
    fn bundles_for_exam(&self, exam_id: &str) -> MetaResult<Vec<HubBundleRow>>;
    /// Records an accepted bundle and its audit entry in one transaction; when the same
    /// manifest was accepted before, nothing is written and the stored row is returned.
    fn bundle_accept(&self, row: &HubBundleRow, audit: &AuditNote) -> MetaResult<Option<HubBundleRow>>;

    /// An audit entry on its own (a refusal).
    fn audit(&self, note: &AuditNote, at: &str) -> MetaResult<()>;

    /// The codes of the key by phone disclosed to an exam point for an exam (a bundle's offline
    /// activations are checked against them). A store that cannot say refuses: fail closed.
    fn phone_disclosures(&self, exam_id: &str, ppe_code: &str) -> MetaResult<Vec<crate::materials::phone_code::Disclosure>> {
        let _ = (exam_id, ppe_code);
        Err(MetaError("этот РЦОИ не хранит выданные коды ключа по телефону".into()))
    }
}

/// Where [`SqliteUploadMeta`] gets its connections.
enum Connections {
    Context(HubContext),
    Pool(Arc<DbPool>),
}

/// [`UploadMeta`] over the hub's SQLite database.
pub struct SqliteUploadMeta {
    connections: Connections,
}

impl SqliteUploadMeta {
    /// The hub's database through the context's pool.
    pub fn from_context(ctx: &HubContext) -> Self {
        Self { connections: Connections::Context(ctx.clone()) }
    }

    /// A database file with a pool of its own (tests, benchmarks, a hub without a config).
    pub fn open(state_dir: PathBuf, db_path: PathBuf) -> Self {
        Self { connections: Connections::Pool(DbPool::new(state_dir, db_path)) }
    }

    fn conn(&self) -> MetaResult<PooledConnection> {
        match &self.connections {
            Connections::Context(ctx) => ctx.db().map_err(|e| MetaError(format!("{e:#}"))),
            Connections::Pool(pool) => pool.get().map_err(db),
        }
    }
}

fn append_audit(conn: &crate::store::Connection, note: &AuditNote, at: &str) -> MetaResult<()> {
    crate::audit::store::append(conn, at, note.entry()).map_err(db)?;
    Ok(())
}

impl UploadMeta for SqliteUploadMeta {
    fn upload_get(&self, upload_id: &str) -> MetaResult<Option<TusUploadRow>> {
        upload_store::tus_get(&*self.conn()?, upload_id).map_err(db)
    }

    fn upload_find_same(&self, row: &TusUploadRow, now: &str) -> MetaResult<Option<TusUploadRow>> {
        upload_store::tus_find_same(&*self.conn()?, row, now).map_err(db)
    }

    fn uploads_for_point(&self, exam_id: &str, ppe_code: &str) -> MetaResult<Vec<TusUploadRow>> {
        upload_store::tus_for_point(&*self.conn()?, exam_id, ppe_code).map_err(db)
    }

    fn box_usage(&self, exam_id: &str, ppe_code: &str) -> MetaResult<upload_store::BoxUsage> {
        upload_store::tus_box_usage(&*self.conn()?, exam_id, ppe_code).map_err(db)
    }

    fn uploads_expired(&self, now: &str) -> MetaResult<Vec<String>> {
        upload_store::tus_expired(&*self.conn()?, now).map_err(db)
    }

    fn uploads_commit(&self, writes: &[UploadWrite<'_>], now: &str) -> MetaResult<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(db)?;
        for w in writes {
            let row = w.row;
            // A new row goes in with its offset; a known one gets its new offset.
            if w.insert {
                upload_store::tus_insert(&tx, row).map_err(db)?;
            } else {
                upload_store::tus_set_offset(&tx, &row.upload_id, row.upload_offset, &row.updated_at, &row.expires_at).map_err(db)?;
            }
            if let Some((sha, note)) = &w.completion {
                upload_store::tus_complete(&tx, &row.upload_id, sha, now).map_err(db)?;
                append_audit(&tx, note, now)?;
            }
        }
        tx.commit().map_err(db)
    }

    fn upload_reset_offset(&self, upload_id: &str, from: u64, to: u64, at: &str) -> MetaResult<bool> {
        upload_store::tus_reset_offset(&*self.conn()?, upload_id, from, to, at).map_err(db)
    }

    fn upload_delete(&self, upload_id: &str) -> MetaResult<()> {
        upload_store::tus_delete(&*self.conn()?, upload_id).map_err(db)?;
        Ok(())
    }

    fn exam_point_assignment(&self, exam_id: &str, ppe_code: &str) -> MetaResult<Option<bool>> {
        let conn = self.conn()?;
        if crate::plan::store::exam_get(&conn, exam_id).map_err(db)?.is_none() {
            return Ok(None);
        }
        Ok(Some(crate::plan::store::exam_points_of_exam(&conn, exam_id).map_err(db)?.iter().any(|p| p == ppe_code)))
    }

    fn box_key(&self, ppe_code: &str) -> MetaResult<Option<String>> {
        upload_store::box_key_get(&*self.conn()?, ppe_code).map_err(db)
    }

    fn box_key_register(&self, ppe_code: &str, ed25519_public_hex: &str, at: &str) -> MetaResult<()> {
        upload_store::register_box_key(&*self.conn()?, ppe_code, ed25519_public_hex, at).map_err(db)
    }

    fn bundle_get(&self, exam_id: &str, ppe_code: &str, manifest_sha256: &str) -> MetaResult<Option<HubBundleRow>> {
        upload_store::hub_bundle_get(&*self.conn()?, exam_id, ppe_code, manifest_sha256).map_err(db)
    }

    fn bundles_for_exam(&self, exam_id: &str) -> MetaResult<Vec<HubBundleRow>> {
        upload_store::hub_bundles_for_exam(&*self.conn()?, exam_id).map_err(db)
    }

    fn bundle_accept(&self, row: &HubBundleRow, audit: &AuditNote) -> MetaResult<Option<HubBundleRow>> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(db)?;
        if let Some(existing) = upload_store::hub_bundle_get(&tx, &row.exam_id, &row.ppe_code, &row.manifest_sha256).map_err(db)? {
            return Ok(Some(existing));
        }
        upload_store::hub_bundle_insert(&tx, row).map_err(db)?;
        append_audit(&tx, audit, &row.received_at)?;
        tx.commit().map_err(db)?;
        Ok(None)
    }

    fn audit(&self, note: &AuditNote, at: &str) -> MetaResult<()> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(db)?;
        append_audit(&tx, note, at)?;
        tx.commit().map_err(db)
    }

    fn phone_disclosures(&self, exam_id: &str, ppe_code: &str) -> MetaResult<Vec<crate::materials::phone_code::Disclosure>> {
        crate::materials::phone_code::store::hub_disclosures(&*self.conn()?, exam_id, ppe_code).map_err(db)
    }
}
