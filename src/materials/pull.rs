//! The box's pull client: fetch and verify the manifest, stream each ciphertext to disk while
//! hashing it (one pass over the network bytes), resume with `Range` after any break, and
//! later decrypt into memory only after a ГЭК member obtained and activated the key with their
//! own credential (`activation.rs`).
//! The hub's time comes first and only from the hub's own answer to this run's nonce; without
//! it nothing is fetched (a replayed time could unfreeze an expired manifest). The transfer of
//! the files themselves is `download`.
//!
//! Files are content-addressed under `state/materials/EXAM/`: `<sha256>.part` while arriving,
//! `<sha256>.enc` once verified, so a restart (even after `kill -9`) continues from the bytes
//! already on disk and a new version never mixes with an old partial file.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::download::{copy_from_media, download_with_retries, rehash_in_place};
use super::store as mstore;
use super::{verify_manifest, Expectation, MaterialsError, SignedManifest, MANIFEST_MAX_BYTES};
use crate::context::EdgeContext;
use crate::hub_client::{read_bounded, BoundedReadError, HubClient, HubTime, Refusal};
use crate::store::Connection;

/// Where the ciphertext comes from: the network (hub or mirror) or removable media.
#[derive(Debug, Clone)]
pub enum Source {
    Network,
    Media(PathBuf),
}

#[derive(Debug, Clone)]
pub struct PullOptions {
    pub source: Source,
    /// Network attempts per file before giving up this run (the scheduler retries runs).
    pub max_attempts: u32,
    /// Who is pulling (technical specialist's login or `scheduler`), for the audit log.
    pub actor: String,
}

impl Default for PullOptions {
    fn default() -> Self {
        Self { source: Source::Network, max_attempts: 6, actor: "operator".into() }
    }
}

/// What one run did; printed as JSON by the CLI.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PullReport {
    pub exam_id: String,
    pub version: u64,
    pub package_id: String,
    pub files_total: usize,
    pub files_already_verified: usize,
    pub files_fetched: usize,
    /// Ciphertext bytes received over the network in this run.
    pub bytes_downloaded: u64,
    /// Bytes found on disk from an earlier, interrupted run and not fetched again.
    pub bytes_resumed: u64,
    pub plan_synced: bool,
    /// Hub − box clock, milliseconds, if the hub answered.
    pub clock_offset_ms: Option<i64>,
}

/// Folder of an exam's ciphertext on the box.
pub fn materials_dir(ctx: &EdgeContext, exam_id: &str) -> PathBuf {
    ctx.config.state_dir.join("materials").join(exam_id)
}

pub(super) fn key_file(ctx: &EdgeContext, exam_id: &str) -> anyhow::Result<PathBuf> {
    Ok(ctx.run_dir_for(exam_id)?.join("package.key"))
}

/// Exponential backoff with jitter: attempt 0 waits ~0.5 s, doubling up to 30 s, each wait
/// drawn from [d/2, d] so that thousands of boxes do not retry in step.
pub fn backoff_delay(attempt: u32, rng: &mut impl Rng) -> Duration {
    let base_ms = 500u64.saturating_mul(1u64 << attempt.min(16)).min(30_000);
    Duration::from_millis(rng.gen_range(base_ms / 2..=base_ms))
}

/// Records the hub's signed time of an answer (see [`HubClient::hub_time`]); returns the
/// offset (hub − box).
pub fn record_hub_time(ctx: &EdgeContext, db: &Connection, time: Option<HubTime>) -> Option<i64> {
    let time = time?;
    let offset = (time.at - ctx.clock.now()).num_milliseconds();
    if let Err(e) = mstore::clock_offset_record(db, &ctx.clock.now_rfc3339(), &time.text, offset) {
        tracing::warn!("record clock offset: {e}");
    }
    Some(offset)
}

/// The hub's time as best known: the box clock corrected by the last signed offset.
pub fn hub_now(ctx: &EdgeContext, db: &Connection) -> DateTime<Utc> {
    let offset = mstore::clock_offset_latest(db).ok().flatten().unwrap_or(0);
    ctx.clock.now() + chrono::Duration::milliseconds(offset)
}

fn audit(db: &Connection, ctx: &EdgeContext, actor: &str, action: &str, exam_id: &str, details: serde_json::Value) {
    if let Err(e) = crate::audit::store::append(db, &ctx.clock.now_rfc3339(), crate::audit::NewEntry { actor, action, object: exam_id, details }) {
        tracing::error!("audit {action}: {e}");
    }
}

