//! What an import changes: per table the records added, changed and removed, by key. The
//! operator's report names people (it is printed to the operator only); the import record and
//! the audit keep keys and counts, never names. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Plan;

/// What a changed record touches, for the exam-day rule ([`super::rules`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    Exam(String),
    Point(String),
    Participant(String),
    /// An exam point on a date (worker and observer assignments).
    PointDate(String, String),
    Worker(String),
    Observer(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// A person's name or an exam's subject, for the operator's screen only.
    pub label: String,
    pub touch: Touch,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableDiff {
    pub table: &'static str,
    pub before: usize,
    pub after: usize,
    pub added: Vec<Entry>,
    pub changed: Vec<Entry>,
    pub removed: Vec<Entry>,
}

impl TableDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The changes of one import, table by table in the plan's order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanDiff {
    pub tables: Vec<TableDiff>,
}

/// The keys of a table's changes, as the import record keeps them.
#[derive(Debug, Serialize)]
struct KeysOnly<'a> {
    before: usize,
    after: usize,
    added: Vec<&'a str>,
    changed: Vec<&'a str>,
    removed: Vec<&'a str>,
}

impl PlanDiff {
    pub fn is_empty(&self) -> bool {
        self.tables.iter().all(TableDiff::is_empty)
    }

    pub fn table(&self, name: &str) -> Option<&TableDiff> {
        self.tables.iter().find(|t| t.table == name)
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.tables.iter().flat_map(|t| t.added.iter().chain(&t.changed).chain(&t.removed))
    }

    /// Keys only (no names), the changed tables only: the import record's `diff`.
    pub fn keys_json(&self) -> serde_json::Value {
        let map: BTreeMap<&str, KeysOnly<'_>> = self
            .tables
            .iter()
            .filter(|t| !t.is_empty())
            .map(|t| {
                (t.table, KeysOnly { before: t.before, after: t.after, added: keys(&t.added), changed: keys(&t.changed), removed: keys(&t.removed) })
            })
            .collect();
        serde_json::to_value(map).unwrap_or_default()
    }

    /// Counts per changed table (`{"participants": [added, changed, removed]}`): the audit's.
    pub fn counts_json(&self) -> serde_json::Value {
        let map: BTreeMap<&str, [usize; 3]> =
            self.tables.iter().filter(|t| !t.is_empty()).map(|t| (t.table, [t.added.len(), t.changed.len(), t.removed.len()])).collect();
        serde_json::to_value(map).unwrap_or_default()
    }

    /// The operator's report: a line per table, then up to `shown` records of each change.
    pub fn render(&self, shown: usize) -> String {
        let mut out = String::new();
        for t in &self.tables {
            if t.is_empty() {
                out.push_str(&format!("  {}: без изменений ({})\n", t.table, t.before));
                continue;
            }
            out.push_str(&format!(
                "  {}: добавлено {}, изменено {}, удалено {} (было {}, стало {})\n",
                t.table,
                t.added.len(),
                t.changed.len(),
                t.removed.len(),
                t.before,
                t.after
            ));
            for (sign, entries) in [("+", &t.added), ("~", &t.changed), ("-", &t.removed)] {
                for e in entries.iter().take(shown) {
                    let label = if e.label.is_empty() { String::new() } else { format!(" {}", e.label) };
                    out.push_str(&format!("      {sign} {}{label}\n", e.key));
                }
                if entries.len() > shown {
                    out.push_str(&format!("      {sign} … и ещё {}\n", entries.len() - shown));
                }
            }
        }
        out
    }
}

fn table<T: PartialEq>(
    name: &'static str,
    old: &[T],
    new: &[T],
    key: impl Fn(&T) -> String,
    label: impl Fn(&T) -> String,
    touch: impl Fn(&T) -> Touch,
) -> TableDiff {
    let index = |rows: &[T]| -> BTreeMap<String, usize> { rows.iter().enumerate().map(|(i, r)| (key(r), i)).collect() };
    let (old_ix, new_ix) = (index(old), index(new));
    let entry = |r: &T| Entry { key: key(r), label: label(r), touch: touch(r) };
    let mut diff = TableDiff { table: name, before: old.len(), after: new.len(), ..TableDiff::default() };
    for (k, &i) in &new_ix {
        match old_ix.get(k) {
            None => diff.added.push(entry(&new[i])),
            Some(&j) if old[j] != new[i] => diff.changed.push(entry(&new[i])),
            Some(_) => {}
        }
    }
    diff.removed = old_ix.iter().filter(|(k, _)| !new_ix.contains_key(*k)).map(|(_, &j)| entry(&old[j])).collect();
    diff
}

