//! The box's side of ГЭК activation: with the ciphertext already verified on disk, the ГЭК
//! member's own credential obtains the package key from the hub. The box asks the hub for a
//! one-time challenge, makes the per-request X25519 key, has the member sign
//! `gek::proof_message` over both, and sends the proof in the key request; only then does the
//! hub release the wrapped key. The key is checked against every file, kept in tmpfs, and
//! recorded as received and activated by that member in one transaction (the box's audit names
//! the member's worker id). Neither the scheduler nor the technical specialist can get a key.

use std::path::Path;

use serde::Serialize;

use super::pull::{key_file, materials_dir, net, record_hub_time, KeyFile, PullError};
use super::store as mstore;
use super::{MaterialsError, SignedManifest};
use crate::context::EdgeContext;
use crate::gek::keyfile::GekSigner;
use crate::hub_client::{HubClient, Refusal};
use crate::protocol::key::{GekChallenge, GekChallengeRequest, GekProof, KeyRelease};
use crate::protocol::paths;

/// What one activation did; printed as JSON by the CLI.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ActivationReport {
    pub exam_id: String,
    pub package_id: String,
    pub version: u64,
    pub gek_worker_id: String,
    pub hub_time: String,
}

fn other(e: impl std::fmt::Display) -> PullError {
    PullError::Other(anyhow::anyhow!("{e}"))
}

/// Records a refusal on the box's side (the hub records its own).
pub fn audit_refusal(ctx: &EdgeContext, exam_id: &str, actor: &str, gek_worker_id: &str, reason: &str) {
    let result = ctx.db().map_err(other).and_then(|db| {
        crate::audit::store::append(&db, &ctx.clock.now_rfc3339(), crate::audit::NewEntry {
            actor,
            action: "materials.key_refused",
            object: exam_id,
            details: serde_json::json!({"gek_worker_id": gek_worker_id, "reason": reason}),
        })
        .map_err(other)
    });
    if let Err(e) = result {
        tracing::error!("audit materials.key_refused: {e}");
    }
}

/// The accepted manifest of an exam, its signature checked again, with every file verified
/// on disk; the key is asked for only then.
pub(super) fn staged_manifest(ctx: &EdgeContext, exam_id: &str) -> Result<SignedManifest, PullError> {
    let db = ctx.db()?;
    let not_staged = || PullError::Other(anyhow::anyhow!("пакет экзамена {exam_id} не получен полностью: сначала `ppe edge pull --exam {exam_id}`"));
    let (_, json) = mstore::manifest_get(&db, exam_id).map_err(other)?.ok_or_else(not_staged)?;
    let signed: SignedManifest = serde_json::from_str(&json).map_err(|e| MaterialsError::Malformed(e.to_string()))?;
    if !crate::keys::verify_ed25519(&ctx.config.hub.signing_public_key, &super::canonical_json(&signed.manifest), &signed.signature) {
        return Err(MaterialsError::BadSignature.into());
    }
    let verified = mstore::files_verified(&db, exam_id, &signed.manifest.package_id).map_err(other)?;
    let dir = materials_dir(ctx, exam_id);
    if !signed.manifest.files.iter().all(|f| verified.contains(&f.name) && dir.join(f.cipher_file_name()).is_file()) {
        return Err(not_staged());
    }
    Ok(signed)
}

/// Obtains and activates an exam's package key with the ГЭК member's credential. `actor` is
/// the box login (or `cli`) that ran it, `pulled_by` who staged the package.
pub async fn activate(ctx: &EdgeContext, exam_id: &str, signer: &GekSigner, actor: &str, pulled_by: &str) -> Result<ActivationReport, PullError> {
    let signed = staged_manifest(ctx, exam_id)?;
    let client = HubClient::from_context(ctx).map_err(anyhow::Error::from)?;
    let refused = |reason: String| {
        audit_refusal(ctx, exam_id, actor, &signer.worker_id, &reason);
        PullError::Refused(reason)
    };
    let (resp, time) = client.send_timed(client.http().post(client.url(paths::GEK_CHALLENGE)).json(&GekChallengeRequest { exam_id: exam_id.into(), security_key: None })).await.map_err(net)?;
    record_hub_time(ctx, &*ctx.db()?, time);
    if !resp.status().is_success() {
        return Err(refused(Refusal::read(resp).await.to_string()));
    }
    let challenge: GekChallenge = resp.json().await.map_err(net)?;
    let box_key = crate::keys::load_ed25519(&ctx.config.keys.signing_key_file).map_err(|e| PullError::Other(e.into()))?;
    let mut pending = super::wrap::key_request(&box_key, exam_id, &ctx.config.ppe_code, &ctx.clock.now_rfc3339())?;
    let signature = signer.sign_hex(&pending.gek_proof_message(&signer.worker_id, &challenge.challenge));
    pending.request.gek = Some(GekProof { worker_id: signer.worker_id.as_str().into(), challenge: challenge.challenge, signature, webauthn: None });
    release_and_keep(ctx, &client, &signed, pending, &signer.worker_id, actor, pulled_by).await
}

