//! What one box may store on the hub and how many of its requests run at once (issue 15,
//! hole 3). A box's allowance follows from the plan: the pages its point can produce for an
//! exam (participants registered there × the sheets of a kit, the machine-read statements of
//! its auditoriums) times a margin for rescans and additional sheets, plus the structured
//! records; its quota is that many files of `page_bytes` each. Exams the plan does not hold at
//! the point share one small allowance, so made-up exam ids cannot multiply it. The rule is
//! [`allowance`], a pure function; [`check_creation`] applies it (and the size and disk checks)
//! to a creation; [`Concurrency`] caps the upload requests served at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::HubLimitsConfig;
use crate::upload::store::BoxUsage;

/// Sheets in the longest kit a participant can get (`model::kit::MAX_KIT_SHEETS`: registration
/// form, answer sheet 1, two answer sheets 2); shorter kits stay well inside the allowance.
pub const KIT_SHEETS: u64 = 4;
/// Pages of machine-read statements per auditorium (ППЭ-12-04-МАШ: 3) and per point
/// (ППЭ-13-02-МАШ: 2, ППЭ-18-МАШ: one per observer, up to 4), as `printing::inputs::sheet_needs`
/// budgets them.
pub const STATEMENT_PAGES_PER_AUDITORIUM: u64 = 3;
pub const STATEMENT_PAGES_PER_POINT: u64 = 6;
/// Structured files of a bundle besides pages: `record.json`, one record per statement form
/// and auditorium.
pub const RECORD_FILES_PER_POINT: u64 = 3;

/// What a box may store for one exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub files: u64,
    pub bytes: u64,
}

/// The box's allowance for an exam from what the plan expects at its point. `registered == 0`
/// (the plan does not hold the exam there) gives the shared allowance of unplanned exams.
pub fn allowance(registered: u64, auditoriums: u64, limits: &HubLimitsConfig) -> Allowance {
    let files = if registered == 0 {
        limits.unplanned_files
    } else {
        let pages = registered * KIT_SHEETS + auditoriums * STATEMENT_PAGES_PER_AUDITORIUM + auditoriums / 25 + STATEMENT_PAGES_PER_POINT;
        let with_margin = (pages.saturating_mul(limits.margin_percent.max(100)) + 99) / 100;
        with_margin + auditoriums + RECORD_FILES_PER_POINT
    };
    Allowance { files, bytes: files.saturating_mul(limits.page_bytes) }
}

/// Why a creation is refused before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitRefusal {
    /// 413.
    #[error("загрузка {length} байт больше допустимых {max}")]
    TooLarge { length: u64, max: u64 },
    /// 429: the box holds as many files for the exam as its point can produce.
    #[error("у ППЭ по этому экзамену уже {files} файлов, допускается {allowed}")]
    TooManyFiles { files: u64, allowed: u64 },
    /// 507: the box's bytes for the exam would pass its quota.
    #[error("у ППЭ по этому экзамену было бы {would} байт, квота {quota}")]
    OverQuota { would: u64, quota: u64 },
    /// 507: the hub's upload disk would be left with less than its reserve.
    #[error("на диске загрузок РЦОИ свободно {free} байт, резерв {reserve}")]
    DiskFull { free: u64, reserve: u64 },
    /// 429: too many upload requests at once (all boxes, or this one).
    #[error("слишком много одновременных загрузок ({0})")]
    Busy(&'static str),
}

