//! Plan import and export: CSV (UTF-8 or Windows-1251, `;` or `,`), XLSX and JSON.
//!
//! Every format is read into the same raw tables of text cells ([`RawTable`]) and goes through
//! the one ФЛК ([`crate::validate::check_plan`]); every format is written from those tables,
//! so a round trip through any format gives the same plan. An import is all-or-nothing.

pub mod cli;
pub mod csv;
pub mod diff;
pub mod json;
pub mod merge;
pub mod ops;
pub mod rules;
pub mod store;
pub mod xlsx;

use std::path::Path;

use crate::model::Plan;
use crate::validate::{self, Issue, RawRow, RawTable, TABLES};

/// A file format of plans, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    Csv,
    Xlsx,
    Json,
}

impl PlanFormat {
    pub fn from_path(path: &Path) -> Result<Self, PlanError> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_lowercase).as_deref() {
            Some("csv") => Ok(Self::Csv),
            Some("xlsx") => Ok(Self::Xlsx),
            Some("json") => Ok(Self::Json),
            _ => Err(PlanError::UnknownFormat { path: path.display().to_string() }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{path}: неизвестный формат плана (ожидается .csv, .xlsx или .json)")]
    UnknownFormat { path: String },
    #[error("{path}: не читается: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: не записывается: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("{path}: {reason}")]
    Malformed { path: String, reason: String },
    #[error("{path}: {} ошибок ФЛК, ничего не записано:\n{}", issues.len(), render_issues(path, issues))]
    Invalid { path: String, issues: Vec<Issue> },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn render_issues(path: &str, issues: &[Issue]) -> String {
    issues.iter().map(|i| format!("  {path}: {i}")).collect::<Vec<_>>().join("\n")
}

/// What a successful read found out about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadReport {
    pub format: PlanFormat,
    /// `utf-8` or `windows-1251` for CSV.
    pub encoding: Option<&'static str>,
    pub sha256: String,
    /// What an old-format file lacked and was taken instead (the import goes on).
    pub warnings: Vec<Issue>,
}

impl ReadReport {
    /// The warnings as lines for the import's output, each with the file name.
    pub fn warning_lines(&self, shown: &str) -> Vec<String> {
        self.warnings.iter().map(|w| format!("{shown}: предупреждение: {w}")).collect()
    }
}

/// Parses plan bytes of a format into raw tables (no ФЛК yet).
pub fn parse_tables(format: PlanFormat, bytes: &[u8], shown: &str) -> Result<(Vec<RawTable>, Option<&'static str>), PlanError> {
    let malformed = |reason: String| PlanError::Malformed { path: shown.to_string(), reason };
    match format {
        PlanFormat::Csv => csv::read(bytes).map(|(t, enc)| (t, Some(enc))).map_err(malformed),
        PlanFormat::Xlsx => xlsx::read(bytes).map(|t| (t, None)).map_err(malformed),
        PlanFormat::Json => json::read(bytes).map(|t| (t, None)).map_err(malformed),
    }
}

/// Parses and checks plan bytes: a whole valid plan or every problem.
pub fn parse_plan(format: PlanFormat, bytes: &[u8], shown: &str) -> Result<(Plan, ReadReport), PlanError> {
    let (tables, encoding) = parse_tables(format, bytes, shown)?;
    let checked = validate::check_plan_with_warnings(&tables).map_err(|issues| PlanError::Invalid { path: shown.to_string(), issues })?;
    Ok((checked.plan, ReadReport { format, encoding, sha256: crate::util::sha256_hex(bytes), warnings: checked.warnings }))
}

/// Reads and checks a plan file.
pub fn read_plan_file(path: &Path) -> Result<(Plan, ReadReport), PlanError> {
    let shown = path.display().to_string();
    let format = PlanFormat::from_path(path)?;
    let bytes = std::fs::read(path).map_err(|source| PlanError::Read { path: shown.clone(), source })?;
    parse_plan(format, &bytes, &shown)
}

/// The plan as raw tables of text, the shape every writer starts from.
pub fn to_tables(plan: &Plan) -> Vec<RawTable> {
    let records: [(&str, Vec<serde_json::Value>); 9] = [
        ("exams", plan.exams.iter().map(to_value).collect()),
        ("exam_points", plan.exam_points.iter().map(to_value).collect()),
        ("auditoriums", plan.auditoriums.iter().map(to_value).collect()),
        ("participants", plan.participants.iter().map(to_value).collect()),
        ("registrations", plan.registrations.iter().map(to_value).collect()),
        ("workers", plan.workers.iter().map(to_value).collect()),
        ("worker_assignments", plan.worker_assignments.iter().map(to_value).collect()),
        ("observers", plan.observers.iter().map(to_value).collect()),
        ("observer_assignments", plan.observer_assignments.iter().map(to_value).collect()),
    ];
    records
        .into_iter()
        .map(|(name, values)| {
            let columns = validate::columns_of(name).unwrap_or(&[]);
            RawTable {
                name: name.to_string(),
                columns: columns.iter().map(|c| c.name.to_string()).collect(),
                rows: values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| RawRow { line: i + 1, cells: columns.iter().map(|c| cell_text(v.get(c.name))).collect() })
                    .collect(),
            }
        })
        .collect()
}