/// Sends the proven key request, opens the released key, checks it against every file, keeps
/// it and records the activation (the tail of both credentials' activations).
pub(super) async fn release_and_keep(ctx: &EdgeContext, client: &HubClient, signed: &SignedManifest, pending: super::wrap::PendingKeyRequest, worker_id: &str, actor: &str, pulled_by: &str) -> Result<ActivationReport, PullError> {
    let m = &signed.manifest;
    let exam_id = m.exam_id.as_str();
    let refused = |reason: String| {
        audit_refusal(ctx, exam_id, actor, worker_id, &reason);
        PullError::Refused(reason)
    };
    let (resp, time) = client.send_timed(client.http().post(client.url(&paths::key(exam_id))).json(&pending.request)).await.map_err(net)?;
    record_hub_time(ctx, &*ctx.db()?, time);
    if !resp.status().is_success() {
        return Err(refused(Refusal::read(resp).await.to_string()));
    }
    let release: KeyRelease = resp.json().await.map_err(net)?;
    let key = zeroize::Zeroizing::new(pending.open(&release, &ctx.config.hub.signing_public_key)?);
    if release.package_id != m.package_id || release.version != m.version {
        return Err(MaterialsError::BadKey(format!("ключ выдан для версии {} пакета, а получена версия {}", release.version, m.version)).into());
    }
    // The key must open the first chunk of every file before it is kept.
    let dir = materials_dir(ctx, exam_id);
    for f in &m.files {
        check_key_opens_first_chunk(signed, f, &key, &dir.join(f.cipher_file_name()))?;
    }
    let kf = KeyFile { package_id: m.package_id.clone(), key: hex::encode(&*key) };
    let path = key_file(ctx, exam_id)?;
    crate::keys::write_secret(&path, &zeroize::Zeroizing::new(serde_json::to_vec(&kf).unwrap_or_default())).map_err(|e| PullError::Other(e.into()))?;
    record_activation(ctx, signed, &release, worker_id, actor, pulled_by).map_err(other)?;
    Ok(ActivationReport { exam_id: exam_id.into(), package_id: m.package_id.clone(), version: m.version, gek_worker_id: worker_id.into(), hub_time: release.hub_time })
}

/// A security-key activation between the member's two steps in the box UI: the key request
/// with its ephemeral X25519 secret (never leaves the box process), for whom and by whom.
struct Waiting {
    pending: super::wrap::PendingKeyRequest,
    exam_id: String,
    worker_id: String,
    actor: String,
    until: std::time::Instant,
}

/// Waiting security-key activations by the hub's one-time challenge (memory only: a restart
/// forgets them, the member starts again).
static WAITING: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, Waiting>>> = std::sync::LazyLock::new(Default::default);

/// How long the box waits for the member's touch (the hub's challenge lasts as long).
const TOUCH_WAIT: std::time::Duration = std::time::Duration::from_secs(crate::gek::CHALLENGE_MINUTES as u64 * 60);

/// Step one with a security key: the key request is made, and the hub issues a challenge for
/// this member bound to it; the answer is (the challenge, the options for the browser's
/// `navigator.credentials.get` as JSON).
pub async fn security_key_start(ctx: &EdgeContext, exam_id: &str, worker_id: &str, actor: &str) -> Result<(String, String), PullError> {
    staged_manifest(ctx, exam_id)?;
    let client = HubClient::from_context(ctx).map_err(anyhow::Error::from)?;
    let box_key = crate::keys::load_ed25519(&ctx.config.keys.signing_key_file).map_err(|e| PullError::Other(e.into()))?;
    let pending = super::wrap::key_request(&box_key, exam_id, &ctx.config.ppe_code, &ctx.clock.now_rfc3339())?;
    let asked = GekChallengeRequest {
        exam_id: exam_id.into(),
        security_key: Some(crate::protocol::key::SecurityKeyChallengeRequest { worker_id: worker_id.into(), box_public: pending.request.box_public.clone() }),
    };
    let (resp, time) = client.send_timed(client.http().post(client.url(paths::GEK_CHALLENGE)).json(&asked)).await.map_err(net)?;
    record_hub_time(ctx, &*ctx.db()?, time);
    if !resp.status().is_success() {
        let reason = Refusal::read(resp).await.to_string();
        audit_refusal(ctx, exam_id, actor, worker_id, &reason);
        return Err(PullError::Refused(reason));
    }
    let challenge: GekChallenge = resp.json().await.map_err(net)?;
    let options = challenge.webauthn.ok_or_else(|| PullError::Refused("РЦОИ не выдал запрос для ключа безопасности".into()))?;
    let now = std::time::Instant::now();
    let mut waiting = WAITING.lock().map_err(|_| other("lock"))?;
    waiting.retain(|_, w| w.until > now);
    waiting.insert(challenge.challenge.clone(), Waiting { pending, exam_id: exam_id.into(), worker_id: worker_id.into(), actor: actor.into(), until: now + TOUCH_WAIT });
    Ok((challenge.challenge, options))
}

