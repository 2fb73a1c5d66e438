//! `ppe edge upload`, `ppe edge export`, `ppe hub import`: the upload's command-line glue.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;

use super::bundle::{self, BuiltBundle};
use super::server::{UploadCore, UploadServerState};
use super::store as upload_store;
use futures_util::StreamExt;

use super::tus_client::{ChecksumMode, Resume, ServerFeatures, TusClient, TusClientOptions, TusEvents};
use super::{verify_receipt, RateMeter, Receipt};
use crate::context::EdgeContext;
use crate::context::HubContext;
use crate::store::Connection;

#[derive(Args, Debug)]
pub struct UploadArgs {
    #[arg(long)]
    pub exam: String,
    /// Build the bundle again even if the scanned pages did not change.
    #[arg(long)]
    pub rebuild: bool,
    /// Bytes per PATCH.
    #[arg(long, default_value_t = 4 << 20)]
    pub chunk_size: usize,
    /// Upload deadline (RFC 3339) for the estimate and the alarm.
    #[arg(long)]
    pub deadline: Option<String>,
    /// Failed attempts in a row before giving up.
    #[arg(long, default_value_t = 30)]
    pub max_failures: u32,
    /// Files in flight at once.
    #[arg(long, default_value_t = 8)]
    pub parallel: usize,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[arg(long)]
    pub exam: String,
    /// Folder on removable media.
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A folder written by `ppe edge export`.
    pub dir: PathBuf,
}

pub fn box_bundle(ctx: &EdgeContext, conn: &Connection, exam: &str, rebuild: bool) -> anyhow::Result<BuiltBundle> {
    let key = crate::keys::load_ed25519(&ctx.config.keys.signing_key_file)?;
    let expected = crate::scanning::ops::load_expected(ctx, exam, None)?;
    if let Some(exp) = &expected {
        let c = crate::scanning::intake::completeness_now(conn, exam, exp)?;
        if !c.holds() {
            // A person chose to send now; the record carries what is missing.
            eprintln!("комплектность не полная, пакет уходит как есть:");
            for line in c.lines_ru() {
                eprintln!("  {line}");
            }
        }
    }
    bundle::build_or_reuse(conn, &ctx.clock, &ctx.config.state_dir, exam, &ctx.config.ppe_code, &key, expected.as_ref(), rebuild)
}

/// A client for the hub: pinned CA and the box's client certificate over HTTPS; plain HTTP
/// only when the configured URL says so (tests, loopback).
pub fn hub_http_client(ctx: &EdgeContext) -> anyhow::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::Client::builder().connect_timeout(std::time::Duration::from_secs(10)).read_timeout(std::time::Duration::from_secs(60));
    if ctx.config.hub.url.starts_with("https://") {
        let ca = std::fs::read(&ctx.config.hub.ca_file).with_context(|| format!("read hub CA {}", ctx.config.hub.ca_file.display()))?;
        b = b.tls_certs_only([reqwest::Certificate::from_pem(&ca).context("hub CA is not PEM")?]);
        let mut pem = std::fs::read(&ctx.config.keys.tls_cert_file).with_context(|| format!("read {}", ctx.config.keys.tls_cert_file.display()))?;
        pem.extend(std::fs::read(&ctx.config.keys.tls_key_file).with_context(|| format!("read {}", ctx.config.keys.tls_key_file.display()))?);
        b = b.identity(reqwest::Identity::from_pem(&pem).context("client certificate/key")?);
    }
    Ok(b.build()?)
}

/// Progress shared by the files in flight (one thread: the futures run on one task).
struct SharedProgress {
    per_file: std::collections::HashMap<String, u64>,
    meter: RateMeter,
    started: std::time::Instant,
    total: u64,
    deadline: Option<chrono::DateTime<chrono::Utc>>,
    last_print: std::time::Instant,
    /// The deadline alarm is stored once per run.
    alarm_raised: bool,
}

struct FileEvents<'a> {
    conn: &'a Connection,
    lazy_urls: bool,
    exam: &'a str,
    name: &'a str,
    shared: &'a std::cell::RefCell<SharedProgress>,
    clock: &'a crate::clock::Clock,
}

