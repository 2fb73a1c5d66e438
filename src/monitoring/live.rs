//! The hub's live view of every exam point: heartbeats are judged and applied in memory (the
//! dashboard, JSON and metrics read from there, never from SQL on the request path), persisted
//! in batches by one writer thread, and a ticker turns changes into compact server-sent events.
//!
//! Invariants: a heartbeat is acknowledged only after it is applied in memory and queued for
//! the writer; the writer commits at least every [`WRITER_BATCH_MS`] ms, so a crash loses at
//! most that slice (the boxes re-send their whole state every interval anyway). The hub's
//! upload records, not the boxes' claims, decide "received" and "verified" (see
//! [`UploadRecords`]).

mod rows;
mod ticker;
mod writer;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::store::{self as mstore, Assignment, HeartbeatWrite, HistoryRow};
use ticker::TickerState;
use writer::{writer_loop, WriterMsg};
use super::{clock_offset_ms, made_progress, time_text, Arrived, HeartbeatReport, HubUploadFacts, MonitoringError, PointRow, ProgressSample, StatusRules, Summary, UploadTruth};
use crate::clock::Clock;
use crate::context::BoxIdentity;
use crate::model::{Exam, ExamPoint};
use crate::store::Connection;

/// The writer commits a batch at least this often.
pub const WRITER_BATCH_MS: u64 = 100;
/// Samples kept in memory per point for the rate (15 min at the default 10 s interval).
const SAMPLES_KEPT: usize = 90;
/// Change messages kept for slow dashboards (one per second of changes).
const EVENTS_KEPT: usize = 16;
/// The hub re-reads the plan this often (an import by `ppe hub import-plan` shows up).
const PLAN_REFRESH_SECS: u64 = 30;
/// The hub re-reads its own upload and key records this often.
const FACTS_REFRESH_SECS: u64 = 2;

/// Where the dashboard takes "received" and "verified" from. The hub's own records are the
/// truth; [`BoxReportsOnly`] exists for a hub without upload records (and for tests that
/// simulate boxes without uploading).
pub trait UploadRecords: Send + Sync + 'static {
    fn truth(&self) -> UploadTruth;
    fn facts_for_exam(&self, conn: &Connection, exam_id: &str) -> Result<HashMap<String, HubUploadFacts>, String>;
}

/// The hub's tus uploads and accepted bundles (`upload` domain tables).
pub struct HubUploadStore;

impl UploadRecords for HubUploadStore {
    fn truth(&self) -> UploadTruth {
        UploadTruth::HubRecords
    }
    fn facts_for_exam(&self, conn: &Connection, exam_id: &str) -> Result<HashMap<String, HubUploadFacts>, String> {
        mstore::hub_upload_facts_for_exam(conn, exam_id).map_err(|e| e.to_string())
    }
}

/// Believes what the boxes report.
pub struct BoxReportsOnly;

impl UploadRecords for BoxReportsOnly {
    fn truth(&self) -> UploadTruth {
        UploadTruth::BoxReports
    }
    fn facts_for_exam(&self, _: &Connection, _: &str) -> Result<HashMap<String, HubUploadFacts>, String> {
        Ok(HashMap::new())
    }
}

type PointKey = (String, String);

/// What the hub holds in memory for one (exam, point).
#[derive(Debug, Clone)]
struct PointLive {
    latest: Arrived,
    clock_offset_ms: i64,
    last_progress_at: DateTime<Utc>,
    stage_since: DateTime<Utc>,
    samples: VecDeque<ProgressSample>,
    reports_received: u64,
}

/// The plan as monitoring sees it.
#[derive(Debug, Default)]
struct PlanView {
    exams: BTreeMap<String, Exam>,
    points: HashMap<String, ExamPoint>,
    by_exam: BTreeMap<String, Vec<Assignment>>,
    assigned: HashSet<PointKey>,
}

impl PlanView {
    fn from_slice(s: mstore::PlanSlice) -> Self {
        let mut v = PlanView { exams: s.exams.into_iter().map(|e| (e.exam_id.clone(), e)).collect(), points: s.points.into_iter().map(|p| (p.ppe_code.clone(), p)).collect(), ..Default::default() };
        for a in s.assignments {
            v.assigned.insert((a.exam_id.clone(), a.ppe_code.clone()));
            v.by_exam.entry(a.exam_id.clone()).or_default().push(a);
        }
        v
    }
}

#[derive(Debug, Default)]
struct ExamFacts {
    uploads: HashMap<String, HubUploadFacts>,
    materials: HashMap<String, (Option<u64>, bool)>,
}