/// Step two: the browser's assertion goes to the hub in the key request started in step one
/// (taken out: one try), and the released key is kept as with a key file. Only the login that
/// started it, for the same exam, may finish it.
pub async fn security_key_finish(ctx: &EdgeContext, exam_id: &str, challenge: &str, assertion: &str, actor: &str, pulled_by: &str) -> Result<ActivationReport, PullError> {
    let taken = WAITING.lock().map_err(|_| other("lock"))?.remove(challenge);
    let expired = || PullError::Refused("запрос ключа безопасности не найден или устарел: начните активацию заново".into());
    let mut w = taken.ok_or_else(expired)?;
    if w.exam_id != exam_id || w.actor != actor || w.until <= std::time::Instant::now() {
        return Err(expired());
    }
    let signed = staged_manifest(ctx, exam_id)?;
    let client = HubClient::from_context(ctx).map_err(anyhow::Error::from)?;
    w.pending.request.gek = Some(GekProof { worker_id: w.worker_id.as_str().into(), challenge: challenge.into(), signature: String::new(), webauthn: Some(assertion.into()) });
    release_and_keep(ctx, &client, &signed, w.pending, &w.worker_id, actor, pulled_by).await
}

fn record_activation(ctx: &EdgeContext, signed: &SignedManifest, release: &KeyRelease, gek_worker_id: &str, actor: &str, pulled_by: &str) -> anyhow::Result<()> {
    let m = &signed.manifest;
    let mut db = ctx.db()?;
    let now = ctx.clock.now_rfc3339();
    let tx = db.transaction()?;
    mstore::key_received(&tx, &m.exam_id, &m.package_id, m.version, &now, &release.hub_time)?;
    crate::audit::store::append(&tx, &now, crate::audit::NewEntry {
        actor,
        action: "materials.key_received",
        object: &m.exam_id,
        details: serde_json::json!({"package_id": m.package_id, "version": m.version, "hub_time": release.hub_time, "gek_worker_id": gek_worker_id}),
    })?;
    mstore::activation_insert(&tx, &m.exam_id, &m.package_id, gek_worker_id, actor, pulled_by, &now)?;
    crate::audit::store::append(&tx, &now, crate::audit::NewEntry {
        actor,
        action: "materials.activated",
        object: &m.exam_id,
        details: serde_json::json!({"package_id": m.package_id, "gek_worker_id": gek_worker_id, "pulled_by": pulled_by, "hub_time": release.hub_time}),
    })?;
    tx.commit()?;
    Ok(())
}

pub(super) fn check_key_opens_first_chunk(signed: &SignedManifest, f: &super::FileEntry, key: &[u8; 32], path: &Path) -> Result<(), PullError> {
    use std::io::Read;
    let m = &signed.manifest;
    let mut first = vec![0u8; (f.chunk_size as usize + super::TAG_LEN).min(f.cipher_len as usize)];
    std::fs::File::open(path).and_then(|mut file| file.read_exact(&mut first)).map_err(MaterialsError::from)?;
    let single = super::chunk_count(f.plain_len, f.chunk_size) == 1;
    let prefix: [u8; super::NONCE_PREFIX_LEN] = hex::decode(&f.nonce_prefix).ok().and_then(|p| p.try_into().ok()).ok_or_else(|| MaterialsError::Malformed("nonce".into()))?;
    let mut n = [0u8; 12];
    n[..super::NONCE_PREFIX_LEN].copy_from_slice(&prefix);
    n[11] = u8::from(single);
    let k = ring::aead::LessSafeKey::new(ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, key).map_err(|_| MaterialsError::BadKey("32".into()))?);
    k.open_in_place(ring::aead::Nonce::assume_unique_for_key(n), ring::aead::Aad::from(super::file_aad(m, f)), &mut first)
        .map_err(|_| MaterialsError::BadKey(format!("ключ не открывает файл {}", f.name)))?;
    Ok(())
}
