//! What the box does by itself during the exam day, inside `ppe edge serve`: it takes in the
//! pages a network scanner drops into the inbox folder and the recordings and answer files of
//! the recordings inbox (`duties/recordings`), streams what it took in to the hub while the
//! scanner is still feeding (`upload::stream`), sends the bundle as soon as completeness holds,
//! and retries a failed upload with backoff until the receipt is held.
//!
//! Each pass reads the database afresh (the CLI and the UI change it too), so the daemon and
//! the commands never disagree. The decisions are pure functions of the numbers the pass read
//! (`upload_due`, `inbox_exam`, `file_is_settled`); the loop around them is the only I/O.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::day::BoxNumbers;
use crate::monitoring::Schedule;

use crate::context::EdgeContext;
use crate::upload::ops::upload_once;
use crate::upload::stream::ops::stream_once;

pub mod recordings;

/// How often the duties look at the inbox and at completeness (wall time).
pub const PASS_EVERY: Duration = Duration::from_secs(2);
/// A dropped file is taken only once its size and time have not changed for this long, so a
/// network scanner still writing it is never read half-way.
pub const SETTLE_FOR: Duration = Duration::from_secs(2);
/// First retry of a failed automatic upload; doubles up to `UPLOAD_BACKOFF_MAX`.
pub const UPLOAD_BACKOFF_MIN: Duration = Duration::from_secs(5);
pub const UPLOAD_BACKOFF_MAX: Duration = Duration::from_secs(300);
/// Inbox files taken in are moved here (inside the inbox) rather than deleted: nothing a
/// scanner produced is removed before the hub's receipt.
pub const TAKEN_DIR: &str = ".taken";

/// The upload starts by itself when all of this holds: attendance is closed (every planned
/// participant marked), something is expected (pages, or an oral/КЕГЭ exam's files), no page
/// and no recording or answer file is missing or waiting for a person, no receipt is held
/// yet, and no upload of this exam is running.
pub fn upload_due(n: &BoxNumbers, to_resolve: u64, running: bool) -> bool {
    let expected = n.pages.expected > 0 || n.files.expected > 0;
    let files_hold = n.files.missing == 0 && n.files.to_resolve == 0;
    n.attendance.closed && expected && n.pages.missing == 0 && files_hold && to_resolve == 0 && n.upload.receipt_id.is_none() && !running
}

/// Which exam a file dropped in the inbox's top level belongs to: the one exam of this box
/// whose writing or upload period (start to deadline) contains `now`; with none or several the
/// file waits (a sub-folder named after the exam is always unambiguous).
pub fn inbox_exam(schedules: &[(String, Schedule)], now: DateTime<Utc>) -> Option<&str> {
    let mut current = schedules.iter().filter(|(_, s)| now >= s.start && now <= s.deadline);
    let first = current.next()?;
    current.next().is_none().then_some(first.0.as_str())
}

/// A file is settled when it has kept its size and modification time for `SETTLE_FOR`.
pub fn file_is_settled(seen: Option<&(u64, std::time::SystemTime, Instant)>, size: u64, modified: std::time::SystemTime, now: Instant) -> bool {
    matches!(seen, Some((s, m, since)) if *s == size && *m == modified && now.duration_since(*since) >= SETTLE_FOR)
}

/// The daemon's view of its own duties, shared with the UI and the watchdog.
#[derive(Default)]
pub struct DutiesState {
    /// Exams whose upload runs now.
    uploading: Mutex<HashMap<String, UploadAttempt>>,
    /// Unix seconds (wall) of the last completed pass: the watchdog's liveness signal.
    last_pass: AtomicU64,
    stopping: AtomicBool,
    /// The streaming passes' hub client, kept while they succeed (its pooled connection
    /// spares each pass a TCP and TLS handshake over a slow link); dropped after a failure.
    stream_client: Mutex<Option<crate::hub_client::HubClient>>,
}

#[derive(Debug, Clone)]
struct UploadAttempt {
    running: bool,
    failures: u32,
    not_before: Instant,
    last_error: Option<String>,
}

