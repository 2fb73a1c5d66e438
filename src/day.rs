//! The box's day, read once for everyone who shows it: which exams are held here and which one
//! a page is about, the numbers the heartbeat reports, the alarms, the one next thing to do, and
//! the sheets scanning must find. The UI (`web/views`), `edge status`, the heartbeat reporter
//! and the box's own duties all ask here, so they cannot disagree about the day.
//!
//! The rules are pure functions over plain data (`exams_here`, `pick_exam`, `alarm_lines`,
//! `next_step`); the `load_*`/`gather_*` functions read the stores through their store
//! functions and hand the rules their facts.

pub mod alarms;
pub mod numbers;

use chrono::{DateTime, Utc};

use crate::model::{Exam, Plan};
use crate::monitoring::Schedule;
use crate::scanning::ExpectedSheets;
use crate::store::Connection;

pub use alarms::{alarm_lines, alarms, next_step, ExamAlarmFacts, Progress};
pub use numbers::{gather_box_numbers, BoxNumbers};

/// A store could not be read; the text names what failed.
#[derive(Debug, thiserror::Error)]
pub enum DayError {
    #[error("состояние станции не прочитано: {0}")]
    BoxState(String),
}

pub(crate) fn box_state(e: impl std::fmt::Display) -> DayError {
    DayError::BoxState(e.to_string())
}

/// An exam is "of the day" from this long before its materials window until this long after
/// its upload deadline (the pre-start view needs the package version a day ahead).
pub const REPORT_MARGIN_HOURS: i64 = 24;

/// The exams held at this exam point, by start time, each as held here (`Exam::at_point`: the
/// point's own time zone).
pub fn exams_here(plan: &Plan, ppe_code: &str) -> Vec<Exam> {
    let point = plan.exam_points.iter().find(|p| p.ppe_code == ppe_code);
    let mut v: Vec<Exam> = plan
        .exams
        .iter()
        .filter(|e| plan.registrations.iter().any(|r| r.exam_id == e.exam_id && r.ppe_code == ppe_code))
        .map(|e| point.map_or_else(|| e.clone(), |p| e.at_point(p)))
        .collect();
    v.sort_by_key(|e| e.start_utc());
    v
}

/// The schedule of an exam at this point: the same function over the same facts the hub
/// judges by (`Schedule::in_plan`), so the box shows the deadline the hub holds it to.
pub fn schedule_here(plan: &Plan, exam: &Exam, ppe_code: &str) -> Option<Schedule> {
    Schedule::in_plan(plan, exam, ppe_code)
}

/// `now` lies in the reporting period of an exam with this schedule.
pub fn within_reporting_period(s: &Schedule, now: DateTime<Utc>) -> bool {
    let margin = chrono::Duration::hours(REPORT_MARGIN_HOURS);
    now >= s.window_open - margin && now <= s.deadline + margin
}

/// Every exam held here with its own schedule (several exams of a day each keep their own
/// window, end and deadline), by start time.
pub fn schedules_here(plan: &Plan, ppe_code: &str) -> Vec<(Exam, Option<Schedule>)> {
    exams_here(plan, ppe_code)
        .into_iter()
        .map(|e| {
            let s = schedule_here(plan, &e, ppe_code);
            (e, s)
        })
        .collect()
}

/// The exams held here whose day is near `now`, with their schedules.
pub fn exams_of_the_day(plan: &Plan, ppe_code: &str, now: DateTime<Utc>) -> Vec<(Exam, Schedule)> {
    schedules_here(plan, ppe_code).into_iter().filter_map(|(e, s)| s.filter(|s| within_reporting_period(s, now)).map(|s| (e, s))).collect()
}

/// The asked exam, or the one whose day is nearest `now`.
pub fn pick_exam(plan: &Plan, ppe_code: &str, asked: Option<&str>, now: DateTime<Utc>) -> Option<Exam> {
    let exams = schedules_here(plan, ppe_code);
    if let Some(id) = asked {
        if let Some((e, _)) = exams.iter().find(|(e, _)| e.exam_id == id) {
            return Some(e.clone());
        }
    }
    exams
        .iter()
        .min_by_key(|(_, s)| match s {
            Some(s) if now <= s.deadline => (0, (s.window_open - now).num_seconds().abs()),
            Some(s) => (1, (now - s.deadline).num_seconds()),
            None => (2, 0),
        })
        .map(|(e, _)| e.clone())
}

/// The exam a page is about, with the plan and every exam held here.
#[derive(Debug, Clone)]
pub struct ExamDay {
    pub plan: Plan,
    pub exams: Vec<Exam>,
    pub exam: Exam,
    /// The page's exam's own schedule at this point (`schedule_here`).
    pub schedule: Option<Schedule>,
}

