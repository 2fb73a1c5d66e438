//! The rules a plan change must pass (issue 16 item 8, DOMAIN.md §4 "Deadlines"): an import
//! removing more than a small share of the plan, or touching an exam held today, is refused
//! unless forced with a reason; after the freeze date every change needs a reason and the
//! official letter it follows. Pure: facts in, a verdict or every named refusal out.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::diff::{PlanDiff, Touch};
use crate::model::Plan;

/// `[plan]` numbers of the hub that these rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLimits {
    /// More than this share (percent) of any table's rows, or of one exam's or one exam
    /// point's rows, removed needs `--force --reason`.
    pub max_removed_percent: u32,
    /// From this date on (hub local date) every change needs a reason and a letter.
    pub freeze_date: Option<NaiveDate>,
    /// The hub's own UTC offset, minutes (its local date for the freeze and the exam day).
    pub hub_utc_offset_min: i32,
}

/// What the operator gave for the change.
#[derive(Debug, Clone, Copy, Default)]
pub struct Justification<'a> {
    pub force: bool,
    pub reason: &'a str,
    /// The official letter the change follows (number and date).
    pub letter: &'a str,
}

/// Why a change is refused (each names what to do).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{group}: удаляется {removed} из {before} записей ({percent}%) — больше допустимых {limit}%; если так и задумано, повторите с --force --reason «…»")]
    TooMuchRemoved { group: String, removed: usize, before: usize, percent: usize, limit: u32 },
    #[error("изменение затрагивает экзамен {exam_id} сегодня ({date}): в день экзамена план меняется только с --force --reason «…»")]
    ExamDay { exam_id: String, date: String },
    #[error("план заморожен с {since}: изменение только по официальному письму — укажите --reason «…» и --letter «№ … от …»")]
    Frozen { since: String },
    #[error("--force без причины: укажите --reason «…»")]
    ForceWithoutReason,
}

impl Refusal {
    /// Whether `--force --reason` may override it (the freeze never can: it needs the letter).
    pub fn forceable(&self) -> bool {
        matches!(self, Self::TooMuchRemoved { .. } | Self::ExamDay { .. })
    }
}

/// A change allowed: what was overridden by force and whether the freeze applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub overridden: Vec<Refusal>,
    pub frozen: bool,
}

/// Judges the change from `old` to `new` at `now`.
pub fn judge(
    old: &Plan,
    new: &Plan,
    diff: &PlanDiff,
    now: DateTime<Utc>,
    limits: &ChangeLimits,
    given: Justification<'_>,
) -> Result<Verdict, Vec<Refusal>> {
    if diff.is_empty() {
        return Ok(Verdict::default());
    }
    let mut refusals = too_much_removed(old, diff, limits.max_removed_percent);
    refusals.extend(exam_day(old, new, diff, now, limits.hub_utc_offset_min));
    let hub_today = local_date(now, limits.hub_utc_offset_min);
    let frozen = limits.freeze_date.is_some_and(|f| hub_today >= f);
    let mut hard = Vec::new();
    if frozen && (given.reason.trim().is_empty() || given.letter.trim().is_empty()) {
        hard.push(Refusal::Frozen { since: limits.freeze_date.map(|d| d.format("%Y.%m.%d").to_string()).unwrap_or_default() });
    }
    if given.force && given.reason.trim().is_empty() {
        hard.push(Refusal::ForceWithoutReason);
    }
    if !hard.is_empty() || (!given.force && !refusals.is_empty()) {
        hard.extend(refusals);
        return Err(hard);
    }
    Ok(Verdict { overridden: refusals, frozen })
}

fn local_date(now: DateTime<Utc>, offset_min: i32) -> NaiveDate {
    (now + chrono::Duration::minutes(offset_min.into())).date_naive()
}

fn share_refusal(group: String, removed: usize, before: usize, limit: u32) -> Option<Refusal> {
    (removed * 100 > before * limit as usize).then(|| Refusal::TooMuchRemoved {
        group,
        removed,
        before,
        percent: removed * 100 / before.max(1),
        limit,
    })
}

