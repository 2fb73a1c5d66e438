//! The retention use cases of the box: wipe what is due for one exam — decrypted material after
//! the exam, personal data after the retention period and only with the hub's receipt held —
//! each wipe one transaction with its audit entry; and purge the exam's print jobs from cupsd
//! after the exam. The decisions are `retention`'s, pure.

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
        // The КИМ key's folder and the exam's documents package's (`EXAM~documents`).
        for scope in [exam_id.to_string(), crate::materials::PackageKind::Documents.scope(exam_id)] {
            let dir = ctx.config.run_dir.join(scope);
            let removed = super::remove_tree_overwriting(&dir).with_context(|| format!("remove {}", dir.display()))?;
            materials_removed.files += removed.files;
            materials_removed.bytes += removed.bytes;
        }
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

/// What the wipe did with the exam's print jobs in cupsd.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct JobsPurge {
    /// Jobs canceled (when still active) and purged from cupsd: no spool file, no history.
    pub purged: u32,
    /// Jobs cupsd no longer knew.
    pub gone: u32,
    /// Recorded ids that now name another exam's job (cupsd lost its state): left alone.
    pub not_ours: u32,
    /// cupsd could not be reached: the jobs are left for the next run (`edge wipe --due`).
    pub unreachable: Option<String>,
}

/// After the exam, cancels and purges every job of the exam that printing recorded, so no
/// document, control file or history entry of it stays in cupsd. One audit entry when
/// anything was purged or cupsd could not be reached; nothing before the exam is over.
pub async fn purge_exam_jobs(ctx: &EdgeContext, exam_id: &str) -> anyhow::Result<Option<JobsPurge>> {
    let jobs = {
        let conn = ctx.db()?;
        let exam = crate::plan::store::exam_get(&conn, exam_id)?.ok_or_else(|| RetentionError::UnknownExam(exam_id.to_string()))?;
        if super::decide_materials(super::exam_over_at(&exam)?, ctx.clock.now()) != MaterialsDecision::Wipe {
            return Ok(None);
        }
        crate::printing::store::print_jobs_for_exam(&conn, exam_id).context("load print jobs")?
    };
    let mut report = JobsPurge::default();
    for job in jobs.iter().filter(|j| j.cups_job_id.is_some()) {
        let target = crate::printing::cups::CupsTarget::new(&ctx.config.printer.cups_uri, &job.printer);
        match target.purge(job.cups_job_id.unwrap_or_default(), exam_id).await {
            Ok(crate::printing::cups::PurgeOutcome::Purged) => report.purged += 1,
            Ok(crate::printing::cups::PurgeOutcome::Gone) => report.gone += 1,
            Ok(crate::printing::cups::PurgeOutcome::NotOurs) => report.not_ours += 1,
            Err(e) if crate::printing::cups::is_unreachable(&e) => {
                report.unreachable = Some(e.to_string());
                break;
            }
            Err(e) => return Err(e).context("purge print job"),
        }
    }
    if report.purged > 0 || report.unreachable.is_some() {
        let mut conn = ctx.db()?;
        let at = ctx.clock.now_rfc3339();
        let details = serde_json::to_value(&report)?;
        let tx = conn.transaction()?;
        crate::audit::store::append(&tx, &at, crate::audit::NewEntry { actor: "system", action: "retention.print_jobs_purged", object: exam_id, details })?;
        tx.commit()?;
    }
    Ok(Some(report))
}