/// An error a retry can cure (network) versus one it cannot (a rejected package).
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Rejected(#[from] MaterialsError),
    #[error("сеть: {0}")]
    Network(String),
    #[error("РЦОИ отказал: {0}")]
    Refused(String),
    #[error("время РЦОИ не подтверждено: в ответе нет подписи РЦОИ к этому запросу (повтор старого ответа или подмена) или ответ задержан; пакет не загружен")]
    UntrustedHubTime,
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl PullError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, PullError::Network(_) | PullError::Other(_))
    }
}

pub(super) fn net(e: reqwest::Error) -> PullError {
    PullError::Network(format!("{e:#}").chars().take(300).collect())
}

pub(super) async fn refused(resp: reqwest::Response) -> PullError {
    PullError::Refused(Refusal::read(resp).await.to_string())
}

/// Pull one exam's package: ciphertext only (the key comes at ГЭК activation).
pub async fn pull(ctx: &EdgeContext, exam_id: &str, opts: &PullOptions) -> Result<PullReport, PullError> {
    pull_with_progress(ctx, exam_id, opts, &crate::cli_util::NO_PROGRESS).await
}

/// [`pull`], telling `progress` the package's bytes as each file is verified (files already
/// verified by an earlier run count at once).
pub async fn pull_with_progress(ctx: &EdgeContext, exam_id: &str, opts: &PullOptions, progress: &dyn crate::cli_util::Progress) -> Result<PullReport, PullError> {
    let db = ctx.db()?;
    let mut report = PullReport { exam_id: exam_id.into(), ..Default::default() };
    let client = match &opts.source {
        Source::Media(_) => None,
        Source::Network => Some(HubClient::from_context(ctx).map_err(anyhow::Error::from)?),
    };
    // The hub's time first: windows and expiry are judged by it, never by the box clock alone,
    // and a time not signed for this run's nonce is refused rather than believed.
    if let Some(client) = &client {
        let Some(time) = on_a_broken_link(opts.max_attempts, "hub time", || async { client.time().await.map_err(net) }).await? else {
            audit(&db, ctx, &opts.actor, "materials.rejected", exam_id, serde_json::json!({"reason": PullError::UntrustedHubTime.to_string()}));
            return Err(PullError::UntrustedHubTime);
        };
        report.clock_offset_ms = record_hub_time(ctx, &db, Some(time));
    }
    let manifest_bytes = match on_a_broken_link(opts.max_attempts, "manifest", || read_manifest(client.as_ref(), &opts.source, exam_id)).await {
        Err(PullError::Rejected(e)) => {
            audit(&db, ctx, &opts.actor, "materials.rejected", exam_id, serde_json::json!({"file": "manifest.json", "reason": e.to_string()}));
            return Err(e.into());
        }
        other => other?,
    };
    let signed = accept_manifest(ctx, &db, exam_id, &manifest_bytes, &opts.actor)?;
    let m = &signed.manifest;
    report.version = m.version;
    report.package_id = m.package_id.clone();
    report.files_total = m.files.len();
    let dir = materials_dir(ctx, exam_id);
    std::fs::create_dir_all(&dir).map_err(MaterialsError::from)?;
    let verified = mstore::files_verified(&db, exam_id, &m.package_id).unwrap_or_default();
    progress.start(&format!("пакет экзамена {exam_id}, версия {}", m.version), Some(m.files.iter().map(|f| f.cipher_len).sum()), true);
    for f in &m.files {
        let final_path = dir.join(f.cipher_file_name());
        if verified.contains(&f.name) && final_path.is_file() {
            report.files_already_verified += 1;
            progress.inc(f.cipher_len);
            continue;
        }
        let result = if final_path.is_file() {
            // Renamed into place by a run killed before it recorded the file: check, don't fetch.
            rehash_in_place(&final_path, f)
        } else {
            match &opts.source {
            Source::Media(src) => copy_from_media(&src.join(f.cipher_file_name()), &dir, f, &mut report),
            Source::Network => {
                let client = client.as_ref().ok_or_else(|| PullError::Other(anyhow::anyhow!("no client")))?;
                let url = client.package_url(exam_id, &f.cipher_file_name());
                // A mirror's answers are never read for time: the files carry no nonce.
                download_with_retries(client.http(), &url, &dir, f, opts.max_attempts, &mut report).await
            }
            }
        };
        if let Err(e) = result {
            if let PullError::Rejected(reason) = &e {
                audit(&db, ctx, &opts.actor, "materials.rejected", exam_id, serde_json::json!({"file": f.name, "reason": reason.to_string()}));
            }
            return Err(e);
        }
        mstore::file_verified(&db, exam_id, &m.package_id, &f.name, &f.cipher_sha256, f.cipher_len, &ctx.clock.now_rfc3339()).map_err(|e| anyhow::anyhow!(e))?;
        report.files_fetched += 1;
        progress.inc(f.cipher_len);
    }
    progress.finish();
    // The key by phone: the package key sealed for this box, for a window without the uplink.
    if let Some(client) = &client {
        if let Err(e) = super::phone_code::ops::fetch_seal(ctx, client, &signed, &opts.actor).await {
            tracing::warn!(exam = exam_id, "sealed key for the phone code not fetched: {e}");
        }
    }
    audit(&db, ctx, &opts.actor, "materials.pulled", exam_id, serde_json::json!({
        "version": m.version, "package_id": m.package_id, "bytes_downloaded": report.bytes_downloaded,
    }));
    if let Some(client) = &client {
        match sync_plan(ctx, client, &opts.actor).await {
            Ok(()) => report.plan_synced = true,
            Err(e) => tracing::warn!("plan sync: {e:#}"),
        }
    }
    Ok(report)
}

