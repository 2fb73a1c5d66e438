//! Which rows of an import come from the file and which stay as the hub holds them (issue 16
//! item 8). A file replaces only the tables it contains (or those `--tables` names): a
//! spreadsheet saved as one sheet must not empty the rest of the plan. A per-ТУ file
//! (`--ate`) replaces only the rows of that ТУ's exam points and adds or updates, never
//! removes, the records shared by the region (exams, participants, workers, observers).
//!
//! Pure: raw tables in, raw tables out, so the one ФЛК then checks the merged plan as a whole
//! (references across tables included). Rows kept from the hub get line numbers from
//! [`HUB_LINE_BASE`] on, and [`Merged::relabel`] names them as the hub's rows in messages.

use std::collections::{HashMap, HashSet};

use crate::validate::{columns_of, Issue, RawRow, RawTable, TABLES};

/// Lines of the rows kept from the hub's plan start here, far past any file's last line.
pub const HUB_LINE_BASE: usize = 100_000_000;

/// What of the file an import takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Take only these tables of the file; empty: every table the file holds.
    pub tables: Vec<String>,
    /// Replace only the rows of this ТУ (АТЕ code): its exam points and their rows.
    pub ate_code: Option<String>,
}

impl Scope {
    /// How the import record and the audit name the scope: `""` for a whole-table import.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(ate) = &self.ate_code {
            parts.push(format!("ate={ate}"));
        }
        if !self.tables.is_empty() {
            parts.push(format!("tables={}", self.tables.join(",")));
        }
        parts.join(" ")
    }
}

/// Why the file cannot be merged at all (before ФЛК).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("в файле нет ни одной таблицы плана: ничего не загружено")]
    NoTables,
    #[error("--tables: неизвестная таблица «{0}» (допустимы: {list})", list = table_names())]
    UnknownTable(String),
    #[error("--tables: таблицы «{0}» нет в файле")]
    NotInFile(String),
    #[error("--ate {ate}: {} ошибок, ничего не записано:\n{}", issues.len(), issues.iter().map(|i| format!("  {i}")).collect::<Vec<_>>().join("\n"))]
    OutsideTheAte { ate: String, issues: Vec<Issue> },
}

fn table_names() -> String {
    TABLES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
}

/// The columns that identify a row of each table (the same keys ФЛК checks for duplicates).
pub fn key_columns(table: &str) -> &'static [&'static str] {
    match table {
        "exams" => &["exam_id"],
        "exam_points" => &["ppe_code"],
        "auditoriums" => &["ppe_code", "auditorium"],
        "participants" => &["participant_id"],
        "registrations" => &["exam_id", "participant_id"],
        "workers" => &["worker_id"],
        "worker_assignments" => &["worker_id", "ppe_code", "date"],
        "observers" => &["observer_id"],
        "observer_assignments" => &["observer_id", "ppe_code", "date"],
        _ => &[],
    }
}

/// The merged tables and what came from where.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    pub tables: Vec<RawTable>,
    /// Tables of the file taken into the plan, in file order.
    pub taken: Vec<String>,
    /// Tables of the file left out because `--tables` did not name them.
    pub skipped: Vec<String>,
    /// Tables the hub keeps as they are (absent from the file, or left out).
    pub kept: Vec<String>,
    /// (table, line) of every row kept from the hub → its key, for messages.
    hub_rows: HashMap<(String, usize), String>,
}

impl Merged {
    /// ФЛК issues about rows kept from the hub say so instead of naming a line the file lacks.
    pub fn relabel(&self, issues: Vec<Issue>) -> Vec<Issue> {
        issues
            .into_iter()
            .map(|i| match self.hub_rows.get(&(i.table.clone(), i.line)) {
                Some(key) => {
                    Issue { line: 0, reason: format!("запись «{key}» плана РЦОИ (её нет в файле): {}", i.reason), ..i }
                }
                None => i,
            })
            .collect()
    }
}

struct Indexed<'a> {
    table: &'a RawTable,
    index: HashMap<&'a str, usize>,
}

