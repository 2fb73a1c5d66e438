//! The box side of monitoring: builds a heartbeat from the box's numbers and posts it to the
//! hub every `heartbeat.interval_secs`, living with a missing uplink (a failed post is logged
//! once per outage and retried on the next beat; nothing queues up, since each report carries
//! the whole state).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{time_text, AttendanceReport, HeartbeatReport, MaterialsReport, PagesReport, Schedule, Stage, UploadReport};
use crate::clock::Clock;
use crate::hub_client::{HubClient, Refusal};
use crate::protocol::heartbeat::HeartbeatAck;
use crate::protocol::paths;
use crate::store::Connection;

/// What the box knows about one exam, gathered by the caller from its own stores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoxNumbers {
    pub exam_id: String,
    pub materials: MaterialsReport,
    /// The package download is running now.
    pub pulling: bool,
    /// A print run is in progress now.
    pub printing: bool,
    pub seating_done: bool,
    pub attendance: AttendanceReport,
    pub pages: PagesReport,
    /// The scanner is taking pages in now.
    pub scanning: bool,
    pub upload: UploadReport,
    pub alarms: Vec<String>,
    pub last_error: Option<String>,
}

/// The stage from the numbers and the box's clock (the hub judges deadlines by its own clock;
/// the stage is only what the box is doing).
pub fn derive_stage(n: &BoxNumbers, box_now: DateTime<Utc>, schedule: Option<&Schedule>) -> Stage {
    let started = schedule.is_some_and(|s| box_now >= s.start);
    if n.upload.receipt_id.is_some() {
        Stage::Uploaded
    } else if n.upload.bytes_total > 0 {
        Stage::Uploading
    } else if n.scanning || n.pages.scanned > 0 {
        Stage::Scanning
    } else if n.attendance.present > 0 || (started && n.materials.verified) {
        Stage::Exam
    } else if n.printing || n.materials.printed {
        Stage::Printing
    } else if n.materials.verified && n.materials.key_received {
        Stage::MaterialsReady
    } else if n.pulling || n.materials.pulled || n.materials.verified || schedule.is_some_and(|s| box_now >= s.window_open) {
        Stage::Pulling
    } else {
        Stage::Waiting
    }
}

/// A report of one exam from the box's numbers.
pub fn build_report(ppe_code: &str, box_now: DateTime<Utc>, n: &BoxNumbers, schedule: Option<&Schedule>) -> HeartbeatReport {
    HeartbeatReport {
        ppe_code: ppe_code.to_string(),
        exam_id: n.exam_id.clone(),
        box_time: time_text(box_now),
        stage: derive_stage(n, box_now, schedule),
        materials: n.materials.clone(),
        seating_done: n.seating_done,
        attendance: n.attendance.clone(),
        pages: n.pages.clone(),
        upload: n.upload.clone(),
        alarms: n.alarms.iter().take(super::MAX_ALARMS).map(|a| a.chars().take(super::MAX_TEXT_LEN).collect()).collect(),
        last_error: n.last_error.as_ref().map(|e| e.chars().take(super::MAX_TEXT_LEN).collect()),
    }
}

