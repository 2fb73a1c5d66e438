//! The roster rules both ways (met, or refused with the named reason), the seeded order and
//! one post per worker per day, including a property test over random days of several exams.

use proptest::prelude::*;

use super::*;
use crate::config::RosterConfig;
use crate::model::{DocType, ExamKind};

mod oral;

const SEED: u64 = 7;

fn exam() -> Exam {
    crate::model::tests::sample_exam()
}

fn oge() -> Exam {
    Exam {
        exam_id: "oge-01".into(), kind: ExamKind::Oge, level: 9, subject_code: "01".into(), subject_name: "Русский язык".into(), ..exam()
    }
}

fn worker(id: &str, roles: &[WorkerRole], spec: &[&str], school: &str) -> Worker {
    Worker {
        worker_id: id.into(),
        surname: "Иванова".into(),
        name: "Анна".into(),
        patronymic: String::new(),
        birth_year: 1980,
        phone: String::new(),
        email: String::new(),
        snils: String::new(),
        doc_type: DocType::PassportRf,
        doc_series: "6900".into(),
        doc_number: format!("{:0>6}", id.trim_start_matches('W')),
        workplace: "школа".into(),
        workplace_school_code: school.into(),
        position: "учитель".into(),
        specializations: spec.iter().map(|s| s.to_string()).collect(),
        roles: roles.to_vec(),
        forbidden_subjects: spec.iter().map(|s| s.to_string()).collect(),
    }
}

fn day(workers: &[Worker]) -> Vec<WorkerAssignment> {
    workers
        .iter()
        .map(|w| WorkerAssignment { worker_id: w.worker_id.clone(), ppe_code: "0101".into(), date: "2027.05.27".into(), reserve: false })
        .collect()
}

fn input<'a>(e: &'a Exam, workers: &'a [Worker], assignments: &'a [WorkerAssignment], rooms: &[(&str, usize)]) -> RosterInput<'a> {
    RosterInput {
        exam: e,
        ppe_code: "0101",
        point_type: PointType::Ordinary,
        workers,
        assignments,
        room_sizes: rooms.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
        room_floors: rooms.iter().map(|(r, _)| (r.to_string(), 1)).collect(),
        participant_schools: ["7001001".to_string()].into_iter().collect(),
        need_assistant: Vec::new(),
        held_today: BTreeMap::new(),
        conducting_rooms: Vec::new(),
    }
}

/// The head, two ГЭК members, a technical specialist, a medical worker and ten organizers
/// (subject 01, school 7002001: no participant's school).
fn staff() -> Vec<Worker> {
    use WorkerRole::*;
    let mut v = vec![
        worker("W1", &[Head], &[], ""),
        worker("W2", &[GekMember], &[], ""),
        worker("W3", &[GekMember], &[], ""),
        worker("W4", &[TechSpecialist], &[], ""),
        worker("W40", &[Medical], &[], ""),
    ];
    for i in 5..15 {
        v.push(worker(&format!("W{i}"), &[OrganizerInRoom, OrganizerOutside, Assistant], &["01"], "7002001"));
    }
    v
}

#[test]
fn two_organizers_per_room_unless_the_region_asks_for_more() {
    let r = RosterRules::for_exam(&exam());
    assert_eq!([0, 1, 15, 16, 25].map(|n| r.organizers_for(n)), [0, 2, 2, 2, 2], "no false shortfall at 16–25");
    let config = RosterConfig { participants_per_extra_organizer: 15, ..RosterConfig::default() };
    let region = RosterRules::from_config(&config, &exam());
    assert_eq!([0, 1, 15, 16, 30, 31].map(|n| region.organizers_for(n)), [0, 2, 2, 3, 3, 4]);
}

#[test]
fn a_full_roster_when_the_staff_allows() {
    let e = exam();
    let w = staff();
    let a = day(&w);
    let roster = assign(&input(&e, &w, &a, &[("101", 15), ("102", 20)]), &RosterRules::for_exam(&e), SEED);
    assert!(roster.is_complete(), "{:?}", roster.shortfalls);
    let in_rooms: Vec<_> = roster.entries.iter().filter(|x| matches!(x.post, Post::InRoom { .. })).collect();
    assert_eq!(in_rooms.len(), 4, "2 for 15 participants, 2 for 20");
    assert_eq!(in_rooms.iter().filter(|x| matches!(x.post, Post::InRoom { responsible: true, .. })).count(), 2, "one responsible per room");
    assert!(roster.entries.iter().any(|x| x.post == Post::Medical && x.worker_id == "W40"));
    assert_eq!(roster.entries.iter().filter(|x| matches!(x.post, Post::Outside { floor: 1 })).count(), 1, "one outside per floor");
    let ids: HashSet<_> = roster.entries.iter().map(|x| &x.worker_id).collect();
    assert_eq!(ids.len(), roster.entries.len(), "nobody holds two posts");
    assert_eq!(roster.seed, SEED);
}