fn to_value<T: serde::Serialize>(record: &T) -> serde_json::Value {
    serde_json::to_value(record).unwrap_or(serde_json::Value::Null)
}

/// How a JSON value is written into a text cell (shared by the JSON reader).
pub fn cell_text(value: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => {
            if *b {
                "да".into()
            } else {
                "нет".into()
            }
        }
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) => items.iter().map(|i| cell_text(Some(i))).collect::<Vec<_>>().join(";"),
        Some(v @ Value::Object(_)) => v.to_string(),
    }
}

/// Writes a plan in the format of `path`'s extension, atomically.
pub fn write_plan_file(plan: &Plan, path: &Path, csv_encoding: csv::CsvEncoding) -> Result<(), PlanError> {
    let shown = path.display().to_string();
    let bytes = match PlanFormat::from_path(path)? {
        PlanFormat::Csv => csv::write(&to_tables(plan), csv_encoding).map_err(|reason| PlanError::Malformed { path: shown.clone(), reason })?,
        PlanFormat::Xlsx => xlsx::write(&to_tables(plan)).map_err(|reason| PlanError::Malformed { path: shown.clone(), reason })?,
        PlanFormat::Json => json::write(plan),
    };
    crate::util::write_atomic(path, &bytes).map_err(|source| PlanError::Write { path: shown, source })
}

/// Names a table by its header when a CSV holds one table without a `#table` marker.
pub fn guess_table(header: &[String]) -> Option<&'static str> {
    TABLES
        .iter()
        .filter(|(_, cols)| {
            cols.iter().filter(|c| c.required).all(|c| header.iter().any(|h| h == c.name)) && header.iter().all(|h| cols.iter().any(|c| c.name == h))
        })
        .map(|t| t.0)
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_extension_is_refused() {
        assert!(matches!(PlanFormat::from_path(Path::new("plan.txt")), Err(PlanError::UnknownFormat { .. })));
        assert_eq!(PlanFormat::from_path(Path::new("PLAN.XLSX")).unwrap(), PlanFormat::Xlsx);
    }

    #[test]
    fn a_table_is_guessed_from_its_header() {
        let h = |cols: &[&str]| cols.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(guess_table(&h(&["exam_id", "participant_id", "ppe_code"])), Some("registrations"));
        assert_eq!(guess_table(&h(&["ppe_code", "name", "address", "ate_code", "ate_name"])), Some("exam_points"));
        assert_eq!(guess_table(&h(&["foo"])), None);
    }
}