/// Reads the box's own stores into [`BoxNumbers`] for one exam (materials, printing, seating,
/// attendance, scanning completeness, upload progress and receipt, alarms). Blocking; run it
/// off the async threads. What is running right now (`pulling`, `printing`, `scanning`) and the
/// last error are the caller's to add.
pub fn gather_box_numbers(conn: &Connection, exam_id: &str, ppe_code: &str) -> Result<BoxNumbers, ReporterError> {
    let e = |e: &dyn std::fmt::Display| ReporterError::BoxState(e.to_string());
    let mut n = BoxNumbers { exam_id: exam_id.to_string(), ..Default::default() };
    if let Some((version, json)) = crate::materials::store::manifest_get(conn, exam_id).map_err(|x| e(&x))? {
        n.materials.pulled = true;
        n.materials.manifest_version = Some(version);
        if let Ok(m) = serde_json::from_str::<crate::materials::Manifest>(&json) {
            let verified = crate::materials::store::files_verified(conn, exam_id, &m.package_id).map_err(|x| e(&x))?;
            n.materials.verified = m.files.iter().all(|f| verified.contains(&f.name));
        }
    }
    n.materials.key_received = crate::materials::store::key_get(conn, exam_id).map_err(|x| e(&x))?.is_some();
    n.materials.printed = crate::printing::store::print_jobs_for_exam(conn, exam_id).map_err(|x| e(&x))?.iter().any(|j| j.confirmed_by.is_some());
    n.seating_done = !crate::seating::store::seat_assignments_for_exam(conn, exam_id).map_err(|x| e(&x))?.is_empty();

    let plan = crate::plan::store::load_plan(conn).map_err(|x| e(&x))?;
    let planned = plan.registrations.iter().filter(|r| r.exam_id == exam_id && r.ppe_code == ppe_code).count();
    let states = crate::attendance::ops::states(conn, exam_id).map_err(|x| e(&x))?;
    let c = crate::attendance::counts(states.values());
    let marked = c.planned - c.unmarked;
    n.attendance = AttendanceReport {
        planned: planned as u32,
        present: states.values().filter(|s| s.status.sat()).count() as u32,
        absent: c.absent as u32,
        removed: c.removed as u32,
        early: c.finished_early as u32,
        closed: planned > 0 && marked >= planned,
    };
    let expected = crate::attendance::ops::expected_sheets(conn, exam_id, ppe_code).map_err(|x| e(&x))?;
    let sheets: usize = expected.participants.iter().filter(|p| p.present).map(|p| p.sheets.len()).sum();
    let scanned = crate::scanning::store::pages_for_exam(conn, exam_id).map_err(|x| e(&x))?.iter().filter(|p| p.status == "matched").count();
    let completeness = crate::scanning::intake::completeness_now(conn, exam_id, &expected).map_err(|x| e(&x))?;
    n.pages = PagesReport {
        expected: if n.attendance.closed { (sheets + expected.required_statements.len()) as u64 } else { 0 },
        scanned: scanned as u64,
        missing: (completeness.missing_sheets.len() + completeness.missing_statements.len()) as u64,
    };
    let (bytes_done, bytes_total, files_done, files_total) = super::store::box_upload_progress(conn, exam_id).map_err(|x| e(&x))?;
    let receipt = crate::upload::store::receipt_latest(conn, exam_id).map_err(|x| e(&x))?.map(|(manifest, _)| manifest);
    n.upload = UploadReport { bytes_done, bytes_total, files_done, files_total, receipt_id: receipt };
    n.alarms = crate::materials::store::alarms(conn).map_err(|x| e(&x))?.into_iter().filter(|a| a.0 == exam_id).map(|a| a.2).collect();
    Ok(n)
}

#[derive(Debug, thiserror::Error)]
pub enum ReporterError {
    #[error("состояние станции не прочитано: {0}")]
    BoxState(String),
    #[error("РЦОИ недоступен: {0}")]
    Network(String),
    #[error("РЦОИ отклонил отчёт ({status}): {message}")]
    Refused { status: u16, message: String },
}

/// Posts one report to the hub's heartbeat endpoint.
pub async fn post_report(client: &HubClient, report: &HeartbeatReport) -> Result<HeartbeatAck, ReporterError> {
    let resp = client.http().post(client.url(paths::HEARTBEAT)).json(report).send().await.map_err(|e| ReporterError::Network(format!("{e:#}")))?;
    if !resp.status().is_success() {
        let refusal = Refusal::read(resp).await;
        let message = refusal.body.map(|b| b.message).unwrap_or(refusal.text);
        return Err(ReporterError::Refused { status: refusal.status, message });
    }
    resp.json().await.map_err(|e| ReporterError::Network(format!("answer: {e}")))
}

/// What one round of posting did (for logs and tests).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundOutcome {
    pub sent: usize,
    pub failed: usize,
}

