//! The region of a demo day of an oral or computer exam, made from the written demo's region
//! (`generate::generate_region`, unchanged): its ОГЭ becomes the ИС-9 (in February), its ЕГЭ
//! профильная математика the English oral part («Говорение») or the КЕГЭ. Every point gets
//! the rooms and staff the technology needs: two conducting (recording) rooms with an
//! экзаменатор-собеседник and an эксперт of the subject each (ИС-9), and the КЕГЭ a room of
//! workstations for twenty. Pure and deterministic, like the generator.

use chrono::NaiveDate;

use crate::demo::generate::{generate_region, RegionParams, EGE_EXAM_ID, OGE_EXAM_ID};
use crate::model::{Exam, ExamKind, Plan, RoomKind, Technology, WorkerAssignment, WorkerRole};

use super::DemoDay;

/// The ИС-9 of the demo (seed 002: the second Wednesday of February).
pub const IS9_EXAM_ID: &str = "is9-01";
/// The ЕГЭ English oral part.
pub const SPEAKING_EXAM_ID: &str = "ege-29";
/// The КЕГЭ (информатика on computers).
pub const KEGE_EXAM_ID: &str = "ege-25";
/// Participants of the КЕГЭ at each point: one room of twenty workstations.
pub const KEGE_PARTICIPANTS: usize = 20;
/// Minutes the oral day's conducting rooms work (09:00–14:00): the rooms a point gets follow
/// from its queue, each room's at most this long.
pub const ORAL_DAY_MIN: u32 = 300;

/// The exam a demo day plays.
pub fn exam_id(day: DemoDay) -> &'static str {
    match day {
        DemoDay::Ege => EGE_EXAM_ID,
        DemoDay::Is9 => IS9_EXAM_ID,
        DemoDay::Speaking => SPEAKING_EXAM_ID,
        DemoDay::Kege => KEGE_EXAM_ID,
    }
}

/// The plan of a demo day: the written region for the ЕГЭ day, else the region turned into
/// the day of one oral or computer exam.
pub fn day_region(day: DemoDay, p: &RegionParams) -> Plan {
    match day {
        DemoDay::Ege => generate_region(p),
        DemoDay::Is9 => {
            // The ОГЭ is the day after the ЕГЭ: 10.02.2027, a Wednesday.
            let params = RegionParams { exam_date: NaiveDate::from_ymd_opt(2027, 2, 9).unwrap_or(p.exam_date), ..p.clone() };
            let mut plan = generate_region(&params);
            let is9 = Exam {
                exam_id: IS9_EXAM_ID.into(),
                kind: ExamKind::Interview,
                level: 9,
                subject_code: "01".into(),
                subject_name: "Итоговое собеседование по русскому языку".into(),
                start: "09:00".into(),
                duration_min: ORAL_DAY_MIN,
                // КИМ opens at 07:30 on the day (seed 002); checking and transfer take days.
                materials_open_before_min: 90,
                // The queue takes the morning: the key is given out until 11:00.
                materials_close_after_start_min: 120,
                upload_deadline_after_end_min: 10 * 24 * 60,
                technology: Some(Technology::OralInterview),
                ..exam_of(&plan, OGE_EXAM_ID)
            };
            one_exam(&mut plan, OGE_EXAM_ID, is9, usize::MAX);
            oral_rooms(&mut plan, 15);
            interview_staff(&mut plan);
            plan
        }
        DemoDay::Speaking => {
            let mut plan = generate_region(p);
            let speaking = Exam {
                exam_id: SPEAKING_EXAM_ID.into(),
                subject_code: "29".into(),
                subject_name: "Английский язык (устная часть)".into(),
                duration_min: ORAL_DAY_MIN,
                materials_close_after_start_min: 120,
                technology: Some(Technology::OralRecorded),
                kit: String::new(),
                ..exam_of(&plan, EGE_EXAM_ID)
            };
            one_exam(&mut plan, EGE_EXAM_ID, speaking, usize::MAX);
            oral_rooms(&mut plan, 17);
            plan
        }
        DemoDay::Kege => {
            let mut plan = generate_region(p);
            let kege = Exam {
                exam_id: KEGE_EXAM_ID.into(),
                subject_code: "25".into(),
                subject_name: "Информатика (КЕГЭ)".into(),
                // The demo gives the key until 12:00 (data per exam): at a high --speed a
                // loaded machine still gets it in its window.
                materials_close_after_start_min: 120,
                technology: Some(Technology::Computer),
                kit: String::new(),
                ..exam_of(&plan, EGE_EXAM_ID)
            };
            one_exam(&mut plan, EGE_EXAM_ID, kege, KEGE_PARTICIPANTS);
            workstation_rooms(&mut plan);
            plan
        }
    }
}

