//! The box's materials commands as use cases (the pull client itself is `pull.rs`): pull the
//! ciphertext, and a ГЭК member's activation, which alone obtains the key, with the member's
//! own credential (two-person rule: the specialist stages, the member's credential releases);
//! and the hub's side of a key request and its challenge, the rule carried out with its record.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use ring::signature::Ed25519KeyPair;

use super::hub_meta::{KeyReleaseRecord, MaterialsMeta};
use super::activation::ActivationReport;
use super::pull::{PullError, PullOptions, PullReport, Source};
use super::release::{decide_key_release, KeyRefusal, KeyRequestFacts};
use crate::gek::ProofFacts;
use crate::audit::AuditNote;
use crate::context::EdgeContext;
use crate::model::{ExamId, PpeCode};
use crate::protocol::key::{GekChallenge, GekChallengeRequest, KeyRelease, KeyRequest};
use crate::store::MetaError;

/// Fetch an exam's package now instead of waiting for the window.
#[derive(Debug, Clone)]
pub struct PullRequest {
    pub exam_id: ExamId,
    /// Removable media with manifest.json and *.enc; `None` is the network.
    pub from: Option<PathBuf>,
    /// The technical specialist's login, for the audit log.
    pub actor: String,
}

/// Pulls the package's ciphertext: every file verified against the signed manifest. The key
/// is not asked for: only a ГЭК member's activation obtains it.
pub async fn pull(ctx: &EdgeContext, request: &PullRequest) -> Result<PullReport, PullError> {
    pull_with_progress(ctx, request, &crate::cli_util::NO_PROGRESS).await
}

/// [`pull`], telling `progress` the package's bytes as its files are verified.
pub async fn pull_with_progress(ctx: &EdgeContext, request: &PullRequest, progress: &dyn crate::cli_util::Progress) -> Result<PullReport, PullError> {
    let source = match &request.from {
        Some(dir) => Source::Media(dir.clone()),
        None => Source::Network,
    };
    let opts = PullOptions { source, actor: request.actor.clone(), ..Default::default() };
    super::pull::pull_with_progress(ctx, &request.exam_id, &opts, progress).await
}