/// Posts the reports `gather` returns every `interval` of `clock` time (so a simulated day at
/// N× speed reports N× as often in wall time, as the hub's clock expects), forever. `gather`
/// runs on the blocking pool (it reads the box's database). A failure is logged when an outage
/// starts and when it ends, never once per beat.
pub async fn run(client: HubClient, clock: Clock, interval: Duration, gather: impl Fn() -> Vec<HeartbeatReport> + Send + Sync + 'static) {
    let gather = std::sync::Arc::new(gather);
    let mut offline = false;
    loop {
        let g = gather.clone();
        let reports = tokio::task::spawn_blocking(move || g()).await.unwrap_or_default();
        let mut outcome = RoundOutcome::default();
        for r in &reports {
            match post_report(&client, r).await {
                Ok(ack) => {
                    outcome.sent += 1;
                    tracing::debug!(exam = %r.exam_id, offset_ms = ack.clock_offset_ms, "heartbeat accepted");
                }
                Err(e) => {
                    outcome.failed += 1;
                    if !offline {
                        tracing::warn!(exam = %r.exam_id, "heartbeat not delivered (will keep trying every beat): {e}");
                    }
                }
            }
        }
        if outcome.failed > 0 && outcome.sent == 0 {
            offline = true;
        } else if offline && outcome.sent > 0 {
            offline = false;
            tracing::info!("heartbeats reach the hub again");
        }
        tokio::time::sleep(clock.wall_duration(interval).max(Duration::from_millis(200))).await;
    }
}

/// Reports are sent for an exam from this long before its materials window until this long
/// after its upload deadline (the pre-start view needs the package version a day ahead).
pub const REPORT_MARGIN_HOURS: i64 = 24;

/// The reports of every exam of the plan held at this exam point whose reporting period
/// contains `now` (box clock). Blocking.
pub fn reports_of_the_day(db_path: &std::path::Path, ppe_code: &str, now: DateTime<Utc>) -> Result<Vec<HeartbeatReport>, ReporterError> {
    let e = |e: &dyn std::fmt::Display| ReporterError::BoxState(e.to_string());
    let conn = crate::store::open(db_path).map_err(|x| e(&x))?;
    let margin = chrono::Duration::hours(REPORT_MARGIN_HOURS);
    let mut out = Vec::new();
    for exam in crate::plan::store::exam_list(&conn).map_err(|x| e(&x))? {
        // The latest possible end (extra time) keeps a point with ОВЗ participants reporting.
        let Some(schedule) = Schedule::for_point(&exam, true) else { continue };
        if now < schedule.window_open - margin || now > schedule.deadline + margin {
            continue;
        }
        let numbers = gather_box_numbers(&conn, &exam.exam_id, ppe_code)?;
        if numbers.attendance.planned == 0 {
            continue;
        }
        out.push(build_report(ppe_code, now, &numbers, Some(&schedule)));
    }
    Ok(out)
}

