//! The pure judgement of one exam point against its upload deadline: its schedule, what
//! reached the hub (from the hub's records or the box's word), the measured rate, and the
//! colour (late, silent, stalled, at risk, on track, not started, done) with its reason.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::text::minutes_text;
use super::{HeartbeatReport, ProgressSample, Stage};
use crate::model::{Exam, ExamPoint, Participant, Plan};

/// Upload throughput, bytes per second, over the samples of the last `window` (ending at the
/// newest sample). `None` until two samples at different times are in the window.
pub fn measured_rate(samples: &[ProgressSample], window: Duration) -> Option<f64> {
    let last = samples.last()?;
    let first = samples.iter().find(|s| last.at - s.at <= window)?;
    let seconds = (last.at - first.at).num_milliseconds() as f64 / 1000.0;
    if seconds <= 0.0 {
        return None;
    }
    Some(last.bytes_done.saturating_sub(first.bytes_done) as f64 / seconds)
}

/// The times that matter for one exam point on one exam, by the hub's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub window_open: DateTime<Utc>,
    pub start: DateTime<Utc>,
    /// The point's latest end: with the exam's extra time when a participant there has it.
    pub end: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

/// What one participant registered at a point for an exam means for the point's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeNeed {
    /// допуск к ГИА: a participant without it is not expected, so cannot extend the day.
    pub admitted: bool,
    /// ОВЗ extra time (`Exam::extra_time_min`).
    pub extra_time: bool,
}

impl From<&Participant> for TimeNeed {
    fn from(p: &Participant) -> Self {
        TimeNeed { admitted: p.admitted, extra_time: p.conditions.extra_time }
    }
}

impl Schedule {
    /// THE schedule of an exam at an exam point, the one the box shows and the hub judges:
    /// every instant from the point's own UTC offset (`Exam::at_point`), the end extended by
    /// the exam's extra time only when an admitted participant registered there has it.
    /// `None` when the exam's date or start time is not valid.
    pub fn at_point(exam: &Exam, point: Option<&ExamPoint>, registered: impl IntoIterator<Item = TimeNeed>) -> Option<Schedule> {
        let exam = match point {
            Some(p) => exam.at_point(p),
            None => exam.clone(),
        };
        let extended = registered.into_iter().any(|n| n.admitted && n.extra_time);
        let (window_open, _) = exam.materials_window()?;
        let end = if extended { exam.extended_end_utc()? } else { exam.end_utc()? };
        Some(Schedule { window_open, start: exam.start_utc()?, end, deadline: exam.upload_deadline(end) })
    }

    /// [`Schedule::at_point`] with the facts read from a plan: the box's slice or the hub's
    /// whole plan give the same answer for the same point.
    pub fn in_plan(plan: &Plan, exam: &Exam, ppe_code: &str) -> Option<Schedule> {
        let point = plan.exam_points.iter().find(|p| p.ppe_code == ppe_code);
        let here: HashSet<&str> =
            plan.registrations.iter().filter(|r| r.exam_id == exam.exam_id && r.ppe_code == ppe_code).map(|r| r.participant_id.as_str()).collect();
        Schedule::at_point(exam, point, plan.participants.iter().filter(|p| here.contains(p.participant_id.as_str())).map(TimeNeed::from))
    }
}

/// Whom the dashboard believes about what reached the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadTruth {
    /// The boxes' own numbers (a hub without upload records, e.g. a read-only replica).
    BoxReports,
    /// The hub's tus uploads and signed receipts; boxes' claims are only shown beside them.
    HubRecords,
}

/// What the hub itself holds for one exam point and exam (from its upload records).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubUploadFacts {
    pub files_received: u64,
    pub bytes_received: u64,
    /// Files of kind `page` fully received over tus.
    pub pages_received: u64,
    /// A bundle is accepted: every file and the box signature verified, receipt signed.
    pub bundle_verified: bool,
    pub pages_verified: u64,
    /// Recordings and answer files fully received over tus, and listed on the accepted
    /// bundle's receipt (`monitoring::files`).
    pub participant_files_received: u64,
    pub participant_files_verified: u64,
    /// The receipt's manifest SHA-256.
    pub receipt_id: Option<String>,
    pub receipt_at: Option<String>,
    pub last_activity_at: Option<DateTime<Utc>>,
}