#[test]
fn subject_specialists_neither_organize_nor_assist_in_their_subject() {
    let e = exam();
    let mut w = staff();
    for x in w.iter_mut().skip(5) {
        x.specializations = vec!["02".into()];
    }
    let a = day(&w);
    let mut inp = input(&e, &w, &a, &[("101", 10)]);
    inp.need_assistant = vec!["P0000001".into()];
    let roster = assign(&inp, &RosterRules::for_exam(&e), SEED);
    assert!(
        roster.shortfalls.contains(&RosterShortfall::OrganizersInRoom { auditorium: "101".into(), needed: 2, found: 0 }),
        "{:?}",
        roster.shortfalls
    );
    assert!(roster.shortfalls.contains(&RosterShortfall::Assistant { participant_id: "P0000001".into() }), "assistants follow the subject rule too");
    assert!(roster.shortfalls[0].to_string().contains("аудитория 101"));
    let reason = organizer_conflict(&w[5], &e, &BTreeSet::new(), PointType::Ordinary, &RosterRules::for_exam(&e)).unwrap();
    assert_eq!(reason.to_string(), "специалист по предмету 02 не может быть организатором или ассистентом на этом экзамене");
    // The rule is about organizing: a subject specialist may still be the head or in ГЭК.
    assert!(organizer_conflict(&w[0], &e, &BTreeSet::new(), PointType::Ordinary, &RosterRules::for_exam(&e)).is_none());
}

#[test]
fn teachers_of_participants_here_do_not_organize_at_any_level_unless_exempt() {
    let mut w = staff();
    for x in w.iter_mut().skip(5) {
        x.workplace_school_code = "7001001".into();
        (x.specializations, x.forbidden_subjects) = (vec!["09".into()], vec!["09".into()]);
    }
    let a = day(&w);
    for e in [exam(), oge()] {
        let mut rules = RosterRules::for_exam(&e);
        let refused = assign(&input(&e, &w, &a, &[("101", 10)]), &rules, SEED);
        assert!(
            refused.shortfalls.contains(&RosterShortfall::OrganizersInRoom { auditorium: "101".into(), needed: 2, found: 0 }),
            "{} {:?}",
            e.exam_id,
            refused.shortfalls
        );
        let why = organizer_conflict(&w[5], &e, &["7001001".to_string()].into_iter().collect(), PointType::Ordinary, &rules).unwrap();
        assert_eq!(why, PostConflict::OwnTeacher { school: "7001001".into() });
        assert!(why.to_string().starts_with("учитель ОО 7001001"));
        for exempt in [PointType::Tom, PointType::Uis, PointType::Home, PointType::Abroad] {
            let mut inp = input(&e, &w, &a, &[("101", 10)]);
            inp.point_type = exempt;
            assert!(assign(&inp, &rules, SEED).is_complete(), "{exempt:?} is exempt");
        }
        rules.teacher_rule_exempt_schools.insert("7001001".into());
        assert!(assign(&input(&e, &w, &a, &[("101", 10)]), &rules, SEED).is_complete(), "an exempt school");
    }
    // A region may keep the rule at remote points.
    let config = RosterConfig { teacher_rule_exempt_point_types: BTreeSet::new(), ..RosterConfig::default() };
    let e = oge();
    let mut inp = input(&e, &w, &a, &[("101", 10)]);
    inp.point_type = PointType::Tom;
    assert!(!assign(&inp, &RosterRules::from_config(&config, &e), SEED).is_complete());
}

#[test]
fn too_few_gek_members_tech_specialists_or_medical_workers_are_reported() {
    let e = exam();
    let w: Vec<Worker> = staff().into_iter().filter(|x| !["W3", "W4", "W40"].contains(&x.worker_id.as_str())).collect();
    let a = day(&w);
    let roster = assign(&input(&e, &w, &a, &[("101", 10)]), &RosterRules::for_exam(&e), SEED);
    assert!(roster.shortfalls.contains(&RosterShortfall::GekMembers { needed: 2, found: 1 }));
    assert!(roster.shortfalls.contains(&RosterShortfall::TechSpecialists { needed: 1, found: 0 }));
    let medical = RosterShortfall::MedicalWorkers { needed: 1, found: 0 };
    assert!(roster.shortfalls.contains(&medical));
    assert_eq!(medical.to_string(), "медицинских работников 0, нужно не менее 1");
    // Minimums per kind are data: a region asking for no ГЭК at ИС-9.
    let mut config = RosterConfig::default();
    config.staff_by_kind.insert("interview".into(), crate::config::StaffMinimum { gek_members: 0, tech_specialists: 1, medical_workers: 1 });
    let is9 = Exam { kind: ExamKind::Interview, ..oge() };
    assert_eq!(RosterRules::from_config(&config, &is9).min_gek_members, 0);
    assert_eq!(RosterRules::from_config(&config, &e).min_gek_members, 2);
}