impl DutiesState {
    /// True while the duties loop completed a pass within `max_age`.
    pub fn alive(&self, max_age: Duration) -> bool {
        let last = self.last_pass.load(Ordering::SeqCst);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        last > 0 && now.saturating_sub(last) <= max_age.as_secs()
    }

    /// The last automatic upload error of an exam, if the last attempt failed.
    pub fn upload_error(&self, exam_id: &str) -> Option<String> {
        self.uploading.lock().ok()?.get(exam_id).and_then(|a| a.last_error.clone())
    }

    pub fn upload_running(&self, exam_id: &str) -> bool {
        self.uploading.lock().map(|m| m.get(exam_id).is_some_and(|a| a.running)).unwrap_or(false)
    }

    fn mark_pass(&self) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        self.last_pass.store(now, Ordering::SeqCst);
    }
}

/// The exams of the day at this box (`day::exams_of_the_day`), with their schedules.
fn exams_of_the_day(ctx: &EdgeContext, now: DateTime<Utc>) -> anyhow::Result<Vec<(String, Schedule)>> {
    let conn = ctx.db()?;
    let plan = crate::plan::store::load_plan(&conn)?;
    Ok(crate::day::exams_of_the_day(&plan, &ctx.config.ppe_code, now).into_iter().map(|(e, s)| (e.exam_id, s)).collect())
}

/// Runs the duties until `state.stopping` is set (see [`stop`]).
pub async fn run(ctx: EdgeContext, state: Arc<DutiesState>) {
    let mut seen: HashMap<PathBuf, (u64, std::time::SystemTime, Instant)> = HashMap::new();
    while !state.stopping.load(Ordering::SeqCst) {
        let c = ctx.clone();
        let s = state.clone();
        let seen_now = std::mem::take(&mut seen);
        // The pass reads SQLite and files: off the async threads.
        match tokio::task::spawn_blocking(move || one_pass(&c, &s, seen_now)).await {
            Ok(Ok(next_seen)) => seen = next_seen,
            Ok(Err(e)) => tracing::warn!("box duties pass: {e:#}"),
            Err(e) => tracing::error!("box duties pass panicked: {e}"),
        }
        state.mark_pass();
        tokio::time::sleep(PASS_EVERY).await;
    }
}

pub fn stop(state: &DutiesState) {
    state.stopping.store(true, Ordering::SeqCst);
}

type Seen = HashMap<PathBuf, (u64, std::time::SystemTime, Instant)>;

fn one_pass(ctx: &EdgeContext, state: &Arc<DutiesState>, seen: Seen) -> anyhow::Result<Seen> {
    let now = ctx.clock.now();
    let exams = exams_of_the_day(ctx, now)?;
    let mut next_seen = Seen::new();
    if let Some(inbox) = ctx.config.scanner.inbox.clone() {
        next_seen = sweep_inbox(ctx, &inbox, &exams, now, &seen)?;
    }
    next_seen.extend(recordings::sweep(ctx, &exams, now, &seen)?);
    let conn = ctx.db()?;
    for (exam_id, schedule) in &exams {
        let numbers = crate::day::gather_box_numbers(&conn, exam_id, &ctx.config.ppe_code)?;
        let expected = crate::attendance::ops::expected_sheets(&conn, exam_id, &ctx.config.ppe_code)?;
        let to_resolve = crate::scanning::intake::completeness_now(&conn, exam_id, &expected)?.to_resolve;
        let receipt_held = numbers.upload.receipt_id.is_some();
        let pending = if receipt_held { 0 } else { crate::upload::stream::ops::pending_files(&conn, exam_id)?.len() };
        let mut attempts = state.uploading.lock().map_err(|_| anyhow::anyhow!("upload state poisoned"))?;
        let attempt =
            attempts.entry(exam_id.clone()).or_insert(UploadAttempt { running: false, failures: 0, not_before: Instant::now(), last_error: None });
        if Instant::now() < attempt.not_before || attempt.running {
            continue;
        }
        let job = if upload_due(&numbers, to_resolve, attempt.running) {
            Job::Bundle
        } else {
            // Pages (and recordings, answer files) go up while the scanner is still feeding.
            if !crate::upload::stream::stream_due(schedule.window_open, schedule.deadline, now, receipt_held, attempt.running, pending) {
                continue;
            }
            Job::Stream { pages_to_scan: numbers.pages.missing, deadline: schedule.deadline }
        };
        attempt.running = true;
        drop(attempts);
        start_upload(ctx.clone(), state.clone(), exam_id.clone(), job);
    }
    Ok(next_seen)
}

