//! The hub's checks of the exam days at import (DOMAIN.md §4, what operators expect): one
//! worker at one point per date; one participant in one exam at a time; enough ordinary and
//! ОВЗ seats at each point at the busiest moment of each day. Found here, a problem is named
//! by table, row and column in РЦОИ's office instead of surfacing at the box on the morning.
//!
//! Times are an exam's local start and its planned duration (extra time aside): two exams
//! overlap when one starts before the other ends, on the same date.

use std::collections::BTreeMap;

use super::*;

/// An exam's local `[start, end)` in minutes from the start of its date.
fn local_interval(exam: &Exam) -> Option<(u32, u32)> {
    let t = chrono::NaiveTime::parse_from_str(&exam.start, "%H:%M").ok()?;
    let start = chrono::Timelike::hour(&t) * 60 + chrono::Timelike::minute(&t);
    Some((start, start + exam.duration_min))
}

fn overlap(a: (u32, u32), b: (u32, u32)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60 % 24, minutes % 60)
}

pub(super) fn check_days(p: &Located, issues: &mut Vec<Issue>) {
    workers_at_one_point_a_day(p, issues);
    participants_in_one_exam_at_a_time(p, issues);
    if p.tables.contains("auditoriums") {
        seats_at_the_busiest_moment(p, issues);
    }
}

fn workers_at_one_point_a_day(p: &Located, issues: &mut Vec<Issue>) {
    let mut first: HashMap<(&str, &str), (&str, usize)> = HashMap::new();
    for (line, a) in &p.worker_assignments {
        match first.get(&(a.worker_id.as_str(), a.date.as_str())) {
            Some((ppe, at)) if *ppe != a.ppe_code => issues.push(issue(
                "worker_assignments",
                *line,
                "ppe_code",
                format!("работник «{}» на {} уже назначен в ППЭ {ppe} (строка {at}): в один день работник работает в одном ППЭ", a.worker_id, a.date),
            )),
            Some(_) => {}
            None => {
                first.insert((&a.worker_id, &a.date), (&a.ppe_code, *line));
            }
        }
    }
}

fn participants_in_one_exam_at_a_time(p: &Located, issues: &mut Vec<Issue>) {
    let exams: HashMap<&str, &Exam> = p.exams.iter().map(|(_, e)| (e.exam_id.as_str(), e)).collect();
    let mut taken: HashMap<&str, Vec<(usize, &Exam, (u32, u32))>> = HashMap::new();
    for (line, g) in &p.registrations {
        let Some(exam) = exams.get(g.exam_id.as_str()) else { continue };
        let Some(time) = local_interval(exam) else { continue };
        let before = taken.entry(&g.participant_id).or_default();
        if let Some((at, other, t)) = before.iter().find(|(_, o, t)| o.exam_id != exam.exam_id && o.date == exam.date && overlap(*t, time)) {
            issues.push(issue(
                "registrations",
                *line,
                "exam_id",
                format!(
                    "участник «{}» уже зарегистрирован на экзамен {} (строка {at}), который идёт в то же время: {} {}–{} и {}–{}",
                    g.participant_id,
                    other.exam_id,
                    exam.date,
                    clock(t.0),
                    clock(t.1),
                    clock(time.0),
                    clock(time.1)
                ),
            ));
        }
        before.push((*line, exam, time));
    }
}

/// Participants of one exam at one point: all of them, and those needing an ОВЗ room.
#[derive(Default, Clone, Copy)]
struct Sitting {
    all: usize,
    special: usize,
}

fn seats_at_the_busiest_moment(p: &Located, issues: &mut Vec<Issue>) {
    let exams: HashMap<&str, &Exam> = p.exams.iter().map(|(_, e)| (e.exam_id.as_str(), e)).collect();
    let people: HashMap<&str, &Participant> = p.participants.iter().map(|(_, x)| (x.participant_id.as_str(), x)).collect();
    let mut days: BTreeMap<(&str, &str), BTreeMap<&str, Sitting>> = BTreeMap::new();
    for (_, g) in &p.registrations {
        let Some(exam) = exams.get(g.exam_id.as_str()) else { continue };
        let person = people.get(g.participant_id.as_str());
        if person.is_some_and(|x| !x.admitted) {
            continue; // never seated
        }
        let sitting = days.entry((&g.ppe_code, &exam.date)).or_default().entry(&exam.exam_id).or_default();
        sitting.all += 1;
        sitting.special += usize::from(person.is_some_and(|x| x.conditions.needs_special_room()));
    }
    let point_line: HashMap<&str, usize> = p.exam_points.iter().map(|(l, x)| (x.ppe_code.as_str(), *l)).collect();
    for ((ppe, date), by_exam) in days {
        let rooms: Vec<&Auditorium> = p.auditoriums.iter().map(|(_, a)| a).filter(|a| a.ppe_code == ppe && !a.reserve).collect();
        let seats: usize = rooms.iter().map(|a| usize::from(a.capacity)).sum();
        let special_seats: usize = rooms.iter().filter(|a| a.special_needs).map(|a| usize::from(a.capacity)).sum();
        // The busiest moment is the start of some exam: every exam running then sits at once.
        let groups: Vec<Vec<&str>> = by_exam
            .keys()
            .map(|&id| {
                let at = exams.get(id).and_then(|e| local_interval(e));
                by_exam
                    .keys()
                    .copied()
                    .filter(|&x| {
                        x == id || at.is_some_and(|at| exams.get(x).and_then(|e| local_interval(e)).is_some_and(|t| t.0 <= at.0 && at.0 < t.1))
                    })
                    .collect()
            })
            .collect();
        let peak = |count: fn(&Sitting) -> usize| {
            groups
                .iter()
                .map(|together| (together.iter().map(|x| count(&by_exam[x])).sum::<usize>(), together.clone()))
                .max_by_key(|(n, _)| *n)
                .unwrap_or_default()
        };
        let Some(&line) = point_line.get(ppe) else { continue }; // an unknown point is reported as a reference
        let exams_named = |together: &[&str]| match together {
            [one] => format!("экзамен {one}"),
            many => format!("экзамены {} в одно время", many.join(", ")),
        };
        let checks: [(fn(&Sitting) -> usize, usize, &str, &str); 2] = [
            (|s| s.all, seats, "участников", "мест в нерезервных аудиториях"),
            (|s| s.special, special_seats, "участников, которым нужна аудитория для ОВЗ,", "мест в аудиториях для ОВЗ"),
        ];
        for (count, capacity, who, seats_of) in checks {
            let (n, together) = peak(count);
            if n > capacity {
                issues.push(issue(
                    "exam_points",
                    line,
                    "ppe_code",
                    format!("ППЭ {ppe}, {date}: {who} {n} ({}), а {seats_of} {capacity}", exams_named(&together)),
                ));
            }
        }
    }
}