/// What reached the hub, from whichever source is trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub pages_received: u64,
    pub pages_verified: u64,
    pub verified: bool,
    pub receipt_id: Option<String>,
    /// The box says it holds a receipt the hub has no record of (a forged or lost receipt).
    pub unconfirmed_receipt_claim: bool,
}

pub fn delivered(report: Option<&HeartbeatReport>, truth: UploadTruth, hub: Option<&HubUploadFacts>) -> Delivered {
    match truth {
        UploadTruth::HubRecords => {
            let none = HubUploadFacts::default();
            let hub = hub.unwrap_or(&none);
            let claimed = report.and_then(|r| r.upload.receipt_id.clone());
            Delivered {
                pages_received: hub.pages_received.max(hub.pages_verified),
                pages_verified: if hub.bundle_verified { hub.pages_verified } else { 0 },
                verified: hub.bundle_verified,
                receipt_id: hub.receipt_id.clone(),
                unconfirmed_receipt_claim: claimed.is_some() && (!hub.bundle_verified || hub.receipt_id != claimed),
            }
        }
        UploadTruth::BoxReports => {
            let Some(r) = report else { return Delivered::default() };
            let verified = r.upload.receipt_id.is_some();
            let received = if verified || (r.upload.bytes_total > 0 && r.upload.bytes_done >= r.upload.bytes_total) {
                r.pages.scanned
            } else if r.upload.bytes_total > 0 {
                (u128::from(r.pages.scanned) * u128::from(r.upload.bytes_done) / u128::from(r.upload.bytes_total)) as u64
            } else {
                0
            };
            Delivered { pages_received: received, pages_verified: if verified { r.pages.scanned } else { 0 }, verified, receipt_id: r.upload.receipt_id.clone(), unconfirmed_receipt_claim: false }
        }
    }
}

/// The colour of an exam point's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Deadline passed without a verified upload.
    Late,
    /// No report for longer than `silent_after`.
    Silent,
    /// Active work without progress for longer than `stalled_after`.
    Stalled,
    /// The measured rate cannot meet the deadline, or materials are missing at the start.
    AtRisk,
    OnTrack,
    /// Nothing expected yet: the materials window has not opened.
    NotStarted,
    /// Uploaded and verified by the hub: the only "done".
    Done,
}

impl Health {
    pub const ALL: [Health; 7] = [Health::Late, Health::Silent, Health::Stalled, Health::AtRisk, Health::OnTrack, Health::NotStarted, Health::Done];

    /// 0 is the worst; the dashboard sorts by it.
    pub fn severity(self) -> u8 {
        match self {
            Health::Late => 0,
            Health::Silent => 1,
            Health::Stalled => 2,
            Health::AtRisk => 3,
            Health::OnTrack => 4,
            Health::NotStarted => 5,
            Health::Done => 6,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Health::Late => "late",
            Health::Silent => "silent",
            Health::Stalled => "stalled",
            Health::AtRisk => "at_risk",
            Health::OnTrack => "on_track",
            Health::NotStarted => "not_started",
            Health::Done => "done",
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Health::Late => "срок пропущен",
            Health::Silent => "нет связи",
            Health::Stalled => "нет движения",
            Health::AtRisk => "под угрозой",
            Health::OnTrack => "в графике",
            Health::NotStarted => "ещё не начато",
            Health::Done => "выгружено, проверено",
        }
    }

    /// CSS colour of the row.
    pub fn colour(self) -> &'static str {
        match self {
            Health::Late => "#b71c1c",
            Health::Silent => "#6a1b9a",
            Health::Stalled => "#bf360c",
            Health::AtRisk => "#8c6d00",
            Health::OnTrack => "#1565c0",
            Health::NotStarted => "#757575",
            Health::Done => "#2e7d32",
        }
    }
}

/// Thresholds, from `hub.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRules {
    pub silent_after: Duration,
    pub stalled_after: Duration,
    /// Window the upload rate is measured over.
    pub rate_window: Duration,
}