fn no_label<T>(_: &T) -> String {
    String::new()
}

fn keys(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.key.as_str()).collect()
}

/// Every change from `old` to `new`.
pub fn diff_plans(old: &Plan, new: &Plan) -> PlanDiff {
    PlanDiff {
        tables: vec![
            table(
                "exams",
                &old.exams,
                &new.exams,
                |e| e.exam_id.clone(),
                |e| format!("{} {}", e.subject_name, e.date),
                |e| Touch::Exam(e.exam_id.clone()),
            ),
            table(
                "exam_points",
                &old.exam_points,
                &new.exam_points,
                |p| p.ppe_code.clone(),
                |p| p.name.clone(),
                |p| Touch::Point(p.ppe_code.clone()),
            ),
            table(
                "auditoriums",
                &old.auditoriums,
                &new.auditoriums,
                |a| format!("{}/{}", a.ppe_code, a.auditorium),
                no_label,
                |a| Touch::Point(a.ppe_code.clone()),
            ),
            table(
                "participants",
                &old.participants,
                &new.participants,
                |p| p.participant_id.clone(),
                |p| p.full_name(),
                |p| Touch::Participant(p.participant_id.clone()),
            ),
            table(
                "registrations",
                &old.registrations,
                &new.registrations,
                |r| format!("{}/{}", r.exam_id, r.participant_id),
                |r| format!("ППЭ {}", r.ppe_code),
                |r| Touch::Exam(r.exam_id.clone()),
            ),
            table("workers", &old.workers, &new.workers, |w| w.worker_id.clone(), |w| w.full_name(), |w| Touch::Worker(w.worker_id.clone())),
            table(
                "worker_assignments",
                &old.worker_assignments,
                &new.worker_assignments,
                |a| format!("{}/{}/{}", a.worker_id, a.ppe_code, a.date),
                no_label,
                |a| Touch::PointDate(a.ppe_code.clone(), a.date.clone()),
            ),
            table(
                "observers",
                &old.observers,
                &new.observers,
                |o| o.observer_id.clone(),
                |o| o.full_name(),
                |o| Touch::Observer(o.observer_id.clone()),
            ),
            table(
                "observer_assignments",
                &old.observer_assignments,
                &new.observer_assignments,
                |a| format!("{}/{}/{}", a.observer_id, a.ppe_code, a.date),
                no_label,
                |a| Touch::PointDate(a.ppe_code.clone(), a.date.clone()),
            ),
        ],
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::*;

    /// A small plan: exam `e1` on 2027.05.27 at points 0101 and 0102, four participants.
    pub(crate) fn plan() -> Plan {
        let sample = crate::plan::parse_plan(crate::plan::PlanFormat::Json, include_bytes!("../../tests/fixtures/plan-sample.json"), "sample")
            .map(|(p, _)| p)
            .unwrap_or_default();
        assert!(!sample.participants.is_empty() && !sample.registrations.is_empty(), "the sample plan parses");
        sample
    }

    #[test]
    fn the_same_plan_has_no_changes() {
        let p = plan();
        let d = diff_plans(&p, &p);
        assert!(d.is_empty());
        assert!(d.render(5).contains("participants: без изменений"));
        assert_eq!(d.keys_json(), serde_json::json!({}));
    }

    #[test]
    fn added_changed_and_removed_records_are_named_by_key_and_names_stay_out_of_the_record() {
        let old = plan();
        let mut new = old.clone();
        let gone = new.participants.remove(0);
        new.participants[0].phone = "+7 900 000-00-00".into();
        let changed = new.participants[0].participant_id.clone();
        new.exams[0].subject_name = "Другой".into();
        let d = diff_plans(&old, &new);
        let p = d.table("participants").unwrap();
        assert_eq!(p.removed.iter().map(|e| e.key.clone()).collect::<Vec<_>>(), [gone.participant_id.clone()]);
        assert_eq!(p.changed.iter().map(|e| e.key.clone()).collect::<Vec<_>>(), [changed]);
        assert_eq!((p.before, p.after), (old.participants.len(), old.participants.len() - 1));
        assert_eq!(d.table("exams").unwrap().changed.len(), 1);
        let report = d.render(5);
        assert!(report.contains(&format!("- {} {}", gone.participant_id, gone.surname)), "{report}");
        let record = d.keys_json().to_string();
        assert!(record.contains(&gone.participant_id) && !record.contains(&gone.surname), "{record}");
        assert_eq!(d.counts_json()["participants"], serde_json::json!([0, 1, 1]));
    }
}
