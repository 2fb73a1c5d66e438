//! Retention: the box holds no more than it needs (152-ФЗ, DESIGN.md §2 "after").
//!
//! Two wipes per exam, decided purely from the exam's times, the clock and the hub's receipt:
//! - **decrypted material** (the exam's folder in the tmpfs run dir) goes as soon as the exam
//!   is over (the latest end, with the extra time of participants with special needs);
//! - **personal data** (participants' records and everything hanging off them in the box
//!   database, workers' personal fields, per-exam scan and bundle folders in the state dir)
//!   goes `retention.personal_data_days` after the exam, and only once the hub's signed
//!   receipt for the exam's upload is held (DESIGN.md §6: nothing is deleted before that).
//!   When the receipt state is unknown the wipe is refused.
//!
//! Deleted rows are overwritten (`secure_delete`), the database is vacuumed and the WAL
//! truncated, so names are gone from the files, not just unlinked from the b-tree.

pub mod cli;
pub mod ops;
pub mod store;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};

use crate::model::Exam;
use crate::store::Connection;

/// Folders under the state dir that hold per-exam personal data (`<dir>/<exam_id>`): scanned
/// pages, upload bundles, printed forms. Removed with the personal data.
pub const PERSONAL_DATA_DIRS: &[&str] = &["scans", "bundles", "print", "exams"];

/// What the box knows about the hub's receipt for an exam's upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// A receipt signed by the hub and verified is stored.
    Held,
    /// The upload has no receipt (yet).
    Missing,
    /// This build cannot tell (no receipt store wired): treated as missing.
    Unknown,
}

