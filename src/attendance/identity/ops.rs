//! Recording an identity confirmation (ППЭ-20): checked against the plan (registered here, the
//! ГЭК member the point's own that day), stored with its audit entry in one transaction. The
//! audit entry carries ids only: the escort's name and document stay in the record.

use anyhow::Context;

use super::{check, store, IdentityConfirmation};
use crate::audit::{self, NewEntry};
use crate::model::WorkerRole;
use crate::store::Connection;

/// Records the confirmation; refused (nothing written) with the rule's reason.
pub fn confirm_identity(conn: &mut Connection, now: &str, c: &IdentityConfirmation) -> anyhow::Result<()> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let exam = plan.exams.iter().find(|e| e.exam_id == c.exam_id).with_context(|| format!("экзамена {} нет в плане этого ППЭ", c.exam_id))?;
    let registered = plan.registrations.iter().any(|r| r.exam_id == c.exam_id && r.ppe_code == c.ppe_code && r.participant_id == c.participant_id);
    let tx = conn.transaction()?;
    let already = store::confirmations_for_exam(&tx, &c.exam_id, &c.ppe_code)?.iter().any(|x| x.participant_id == c.participant_id);
    check(c, registered, already)?;
    crate::attendance::ops::require_signatory(&plan, &c.ppe_code, &exam.date, &c.gek_worker_id, WorkerRole::GekMember)?;
    store::confirmation_insert(&tx, c, now)?;
    audit::store::append(
        &tx,
        now,
        NewEntry {
            actor: &c.actor,
            action: "attendance.identity_confirmed",
            object: &c.participant_id,
            details: serde_json::json!({"exam_id": c.exam_id, "ppe_code": c.ppe_code, "at": c.at, "gek_worker_id": c.gek_worker_id}),
        },
    )?;
    tx.commit()?;
    Ok(())
}