impl<'a> Indexed<'a> {
    fn new(table: &'a RawTable) -> Self {
        Self { table, index: table.columns.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect() }
    }
    fn cell<'r>(&self, row: &'r RawRow, column: &str) -> &'r str {
        self.index.get(column).and_then(|&i| row.cells.get(i)).map(|s| s.trim()).unwrap_or("")
    }
    fn key(&self, row: &RawRow) -> String {
        key_columns(&self.table.name).iter().map(|c| self.cell(row, c)).collect::<Vec<_>>().join("/")
    }
    /// The row's cells in `columns` order (absent ones empty).
    fn cells_in(&self, row: &RawRow, columns: &[String]) -> Vec<String> {
        columns.iter().map(|c| self.index.get(c.as_str()).and_then(|&i| row.cells.get(i)).cloned().unwrap_or_default()).collect()
    }
}

/// Merges the file's tables into the hub's current ones (`hub` as [`super::to_tables`] gives them).
pub fn merge(hub: &[RawTable], file: &[RawTable], scope: &Scope) -> Result<Merged, MergeError> {
    if file.is_empty() {
        return Err(MergeError::NoTables);
    }
    for name in &scope.tables {
        if columns_of(name).is_none() {
            return Err(MergeError::UnknownTable(name.clone()));
        }
        if !file.iter().any(|t| &t.name == name) {
            return Err(MergeError::NotInFile(name.clone()));
        }
    }
    let mut merged = Merged::default();
    let mut from_file: Vec<&RawTable> = Vec::new();
    for table in file {
        let known = columns_of(&table.name).is_some();
        if !known || merged.taken.contains(&table.name) {
            // Unknown or repeated tables go to ФЛК as they are, which names them.
            merged.tables.push(table.clone());
        } else if !scope.tables.is_empty() && !scope.tables.contains(&table.name) {
            merged.skipped.push(table.name.clone());
        } else {
            merged.taken.push(table.name.clone());
            from_file.push(table);
        }
    }
    let hub_of = |name: &str| hub.iter().find(|t| t.name == name);
    let ate_points = match &scope.ate_code {
        Some(ate) => Some(points_of_ate(ate, hub_of("exam_points"), from_file.iter().find(|t| t.name == "exam_points").copied())?),
        None => None,
    };
    for table in from_file {
        let hub_table = hub_of(&table.name);
        let mut columns = table.columns.clone();
        for c in hub_table.map(|t| t.columns.as_slice()).unwrap_or(&[]) {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
        let file_ix = Indexed::new(table);
        let mut rows: Vec<RawRow> = table.rows.iter().map(|r| RawRow { line: r.line, cells: file_ix.cells_in(r, &columns) }).collect();
        if let (Some(points), Some(hub_table)) = (&ate_points, hub_table) {
            let hub_ix = Indexed::new(hub_table);
            let scoped_by_point = columns_of(&table.name).is_some_and(|c| c.iter().any(|c| c.name == "ppe_code"));
            let file_keys: HashSet<String> = table.rows.iter().map(|r| file_ix.key(r)).collect();
            let keep = |r: &RawRow| if scoped_by_point { !points.contains(hub_ix.cell(r, "ppe_code")) } else { !file_keys.contains(&hub_ix.key(r)) };
            for (i, r) in hub_table.rows.iter().filter(|r| keep(r)).enumerate() {
                let line = HUB_LINE_BASE + i + 1;
                merged.hub_rows.insert((table.name.clone(), line), hub_ix.key(r));
                rows.push(RawRow { line, cells: hub_ix.cells_in(r, &columns) });
            }
        }
        merged.tables.push(RawTable { name: table.name.clone(), columns, rows });
    }
    if let (Some(ate), Some(points)) = (&scope.ate_code, &ate_points) {
        let issues = outside_the_ate(&merged, file, points);
        if !issues.is_empty() {
            return Err(MergeError::OutsideTheAte { ate: ate.clone(), issues });
        }
    }
    for table in hub.iter().filter(|t| !merged.taken.contains(&t.name)) {
        let ix = Indexed::new(table);
        let rows = table
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let line = HUB_LINE_BASE + i + 1;
                merged.hub_rows.insert((table.name.clone(), line), ix.key(r));
                RawRow { line, cells: r.cells.clone() }
            })
            .collect();
        merged.kept.push(table.name.clone());
        merged.tables.push(RawTable { name: table.name.clone(), columns: table.columns.clone(), rows });
    }
    Ok(merged)
}

