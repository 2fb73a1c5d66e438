//! Appeal use cases of the box, shared by `ppe edge appeal` and the bundle: file an appeal
//! (ППЭ-02), record its review (ППЭ-03); each one transaction with its audit entry. The
//! appeal's text never goes into the audit log or the logs (it may name people).

use anyhow::{bail, Context};

use super::store::{self, NewAppeal};
use super::{Appeal, Review};
use crate::attendance::ops::require_signatory;
use crate::audit::{self, NewEntry};
use crate::model::WorkerRole;
use crate::store::Connection;

/// A participant's appeal about the procedure, taken by a ГЭК member of the point.
pub struct FileRequest<'a> {
    pub exam_id: &'a str,
    pub ppe_code: &'a str,
    pub participant_id: &'a str,
    pub text: &'a str,
    pub gek_worker_id: &'a str,
    pub at: &'a str,
    pub actor: &'a str,
}

/// The ГЭК member's review of an appeal.
pub struct ReviewRequest<'a> {
    pub appeal_id: i64,
    pub ppe_code: &'a str,
    pub gek_worker_id: &'a str,
    pub findings: &'a str,
    pub upheld: bool,
    pub at: &'a str,
    pub actor: &'a str,
}

fn exam_date(conn: &Connection, exam_id: &str) -> anyhow::Result<(crate::model::Plan, String)> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let date = plan.exams.iter().find(|e| e.exam_id == exam_id).map(|e| e.date.clone()).with_context(|| format!("экзамена {exam_id} нет в плане"))?;
    Ok((plan, date))
}

pub fn file(conn: &mut Connection, r: &FileRequest<'_>) -> anyhow::Result<Appeal> {
    let (plan, date) = exam_date(conn, r.exam_id)?;
    let seated = crate::seating::store::seat_assignments_for_exam(conn, r.exam_id)?.into_iter().any(|s| s.participant_id == r.participant_id && s.ppe_code == r.ppe_code);
    if !seated {
        bail!("участник {} не рассажен на экзамен {} в ППЭ {}", r.participant_id, r.exam_id, r.ppe_code);
    }
    let status = crate::attendance::ops::states(conn, r.exam_id)?.remove(r.participant_id).unwrap_or_default().status;
    super::check_filing(r.participant_id, status, r.text)?;
    require_signatory(&plan, r.ppe_code, &date, r.gek_worker_id, WorkerRole::GekMember)?;
    let tx = conn.transaction()?;
    let appeal_id = store::appeal_insert(&tx, &NewAppeal {
        exam_id: r.exam_id,
        ppe_code: r.ppe_code,
        participant_id: r.participant_id,
        filed_at: r.at,
        text: r.text.trim(),
        gek_worker_id: r.gek_worker_id.trim(),
        actor: r.actor,
    })?;
    audit::store::append(&tx, r.at, NewEntry {
        actor: r.actor,
        action: "appeal.filed",
        object: r.participant_id,
        details: serde_json::json!({"exam_id": r.exam_id, "appeal_id": appeal_id, "gek_worker_id": r.gek_worker_id.trim()}),
    })?;
    tx.commit()?;
    store::appeal_get(conn, appeal_id)?.context("the appeal just filed")
}

pub fn review(conn: &mut Connection, r: &ReviewRequest<'_>) -> anyhow::Result<Appeal> {
    let appeal = store::appeal_get(conn, r.appeal_id)?.filter(|a| a.ppe_code == r.ppe_code).with_context(|| format!("апелляции № {} в этом ППЭ нет", r.appeal_id))?;
    super::check_review(&appeal, r.at, r.findings)?;
    let (plan, date) = exam_date(conn, &appeal.exam_id)?;
    require_signatory(&plan, r.ppe_code, &date, r.gek_worker_id, WorkerRole::GekMember)?;
    let review = Review { reviewed_at: r.at.into(), gek_worker_id: r.gek_worker_id.trim().into(), findings: r.findings.trim().into(), upheld: r.upheld, actor: r.actor.into() };
    let tx = conn.transaction()?;
    if !store::review_set(&tx, r.appeal_id, &review)? {
        return Err(super::AppealError::AlreadyReviewed(r.appeal_id).into());
    }
    audit::store::append(&tx, r.at, NewEntry {
        actor: r.actor,
        action: "appeal.reviewed",
        object: &appeal.participant_id,
        details: serde_json::json!({"exam_id": appeal.exam_id, "appeal_id": r.appeal_id, "upheld": r.upheld, "gek_worker_id": review.gek_worker_id}),
    })?;
    tx.commit()?;
    store::appeal_get(conn, r.appeal_id)?.context("the appeal just reviewed")
}
