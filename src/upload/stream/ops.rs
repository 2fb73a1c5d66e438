//! The streaming upload's use cases: one pass sends what intake has taken in and the hub does
//! not hold yet (pages, pages waiting for a person, recordings, answer files), in the sending
//! order, tuned to the link measured by the passes before; the link's measurement is kept for
//! the next pass and for the estimate; the overlap estimate and its deadline alarm. The files
//! go up under the names the bundle will give them, recorded in `upload_file`, so the bundle
//! upload at the end sends only the day's record and the manifest.

use chrono::{DateTime, Utc};

use super::{overlap_eta, overlap_misses_deadline, overlap_text_ru, scanner_pace, sending_order, tune, LinkMeasure, OverlapEta, OverlapFacts};
use crate::context::EdgeContext;
use crate::hub_client::HubClient;
use crate::model::ExamId;
use crate::scanning::store as scan_store;
use crate::store::{Connection, StoreError};
use crate::upload::bundle::{content_files, ContentFile};
use crate::upload::ops::{send_files, SendFile, UploadOpsError, UploadRequest};
use crate::upload::store as upload_store;

fn store(e: impl Into<StoreError>) -> UploadOpsError {
    UploadOpsError::Store(e.into())
}

/// Pages whose times the scanner's pace is measured over.
const PACE_WINDOW: usize = 40;

/// What one streaming pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamPass {
    pub files_sent: usize,
    pub bytes_sent: u64,
}

/// The exam's content files the hub has not acknowledged yet, in the sending order.
pub fn pending_files(conn: &Connection, exam_id: &str) -> Result<Vec<ContentFile>, UploadOpsError> {
    let done = upload_store::upload_files_completed(conn, exam_id).map_err(store)?;
    let mut pending: Vec<ContentFile> = content_files(conn, exam_id)?.into_iter().filter(|f| !done.contains(&f.name)).collect();
    sending_order(&mut pending);
    Ok(pending)
}

/// The link as the passes before measured it: bytes over the time spent sending them.
pub fn link_measure(conn: &Connection, exam_id: &str) -> Result<Option<LinkMeasure>, UploadOpsError> {
    let Some((bytes, ms, rtt_ms)) = upload_store::upload_link_get(conn, exam_id).map_err(store)? else { return Ok(None) };
    Ok((bytes > 0 && ms > 0)
        .then(|| LinkMeasure { bytes_per_second: bytes as f64 * 1000.0 / ms as f64, rtt: std::time::Duration::from_millis(rtt_ms) }))
}

/// Sends every pending content file of the exam (see [`pending_files`]) and adds what it took
/// to the link measurement. Times are the box's clock (the simulated one in the demo), so the
/// rate and the deadline it is judged against agree.
pub async fn stream_pass(ctx: &EdgeContext, conn: &Connection, hub: &HubClient, exam_id: &ExamId) -> Result<StreamPass, UploadOpsError> {
    let pending = pending_files(conn, exam_id.as_str())?;
    if pending.is_empty() {
        return Ok(StreamPass::default());
    }
    let mean = pending.iter().map(|f| f.size).sum::<u64>() / pending.len() as u64;
    let tuning = tune(link_measure(conn, exam_id.as_str())?, mean);
    let request = UploadRequest { chunk_size: tuning.chunk_size, parallel: tuning.parallel, deadline: None, ..Default::default() };
    let files: Vec<SendFile> = pending.iter().map(|f| SendFile { file: f.manifest_file(), path: f.path.clone() }).collect();
    let from = ctx.clock.now();
    let sent =
        send_files(ctx, conn, hub, exam_id.as_str(), &ctx.config.ppe_code, &files, None, &request, &|line: &str| tracing::debug!("{line}")).await?;
    let sending_ms = (ctx.clock.now() - from).num_milliseconds().max(1) as u64;
    if sent.bytes_sent > 0 {
        let rtt_ms = sent.rtt.map(|d| d.as_millis() as u64).unwrap_or(0);
        upload_store::upload_link_record(conn, exam_id.as_str(), sent.bytes_sent, sending_ms, rtt_ms, &ctx.clock.now_rfc3339()).map_err(store)?;
    }
    tracing::info!(exam = %exam_id, files = sent.files_sent, bytes = sent.bytes_sent, parallel = tuning.parallel, chunk = tuning.chunk_size, "streamed to the hub");
    Ok(StreamPass { files_sent: sent.files_sent, bytes_sent: sent.bytes_sent })
}

