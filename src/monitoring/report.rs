//! The heartbeat a box sends every interval: the checks the hub runs before it believes
//! anything in it, the refusals, and what counts as progress. The wire shapes themselves are
//! `protocol::heartbeat`, re-exported here for the monitoring room.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::protocol::heartbeat::{
    AttendanceReport, FilesReport, HeartbeatAck, HeartbeatReport, MaterialsReport, PagesReport, Stage, UploadReport,
};

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
        let f = &self.files;
        if !f.kind.is_empty() && !is_code(&f.kind) {
            return bad("files.kind: ожидается код вида файлов");
        }
        if f.expected > 0 && (f.taken > f.expected || f.missing > f.expected) {
            return bad("files: принято или недостаёт больше, чем ожидается");
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
        || next.files.taken > prev.files.taken
        || next.materials != prev.materials
        || next.upload.receipt_id != prev.upload.receipt_id
}