/// Takes in every settled image of the inbox: `inbox/<exam_id>/*` for that exam, `inbox/*`
/// for the exam of the moment. A taken file moves to `inbox/.taken/<exam_id>/`.
fn sweep_inbox(ctx: &EdgeContext, inbox: &Path, exams: &[(String, Schedule)], now: DateTime<Utc>, seen: &Seen) -> anyhow::Result<Seen> {
    let mut next = Seen::new();
    if !inbox.is_dir() {
        return Ok(next);
    }
    let batches = inbox_batches(inbox, exams, now);
    if batches.is_empty() {
        return Ok(next);
    }
    let conn = ctx.db()?;
    let key = crate::scanning::ops::box_sheet_key(ctx)?;
    let wall = Instant::now();
    for (exam_id, dir) in batches {
        let expected = crate::attendance::ops::expected_sheets(&conn, &exam_id, &ctx.config.ppe_code)?;
        let intake = crate::scanning::intake::Intake::for_box(ctx, &conn, &key, &exam_id, "inbox")
            .expecting((!expected.participants.is_empty()).then_some(&expected));
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && crate::scanning::intake::is_image_name(p) && !is_hidden(p))
            .collect();
        files.sort();
        let taken_dir = inbox.join(TAKEN_DIR).join(&exam_id);
        for f in files {
            let Ok(meta) = std::fs::metadata(&f) else { continue };
            if !settled_or_remembered(seen, &mut next, &f, &meta, wall) {
                continue;
            }
            let bytes = std::fs::read(&f)?;
            let name = f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let ext = f.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            match intake.ingest_page(&bytes, &name, &ext, 0) {
                Ok(_) => {
                    // Stored (with its hash, atomically) or held already: the inbox copy is
                    // no longer the only one.
                    std::fs::create_dir_all(&taken_dir)?;
                    std::fs::rename(&f, taken_dir.join(&name))?;
                }
                Err(e) => {
                    tracing::error!(exam = %exam_id, "inbox page not taken (it stays in the inbox): {e}");
                    return Ok(next);
                }
            }
        }
    }
    Ok(next)
}

/// The folders of an inbox to sweep, each with its exam: the top level for the exam of the
/// moment, `<inbox>/<exam_id>/` for each exam that has one (the scanner's and the recordings'
/// inboxes alike).
pub(crate) fn inbox_batches(inbox: &Path, exams: &[(String, Schedule)], now: DateTime<Utc>) -> Vec<(String, PathBuf)> {
    let mut batches: Vec<(String, PathBuf)> = Vec::new();
    if let Some(exam) = inbox_exam(exams, now) {
        batches.push((exam.to_string(), inbox.to_path_buf()));
    }
    batches.extend(exams.iter().map(|(id, _)| (id.clone(), inbox.join(id))).filter(|(_, d)| d.is_dir()));
    batches
}

/// Whether a dropped file is settled (and not empty); if not, it is remembered in `next` with
/// the time it was first seen this way, to be looked at again on the next pass.
fn settled_or_remembered(seen: &Seen, next: &mut Seen, f: &Path, meta: &std::fs::Metadata, wall: Instant) -> bool {
    let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
    if file_is_settled(seen.get(f), meta.len(), modified, wall) && meta.len() > 0 {
        return true;
    }
    let since = match seen.get(f) {
        Some((s, m, since)) if *s == meta.len() && *m == modified => *since,
        _ => wall,
    };
    next.insert(f.to_path_buf(), (meta.len(), modified, since));
    false
}

