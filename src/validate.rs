//! Format-logical control (ФЛК) of plan data, as order 805 §21 defines it, plus the checks
//! any operator expects (SNILS checksum, document shapes, plausible birth dates, required
//! fields, references, duplicates).
//!
//! Pure: takes the plan as raw tables of strings (whatever file format they came from) and
//! returns either a typed [`Plan`] (with warnings about what an old-format file lacked) or
//! every problem found, each naming the table, row, column and reason in Russian. Nothing is
//! partially accepted. Parts: `columns` (the schema), `values` (one cell), `convert` (one
//! row), `cross` (across rows), `days` (the hub's checks of the exam days), `compat` (plans
//! of the old format).

use std::collections::{HashMap, HashSet};

use crate::model::*;

mod columns;
mod compat;
mod convert;
mod cross;
mod days;
mod values;

use convert::convert_row;
use cross::{cross_check, issue};

pub use columns::*;
pub use values::*;

/// A plan as tables of text cells, the common ground of CSV, XLSX and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawTable {
    /// One of [`TABLES`].
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<RawRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// Where the row is in its source: line of a CSV, row of a sheet, index in a JSON array.
    pub line: usize,
    pub cells: Vec<String>,
}

/// One problem found by ФЛК.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub table: String,
    /// 0 when the problem is with the table or the file as a whole.
    pub line: usize,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column.is_empty()) {
            (0, true) => write!(f, "таблица {}: {}", self.table, self.reason),
            (0, false) => write!(f, "таблица {}, столбец {}: {}", self.table, self.column, self.reason),
            (l, true) => write!(f, "таблица {}, строка {l}: {}", self.table, self.reason),
            (l, false) => write!(f, "таблица {}, строка {l}, столбец {}: {}", self.table, self.column, self.reason),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tables to a typed plan.

struct RowReader<'a> {
    table: &'a str,
    line: usize,
    index: &'a HashMap<&'a str, usize>,
    cells: &'a [String],
    columns: &'static [Column],
    issues: &'a mut Vec<Issue>,
    ok: bool,
}

impl RowReader<'_> {
    fn problem(&mut self, column: &str, reason: String) {
        self.ok = false;
        self.issues.push(Issue { table: self.table.to_string(), line: self.line, column: column.to_string(), reason });
    }

    fn raw(&self, name: &str) -> String {
        self.index.get(name).and_then(|&i| self.cells.get(i)).map(|s| s.trim().to_string()).unwrap_or_default()
    }

    /// A checked, normalized value ("" for an absent optional one).
    fn get(&mut self, name: &str) -> String {
        let Some(column) = self.columns.iter().find(|c| c.name == name) else { return String::new() };
        let value = self.raw(name);
        if value.is_empty() {
            if column.required {
                self.problem(name, "обязательное поле не заполнено".into());
            }
            return String::new();
        }
        match check_format(&value, column.format) {
            Ok(v) => v,
            Err(reason) => {
                self.problem(name, reason);
                String::new()
            }
        }
    }

    fn number<T: std::str::FromStr + Default>(&mut self, name: &str, range: std::ops::RangeInclusive<i64>) -> T {
        let v = self.get(name);
        if v.is_empty() {
            return T::default();
        }
        match v.parse::<i64>() {
            Ok(n) if range.contains(&n) => v.parse().unwrap_or_default(),
            _ => {
                self.problem(name, format!("{v} вне допустимого диапазона {}–{}", range.start(), range.end()));
                T::default()
            }
        }
    }

    fn flag(&mut self, name: &str) -> bool {
        self.get(name) == "true"
    }

    fn list(&mut self, name: &str) -> Vec<String> {
        split_list(&self.get(name))
    }

    fn parse_enum<T>(&mut self, name: &str, parse: impl Fn(&str) -> Option<T>, allowed: &str) -> Option<T> {
        let v = self.get(name);
        if v.is_empty() {
            return parse("");
        }
        let parsed = parse(&v);
        if parsed.is_none() {
            self.problem(name, format!("«{v}»: недопустимое значение (допустимо: {allowed})"));
        }
        parsed
    }
}

/// Rows converted to typed records, each remembering its source line.
#[derive(Default)]
struct Located {
    exams: Vec<(usize, Exam)>,
    exam_points: Vec<(usize, ExamPoint)>,
    auditoriums: Vec<(usize, Auditorium)>,
    participants: Vec<(usize, Participant)>,
    registrations: Vec<(usize, Registration)>,
    workers: Vec<(usize, Worker)>,
    worker_assignments: Vec<(usize, WorkerAssignment)>,
    observers: Vec<(usize, Observer)>,
    observer_assignments: Vec<(usize, ObserverAssignment)>,
    /// Exams whose row gives `utc_offset_min` (old plans: the points' offsets come from them).
    exam_offsets: HashMap<String, i32>,
    /// Tables the file has (a check needing a table the file lacks is not run).
    tables: HashSet<String>,
    /// Keys of rows refused already (`table/key`): references to them are not reported
    /// again, so one bad participant gives one message, not one per registration.
    rejected: HashSet<String>,
}

