//! РЦОИ monitoring: the heartbeat a box sends, and the pure judgement of how every exam point
//! stands against its upload deadline (on track, at risk, stalled, late, done, silent), the
//! page funnel of an exam and the totals the dashboard shows. No I/O here; the hub's live
//! state, SQL and pages are in the parts below.
//!
//! - `live`: the hub's in-memory view of every point, the batched writer and the SSE ticker.
//! - `store`: SQL of heartbeats, timelines, notes, and the hub-side upload facts.
//! - `pages`: the axum router (heartbeat endpoint, dashboard, SSE, JSON, metrics, login).
//! - `accounts` + `accounts_store`: РЦОИ operator accounts (viewer, operator, admin).
//! - the box side (building a report and posting it every N seconds) is `edge/reporter.rs`.
//! - `cli`: `ppe hub status` and `ppe hub user`.

pub mod accounts;
pub mod accounts_store;
pub mod cli;
pub mod live;
pub mod pages;
pub mod store;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Exam;

// The heartbeat's wire shapes live in `protocol::heartbeat`; re-exported here for the
// monitoring room, which checks and judges them.
pub use crate::protocol::heartbeat::{AttendanceReport, HeartbeatReport, MaterialsReport, PagesReport, Stage, UploadReport};

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Waiting,
        Stage::Pulling,
        Stage::MaterialsReady,
        Stage::Printing,
        Stage::Exam,
        Stage::Scanning,
        Stage::Uploading,
        Stage::Uploaded,
        Stage::Unknown,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::Waiting => "waiting",
            Stage::Pulling => "pulling",
            Stage::MaterialsReady => "materials_ready",
            Stage::Printing => "printing",
            Stage::Exam => "exam",
            Stage::Scanning => "scanning",
            Stage::Uploading => "uploading",
            Stage::Uploaded => "uploaded",
            Stage::Unknown => "unknown",
        }
    }

    pub fn parse(code: &str) -> Stage {
        Stage::ALL.into_iter().find(|s| s.code() == code).unwrap_or(Stage::Unknown)
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Stage::Waiting => "ожидание",
            Stage::Pulling => "загрузка материалов",
            Stage::MaterialsReady => "материалы готовы",
            Stage::Printing => "печать",
            Stage::Exam => "экзамен идёт",
            Stage::Scanning => "сканирование",
            Stage::Uploading => "выгрузка",
            Stage::Uploaded => "выгружено",
            Stage::Unknown => "неизвестный этап",
        }
    }

    /// Work happens now and should show progress (a pause longer than the limit is a stall).
    pub fn is_active_work(self) -> bool {
        matches!(self, Stage::Pulling | Stage::Scanning | Stage::Uploading)
    }
}

/// Bounds on what a report may carry, so that a faulty box cannot fill the hub's memory.
pub const MAX_CODE_LEN: usize = 64;
pub const MAX_ALARMS: usize = 32;
pub const MAX_TEXT_LEN: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonitoringError {
    #[error("запрос без зарегистрированного клиентского сертификата ППЭ")]
    NoIdentity,
    #[error("отчёт от имени ППЭ {report}, а сертификат принадлежит ППЭ {identity}")]
    WrongExamPoint { identity: String, report: String },
    #[error("отчёт не принят: {0}")]
    Malformed(String),
    #[error("экзамен {0} не найден в плане РЦОИ")]
    UnknownExam(String),
    #[error("ППЭ {ppe_code} не назначен на экзамен {exam_id}")]
    NotAssigned { exam_id: String, ppe_code: String },
    #[error("база данных РЦОИ: {0}")]
    Store(String),
}

