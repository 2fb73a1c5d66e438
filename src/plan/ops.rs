//! The hub's plan use cases: import a plan file and export the current plan.
//!
//! An import merges the file into the hub's plan ([`super::merge`]: only the tables the file
//! holds, or one ТУ's rows), runs the one ФЛК over the merged plan, computes the changes
//! ([`super::diff`]) and judges them ([`super::rules`]: shrink, freeze, exam day); then one
//! transaction writes the plan, its import record and the audit entry. Refused or invalid:
//! nothing is written.

use std::path::Path;

use anyhow::Context;

use super::csv::CsvEncoding;
use super::diff::PlanDiff;
use super::merge::{MergeError, Scope};
use super::rules::{ChangeLimits, Justification, Refusal, Verdict};
use super::{PlanError, ReadReport};
use crate::context::HubContext;
use crate::model::Plan;

/// Why a plan use case failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanOpsError {
    /// The file could not be read, or ФЛК found issues: nothing was written.
    #[error(transparent)]
    File(#[from] PlanError),
    /// The file does not fit the scope asked for: nothing was written.
    #[error("{path}: {source}")]
    Scope { path: String, source: MergeError },
    /// The change breaks a rule of plan changes: nothing was written.
    #[error("{path}: изменение плана отклонено, ничего не записано:\n{}\nИзменения, которые внёс бы файл:\n{diff}", refusals.iter().map(|r| format!("  - {r}")).collect::<Vec<_>>().join("\n"))]
    Refused { path: String, refusals: Vec<Refusal>, diff: String },
    /// `[plan]` of hub.toml is wrong.
    #[error("{path}: [plan] {key}: {reason}")]
    Config { path: String, key: &'static str, reason: String },
    /// Another import committed while this one was being checked.
    #[error("план РЦОИ изменился во время загрузки (другая загрузка): повторите")]
    Concurrent,
    /// The hub's store could not be read or written (the chain says which).
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Import a plan file into the hub.
#[derive(Debug, Clone)]
pub struct ImportRequest<'a> {
    pub file: &'a Path,
    /// Only run ФЛК on the file alone and report; do not open the plan.
    pub check_only: bool,
    /// Merge, check, compare and judge, but write nothing.
    pub dry_run: bool,
    pub scope: Scope,
    pub force: bool,
    pub reason: &'a str,
    pub letter: &'a str,
    pub actor: &'a str,
}

impl<'a> ImportRequest<'a> {
    /// A plain import of every table in the file, nothing forced.
    pub fn whole(file: &'a Path, actor: &'a str) -> Self {
        Self { file, check_only: false, dry_run: false, scope: Scope::default(), force: false, reason: "", letter: "", actor }
    }
}

/// What an import read, changed and (unless checked or dry) made the current plan.
pub struct Imported {
    /// The merged plan (the file's alone for `check_only`).
    pub plan: Plan,
    pub report: ReadReport,
    /// Tables of the file taken, left out by `--tables`, kept from the hub.
    pub taken: Vec<String>,
    pub skipped: Vec<String>,
    pub kept: Vec<String>,
    pub diff: PlanDiff,
    pub verdict: Verdict,
    pub written: bool,
}

/// The hub's `[plan]` numbers as the rules take them.
pub fn change_limits(hub: &HubContext) -> Result<ChangeLimits, PlanOpsError> {
    let cfg = &hub.config.plan;
    let config = |key, reason: String| PlanOpsError::Config { path: hub.config_path.display().to_string(), key, reason };
    let freeze_date = match cfg.freeze_date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => {
            let norm = crate::validate::normalize_date(d).map_err(|e| config("freeze_date", format!("{e}; пример: \"2027.05.01\"")))?;
            Some(chrono::NaiveDate::parse_from_str(&norm, "%Y.%m.%d").map_err(|e| config("freeze_date", e.to_string()))?)
        }
    };
    if cfg.max_removed_percent > 100 {
        return Err(config("max_removed_percent", format!("{} больше 100", cfg.max_removed_percent)));
    }
    if !(-720..=840).contains(&cfg.utc_offset_min) {
        return Err(config("utc_offset_min", format!("{} вне -720…840", cfg.utc_offset_min)));
    }
    Ok(ChangeLimits { max_removed_percent: cfg.max_removed_percent, freeze_date, hub_utc_offset_min: cfg.utc_offset_min })
}