impl LimitRefusal {
    /// Stable code for the protocol's error body.
    pub fn code(&self) -> &'static str {
        match self {
            LimitRefusal::TooLarge { .. } => "too_large",
            LimitRefusal::TooManyFiles { .. } => "too_many_files",
            LimitRefusal::OverQuota { .. } => "over_quota",
            LimitRefusal::DiskFull { .. } => "hub_disk_full",
            LimitRefusal::Busy(_) => "busy",
        }
    }

    pub fn message_ru(&self) -> String {
        match self {
            LimitRefusal::TooLarge { length, max } => format!("файл {length} байт больше допустимого ({max} байт)"),
            LimitRefusal::TooManyFiles { files, allowed } => {
                format!("ППЭ уже передал {files} файлов по этому экзамену, больше, чем может дать план ППЭ ({allowed}); обратитесь в РЦОИ")
            }
            LimitRefusal::OverQuota { would, quota } => {
                format!("превышена квота ППЭ по этому экзамену: {would} байт из {quota} допустимых; обратитесь в РЦОИ")
            }
            LimitRefusal::DiskFull { .. } => "на диске РЦОИ нет места для приёма файлов; повторите позже".into(),
            LimitRefusal::Busy(_) => "РЦОИ сейчас принимает слишком много файлов; повторите через несколько секунд".into(),
        }
    }

    /// HTTP status of the refusal.
    pub fn status(&self) -> u16 {
        match self {
            LimitRefusal::TooLarge { .. } => 413,
            LimitRefusal::TooManyFiles { .. } | LimitRefusal::Busy(_) => 429,
            LimitRefusal::OverQuota { .. } | LimitRefusal::DiskFull { .. } => 507,
        }
    }
}

/// The checks of one creation of `length` bytes, given what the box stores (`usage`) and the
/// free bytes of the upload disk (`None` when unknown: not refused for it).
pub fn check_creation(length: u64, usage: &BoxUsage, free_disk: Option<u64>, limits: &HubLimitsConfig) -> Result<(), LimitRefusal> {
    if length > limits.max_upload_bytes {
        return Err(LimitRefusal::TooLarge { length, max: limits.max_upload_bytes });
    }
    let allowed = allowance(usage.registered, usage.auditoriums, limits);
    if usage.files >= allowed.files {
        return Err(LimitRefusal::TooManyFiles { files: usage.files, allowed: allowed.files });
    }
    let would = usage.bytes.saturating_add(length);
    if would > allowed.bytes {
        return Err(LimitRefusal::OverQuota { would, quota: allowed.bytes });
    }
    if let Some(free) = free_disk {
        if free < length.saturating_add(limits.min_free_disk_bytes) {
            return Err(LimitRefusal::DiskFull { free, reserve: limits.min_free_disk_bytes });
        }
    }
    Ok(())
}

/// The disk check of an append to an upload that still needs `rest` bytes: refused (507)
/// when they would eat into the reserve, so a disk that filled after the creation refuses
/// before any body byte is read (`None`: free space unknown, nothing refused).
pub fn check_append(rest: u64, free_disk: Option<u64>, limits: &HubLimitsConfig) -> Result<(), LimitRefusal> {
    match free_disk {
        Some(free) if free < rest.saturating_add(limits.min_free_disk_bytes) => {
            Err(LimitRefusal::DiskFull { free, reserve: limits.min_free_disk_bytes })
        }
        _ => Ok(()),
    }
}

/// Free bytes (for an unprivileged writer) of the filesystem holding `path`.
pub fn free_bytes(path: &std::path::Path) -> Option<u64> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

/// Upload requests served at once: by all boxes, and by each box.
pub struct Concurrency {
    global: Arc<Semaphore>,
    per_box: u32,
    boxes: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Held while a request is served.
pub struct Slot {
    _global: OwnedSemaphorePermit,
    _own: OwnedSemaphorePermit,
}

impl Concurrency {
    pub fn new(global: u32, per_box: u32) -> Self {
        Self { global: Arc::new(Semaphore::new(global.max(1) as usize)), per_box: per_box.max(1), boxes: Mutex::new(HashMap::new()) }
    }