impl TusEvents for FileEvents<'_> {
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
            eprintln!("выгрузка: {} из {} байт, {:.1} МБ/с, осталось ~{eta}{alarm}", e.bytes_done, e.bytes_total, e.bytes_per_second / 1e6);
        }
    }
    fn retrying(&mut self, reason: &str) {
        tracing::warn!(file = self.name, "upload retry: {reason}");
    }
}

/// `ppe edge upload --exam ID`: exits 0 only with a verified receipt.
pub fn edge_upload(config: &Path, args: UploadArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let conn = ctx.db()?;
    let built = box_bundle(&ctx, &conn, &args.exam, args.rebuild)?;
    let http = hub_http_client(&ctx)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let receipt = rt.block_on(upload_bundle(&ctx, &conn, &built, http, &args))?;
    println!(
        "квитанция РЦОИ получена: экзамен {}, ППЭ {}, файлов {}, байт {}, принято {} (опись {})",
        receipt.receipt.exam_id,
        receipt.receipt.ppe_code,
        receipt.receipt.file_count,
        receipt.receipt.total_bytes,
        receipt.receipt.received_at,
        receipt.receipt.manifest_sha256
    );
    Ok(())
}

/// Uploads every file not yet done, then finalizes; stores and returns the verified receipt.
pub async fn upload_bundle(
    ctx: &EdgeContext,
    conn: &Connection,
    built: &BuiltBundle,
    http: reqwest::Client,
    args: &UploadArgs,
) -> anyhow::Result<Receipt> {
    let m = &built.signed.manifest;
    let base = ctx.config.hub.url.trim_end_matches('/');
    let endpoint = reqwest::Url::parse(&format!("{base}/v1/uploads")).with_context(|| format!("hub url {base}"))?;
    let deadline = match args.deadline.as_deref() {
        Some(text) => Some(crate::clock::parse_now(text).map_err(|e| anyhow::anyhow!("--deadline: {e}"))?),
        // From the plan: the planned end plus the exam kind's upload window. Participants
        // with extra time may move the real deadline later; the earlier one alarms sooner.
        None => crate::plan::store::exam_get(conn, &m.exam_id).ok().flatten().and_then(|e| Some(e.upload_deadline(e.end_utc()?))),
    };
    if let Some(d) = deadline {
        let left = (d - ctx.clock.now()).num_minutes();
        eprintln!("срок выгрузки {}: осталось {left} мин", d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    // Asked once per run, not per file. If the hub cannot be asked now, assume it is ours
    // (checksums and creation-with-upload); the first request will tell.
    let probe = TusClient::new(http.clone(), TusClientOptions::default());
    let offered =
        probe.server_features(&endpoint).await.unwrap_or(ServerFeatures { sha256: true, creation_with_upload: true, idempotent_creation: true });
    // A page goes up with its creation request, and its URL is kept lazily, only where the hub
    // finds a lost upload again by its content; elsewhere the URL is kept before any byte.
    let lazy = offered.creation_with_upload && offered.idempotent_creation;
    let client = TusClient::new(
        http.clone(),
        TusClientOptions {
            chunk_size: args.chunk_size.max(1),
            max_failures: args.max_failures,
            checksum: if offered.sha256 { ChecksumMode::Always } else { ChecksumMode::Never },
            creation_with_upload: Some(lazy),
            ..Default::default()
        },
    );
    let total = m.total_bytes();
    let shared = std::cell::RefCell::new(SharedProgress {
        per_file: Default::default(),
        meter: RateMeter::new(std::time::Duration::from_secs(30)),
        started: std::time::Instant::now(),
        total,
        deadline,
        // The first acknowledged chunk already reports (and can raise the alarm).
        last_print: std::time::Instant::now().checked_sub(std::time::Duration::from_secs(2)).unwrap_or_else(std::time::Instant::now),
        alarm_raised: false,
    });
    let mut pending = Vec::new();
    let tx = conn.unchecked_transaction()?;
    for f in &m.files {
        upload_store::upload_file_ensure(&tx, &m.exam_id, &f.name, &f.sha256, f.size)?;
    }
    tx.commit()?;
    for f in &m.files {
        let row = upload_store::upload_file_get(conn, &m.exam_id, &f.name)?.context("upload row vanished")?;
        if row.completed_at.is_some() {
            shared.borrow_mut().per_file.insert(f.name.clone(), f.size);
        } else {
            let resume = match (row.upload_url, row.started_at) {
                (Some(url), _) => Resume::Url(url),
                (None, Some(_)) => Resume::MaybeOnServer,
                (None, None) => Resume::New,
            };
            pending.push((f, resume));
        }
    }
    // Files are marked started in batches, one commit per batch, before their first byte
    // goes out; a restart asks the hub about those instead of sending them again.
    let started_upto = std::cell::Cell::new(0usize);
    let to_mark: Vec<&str> = pending.iter().filter(|(_, r)| *r == Resume::New).map(|(f, _)| f.name.as_str()).collect();
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
    let results: Vec<anyhow::Result<u64>> = futures_util::stream::iter(jobs.into_iter().map(|(f, resume, index)| async move {
        if let Some(i) = index {
            // From the frontier on, so no file is skipped whatever order futures start in.
            let from = started_upto.get();
            if i >= from {
                let end = (i + 1).max(from + START_BATCH).min(to_mark.len());
                let now = ctx.clock.now_rfc3339();
                let tx = conn.unchecked_transaction()?;
                for name in &to_mark[from..end] {
                    upload_store::upload_file_mark_started(&tx, &m.exam_id, name, &now)?;
                }
                tx.commit()?;
                started_upto.set(end);
            }
        }
        let metadata = vec![
            ("exam_id".to_string(), m.exam_id.clone()),
            ("ppe_code".to_string(), m.ppe_code.clone()),
            ("file_name".to_string(), f.name.clone()),
            ("filename".to_string(), f.name.clone()),
            ("kind".to_string(), f.kind.clone()),
            ("sha256".to_string(), f.sha256.clone()),
        ];
        let mut events = FileEvents { conn, lazy_urls: lazy, exam: &m.exam_id, name: &f.name, shared: shared_ref, clock: &ctx.clock };
        let outcome = client
            .upload(endpoint_ref, &built.file_path(&f.name), &metadata, resume, sha256_bytes(&f.sha256), &mut events)
            .await
            .with_context(|| format!("upload of {}", f.name))?;
        // Marks are batched: a mark lost to a crash costs one plain creation request on
        // restart (the hub answers with the same upload, complete), nothing more.
        done_marks.borrow_mut().push(f.name.clone());
        if done_marks.borrow().len() >= START_BATCH {
            flush_done_marks(conn, &m.exam_id, &mut done_marks.borrow_mut(), &ctx.clock)?;
        }
        Ok(outcome.bytes_sent)
    }))
    .buffer_unordered(args.parallel.max(1))
    .collect()
    .await;
    flush_done_marks(conn, &m.exam_id, &mut done_marks_cell.borrow_mut(), &ctx.clock)?;
    let mut sent = 0u64;
    for r in results {
        sent += r?;
    }
    tracing::info!(bytes_sent = sent, bytes_total = total, "all files are on the hub");
    let resp = http.post(format!("{base}/v1/uploads/bundles")).json(&built.signed).send().await.context("send the signed manifest to the hub")?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let why = v.get("message_ru").or_else(|| v.get("message")).and_then(|x| x.as_str()).unwrap_or(body.as_str()).to_string();
        bail!("РЦОИ отказал в приёме пакета (HTTP {status}): {why}");
    }
    let receipt: Receipt = serde_json::from_str(&body).context("the hub's answer is not a receipt")?;
    verify_receipt(&receipt, &ctx.config.hub.signing_public_key, m).map_err(|e| anyhow::anyhow!("{}", e.message_ru()))?;
    store_receipt(ctx, conn, &receipt)?;
    Ok(receipt)
}

/// Files marked started per commit (and completion marks per commit).
const START_BATCH: usize = 64;

/// A manifest's hex SHA-256 as bytes (`None` if it is not one).
fn sha256_bytes(hex_digest: &str) -> Option<[u8; 32]> {
    hex::decode(hex_digest).ok()?.try_into().ok()
}

fn flush_done_marks(conn: &Connection, exam_id: &str, names: &mut Vec<String>, clock: &crate::clock::Clock) -> anyhow::Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let now = clock.now_rfc3339();
    let tx = conn.unchecked_transaction()?;
    for n in names.drain(..) {
        upload_store::upload_file_complete(&tx, exam_id, &n, &now)?;
    }
    tx.commit()?;
    Ok(())
}