/// Reads, merges, checks and judges the file; unless checked only or dry, makes the merged
/// plan the hub's current plan.
pub fn import(hub: &HubContext, request: &ImportRequest<'_>) -> Result<Imported, PlanOpsError> {
    let shown = request.file.display().to_string();
    let format = super::PlanFormat::from_path(request.file)?;
    let bytes = std::fs::read(request.file).map_err(|source| PlanError::Read { path: shown.clone(), source })?;
    let (file_tables, encoding) = super::parse_tables(format, &bytes, &shown)?;
    let mut report = ReadReport { format, encoding, sha256: crate::util::sha256_hex(&bytes), warnings: Vec::new() };
    if request.check_only {
        let checked = crate::validate::check_plan_with_warnings(&file_tables).map_err(|issues| PlanError::Invalid { path: shown.clone(), issues })?;
        let plan = checked.plan;
        report.warnings = checked.warnings;
        let taken = file_tables.iter().map(|t| t.name.clone()).collect();
        return Ok(Imported {
            plan,
            report,
            taken,
            skipped: Vec::new(),
            kept: Vec::new(),
            diff: PlanDiff::default(),
            verdict: Verdict::default(),
            written: false,
        });
    }
    let limits = change_limits(hub)?;

    let (current, seen_import) = {
        let conn = hub.db()?;
        (super::store::load_plan(&conn).context("read plan")?, super::store::last_import_id(&conn).context("read plan imports")?)
    };
    let merged = super::merge::merge(&hub_tables_needed(&current, &file_tables, &request.scope), &file_tables, &request.scope)
        .map_err(|source| PlanOpsError::Scope { path: shown.clone(), source })?;
    let checked = crate::validate::check_plan_with_warnings(&merged.tables)
        .map_err(|issues| PlanError::Invalid { path: shown.clone(), issues: merged.relabel(issues) })?;
    let plan = checked.plan;
    report.warnings = checked.warnings;
    let diff = super::diff::diff_plans(&current, &plan);
    let now = hub.clock.now();
    let given = Justification { force: request.force, reason: request.reason, letter: request.letter };
    let verdict = super::rules::judge(&current, &plan, &diff, now, &limits, given).map_err(|refusals| PlanOpsError::Refused {
        path: shown.clone(),
        refusals,
        diff: diff.render(10),
    })?;
    let mut imported = Imported { plan, report, taken: merged.taken, skipped: merged.skipped, kept: merged.kept, diff, verdict, written: false };
    if request.dry_run {
        return Ok(imported);
    }

    let mut conn = hub.db()?;
    let at = crate::clock::rfc3339(now);
    let tx = conn.transaction().context("start transaction")?;
    if super::store::last_import_id(&tx).context("read plan imports")? != seen_import {
        return Err(PlanOpsError::Concurrent);
    }
    let forced: Vec<String> = imported.verdict.overridden.iter().map(ToString::to_string).collect();
    let tables = imported.taken.join(",");
    let scope = request.scope.describe();
    super::store::write_plan(&tx, &imported.plan).context("write plan")?;
    let record = super::store::ImportRecord {
        imported_at: &at,
        source: &shown,
        sha256: &imported.report.sha256,
        counts: imported.plan.counts(),
        actor: request.actor,
        tables: &tables,
        scope: &scope,
        diff: imported.diff.keys_json(),
        reason: request.reason.trim(),
        letter: request.letter.trim(),
        forced: forced.clone(),
    };
    let import_id = super::store::record_import(&tx, &record).context("record import")?;
    crate::audit::store::append(
        &tx,
        &at,
        crate::audit::NewEntry {
            actor: request.actor,
            action: "plan.import",
            object: &imported.report.sha256,
            details: serde_json::json!({
                "import_id": import_id,
                "counts": imported.plan.counts(),
                "encoding": imported.report.encoding,
                "tables": imported.taken,
                "kept": imported.kept,
                "scope": scope,
                "changes": imported.diff.counts_json(),
                "reason": request.reason.trim(),
                "letter": request.letter.trim(),
                "frozen": imported.verdict.frozen,
                "forced": forced,
            }),
        },
    )
    .context("audit")?;
    tx.commit().context("commit plan")?;
    imported.written = true;
    Ok(imported)
}

/// The hub's tables as raw text, without those a whole-table import replaces anyway (turning
/// every record back into text costs as much as reading the file).
fn hub_tables_needed(current: &Plan, file: &[crate::validate::RawTable], scope: &Scope) -> Vec<crate::validate::RawTable> {
    if scope.ate_code.is_some() {
        return super::to_tables(current);
    }
    let replaced = |name: &str| file.iter().any(|t| t.name == name) && (scope.tables.is_empty() || scope.tables.iter().any(|t| t == name));
    let mut plan = Plan::default();
    macro_rules! keep {
        ($($table:ident),*) => {$(
            if !replaced(stringify!($table)) {
                plan.$table = current.$table.clone();
            }
        )*};
    }
    keep!(exams, exam_points, auditoriums, participants, registrations, workers, worker_assignments, observers, observer_assignments);
    super::to_tables(&plan).into_iter().filter(|t| !replaced(&t.name)).collect()
}

/// The latest imports of the hub, newest first.
pub fn import_log(hub: &HubContext, limit: usize) -> Result<Vec<super::store::ImportRow>, PlanOpsError> {
    Ok(super::store::import_list(&*hub.db()?, limit).context("read plan imports")?)
}

/// Writes the hub's current plan to `out` (CSV in `encoding`, XLSX or JSON by extension).
pub fn export(hub: &HubContext, out: &Path, encoding: CsvEncoding) -> Result<Plan, PlanOpsError> {
    let plan = super::store::load_plan(&*hub.db()?).context("read plan")?;
    super::write_plan_file(&plan, out, encoding)?;
    Ok(plan)
}
