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
use crate::gek::GekCredential;
use crate::model::{Exam, ExamId, ExamPoint, Plan, PpeCode, WorkerId};
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
    /// The active key-file credential of the ГЭК member a request's proof names.
    pub gek_credential: Option<GekCredential>,
    /// That member is a ГЭК member assigned to the exam point on the exam's date.
    pub gek_assigned: bool,
    /// The presented challenge: (exam point, exam, expires at, used), if it was ever issued.
    pub gek_challenge: Option<(String, String, String, bool)>,
    /// The member's active security key (WebAuthn passkey), if РЦОИ registered one.
    pub gek_security_key: Option<GekCredential>,
    /// A security-key challenge's binding: (member, box_public, webauthn-rs state).
    pub gek_binding: Option<(String, String, String)>,
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
    /// The ГЭК member the request's proof named (who released), if it named one.
    pub gek_worker_id: Option<WorkerId>,
    /// The member's security key with its counter moved on, stored with a release.
    pub gek_passkey_update: Option<String>,
}

/// The exam a package is published for and the exam points it goes to.
#[derive(Debug, Clone)]
pub struct PublishTargets {
    pub exam: Option<Exam>,
    pub exam_points: Vec<PpeCode>,
    /// The plan's exam points (their own time zones set each package's window).
    pub points: Vec<ExamPoint>,
}

/// The hub's materials metadata. Every call blocks.
pub trait MaterialsMeta: Send + Sync {
    /// The enrolled box whose client certificate has this SHA-256.
    fn box_by_cert(&self, cert_sha256: &str) -> MetaResult<Option<HubBox>>;

    /// The region's plan (a box is served its own slice of it).
    fn plan(&self) -> MetaResult<Plan>;
    /// The facts of a key request; `gek` is the (member, challenge) its proof names.
    fn key_facts(&self, exam_id: &ExamId, ppe_code: &PpeCode, gek: Option<(&WorkerId, &str)>) -> MetaResult<KeyFacts>;
    /// A key request's outcome and its audit entry, in one transaction, using up `challenge`
    /// in it. Returns false, recording nothing, when a release's challenge was already used
    /// (two requests raced with one challenge): the caller then records a refusal.
    fn key_release_record(&self, record: &KeyReleaseRecord, audit: &AuditNote, challenge: Option<&str>) -> MetaResult<bool>;
    /// Records a one-time challenge issued to a box (and forgets long-expired ones).
    fn gek_challenge_issue(&self, challenge: &str, ppe_code: &PpeCode, exam_id: &ExamId, issued_at: DateTime<Utc>, expires_at: DateTime<Utc>) -> MetaResult<()>;
    /// The member's active security key.
    fn gek_security_key(&self, worker_id: &WorkerId) -> MetaResult<Option<GekCredential>>;
    /// Records a one-time challenge for a security key, bound to (member, box_public) and
    /// keeping webauthn-rs's authentication state.
    fn gek_challenge_issue_bound(&self, challenge: &str, ppe_code: &PpeCode, exam_id: &ExamId, issued_at: DateTime<Utc>, expires_at: DateTime<Utc>, binding: (&WorkerId, &str, &str)) -> MetaResult<()>;

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

impl MaterialsMeta for SqliteMaterialsMeta {
    fn box_by_cert(&self, cert_sha256: &str) -> MetaResult<Option<HubBox>> {
        Ok(mstore::hub_box_by_cert(&*self.conn()?, cert_sha256)?)
    }

    fn plan(&self) -> MetaResult<Plan> {
        Ok(crate::plan::store::load_plan(&*self.conn()?)?)
    }