fn exam_of(plan: &Plan, exam_id: &str) -> Exam {
    plan.exams.iter().find(|e| e.exam_id == exam_id).cloned().unwrap_or_else(|| plan.exams[0].clone())
}

/// Keeps one exam, renamed to `exam`, with at most `per_point` of its participants at each
/// point; the others, and the worker assignments of other dates, leave the plan.
fn one_exam(plan: &mut Plan, from: &str, exam: Exam, per_point: usize) {
    let mut kept = std::collections::BTreeMap::<String, usize>::new();
    plan.registrations.retain_mut(|r| {
        let n = kept.entry(r.ppe_code.clone()).or_default();
        let keep = r.exam_id == from && *n < per_point;
        if keep {
            *n += 1;
            r.exam_id = exam.exam_id.clone();
        }
        keep
    });
    let registered: std::collections::HashSet<String> = plan.registrations.iter().map(|r| r.participant_id.clone()).collect();
    plan.participants.retain(|p| registered.contains(&p.participant_id));
    plan.worker_assignments.retain(|a| a.date == exam.date);
    plan.exams = vec![exam];
}

/// Conducting (recording) rooms of every point: as many as its queue needs for
/// `minutes` a participant within `ORAL_DAY_MIN` (at least two), after the ОВЗ rooms; the
/// rest wait (prepare).
fn oral_rooms(plan: &mut Plan, minutes: u32) {
    let points: Vec<String> = plan.exam_points.iter().map(|p| p.ppe_code.clone()).collect();
    for ppe in points {
        let n = plan.registrations.iter().filter(|r| r.ppe_code == ppe).count() as u32;
        let needed = (n * minutes).div_ceil(ORAL_DAY_MIN - 30).max(2) as usize;
        let rooms = plan.auditoriums.iter_mut().filter(|a| a.ppe_code == ppe && !a.reserve);
        for (i, a) in rooms.enumerate() {
            // The first two are the ОВЗ rooms (generate_region): they wait.
            a.room_kind = Some(if (2..2 + needed).contains(&i) { RoomKind::Conducting } else { RoomKind::Waiting });
        }
    }
}

/// The КЕГЭ's rooms: each is a room of workstations; one seat is one workstation.
fn workstation_rooms(plan: &mut Plan) {
    for a in plan.auditoriums.iter_mut() {
        a.room_kind = Some(RoomKind::Workstation);
    }
}

/// A собеседник and an эксперт of Russian (the exam's subject) for every conducting room of
/// every point, on duty that day; they work at a school with nobody at the point, like its
/// organizers.
fn interview_staff(plan: &mut Plan) {
    let Some(exam) = plan.exams.first().cloned() else { return };
    let mut next = plan.workers.len() + 1;
    let mut added = Vec::new();
    let mut on_duty = Vec::new();
    for point in &plan.exam_points {
        let rooms = plan.auditoriums.iter().filter(|a| a.ppe_code == point.ppe_code && a.room_kind == Some(RoomKind::Conducting)).count();
        let template = plan
            .worker_assignments
            .iter()
            .filter(|a| a.ppe_code == point.ppe_code)
            .filter_map(|a| plan.workers.iter().find(|w| w.worker_id == a.worker_id))
            .find(|w| w.roles.contains(&WorkerRole::OrganizerInRoom));
        let Some(template) = template else { continue };
        for k in 0..rooms * 2 {
            let mut w = template.clone();
            w.worker_id = format!("W{next:06}");
            w.email = format!("w{next}@edu.example.ru");
            w.doc_number = format!("{:06}", 900_000 + next % 100_000);
            let (role, position) = if k % 2 == 0 {
                (WorkerRole::Examiner, "учитель")
            } else {
                (WorkerRole::Expert, "учитель русского языка")
            };
            w.roles = vec![role];
            w.position = position.into();
            w.specializations = if role == WorkerRole::Expert { vec![exam.subject_code.clone()] } else { Vec::new() };
            w.forbidden_subjects = w.specializations.clone();
            w.surname = DEMO_SURNAMES[next % DEMO_SURNAMES.len()].into();
            on_duty.push(WorkerAssignment {
                worker_id: w.worker_id.clone(),
                ppe_code: point.ppe_code.clone(),
                date: exam.date.clone(),
                reserve: false,
            });
            added.push(w);
            next += 1;
        }
    }
    plan.workers.extend(added);
    plan.worker_assignments.extend(on_duty);
}