#[test]
fn organizers_outside_per_floor_are_data() {
    let e = exam();
    let w = staff();
    let a = day(&w);
    let mut inp = input(&e, &w, &a, &[("101", 10), ("201", 10)]);
    inp.room_floors.insert("201".into(), 2);
    let rules = RosterRules { outside_organizers_per_floor: 2, ..RosterRules::for_exam(&e) };
    let roster = assign(&inp, &rules, SEED);
    assert!(roster.is_complete(), "{:?}", roster.shortfalls);
    assert_eq!(roster.entries.iter().filter(|x| matches!(x.post, Post::Outside { .. })).count(), 4);
    let rules = RosterRules { outside_organizers_per_floor: 5, ..rules };
    assert!(assign(&inp, &rules, SEED).shortfalls.contains(&RosterShortfall::OrganizersOutside { floor: 2, needed: 5, found: 1 }));
}

#[test]
fn the_order_is_drawn_from_the_seed_not_from_worker_ids() {
    let e = exam();
    let w = staff();
    let a = day(&w);
    let inp = input(&e, &w, &a, &[("101", 10), ("102", 10)]);
    let rules = RosterRules::for_exam(&e);
    let first = assign(&inp, &rules, SEED);
    assert_eq!(first, assign(&inp, &rules, SEED), "same plan and seed, same roster");
    let mut reversed = w.clone();
    reversed.reverse();
    assert_eq!(
        first.entries,
        assign(&input(&e, &reversed, &a, &[("101", 10), ("102", 10)]), &rules, SEED).entries,
        "the plan's row order does not matter"
    );
    let rooms = |r: &Roster| r.entries.iter().filter(|x| matches!(x.post, Post::InRoom { .. })).map(|x| x.worker_id.clone()).collect::<Vec<_>>();
    let distinct: BTreeSet<Vec<String>> = (0..20u64).map(|s| rooms(&assign(&inp, &rules, s))).collect();
    assert!(distinct.len() > 10, "other seeds, other rooms: {distinct:?}");
    assert_ne!(rooms(&first), ["W5", "W6", "W7", "W8"], "not the id order");
}

#[test]
fn one_post_per_worker_per_day_and_day_posts_are_kept() {
    let morning = exam();
    let afternoon = Exam { exam_id: "ege-07".into(), subject_code: "07".into(), start: "14:00".into(), ..exam() };
    let w = staff();
    let a = day(&w);
    let rules = RosterRules::for_exam(&morning);
    let first = assign(&input(&morning, &w, &a, &[("101", 10), ("102", 10)]), &rules, SEED);
    assert!(first.is_complete(), "{:?}", first.shortfalls);
    let mut inp = input(&afternoon, &w, &a, &[("103", 10)]);
    inp.held_today = first.entries.iter().map(|e| (e.worker_id.clone(), e.post.clone())).collect();
    let second = assign(&inp, &rules, SEED + 1);
    assert!(second.is_complete(), "{:?}", second.shortfalls);
    for post in [Post::Head, Post::GekMember, Post::TechSpecialist, Post::Medical] {
        let holders = |r: &Roster| r.entries.iter().filter(|x| x.post == post).map(|x| x.worker_id.clone()).collect::<BTreeSet<_>>();
        assert_eq!(holders(&first), holders(&second), "{post:?} serves the whole day");
    }
    let organizers = |r: &Roster| r.entries.iter().filter(|x| !x.post.is_day_post()).map(|x| x.worker_id.clone()).collect::<BTreeSet<_>>();
    assert!(organizers(&first).is_disjoint(&organizers(&second)), "an organizer of the morning is not on the afternoon's roster");
    assert!(second.reserve.iter().all(|id| !inp.held_today.contains_key(id)), "the afternoon's reserve holds nobody busy that day");
    assert!(day_double_bookings(&[first.clone(), second]).is_empty());
    // Refused with its reason: a morning organizer for an afternoon post.
    let busy = first.entries.iter().find(|x| matches!(x.post, Post::InRoom { .. })).unwrap();
    let why = day_conflict(&busy.worker_id, WorkerRole::OrganizerInRoom, &inp.held_today).unwrap();
    assert!(why.to_string().starts_with("в этот день уже занимает должность «"), "{why}");
    assert!(day_conflict("W1", WorkerRole::Head, &inp.held_today).is_none(), "the head stays the head");
    assert!(day_conflict("W1", WorkerRole::OrganizerInRoom, &inp.held_today).is_some(), "but takes no second post");
    // The checker itself sees a double booking.
    let mut twice = first.clone();
    twice.exam_id = "ege-07".into();
    assert!(!day_double_bookings(&[first.clone(), twice]).is_empty());
}

