//! The upload's use cases. On the box: build (or reuse) the signed bundle of an exam, send it
//! to the hub over tus and keep the hub's verified receipt, or write it to removable media.
//! On the hub: take a bundle carried on media and verify it exactly like an upload. Async where
//! they talk to the network; the CLI and the daemon build the runtime.

use std::path::Path;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use super::bundle::{self, BuiltBundle};
use super::server::{CoreError, UploadCore, UploadServerState};
use super::store as upload_store;
use super::tus_client::{ChecksumMode, Resume, ServerFeatures, TusClient, TusClientOptions, TusError, TusEvents};
use super::{verify_receipt, RateMeter, Receipt, UploadError};
use crate::context::{EdgeContext, HubContext};
use crate::hub_client::{HubClient, HubClientError, Refusal};
use crate::model::ExamId;
use crate::protocol::paths;
use crate::store::{Connection, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum UploadOpsError {
    #[error(transparent)]
    HubClient(#[from] HubClientError),
    #[error("загрузка {name}: {source}")]
    File { name: String, source: TusError },
    #[error("отправка подписанной описи в РЦОИ: {0}")]
    Network(reqwest::Error),
    #[error("РЦОИ отказал в приёме пакета (HTTP {status}): {reason}")]
    Refused { status: reqwest::StatusCode, reason: String },
    #[error("ответ РЦОИ не является квитанцией: {0}")]
    NotAReceipt(serde_json::Error),
    /// The receipt does not verify (another bundle, another key).
    #[error("{}", .0.message_ru())]
    BadReceipt(UploadError),
    /// The hub refused a bundle carried on media.
    #[error("пакет не принят: {} [{}]", .0.message_ru(), .0.code())]
    ImportRefused(UploadError),
    #[error("пакет не принят: {0}")]
    Import(String),
    /// A receipt brought back on media that this box cannot take.
    #[error("квитанция не принята: {0}")]
    ReceiptRefused(String),
    /// A file of a bundle on media could not be stored.
    #[error("{0}")]
    Blob(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bundle folder, the scan store, keys, files.
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

fn store(e: impl Into<StoreError>) -> UploadOpsError {
    UploadOpsError::Store(e.into())
}

/// A bundle ready to go, and what completeness still misses (empty when it holds or nothing
/// is expected): a person chose to send now, and the record carries what is missing.
pub struct BoxBundle {
    pub built: BuiltBundle,
    pub missing: Vec<String>,
}

/// Builds (or reuses, while the scanned pages stay the same) the signed bundle of an exam.
pub fn box_bundle(ctx: &EdgeContext, conn: &Connection, exam_id: &ExamId, rebuild: bool) -> Result<BoxBundle, UploadOpsError> {
    let key = crate::keys::load_ed25519(&ctx.config.keys.signing_key_file).map_err(anyhow::Error::from)?;
    let expected = crate::scanning::ops::load_expected(ctx, exam_id, None)?;
    let mut missing = Vec::new();
    if let Some(exp) = &expected {
        let c = crate::scanning::intake::completeness_now(conn, exam_id, exp)?;
        if !c.holds() {
            missing = c.lines_ru();
            tracing::warn!(exam = %exam_id, missing = missing.len(), "completeness does not hold; the bundle goes as it is");
        }
    }
    // Recordings and КЕГЭ answer files: a missing or broken one is named too.
    if let Some((kind, c)) = crate::recordings::facts::completeness_now(conn, exam_id, &ctx.config.ppe_code).map_err(anyhow::Error::from)? {
        missing.extend(c.lines_ru(kind));
    }
    let built = bundle::build_or_reuse(conn, &ctx.clock, &ctx.config.state_dir, exam_id, &ctx.config.ppe_code, &key, expected.as_ref(), rebuild)?;
    Ok(BoxBundle { built, missing })
}

/// How to send a bundle.
#[derive(Debug, Clone)]
pub struct UploadRequest {
    /// Bytes per PATCH.
    pub chunk_size: usize,
    /// Upload deadline for the estimate and the alarm; `None`: from the plan.
    pub deadline: Option<DateTime<Utc>>,
    /// Failed attempts in a row before giving up.
    pub max_failures: u32,
    /// Files in flight at once.
    pub parallel: usize,
}

impl Default for UploadRequest {
    fn default() -> Self {
        Self { chunk_size: 4 << 20, deadline: None, max_failures: 30, parallel: 8 }
    }
}

/// How a progress line of [`upload_bundle`]'s `report` begins (the CLI draws those on a
/// terminal and leaves them out elsewhere).
pub const PROGRESS_LINE_PREFIX: &str = "выгрузка: ";

/// Progress shared by the files in flight (one thread: the futures run on one task).
struct SharedProgress<'a> {
    per_file: std::collections::HashMap<String, u64>,
    meter: RateMeter,
    started: std::time::Instant,
    total: u64,
    deadline: Option<DateTime<Utc>>,
    last_print: std::time::Instant,
    /// The deadline alarm is stored once per run.
    alarm_raised: bool,
    report: &'a dyn Fn(&str),
}

struct FileEvents<'a, 'r> {
    conn: &'a Connection,
    lazy_urls: bool,
    exam: &'a str,
    name: &'a str,
    shared: &'a std::cell::RefCell<SharedProgress<'r>>,
    clock: &'a crate::clock::Clock,
}

impl TusEvents for FileEvents<'_, '_> {
    fn url_created(&mut self, url: Option<&str>) -> Result<(), String> {
        upload_store::upload_file_set_url(self.conn, self.exam, self.name, url).map_err(|e| e.to_string())
    }
    /// The file went up whole with its creation: on a hub that finds uploads by content the
    /// batched done mark is all that is kept (a mark lost to a crash costs one creation
    /// request, answered with the same upload, complete, without a byte sent).
    fn url_known(&mut self, url: &str) -> Result<(), String> {
        if self.lazy_urls {
            return Ok(());
        }
        self.url_created(Some(url))
    }
    fn acknowledged(&mut self, offset: u64) {
        let mut p = self.shared.borrow_mut();
        p.per_file.insert(self.name.to_string(), offset);
        let done: u64 = p.per_file.values().sum();
        let elapsed = p.started.elapsed();
        p.meter.record(elapsed, done);
        if p.last_print.elapsed() >= std::time::Duration::from_secs(2) {
            p.last_print = std::time::Instant::now();
            let left = p.deadline.map(|d| (d - self.clock.now()).num_milliseconds() as f64 / 1000.0).unwrap_or(f64::INFINITY);
            let e = p.meter.estimate(p.total, left);
            let eta = e.eta_seconds.map(|s| format!("{s:.0} с")).unwrap_or_else(|| "—".into());
            let alarm = if e.alarm { " ВНИМАНИЕ: не успеваем к сроку!" } else { "" };
            if e.alarm && !p.alarm_raised {
                // Kept in the box's alarm list: the UI shows it on every page and the heartbeat
                // carries it to the РЦОИ dashboard.
                p.alarm_raised = true;
                let message = if left <= 0.0 {
                    format!("срок выгрузки прошёл {:.0} мин назад, выгрузка ещё идёт", -left / 60.0)
                } else {
                    let eta = e.eta_seconds.map(|s| format!("{:.0} мин", s / 60.0)).unwrap_or_else(|| "неизвестно сколько".into());
                    format!(
                        "выгрузка не успевает к сроку: до срока {:.0} мин, при скорости {:.1} МБ/с нужно ещё {eta}",
                        left / 60.0,
                        e.bytes_per_second / 1e6
                    )
                };
                let raised = self.conn.unchecked_transaction().and_then(|tx| {
                    crate::materials::store::alarm_raise(&tx, self.exam, "upload_deadline_at_risk", &message, &self.clock.now_rfc3339())?;
                    tx.commit()
                });
                if let Err(err) = raised {
                    tracing::error!("upload alarm not stored: {err}");
                }
                tracing::warn!(exam = self.exam, "{message}");
            }
            (p.report)(&format!(
                "{PROGRESS_LINE_PREFIX}{} из {} байт, {:.1} МБ/с, осталось ~{eta}{alarm}",
                e.bytes_done,
                e.bytes_total,
                e.bytes_per_second / 1e6
            ));
        }
    }
    fn retrying(&mut self, reason: &str) {
        tracing::warn!(file = self.name, "upload retry: {reason}");
    }
}

/// Uploads every file not yet done, then finalizes; stores and returns the verified receipt.
///
/// `report` hears the lines a person follows (deadline, progress, the alarm): the CLI prints
/// them, the daemon logs them. Files the streaming upload already sent are done and cost
/// nothing here: what is left is the day's record, the statements' records and the manifest.
pub async fn upload_bundle(
    ctx: &EdgeContext,
    conn: &Connection,
    built: &BuiltBundle,
    hub: &HubClient,
    request: &UploadRequest,
    report: &dyn Fn(&str),
) -> Result<Receipt, UploadOpsError> {
    let m = &built.signed.manifest;
    let http = hub.http().clone();
    let deadline = match request.deadline {
        Some(d) => Some(d),
        // From the plan: this point's own schedule, the deadline the hub judges.
        None => crate::plan::store::load_plan(conn).ok().and_then(|plan| {
            let exam = plan.exams.iter().find(|e| e.exam_id == m.exam_id)?;
            Some(crate::monitoring::Schedule::in_plan(&plan, exam, &m.ppe_code)?.deadline)
        }),
    };
    if let Some(d) = deadline {
        let left = (d - ctx.clock.now()).num_minutes();
        report(&format!("срок выгрузки {}: осталось {left} мин", d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
    }
    let files: Vec<SendFile> = m.files.iter().map(|f| SendFile { file: f.clone(), path: built.file_path(&f.name) }).collect();
    let sent = send_files(ctx, conn, hub, &m.exam_id, &m.ppe_code, &files, deadline, request, report).await?;
    tracing::info!(bytes_sent = sent.bytes_sent, bytes_total = m.total_bytes(), "all files are on the hub");
    let resp = http.post(hub.url(paths::BUNDLES)).json(&built.signed).send().await.map_err(UploadOpsError::Network)?;
    let status = resp.status();
    if !status.is_success() {
        let refusal = Refusal::read(resp).await;
        return Err(UploadOpsError::Refused { status, reason: refusal.reason().to_string() });
    }
    let body = resp.text().await.unwrap_or_default();
    let receipt: Receipt = serde_json::from_str(&body).map_err(UploadOpsError::NotAReceipt)?;
    verify_receipt(&receipt, &ctx.config.hub.signing_public_key, m).map_err(UploadOpsError::BadReceipt)?;
    store_receipt(ctx, conn, &receipt)?;
    Ok(receipt)
}

/// A file to send: its manifest entry and where its bytes are (the bundle folder, or the scan
/// store while the bundle is not built yet).
#[derive(Debug, Clone)]
pub struct SendFile {
    pub file: super::ManifestFile,
    pub path: std::path::PathBuf,
}

/// What one [`send_files`] run did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SendReport {
    /// Body bytes sent (re-sends included).
    pub bytes_sent: u64,
    /// Files that went up in this run (not those already done).
    pub files_sent: usize,
    /// Wall time from the first byte to the last acknowledgement.
    pub sending: std::time::Duration,
    /// The round trip of the hub's OPTIONS answer, when it answered.
    pub rtt: Option<std::time::Duration>,
}

/// Sends every file of `files` not yet done (per the box's `upload_file` record), in the order
/// given, over tus: resumes from a recorded URL, asks the hub first about a file that may be
/// there already (marked started), marks completions in batches. The bundle upload and the
/// streaming upload both send through here, so a file one of them sent the other skips.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn send_files(
    ctx: &EdgeContext,
    conn: &Connection,
    hub: &HubClient,
    exam_id: &str,
    ppe_code: &str,
    files: &[SendFile],
    deadline: Option<DateTime<Utc>>,
    request: &UploadRequest,
    report: &dyn Fn(&str),
) -> Result<SendReport, UploadOpsError> {
    let http = hub.http().clone();
    let endpoint = hub.uploads_endpoint()?;
    // Asked once per run, not per file. If the hub cannot be asked now, assume it is ours
    // (checksums and creation-with-upload); the first request will tell.
    let probe = TusClient::new(http.clone(), TusClientOptions::default());
    let asked = std::time::Instant::now();
    let answer = probe.server_features(&endpoint).await;
    let rtt = answer.is_ok().then(|| asked.elapsed());
    let offered = answer.unwrap_or_else(|e| {
        tracing::warn!("upload retry: the hub's tus features not read ({e}); assuming ours");
        ServerFeatures { sha256: true, creation_with_upload: true, idempotent_creation: true }
    });
    // A page goes up with its creation request, and its URL is kept lazily, only where the hub
    // finds a lost upload again by its content; elsewhere the URL is kept before any byte.
    let lazy = offered.creation_with_upload && offered.idempotent_creation;
    let client = TusClient::new(
        http.clone(),
        TusClientOptions {
            chunk_size: request.chunk_size.max(1),
            max_failures: request.max_failures,
            checksum: if offered.sha256 { ChecksumMode::Always } else { ChecksumMode::Never },
            creation_with_upload: Some(lazy),
            ..Default::default()
        },
    );
    let total: u64 = files.iter().map(|f| f.file.size).sum();
    let shared = std::cell::RefCell::new(SharedProgress {
        per_file: Default::default(),
        meter: RateMeter::new(std::time::Duration::from_secs(30)),
        started: std::time::Instant::now(),
        total,
        deadline,
        // The first acknowledged chunk already reports (and can raise the alarm).
        last_print: std::time::Instant::now().checked_sub(std::time::Duration::from_secs(2)).unwrap_or_else(std::time::Instant::now),
        alarm_raised: false,
        report,
    });
    let mut pending = Vec::new();
    let tx = conn.unchecked_transaction().map_err(store)?;
    for f in files {
        upload_store::upload_file_ensure(&tx, exam_id, &f.file.name, &f.file.sha256, f.file.size).map_err(store)?;
    }
    tx.commit().map_err(store)?;
    for f in files {
        let row = upload_store::upload_file_get(conn, exam_id, &f.file.name).map_err(store)?.ok_or_else(|| anyhow::anyhow!("upload row vanished"))?;
        if row.completed_at.is_some() {
            shared.borrow_mut().per_file.insert(f.file.name.clone(), f.file.size);
        } else {
            let resume = match (row.upload_url, row.started_at) {
                (Some(url), _) => Resume::Url(url),
                (None, Some(_)) => Resume::MaybeOnServer,
                (None, None) => Resume::New,
            };
            pending.push((f, resume));
        }
    }
    // The rate counts from here, with what is on the hub already as its start.
    {
        let mut p = shared.borrow_mut();
        let done = p.per_file.values().sum();
        p.meter = RateMeter::starting_with(std::time::Duration::from_secs(30), done);
        p.started = std::time::Instant::now();
    }
    let files_sent = pending.len();
    // Files are marked started in batches, one commit per batch, before their first byte
    // goes out; a restart asks the hub about those instead of sending them again.
    let started_upto = std::cell::Cell::new(0usize);
    let to_mark: Vec<&str> = pending.iter().filter(|(_, r)| *r == Resume::New).map(|(f, _)| f.file.name.as_str()).collect();
    let to_mark = &to_mark;
    let started_upto = &started_upto;
    // Several files in flight hide the hub's per-chunk fsync latency.
    let client = &client;
    let shared_ref = &shared;
    let endpoint_ref = &endpoint;
    let done_marks_cell = std::cell::RefCell::new(Vec::<String>::new());
    let done_marks = &done_marks_cell;
    let mut new_index = 0usize;
    let jobs: Vec<_> = pending
        .into_iter()
        .map(|(f, resume)| {
            let index = (resume == Resume::New).then(|| {
                new_index += 1;
                new_index - 1
            });
            (f, resume, index)
        })
        .collect();
    let sending_from = std::time::Instant::now();
    let results: Vec<Result<u64, UploadOpsError>> = futures_util::stream::iter(jobs.into_iter().map(|(sf, resume, index)| async move {
        let f = &sf.file;
        if let Some(i) = index {
            // From the frontier on, so no file is skipped whatever order futures start in.
            let from = started_upto.get();
            if i >= from {
                let end = (i + 1).max(from + START_BATCH).min(to_mark.len());
                let now = ctx.clock.now_rfc3339();
                let tx = conn.unchecked_transaction().map_err(store)?;
                for name in &to_mark[from..end] {
                    upload_store::upload_file_mark_started(&tx, exam_id, name, &now).map_err(store)?;
                }
                tx.commit().map_err(store)?;
                started_upto.set(end);
            }
        }
        let metadata = vec![
            ("exam_id".to_string(), exam_id.to_string()),
            ("ppe_code".to_string(), ppe_code.to_string()),
            ("file_name".to_string(), f.name.clone()),
            ("filename".to_string(), f.name.clone()),
            ("kind".to_string(), f.kind.clone()),
            ("sha256".to_string(), f.sha256.clone()),
        ];
        let mut events = FileEvents { conn, lazy_urls: lazy, exam: exam_id, name: &f.name, shared: shared_ref, clock: &ctx.clock };
        let outcome = client
            .upload(endpoint_ref, &sf.path, &metadata, resume, sha256_bytes(&f.sha256), &mut events)
            .await
            .map_err(|source| UploadOpsError::File { name: f.name.clone(), source })?;
        // Marks are batched: a mark lost to a crash costs one plain creation request on
        // restart (the hub answers with the same upload, complete), nothing more.
        done_marks.borrow_mut().push(f.name.clone());
        if done_marks.borrow().len() >= START_BATCH {
            flush_done_marks(conn, exam_id, &mut done_marks.borrow_mut(), &ctx.clock)?;
        }
        Ok(outcome.bytes_sent)
    }))
    .buffer_unordered(request.parallel.max(1))
    .collect()
    .await;
    let sending = sending_from.elapsed();
    flush_done_marks(conn, exam_id, &mut done_marks_cell.borrow_mut(), &ctx.clock)?;
    let mut bytes_sent = 0u64;
    for r in results {
        bytes_sent += r?;
    }
    Ok(SendReport { bytes_sent, files_sent, sending, rtt })
}

/// Files marked started per commit (and completion marks per commit).
const START_BATCH: usize = 64;

/// A manifest's hex SHA-256 as bytes (`None` if it is not one).
fn sha256_bytes(hex_digest: &str) -> Option<[u8; 32]> {
    hex::decode(hex_digest).ok()?.try_into().ok()
}

fn flush_done_marks(conn: &Connection, exam_id: &str, names: &mut Vec<String>, clock: &crate::clock::Clock) -> Result<(), UploadOpsError> {
    if names.is_empty() {
        return Ok(());
    }
    let now = clock.now_rfc3339();
    let tx = conn.unchecked_transaction().map_err(store)?;
    for n in names.drain(..) {
        upload_store::upload_file_complete(&tx, exam_id, &n, &now).map_err(store)?;
    }
    tx.commit().map_err(store)?;
    Ok(())
}

/// Keeps a verified receipt: a file under `state/receipts/` and its row, with the audit entry.
pub fn store_receipt(ctx: &EdgeContext, conn: &Connection, receipt: &Receipt) -> Result<(), UploadOpsError> {
    let json = serde_json::to_string_pretty(receipt).map_err(anyhow::Error::from)?;
    let dir = ctx.config.state_dir.join("receipts");
    std::fs::create_dir_all(&dir).map_err(anyhow::Error::from)?;
    let r = &receipt.receipt;
    crate::util::write_atomic(&dir.join(format!("{}-{}.json", r.exam_id, &r.manifest_sha256[..16.min(r.manifest_sha256.len())])), json.as_bytes())
        .map_err(anyhow::Error::from)?;
    crate::util::crash_point("upload.receipt_written");
    let now = ctx.clock.now_rfc3339();
    let tx = conn.unchecked_transaction().map_err(store)?;
    upload_store::receipt_insert(&tx, &r.exam_id, &r.manifest_sha256, &json, &now).map_err(store)?;
    crate::audit::store::append(
        &tx,
        &now,
        crate::audit::NewEntry {
            actor: "system",
            action: "upload.receipt_stored",
            object: &r.exam_id,
            details: serde_json::json!({"manifest_sha256": r.manifest_sha256, "received_at": r.received_at, "via": r.via}),
        },
    )
    .map_err(store)?;
    tx.commit().map_err(store)?;
    Ok(())
}

/// Writes the exam's signed bundle to removable media (`to/manifest.json`, `to/files/*`), for
/// an exam point without a network.
pub fn export_bundle(ctx: &EdgeContext, conn: &Connection, exam_id: &ExamId, to: &Path) -> Result<BoxBundle, UploadOpsError> {
    let bundle = box_bundle(ctx, conn, exam_id, false)?;
    bundle::export_to(&bundle.built, to)?;
    Ok(bundle)
}

/// The largest `receipt.json` read from media: a real one is about a kilobyte.
const RECEIPT_MAX_BYTES: u64 = 64 * 1024;

/// `ppe edge import-receipt DIR`: takes back the receipt `ppe hub import` wrote onto the media.
/// It must be signed by the hub key this box pins, name this exam point and an exam of its
/// plan, and acknowledge the bundle this box itself built (its own manifest under `state/`,
/// never the copy on the media); then it is kept exactly like a receipt that came by network
/// (so `edge wipe` of personal data may proceed). Nothing is stored when any check fails.
pub fn import_receipt(ctx: &EdgeContext, conn: &Connection, dir: &Path) -> Result<Receipt, UploadOpsError> {
    let path = dir.join("receipt.json");
    let refuse = |reason: String| UploadOpsError::ReceiptRefused(reason);
    let len = std::fs::metadata(&path).map_err(|e| refuse(format!("{}: {e}", path.display())))?.len();
    if len > RECEIPT_MAX_BYTES {
        return Err(refuse(format!("{}: {len} байт — это не квитанция РЦОИ", path.display())));
    }
    let bytes = std::fs::read(&path).map_err(|e| refuse(format!("{}: {e}", path.display())))?;
    let receipt: Receipt = serde_json::from_slice(&bytes).map_err(|e| refuse(format!("{}: не квитанция РЦОИ ({e})", path.display())))?;
    let r = &receipt.receipt;
    if r.ppe_code != ctx.config.ppe_code {
        return Err(refuse(format!("квитанция выдана ППЭ {}, а это ППЭ {}", r.ppe_code, ctx.config.ppe_code)));
    }
    if crate::plan::store::exam_get(conn, &r.exam_id).map_err(store)?.is_none() {
        return Err(refuse(format!("экзамена {} нет в плане этого ППЭ", r.exam_id)));
    }
    let own = bundle::bundle_dir(&ctx.config.state_dir, &r.exam_id);
    if !own.join("manifest.json").exists() {
        return Err(refuse(format!("пакет экзамена {} на этом ППЭ не собирался (ppe edge export)", r.exam_id)));
    }
    let built = BuiltBundle::read(&own)?;
    verify_receipt(&receipt, &ctx.config.hub.signing_public_key, &built.signed.manifest).map_err(UploadOpsError::BadReceipt)?;
    store_receipt(ctx, conn, &receipt)?;
    Ok(receipt)
}

/// `ppe hub import DIR`: a bundle carried on media, verified exactly like an upload; the
/// signed receipt is also written to `DIR/receipt.json` for the box to take back.
pub async fn hub_import(ctx: &HubContext, dir: &Path) -> Result<Receipt, UploadOpsError> {
    let state = std::sync::Arc::new(UploadServerState::from_context(ctx)?);
    let built = BuiltBundle::read(dir)?;
    let mut held_files = std::collections::BTreeMap::new();
    // A malformed manifest reads no file (finalize refuses it and records why).
    let files = if built.signed.manifest.check_shape().is_ok() { built.signed.manifest.files.as_slice() } else { &[] };
    for f in files {
        let p = dir.join("files").join(&f.name);
        if let Some((sha, len)) = super::server::store_blob_from_file(&state, &p, f.size).await.map_err(|e| UploadOpsError::Blob(e.to_string()))? {
            held_files.insert(f.name.clone(), (len, sha));
        }
    }
    let mut held = |f: &super::ManifestFile| held_files.get(&f.name).cloned();
    crate::util::crash_point("import.blobs_stored");
    match UploadCore::finalize_with(&state, &built.signed, None, "media", &mut held) {
        Ok(receipt) => {
            let bytes = serde_json::to_vec_pretty(&receipt).map_err(anyhow::Error::from)?;
            crate::util::crash_point("import.finalized");
            crate::util::write_atomic(&dir.join("receipt.json"), &bytes).map_err(anyhow::Error::from)?;
            Ok(receipt)
        }
        Err(CoreError::Refused(e)) => Err(UploadOpsError::ImportRefused(e)),
        Err(e) => Err(UploadOpsError::Import(e.to_string())),
    }
}

/// Builds (or reuses) the bundle of an exam and uploads it with the default settings until the
/// hub's signed receipt is held (the daemon's automatic upload and the UI's "send now");
/// returns the receipt's manifest hash.
pub async fn upload_once(ctx: &EdgeContext, exam_id: &ExamId) -> anyhow::Result<String> {
    let conn = ctx.db()?;
    let bundle = box_bundle(ctx, &conn, exam_id, false)?;
    let hub = HubClient::from_context(ctx)?;
    let request = UploadRequest::default();
    let receipt = upload_bundle(ctx, &conn, &bundle.built, &hub, &request, &|line| tracing::info!("{line}")).await?;
    Ok(receipt.receipt.manifest_sha256)
}
