//! The public observers of an exam point on a date (order 805 §17): ППЭ-07 lists them after
//! the workers, and ППЭ-18-МАШ, the act they sign, is prefilled with their names and
//! certificates. Pure, from the plan the box holds.

use super::forms::WorkerRow;
use crate::model::{Observer, Plan};

/// The observers accredited for `ppe_code` on `date`, by name, each once.
pub fn observers_on<'a>(plan: &'a Plan, ppe_code: &str, date: &str) -> Vec<&'a Observer> {
    let mut list: Vec<&Observer> = plan
        .observer_assignments
        .iter()
        .filter(|a| a.ppe_code == ppe_code && a.date == date)
        .filter_map(|a| plan.observers.iter().find(|o| o.observer_id == a.observer_id))
        .collect();
    list.sort_by(|a, b| (a.full_name(), &a.observer_id).cmp(&(b.full_name(), &b.observer_id)));
    list.dedup_by(|a, b| a.observer_id == b.observer_id);
    list
}

/// An observer's «Должность в ППЭ» on ППЭ-07.
pub const OBSERVER_ROLE: &str = "общественный наблюдатель";

/// The observers' rows of ППЭ-07: in the point, with their accrediting body and certificate.
pub fn observer_rows(plan: &Plan, ppe_code: &str, date: &str) -> Vec<WorkerRow> {
    observers_on(plan, ppe_code, date)
        .into_iter()
        .map(|o| WorkerRow {
            name: o.full_name(),
            role: OBSERVER_ROLE.into(),
            post: "ППЭ".into(),
            workplace: format!("{}, удостоверение {}", o.accrediting_body, o.certificate_number),
        })
        .collect()
}

/// The observer field of ППЭ-18-МАШ: each observer's name and certificate; empty when none
/// is accredited (the field is then written by hand).
pub fn observer_line(plan: &Plan, ppe_code: &str, date: &str) -> String {
    observers_on(plan, ppe_code, date)
        .iter()
        .map(|o| format!("{}, удостоверение {}", o.full_name(), o.certificate_number))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DocType, ObserverAssignment, Sex};

    fn plan() -> Plan {
        let observer = |id: &str, surname: &str, certificate: &str| Observer {
            observer_id: id.into(),
            surname: surname.into(),
            name: "Анна".into(),
            patronymic: String::new(),
            sex: Sex::Female,
            birth_year: 1975,
            phone: String::new(),
            email: String::new(),
            doc_type: DocType::Other,
            doc_series: String::new(),
            doc_number: format!("D{id}"),
            accrediting_body: "Министерство".into(),
            certificate_number: certificate.into(),
        };
        let at = |id: &str, ppe: &str, date: &str| ObserverAssignment { observer_id: id.into(), ppe_code: ppe.into(), date: date.into() };
        Plan {
            observers: vec![observer("O1", "Орлова", "ON-17"), observer("O2", "Белова", "ON-18"), observer("O3", "Котова", "ON-19")],
            observer_assignments: vec![
                at("O1", "0101", "2027.05.27"),
                at("O2", "0101", "2027.05.27"),
                at("O3", "0102", "2027.05.27"),
                at("O1", "0101", "2027.05.29"),
            ],
            ..Plan::default()
        }
    }

    #[test]
    fn the_points_observers_of_that_date_only_are_listed_and_prefilled() {
        let plan = plan();
        let rows = observer_rows(&plan, "0101", "2027.05.27");
        assert_eq!(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Белова Анна", "Орлова Анна"]);
        assert_eq!(rows[1].workplace, "Министерство, удостоверение ON-17");
        assert_eq!(observer_line(&plan, "0101", "2027.05.27"), "Белова Анна, удостоверение ON-18; Орлова Анна, удостоверение ON-17");
        assert_eq!(observer_line(&plan, "0101", "2027.05.29"), "Орлова Анна, удостоверение ON-17");
        assert!(observer_line(&plan, "0103", "2027.05.27").is_empty());
    }
}