/// Shares removed per table, and of each exam's and each exam point's rows.
fn too_much_removed(old: &Plan, diff: &PlanDiff, limit: u32) -> Vec<Refusal> {
    let mut out: Vec<Refusal> =
        diff.tables.iter().filter_map(|t| share_refusal(format!("таблица {}", t.table), t.removed.len(), t.before, limit)).collect();
    let removed_keys =
        |table: &str| -> BTreeSet<String> { diff.table(table).map(|t| t.removed.iter().map(|e| e.key.clone()).collect()).unwrap_or_default() };
    let mut groups: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut count = |group: String, removed: bool| {
        let g = groups.entry(group).or_default();
        g.1 += 1;
        g.0 += usize::from(removed);
    };
    let gone = removed_keys("registrations");
    for r in &old.registrations {
        let removed = gone.contains(&format!("{}/{}", r.exam_id, r.participant_id));
        count(format!("экзамен {}: регистрации", r.exam_id), removed);
        count(format!("ППЭ {}: регистрации", r.ppe_code), removed);
    }
    let gone = removed_keys("auditoriums");
    for a in &old.auditoriums {
        count(format!("ППЭ {}: аудитории", a.ppe_code), gone.contains(&format!("{}/{}", a.ppe_code, a.auditorium)));
    }
    let gone = removed_keys("worker_assignments");
    for a in &old.worker_assignments {
        count(format!("ППЭ {}: назначения работников", a.ppe_code), gone.contains(&format!("{}/{}/{}", a.worker_id, a.ppe_code, a.date)));
    }
    out.extend(groups.into_iter().filter_map(|(group, (removed, before))| share_refusal(group, removed, before, limit)));
    out
}

