//! Technical readiness on the wire: what a box found about its stations the day before an exam
//! (`POST /v1/readiness`, JSON, snake_case) and the hub's answer. The report carries facts and
//! the limits they were judged by, not only verdicts: the hub judges them again with the same
//! pure rules (`readiness::judge`), and measures the clock offset itself.

use serde::{Deserialize, Serialize};

/// The numbers a readiness run is judged by (region data; `[readiness]` of `ppe.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadinessLimits {
    /// The scanner must scan blanks at least at this resolution.
    pub min_scanner_dpi: u32,
    /// The box's clock may differ from the hub's by at most this much.
    pub max_clock_offset_secs: u32,
    /// Free space the box's state folder must have (scans of the day, the bundle).
    pub min_free_disk_mb: u64,
}

impl Default for ReadinessLimits {
    fn default() -> Self {
        Self { min_scanner_dpi: 300, max_clock_offset_secs: 60, min_free_disk_mb: 2048 }
    }
}

/// The test page a station printed: its sheet number (kind Statement), the CUPS job and
/// whether its code came back from the scanner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestPageFacts {
    pub sheet_number: u32,
    #[serde(default)]
    pub cups_job_id: Option<i64>,
    /// `printing::JobState` code after following the job (`completed`, `stopped`, …), or
    /// `failed` when CUPS refused it.
    pub job_state: String,
    /// CUPS's reason when the job did not complete.
    #[serde(default)]
    pub job_reason: String,
    pub printed_at: String,
    /// When the page's code was decoded from a scan (RFC 3339); `None`: not scanned back.
    #[serde(default)]
    pub scanned_at: Option<String>,
}

/// A station's printer as found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterFacts {
    /// CUPS queue.
    pub queue: String,
    /// CUPS answered for the queue and it is not stopped.
    pub reachable: bool,
    /// CUPS's state message, or why it could not be asked.
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub test_page: Option<TestPageFacts>,
}

/// One station: the staff room's (`staff`) or an auditorium's printing station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationFacts {
    /// `staff` or `room-<auditorium>`.
    pub station: String,
    #[serde(default)]
    pub auditorium: Option<String>,
    pub printer: PrinterFacts,
}

/// The staff room's scanner.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScannerFacts {
    /// SANE device, empty for none.
    pub device: String,
    /// The network scanner's inbox folder, when configured.
    pub inbox: Option<String>,
    /// The device was listed by SANE, or the inbox folder exists and is writable.
    pub reachable: bool,
    pub detail: String,
    /// The resolution the box scans at (`[scanner] resolution_dpi`, 0 there is 300).
    pub configured_dpi: u32,
    /// The highest resolution the device offers (`scanimage -A`), when it could be asked.
    pub device_max_dpi: Option<u32>,
}

/// The exam's package on the box and what its activation needs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PackageFacts {
    /// A signed manifest was accepted.
    pub manifest_version: Option<u64>,
    pub files_total: u32,
    /// Files whose ciphertext is on disk and verified against the manifest.
    pub files_verified: u32,
    /// The box's X25519 secret (the key is wrapped to it) is present and well-formed.
    pub unwrap_key_present: bool,
    /// The hub's signing key is pinned (not the placeholder).
    pub hub_key_pinned: bool,
    /// ГЭК members the plan assigns to the point on the exam's date (the key is activated only
    /// with one's personal credential).
    pub gek_members: u32,
}

/// What is checked once for the point (in the staff room).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PointFacts {
    /// Box clock minus hub clock, milliseconds; `None`: the hub's signed time was not had.
    pub clock_offset_ms: Option<i64>,
    pub free_disk_bytes: Option<u64>,
    pub scanner: ScannerFacts,
    pub package: PackageFacts,
}

/// Everything a readiness run found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadinessFacts {
    pub stations: Vec<StationFacts>,
    pub point: PointFacts,
}

/// The body of `POST /v1/readiness` (the box is known by its enrolled certificate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessReport {
    pub ppe_code: String,
    pub exam_id: String,
    /// The box's clock when it built the report (the hub measures the offset from it).
    pub box_time: String,
    /// When the run began (box clock).
    pub run_at: String,
    pub limits: ReadinessLimits,
    pub facts: ReadinessFacts,
}

/// The hub's answer: what it judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessAck {
    pub received_at: String,
    pub ready: bool,
    /// The failing checks in Russian, as the dashboard shows them.
    pub failing: Vec<String>,
    /// The offset the hub measured (box − hub), milliseconds.
    pub clock_offset_ms: i64,
}

/// A report's bounds: a point has a few dozen stations.
pub const MAX_STATIONS: usize = 200;
pub const MAX_TEXT_LEN: usize = 300;