/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    pub reports_accepted: AtomicU64,
    pub reports_persisted: AtomicU64,
    pub write_batches: AtomicU64,
    pub write_errors: AtomicU64,
    pub events_sent: AtomicU64,
    refused: [AtomicU64; 6],
    /// What the hub's listener saw of box requests (latency, upload bytes, key releases).
    pub requests: super::metrics::RequestMetrics,
}

const REFUSAL_CODES: [&str; 6] = ["no_certificate", "wrong_exam_point", "malformed", "unknown_exam", "not_assigned", "store"];

impl Counters {
    pub fn refuse(&self, e: &MonitoringError) {
        if let Some(i) = REFUSAL_CODES.iter().position(|c| *c == e.code()) {
            self.refused[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn refused(&self) -> Vec<(&'static str, u64)> {
        REFUSAL_CODES.iter().zip(&self.refused).map(|(c, n)| (*c, n.load(Ordering::Relaxed))).collect()
    }
}

struct Shared {
    rules: StatusRules,
    uploads: Arc<dyn UploadRecords>,
    db_path: PathBuf,
    reader: Mutex<Connection>,
    points: RwLock<HashMap<PointKey, PointLive>>,
    plan: RwLock<Arc<PlanView>>,
    facts: RwLock<Arc<HashMap<String, ExamFacts>>>,
    writer: std::sync::mpsc::Sender<WriterMsg>,
    events: tokio::sync::broadcast::Sender<Arc<str>>,
    ticker: Mutex<TickerState>,
    counters: Counters,
    started: Instant,
    /// The writer thread; finished means accepted reports are no longer persisted.
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// The hub's monitoring: cheap to clone; clones share everything but may carry another clock
/// (tests judge the same state at a later simulated time).
#[derive(Clone)]
pub struct MonitoringHub {
    shared: Arc<Shared>,
    clock: Clock,
}

pub use crate::protocol::heartbeat::HeartbeatAck;

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|p| p.into_inner())
}
fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|p| p.into_inner())
}
fn lock<T>(l: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    l.lock().unwrap_or_else(|p| p.into_inner())
}

fn store_error(e: impl std::fmt::Display) -> MonitoringError {
    MonitoringError::Store(e.to_string())
}

/// Rows and summaries of one exam (optionally one АТЕ), worst first.
#[derive(Debug, Clone, Serialize)]
pub struct StatusView {
    pub hub_time: String,
    pub exam_id: Option<String>,
    pub ate_code: Option<String>,
    pub upload_truth: UploadTruth,
    pub summary: Summary,
    pub rows: Vec<PointRow>,
    /// The ticker's sequence number when the view was taken (the page subscribes from it).
    pub seq: u64,
}

impl MonitoringHub {
    /// Opens the monitoring over the hub database at `db_path`: loads the last heartbeats, the
    /// plan and the hub's records, and starts the writer thread.
    pub fn open(db_path: &Path, clock: Clock, rules: StatusRules, uploads: Arc<dyn UploadRecords>) -> Result<Self, MonitoringError> {
        let reader = crate::store::open(db_path).map_err(store_error)?;
        let writer_conn = crate::store::open(db_path).map_err(store_error)?;
        let (tx, rx) = std::sync::mpsc::channel();
        // A channel keeps its last messages until every receiver read them; each can carry
        // hundreds of rows, so keep few: a lagging dashboard gets a catch-up instead.
        let (events, _) = tokio::sync::broadcast::channel(EVENTS_KEPT);
        let shared = Arc::new(Shared {
            rules,
            uploads,
            db_path: db_path.to_path_buf(),
            reader: Mutex::new(reader),
            points: RwLock::new(HashMap::new()),
            plan: RwLock::new(Arc::new(PlanView::default())),
            facts: RwLock::new(Arc::new(HashMap::new())),
            writer: tx,
            events,
            ticker: Mutex::new(TickerState::default()),
            counters: Counters::default(),
            started: Instant::now(),
            writer_thread: Mutex::new(None),
        });
        let weak = Arc::downgrade(&shared);
        let thread = std::thread::Builder::new().name("monitoring-writer".into()).spawn(move || writer_loop(writer_conn, rx, weak)).map_err(store_error)?;
        if let Ok(mut slot) = shared.writer_thread.lock() {
            *slot = Some(thread);
        }
        let hub = Self { shared, clock };
        hub.load_persisted()?;
        hub.refresh_plan()?;
        hub.refresh_facts()?;
        Ok(hub)
    }