/// The plan of this box, its exams, and the exam asked (or nearest `now`); `None` before the
/// plan arrived.
pub fn load_exam_day(conn: &Connection, ppe_code: &str, asked: Option<&str>, now: DateTime<Utc>) -> Result<Option<ExamDay>, DayError> {
    let plan = crate::plan::store::load_plan(conn).map_err(box_state)?;
    let exams = exams_here(&plan, ppe_code);
    Ok(pick_exam(&plan, ppe_code, asked, now).map(|exam| {
        let schedule = schedule_here(&plan, &exam, ppe_code);
        ExamDay { plan, exams, exam, schedule }
    }))
}

/// The one source of what scanning must find: the box's own record of issued kits and
/// attendance. The UI, `edge status`, the upload and the daemon's duties all count against it.
pub fn expected_sheets(conn: &Connection, exam_id: &str, ppe_code: &str) -> Result<ExpectedSheets, DayError> {
    crate::attendance::ops::expected_sheets(conn, exam_id, ppe_code).map_err(box_state)
}

/// Local time of the exam point (its offset is in the plan), as staff read clocks on the wall.
pub fn local_time_text(t: DateTime<Utc>, offset_min: i32) -> String {
    match chrono::FixedOffset::east_opt(offset_min * 60) {
        Some(tz) => {
            let sign = if offset_min < 0 { '-' } else { '+' };
            let (h, m) = (offset_min.abs() / 60, offset_min.abs() % 60);
            let zone = if m == 0 { format!("UTC{sign}{h}") } else { format!("UTC{sign}{h}:{m:02}") };
            format!("{} ({zone})", t.with_timezone(&tz).format("%d.%m %H:%M"))
        }
        None => utc_time_text(t),
    }
}

