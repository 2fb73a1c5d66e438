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

/// The exams held at this exam point, by start time.
pub fn exams_here(plan: &Plan, ppe_code: &str) -> Vec<Exam> {
    let mut v: Vec<Exam> = plan.exams.iter().filter(|e| plan.registrations.iter().any(|r| r.exam_id == e.exam_id && r.ppe_code == ppe_code)).cloned().collect();
    v.sort_by_key(|e| e.start_utc());
    v
}

/// `now` lies in the reporting period of an exam with this schedule.
pub fn within_reporting_period(s: &Schedule, now: DateTime<Utc>) -> bool {
    let margin = chrono::Duration::hours(REPORT_MARGIN_HOURS);
    now >= s.window_open - margin && now <= s.deadline + margin
}

/// The exams held here whose day is near `now`, with their schedules (the latest possible end,
/// with extra time, keeps a point with ОВЗ participants in its day).
pub fn exams_of_the_day(plan: &Plan, ppe_code: &str, now: DateTime<Utc>) -> Vec<(Exam, Schedule)> {
    exams_here(plan, ppe_code)
        .into_iter()
        .filter_map(|e| {
            let s = Schedule::for_point(&e, true)?;
            within_reporting_period(&s, now).then_some((e, s))
        })
        .collect()
}

/// The asked exam, or the one whose day is nearest `now`.
pub fn pick_exam(exams: &[Exam], asked: Option<&str>, now: DateTime<Utc>) -> Option<Exam> {
    if let Some(id) = asked {
        if let Some(e) = exams.iter().find(|e| e.exam_id == id) {
            return Some(e.clone());
        }
    }
    exams
        .iter()
        .min_by_key(|e| {
            let s = Schedule::for_point(e, true);
            match s {
                Some(s) if now <= s.deadline => (0, (s.window_open - now).num_seconds().abs()),
                Some(s) => (1, (now - s.deadline).num_seconds()),
                None => (2, 0),
            }
        })
        .cloned()
}

/// The exam a page is about, with the plan and every exam held here.
#[derive(Debug, Clone)]
pub struct ExamDay {
    pub plan: Plan,
    pub exams: Vec<Exam>,
    pub exam: Exam,
}

/// The plan of this box, its exams, and the exam asked (or nearest `now`); `None` before the
/// plan arrived.
pub fn load_exam_day(conn: &Connection, ppe_code: &str, asked: Option<&str>, now: DateTime<Utc>) -> Result<Option<ExamDay>, DayError> {
    let plan = crate::plan::store::load_plan(conn).map_err(box_state)?;
    let exams = exams_here(&plan, ppe_code);
    Ok(pick_exam(&exams, asked, now).map(|exam| ExamDay { plan, exams, exam }))
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
        let s = Schedule::for_point(first, true).unwrap();
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
        let s = Schedule::for_point(first, true).unwrap();
        assert_eq!(pick_exam(&here, Some(&last.exam_id), s.start).unwrap().exam_id, last.exam_id);
        assert_eq!(pick_exam(&here, Some("no-such-exam"), s.window_open).unwrap().exam_id, first.exam_id);
        assert!(pick_exam(&[], None, s.start).is_none());
    }
}
