//! The hub's materials metadata behind one seam: enrolled boxes, the plan the hub serves,
//! published packages and key releases, each write with its audit entry. [`MaterialsMeta`] is
//! what the hub's box-facing server, publishing and the key-release use case call;
//! [`SqliteMaterialsMeta`] is today's implementation over the hub's SQLite database (its SQL in
//! `materials/store.rs` and `plan/store.rs`); a PostgreSQL one can take its place (issue #19)
//! without touching a handler. (Enrollment, `hub/setup.rs`, writes the box into this domain's
//! and the upload domain's tables in one transaction; it stays in the composition root.)
//!
//! The same access pattern as the upload side (`upload::server::meta`): every call takes a
//! connection from the hub's pool ([`HubContext::db`]) for its duration and blocks, so async
//! callers run it on the blocking pool; each write is one transaction with its audit entry.

use chrono::{DateTime, Utc};

use super::store::{self as mstore, HubBox, HubPackage};
use crate::audit::AuditNote;
use crate::context::{HubContext, PooledConnection};
use crate::model::{Exam, ExamId, Plan, PpeCode};
use crate::store::{MetaError, MetaResult};

/// What the key-release rule needs to know about one exam and one exam point.
#[derive(Debug, Clone)]
pub struct KeyFacts {
    /// The exam in the plan, if it is there.
    pub exam: Option<Exam>,
    /// The exam point is assigned to the exam in the plan.
    pub assigned: bool,
    /// The exam point's enrolled box.
    pub registered: Option<HubBox>,
    /// The latest package published for the exam and the exam point.
    pub package: Option<HubPackage>,
}

/// The outcome of one key request as the hub logs it.
#[derive(Debug, Clone)]
pub struct KeyReleaseRecord {
    pub at: DateTime<Utc>,
    pub exam_id: ExamId,
    pub ppe_code: PpeCode,
    /// The package whose key went out (`None` when refused).
    pub package_id: Option<String>,
    pub released: bool,
    /// `released`, or the refusal's stable code.
    pub reason: String,
}

/// The exam a package is published for and the exam points it goes to.
#[derive(Debug, Clone)]
pub struct PublishTargets {
    pub exam: Option<Exam>,
    pub exam_points: Vec<PpeCode>,
}

/// The hub's materials metadata. Every call blocks.
pub trait MaterialsMeta: Send + Sync {
    /// The enrolled box whose client certificate has this SHA-256.
    fn box_by_cert(&self, cert_sha256: &str) -> MetaResult<Option<HubBox>>;

    /// The region's plan (a box is served its own slice of it).
    fn plan(&self) -> MetaResult<Plan>;
    fn key_facts(&self, exam_id: &ExamId, ppe_code: &PpeCode) -> MetaResult<KeyFacts>;
    /// A key request's outcome and its audit entry, in one transaction.
    fn key_release_record(&self, record: &KeyReleaseRecord, audit: &AuditNote) -> MetaResult<()>;

    fn publish_targets(&self, exam_id: &ExamId) -> MetaResult<PublishTargets>;
    /// The version the next package of an exam for an exam point gets (1 for the first).
    fn package_next_version(&self, exam_id: &ExamId, ppe_code: &PpeCode) -> MetaResult<u64>;
    /// Records a published package with its audit entry in one transaction; `before_commit`
    /// runs inside it (the manifest goes out only once the package and its key are recorded,
    /// and nothing is recorded if writing it fails).
    fn package_record(&self, package: &HubPackage, audit: &AuditNote, at: DateTime<Utc>, before_commit: &mut dyn FnMut() -> MetaResult<()>) -> MetaResult<()>;
}

/// [`MaterialsMeta`] over the hub's SQLite database, through the context's pool.
pub struct SqliteMaterialsMeta {
    ctx: HubContext,
}

impl SqliteMaterialsMeta {
    pub fn from_context(ctx: &HubContext) -> Self {
        Self { ctx: ctx.clone() }
    }

    fn conn(&self) -> MetaResult<PooledConnection> {
        self.ctx.db().map_err(MetaError::from_cause)
    }
}

fn db(e: impl std::fmt::Display) -> MetaError {
    MetaError(e.to_string())
}

impl MaterialsMeta for SqliteMaterialsMeta {
    fn box_by_cert(&self, cert_sha256: &str) -> MetaResult<Option<HubBox>> {
        mstore::hub_box_by_cert(&*self.conn()?, cert_sha256).map_err(db)
    }

    fn plan(&self) -> MetaResult<Plan> {
        crate::plan::store::load_plan(&*self.conn()?).map_err(db)
    }

    fn key_facts(&self, exam_id: &ExamId, ppe_code: &PpeCode) -> MetaResult<KeyFacts> {
        let conn = self.conn()?;
        Ok(KeyFacts {
            exam: crate::plan::store::exam_get(&conn, exam_id).map_err(db)?,
            assigned: crate::plan::store::exam_points_of_exam(&conn, exam_id).map_err(db)?.iter().any(|p| p.as_str() == ppe_code.as_str()),
            registered: mstore::hub_box_get(&conn, ppe_code).map_err(db)?,
            package: mstore::hub_package_latest(&conn, exam_id, ppe_code).map_err(db)?,
        })
    }

    fn key_release_record(&self, record: &KeyReleaseRecord, audit: &AuditNote) -> MetaResult<()> {
        let at = crate::clock::rfc3339(record.at);
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(db)?;
        mstore::hub_key_release_log(&tx, &at, &record.exam_id, &record.ppe_code, record.package_id.as_deref(), record.released, &record.reason).map_err(db)?;
        crate::audit::store::append(&tx, &at, audit.entry()).map_err(db)?;
        tx.commit().map_err(db)
    }

    fn publish_targets(&self, exam_id: &ExamId) -> MetaResult<PublishTargets> {
        let conn = self.conn()?;
        Ok(PublishTargets {
            exam: crate::plan::store::exam_get(&conn, exam_id).map_err(db)?,
            exam_points: crate::plan::store::exam_points_of_exam(&conn, exam_id).map_err(db)?.into_iter().map(PpeCode::from).collect(),
        })
    }

    fn package_next_version(&self, exam_id: &ExamId, ppe_code: &PpeCode) -> MetaResult<u64> {
        Ok(mstore::hub_package_latest_version(&*self.conn()?, exam_id, ppe_code).map_err(db)?.unwrap_or(0) + 1)
    }

    fn package_record(&self, package: &HubPackage, audit: &AuditNote, at: DateTime<Utc>, before_commit: &mut dyn FnMut() -> MetaResult<()>) -> MetaResult<()> {
        let at = crate::clock::rfc3339(at);
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(db)?;
        mstore::hub_package_insert(&tx, package, &at).map_err(db)?;
        crate::audit::store::append(&tx, &at, audit.entry()).map_err(db)?;
        before_commit()?;
        tx.commit().map_err(db)
    }
}