/// A ГЭК member obtains and activates the package key of an exam with their own credential.
#[derive(Debug, Clone)]
pub struct ActivateRequest {
    pub exam_id: ExamId,
    /// The member's sealed key file (`ppe hub gek enroll`), e.g. on their stick.
    pub gek_key_file: PathBuf,
    pub pin: String,
    /// The box login running it (`cli` from the command line), for the audit log.
    pub actor: String,
    /// The worker id of the logged-in ГЭК account, when run from the UI: the key file must be
    /// that member's own.
    pub account_worker_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ActivateError {
    #[error("файл ключа члена ГЭК {path}: {reason}")]
    KeyFileUnreadable { path: String, reason: String },
    #[error(transparent)]
    KeyFile(#[from] crate::gek::keyfile::KeyFileError),
    #[error("файл ключа принадлежит члену ГЭК {file}, а вход выполнен под учётной записью члена ГЭК {account}")]
    OtherMember { file: String, account: String },
    #[error(transparent)]
    Pull(#[from] PullError),
}

/// Opens the member's key file with the PIN (a wrong PIN is refused and audited on the box;
/// it never reaches the hub), then obtains and activates the key (`activation::activate`).
pub async fn activate(ctx: &EdgeContext, request: &ActivateRequest) -> Result<ActivationReport, ActivateError> {
    let exam = request.exam_id.as_str();
    let path = request.gek_key_file.display().to_string();
    let bytes = std::fs::read(&request.gek_key_file).map_err(|e| ActivateError::KeyFileUnreadable { path: path.clone(), reason: e.to_string() })?;
    let file = crate::gek::keyfile::parse(&bytes).inspect_err(|e| super::activation::audit_refusal(ctx, exam, &request.actor, "", &e.to_string()))?;
    let signer = crate::gek::keyfile::open(&file, &request.pin).inspect_err(|e| super::activation::audit_refusal(ctx, exam, &request.actor, &file.worker_id, &e.to_string()))?;
    if let Some(account) = &request.account_worker_id {
        if *account != signer.worker_id {
            let refusal = ActivateError::OtherMember { file: signer.worker_id.clone(), account: account.clone() };
            super::activation::audit_refusal(ctx, exam, &request.actor, &signer.worker_id, &refusal.to_string());
            return Err(refusal);
        }
    }
    let pulled_by = last_puller(ctx, &request.exam_id).map_err(PullError::Other)?;
    Ok(super::activation::activate(ctx, exam, &signer, &request.actor, &pulled_by).await?)
}

/// The actor of the last pull of an exam in the audit log (`scheduler` when none is found);
/// recorded beside the activation.
pub fn last_puller(ctx: &EdgeContext, exam_id: &ExamId) -> anyhow::Result<String> {
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
    #[error("в выдаче ключа отказано: {}", .0.code())]
    Refused(KeyRefusal),
    /// The metadata could not be read or written (never disguised as a refusal).
    #[error(transparent)]
    Meta(#[from] MetaError),
    #[error("{0}")]
    Internal(String),
}

/// The key-release rule (`release::decide_key_release`) over the hub's facts; a released key
/// is wrapped to the request's key and signed, and every outcome is recorded with its audit
/// entry in one transaction, naming the box and the ГЭК member (who released to whom). The
/// presented challenge is used up by the attempt whatever its outcome. Blocks (metadata calls).
/// A security key's assertion is checked here with the relying party `rp` (`[gek]`): it must
/// answer a challenge issued for this very member and this request's `box_public`, verify with
/// the member's registered passkey (user verified, counter moving on) — the counter is stored
/// with the release.
pub fn release_key(meta: &dyn MaterialsMeta, rp: Option<&crate::gek::webauthn::Webauthn>, signing_key: &Ed25519KeyPair, request: &KeyReleaseRequest) -> Result<KeyRelease, KeyReleaseError> {
    let now_text = crate::clock::rfc3339(request.now);
    // A documents package is asked for by its scope `EXAM~documents` (`PackageKind`).
    let kind = super::PackageKind::of_scope(&request.exam_id).1;
    let proof = request.request.gek.as_ref();
    let facts = meta.key_facts(&request.exam_id, &request.caller, proof.map(|p| (&p.worker_id, p.challenge.as_str())))?;
    let challenge_row = facts.gek_challenge.as_ref().map(|(ppe, exam, expires, used)| (ppe.as_str(), exam.as_str(), crate::clock::parse_now(expires).unwrap_or(request.now), *used));
    let webauthn = proof.and_then(|p| p.webauthn.as_deref());
    let security_key = match (webauthn, rp, &facts.gek_security_key, &facts.gek_binding, proof) {
        (Some(assertion), Some(rp), Some(credential), Some((worker, box_public, state)), Some(p)) if worker.as_str() == p.worker_id.as_str() && *box_public == request.request.box_public => {
            crate::gek::webauthn::verify_assertion(rp, credential, state, assertion)
        }
        _ => None,
    };
    let gek = ProofFacts {
        credential: if webauthn.is_some() { facts.gek_security_key.as_ref() } else { facts.gek_credential.as_ref() },
        assigned: facts.gek_assigned,
        challenge: crate::gek::challenge_state(challenge_row, &request.caller, &request.exam_id, request.now),
    };
    let decided = decide_key_release(KeyRequestFacts {
        caller: &request.caller,
        exam_id: &request.exam_id,
        request: &request.request,
        window: facts.exam.as_ref().and_then(|e| kind.window(e)),
        assigned: facts.assigned,
        box_signing_key: facts.registered.as_ref().map(|r| r.signing_public_key.as_str()),
        package: facts.package,
        hub_now: request.now,
        gek,
        security_key_verified: security_key.is_some(),
        kind,
    });
    let gek_passkey_update = security_key.flatten();
    let actor = format!("box:{}", request.caller);
    let gek_worker_id = proof.map(|p| p.worker_id.clone());
    let challenge = proof.map(|p| p.challenge.as_str());
    let record = |package_id: Option<String>, released: bool, reason: &str| KeyReleaseRecord {
        at: request.now,
        exam_id: request.exam_id.clone(),
        ppe_code: request.caller.clone(),
        package_id,
        released,
        reason: reason.to_string(),
        gek_worker_id: gek_worker_id.clone(),
        gek_passkey_update: if released { gek_passkey_update.clone() } else { None },
    };
    let refuse = |refusal: KeyRefusal| -> Result<KeyRelease, KeyReleaseError> {
        let code = refusal.code();
        let audit = AuditNote {
            actor: actor.clone(),
            action: "materials.key_refused",
            object: request.exam_id.to_string(),
            details: serde_json::json!({"ppe_code": request.caller, "reason": code, "gek_worker_id": gek_worker_id}),
        };
        meta.key_release_record(&record(None, false, code), &audit, challenge)?;
        tracing::warn!(exam = %request.exam_id, ppe = %request.caller, gek_worker = ?gek_worker_id, reason = code, "package key refused");
        Err(KeyReleaseError::Refused(refusal))
    };
    match decided {
        Ok(pkg) => {
            let key: [u8; 32] = hex::decode(&pkg.package_key_hex).ok().and_then(|k| k.try_into().ok()).ok_or_else(|| KeyReleaseError::Internal("stored package key is not 32 bytes".into()))?;
            let release = super::wrap::wrap_for_box(signing_key, &request.request, &pkg.package_id, pkg.version, &key, &now_text).map_err(|e| KeyReleaseError::Internal(e.to_string()))?;
            let audit = AuditNote {
                actor: actor.clone(),
                action: "materials.key_released",
                object: request.exam_id.to_string(),
                details: serde_json::json!({"ppe_code": request.caller, "package_id": pkg.package_id, "version": pkg.version, "gek_worker_id": gek_worker_id}),
            };
            if !meta.key_release_record(&record(Some(pkg.package_id.clone()), true, "released"), &audit, challenge)? {
                return refuse(KeyRefusal::GekChallengeUsed);
            }
            tracing::info!(exam = %request.exam_id, ppe = %request.caller, gek_worker = ?gek_worker_id, package = %pkg.package_id, "package key released");
            Ok(release)
        }
        Err(refusal) => refuse(refusal),
    }
}

/// The hub hands a box a one-time challenge for a ГЭК member's proof (the box's certificate
/// says who asks). Blocks (metadata call).
pub fn issue_gek_challenge(meta: &dyn MaterialsMeta, rp: Option<&crate::gek::webauthn::Webauthn>, caller: &PpeCode, asked: &GekChallengeRequest, now: DateTime<Utc>) -> Result<GekChallenge, KeyReleaseError> {
    use ring::rand::SecureRandom;
    let exam_id = &asked.exam_id;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut bytes).map_err(|_| KeyReleaseError::Internal("random".into()))?;
    let challenge = hex::encode(bytes);
    let expires = now + chrono::Duration::minutes(crate::gek::CHALLENGE_MINUTES);
    let mut webauthn = None;
    match &asked.security_key {
        None => meta.gek_challenge_issue(&challenge, caller, exam_id, now, expires)?,
        Some(sk) => {
            // A security key's challenge carries the options for the member's registered key.
            let Some(credential) = meta.gek_security_key(&sk.worker_id)? else {
                tracing::warn!(exam = %exam_id, ppe = %caller, gek_worker = %sk.worker_id, reason = KeyRefusal::GekUnknown.code(), "ГЭК security-key challenge refused");
                return Err(KeyReleaseError::Refused(KeyRefusal::GekUnknown));
            };
            let rp = rp.ok_or_else(|| KeyReleaseError::Internal("[gek] relying party not configured".into()))?;
            let (options, state) = crate::gek::webauthn::authentication_start(rp, &credential).map_err(|e| KeyReleaseError::Internal(e.to_string()))?;
            meta.gek_challenge_issue_bound(&challenge, caller, exam_id, now, expires, (&sk.worker_id, &sk.box_public, &state))?;
            webauthn = Some(serde_json::to_string(&options).map_err(|e| KeyReleaseError::Internal(e.to_string()))?);
        }
    }
    tracing::info!(exam = %exam_id, ppe = %caller, security_key = webauthn.is_some(), "ГЭК challenge issued");
    Ok(GekChallenge { challenge, expires_at: crate::clock::rfc3339(expires), webauthn })
}