fn store_receipt(ctx: &EdgeContext, conn: &Connection, receipt: &Receipt) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(receipt)?;
    let dir = ctx.config.state_dir.join("receipts");
    std::fs::create_dir_all(&dir)?;
    let r = &receipt.receipt;
    crate::util::write_atomic(&dir.join(format!("{}-{}.json", r.exam_id, &r.manifest_sha256[..16.min(r.manifest_sha256.len())])), json.as_bytes())?;
    let now = ctx.clock.now_rfc3339();
    let tx = conn.unchecked_transaction()?;
    upload_store::receipt_insert(&tx, &r.exam_id, &r.manifest_sha256, &json, &now)?;
    crate::audit::store::append(
        &tx,
        &now,
        crate::audit::NewEntry {
            actor: "system",
            action: "upload.receipt_stored",
            object: &r.exam_id,
            details: serde_json::json!({"manifest_sha256": r.manifest_sha256, "received_at": r.received_at, "via": r.via}),
        },
    )?;
    tx.commit()?;
    Ok(())
}

/// `ppe edge export --exam ID --to DIR`.
pub fn edge_export(config: &Path, args: ExportArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let conn = ctx.db()?;
    let built = box_bundle(&ctx, &conn, &args.exam, false)?;
    bundle::export_to(&built, &args.to)?;
    println!(
        "пакет экзамена {} записан в {}: файлов {}, байт {}; отвезите носитель в РЦОИ (ppe hub import)",
        args.exam,
        args.to.display(),
        built.signed.manifest.files.len(),
        built.signed.manifest.total_bytes()
    );
    Ok(())
}