/// The exams a change touches whose date is today, by the hub's clock or the exam's own.
fn exam_day(old: &Plan, new: &Plan, diff: &PlanDiff, now: DateTime<Utc>, hub_offset_min: i32) -> Vec<Refusal> {
    let plans = [old, new];
    let mut exams_at_point: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut exams_of_participant: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in plans.iter().flat_map(|p| &p.registrations) {
        exams_at_point.entry(&r.ppe_code).or_default().insert(&r.exam_id);
        exams_of_participant.entry(&r.participant_id).or_default().insert(&r.exam_id);
    }
    let exam = |id: &str| plans.iter().rev().flat_map(|p| &p.exams).find(|e| e.exam_id == id);
    let on_date = |ppe: &str, date: &str| -> Vec<String> {
        exams_at_point.get(ppe).into_iter().flatten().filter(|id| exam(id).is_some_and(|e| e.date == date)).map(|s| s.to_string()).collect()
    };
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for entry in diff.entries() {
        match &entry.touch {
            Touch::Exam(id) => {
                touched.insert(id.clone());
            }
            Touch::Point(ppe) => touched.extend(exams_at_point.get(ppe.as_str()).into_iter().flatten().map(|s| s.to_string())),
            Touch::Participant(id) => touched.extend(exams_of_participant.get(id.as_str()).into_iter().flatten().map(|s| s.to_string())),
            Touch::PointDate(ppe, date) => touched.extend(on_date(ppe, date)),
            Touch::Worker(id) => {
                for a in plans.iter().flat_map(|p| &p.worker_assignments).filter(|a| &a.worker_id == id) {
                    touched.extend(on_date(&a.ppe_code, &a.date));
                }
            }
            Touch::Observer(id) => {
                for a in plans.iter().flat_map(|p| &p.observer_assignments).filter(|a| &a.observer_id == id) {
                    touched.extend(on_date(&a.ppe_code, &a.date));
                }
            }
        }
    }
    let point_offsets = |exam_id: &str| -> Vec<i32> {
        let held: BTreeSet<&str> = exams_at_point.iter().filter(|(_, ex)| ex.contains(exam_id)).map(|(p, _)| *p).collect();
        plans.iter().flat_map(|p| &p.exam_points).filter(|p| held.contains(p.ppe_code.as_str())).filter_map(|p| p.utc_offset_min).collect()
    };
    touched
        .into_iter()
        .filter_map(|id| {
            let e = exam(&id)?;
            let mut offsets = vec![hub_offset_min, e.utc_offset_min];
            offsets.extend(point_offsets(&id));
            let today = offsets.iter().any(|&o| local_date(now, o).format("%Y.%m.%d").to_string() == e.date);
            today.then(|| Refusal::ExamDay { exam_id: id.clone(), date: e.date.clone() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::diff::{diff_plans, tests::plan};

    fn limits() -> ChangeLimits {
        ChangeLimits { max_removed_percent: 10, freeze_date: None, hub_utc_offset_min: 180 }
    }

    /// Noon UTC on the sample's first exam day (2027.05.27) and the day before.
    fn at(date: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{date}T06:00:00Z")).unwrap().with_timezone(&Utc)
    }

    fn run(old: &Plan, new: &Plan, now: &str, limits: &ChangeLimits, given: Justification<'_>) -> Result<Verdict, Vec<Refusal>> {
        judge(old, new, &diff_plans(old, new), at(now), limits, given)
    }

    fn drop_half_of_the_participants(p: &Plan) -> Plan {
        let mut new = p.clone();
        let keep = new.participants.len() / 2;
        new.participants.truncate(keep);
        let left: BTreeSet<String> = new.participants.iter().map(|p| p.participant_id.clone()).collect();
        new.registrations.retain(|r| left.contains(&r.participant_id));
        new
    }

    #[test]
    fn removing_half_of_a_table_is_refused_unless_forced_with_a_reason() {
        let old = plan();
        let new = drop_half_of_the_participants(&old);
        let refusals = run(&old, &new, "2027-05-01", &limits(), Justification::default()).unwrap_err();
        assert!(refusals.iter().any(|r| r.to_string().starts_with("таблица participants: удаляется 6 из 12 записей (50%)")), "{refusals:?}");
        assert!(refusals.iter().any(|r| r.to_string().starts_with("экзамен ege-02: регистрации")), "{refusals:?}");
        let no_reason = run(&old, &new, "2027-05-01", &limits(), Justification { force: true, ..Default::default() }).unwrap_err();
        assert_eq!(no_reason[0], Refusal::ForceWithoutReason, "{no_reason:?}");
        let forced = run(&old, &new, "2027-05-01", &limits(), Justification { force: true, reason: "списки уточнены", letter: "" }).unwrap();
        assert_eq!(forced.overridden, refusals);
        let loose = ChangeLimits { max_removed_percent: 60, ..limits() };
        assert_eq!(run(&old, &new, "2027-05-01", &loose, Justification::default()), Ok(Verdict::default()), "a limit as data");
    }

    #[test]
    fn adding_and_changing_need_no_force_and_removing_one_auditorium_of_three_does() {
        let old = plan();
        let mut new = old.clone();
        new.participants[0].phone = "+7 900 000-00-00".into();
        assert_eq!(run(&old, &new, "2027-05-01", &limits(), Justification::default()), Ok(Verdict::default()));
        new.auditoriums.pop();
        let refusals = run(&old, &new, "2027-05-01", &limits(), Justification::default()).unwrap_err();
        assert!(refusals.iter().any(|r| r.to_string().starts_with("ППЭ 0101: аудитории: удаляется 1 из 3")), "{refusals:?}");
    }

    #[test]
    fn after_the_freeze_date_a_change_needs_a_reason_and_a_letter() {
        let old = plan();
        let mut new = old.clone();
        new.participants[0].phone = "+7 900 000-00-00".into();
        let frozen = ChangeLimits { freeze_date: NaiveDate::from_ymd_opt(2027, 5, 1), ..limits() };
        assert_eq!(run(&old, &new, "2027-04-30", &frozen, Justification::default()), Ok(Verdict::default()), "before the date");
        let refused = run(&old, &new, "2027-05-01", &frozen, Justification { force: true, reason: "уточнение", letter: "" }).unwrap_err();
        assert_eq!(refused, [Refusal::Frozen { since: "2027.05.01".into() }], "force does not replace the letter");
        let ok =
            run(&old, &new, "2027-05-02", &frozen, Justification { force: false, reason: "уточнение", letter: "№ 01-12/345 от 2027.05.02" }).unwrap();
        assert!(ok.frozen);
        assert_eq!(run(&old, &old, "2027-05-02", &frozen, Justification::default()), Ok(Verdict::default()), "no change, nothing to justify");
    }

    #[test]
    fn a_change_touching_an_exam_of_today_is_refused_unless_forced() {
        let old = plan();
        let mut new = old.clone();
        let someone = old.registrations.iter().find(|r| r.exam_id == "ege-02").unwrap().participant_id.clone();
        new.participants.iter_mut().find(|p| p.participant_id == someone).unwrap().phone = "+7 900 000-00-00".into();
        let refused = run(&old, &new, "2027-05-27", &limits(), Justification::default()).unwrap_err();
        assert_eq!(refused, [Refusal::ExamDay { exam_id: "ege-02".into(), date: "2027.05.27".into() }]);
        assert!(run(&old, &new, "2027-05-26", &limits(), Justification::default()).is_ok(), "the day before");
        let forced = run(&old, &new, "2027-05-27", &limits(), Justification { force: true, reason: "ошибка в телефоне", letter: "" }).unwrap();
        assert_eq!(forced.overridden.len(), 1);
        // A worker assigned on the exam's date at its point touches it too.
        let mut new = old.clone();
        let a = old.worker_assignments.iter().find(|a| a.date == "2027.05.27").unwrap();
        new.workers.iter_mut().find(|w| w.worker_id == a.worker_id).unwrap().phone = "+7 900 000-00-01".into();
        assert!(run(&old, &new, "2027-05-27", &limits(), Justification::default()).is_err());
        // At 22:00 UTC it is already the 27th in Tomsk (+7), the exam's own zone.
        let late = DateTime::parse_from_rfc3339("2027-05-26T22:00:00Z").unwrap().with_timezone(&Utc);
        let mut new = old.clone();
        new.exams[0].subject_name = "Другое".into();
        assert!(judge(&old, &new, &diff_plans(&old, &new), late, &limits(), Justification::default()).is_err());
    }
}