    fn key_facts(&self, exam_id: &ExamId, ppe_code: &PpeCode, gek: Option<(&WorkerId, &str)>) -> MetaResult<KeyFacts> {
        let conn = self.conn()?;
        // A documents package's scope names its exam (`PackageKind::of_scope`); the package
        // row is the scope's.
        let scope = exam_id;
        let exam_id = &ExamId::from(crate::materials::PackageKind::of_scope(scope).0);
        // The window is the point's own: the exam's instants in the point's time zone.
        let exam = match (crate::plan::store::exam_get(&conn, exam_id)?, crate::plan::store::exam_point_get(&conn, ppe_code)?) {
            (Some(e), Some(p)) => Some(e.at_point(&p)),
            (e, _) => e,
        };
        let (mut gek_credential, mut gek_assigned, mut gek_challenge) = (None, false, None);
        let (mut gek_security_key, mut gek_binding) = (None, None);
        if let Some((worker, challenge)) = gek {
            gek_credential = crate::gek::store::credential_active(&conn, worker, crate::gek::CredentialKind::KeyFile)?;
            gek_security_key = crate::gek::store::credential_active(&conn, worker, crate::gek::CredentialKind::WebAuthn)?;
            gek_binding = crate::gek::store::challenge_binding(&conn, challenge)?;
            if let Some(exam) = &exam {
                gek_assigned = crate::gek::is_assigned_gek_member(&crate::plan::store::load_plan(&conn)?, worker, ppe_code, &exam.date);
            }
            gek_challenge = crate::gek::store::challenge_get(&conn, challenge)?;
        }
        Ok(KeyFacts {
            assigned: crate::plan::store::exam_points_of_exam(&conn, exam_id)?.iter().any(|p| p.as_str() == ppe_code.as_str()),
            exam,
            registered: mstore::hub_box_get(&conn, ppe_code)?,
            package: mstore::hub_package_latest(&conn, scope, ppe_code)?,
            gek_credential,
            gek_assigned,
            gek_challenge,
            gek_security_key,
            gek_binding,
        })
    }

    fn key_release_record(&self, record: &KeyReleaseRecord, audit: &AuditNote, challenge: Option<&str>) -> MetaResult<bool> {
        let at = crate::clock::rfc3339(record.at);
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let consumed = match challenge {
            Some(c) => crate::gek::store::challenge_consume(&tx, c, &at)?,
            None => false,
        };
        // A КИМ key goes out only with a challenge used up in this transaction; a documents
        // key needs no ГЭК member, so no challenge.
        if record.released && !consumed && crate::materials::PackageKind::of_scope(&record.exam_id).1.needs_gek() {
            return Ok(false);
        }
        let gek_worker = record.gek_worker_id.as_ref().map(|w| w.as_str());
        if let (true, Some(worker), Some(passkey)) = (record.released, gek_worker, &record.gek_passkey_update) {
            crate::gek::store::webauthn_update(&tx, worker, passkey)?;
        }
        mstore::hub_key_release_log(&tx, &at, &record.exam_id, &record.ppe_code, record.package_id.as_deref(), record.released, &record.reason, gek_worker)?;
        crate::audit::store::append(&tx, &at, audit.entry())?;
        tx.commit()?;
        Ok(true)
    }

    fn gek_challenge_issue(&self, challenge: &str, ppe_code: &PpeCode, exam_id: &ExamId, issued_at: DateTime<Utc>, expires_at: DateTime<Utc>) -> MetaResult<()> {
        let conn = self.conn()?;
        crate::gek::store::challenge_purge(&conn, &crate::clock::rfc3339(issued_at - chrono::Duration::days(1)))?;
        crate::gek::store::challenge_insert(&conn, challenge, ppe_code, exam_id, &crate::clock::rfc3339(issued_at), &crate::clock::rfc3339(expires_at))?;
        Ok(())
    }

    fn gek_security_key(&self, worker_id: &WorkerId) -> MetaResult<Option<GekCredential>> {
        Ok(crate::gek::store::credential_active(&*self.conn()?, worker_id, crate::gek::CredentialKind::WebAuthn)?)
    }

    fn gek_challenge_issue_bound(&self, challenge: &str, ppe_code: &PpeCode, exam_id: &ExamId, issued_at: DateTime<Utc>, expires_at: DateTime<Utc>, binding: (&WorkerId, &str, &str)) -> MetaResult<()> {
        let conn = self.conn()?;
        crate::gek::store::challenge_purge(&conn, &crate::clock::rfc3339(issued_at - chrono::Duration::days(1)))?;
        let (worker, box_public, state) = binding;
        crate::gek::store::challenge_insert_webauthn(&conn, challenge, ppe_code, exam_id, &crate::clock::rfc3339(issued_at), &crate::clock::rfc3339(expires_at), worker, box_public, state)?;
        Ok(())
    }

    fn publish_targets(&self, exam_id: &ExamId) -> MetaResult<PublishTargets> {
        let conn = self.conn()?;
        Ok(PublishTargets {
            exam: crate::plan::store::exam_get(&conn, exam_id)?,
            exam_points: crate::plan::store::exam_points_of_exam(&conn, exam_id)?.into_iter().map(PpeCode::from).collect(),
            points: crate::plan::store::exam_point_list(&conn)?,
        })
    }

