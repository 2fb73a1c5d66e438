//! Format-logical control (ФЛК) of plan data, as order 805 §21 defines it, plus the checks
//! any operator expects (SNILS checksum, document shapes, plausible birth dates, required
//! fields, references, duplicates).
//!
//! Pure: takes the plan as raw tables of strings (whatever file format they came from) and
//! returns either a typed [`Plan`] or every problem found, each naming the table, row, column
//! and reason in Russian. Nothing is partially accepted.

use std::collections::{HashMap, HashSet};

use crate::model::*;

mod columns;
mod values;

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
    /// Keys of rows refused already (`table/key`): references to them are not reported
    /// again, so one bad participant gives one message, not one per registration.
    rejected: HashSet<String>,
}

/// Runs ФЛК over raw tables. Either the whole plan is good, or every problem is returned.
pub fn check_plan(tables: &[RawTable]) -> Result<Plan, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut located = Located::default();
    let mut seen_tables = HashSet::new();
    for table in tables {
        let Some(columns) = columns_of(&table.name) else {
            issues.push(Issue { table: table.name.clone(), line: 0, column: String::new(), reason: format!("неизвестная таблица (ожидаются: {})", TABLES.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")) });
            continue;
        };
        if !seen_tables.insert(table.name.as_str()) {
            issues.push(Issue { table: table.name.clone(), line: 0, column: String::new(), reason: "таблица встречается дважды".into() });
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
                issues.push(Issue { table: table.name.clone(), line: 0, column: c.name.to_string(), reason: format!("нет обязательного столбца ({})", c.title) });
                header_ok = false;
            }
        }
        if !header_ok {
            continue;
        }
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
    if issues.is_empty() {
        Ok(Plan {
            exams: located.exams.into_iter().map(|x| x.1).collect(),
            exam_points: located.exam_points.into_iter().map(|x| x.1).collect(),
            auditoriums: located.auditoriums.into_iter().map(|x| x.1).collect(),
            participants: located.participants.into_iter().map(|x| x.1).collect(),
            registrations: located.registrations.into_iter().map(|x| x.1).collect(),
            workers: located.workers.into_iter().map(|x| x.1).collect(),
            worker_assignments: located.worker_assignments.into_iter().map(|x| x.1).collect(),
            observers: Vec::new(),
            observer_assignments: Vec::new(),
        })
    } else {
        Err(issues)
    }
}

fn convert_row(table: &str, r: &mut RowReader<'_>, out: &mut Located) {
    let line = r.line;
    match table {
        "exams" => {
            let exam = Exam {
                exam_id: r.get("exam_id"),
                kind: r.parse_enum("kind", ExamKind::parse, "ege, oge, gve, interview, essay").unwrap_or(ExamKind::Ege),
                level: r.number("level", 9..=11),
                subject_code: r.get("subject_code"),
                subject_name: r.get("subject_name"),
                date: r.get("date"),
                start: r.get("start"),
                duration_min: r.number("duration_min", 1..=600),
                materials_open_before_min: r.number("materials_open_before_min", 0..=10_080),
                materials_close_after_start_min: r.number("materials_close_after_start_min", 0..=1_440),
                upload_deadline_after_end_min: r.number("upload_deadline_after_end_min", 1..=43_200),
                utc_offset_min: if r.raw("utc_offset_min").is_empty() { default_utc_offset() } else { r.number("utc_offset_min", -720..=840) },
                kit: r.get("kit"),
                kim_print: r.parse_enum("kim_print", KimPrint::parse, "in_room, ahead").unwrap_or_default(),
            };
            if r.ok && exam.level != 9 && exam.level != 11 {
                r.problem("level", format!("уровень {}: допустимо 9 или 11", exam.level));
            }
            let expected_level = match exam.kind {
                ExamKind::Ege | ExamKind::Essay => Some(11),
                ExamKind::Oge | ExamKind::Interview => Some(9),
                ExamKind::Gve => None,
            };
            if r.ok && expected_level.is_some_and(|l| l != exam.level) {
                r.problem("level", format!("{} проводится для уровня {}, указан {}", exam.kind.title_ru(), expected_level.unwrap_or(0), exam.level));
            }
            if let (true, Err(e)) = (r.ok, crate::model::kit::check_kit_cell(&exam.kit)) {
                r.problem("kit", e.to_string());
            }
            if r.ok {
                out.exams.push((line, exam));
            }
        }
        "exam_points" => {
            let p = ExamPoint {
                ppe_code: r.get("ppe_code"),
                name: r.get("name"),
                address: r.get("address"),
                ate_code: r.get("ate_code"),
                ate_name: r.get("ate_name"),
                point_type: r.parse_enum("point_type", PointType::parse, "ordinary, home, tom, uis, abroad").unwrap_or_default(),
                utc_offset_min: if r.raw("utc_offset_min").is_empty() { None } else { Some(r.number("utc_offset_min", -720..=840)) },
            };
            if r.ok {
                out.exam_points.push((line, p));
            }
        }
        "auditoriums" => {
            let a = Auditorium {
                ppe_code: r.get("ppe_code"),
                auditorium: r.get("auditorium"),
                rows: r.number("rows", 1..=50),
                columns: r.number("columns", 1..=SEAT_LETTERS.len() as i64),
                capacity: r.number("capacity", 1..=1400),
                special_needs: r.flag("special_needs"),
                video: r.flag("video"),
                oral: r.flag("oral"),
                reserve: r.flag("reserve"),
                unusable_seats: r.get("unusable_seats"),
                floor: r.number("floor", 0..=100),
            };
            if r.ok {
                let mut unusable = 0u32;
                for label in split_list(&a.unusable_seats) {
                    match parse_seat_label(&label) {
                        Some((row, c)) if row <= a.rows && c <= a.columns => unusable += 1,
                        _ => r.problem("unusable_seats", format!("место «{label}» не существует в сетке {}×{}", a.rows, a.columns)),
                    }
                }
                let seats = u32::from(a.rows) * u32::from(a.columns) - unusable.min(u32::from(a.rows) * u32::from(a.columns));
                if u32::from(a.capacity) > seats {
                    r.problem("capacity", format!("вместимость {} больше числа мест {seats} ({}×{} без неиспользуемых)", a.capacity, a.rows, a.columns));
                }
            }
            if r.ok {
                out.auditoriums.push((line, a));
            }
        }
        "participants" => {
            let doc_type = r.parse_enum("doc_type", DocType::parse, "passport_rf, birth_certificate, foreign_passport, other");
            let mut p = Participant {
                participant_id: r.get("participant_id"),
                surname: r.get("surname"),
                name: r.get("name"),
                patronymic: r.get("patronymic"),
                sex: r.parse_enum("sex", Sex::parse, "М, Ж").unwrap_or(Sex::Male),
                birth_date: r.get("birth_date"),
                phone: r.get("phone"),
                citizenship: r.get("citizenship"),
                snils: r.get("snils"),
                doc_type: doc_type.unwrap_or(DocType::Other),
                doc_series: r.get("doc_series"),
                doc_number: r.get("doc_number"),
                school_code: r.get("school_code"),
                school_name: r.get("school_name"),
                class: r.get("class"),
                study_form: r.get("study_form"),
                category: r.get("category"),
                health: r.parse_enum("health", HealthCategory::parse, "none, ovz, disabled_child, disabled").unwrap_or_default(),
                conditions: SpecialConditions {
                    extra_time: r.flag("extra_time"),
                    separate_room: r.flag("separate_room"),
                    large_print: r.flag("large_print"),
                    assistant: r.flag("assistant"),
                    braille: r.flag("braille"),
                    computer: r.flag("computer"),
                },
                admitted: r.raw("admitted").is_empty() || r.flag("admitted"),
            };
            if doc_type.is_some() && !p.doc_number.is_empty() {
                match check_document(p.doc_type, &p.doc_series, &p.doc_number) {
                    Ok((s, n)) => (p.doc_series, p.doc_number) = (s, n),
                    Err(reason) => r.problem(if reason.contains("серия") { "doc_series" } else { "doc_number" }, reason),
                }
            }
            if r.ok && p.conditions.any() && p.health == HealthCategory::None {
                r.problem("health", "особые условия указаны, но категория ОВЗ/инвалидности не указана".into());
            }
            if r.ok {
                out.participants.push((line, p));
            }
        }
        "registrations" => {
            let g = Registration { exam_id: r.get("exam_id"), participant_id: r.get("participant_id"), ppe_code: r.get("ppe_code") };
            if r.ok {
                out.registrations.push((line, g));
            }
        }
        "workers" => {
            let doc_type = r.parse_enum("doc_type", DocType::parse, "passport_rf, birth_certificate, foreign_passport, other");
            let roles_raw = r.list("roles");
            let mut roles = Vec::new();
            for code in &roles_raw {
                match WorkerRole::parse(code) {
                    Some(role) => roles.push(role),
                    None => r.problem("roles", format!("«{code}»: неизвестный вид работ (допустимо: {})", WorkerRole::ALL.map(|w| w.code()).join(", "))),
                }
            }
            let mut w = Worker {
                worker_id: r.get("worker_id"),
                surname: r.get("surname"),
                name: r.get("name"),
                patronymic: r.get("patronymic"),
                birth_year: r.number("birth_year", 1920..=2010),
                phone: r.get("phone"),
                email: r.get("email"),
                snils: r.get("snils"),
                doc_type: doc_type.unwrap_or(DocType::Other),
                doc_series: r.get("doc_series"),
                doc_number: r.get("doc_number"),
                workplace: r.get("workplace"),
                workplace_school_code: r.get("workplace_school_code"),
                position: r.get("position"),
                specializations: r.list("specializations"),
                roles,
                forbidden_subjects: r.list("forbidden_subjects"),
            };
            if doc_type.is_some() && !w.doc_number.is_empty() {
                match check_document(w.doc_type, &w.doc_series, &w.doc_number) {
                    Ok((s, n)) => (w.doc_series, w.doc_number) = (s, n),
                    Err(reason) => r.problem(if reason.contains("серия") { "doc_series" } else { "doc_number" }, reason),
                }
            }
            if r.ok {
                out.workers.push((line, w));
            }
        }
        "worker_assignments" => {
            let a = WorkerAssignment { worker_id: r.get("worker_id"), ppe_code: r.get("ppe_code"), date: r.get("date"), reserve: r.flag("reserve") };
            if r.ok {
                out.worker_assignments.push((line, a));
            }
        }
        _ => {}
    }
}

fn issue(table: &str, line: usize, column: &str, reason: String) -> Issue {
    Issue { table: table.into(), line, column: column.into(), reason }
}

/// Checks across rows: unique keys, references, duplicate persons, ages for the exams taken.
fn cross_check(p: &Located, issues: &mut Vec<Issue>) {
    fn unique<'a, T>(rows: &'a [(usize, T)], table: &str, column: &str, key: impl Fn(&'a T) -> String, issues: &mut Vec<Issue>) -> HashMap<String, usize> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (line, row) in rows {
            let k = key(row);
            if let Some(first) = seen.get(&k) {
                issues.push(issue(table, *line, column, format!("значение «{k}» повторяет строку {first}")));
            } else {
                seen.insert(k, *line);
            }
        }
        seen
    }
    let exams = unique(&p.exams, "exams", "exam_id", |e| e.exam_id.clone(), issues);
    let points = unique(&p.exam_points, "exam_points", "ppe_code", |e| e.ppe_code.clone(), issues);
    unique(&p.auditoriums, "auditoriums", "auditorium", |a| format!("{}/{}", a.ppe_code, a.auditorium), issues);
    let participants = unique(&p.participants, "participants", "participant_id", |x| x.participant_id.clone(), issues);
    let workers = unique(&p.workers, "workers", "worker_id", |w| w.worker_id.clone(), issues);
    unique(&p.registrations, "registrations", "participant_id", |g| format!("{}/{}", g.exam_id, g.participant_id), issues);
    unique(&p.worker_assignments, "worker_assignments", "date", |a| format!("{}/{}/{}", a.worker_id, a.ppe_code, a.date), issues);

    // The same person (same document) twice in one plan.
    let mut docs: HashMap<String, usize> = HashMap::new();
    for (line, x) in &p.participants {
        let key = format!("{}|{}|{}", x.doc_type.code(), x.doc_series.to_uppercase(), x.doc_number);
        if let Some(first) = docs.get(&key) {
            issues.push(issue("participants", *line, "doc_number", format!("документ {} {} уже указан у участника в строке {first}: один человек дважды", x.doc_series, x.doc_number)));
        } else {
            docs.insert(key, *line);
        }
    }
    let mut worker_docs: HashMap<String, usize> = HashMap::new();
    for (line, w) in &p.workers {
        let key = format!("{}|{}|{}", w.doc_type.code(), w.doc_series.to_uppercase(), w.doc_number);
        if let Some(first) = worker_docs.get(&key) {
            issues.push(issue("workers", *line, "doc_number", format!("документ {} {} уже указан у работника в строке {first}: один человек дважды", w.doc_series, w.doc_number)));
        } else {
            worker_docs.insert(key, *line);
        }
    }

    for (line, a) in &p.auditoriums {
        if !points.contains_key(&a.ppe_code) {
            issues.push(issue("auditoriums", *line, "ppe_code", format!("ППЭ «{}» нет в таблице exam_points", a.ppe_code)));
        }
    }
    let exam_by_id: HashMap<&str, &Exam> = p.exams.iter().map(|(_, e)| (e.exam_id.as_str(), e)).collect();
    let participant_by_id: HashMap<&str, &Participant> = p.participants.iter().map(|(_, x)| (x.participant_id.as_str(), x)).collect();
    for (line, g) in &p.registrations {
        if !exams.contains_key(&g.exam_id) && !p.rejected.contains(&format!("exams/{}", g.exam_id)) {
            issues.push(issue("registrations", *line, "exam_id", format!("экзамена «{}» нет в таблице exams", g.exam_id)));
        }
        if !participants.contains_key(&g.participant_id) && !p.rejected.contains(&format!("participants/{}", g.participant_id)) {
            issues.push(issue("registrations", *line, "participant_id", format!("участника «{}» нет в таблице participants", g.participant_id)));
        }
        if !points.contains_key(&g.ppe_code) && !p.rejected.contains(&format!("exam_points/{}", g.ppe_code)) {
            issues.push(issue("registrations", *line, "ppe_code", format!("ППЭ «{}» нет в таблице exam_points", g.ppe_code)));
        }
        if let (Some(exam), Some(person)) = (exam_by_id.get(g.exam_id.as_str()), participant_by_id.get(g.participant_id.as_str())) {
            if let (Some(birth), Some(day)) = (parse_stored_date(&person.birth_date), parse_stored_date(&exam.date)) {
                if let Err(reason) = check_birth_date(birth, exam.level, day) {
                    let pline = participants.get(&g.participant_id).copied().unwrap_or(0);
                    issues.push(issue("participants", pline, "birth_date", format!("{reason} (экзамен {})", exam.exam_id)));
                }
            }
        }
    }
    for (line, a) in &p.worker_assignments {
        if !workers.contains_key(&a.worker_id) && !p.rejected.contains(&format!("workers/{}", a.worker_id)) {
            issues.push(issue("worker_assignments", *line, "worker_id", format!("работника «{}» нет в таблице workers", a.worker_id)));
        }
        if !points.contains_key(&a.ppe_code) {
            issues.push(issue("worker_assignments", *line, "ppe_code", format!("ППЭ «{}» нет в таблице exam_points", a.ppe_code)));
        }
    }
    issues.sort_by(|a, b| {
        let order = |t: &str| TABLES.iter().position(|x| x.0 == t).unwrap_or(usize::MAX);
        (order(&a.table), a.line).cmp(&(order(&b.table), b.line))
    });
}

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
