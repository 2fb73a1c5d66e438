//! What the dashboard, the JSON API and `ppe hub status` show: one row per exam point and
//! exam, and the totals, page funnel and pre-start counts over a set of rows.

use serde::{Deserialize, Serialize};

use super::{AttendanceReport, FilesFunnel, FilesRow, Health, MaterialsReport, Stage};

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
    /// Recordings or КЕГЭ answer files (empty kind for a written exam).
    #[serde(default)]
    pub files: FilesRow,
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
    /// Points of oral exams: their recordings; of КЕГЭ: the answer files.
    #[serde(default)]
    pub recordings: FilesFunnel,
    #[serde(default)]
    pub answer_files: FilesFunnel,
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
        match r.files.kind.as_str() {
            super::files::RECORDING => s.recordings.add(&r.files),
            super::files::ANSWER_FILE => s.answer_files.add(&r.files),
            _ => {}
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