/// Starts the box's heartbeat on the current tokio runtime: the box's one hub client
/// (`hub_client`: mutual TLS, pinned CA), every `heartbeat.interval_secs`, the reports of the day.
pub fn spawn_box_reporter(ctx: &crate::context::EdgeContext) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let client = HubClient::from_context(ctx)?;
    let db_path = ctx.config.db_path();
    let ppe_code = ctx.config.ppe_code.clone();
    let clock = ctx.clock.clone();
    let gather_clock = clock.clone();
    let gather = move || match reports_of_the_day(&db_path, &ppe_code, gather_clock.now()) {
        Ok(reports) => reports,
        Err(e) => {
            tracing::warn!("heartbeat not built: {e}");
            Vec::new()
        }
    };
    let interval = Duration::from_secs(ctx.config.heartbeat.interval_secs.max(1));
    Ok(tokio::spawn(run(client, clock, interval, gather)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        super::super::parse_time(s).unwrap()
    }

    #[test]
    fn stage_follows_the_day() {
        let s = Schedule { window_open: t("2027-05-27T02:00:00Z"), start: t("2027-05-27T03:00:00Z"), deadline: t("2027-05-27T07:55:00Z") };
        let mut n = BoxNumbers { exam_id: "ege-02".into(), ..Default::default() };
        type Change = Box<dyn Fn(&mut BoxNumbers)>;
        let table: Vec<(&str, Change, Stage)> = vec![
            ("01:00:00", Box::new(|_| {}), Stage::Waiting),
            ("02:00:00", Box::new(|_| {}), Stage::Pulling),
            ("02:10:00", Box::new(|n| { n.materials.verified = true; n.materials.key_received = true; }), Stage::MaterialsReady),
            ("02:20:00", Box::new(|n| n.printing = true), Stage::Printing),
            ("03:00:00", Box::new(|n| n.printing = false), Stage::Exam),
            ("07:00:00", Box::new(|n| n.pages.scanned = 10), Stage::Scanning),
            ("07:10:00", Box::new(|n| n.upload.bytes_total = 100), Stage::Uploading),
            ("07:20:00", Box::new(|n| n.upload.receipt_id = Some("abc".into())), Stage::Uploaded),
        ];
        for (time, change, expect) in table {
            change(&mut n);
            assert_eq!(derive_stage(&n, t(&format!("2027-05-27T{time}Z")), Some(&s)), expect, "at {time}");
        }
        let r = build_report("0101", t("2027-05-27T07:20:00Z"), &n, Some(&s));
        assert!(r.check().is_ok());
        assert_eq!(r.box_time, "2027-05-27T07:20:00Z");
    }

    #[test]
    fn report_truncates_what_the_hub_would_refuse() {
        let n = BoxNumbers { exam_id: "e".into(), alarms: vec!["x".repeat(2000); 100], last_error: Some("я".repeat(2000)), ..Default::default() };
        let r = build_report("0101", t("2027-05-27T07:20:00Z"), &n, None);
        assert!(r.check().is_ok(), "{:?}", r.check());
    }

    #[test]
    fn box_numbers_come_from_the_box_stores() {
        let mut conn = crate::store::open_in_memory().unwrap();
        let empty = gather_box_numbers(&conn, "ege-02", "0101").unwrap();
        assert_eq!(empty, BoxNumbers { exam_id: "ege-02".into(), ..Default::default() });
        let manifest = serde_json::json!({
            "format": "x", "package_id": "pkg1", "exam_id": "ege-02", "ppe_code": "0101", "version": 3, "created": "", "expires": "",
            "window_open": "", "window_close": "",
            "files": [{"name": "kim.pdf", "role": "kim", "plain_len": 1, "cipher_len": 1, "plain_sha256": "", "cipher_sha256": "", "chunk_size": 1, "nonce_prefix": ""}]
        });
        let tx = conn.transaction().unwrap();
        crate::materials::store::manifest_accept(&tx, "ege-02", "0101", 3, "pkg1", &manifest.to_string(), "t").unwrap();
        crate::materials::store::key_received(&tx, "ege-02", "pkg1", 3, "t", "t").unwrap();
        tx.commit().unwrap();
        let n = gather_box_numbers(&conn, "ege-02", "0101").unwrap();
        assert!(n.materials.pulled && !n.materials.verified && n.materials.key_received, "{:?}", n.materials);
        crate::materials::store::file_verified(&conn, "ege-02", "pkg1", "kim.pdf", "", 1, "t").unwrap();
        crate::upload::store::upload_file_ensure(&conn, "ege-02", "a.png", "00", 100).unwrap();
        crate::upload::store::upload_file_ensure(&conn, "ege-02", "b.png", "01", 300).unwrap();
        crate::upload::store::upload_file_complete(&conn, "ege-02", "a.png", "t").unwrap();
        let n = gather_box_numbers(&conn, "ege-02", "0101").unwrap();
        assert_eq!(n.materials, MaterialsReport { pulled: true, verified: true, manifest_version: Some(3), key_received: true, printed: false });
        assert_eq!(n.upload, UploadReport { bytes_done: 100, bytes_total: 400, files_done: 1, files_total: 2, receipt_id: None });
        crate::upload::store::receipt_insert(&conn, "ege-02", "feed", "{}", "t").unwrap();
        assert_eq!(gather_box_numbers(&conn, "ege-02", "0101").unwrap().upload.receipt_id.as_deref(), Some("feed"));
        assert!(gather_box_numbers(&conn, "oge-01", "0101").unwrap().upload.receipt_id.is_none(), "per exam");
    }

    #[tokio::test]
    async fn a_missing_hub_is_an_error_not_a_panic() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let client = HubClient::plain(&url, "0101", "00").unwrap();
        let n = BoxNumbers { exam_id: "ege-02".into(), ..Default::default() };
        let err = post_report(&client, &build_report("0101", Utc::now(), &n, None)).await.unwrap_err();
        assert!(matches!(err, ReporterError::Network(_)), "{err}");
    }
}
