//! The box's materials commands as use cases (the pull client itself is `pull.rs`): pre-stage
//! ciphertext, pull the package and its key now, and a ГЭК member's activation of the key
//! (two-person rule: the one who pulled is not the one who activates); and the hub's side of a
//! key request, the rule carried out with its record.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use ring::signature::Ed25519KeyPair;

use super::hub_meta::{KeyReleaseRecord, MaterialsMeta};
use super::pull::{PullError, PullOptions, PullReport, Source};
use super::release::{decide_key_release, KeyRefusal, KeyRequestFacts};
use crate::audit::AuditNote;
use crate::context::EdgeContext;
use crate::model::{ExamId, PpeCode};
use crate::protocol::key::{KeyRelease, KeyRequest};
use crate::store::MetaError;

/// Fetch an exam's package now instead of waiting for the window.
#[derive(Debug, Clone)]
pub struct PullRequest {
    pub exam_id: ExamId,
    /// Removable media with manifest.json and *.enc; `None` is the network.
    pub from: Option<PathBuf>,
    /// Ask the hub for the package key too (pull); without it only ciphertext (prestage).
    pub with_key: bool,
    /// The technical specialist's login, for the audit log.
    pub actor: String,
}

/// Pulls (or pre-stages) the package: every file verified against the signed manifest.
pub async fn pull(ctx: &EdgeContext, request: &PullRequest) -> Result<PullReport, PullError> {
    let source = match &request.from {
        Some(dir) => Source::Media(dir.clone()),
        None => Source::Network,
    };
    let opts = PullOptions { source, with_key: request.with_key, actor: request.actor.clone(), ..Default::default() };
    super::pull::pull(ctx, &request.exam_id, &opts).await
}

/// A ГЭК member activates the package key of an exam with their own credential.
#[derive(Debug, Clone)]
pub struct ActivateRequest {
    pub exam_id: ExamId,
    pub gek_login: String,
    pub password: String,
    /// Who pulled the package; `None` takes the last pull of this exam in the audit log.
    pub pulled_by: Option<String>,
}

/// Activates the key (see `pull::activate`); the activation is audited there.
pub fn activate(ctx: &EdgeContext, request: &ActivateRequest) -> anyhow::Result<()> {
    let pulled_by = match &request.pulled_by {
        Some(login) => login.clone(),
        None => last_puller(ctx, &request.exam_id)?,
    };
    super::pull::activate(ctx, &request.exam_id, &request.gek_login, &request.password, &pulled_by)
}

/// The actor of the last pull of an exam in the audit log (`scheduler` when none is found).
fn last_puller(ctx: &EdgeContext, exam_id: &ExamId) -> anyhow::Result<String> {
    let conn = ctx.db()?;
    Ok(crate::audit::store::list(&conn, Some("materials.pulled"), 1000)?
        .into_iter()
        .rev()
        .find(|e| e.object == exam_id.as_str())
        .map(|e| e.actor)
        .unwrap_or_else(|| "scheduler".into()))
}

/// A box asks the hub for an exam's package key.
#[derive(Debug, Clone)]
pub struct KeyReleaseRequest {
    /// The exam point proven by the caller's client certificate.
    pub caller: PpeCode,
    /// The exam of the request's path.
    pub exam_id: ExamId,
    pub request: KeyRequest,
    /// The hub's clock.
    pub now: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyReleaseError {
    /// The rule said no (recorded and audited).
    #[error("key refused: {}", .0.code())]
    Refused(KeyRefusal),
    /// The metadata could not be read or written (never disguised as a refusal).
    #[error(transparent)]
    Meta(#[from] MetaError),
    #[error("{0}")]
    Internal(String),
}

/// The key-release rule (`release::decide_key_release`) over the hub's facts; a released key
/// is wrapped to the request's key and signed, and every outcome is recorded with its audit
/// entry in one transaction. Blocks (metadata calls).
pub fn release_key(meta: &dyn MaterialsMeta, signing_key: &Ed25519KeyPair, request: &KeyReleaseRequest) -> Result<KeyRelease, KeyReleaseError> {
    let now_text = crate::clock::rfc3339(request.now);
    let facts = meta.key_facts(&request.exam_id, &request.caller)?;
    let decided = decide_key_release(KeyRequestFacts {
        caller: &request.caller,
        exam_id: &request.exam_id,
        request: &request.request,
        window: facts.exam.as_ref().and_then(|e| e.materials_window()),
        assigned: facts.assigned,
        box_signing_key: facts.registered.as_ref().map(|r| r.signing_public_key.as_str()),
        package: facts.package,
        hub_now: request.now,
    });
    let actor = format!("box:{}", request.caller);
    let record = |package_id: Option<String>, released: bool, reason: &str| KeyReleaseRecord {
        at: request.now,
        exam_id: request.exam_id.clone(),
        ppe_code: request.caller.clone(),
        package_id,
        released,
        reason: reason.to_string(),
    };
    match decided {
        Ok(pkg) => {
            let key: [u8; 32] = hex::decode(&pkg.package_key_hex).ok().and_then(|k| k.try_into().ok()).ok_or_else(|| KeyReleaseError::Internal("stored package key is not 32 bytes".into()))?;
            let release = super::wrap::wrap_for_box(signing_key, &request.request, &pkg.package_id, pkg.version, &key, &now_text).map_err(|e| KeyReleaseError::Internal(e.to_string()))?;
            let audit = AuditNote {
                actor,
                action: "materials.key_released",
                object: request.exam_id.to_string(),
                details: serde_json::json!({"ppe_code": request.caller, "package_id": pkg.package_id, "version": pkg.version}),
            };
            meta.key_release_record(&record(Some(pkg.package_id.clone()), true, "released"), &audit)?;
            tracing::info!(exam = %request.exam_id, ppe = %request.caller, package = %pkg.package_id, "package key released");
            Ok(release)
        }
        Err(refusal) => {
            let code = refusal.code();
            let audit = AuditNote { actor, action: "materials.key_refused", object: request.exam_id.to_string(), details: serde_json::json!({"ppe_code": request.caller, "reason": code}) };
            meta.key_release_record(&record(None, false, code), &audit)?;
            tracing::warn!(exam = %request.exam_id, ppe = %request.caller, reason = code, "package key refused");
            Err(KeyReleaseError::Refused(refusal))
        }
    }
}
