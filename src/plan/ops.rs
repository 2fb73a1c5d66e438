//! The hub's plan use cases: import a plan file (ФЛК first; all or nothing, one transaction
//! with its audit entry) and export the current plan in the format the file name asks for.

use std::path::Path;

use anyhow::Context;

use super::csv::CsvEncoding;
use super::{PlanError, ReadReport};
use crate::context::HubContext;
use crate::model::Plan;

/// Why a plan use case failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanOpsError {
    /// The file could not be read, or ФЛК found issues: nothing was written.
    #[error(transparent)]
    File(#[from] PlanError),
    /// The hub's store could not be read or written (the chain says which).
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Import a plan file into the hub.
#[derive(Debug, Clone, Copy)]
pub struct ImportRequest<'a> {
    pub file: &'a Path,
    /// Only run ФЛК and report; write nothing.
    pub check_only: bool,
    pub actor: &'a str,
}

/// What an import read (and, unless only checked, made the current plan).
pub struct Imported {
    pub plan: Plan,
    pub report: ReadReport,
}

/// Reads and checks the file; unless `check_only`, replaces the hub's plan with it.
pub fn import(hub: &HubContext, request: &ImportRequest<'_>) -> Result<Imported, PlanOpsError> {
    let (plan, report) = super::read_plan_file(request.file)?;
    if request.check_only {
        return Ok(Imported { plan, report });
    }
    let mut conn = hub.db()?;
    let source = request.file.display().to_string();
    let at = hub.clock.now_rfc3339();
    let tx = conn.transaction().context("start transaction")?;
    super::store::replace_plan(&tx, &plan, &at, &source, &report.sha256).context("write plan")?;
    crate::audit::store::append(
        &tx,
        &at,
        crate::audit::NewEntry { actor: request.actor, action: "plan.import", object: &report.sha256, details: serde_json::json!({"counts": plan.counts(), "encoding": report.encoding}) },
    )
    .context("audit")?;
    tx.commit().context("commit plan")?;
    Ok(Imported { plan, report })
}

/// Writes the hub's current plan to `out` (CSV in `encoding`, XLSX or JSON by extension).
pub fn export(hub: &HubContext, out: &Path, encoding: CsvEncoding) -> Result<Plan, PlanOpsError> {
    let plan = super::store::load_plan(&*hub.db()?).context("read plan")?;
    super::write_plan_file(&plan, out, encoding)?;
    Ok(plan)
}
