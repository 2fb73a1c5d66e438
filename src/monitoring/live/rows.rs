//! The rows of the dashboard, computed from the plan, each point's live state and the hub's
//! own records at the hub's `now` (never from SQL on the request path).

use chrono::{DateTime, Utc};

use super::{lock, read, MonitoringHub, PointLive, StatusView};
use crate::model::ExamPoint;
use crate::monitoring::files::files_row;
use crate::monitoring::store::Assignment;
use crate::monitoring::{delivered, point_status, sort_worst_first, summarize, time_text, HeartbeatReport, HubUploadFacts, PointInputs, PointRow, ProgressSample, StatusRules, UploadTruth};

impl MonitoringHub {
    /// Every row of an exam (or all exams), optionally one АТЕ, worst first, at `now`.
    pub fn rows(&self, exam_id: Option<&str>, ate_code: Option<&str>) -> Vec<PointRow> {
        let now = self.clock.now();
        let plan = read(&self.shared.plan).clone();
        let facts = read(&self.shared.facts).clone();
        let truth = self.shared.uploads.truth();
        let points = read(&self.shared.points);
        let mut rows = Vec::new();
        for (exam_key, assignments) in &plan.by_exam {
            if exam_id.is_some_and(|e| e != exam_key) {
                continue;
            }
            if !plan.exams.contains_key(exam_key) {
                continue;
            }
            let exam_facts = facts.get(exam_key);
            for a in assignments {
                let point = plan.points.get(&a.ppe_code);
                if ate_code.is_some_and(|ate| point.is_none_or(|p| p.ate_code != ate)) {
                    continue;
                }
                let live = points.get(&(exam_key.clone(), a.ppe_code.clone()));
                let uploads = exam_facts.and_then(|f| f.uploads.get(&a.ppe_code));
                let materials = exam_facts.and_then(|f| f.materials.get(&a.ppe_code)).copied();
                let collects = plan.exams.get(exam_key).and_then(crate::recordings::collected_for).map(|k| k.code());
                if let Some(mut row) = point_row(a, point, live, uploads, materials, truth, &self.shared.rules, now) {
                    row.files = files_row(live.map(|l| &l.latest.report), truth, uploads, collects);
                    rows.push(row);
                }
            }
        }
        drop(points);
        sort_worst_first(&mut rows);
        rows
    }

    /// Rows and summary of an exam and optionally an АТЕ.
    pub fn status(&self, exam_id: Option<&str>, ate_code: Option<&str>) -> StatusView {
        let seq = lock(&self.shared.ticker).seq;
        let rows = self.rows(exam_id, ate_code);
        StatusView {
            hub_time: self.clock.now_rfc3339(),
            exam_id: exam_id.map(str::to_string),
            ate_code: ate_code.map(str::to_string),
            upload_truth: self.shared.uploads.truth(),
            summary: summarize(&rows),
            rows,
            seq,
        }
    }

    /// One row (the point page).
    pub fn row(&self, exam_id: &str, ppe_code: &str) -> Option<PointRow> {
        let ate = self.exam_point(ppe_code).map(|p| p.ate_code);
        self.rows(Some(exam_id), ate.as_deref()).into_iter().find(|r| r.ppe_code == ppe_code)
    }

    /// Recent progress samples of a point (for its page).
    pub fn samples(&self, exam_id: &str, ppe_code: &str) -> Vec<ProgressSample> {
        read(&self.shared.points).get(&(exam_id.to_string(), ppe_code.to_string())).map(|p| p.samples.iter().copied().collect()).unwrap_or_default()
    }
}

/// One row from the plan, the point's live state and the hub's records, judged against the
/// point's own schedule (`Assignment::schedule`, the one the box shows).
#[allow(clippy::too_many_arguments)]
fn point_row(
    a: &Assignment,
    point: Option<&ExamPoint>,
    live: Option<&PointLive>,
    uploads: Option<&HubUploadFacts>,
    materials: Option<(Option<u64>, bool)>,
    truth: UploadTruth,
    rules: &StatusRules,
    now: DateTime<Utc>,
) -> Option<PointRow> {
    let schedule = a.schedule?;
    let report = live.map(|l| &l.latest.report);
    let d = delivered(report, truth, uploads);
    let samples: Vec<ProgressSample> = live.map(|l| l.samples.iter().copied().collect()).unwrap_or_default();
    let hub_activity = uploads.and_then(|u| u.last_activity_at);
    let last_progress_at = match (live.map(|l| l.last_progress_at), hub_activity) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let input = PointInputs { schedule, latest: live.map(|l| &l.latest), last_progress_at, samples: &samples, delivered: &d };
    let st = point_status(&input, rules, now);
    let default_report;
    let r = match report {
        Some(r) => r,
        None => {
            default_report = HeartbeatReport {
                ppe_code: a.ppe_code.clone(),
                exam_id: a.exam_id.clone(),
                box_time: String::new(),
                stage: crate::monitoring::Stage::Waiting,
                ..Default::default()
            };
            &default_report
        }
    };
    let mut attendance = r.attendance.clone();
    if attendance.planned == 0 {
        attendance.planned = a.planned;
    }
    let (published_version, key_released) = materials.unwrap_or((None, false));
    Some(PointRow {
        exam_id: a.exam_id.clone(),
        ppe_code: a.ppe_code.clone(),
        name: point.map(|p| p.name.clone()).unwrap_or_default(),
        ate_code: point.map(|p| p.ate_code.clone()).unwrap_or_default(),
        ate_name: point.map(|p| p.ate_name.clone()).unwrap_or_default(),
        stage: r.stage,
        stage_since: live.map(|l| time_text(l.stage_since)),
        health: st.health,
        reason: st.reason,
        deadline: time_text(schedule.deadline),
        last_seen_at: live.map(|l| time_text(l.latest.received_at)),
        clock_offset_ms: live.map(|l| l.clock_offset_ms),
        last_error: r.last_error.clone(),
        alarms: r.alarms.clone(),
        bytes_done: r.upload.bytes_done,
        bytes_total: r.upload.bytes_total,
        files_done: r.upload.files_done,
        files_total: r.upload.files_total,
        rate_bytes_per_second: st.rate_bytes_per_second.map(|r| r.round() as u64),
        pages_expected: r.pages.expected,
        pages_scanned: r.pages.scanned,
        pages_received: d.pages_received,
        pages_verified: d.pages_verified,
        files: Default::default(),
        seating_done: r.seating_done,
        attendance,
        materials: r.materials.clone(),
        published_version,
        key_released,
        receipt_id: d.receipt_id,
    })
}