/// A request of the pull that a broken link can fail (cut, stalled past the timeout, a TLS
/// record corrupted on the way): asked again with backoff, `attempts` in all; any other
/// error (a refusal, a rejected package, media) is final at once.
async fn on_a_broken_link<T, F, Fut>(attempts: u32, what: &str, mut request: F) -> Result<T, PullError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, PullError>>,
{
    let mut attempt = 0;
    loop {
        match request().await {
            Err(e @ PullError::Network(_)) if attempt + 1 < attempts.max(1) => {
                let wait = backoff_delay(attempt, &mut rand::thread_rng());
                tracing::warn!("{what} interrupted ({e}); asking again in {wait:?}");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The manifest's bytes from media or the network (hub or mirror), at most
/// [`MANIFEST_MAX_BYTES`] read: a longer or endless one is refused without buffering it.
async fn read_manifest(client: Option<&HubClient>, source: &Source, exam_id: &str) -> Result<Vec<u8>, PullError> {
    let too_long = || PullError::Rejected(MaterialsError::ManifestTooLong { limit: MANIFEST_MAX_BYTES });
    match source {
        Source::Media(dir) => {
            let path = dir.join("manifest.json");
            let mut bytes = Vec::new();
            std::fs::File::open(&path)
                .and_then(|f| f.take(MANIFEST_MAX_BYTES + 1).read_to_end(&mut bytes))
                .map_err(|e| PullError::Other(anyhow::anyhow!("{}: {e}", path.display())))?;
            if bytes.len() as u64 > MANIFEST_MAX_BYTES {
                return Err(too_long());
            }
            Ok(bytes)
        }
        Source::Network => {
            let client = client.ok_or_else(|| PullError::Other(anyhow::anyhow!("no client")))?;
            let resp = client.http().get(client.package_url(exam_id, "manifest.json")).send().await.map_err(net)?;
            if !resp.status().is_success() {
                return Err(refused(resp).await);
            }
            read_bounded(resp, MANIFEST_MAX_BYTES).await.map_err(|e| match e {
                BoundedReadError::Network(e) => net(e),
                BoundedReadError::TooLong { .. } => too_long(),
            })
        }
    }
}

/// Parses and verifies a manifest, records it (rollback protection), audits a rejection.
pub fn accept_manifest(ctx: &EdgeContext, db: &Connection, exam_id: &str, bytes: &[u8], actor: &str) -> Result<SignedManifest, PullError> {
    let result = (|| {
        let signed: SignedManifest = serde_json::from_slice(bytes).map_err(|e| MaterialsError::Malformed(e.to_string()))?;
        let seen = mstore::manifest_get(db, exam_id).map_err(|e| MaterialsError::Malformed(e.to_string()))?.map(|(v, _)| v);
        verify_manifest(&signed, &Expectation {
            hub_public_key: &ctx.config.hub.signing_public_key,
            exam_id,
            ppe_code: &ctx.config.ppe_code,
            last_seen_version: seen,
            hub_now: hub_now(ctx, db),
        })?;
        Ok::<_, MaterialsError>((signed, seen))
    })();
    match result {
        Err(e) => {
            audit(db, ctx, actor, "materials.rejected", exam_id, serde_json::json!({"reason": e.to_string()}));
            Err(e.into())
        }
        Ok((signed, seen)) => {
            if seen != Some(signed.manifest.version) || mstore::manifest_get(db, exam_id).ok().flatten().map(|(_, j)| j) != Some(String::from_utf8_lossy(bytes).into_owned()) {
                let json = String::from_utf8_lossy(bytes).into_owned();
                let now = ctx.clock.now_rfc3339();
                let m = &signed.manifest;
                let tx = db.unchecked_transaction().map_err(|e| anyhow::anyhow!(e))?;
                mstore::manifest_accept(&tx, exam_id, &m.ppe_code, m.version, &m.package_id, &json, &now).map_err(|e| anyhow::anyhow!(e))?;
                crate::audit::store::append(&tx, &now, crate::audit::NewEntry {
                    actor,
                    action: "materials.manifest_accepted",
                    object: exam_id,
                    details: serde_json::json!({"version": m.version, "package_id": m.package_id}),
                })
                .map_err(|e| anyhow::anyhow!(e))?;
                tx.commit().map_err(|e| anyhow::anyhow!(e))?;
            }
            Ok(signed)
        }
    }
}

/// Syncs the plan slice now (the scheduler calls it before it knows any exam).
pub async fn sync_plan_now(ctx: &EdgeContext, actor: &str) -> anyhow::Result<()> {
    let client = HubClient::from_context(ctx)?;
    record_hub_time(ctx, &*ctx.db()?, client.time().await?);
    sync_plan(ctx, &client, actor).await
}

/// The exam point's slice of the plan, signed by the hub; the box seats offline from it.
async fn sync_plan(ctx: &EdgeContext, client: &HubClient, actor: &str) -> anyhow::Result<()> {
    let body = client.plan().await?;
    let plan: crate::model::Plan = serde_json::from_slice(&body)?;
    let mut db = ctx.db()?;
    let now = ctx.clock.now_rfc3339();
    let sha = crate::util::sha256_hex(&body);
    let tx = db.transaction()?;
    crate::plan::store::replace_plan(&tx, &plan, &now, "hub", &sha)?;
    crate::audit::store::append(&tx, &now, crate::audit::NewEntry { actor, action: "plan.sync", object: &ctx.config.ppe_code, details: serde_json::json!({"sha256": sha}) })?;
    tx.commit()?;
    Ok(())
}

/// The package key as kept in tmpfs (`run_dir/EXAM/package.key`); wiped from memory when
/// dropped.
#[derive(Serialize, Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub(super) struct KeyFile {
    pub(super) package_id: String,
    pub(super) key: String,
}

/// Decrypts one file of an exam's package into memory, for printing. Refuses unless the key
/// is held and a member of ГЭК has activated it; every byte is authenticated.
pub fn open_decrypted(ctx: &EdgeContext, exam_id: &str, file_name: &str) -> anyhow::Result<crate::util::plaintext::Plaintext> {
    let db = ctx.db()?;
    let (_, json) = mstore::manifest_get(&db, exam_id)?.with_context(|| format!("пакет экзамена {exam_id} не получен"))?;
    let signed: SignedManifest = serde_json::from_str(&json)?;
    if !crate::keys::verify_ed25519(&ctx.config.hub.signing_public_key, &super::canonical_json(&signed.manifest), &signed.signature) {
        return Err(MaterialsError::BadSignature.into());
    }
    let m = &signed.manifest;
    let package_id = mstore::key_get(&db, exam_id)?.with_context(|| format!("ключ пакета экзамена {exam_id} не получен"))?;
    if package_id != m.package_id {
        anyhow::bail!("ключ относится к другой версии пакета экзамена {exam_id}: выполните `ppe edge pull --exam {exam_id}`");
    }
    mstore::activation_get(&db, exam_id, &package_id)?.with_context(|| format!("ключ экзамена {exam_id} не активирован членом ГЭК"))?;
    let f = m.file(file_name).ok_or_else(|| MaterialsError::NotInManifest { name: file_name.into() })?;
    let raw = zeroize::Zeroizing::new(std::fs::read(key_file(ctx, exam_id)?).context("ключ пакета не найден в /run (перезагрузка?): выполните `ppe edge pull` снова")?);
    let kf: KeyFile = serde_json::from_slice(&raw)?;
    if kf.package_id != package_id {
        anyhow::bail!("ключ в /run относится к другому пакету");
    }
    let key: zeroize::Zeroizing<[u8; 32]> = zeroize::Zeroizing::new(hex::decode(&kf.key).ok().map(zeroize::Zeroizing::new).and_then(|k| k.as_slice().try_into().ok()).context("ключ пакета повреждён")?);
    let path = materials_dir(ctx, exam_id).join(f.cipher_file_name());
    let input = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path).with_context(|| format!("{}", path.display()))?);
    let mut out = crate::util::plaintext::Plaintext::with_capacity(f.plain_len as usize);
    out.fill(|w| super::decrypt_stream(m, f, &key, input, w))?;
    audit(&db, ctx, "system", "materials.decrypted", exam_id, serde_json::json!({"file": f.name, "package_id": package_id}));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let d0 = backoff_delay(0, &mut rng);
        assert!(d0 >= Duration::from_millis(250) && d0 <= Duration::from_millis(500));
        let d20 = backoff_delay(20, &mut rng);
        assert!(d20 >= Duration::from_secs(15) && d20 <= Duration::from_secs(30));
        let many: std::collections::HashSet<_> = (0..20).map(|_| backoff_delay(5, &mut rng)).collect();
        assert!(many.len() > 10, "jitter spreads retries");
    }
}