/// A plan that passed ФЛК, and what an old-format file lacked and was taken instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub plan: Plan,
    /// Issues that refuse nothing (line 0: about a table as a whole).
    pub warnings: Vec<Issue>,
}

/// Runs ФЛК over raw tables. Either the whole plan is good, or every problem is returned.
pub fn check_plan(tables: &[RawTable]) -> Result<Plan, Vec<Issue>> {
    check_plan_with_warnings(tables).map(|c| c.plan)
}

/// [`check_plan`] with the warnings of a good plan kept.
pub fn check_plan_with_warnings(tables: &[RawTable]) -> Result<Checked, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut warnings = Vec::new();
    let mut located = Located::default();
    let mut seen_tables = HashSet::new();
    for table in tables {
        let Some(columns) = columns_of(&table.name) else {
            issues.push(Issue {
                table: table.name.clone(),
                line: 0,
                column: String::new(),
                reason: format!("неизвестная таблица (ожидаются: {})", TABLES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")),
            });
            continue;
        };
        if !seen_tables.insert(table.name.as_str()) {
            issues.push(Issue {
                table: table.name.clone(), line: 0, column: String::new(), reason: "таблица встречается дважды".into()
            });
            continue;
        }
        let index: HashMap<&str, usize> = table.columns.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
        let mut header_ok = true;
        for c in &table.columns {
            if !columns.iter().any(|k| k.name == c) {
                issues.push(Issue { table: table.name.clone(), line: 0, column: c.clone(), reason: "неизвестный столбец".into() });
                header_ok = false;
            }
        }
        for c in columns.iter().filter(|c| c.required) {
            if !index.contains_key(c.name) {
                issues.push(Issue {
                    table: table.name.clone(),
                    line: 0,
                    column: c.name.to_string(),
                    reason: format!("нет обязательного столбца ({})", c.title),
                });
                header_ok = false;
            }
        }
        if !header_ok {
            continue;
        }
        located.tables.insert(table.name.clone());
        warnings.extend(compat::admitted_warning(table));
        for row in &table.rows {
            let mut r = RowReader { table: &table.name, line: row.line, index: &index, cells: &row.cells, columns, issues: &mut issues, ok: true };
            if row.cells.len() > table.columns.len() && row.cells[table.columns.len()..].iter().any(|c| !c.trim().is_empty()) {
                r.problem("", format!("в строке {} значений, а столбцов {}", row.cells.len(), table.columns.len()));
            }
            convert_row(&table.name, &mut r, &mut located);
            if !r.ok {
                let key_column = columns[0].name;
                let key = r.raw(key_column);
                located.rejected.insert(format!("{}/{key}", table.name));
            }
        }
    }
    cross_check(&located, &mut issues);
    compat::fill_point_offsets(&mut located, &mut issues, &mut warnings);
    days::check_days(&located, &mut issues);
    issues.sort_by(|a, b| {
        let order = |t: &str| TABLES.iter().position(|x| x.0 == t).unwrap_or(usize::MAX);
        (order(&a.table), a.line).cmp(&(order(&b.table), b.line))
    });
    if issues.is_empty() {
        let plan = Plan {
            exams: located.exams.into_iter().map(|x| x.1).collect(),
            exam_points: located.exam_points.into_iter().map(|x| x.1).collect(),
            auditoriums: located.auditoriums.into_iter().map(|x| x.1).collect(),
            participants: located.participants.into_iter().map(|x| x.1).collect(),
            registrations: located.registrations.into_iter().map(|x| x.1).collect(),
            workers: located.workers.into_iter().map(|x| x.1).collect(),
            worker_assignments: located.worker_assignments.into_iter().map(|x| x.1).collect(),
            observers: located.observers.into_iter().map(|x| x.1).collect(),
            observer_assignments: located.observer_assignments.into_iter().map(|x| x.1).collect(),
        };
        Ok(Checked { plan, warnings })
    } else {
        Err(issues)
    }
}

#[cfg(test)]
mod check_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod doc_tests {
    #[test]
    fn plan_format_doc_lists_every_column() {
        let doc = include_str!("../docs/plan-format.md");
        for (table, columns) in super::TABLES {
            assert!(doc.contains(&format!("### `{table}`")), "docs/plan-format.md lacks table {table}");
            for c in *columns {
                assert!(doc.contains(&format!("| `{}` |", c.name)), "docs/plan-format.md lacks {table}.{}", c.name);
            }
        }
    }
}
