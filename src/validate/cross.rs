//! Checks across rows: unique keys, references, the same person twice, plausible ages for
//! the exams a participant takes, observers like workers.

use super::*;

pub(super) fn issue(table: &str, line: usize, column: &str, reason: String) -> Issue {
    Issue { table: table.into(), line, column: column.into(), reason }
}

/// Checks across rows: unique keys, references, duplicate persons, ages for the exams taken.
pub(super) fn cross_check(p: &Located, issues: &mut Vec<Issue>) {
    fn unique<'a, T>(
        rows: &'a [(usize, T)],
        table: &str,
        column: &str,
        key: impl Fn(&'a T) -> String,
        issues: &mut Vec<Issue>,
    ) -> HashMap<String, usize> {
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
    one_person_per_document(&p.participants, "participants", "участника", |x| (x.doc_type, &x.doc_series, &x.doc_number), issues);
    one_person_per_document(&p.workers, "workers", "работника", |w| (w.doc_type, &w.doc_series, &w.doc_number), issues);
    one_person_per_document(&p.observers, "observers", "наблюдателя", |o| (o.doc_type, &o.doc_series, &o.doc_number), issues);

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
    observers(p, &points, issues);
}

/// One document, one person: a second row with the same document names the first.
fn one_person_per_document<T>(rows: &[(usize, T)], table: &str, whose: &str, doc: impl Fn(&T) -> (DocType, &str, &str), issues: &mut Vec<Issue>) {
    let mut first_of: HashMap<String, usize> = HashMap::new();
    for (line, row) in rows {
        let (doc_type, series, number) = doc(row);
        let key = format!("{}|{}|{}", doc_type.code(), series.to_uppercase(), number);
        if let Some(first) = first_of.get(&key) {
            issues.push(issue(
                table,
                *line,
                "doc_number",
                format!("документ {series} {number} уже указан у {whose} в строке {first}: один человек дважды"),
            ));
        } else {
            first_of.insert(key, *line);
        }
    }
}

/// Observers like workers: unique ids (documents above), assignments to known observers and
/// points, one row per observer, point and date.
fn observers(p: &Located, points: &HashMap<String, usize>, issues: &mut Vec<Issue>) {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (line, o) in &p.observers {
        if let Some(first) = ids.get(o.observer_id.as_str()) {
            issues.push(issue("observers", *line, "observer_id", format!("значение «{}» повторяет строку {first}", o.observer_id)));
        } else {
            ids.insert(&o.observer_id, *line);
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, a) in &p.observer_assignments {
        if !ids.contains_key(a.observer_id.as_str()) && !p.rejected.contains(&format!("observers/{}", a.observer_id)) {
            issues.push(issue("observer_assignments", *line, "observer_id", format!("наблюдателя «{}» нет в таблице observers", a.observer_id)));
        }
        if !points.contains_key(&a.ppe_code) && !p.rejected.contains(&format!("exam_points/{}", a.ppe_code)) {
            issues.push(issue("observer_assignments", *line, "ppe_code", format!("ППЭ «{}» нет в таблице exam_points", a.ppe_code)));
        }
        let key = format!("{}/{}/{}", a.observer_id, a.ppe_code, a.date);
        if let Some(first) = seen.get(&key) {
            issues.push(issue("observer_assignments", *line, "date", format!("значение «{key}» повторяет строку {first}")));
        } else {
            seen.insert(key, *line);
        }
    }
}