/// A time in UTC, day and minute.
pub fn utc_time_text(t: DateTime<Utc>) -> String {
    t.format("%d.%m %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExamKind, ExamPoint, Participant, Registration};
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn times_are_shown_in_the_exam_points_local_time() {
        assert_eq!(local_time_text(t("2027-05-27T03:00:00Z"), 420), "27.05 10:00 (UTC+7)");
        assert_eq!(local_time_text(t("2027-05-27T03:00:00Z"), 210), "27.05 06:30 (UTC+3:30)");
    }

    fn plan() -> Plan {
        crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 2, participants: 60, ..Default::default() })
    }

    #[test]
    fn the_exams_here_are_those_with_registrations_at_this_point_by_start() {
        let plan = plan();
        let ppe = plan.exam_points[0].ppe_code.clone();
        let here = exams_here(&plan, &ppe);
        assert!(!here.is_empty());
        for e in &here {
            assert!(plan.registrations.iter().any(|r| r.exam_id == e.exam_id && r.ppe_code == ppe), "{}", e.exam_id);
        }
        assert!(here.windows(2).all(|w| w[0].start_utc() <= w[1].start_utc()), "by start time");
        assert!(exams_here(&plan, "no-such-point").is_empty());
    }

    #[test]
    fn the_exams_of_the_day_are_the_exams_here_near_now() {
        let plan = plan();
        let ppe = plan.exam_points[0].ppe_code.clone();
        let here = exams_here(&plan, &ppe);
        let first = &here[0];
        let s = schedule_here(&plan, first, &ppe).unwrap();
        let of_the_day = exams_of_the_day(&plan, &ppe, s.start);
        assert!(of_the_day.iter().any(|(e, _)| e.exam_id == first.exam_id));
        assert!(of_the_day.iter().all(|(e, s2)| here.iter().any(|h| h.exam_id == e.exam_id) && within_reporting_period(s2, s.start)));
        let long_before = s.window_open - chrono::Duration::hours(REPORT_MARGIN_HOURS) - chrono::Duration::minutes(1);
        assert!(!exams_of_the_day(&plan, &ppe, long_before).iter().any(|(e, _)| e.exam_id == first.exam_id));
    }

    #[test]
    fn the_asked_exam_wins_else_the_nearest_one() {
        let plan = plan();
        let ppe = plan.exam_points[0].ppe_code.clone();
        let here = exams_here(&plan, &ppe);
        let last = here.last().unwrap();
        let first = &here[0];
        let s = schedule_here(&plan, first, &ppe).unwrap();
        assert_eq!(pick_exam(&plan, &ppe, Some(&last.exam_id), s.start).unwrap().exam_id, last.exam_id);
        assert_eq!(pick_exam(&plan, &ppe, Some("no-such-exam"), s.window_open).unwrap().exam_id, first.exam_id);
        assert!(pick_exam(&plan, "no-such-point", None, s.start).is_none());
    }

    /// A random region: 1–4 points in different time zones (some without their own offset),
    /// 1–3 exams (some on one day, oral parts among them), participants with and without
    /// extra time and допуск, each registered at one point for some exams.
    fn random_plan() -> impl Strategy<Value = Plan> {
        let points =
            proptest::collection::vec(proptest::option::of(prop_oneof![Just(120), Just(180), Just(240), Just(420), Just(600), Just(-60)]), 1..=4);
        let exams = proptest::collection::vec((0usize..4, 0u32..3, 7u32..14, 15u32..300, 0usize..2), 1..=3);
        let people = proptest::collection::vec((0usize..4, any::<bool>(), any::<bool>(), proptest::bits::u8::between(0, 3)), 0..=14);
        (points, exams, people).prop_map(|(points, exams, people)| {
            let base =
                crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 12, ..Default::default() });
            let template_point = base.exam_points[0].clone();
            let template_person = base.participants[0].clone();
            let mut plan = Plan::default();
            for (i, offset) in points.iter().enumerate() {
                plan.exam_points.push(ExamPoint { ppe_code: format!("{:04}", 101 + i), utc_offset_min: *offset, ..template_point.clone() });
            }
            let kinds = [
                (ExamKind::Ege, "02", "Математика"),
                (ExamKind::Ege, "29", "Английский язык (устная часть)"),
                (ExamKind::Oge, "01", "Русский язык"),
                (ExamKind::Interview, "01", "Итоговое собеседование"),
            ];
            for (i, (kind, day, hour, duration, legacy)) in exams.iter().enumerate() {
                let (kind, code, name) = kinds[*kind];
                plan.exams.push(Exam {
                    exam_id: format!("e{i}"),
                    kind,
                    subject_code: code.into(),
                    subject_name: name.into(),
                    date: format!("2027.05.{:02}", 27 + day),
                    start: format!("{hour:02}:00"),
                    duration_min: *duration,
                    utc_offset_min: [180, 420][*legacy],
                    ..base.exams[0].clone()
                });
            }
            for (i, (point, extra, admitted, exam_bits)) in people.iter().enumerate() {
                let id = format!("P{i:03}");
                let mut p = Participant { participant_id: id.clone(), admitted: *admitted, ..template_person.clone() };
                p.conditions.extra_time = *extra;
                plan.participants.push(p);
                let ppe = plan.exam_points[point % plan.exam_points.len()].ppe_code.clone();
                for (e, exam) in plan.exams.iter().enumerate() {
                    if exam_bits & (1 << e) != 0 || e == i % plan.exams.len() {
                        plan.registrations.push(Registration { exam_id: exam.exam_id.clone(), participant_id: id.clone(), ppe_code: ppe.clone() });
                    }
                }
            }
            plan
        })
    }

    fn stored(plan: &Plan) -> crate::store::Connection {
        let mut conn = crate::store::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        crate::plan::store::replace_plan(&tx, plan, "2027-05-01T00:00:00Z", "test", "00").unwrap();
        tx.commit().unwrap();
        conn
    }

    proptest! {
        // No regression file in the work tree: a failure prints its minimal plan.
        #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

        /// The box's deadline (its synced slice, read back from its store, through the day
        /// read model every box page, `edge status` and the heartbeat use) equals the hub's
        /// (the whole plan, read back from the hub's store into the dashboard's assignments)
        /// for every exam at every point.
        #[test]
        fn box_and_hub_deadlines_agree_for_every_point(plan in random_plan()) {
            let hub = crate::monitoring::store::plan_slice(&stored(&plan)).unwrap();
            for point in &plan.exam_points {
                let box_plan = crate::plan::store::load_plan(&stored(&plan.for_exam_point(&point.ppe_code))).unwrap();
                let box_side: Vec<(String, Option<Schedule>)> = schedules_here(&box_plan, &point.ppe_code).into_iter().map(|(e, s)| (e.exam_id, s)).collect();
                let mut hub_side: Vec<(String, Option<Schedule>)> = hub.assignments.iter().filter(|a| a.ppe_code == point.ppe_code).map(|a| (a.exam_id.clone(), a.schedule)).collect();
                hub_side.sort_by(|a, b| a.0.cmp(&b.0));
                let mut box_sorted = box_side.clone();
                box_sorted.sort_by(|a, b| a.0.cmp(&b.0));
                prop_assert_eq!(&box_sorted, &hub_side, "point {}", &point.ppe_code);
                for (exam_id, s) in box_side {
                    let s = s.unwrap();
                    let exam = plan.exams.iter().find(|e| e.exam_id == exam_id).unwrap();
                    let offset = point.utc_offset_min.unwrap_or(exam.utc_offset_min);
                    let local = s.start + chrono::Duration::minutes(i64::from(offset));
                    prop_assert_eq!(local.format("%Y.%m.%d %H:%M").to_string(), format!("{} {}", exam.date, exam.start), "the start is the exam's local time at the point");
                    let extended = plan.registrations.iter().filter(|r| r.exam_id == exam_id && r.ppe_code == point.ppe_code).any(|r| plan.participants.iter().any(|p| p.participant_id == r.participant_id && p.admitted && p.conditions.extra_time));
                    let extra = if extended { exam.extra_time_min() } else { 0 };
                    prop_assert_eq!((s.end - s.start).num_minutes(), i64::from(exam.duration_min + extra));
                    prop_assert_eq!(s.deadline, exam.at_point(point).upload_deadline(s.end), "the deadline is the exam's own (ИС-9: days later)");
                }
            }
        }
    }
}