/// The daemon's pass: its own connection, the daemon's hub client (kept between passes, so its
/// connection to the hub stays open and a pass costs no new handshake); then the overlap
/// estimate against the deadline, raising the box's alarm when it would be missed
/// (`pages_to_scan`: expected pages not yet taken in).
pub async fn stream_once(
    ctx: &EdgeContext,
    hub: &HubClient,
    exam_id: &ExamId,
    pages_to_scan: u64,
    deadline: Option<DateTime<Utc>>,
) -> anyhow::Result<StreamPass> {
    let conn = ctx.db()?;
    let pass = stream_pass(ctx, &conn, hub, exam_id).await?;
    if let (Some(deadline), Some(eta)) = (deadline, overlap_now(&conn, exam_id.as_str(), pages_to_scan)?) {
        raise_alarm_if_late(ctx, &conn, exam_id.as_str(), &eta, deadline)?;
    }
    Ok(pass)
}

/// What the upload knows for the overlap estimate, given the expected pages not yet taken in.
pub fn overlap_facts(conn: &Connection, exam_id: &str, pages_to_scan: u64) -> Result<OverlapFacts, UploadOpsError> {
    let pages = scan_store::pages_for_exam(conn, exam_id).map_err(store)?;
    let times: Vec<DateTime<Utc>> =
        pages.iter().filter_map(|p| DateTime::parse_from_rfc3339(&p.scanned_at).ok()).map(|t| t.with_timezone(&Utc)).collect();
    let mean_page_bytes = if pages.is_empty() { 0.0 } else { pages.iter().map(|p| p.size).sum::<u64>() as f64 / pages.len() as f64 };
    let bytes_unsent = pending_files(conn, exam_id)?.iter().map(|f| f.size).sum();
    Ok(OverlapFacts {
        pages_to_scan,
        pages_per_second: scanner_pace(&times, PACE_WINDOW),
        bytes_unsent,
        mean_page_bytes,
        link_bytes_per_second: link_measure(conn, exam_id)?.map(|l| l.bytes_per_second),
    })
}

/// The overlap estimate now (see [`overlap_eta`]); `None` while a rate is unmeasured.
pub fn overlap_now(conn: &Connection, exam_id: &str, pages_to_scan: u64) -> Result<Option<OverlapEta>, UploadOpsError> {
    Ok(overlap_eta(&overlap_facts(conn, exam_id, pages_to_scan)?))
}

/// Keeps the deadline alarm in the box's alarm list (shown on every page, carried by the
/// heartbeat) when the overlap estimate passes the deadline; once per exam.
fn raise_alarm_if_late(ctx: &EdgeContext, conn: &Connection, exam_id: &str, eta: &OverlapEta, deadline: DateTime<Utc>) -> Result<(), UploadOpsError> {
    let now = ctx.clock.now();
    if !overlap_misses_deadline(eta, now, deadline) {
        return Ok(());
    }
    let message = format!("выгрузка не успевает к сроку: до срока {} мин, а {}", (deadline - now).num_minutes(), overlap_text_ru(eta));
    let tx = conn.unchecked_transaction().map_err(store)?;
    if crate::materials::store::alarm_raise(&tx, exam_id, "upload_deadline_at_risk", &message, &ctx.clock.now_rfc3339()).map_err(store)? {
        tracing::warn!(exam = exam_id, "{message}");
    }
    tx.commit().map_err(store)?;
    Ok(())
}