    fn package_next_version(&self, exam_id: &ExamId, ppe_code: &PpeCode) -> MetaResult<u64> {
        Ok(mstore::hub_package_latest_version(&*self.conn()?, exam_id, ppe_code)?.unwrap_or(0) + 1)
    }

    fn package_record(&self, package: &HubPackage, audit: &AuditNote, at: DateTime<Utc>, before_commit: &mut dyn FnMut() -> MetaResult<()>) -> MetaResult<()> {
        let at = crate::clock::rfc3339(at);
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        mstore::hub_package_insert(&tx, package, &at)?;
        crate::audit::store::append(&tx, &at, audit.entry())?;
        before_commit()?;
        Ok(tx.commit()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::materials::ops::{release_key, KeyReleaseError, KeyReleaseRequest};
    use crate::materials::release::KeyRefusal;

    fn hub(dir: &std::path::Path) -> HubContext {
        std::fs::write(dir.join("hub.toml"), "state_dir = \"state\"\n").unwrap();
        HubContext::open(&dir.join("hub.toml")).unwrap()
    }

    fn at() -> DateTime<Utc> {
        crate::materials::parse_time("2027-05-27T03:00:00Z").unwrap()
    }

    fn package(version: u64) -> HubPackage {
        HubPackage {
            exam_id: "ege-02".into(),
            ppe_code: "0101".into(),
            version,
            package_id: format!("pkg-{version}"),
            package_key_hex: "00".repeat(32),
            manifest_sha256: "ab".repeat(32),
        }
    }

    fn note(action: &'static str) -> AuditNote {
        AuditNote { actor: "operator".into(), action, object: "ege-02".into(), details: serde_json::json!({}) }
    }

    fn audit_actions(ctx: &HubContext) -> Vec<String> {
        crate::audit::store::list(&ctx.db().unwrap(), None, 100).unwrap().into_iter().map(|e| e.action).collect()
    }

    #[test]
    fn a_package_whose_manifest_cannot_be_written_is_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = hub(dir.path());
        let meta = SqliteMaterialsMeta::from_context(&ctx);
        let (exam, ppe) = (ExamId::from("ege-02"), PpeCode::from("0101"));
        assert_eq!(meta.package_next_version(&exam, &ppe).unwrap(), 1);
        let failed = meta.package_record(&package(1), &note("materials.publish"), at(), &mut || Err(MetaError("disk full".into())));
        assert_eq!(failed.unwrap_err().to_string(), "disk full");
        assert_eq!(meta.package_next_version(&exam, &ppe).unwrap(), 1, "the package was rolled back with its manifest");
        assert!(audit_actions(&ctx).is_empty(), "and so was its audit entry");
        let mut wrote = false;
        meta.package_record(&package(1), &note("materials.publish"), at(), &mut || {
            wrote = true;
            Ok(())
        })
        .unwrap();
        assert!(wrote);
        assert_eq!(meta.package_next_version(&exam, &ppe).unwrap(), 2);
        assert_eq!(meta.key_facts(&exam, &ppe, None).unwrap().package, Some(package(1)));
        assert_eq!(audit_actions(&ctx), ["materials.publish"]);
    }

    #[test]
    fn a_refused_key_request_is_recorded_with_its_audit_entry() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = hub(dir.path());
        let meta = SqliteMaterialsMeta::from_context(&ctx);
        let box_key = crate::materials::tests::hub_key();
        let request = crate::materials::wrap::key_request(&box_key, "ege-02", "0101", "t").unwrap().request;
        let asked = KeyReleaseRequest { caller: "0101".into(), exam_id: "ege-02".into(), request, now: at() };
        let refused = release_key(&meta, None, &crate::materials::tests::hub_key(), &asked).unwrap_err();
        assert!(matches!(refused, KeyReleaseError::Refused(KeyRefusal::UnknownExam)), "{refused:?}");
        let log = crate::materials::store::hub_key_releases(&ctx.db().unwrap(), "ege-02").unwrap();
        assert_eq!(log, [("0101".to_string(), "refused".to_string(), "unknown_exam".to_string())]);
        assert_eq!(audit_actions(&ctx), ["materials.key_refused"]);
    }