/// Dot files are a scanner's (or `write_atomic`'s) files still being written.
fn is_hidden(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// What an upload attempt sends.
#[derive(Debug, Clone, Copy)]
enum Job {
    /// The signed bundle, once completeness holds: what streaming sent is skipped.
    Bundle,
    /// One streaming pass over what intake has taken in so far.
    Stream { pages_to_scan: u64, deadline: DateTime<Utc> },
}

/// One automatic upload attempt on its own thread, driven by the daemon's runtime (the tus
/// client holds the box's SQLite connection across awaits, so its future stays on one thread).
/// Called from the duties pass on the blocking pool, where the runtime's handle is at hand.
fn start_upload(ctx: EdgeContext, state: Arc<DutiesState>, exam_id: String, job: Job) {
    let runtime = tokio::runtime::Handle::current();
    let spawned = std::thread::Builder::new().name(format!("upload-{exam_id}")).spawn({
        let state = state.clone();
        let exam_id = exam_id.clone();
        move || {
            let id = exam_id.as_str().into();
            let result = match job {
                Job::Bundle => {
                    tracing::info!(exam = %exam_id, "completeness holds: the upload starts by itself");
                    runtime.block_on(upload_once(&ctx, &id)).map(Some)
                }
                Job::Stream { pages_to_scan, deadline } => {
                    let cached = state.stream_client.lock().ok().and_then(|c| c.clone());
                    let client = match cached {
                        Some(c) => Ok(c),
                        None => crate::hub_client::HubClient::from_context(&ctx).map_err(anyhow::Error::from),
                    };
                    let result = client.and_then(|client| {
                        let passed = runtime.block_on(stream_once(&ctx, &client, &id, pages_to_scan, Some(deadline)));
                        if let Ok(mut kept) = state.stream_client.lock() {
                            *kept = passed.is_ok().then_some(client);
                        }
                        passed
                    });
                    result.map(|_| None)
                }
            };
            let mut attempts = match state.uploading.lock() {
                Ok(a) => a,
                Err(p) => p.into_inner(),
            };
            let attempt = attempts.entry(exam_id.clone()).or_insert(UploadAttempt {
                running: false,
                failures: 0,
                not_before: Instant::now(),
                last_error: None,
            });
            attempt.running = false;
            match result {
                Ok(None) => {
                    attempt.failures = 0;
                    attempt.last_error = None;
                }
                Ok(Some(manifest_sha256)) => {
                    tracing::info!(exam = %exam_id, receipt = %manifest_sha256, "automatic upload done: receipt held");
                    attempt.failures = 0;
                    attempt.last_error = None;
                }
                Err(e) => {
                    attempt.failures += 1;
                    let wait = backoff(attempt.failures);
                    attempt.not_before = Instant::now() + wait;
                    attempt.last_error = Some(format!("{e:#}"));
                    tracing::warn!(exam = %exam_id, failures = attempt.failures, retry_in_secs = wait.as_secs(), "automatic upload failed: {e:#}");
                }
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the upload thread: {e}");
        if let Ok(mut a) = state.uploading.lock() {
            if let Some(x) = a.get_mut(&exam_id) {
                x.running = false;
            }
        }
    }
}

/// Wait before the next attempt after `failures` failures in a row.
pub fn backoff(failures: u32) -> Duration {
    let factor = 1u32.checked_shl(failures.saturating_sub(1).min(16)).unwrap_or(u32::MAX);
    UPLOAD_BACKOFF_MIN.saturating_mul(factor).min(UPLOAD_BACKOFF_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::{AttendanceReport, PagesReport, UploadReport};

    fn ready() -> BoxNumbers {
        BoxNumbers {
            exam_id: "ege-02".into(),
            attendance: AttendanceReport { planned: 10, present: 9, absent: 1, removed: 0, early: 0, closed: true },
            pages: PagesReport { expected: 37, scanned: 37, missing: 0 },
            ..Default::default()
        }
    }

    #[test]
    fn upload_waits_for_closed_attendance_full_pages_and_no_receipt() {
        assert!(upload_due(&ready(), 0, false));
        assert!(!upload_due(&ready(), 0, true), "one upload at a time");
        assert!(!upload_due(&ready(), 1, false), "a page waits for a person");
        let mut n = ready();
        n.attendance.closed = false;
        assert!(!upload_due(&n, 0, false), "attendance still open: an unmarked participant may still need sheets");
        let mut n = ready();
        n.pages.missing = 1;
        assert!(!upload_due(&n, 0, false), "a page is missing");
        let mut n = ready();
        n.pages.expected = 0;
        assert!(!upload_due(&n, 0, false), "nothing expected is not complete");
        let mut n = ready();
        n.upload = UploadReport { receipt_id: Some("r".into()), ..Default::default() };
        assert!(!upload_due(&n, 0, false), "the receipt is held already");
    }

    #[test]
    fn an_oral_exam_uploads_only_once_every_recording_is_good() {
        use crate::monitoring::FilesReport;
        let files = |expected, taken, missing, to_resolve| FilesReport { kind: "recording".into(), expected, taken, missing, to_resolve };
        let mut n = ready();
        n.files = files(9, 9, 0, 0);
        assert!(upload_due(&n, 0, false));
        n.files = files(9, 8, 1, 0);
        assert!(!upload_due(&n, 0, false), "a participant's recording is missing");
        n.files = files(9, 8, 1, 1);
        assert!(!upload_due(&n, 0, false), "a silent recording waits for a person");
        n.files = files(9, 9, 0, 1);
        assert!(!upload_due(&n, 0, false), "an unmatched file waits for a person");
        let mut interview = ready();
        interview.pages.expected = 0;
        interview.files = files(4, 4, 0, 0);
        assert!(upload_due(&interview, 0, false), "an exam with recordings and no scanned pages goes when its recordings are complete");
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_top_level_inbox_file_goes_to_the_one_exam_of_the_moment() {
        let a = Schedule {
            window_open: t("2027-05-27T02:00:00Z"),
            start: t("2027-05-27T03:00:00Z"),
            end: t("2027-05-27T07:00:00Z"),
            deadline: t("2027-05-27T08:00:00Z"),
        };
        let b = Schedule {
            window_open: t("2027-05-28T02:00:00Z"),
            start: t("2027-05-28T03:00:00Z"),
            end: t("2027-05-28T07:00:00Z"),
            deadline: t("2027-05-28T08:00:00Z"),
        };
        let exams = vec![("ege-02".to_string(), a), ("oge-01".to_string(), b)];
        assert_eq!(inbox_exam(&exams, t("2027-05-27T05:00:00Z")), Some("ege-02"));
        assert_eq!(inbox_exam(&exams, t("2027-05-28T07:59:00Z")), Some("oge-01"));
        assert_eq!(inbox_exam(&exams, t("2027-05-27T02:30:00Z")), None, "before the start nothing is scanned");
        let overlapping = vec![exams[0].clone(), ("ege-03".to_string(), a)];
        assert_eq!(inbox_exam(&overlapping, t("2027-05-27T05:00:00Z")), None, "two exams at once: only sub-folders are unambiguous");
    }

    #[test]
    fn a_file_still_being_written_is_not_taken() {
        let m = std::time::UNIX_EPOCH + Duration::from_secs(1000);
        let start = Instant::now();
        let later = start + SETTLE_FOR;
        assert!(!file_is_settled(None, 10, m, later), "first sight");
        assert!(!file_is_settled(Some(&(10, m, start)), 11, m, later), "grew");
        assert!(!file_is_settled(Some(&(10, m, start)), 10, m + Duration::from_secs(1), later), "touched");
        assert!(!file_is_settled(Some(&(10, m, start)), 10, m, start + Duration::from_millis(500)), "not long enough");
        assert!(file_is_settled(Some(&(10, m, start)), 10, m, later));
    }

    #[test]
    fn backoff_doubles_to_a_ceiling() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(10), UPLOAD_BACKOFF_MAX);
        assert_eq!(backoff(u32::MAX), UPLOAD_BACKOFF_MAX);
    }
}