/// The exam points a per-ТУ file replaces: the hub's points of that АТЕ and the file's.
fn points_of_ate(ate: &str, hub: Option<&RawTable>, file: Option<&RawTable>) -> Result<HashSet<String>, MergeError> {
    let mut points = HashSet::new();
    let mut issues = Vec::new();
    let hub_ate: HashMap<String, String> = hub
        .map(|t| {
            let ix = Indexed::new(t);
            t.rows.iter().map(|r| (ix.cell(r, "ppe_code").to_string(), ix.cell(r, "ate_code").to_string())).collect()
        })
        .unwrap_or_default();
    points.extend(hub_ate.iter().filter(|(_, a)| a.as_str() == ate).map(|(p, _)| p.clone()));
    if let Some(file) = file {
        let ix = Indexed::new(file);
        for r in &file.rows {
            let (ppe, its_ate) = (ix.cell(r, "ppe_code"), ix.cell(r, "ate_code"));
            if its_ate != ate {
                issues.push(issue("exam_points", r.line, "ate_code", format!("ППЭ «{ppe}» из АТЕ «{its_ate}», а загружается АТЕ «{ate}»")));
            } else if let Some(other) = hub_ate.get(ppe).filter(|a| a.as_str() != ate) {
                issues.push(issue(
                    "exam_points",
                    r.line,
                    "ate_code",
                    format!("ППЭ «{ppe}» в плане РЦОИ относится к АТЕ «{other}»: перенос между АТЕ — полной загрузкой"),
                ));
            } else {
                points.insert(ppe.to_string());
            }
        }
    }
    if issues.is_empty() {
        Ok(points)
    } else {
        Err(MergeError::OutsideTheAte { ate: ate.to_string(), issues })
    }
}

/// Rows of a per-ТУ file that name an exam point outside the ТУ.
fn outside_the_ate(merged: &Merged, file: &[RawTable], points: &HashSet<String>) -> Vec<Issue> {
    let mut issues = Vec::new();
    for table in file.iter().filter(|t| merged.taken.contains(&t.name) && t.name != "exam_points") {
        let ix = Indexed::new(table);
        if !table.columns.iter().any(|c| c == "ppe_code") {
            continue;
        }
        for r in &table.rows {
            let ppe = ix.cell(r, "ppe_code");
            if !points.contains(ppe) {
                issues.push(issue(&table.name, r.line, "ppe_code", format!("ППЭ «{ppe}» не относится к загружаемой АТЕ")));
            }
        }
    }
    issues
}