/// Where the receipt state comes from (the upload domain's receipt store). Explicit so that a
/// build without it refuses to wipe personal data rather than wiping on a guess.
pub trait ReceiptCheck {
    fn receipt_status(&self, conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<ReceiptStatus>;
}

/// The default until the upload domain's receipt store is wired: always `Unknown`.
pub struct NoReceiptStore;

impl ReceiptCheck for NoReceiptStore {
    fn receipt_status(&self, _conn: &Connection, _exam_id: &str, _ppe_code: &str) -> anyhow::Result<ReceiptStatus> {
        Ok(ReceiptStatus::Unknown)
    }
}

/// Any function works as a receipt check (tests, the lead's wiring).
impl<F> ReceiptCheck for F
where
    F: Fn(&Connection, &str, &str) -> anyhow::Result<ReceiptStatus>,
{
    fn receipt_status(&self, conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<ReceiptStatus> {
        self(conn, exam_id, ppe_code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum MaterialsDecision {
    Wipe,
    /// The exam may still be running: the materials are in use.
    NotBeforeEnd { end: DateTime<Utc> },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum PersonalDecision {
    Wipe,
    AlreadyWiped,
    NotDue { due: DateTime<Utc> },
    NoReceipt,
    ReceiptUnknown,
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error("экзамена {0} нет в базе ППЭ")]
    UnknownExam(String),
    #[error("экзамен {exam_id}: неверная дата или время начала ({date} {start})")]
    BadExamTime { exam_id: String, date: String, start: String },
}

/// When the exam point is done with the exam: the end of the longest allowed work (extra time
/// for special needs), so material is never wiped under a participant still writing.
pub fn exam_over_at(exam: &Exam) -> Result<DateTime<Utc>, RetentionError> {
    exam.extended_end_utc().ok_or_else(|| RetentionError::BadExamTime { exam_id: exam.exam_id.clone(), date: exam.date.clone(), start: exam.start.clone() })
}

pub fn decide_materials(exam_over: DateTime<Utc>, now: DateTime<Utc>) -> MaterialsDecision {
    if now >= exam_over {
        MaterialsDecision::Wipe
    } else {
        MaterialsDecision::NotBeforeEnd { end: exam_over }
    }
}

/// Personal data: after the retention period, with a receipt, once.
pub fn decide_personal(exam_over: DateTime<Utc>, now: DateTime<Utc>, retention_days: u32, receipt: ReceiptStatus, already_wiped: bool) -> PersonalDecision {
    if already_wiped {
        return PersonalDecision::AlreadyWiped;
    }
    let due = exam_over + Duration::days(i64::from(retention_days));
    if now < due {
        return PersonalDecision::NotDue { due };
    }
    match receipt {
        ReceiptStatus::Held => PersonalDecision::Wipe,
        ReceiptStatus::Missing => PersonalDecision::NoReceipt,
        ReceiptStatus::Unknown => PersonalDecision::ReceiptUnknown,
    }
}

/// A worker's stored record with every personal field blanked; the id, role-related fields
/// and codes stay so that the plan still loads and past rosters keep their shape.
pub fn anonymize_worker_record(mut record: serde_json::Value) -> serde_json::Value {
    const PERSONAL_TEXT: &[&str] = &["surname", "name", "patronymic", "phone", "email", "snils", "doc_series", "doc_number", "workplace"];
    if let Some(obj) = record.as_object_mut() {
        for key in PERSONAL_TEXT {
            if obj.contains_key(*key) {
                obj.insert((*key).to_string(), serde_json::Value::String(String::new()));
            }
        }
        if obj.contains_key("birth_year") {
            obj.insert("birth_year".into(), serde_json::Value::from(0));
        }
    }
    record
}

/// What a removal of files took away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RemovedFiles {
    pub files: u64,
    pub bytes: u64,
}

/// Removes a folder tree, overwriting each regular file with zeros first (cheap on tmpfs, and
/// on a disk it keeps the content out of blocks a later reader of the device could find).
pub fn remove_tree_overwriting(dir: &Path) -> std::io::Result<RemovedFiles> {
    let mut removed = RemovedFiles::default();
    if !dir.exists() {
        return Ok(removed);
    }
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                let path = entry.path();
                let len = entry.metadata()?.len();
                overwrite_with_zeros(&path, len)?;
                removed.files += 1;
                removed.bytes += len;
            }
        }
    }
    std::fs::remove_dir_all(dir)?;
    if let Some(parent) = dir.parent() {
        crate::util::sync_dir(parent)?;
    }
    Ok(removed)
}

fn overwrite_with_zeros(path: &Path, len: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn materials_are_kept_until_the_latest_end_then_wiped() {
        let over = t("2027-05-27T08:25:00Z");
        assert_eq!(decide_materials(over, t("2027-05-27T08:24:59Z")), MaterialsDecision::NotBeforeEnd { end: over });
        assert_eq!(decide_materials(over, over), MaterialsDecision::Wipe);
    }

    #[test]
    fn personal_data_needs_both_the_period_and_the_receipt() {
        let over = t("2027-05-27T08:25:00Z");
        let after = t("2027-06-27T00:00:00Z");
        let cases = [
            (t("2027-06-26T08:24:59Z"), ReceiptStatus::Held, false, PersonalDecision::NotDue { due: t("2027-06-26T08:25:00Z") }),
            (after, ReceiptStatus::Held, false, PersonalDecision::Wipe),
            (after, ReceiptStatus::Missing, false, PersonalDecision::NoReceipt),
            (after, ReceiptStatus::Unknown, false, PersonalDecision::ReceiptUnknown),
            (after, ReceiptStatus::Held, true, PersonalDecision::AlreadyWiped),
        ];
        for (now, receipt, wiped, want) in cases {
            assert_eq!(decide_personal(over, now, 30, receipt, wiped), want, "{now} {receipt:?} {wiped}");
        }
    }

    #[test]
    fn anonymized_worker_keeps_id_and_loses_every_personal_field() {
        let rec = serde_json::json!({"worker_id": "W1", "surname": "Иванова", "name": "Анна", "patronymic": "П", "birth_year": 1980,
            "phone": "+7", "email": "a@b", "snils": "1", "doc_series": "12", "doc_number": "34", "workplace": "Школа", "position": "учитель"});
        let out = anonymize_worker_record(rec);
        let text = out.to_string();
        for gone in ["Иванова", "Анна", "1980", "a@b", "Школа"] {
            assert!(!text.contains(gone), "{gone} in {text}");
        }
        assert_eq!(out["worker_id"], "W1");
        assert_eq!(out["position"], "учитель");
    }

    #[test]
    fn tree_removal_counts_and_removes_everything() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ege-02");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/kim.pdf"), vec![7u8; 100_000]).unwrap();
        std::fs::write(root.join("x"), b"abc").unwrap();
        let removed = remove_tree_overwriting(&root).unwrap();
        assert_eq!(removed, RemovedFiles { files: 2, bytes: 100_003 });
        assert!(!root.exists());
        assert_eq!(remove_tree_overwriting(&root).unwrap(), RemovedFiles::default());
    }
}