impl MonitoringError {
    /// Stable code for JSON answers and metrics labels.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoIdentity => "no_certificate",
            Self::WrongExamPoint { .. } => "wrong_exam_point",
            Self::Malformed(_) => "malformed",
            Self::UnknownExam(_) => "unknown_exam",
            Self::NotAssigned { .. } => "not_assigned",
            Self::Store(_) => "store",
        }
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_CODE_LEN && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl HeartbeatReport {
    /// Shape checks the hub runs before it believes anything in a report.
    pub fn check(&self) -> Result<DateTime<Utc>, MonitoringError> {
        let bad = |m: &str| Err(MonitoringError::Malformed(m.to_string()));
        if !is_code(&self.ppe_code) {
            return bad("ppe_code: ожидается код из букв, цифр, '-' или '_'");
        }
        if !is_code(&self.exam_id) {
            return bad("exam_id: ожидается код из букв, цифр, '-' или '_'");
        }
        let Ok(box_time) = DateTime::parse_from_rfc3339(&self.box_time) else { return bad("box_time: ожидается время RFC 3339") };
        if self.alarms.len() > MAX_ALARMS || self.alarms.iter().any(|a| a.chars().count() > MAX_TEXT_LEN) {
            return bad("alarms: слишком много или слишком длинные");
        }
        if self.last_error.as_deref().is_some_and(|e| e.chars().count() > MAX_TEXT_LEN) {
            return bad("last_error: слишком длинный текст");
        }
        if self.upload.receipt_id.as_deref().is_some_and(|r| !is_code(r)) {
            return bad("upload.receipt_id: ожидается идентификатор квитанции");
        }
        let u = &self.upload;
        if (u.bytes_total > 0 && u.bytes_done > u.bytes_total) || (u.files_total > 0 && u.files_done > u.files_total) {
            return bad("upload: выполнено больше, чем всего");
        }
        Ok(box_time.with_timezone(&Utc))
    }
}

/// Box clock minus hub clock at arrival, in milliseconds (network delay is within a second
/// and ignored: the dashboard shows offsets to warn of boxes minutes off).
pub fn clock_offset_ms(box_time: DateTime<Utc>, hub_received_at: DateTime<Utc>) -> i64 {
    (box_time - hub_received_at).num_milliseconds()
}

/// The numbers the rate and the stall detector look at, as the hub received them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressSample {
    pub at: DateTime<Utc>,
    pub bytes_done: u64,
    pub files_done: u64,
    pub pages_scanned: u64,
}

impl ProgressSample {
    pub fn of(report: &HeartbeatReport, at: DateTime<Utc>) -> Self {
        Self { at, bytes_done: report.upload.bytes_done, files_done: report.upload.files_done, pages_scanned: report.pages.scanned }
    }
}

/// Whether `next` shows the box moving since `prev` (the first report counts as movement).
pub fn made_progress(prev: Option<&HeartbeatReport>, next: &HeartbeatReport) -> bool {
    let Some(prev) = prev else { return true };
    prev.stage != next.stage
        || next.upload.bytes_done > prev.upload.bytes_done
        || next.upload.files_done > prev.upload.files_done
        || next.pages.scanned > prev.pages.scanned
        || next.materials != prev.materials
        || next.upload.receipt_id != prev.upload.receipt_id
}

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

fn minutes_text(d: Duration) -> String {
    let m = d.num_minutes();
    if m >= 60 {
        format!("{} ч {:02} мин", m / 60, m % 60)
    } else if m >= 1 {
        format!("{m} мин")
    } else {
        format!("{} с", d.num_seconds().max(0))
    }
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

/// Pages of an exam: expected → scanned → received → verified. Only verified is done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub expected: u64,
    pub scanned: u64,
    pub received: u64,
    pub verified: u64,
    /// Points whose expected number is fixed (attendance closed).
    pub points_with_expected: u32,
}

/// Points by health, for the totals on top of the dashboard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub points: u32,
    pub done: u32,
    pub on_track: u32,
    pub at_risk: u32,
    pub stalled: u32,
    pub late: u32,
    pub silent: u32,
    pub not_started: u32,
}

impl Totals {
    pub fn add(&mut self, h: Health) {
        self.points += 1;
        match h {
            Health::Done => self.done += 1,
            Health::OnTrack => self.on_track += 1,
            Health::AtRisk => self.at_risk += 1,
            Health::Stalled => self.stalled += 1,
            Health::Late => self.late += 1,
            Health::Silent => self.silent += 1,
            Health::NotStarted => self.not_started += 1,
        }
    }

    pub fn count(&self, h: Health) -> u32 {
        match h {
            Health::Done => self.done,
            Health::OnTrack => self.on_track,
            Health::AtRisk => self.at_risk,
            Health::Stalled => self.stalled,
            Health::Late => self.late,
            Health::Silent => self.silent,
            Health::NotStarted => self.not_started,
        }
    }
}