fn issue(table: &str, line: usize, column: &str, reason: String) -> Issue {
    Issue { table: table.into(), line, column: column.into(), reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, columns: &[&str], rows: &[&[&str]]) -> RawTable {
        RawTable {
            name: name.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows.iter().enumerate().map(|(i, r)| RawRow { line: i + 2, cells: r.iter().map(|c| c.to_string()).collect() }).collect(),
        }
    }

    fn hub() -> Vec<RawTable> {
        vec![
            table("exams", &["exam_id", "subject_name"], &[&["e1", "Математика"]]),
            table("exam_points", &["ppe_code", "ate_code"], &[&["0101", "01"], &["0102", "01"], &["0201", "02"]]),
            table("auditoriums", &["ppe_code", "auditorium"], &[&["0101", "1"], &["0102", "1"], &["0201", "1"]]),
            table("participants", &["participant_id", "surname"], &[&["p1", "А"], &["p2", "Б"]]),
        ]
    }

    fn keys(m: &Merged, name: &str) -> Vec<String> {
        let t = m.tables.iter().find(|t| t.name == name).unwrap();
        let ix = Indexed::new(t);
        t.rows.iter().map(|r| ix.key(r)).collect()
    }

    #[test]
    fn a_file_of_one_table_keeps_every_other_table_of_the_hub() {
        let file = vec![table("exams", &["exam_id", "subject_name"], &[&["e2", "Химия"]])];
        let m = merge(&hub(), &file, &Scope::default()).unwrap();
        assert_eq!(m.taken, ["exams"]);
        assert_eq!(m.kept, ["exam_points", "auditoriums", "participants"]);
        assert_eq!(keys(&m, "exams"), ["e2"], "a table in the file replaces the hub's");
        assert_eq!(keys(&m, "participants"), ["p1", "p2"]);
    }

    #[test]
    fn tables_not_named_by_the_tables_option_are_left_out() {
        let file = vec![table("exams", &["exam_id"], &[]), table("participants", &["participant_id"], &[&["p9"]])];
        let scope = Scope { tables: vec!["participants".into()], ..Scope::default() };
        let m = merge(&hub(), &file, &scope).unwrap();
        assert_eq!((m.taken.as_slice(), m.skipped.as_slice()), (&["participants".to_string()][..], &["exams".to_string()][..]));
        assert_eq!(keys(&m, "exams"), ["e1"]);
        assert_eq!(
            merge(&hub(), &file, &Scope { tables: vec!["workers".into()], ..Scope::default() }).unwrap_err(),
            MergeError::NotInFile("workers".into())
        );
        assert_eq!(
            merge(&hub(), &file, &Scope { tables: vec!["nope".into()], ..Scope::default() }).unwrap_err(),
            MergeError::UnknownTable("nope".into())
        );
        assert_eq!(merge(&hub(), &[], &Scope::default()).unwrap_err(), MergeError::NoTables);
    }

    #[test]
    fn a_per_ate_file_replaces_only_that_ates_points_and_upserts_shared_records() {
        let file = vec![
            table("exam_points", &["ppe_code", "ate_code"], &[&["0101", "01"], &["0103", "01"]]),
            table("auditoriums", &["ppe_code", "auditorium"], &[&["0103", "7"]]),
            table("participants", &["participant_id", "surname"], &[&["p2", "В"], &["p3", "Г"]]),
        ];
        let m = merge(&hub(), &file, &Scope { ate_code: Some("01".into()), ..Scope::default() }).unwrap();
        assert_eq!(keys(&m, "exam_points"), ["0101", "0103", "0201"], "0102 of АТЕ 01 is gone, 0201 of АТЕ 02 stays");
        assert_eq!(keys(&m, "auditoriums"), ["0103/7", "0201/1"]);
        assert_eq!(keys(&m, "participants"), ["p2", "p3", "p1"], "p1 is not removed by a per-ТУ file; p2 is the file's");
        let p = m.tables.iter().find(|t| t.name == "participants").unwrap();
        assert_eq!(p.rows[0].cells[1], "В");
        let issues = m.relabel(vec![issue("auditoriums", HUB_LINE_BASE + 1, "ppe_code", "x".into()), issue("auditoriums", 2, "", "y".into())]);
        assert_eq!((issues[0].line, issues[0].reason.as_str()), (0, "запись «0201/1» плана РЦОИ (её нет в файле): x"));
        assert_eq!(issues[1].line, 2);
    }

    #[test]
    fn a_per_ate_file_naming_another_ates_point_is_refused_whole() {
        let file = vec![
            table("exam_points", &["ppe_code", "ate_code"], &[&["0201", "01"], &["0301", "03"]]),
            table("auditoriums", &["ppe_code", "auditorium"], &[&["0102", "1"]]),
        ];
        let Err(MergeError::OutsideTheAte { issues, .. }) = merge(&hub(), &file, &Scope { ate_code: Some("01".into()), ..Scope::default() }) else {
            panic!()
        };
        let reasons: Vec<&str> = issues.iter().map(|i| i.reason.as_str()).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].contains("относится к АТЕ «02»") && reasons[1].contains("из АТЕ «03»"), "{reasons:?}");
        let file = vec![table("auditoriums", &["ppe_code", "auditorium"], &[&["0201", "1"]])];
        let Err(MergeError::OutsideTheAte { issues, .. }) = merge(&hub(), &file, &Scope { ate_code: Some("01".into()), ..Scope::default() }) else {
            panic!()
        };
        assert!(issues[0].reason.contains("не относится к загружаемой АТЕ"), "{issues:?}");
    }
}