impl StatusRules {
    pub fn from_config(cfg: &crate::config::HubFileConfig) -> Self {
        Self {
            // A value past what a duration holds means "never" (Duration::seconds would panic).
            silent_after: i64::try_from(cfg.silent_after_secs).ok().and_then(Duration::try_seconds).unwrap_or(Duration::MAX),
            stalled_after: i64::try_from(cfg.stalled_after_secs).ok().and_then(Duration::try_seconds).unwrap_or(Duration::MAX),
            rate_window: Duration::minutes(5),
        }
    }
}

impl Default for StatusRules {
    fn default() -> Self {
        Self::from_config(&crate::config::HubFileConfig::with_defaults())
    }
}

/// The newest report of a point with the hub's arrival time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrived {
    pub report: HeartbeatReport,
    pub received_at: DateTime<Utc>,
}

/// Everything the judgement of one point looks at.
#[derive(Debug, Clone)]
pub struct PointInputs<'a> {
    pub schedule: Schedule,
    pub latest: Option<&'a Arrived>,
    pub last_progress_at: Option<DateTime<Utc>>,
    pub samples: &'a [ProgressSample],
    pub delivered: &'a Delivered,
}

/// The judgement of one point at `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointStatus {
    pub health: Health,
    /// Why, in Russian, for the operator.
    pub reason: String,
    pub rate_bytes_per_second: Option<f64>,
    pub eta_seconds: Option<f64>,
}

/// Judges one exam point: done (verified) beats everything; then late, silent, stalled, at
/// risk, on track. Never "late" before the deadline; never "done" without verification.
pub fn point_status(input: &PointInputs<'_>, rules: &StatusRules, now: DateTime<Utc>) -> PointStatus {
    let status = |health: Health, reason: String| PointStatus { health, reason, rate_bytes_per_second: None, eta_seconds: None };
    if input.delivered.verified {
        return status(Health::Done, "выгрузка принята РЦОИ, квитанция выдана".into());
    }
    let s = input.schedule;
    if now > s.deadline {
        return status(Health::Late, format!("срок выгрузки истёк {} назад", minutes_text(now - s.deadline)));
    }
    let Some(latest) = input.latest else {
        if now < s.window_open {
            return status(Health::NotStarted, "окно выдачи материалов ещё не открыто".into());
        }
        return status(Health::Silent, "станция ППЭ ни разу не выходила на связь".into());
    };
    let age = now - latest.received_at;
    if age > rules.silent_after {
        return status(Health::Silent, format!("нет отчётов {}", minutes_text(age)));
    }
    let r = &latest.report;
    let upload_active = r.upload.bytes_total > 0 && r.upload.bytes_done < r.upload.bytes_total;
    if r.stage.is_active_work() || upload_active {
        let quiet = input.last_progress_at.map(|t| now - t).unwrap_or(age);
        if quiet > rules.stalled_after {
            return status(Health::Stalled, format!("этап «{}» без движения {}", r.stage.title_ru(), minutes_text(quiet)));
        }
    }
    let left = s.deadline - now;
    let left_secs = left.num_milliseconds() as f64 / 1000.0;
    if upload_active {
        let rate = measured_rate(input.samples, rules.rate_window);
        let remaining = (r.upload.bytes_total - r.upload.bytes_done) as f64;
        let eta = rate.and_then(|r| (r > 0.0).then(|| remaining / r));
        let with = |health, reason| PointStatus { health, reason, rate_bytes_per_second: rate, eta_seconds: eta };
        return match (rate, eta) {
            (Some(_), Some(eta)) if eta > left_secs => with(
                Health::AtRisk,
                format!("при текущей скорости нужно ещё {}, до срока {}", minutes_text(Duration::seconds(eta.min(1e9) as i64)), minutes_text(left)),
            ),
            (Some(_), None) => with(Health::AtRisk, format!("выгрузка не движется, до срока {}", minutes_text(left))),
            _ => with(Health::OnTrack, format!("выгрузка идёт, до срока {}", minutes_text(left))),
        };
    }
    if now >= s.start && !r.materials.verified && matches!(r.stage, Stage::Waiting | Stage::Pulling | Stage::Unknown) {
        return status(Health::AtRisk, "экзамен начался, а проверенных материалов в ППЭ нет".into());
    }
    if input.delivered.unconfirmed_receipt_claim {
        return status(Health::AtRisk, "станция сообщает о квитанции, которой нет в РЦОИ".into());
    }
    if now < s.window_open && r.stage == Stage::Waiting {
        return status(Health::NotStarted, "на связи, окно выдачи материалов ещё не открыто".into());
    }
    status(Health::OnTrack, format!("этап «{}», до срока выгрузки {}", r.stage.title_ru(), minutes_text(left)))
}