    #[test]
    fn a_challenge_releases_once_even_when_two_requests_race_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = hub(dir.path());
        let meta = SqliteMaterialsMeta::from_context(&ctx);
        let (exam, ppe) = (ExamId::from("ege-02"), PpeCode::from("0101"));
        meta.gek_challenge_issue("c1", &ppe, &exam, at(), at() + chrono::Duration::minutes(5)).unwrap();
        let facts = meta.key_facts(&exam, &ppe, Some((&WorkerId::from("G1"), "c1"))).unwrap();
        assert_eq!(facts.gek_challenge, Some(("0101".into(), "ege-02".into(), "2027-05-27T03:05:00Z".into(), false)));
        let record = KeyReleaseRecord { at: at(), exam_id: exam.clone(), ppe_code: ppe.clone(), package_id: Some("p".into()), released: true, reason: "released".into(), gek_worker_id: Some("G1".into()), gek_passkey_update: None };
        // Both requests read the challenge as fresh; only the first to record it releases.
        assert!(meta.key_release_record(&record, &note("materials.key_released"), Some("c1")).unwrap());
        assert!(!meta.key_release_record(&record, &note("materials.key_released"), Some("c1")).unwrap(), "the second finds it used");
        assert!(!meta.key_release_record(&record, &note("materials.key_released"), Some("never-issued")).unwrap());
        let released = crate::materials::store::hub_keys_released(&ctx.db().unwrap(), "ege-02").unwrap();
        assert_eq!(released, [("0101".to_string(), Some("G1".to_string()))]);
        assert_eq!(audit_actions(&ctx), ["materials.key_released"], "nothing recorded for the losers");
        assert!(meta.key_facts(&exam, &ppe, Some((&WorkerId::from("G1"), "c1"))).unwrap().gek_challenge.unwrap().3, "used");
    }

    /// Metadata that cannot be read, and counts the writes asked of it.
    #[derive(Default)]
    struct Broken {
        writes: std::sync::atomic::AtomicUsize,
    }

    impl MaterialsMeta for Broken {
        fn box_by_cert(&self, _: &str) -> MetaResult<Option<HubBox>> {
            Err(MetaError("down".into()))
        }
        fn plan(&self) -> MetaResult<Plan> {
            Err(MetaError("down".into()))
        }
        fn key_facts(&self, _: &ExamId, _: &PpeCode, _: Option<(&WorkerId, &str)>) -> MetaResult<KeyFacts> {
            Err(MetaError("down".into()))
        }
        fn key_release_record(&self, _: &KeyReleaseRecord, _: &AuditNote, _: Option<&str>) -> MetaResult<bool> {
            self.writes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(true)
        }
        fn gek_challenge_issue(&self, _: &str, _: &PpeCode, _: &ExamId, _: DateTime<Utc>, _: DateTime<Utc>) -> MetaResult<()> {
            Err(MetaError("down".into()))
        }
        fn gek_security_key(&self, _: &WorkerId) -> MetaResult<Option<GekCredential>> {
            Err(MetaError("down".into()))
        }
        fn gek_challenge_issue_bound(&self, _: &str, _: &PpeCode, _: &ExamId, _: DateTime<Utc>, _: DateTime<Utc>, _: (&WorkerId, &str, &str)) -> MetaResult<()> {
            Err(MetaError("down".into()))
        }
        fn publish_targets(&self, _: &ExamId) -> MetaResult<PublishTargets> {
            Err(MetaError("down".into()))
        }
        fn package_next_version(&self, _: &ExamId, _: &PpeCode) -> MetaResult<u64> {
            Err(MetaError("down".into()))
        }
        fn package_record(&self, _: &HubPackage, _: &AuditNote, _: DateTime<Utc>, _: &mut dyn FnMut() -> MetaResult<()>) -> MetaResult<()> {
            Err(MetaError("down".into()))
        }
    }

    #[test]
    fn unreadable_metadata_is_an_error_never_a_refusal() {
        let meta = Broken::default();
        let box_key = crate::materials::tests::hub_key();
        let request = crate::materials::wrap::key_request(&box_key, "ege-02", "0101", "t").unwrap().request;
        let asked = KeyReleaseRequest { caller: "0101".into(), exam_id: "ege-02".into(), request, now: at() };
        let failed = release_key(&meta, None, &box_key, &asked).unwrap_err();
        assert!(matches!(failed, KeyReleaseError::Meta(_)), "{failed:?}");
        assert_eq!(meta.writes.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing is recorded as a refusal");
    }
}
