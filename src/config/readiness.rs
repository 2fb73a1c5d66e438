//! `[readiness]` of `ppe.toml`: the region's numbers of the technical readiness check the day
//! before an exam (DOMAIN.md §2) and the CUPS queue of each auditorium's printing station. The
//! rules that use them are `readiness`'s; this is only the data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::protocol::readiness::ReadinessLimits;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReadinessConfig {
    /// The scanner must scan blanks at least at this resolution. Default 300.
    pub min_scanner_dpi: u32,
    /// The box's clock may differ from the hub's by at most this many seconds. Default 60.
    pub max_clock_offset_secs: u32,
    /// Free space the state folder must have, MiB. Default 2048.
    pub min_free_disk_mb: u64,
    /// How long a test page's CUPS job is followed before it is judged. Default 60 s.
    pub test_print_wait_secs: u64,
    /// Auditorium → the CUPS queue of its printing station; an auditorium not named prints on
    /// `[printer] name`.
    pub printers: BTreeMap<String, String>,
}

impl Default for ReadinessConfig {
    fn default() -> Self {
        let limits = ReadinessLimits::default();
        Self {
            min_scanner_dpi: limits.min_scanner_dpi,
            max_clock_offset_secs: limits.max_clock_offset_secs,
            min_free_disk_mb: limits.min_free_disk_mb,
            test_print_wait_secs: 60,
            printers: BTreeMap::new(),
        }
    }
}

impl ReadinessConfig {
    pub fn limits(&self) -> ReadinessLimits {
        ReadinessLimits {
            min_scanner_dpi: self.min_scanner_dpi,
            max_clock_offset_secs: self.max_clock_offset_secs,
            min_free_disk_mb: self.min_free_disk_mb,
        }
    }
}