    /// A slot for a request of `ppe_code`, or the refusal (never waits: a box retries).
    pub fn try_enter(&self, ppe_code: &str) -> Result<Slot, LimitRefusal> {
        let own = {
            let mut boxes = self.boxes.lock().unwrap_or_else(|p| p.into_inner());
            // Boxes with nothing in flight are forgotten (a hub sees a region's boxes).
            if boxes.len() > 4096 {
                boxes.retain(|_, s| Arc::strong_count(s) > 1);
            }
            boxes.entry(ppe_code.to_string()).or_insert_with(|| Arc::new(Semaphore::new(self.per_box as usize))).clone()
        };
        let own = own.try_acquire_owned().map_err(|_| LimitRefusal::Busy("this exam point"))?;
        let global = self.global.clone().try_acquire_owned().map_err(|_| LimitRefusal::Busy("all exam points"))?;
        Ok(Slot { _global: global, _own: own })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> HubLimitsConfig {
        HubLimitsConfig { page_bytes: 1000, max_upload_bytes: 5000, unplanned_files: 4, min_free_disk_bytes: 100, ..HubLimitsConfig::default() }
    }

    #[test]
    fn the_kit_size_is_attendances() {
        assert_eq!(KIT_SHEETS, crate::model::kit::MAX_KIT_SHEETS as u64);
    }

    #[test]
    fn the_allowance_grows_with_the_points_plan_and_unplanned_exams_share_a_small_one() {
        let l = limits();
        // 30 participants in 2 auditoriums: 120 kit sheets + 6 + 0 + 6 statement pages = 132,
        // doubled (264) plus 2 + 3 records.
        assert_eq!(allowance(30, 2, &l), Allowance { files: 269, bytes: 269_000 });
        assert!(allowance(31, 2, &l).files > allowance(30, 2, &l).files, "one more participant, more files");
        assert!(allowance(30, 3, &l).files > allowance(30, 2, &l).files, "one more auditorium, more statements");
        assert_eq!(allowance(0, 7, &l), Allowance { files: 4, bytes: 4000 }, "no registration here: the shared allowance");
        let tight = HubLimitsConfig { margin_percent: 50, ..l.clone() };
        assert_eq!(allowance(30, 2, &tight).files, 132 + 5, "a margin below 100 % still takes every expected page");
        let huge = HubLimitsConfig { page_bytes: u64::MAX, ..l };
        assert_eq!(allowance(30, 2, &huge).bytes, u64::MAX, "saturates, never wraps");
    }

    #[test]
    fn a_creation_is_refused_for_size_count_quota_and_disk_in_that_order() {
        let l = limits();
        let usage = |files, bytes| BoxUsage { registered: 0, auditoriums: 0, files, bytes };
        assert_eq!(check_creation(4000, &usage(0, 0), Some(1 << 20), &l), Ok(()), "the unplanned allowance, all of it");
        assert_eq!(check_creation(5001, &usage(9, 9999), Some(0), &l).unwrap_err().status(), 413);
        let many = check_creation(1, &usage(4, 0), Some(1 << 20), &l).unwrap_err();
        assert_eq!((many.status(), many.code()), (429, "too_many_files"));
        let quota = check_creation(1001, &usage(3, 3000), Some(1 << 20), &l).unwrap_err();
        assert_eq!(quota, LimitRefusal::OverQuota { would: 4001, quota: 4000 });
        assert_eq!(quota.status(), 507);
        assert_eq!(check_creation(1000, &usage(3, 3000), Some(1 << 20), &l), Ok(()), "exactly the quota fits");
        let disk = check_creation(1000, &usage(0, 0), Some(1099), &l).unwrap_err();
        assert_eq!((disk.status(), disk.code()), (507, "hub_disk_full"));
        assert_eq!(check_creation(1000, &usage(0, 0), None, &l), Ok(()), "an unknown free space refuses nothing");
        assert!(disk.message_ru().contains("РЦОИ"));
    }

    #[test]
    fn an_append_the_disk_cannot_take_is_refused_and_one_it_can_passes() {
        let l = limits();
        assert_eq!(check_append(1000, Some(1100), &l), Ok(()), "the rest and the reserve fit exactly");
        let full = check_append(1000, Some(1099), &l).unwrap_err();
        assert_eq!((full.status(), full.code()), (507, "hub_disk_full"));
        assert_eq!(check_append(u64::MAX, None, &l), Ok(()), "an unknown free space refuses nothing");
    }

    #[test]
    fn concurrency_is_capped_per_box_and_for_all() {
        let c = Concurrency::new(3, 2);
        let a1 = c.try_enter("A").unwrap();
        let _a2 = c.try_enter("A").unwrap();
        assert_eq!(c.try_enter("A").err(), Some(LimitRefusal::Busy("this exam point")));
        let _b1 = c.try_enter("B").unwrap();
        assert_eq!(c.try_enter("C").err(), Some(LimitRefusal::Busy("all exam points")));
        drop(a1);
        assert!(c.try_enter("A").is_ok(), "a finished request frees its slot");
    }
}
