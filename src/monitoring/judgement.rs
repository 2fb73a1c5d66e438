//! The pure judgement of one exam point against its upload deadline: its schedule, what
//! reached the hub (from the hub's records or the box's word), the measured rate, and the
//! colour (late, silent, stalled, at risk, on track, not started, done) with its reason.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::text::minutes_text;
use super::{HeartbeatReport, ProgressSample, Stage};
use crate::model::Exam;

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
    pub deadline: DateTime<Utc>,
}

impl Schedule {
    /// `extended_time`: the point has a participant with +1.5 h (ОВЗ), so its end is later.
    pub fn for_point(exam: &Exam, extended_time: bool) -> Option<Schedule> {
        let (window_open, _) = exam.materials_window()?;
        let latest_end = if extended_time { exam.extended_end_utc()? } else { exam.end_utc()? };
        Some(Schedule { window_open, start: exam.start_utc()?, deadline: exam.upload_deadline(latest_end) })
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
            Health::Stalled => "#e65100",
            Health::AtRisk => "#f9a825",
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
            silent_after: Duration::seconds(cfg.silent_after_secs.min(i64::MAX as u64) as i64),
            stalled_after: Duration::seconds(cfg.stalled_after_secs.min(i64::MAX as u64) as i64),
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
