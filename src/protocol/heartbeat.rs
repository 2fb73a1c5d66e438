//! The heartbeat on the wire: what a box reports about one exam every
//! `heartbeat.interval_secs` (`POST /v1/heartbeat`, JSON, snake_case) and the hub's answer.
//! The hub's checks of a report and its judgement of a point are in `monitoring`.

use serde::{Deserialize, Serialize};

/// Where a box is in its exam day, as the box says; ordered along the day (unknown last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Plan synced, materials window not open yet.
    #[default]
    Waiting,
    /// Downloading and verifying the package, asking for the key.
    Pulling,
    /// Package verified and key held.
    MaterialsReady,
    Printing,
    /// Participants are writing.
    Exam,
    Scanning,
    Uploading,
    /// The box holds the hub's signed receipt.
    Uploaded,
    /// A stage this hub does not know (a newer box); shown, never refused.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MaterialsReport {
    pub pulled: bool,
    pub verified: bool,
    /// Version of the package manifest the box verified.
    pub manifest_version: Option<u64>,
    pub key_received: bool,
    pub printed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AttendanceReport {
    pub planned: u32,
    pub present: u32,
    pub absent: u32,
    pub removed: u32,
    pub early: u32,
    /// Attendance is closed: the number of expected pages is fixed.
    pub closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PagesReport {
    /// Present participants × sheets (fixed when attendance closes; 0 before).
    pub expected: u64,
    pub scanned: u64,
    pub missing: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadReport {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub files_done: u64,
    pub files_total: u64,
    /// The hub's receipt the box holds (the bundle manifest's SHA-256).
    pub receipt_id: Option<String>,
}

/// Audio recordings (oral exams) or КЕГЭ answer files, one per participant who sat, counted
/// on the box like pages. All zero (and `kind` empty) for a written exam and from old boxes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FilesReport {
    /// `recording` or `answer_file`; empty when the exam collects none.
    pub kind: String,
    /// Participants who sat (one file each); fixed when attendance closes, 0 before.
    pub expected: u64,
    /// Participants with an accepted file on the box.
    pub taken: u64,
    /// Participants who sat without an accepted file (none, or only a kept bad one).
    pub missing: u64,
    /// Files kept for a person to resolve (bad, unmatched, a second take).
    pub to_resolve: u64,
}

/// What a box reports every `heartbeat.interval_secs` (JSON, snake_case). Unknown fields are
/// ignored so that a newer box can report to an older hub.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HeartbeatReport {
    pub ppe_code: String,
    pub exam_id: String,
    /// The box's clock (RFC 3339) when it built the report; the hub derives the offset.
    pub box_time: String,
    pub stage: Stage,
    #[serde(default)]
    pub materials: MaterialsReport,
    #[serde(default)]
    pub seating_done: bool,
    #[serde(default)]
    pub attendance: AttendanceReport,
    #[serde(default)]
    pub pages: PagesReport,
    #[serde(default)]
    pub upload: UploadReport,
    /// Recordings or answer files (absent from boxes older than issue 18).
    #[serde(default)]
    pub files: FilesReport,
    #[serde(default)]
    pub alarms: Vec<String>,
    #[serde(default)]
    pub last_error: Option<String>,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeartbeatAck {
    pub accepted: bool,
    /// The hub's clock at arrival (the box logs its offset).
    pub hub_time: String,
    pub clock_offset_ms: i64,
}