#[test]
fn replacement_comes_from_the_reserve_and_respects_the_rules() {
    let e = exam();
    let w = staff();
    let a = day(&w);
    let inp = input(&e, &w, &a, &[("101", 10)]);
    let rules = RosterRules::for_exam(&e);
    let roster = assign(&inp, &rules, SEED);
    let absent = roster.entries.iter().find(|x| matches!(x.post, Post::InRoom { .. })).unwrap().worker_id.clone();
    let (next, record) = replace(&roster, &inp, &rules, &absent, "не явился", "2027-05-27T02:00:00Z", "head").unwrap();
    assert!(roster.reserve.contains(&record.replacement_worker_id));
    assert!(!next.reserve.contains(&record.replacement_worker_id));
    assert!(next.entries.iter().all(|x| x.worker_id != absent));
    assert!(matches!(replace(&roster, &inp, &rules, "W999", "", "", ""), Err(ReplacementError::NotOnRoster(_))));
    // No reserve worker allowed for the post: a clear refusal.
    let only: Vec<Worker> = w
        .iter()
        .filter(|x| !x.roles.contains(&WorkerRole::OrganizerInRoom) || x.worker_id == "W5" || x.worker_id == "W6" || x.worker_id == "W7")
        .cloned()
        .collect();
    let a2 = day(&only);
    let inp2 = input(&e, &only, &a2, &[("101", 10)]);
    let r2 = assign(&inp2, &rules, SEED);
    let room_worker = r2.entries.iter().find(|x| matches!(x.post, Post::InRoom { .. })).unwrap().worker_id.clone();
    assert!(matches!(replace(&r2, &inp2, &rules, &room_worker, "болезнь", "", ""), Err(ReplacementError::NoReserve(_))), "{r2:?}");
}

proptest! {
    /// Random days of two or three exams at one point, assigned one after another as the box
    /// does: no worker is double-booked, and every organizer and assistant passes the rules.
    #[test]
    fn no_worker_is_double_booked_across_the_exams_of_a_day(
        exams in 2usize..4,
        rooms in proptest::collection::vec(1usize..4, 3),
        workers in 8usize..40,
        seed in any::<u64>(),
        subjects in proptest::collection::vec(0usize..4, 40),
        schools in proptest::collection::vec(0usize..3, 40),
    ) {
        use WorkerRole::*;
        let subject = |i: usize| format!("0{}", i + 1);
        let all: Vec<Worker> = (0..workers)
            .map(|i| {
                let roles: &[WorkerRole] = match i % 8 { 0 => &[Head], 1 => &[GekMember], 2 => &[TechSpecialist, Medical], 3 => &[Medical], _ => &[OrganizerInRoom, OrganizerOutside, Assistant] };
                worker(&format!("W{i:03}"), roles, &[subject(subjects[i]).as_str()], &format!("700100{}", schools[i]))
            })
            .collect();
        let a = day(&all);
        let plan_exams: Vec<Exam> = (0..exams).map(|k| Exam { exam_id: format!("e{k}"), subject_code: subject(k), ..exam() }).collect();
        let rules = RosterRules::for_exam(&plan_exams[0]);
        let mut held: BTreeMap<String, Post> = BTreeMap::new();
        let mut rosters = Vec::new();
        for (k, e) in plan_exams.iter().enumerate() {
            let room_list: Vec<(String, usize)> = (0..rooms[k]).map(|r| (format!("{k}0{r}"), 10)).collect();
            let refs: Vec<(&str, usize)> = room_list.iter().map(|(r, n)| (r.as_str(), *n)).collect();
            let mut inp = input(e, &all, &a, &refs);
            inp.held_today = held.clone();
            let roster = assign(&inp, &rules, seed.wrapping_add(k as u64));
            for entry in &roster.entries {
                let w = all.iter().find(|w| w.worker_id == entry.worker_id).unwrap();
                prop_assert!(w.roles.contains(&entry.post.role()));
                prop_assert!(inp.conflict(w, entry.post.role(), &rules).is_none(), "{:?} on {:?}", w.worker_id, entry.post);
                held.entry(entry.worker_id.clone()).or_insert_with(|| entry.post.clone());
            }
            rosters.push(roster);
        }
        prop_assert!(day_double_bookings(&rosters).is_empty(), "{:?}", day_double_bookings(&rosters));
    }
}