#[cfg(test)]
mod schedule_tests {
    use super::*;
    use crate::model::tests::point;
    use crate::model::ExamKind;

    fn t(s: &str) -> DateTime<Utc> {
        super::super::parse_time(s).unwrap()
    }

    /// Found writing the config_toml fuzz target: `silent_after_secs = 9223372036854775807` in
    /// hub.toml made `Duration::seconds` panic at the hub's start.
    #[test]
    fn status_rules_from_a_huge_config_value_mean_never_instead_of_a_panic() {
        let mut cfg = crate::config::HubFileConfig::with_defaults();
        (cfg.silent_after_secs, cfg.stalled_after_secs) = (i64::MAX as u64, u64::MAX);
        let rules = StatusRules::from_config(&cfg);
        assert_eq!((rules.silent_after, rules.stalled_after), (Duration::MAX, Duration::MAX));
        cfg.silent_after_secs = 300;
        assert_eq!(StatusRules::from_config(&cfg).silent_after, Duration::seconds(300));
    }

    const EXTRA: TimeNeed = TimeNeed { admitted: true, extra_time: true };
    const PLAIN: TimeNeed = TimeNeed { admitted: true, extra_time: false };

    #[test]
    fn a_point_without_ovz_participants_keeps_the_planned_end() {
        let exam = crate::monitoring::tests::exam();
        let s = Schedule::at_point(&exam, None, [PLAIN, PLAIN]).unwrap();
        assert_eq!(
            (s.window_open, s.start, s.end, s.deadline),
            (t("2027-05-27T02:00:00Z"), t("2027-05-27T03:00:00Z"), t("2027-05-27T06:55:00Z"), t("2027-05-27T07:55:00Z"))
        );
        assert_eq!(Schedule::at_point(&exam, None, []), Some(s), "nobody registered: nothing extends the day");
        let without_admission = TimeNeed { admitted: false, extra_time: true };
        assert_eq!(
            Schedule::at_point(&exam, None, [PLAIN, without_admission]),
            Some(s),
            "a participant without допуск is not expected, so cannot extend the day"
        );
    }

    #[test]
    fn one_extra_time_participant_moves_the_end_by_the_exams_extra_time() {
        let exam = crate::monitoring::tests::exam();
        let s = Schedule::at_point(&exam, None, [PLAIN, EXTRA]).unwrap();
        assert_eq!((s.end, s.deadline), (t("2027-05-27T08:25:00Z"), t("2027-05-27T09:25:00Z")), "written: +90 min");
        let oral = Exam {
            kind: ExamKind::Ege,
            subject_code: "29".into(),
            subject_name: "Английский язык (устная часть)".into(),
            duration_min: 17,
            ..exam.clone()
        };
        let s = Schedule::at_point(&oral, None, [EXTRA]).unwrap();
        assert_eq!((s.end - s.start).num_minutes(), 17 + 30, "oral part: +30 min");
        let interview = Exam { kind: ExamKind::Interview, level: 9, duration_min: 15, ..exam };
        let s = Schedule::at_point(&interview, None, [EXTRA]).unwrap();
        assert_eq!((s.end - s.start).num_minutes(), 15 + 30, "ИС-9: +30 min");
    }