/// Before the start: which package version the boxes verified and whether keys went out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prestart {
    pub points: u32,
    /// The box verified the newest version the hub published for it.
    pub current_version_verified: u32,
    /// The box verified an older version than the newest published.
    pub outdated_version: u32,
    pub key_released: u32,
    pub key_received: u32,
    pub printed: u32,
}

/// One exam point on one exam, as the dashboard, the JSON API and `ppe hub status` show it.
/// Times are absolute (RFC 3339): clients count "time left" and "seen ago" themselves, so a
/// row changes only when something really changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRow {
    pub exam_id: String,
    pub ppe_code: String,
    pub name: String,
    pub ate_code: String,
    pub ate_name: String,
    pub stage: Stage,
    pub stage_since: Option<String>,
    pub health: Health,
    pub reason: String,
    pub deadline: String,
    pub last_seen_at: Option<String>,
    pub clock_offset_ms: Option<i64>,
    pub last_error: Option<String>,
    pub alarms: Vec<String>,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub files_done: u64,
    pub files_total: u64,
    /// Measured upload rate, bytes per second, rounded.
    pub rate_bytes_per_second: Option<u64>,
    pub pages_expected: u64,
    pub pages_scanned: u64,
    pub pages_received: u64,
    pub pages_verified: u64,
    pub seating_done: bool,
    pub attendance: AttendanceReport,
    pub materials: MaterialsReport,
    pub published_version: Option<u64>,
    pub key_released: bool,
    pub receipt_id: Option<String>,
}

impl PointRow {
    /// Worst first; within a colour the nearest deadline, then the code.
    pub fn sort_key(&self) -> (u8, String, String, String) {
        (self.health.severity(), self.deadline.clone(), self.ppe_code.clone(), self.exam_id.clone())
    }

    pub fn upload_percent(&self) -> Option<u8> {
        (self.bytes_total > 0).then(|| (u128::from(self.bytes_done.min(self.bytes_total)) * 100 / u128::from(self.bytes_total)) as u8)
    }
}

pub fn sort_worst_first(rows: &mut [PointRow]) {
    rows.sort_by_key(|a| a.sort_key());
}

/// Totals, funnel and pre-start view over some rows (an exam, or an exam and an АТЕ).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub totals: Totals,
    pub funnel: Funnel,
    pub prestart: Prestart,
}

pub fn summarize<'a>(rows: impl IntoIterator<Item = &'a PointRow>) -> Summary {
    let mut s = Summary::default();
    for r in rows {
        s.totals.add(r.health);
        s.funnel.expected += r.pages_expected;
        s.funnel.scanned += r.pages_scanned;
        s.funnel.received += r.pages_received;
        s.funnel.verified += r.pages_verified;
        if r.attendance.closed {
            s.funnel.points_with_expected += 1;
        }
        let p = &mut s.prestart;
        p.points += 1;
        match (r.materials.verified, r.materials.manifest_version, r.published_version) {
            (true, Some(v), Some(published)) if v >= published => p.current_version_verified += 1,
            (true, Some(_), Some(_)) => p.outdated_version += 1,
            (true, Some(_), None) => p.current_version_verified += 1,
            _ => {}
        }
        p.key_released += u32::from(r.key_released);
        p.key_received += u32::from(r.materials.key_received);
        p.printed += u32::from(r.materials.printed);
    }
    s
}

/// "1 ч 05 мин" left, or "−12 мин" past: the same text the dashboard's script writes.
pub fn time_left_text(deadline: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let d = deadline - now;
    if d < Duration::zero() {
        format!("−{}", minutes_text(-d))
    } else {
        minutes_text(d)
    }
}

/// "35 с назад", "4 мин назад".
pub fn seen_ago_text(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} назад", minutes_text((now - at).max(Duration::zero())))
}

/// "+2.5 с" or "−3 мин 10 с": how far the box's clock is off.
pub fn clock_offset_text(ms: i64) -> String {
    let sign = if ms < 0 { "−" } else { "+" };
    let a = ms.unsigned_abs();
    if a < 60_000 {
        format!("{sign}{:.1} с", a as f64 / 1000.0)
    } else {
        format!("{sign}{} мин {} с", a / 60_000, (a % 60_000) / 1000)
    }
}

/// Human bytes: "1.4 МБ".
pub fn bytes_text(b: u64) -> String {
    let units = ["Б", "КБ", "МБ", "ГБ", "ТБ"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b} Б")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