    /// From `hub.toml`: the hub database, the thresholds, and the hub's upload records as truth.
    pub fn from_context(ctx: &crate::context::HubContext) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&ctx.config.state_dir)?;
        Ok(Self::open(&ctx.config.db_path(), ctx.clock.clone(), StatusRules::from_config(&ctx.config), Arc::new(HubUploadStore))?)
    }

    /// The same state judged by another clock.
    pub fn with_clock(&self, clock: Clock) -> Self {
        Self { shared: self.shared.clone(), clock }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn rules(&self) -> StatusRules {
        self.shared.rules
    }

    pub fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    pub fn db_path(&self) -> &Path {
        &self.shared.db_path
    }

    pub fn uptime_secs(&self) -> u64 {
        self.shared.started.elapsed().as_secs()
    }

    /// Runs `f` with the hub database (sessions, accounts, notes, timelines). Blocking.
    pub fn with_db<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        f(&mut lock(&self.shared.reader))
    }

    fn load_persisted(&self) -> Result<(), MonitoringError> {
        let rows = self.with_db(|c| mstore::heartbeat_latest_all(c)).map_err(store_error)?;
        let mut points = write(&self.shared.points);
        for r in rows {
            let Ok(report) = serde_json::from_str::<HeartbeatReport>(&r.report_json) else { continue };
            let (Some(received_at), Some(progress), Some(since)) = (super::parse_time(&r.received_at), super::parse_time(&r.last_progress_at), super::parse_time(&r.stage_since)) else {
                continue;
            };
            let samples = VecDeque::from([ProgressSample::of(&report, received_at)]);
            points.insert(
                (r.exam_id, r.ppe_code),
                PointLive { latest: Arrived { report, received_at }, clock_offset_ms: r.clock_offset_ms, last_progress_at: progress, stage_since: since, samples, reports_received: r.reports_received },
            );
        }
        Ok(())
    }

    /// Re-reads the plan (exams, points, assignments). Blocking.
    pub fn refresh_plan(&self) -> Result<(), MonitoringError> {
        let slice = self.with_db(|c| mstore::plan_slice(c)).map_err(store_error)?;
        *write(&self.shared.plan) = Arc::new(PlanView::from_slice(slice));
        Ok(())
    }

    /// Re-reads the hub's own upload records and key releases. Blocking.
    pub fn refresh_facts(&self) -> Result<(), MonitoringError> {
        let exams: Vec<String> = read(&self.shared.plan).exams.keys().cloned().collect();
        let mut all = HashMap::new();
        self.with_db(|c| -> Result<(), MonitoringError> {
            for exam in exams {
                let uploads = self.shared.uploads.facts_for_exam(c, &exam).map_err(MonitoringError::Store)?;
                let materials = mstore::hub_materials_for_exam(c, &exam).map_err(store_error)?;
                all.insert(exam, ExamFacts { uploads, materials });
            }
            Ok(())
        })?;
        *write(&self.shared.facts) = Arc::new(all);
        Ok(())
    }

    /// Judges and applies one heartbeat from the box proven by `identity`.
    pub fn accept(&self, identity: Option<&BoxIdentity>, report: HeartbeatReport) -> Result<HeartbeatAck, MonitoringError> {
        let result = self.accept_inner(identity, report);
        if let Err(e) = &result {
            self.shared.counters.refuse(e);
        }
        result
    }

    fn accept_inner(&self, identity: Option<&BoxIdentity>, report: HeartbeatReport) -> Result<HeartbeatAck, MonitoringError> {
        let identity = identity.ok_or(MonitoringError::NoIdentity)?;
        if identity.ppe_code != report.ppe_code {
            return Err(MonitoringError::WrongExamPoint { identity: identity.ppe_code.clone(), report: report.ppe_code.clone() });
        }
        let box_time = report.check()?;
        {
            let plan = read(&self.shared.plan);
            if !plan.exams.contains_key(&report.exam_id) {
                return Err(MonitoringError::UnknownExam(report.exam_id.clone()));
            }
            if !plan.assigned.contains(&(report.exam_id.clone(), report.ppe_code.clone())) {
                return Err(MonitoringError::NotAssigned { exam_id: report.exam_id.clone(), ppe_code: report.ppe_code.clone() });
            }
        }
        let now = self.clock.now();
        let offset = clock_offset_ms(box_time, now);
        let report_json = serde_json::to_string(&report).map_err(store_error)?;
        let key = (report.exam_id.clone(), report.ppe_code.clone());
        let write_op = {
            let mut points = write(&self.shared.points);
            let prev = points.get(&key);
            let prev_report = prev.map(|p| &p.latest.report);
            let progressed = made_progress(prev_report, &report);
            let stage_changed = prev_report.is_none_or(|p| p.stage != report.stage);
            let mut events: Vec<(&'static str, String)> = Vec::new();
            if stage_changed {
                events.push(("stage", report.stage.code().to_string()));
            }
            if report.last_error.is_some() && prev_report.is_none_or(|p| p.last_error != report.last_error) {
                events.push(("error", report.last_error.clone().unwrap_or_default()));
            }
            if report.upload.receipt_id.is_some() && prev_report.is_none_or(|p| p.upload.receipt_id != report.upload.receipt_id) {
                events.push(("receipt", report.upload.receipt_id.clone().unwrap_or_default()));
            }
            let changed = progressed || prev_report.is_none_or(|p| p.last_error != report.last_error || p.upload.bytes_total != report.upload.bytes_total);
            let mut samples = prev.map(|p| p.samples.clone()).unwrap_or_default();
            samples.push_back(ProgressSample::of(&report, now));
            while samples.len() > SAMPLES_KEPT {
                samples.pop_front();
            }
            let live = PointLive {
                clock_offset_ms: offset,
                last_progress_at: if progressed { now } else { prev.map(|p| p.last_progress_at).unwrap_or(now) },
                stage_since: if stage_changed { now } else { prev.map(|p| p.stage_since).unwrap_or(now) },
                samples,
                reports_received: prev.map(|p| p.reports_received).unwrap_or(0) + 1,
                latest: Arrived { report, received_at: now },
            };
            let r = &live.latest.report;
            let op = HeartbeatWrite {
                exam_id: key.0.clone(),
                ppe_code: key.1.clone(),
                report_json,
                received_at: time_text(now),
                clock_offset_ms: offset,
                last_progress_at: time_text(live.last_progress_at),
                stage_since: time_text(live.stage_since),
                reports_received: live.reports_received,
                history: changed.then(|| HistoryRow {
                    received_at: time_text(now),
                    stage: r.stage.code().to_string(),
                    bytes_done: r.upload.bytes_done,
                    bytes_total: r.upload.bytes_total,
                    files_done: r.upload.files_done,
                    pages_scanned: r.pages.scanned,
                    last_error: r.last_error.clone(),
                }),
                events,
                prune: changed && live.reports_received.is_multiple_of(50),
            };
            points.insert(key, live);
            op
        };
        self.shared.writer.send(WriterMsg::Write(Box::new(write_op))).map_err(|_| MonitoringError::Store("запись отчётов остановлена".into()))?;
        self.shared.counters.reports_accepted.fetch_add(1, Ordering::Relaxed);
        Ok(HeartbeatAck { accepted: true, hub_time: time_text(now), clock_offset_ms: offset })
    }

    /// The daemon's liveness for the systemd watchdog: the writer thread runs and the
    /// database answers. Cheap (no write, no wait for the writer).
    pub fn writer_alive(&self) -> bool {
        let writer_running = self.shared.writer_thread.lock().map(|t| t.as_ref().is_some_and(|t| !t.is_finished())).unwrap_or(false);
        let db_answers = self.shared.reader.try_lock().map(|c| super::store::database_answers(&c)).unwrap_or(true);
        writer_running && db_answers
    }

    /// Waits until every heartbeat accepted so far is committed. Blocking.
    pub fn flush(&self) -> Result<(), MonitoringError> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.shared.writer.send(WriterMsg::Flush(tx)).map_err(|_| MonitoringError::Store("запись отчётов остановлена".into()))?;
        rx.recv().map_err(|_| MonitoringError::Store("запись отчётов остановлена".into()))
    }

    /// Exams of the plan, in date order.
    pub fn exams(&self) -> Vec<Exam> {
        read(&self.shared.plan).exams.values().cloned().collect()
    }

    /// АТЕ (code, name) of the points of an exam, sorted by name.
    pub fn ates_of_exam(&self, exam_id: &str) -> Vec<(String, String)> {
        let plan = read(&self.shared.plan);
        let mut out: Vec<(String, String)> = plan
            .by_exam
            .get(exam_id)
            .into_iter()
            .flatten()
            .filter_map(|a| plan.points.get(&a.ppe_code))
            .map(|p| (p.ate_code.clone(), p.ate_name.clone()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }

    /// The exam the dashboard opens with: the one whose start is nearest to now.
    pub fn default_exam(&self) -> Option<String> {
        let now = self.clock.now();
        read(&self.shared.plan)
            .exams
            .values()
            .filter_map(|e| Some(((e.start_utc()? - now).num_seconds().abs(), e.exam_id.clone())))
            .min()
            .map(|(_, id)| id)
    }

    pub fn point_known(&self, exam_id: &str, ppe_code: &str) -> bool {
        read(&self.shared.plan).assigned.contains(&(exam_id.to_string(), ppe_code.to_string()))
    }

    pub fn exam_point(&self, ppe_code: &str) -> Option<ExamPoint> {
        read(&self.shared.plan).points.get(ppe_code).cloned()
    }
}