/// The hub's upload state from its config.
pub fn hub_upload_state(ctx: &HubContext) -> anyhow::Result<UploadServerState> {
    let key = crate::keys::load_ed25519(&ctx.config.signing_key_file)?;
    Ok(UploadServerState::new(ctx.db()?.detach(), ctx.config.state_dir.join("uploads"), ctx.clock.clone(), key)?)
}

/// `ppe hub import DIR`: verifies exactly like an upload and writes `DIR/receipt.json`.
pub fn hub_import(config: &Path, args: ImportArgs) -> anyhow::Result<()> {
    let ctx = HubContext::open(config)?;
    let state = Arc::new(hub_upload_state(&ctx)?);
    let built = BuiltBundle::read(&args.dir)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut held_files = std::collections::BTreeMap::new();
    for f in &built.signed.manifest.files {
        if !crate::upload::is_safe_file_name(&f.name) {
            continue;
        }
        let p = args.dir.join("files").join(&f.name);
        if let Ok(meta) = std::fs::metadata(&p) {
            let sha = rt.block_on(super::server::store_blob_from_file(&state, &p)).map_err(|e| anyhow::anyhow!("{e}"))?;
            held_files.insert(f.name.clone(), (meta.len(), sha));
        }
    }
    let mut held = |f: &super::ManifestFile| held_files.get(&f.name).cloned();
    match UploadCore::finalize_with(&state, &built.signed, None, "media", &mut held) {
        Ok(receipt) => {
            let out = args.dir.join("receipt.json");
            crate::util::write_atomic(&out, &serde_json::to_vec_pretty(&receipt)?)?;
            println!("пакет принят: экзамен {}, ППЭ {}; квитанция {}", receipt.receipt.exam_id, receipt.receipt.ppe_code, out.display());
            Ok(())
        }
        Err(super::server::CoreError::Refused(e)) => {
            bail!("пакет не принят: {} [{}]", e.message_ru(), e.code())
        }
        Err(e) => bail!("пакет не принят: {e}"),
    }
}