    #[test]
    fn an_interview_is_due_days_later_so_the_next_day_is_in_time_and_ten_days_later_is_late() {
        let exam = Exam {
            kind: ExamKind::Interview,
            level: 9,
            subject_code: "01".into(),
            subject_name: "Итоговое собеседование".into(),
            ..crate::monitoring::tests::exam()
        };
        let s = Schedule::at_point(&exam, Some(&point("0101", Some(420))), [EXTRA]).unwrap();
        assert_eq!(s.deadline, t("2027-06-02T16:59:00Z"), "the exam date + 6 days at 23:59 +07 (seed 002), whatever the end");
        assert_eq!(s.window_open, t("2027-05-27T00:30:00Z"), "КИМ from 07:30 +07");
        let delivered = Delivered::default();
        let input = PointInputs { schedule: s, latest: None, last_progress_at: None, samples: &[], delivered: &delivered };
        let health = |now| point_status(&input, &StatusRules::default(), now).health;
        assert_eq!(health(s.end + Duration::days(1)), Health::Silent, "the next day: not late (only silent: no report yet)");
        assert_eq!(health(s.end + Duration::days(10)), Health::Late);
        let written = Schedule::at_point(&crate::monitoring::tests::exam(), Some(&point("0101", Some(420))), [EXTRA]).unwrap();
        let input = PointInputs { schedule: written, ..input };
        assert_eq!(
            point_status(&input, &StatusRules::default(), written.end + Duration::days(1)).health,
            Health::Late,
            "a written exam the next day is late"
        );
    }

    #[test]
    fn the_same_exam_at_a_tomsk_point_and_a_moscow_point_has_each_points_own_instants() {
        let exam = crate::monitoring::tests::exam();
        let tomsk = Schedule::at_point(&exam, Some(&point("0101", Some(420))), []).unwrap();
        let moscow = Schedule::at_point(&exam, Some(&point("0202", Some(180))), []).unwrap();
        assert_eq!(tomsk.start, t("2027-05-27T03:00:00Z"), "10:00 UTC+7");
        assert_eq!(moscow.start, t("2027-05-27T07:00:00Z"), "10:00 UTC+3");
        assert_eq!(moscow.window_open - tomsk.window_open, Duration::hours(4));
        assert_eq!(moscow.deadline - tomsk.deadline, Duration::hours(4));
        let legacy = Schedule::at_point(&Exam { utc_offset_min: 180, ..exam }, Some(&point("0303", None)), []).unwrap();
        assert_eq!(legacy, moscow, "a point without its own offset keeps the exam's");
    }

    #[test]
    fn a_plan_gives_the_schedule_of_the_participants_registered_at_that_point_for_that_exam() {
        let mut plan =
            crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 2, participants: 80, ..Default::default() });
        for p in &mut plan.participants {
            p.conditions.extra_time = false;
        }
        let exam = plan.exams[0].clone();
        let ppe = plan.registrations.iter().find(|r| r.exam_id == exam.exam_id).unwrap().ppe_code.clone();
        let other_exam = plan.exams.iter().find(|e| e.exam_id != exam.exam_id).unwrap().exam_id.clone();
        let plain = Schedule::in_plan(&plan, &exam, &ppe).unwrap();
        // Someone with extra time registered for the other exam, or at another point: no change.
        let elsewhere: Vec<String> =
            plan.registrations.iter().filter(|r| r.exam_id == other_exam || r.ppe_code != ppe).map(|r| r.participant_id.clone()).collect();
        let here: Vec<String> =
            plan.registrations.iter().filter(|r| r.exam_id == exam.exam_id && r.ppe_code == ppe).map(|r| r.participant_id.clone()).collect();
        let only_elsewhere = elsewhere.iter().find(|id| !here.contains(id)).unwrap().clone();
        plan.participants.iter_mut().find(|p| p.participant_id == only_elsewhere).unwrap().conditions.extra_time = true;
        assert_eq!(Schedule::in_plan(&plan, &exam, &ppe), Some(plain));
        plan.participants.iter_mut().find(|p| p.participant_id == here[0]).unwrap().conditions.extra_time = true;
        let extended = Schedule::in_plan(&plan, &exam, &ppe).unwrap();
        assert_eq!(extended.deadline - plain.deadline, Duration::minutes(90));
        assert_eq!(Schedule::in_plan(&plan.for_exam_point(&ppe), &exam, &ppe), Some(extended), "the box's slice gives the same");
    }
}