/// Surnames of the demo's собеседники and experts (the template's name and patronymic stay).
const DEMO_SURNAMES: &[&str] = &["Белова", "Крылова", "Соболева", "Гордеева", "Лаврова", "Миронова", "Журавлёва", "Ершова"];

#[cfg(test)]
mod tests {
    use super::*;

    fn region(day: DemoDay) -> Plan {
        day_region(day, &RegionParams { points: 1, participants: 60, ..RegionParams::default() })
    }

    #[test]
    fn each_day_passes_flk_and_holds_its_one_exam_with_the_rooms_it_needs() {
        for day in [DemoDay::Is9, DemoDay::Speaking, DemoDay::Kege] {
            let plan = region(day);
            let tables = crate::plan::to_tables(&plan);
            let checked = crate::validate::check_plan(&tables).unwrap_or_else(|issues| panic!("{day:?}: {:#?}", &issues[..issues.len().min(10)]));
            assert_eq!(checked, plan, "{day:?}");
            assert_eq!(plan.exams.len(), 1);
            let exam = &plan.exams[0];
            assert_eq!(exam.exam_id, exam_id(day));
            assert!(plan.registrations.iter().all(|r| r.exam_id == exam.exam_id) && !plan.registrations.is_empty());
            let kinds: Vec<RoomKind> = plan.auditoriums.iter().map(|a| crate::model::room_kind_for(exam.technology(), a)).collect();
            match day {
                DemoDay::Kege => {
                    assert!(kinds.iter().all(|k| *k == RoomKind::Workstation));
                    assert_eq!(plan.registrations.len(), KEGE_PARTICIPANTS);
                }
                _ => assert!(kinds.iter().filter(|k| **k == RoomKind::Conducting).count() >= 2, "{day:?}: {kinds:?}"),
            }
        }
        assert_eq!(
            region(DemoDay::Ege),
            generate_region(&RegionParams { points: 1, participants: 60, ..RegionParams::default() }),
            "the ЕГЭ day is the written region"
        );
    }

    #[test]
    fn the_interview_is_in_february_and_every_conducting_room_has_its_examiner_and_expert() {
        let plan = region(DemoDay::Is9);
        let exam = &plan.exams[0];
        assert_eq!((exam.date.as_str(), exam.start.as_str(), exam.technology()), ("2027.02.10", "09:00", Technology::OralInterview));
        let (open, _) = exam.materials_window().unwrap();
        assert_eq!(open.format("%H:%M").to_string(), "00:30", "КИМ at 07:30 Tomsk time");
        let rooms = plan.auditoriums.iter().filter(|a| a.room_kind == Some(RoomKind::Conducting)).count();
        let with = |role: WorkerRole| {
            plan.worker_assignments.iter().filter(|a| plan.workers.iter().any(|w| w.worker_id == a.worker_id && w.roles == [role])).count()
        };
        assert_eq!((with(WorkerRole::Examiner), with(WorkerRole::Expert)), (rooms, rooms));
        assert!(plan.workers.iter().filter(|w| w.roles == [WorkerRole::Expert]).all(|w| w.specializations == ["01"]));
        // Twice the participants: more conducting rooms, each queue within the day.
        let bigger = day_region(DemoDay::Is9, &RegionParams { points: 1, participants: 200, ..RegionParams::default() });
        let more = bigger.auditoriums.iter().filter(|a| a.room_kind == Some(RoomKind::Conducting)).count();
        let n = bigger.registrations.len() as u32;
        assert!(more > rooms && n * 15 <= more as u32 * (ORAL_DAY_MIN - 30), "{n} participants in {more} rooms");
    }
}
