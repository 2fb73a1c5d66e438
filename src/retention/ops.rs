//! The retention use case of the box: wipe what is due for one exam — decrypted material after
//! the exam, personal data after the retention period and only with the hub's receipt held —
//! each wipe one transaction with its audit entry. The decisions are `retention`'s, pure.

use anyhow::Context;

use super::{store, MaterialsDecision, PersonalDecision, ReceiptCheck, RemovedFiles, RetentionError};
use crate::context::EdgeContext;

/// What one exam's wipe did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WipeReport {
    pub exam_id: String,
    pub materials: MaterialsDecision,
    pub materials_removed: RemovedFiles,
    pub personal: PersonalDecision,
    pub personal_counts: Option<store::PersonalWipeCounts>,
    pub personal_files_removed: RemovedFiles,
    /// False when the WAL could not be truncated (another connection open); rerun later.
    pub wal_truncated: Option<bool>,
}

/// Wipes what is due for one exam; each wipe is one transaction with its audit entry.
pub fn wipe_exam(ctx: &EdgeContext, exam_id: &str, receipts: &dyn ReceiptCheck) -> anyhow::Result<WipeReport> {
    let mut conn = ctx.db()?;
    let exam = crate::plan::store::exam_get(&conn, exam_id)?.ok_or_else(|| RetentionError::UnknownExam(exam_id.to_string()))?;
    let over = super::exam_over_at(&exam)?;
    let now = ctx.clock.now();
    let at = ctx.clock.now_rfc3339();

    let materials = super::decide_materials(over, now);
    let mut materials_removed = RemovedFiles::default();
    if materials == MaterialsDecision::Wipe {
        let dir = ctx.config.run_dir.join(exam_id);
        materials_removed = super::remove_tree_overwriting(&dir).with_context(|| format!("remove {}", dir.display()))?;
        let recorded = store::wipe_recorded(&conn, exam_id, "materials")?.is_some();
        if materials_removed.files > 0 || !recorded {
            let details = serde_json::json!({"files": materials_removed.files, "bytes": materials_removed.bytes});
            let tx = conn.transaction()?;
            store::record_wipe(&tx, exam_id, "materials", &at, &details)?;
            crate::audit::store::append(&tx, &at, crate::audit::NewEntry { actor: "system", action: "retention.materials_wiped", object: exam_id, details })?;
            tx.commit()?;
        }
    }

    let receipt = receipts.receipt_status(&conn, exam_id, &ctx.config.ppe_code)?;
    let already = store::wipe_recorded(&conn, exam_id, "personal")?.is_some();
    let personal = super::decide_personal(over, now, ctx.config.retention.personal_data_days, receipt, already);
    let mut personal_counts = None;
    let mut personal_files_removed = RemovedFiles::default();
    let mut wal_truncated = None;
    if personal == PersonalDecision::Wipe {
        // Files first: a crash after them leaves the wipe unrecorded, so the next run redoes it.
        for sub in super::PERSONAL_DATA_DIRS {
            let dir = ctx.config.state_dir.join(sub).join(exam_id);
            let removed = super::remove_tree_overwriting(&dir).with_context(|| format!("remove {}", dir.display()))?;
            personal_files_removed.files += removed.files;
            personal_files_removed.bytes += removed.bytes;
        }
        store::enable_secure_delete(&conn)?;
        let tx = conn.transaction()?;
        let counts = store::wipe_personal_data(&tx, exam_id, super::anonymize_worker_record)?;
        let details = serde_json::json!({
            "participants_deleted": counts.participants_deleted,
            "workers_anonymized": counts.workers_anonymized,
            "files": personal_files_removed.files,
            "retention_days": ctx.config.retention.personal_data_days,
        });
        store::record_wipe(&tx, exam_id, "personal", &at, &details)?;
        crate::audit::store::append(&tx, &at, crate::audit::NewEntry { actor: "system", action: "retention.personal_wiped", object: exam_id, details })?;
        tx.commit()?;
        let truncated = store::compact_and_truncate_wal(&conn)?;
        if !truncated {
            tracing::warn!(exam_id, "WAL not truncated: another connection is open; old pages stay in the WAL until the next checkpoint");
        }
        wal_truncated = Some(truncated);
        personal_counts = Some(counts);
    }
    Ok(WipeReport { exam_id: exam_id.to_string(), materials, materials_removed, personal, personal_counts, personal_files_removed, wal_truncated })
}
