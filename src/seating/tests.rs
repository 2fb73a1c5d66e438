//! Tests of seating: rules, determinism, changes during the day; property tests over random
//! plans.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::changes::free_seats_in;
use super::*;
use crate::model::Auditorium;

fn room(n: &str, rows: u16, cols: u16, capacity: u16, special: bool) -> Auditorium {
    Auditorium {
        ppe_code: "0101".into(),
        auditorium: n.into(),
        rows,
        columns: cols,
        capacity,
        special_needs: special,
        video: true,
        oral: false,
        reserve: false,
        unusable_seats: String::new(),
        floor: 1,
        room_kind: None,
    }
}

fn person(i: usize, school: usize, special: bool, braille: bool) -> Seatee {
    Seatee { participant_id: format!("P{i:05}"), school_code: format!("S{school}"), special_room: special, braille }
}

fn input(rooms: Vec<Auditorium>, people: Vec<Seatee>) -> SeatingInput {
    SeatingInput { exam_id: "e".into(), ppe_code: "0101".into(), auditoriums: rooms, participants: people, manual: Vec::new(), rules: SeatingRules::default(), held: Vec::new(), video_only: false, spare_video: false }
}

/// Every invariant a seating must hold, as one check used by all tests.
fn assert_valid(input: &SeatingInput, s: &Seating) {
    let rooms: HashMap<&str, &Auditorium> = input.auditoriums.iter().map(|a| (a.auditorium.as_str(), a)).collect();
    let ids: HashSet<&str> = s.seats.iter().map(|x| x.participant_id.as_str()).collect();
    assert_eq!(ids.len(), s.seats.len(), "someone seated twice");
    assert_eq!(ids.len(), input.participants.len(), "everyone seated exactly once");
    let mut used = HashSet::new();
    let mut per_room: HashMap<&str, usize> = HashMap::new();
    let mut braille: HashMap<&str, usize> = HashMap::new();
    for x in &s.seats {
        assert!(used.insert((x.auditorium.clone(), x.row, x.column)), "seat used twice: {x:?}");
        let r = rooms[x.auditorium.as_str()];
        assert!(x.row >= 1 && x.row <= r.rows && x.column >= 1 && x.column <= r.columns, "seat outside the grid: {x:?}");
        assert!(!split_list(&r.unusable_seats).contains(&x.seat_label()), "unusable seat used: {x:?}");
        *per_room.entry(r.auditorium.as_str()).or_default() += 1;
        let p = input.participants.iter().find(|p| p.participant_id == x.participant_id).unwrap();
        assert!(!p.special_room || r.special_needs, "special needs participant in a regular room: {x:?}");
        if p.braille {
            *braille.entry(r.auditorium.as_str()).or_default() += 1;
        }
    }
    for (room, n) in per_room {
        assert!(n <= usize::from(rooms[room].capacity.min(input.rules.max_per_room)), "room {room} over capacity: {n}");
    }
    for (room, n) in braille {
        assert!(n <= usize::from(input.rules.max_braille_per_room), "room {room}: {n} Braille users");
    }
    assert!(s.same_school_pairs >= s.same_school_lower_bound);
}

#[test]
fn seats_everyone_in_the_fewest_rooms() {
    let rooms = vec![room("101", 5, 3, 15, false), room("102", 5, 3, 15, false), room("103", 6, 4, 24, false), room("104", 2, 2, 4, true)];
    let people: Vec<Seatee> = (0..30).map(|i| person(i, i % 3, false, false)).collect();
    let inp = input(rooms, people);
    let s = seat(&inp, 7).unwrap();
    assert_valid(&inp, &s);
    assert_eq!(s.rooms_used, vec!["101".to_string(), "103".to_string()], "24 + 15 seats hold 30: two rooms, the largest first, ties by number");
}

#[test]
fn same_school_is_spread_when_the_numbers_allow() {
    // 15 seats in a 5×3 grid, 3 schools × 5: a seating without neighbours exists.
    let inp = input(vec![room("101", 5, 3, 15, false)], (0..15).map(|i| person(i, i % 3, false, false)).collect());
    let s = seat(&inp, 1).unwrap();
    assert_valid(&inp, &s);
    assert_eq!(s.same_school_pairs, 0, "{:?}", s.seats);
    // One school only: pairs are unavoidable and the lower bound says so.
    let inp = input(vec![room("101", 5, 3, 15, false)], (0..15).map(|i| person(i, 0, false, false)).collect());
    let s = seat(&inp, 1).unwrap();
    assert!(s.same_school_lower_bound >= 7, "15 people, at most 8 non-adjacent seats: {}", s.same_school_lower_bound);
}

#[test]
fn special_needs_go_only_to_special_rooms_and_fail_clearly_without_one() {
    let people = vec![person(1, 1, true, false), person(2, 1, false, false)];
    let inp = input(vec![room("101", 5, 3, 15, false), room("102", 2, 2, 4, true)], people.clone());
    let s = seat(&inp, 1).unwrap();
    assert_valid(&inp, &s);
    let inp = input(vec![room("101", 5, 3, 15, false)], people);
    match seat(&inp, 1) {
        Err(SeatingError::NoRoomForSpecialNeeds { participant, .. }) => assert_eq!(participant, "P00001"),
        other => panic!("expected NoRoomForSpecialNeeds, got {other:?}"),
    }
}

#[test]
fn braille_users_at_most_eight_per_room() {
    let people: Vec<Seatee> = (0..12).map(|i| person(i, i, true, true)).collect();
    let inp = input(vec![room("101", 4, 4, 16, true), room("102", 4, 4, 16, true)], people.clone());
    let s = seat(&inp, 3).unwrap();
    assert_valid(&inp, &s);
    assert_eq!(s.rooms_used.len(), 2, "12 blind participants need two rooms");
    let inp = input(vec![room("101", 4, 4, 16, true)], people);
    assert!(seat(&inp, 3).is_err(), "one room cannot take 12 Braille users");
}

#[test]
fn not_enough_seats_is_reported_with_the_numbers() {
    let inp = input(vec![room("101", 2, 2, 4, false)], (0..5).map(|i| person(i, 0, false, false)).collect());
    assert!(matches!(seat(&inp, 1), Err(SeatingError::NotEnoughSeats { participants: 5, seats: 4, .. })));
}

#[test]
fn manual_seats_survive_a_re_run() {
    let people: Vec<Seatee> = (0..20).map(|i| person(i, i % 4, false, false)).collect();
    let mut inp = input(vec![room("101", 5, 3, 15, false), room("102", 5, 3, 15, false)], people);
    let first = seat(&inp, 1).unwrap();
    let mut fixed = first.seats[0].clone();
    fixed.auditorium = "102".into();
    fixed.row = 5;
    fixed.column = 3;
    inp.manual = vec![fixed.clone()];
    let second = seat(&inp, 99).unwrap();
    assert_valid(&inp, &second);
    let kept = second.seats.iter().find(|s| s.participant_id == fixed.participant_id).unwrap();
    assert_eq!((kept.auditorium.as_str(), kept.row, kept.column, kept.manual), ("102", 5, 3, true));
}

#[test]
fn closing_an_auditorium_moves_only_its_people() {
    let people: Vec<Seatee> = (0..20).map(|i| person(i, i % 4, false, false)).collect();
    let mut reserve = room("199", 5, 3, 15, false);
    reserve.reserve = true;
    let rooms = vec![room("101", 5, 3, 15, false), room("102", 5, 3, 15, false), reserve];
    let inp = input(rooms.clone(), people);
    let s = seat(&inp, 1).unwrap();
    assert!(!s.rooms_used.contains(&"199".to_string()), "reserve rooms are not used by the seating");
    let mut seats = s.seats.clone();
    let moved = close_auditorium(&mut seats, &rooms, &inp.rules, "101", "199").unwrap();
    let before: HashMap<_, _> = s.seats.iter().map(|x| (x.participant_id.clone(), x.clone())).collect();
    for x in &seats {
        let b = &before[&x.participant_id];
        if b.auditorium == "101" {
            assert_eq!((x.auditorium.as_str(), x.row, x.column), ("199", b.row, b.column), "same seat label in the reserve room");
        } else {
            assert_eq!(x, b, "someone not in the closed room moved");
        }
    }
    assert_eq!(moved.len(), s.seats.iter().filter(|x| x.auditorium == "101").count());
}

#[test]
fn moving_into_a_taken_seat_or_a_regular_room_for_special_needs_is_refused() {
    let people = vec![person(1, 1, false, false), person(2, 2, false, false), person(3, 3, true, false)];
    let rooms = vec![room("101", 5, 3, 15, false), room("102", 2, 2, 4, true)];
    let inp = input(rooms.clone(), people.clone());
    let s = seat(&inp, 1).unwrap();
    let mut seats = s.seats.clone();
    let school_of = |_: &str| String::new();
    let other = seats.iter().find(|x| x.participant_id == "P00002").unwrap().clone();
    let err = move_participant(&mut seats, &rooms, &inp.rules, &people[0], "101", Some(&other.seat_label()), &school_of).unwrap_err();
    assert!(matches!(err, SeatingError::SeatTaken { .. }), "{err:?}");
    let err = move_participant(&mut seats, &rooms, &inp.rules, &people[2], "101", None, &school_of).unwrap_err();
    assert!(matches!(err, SeatingError::NotASpecialNeedsRoom { .. }), "{err:?}");
    let err = move_participant(&mut seats, &rooms, &inp.rules, &people[0], "101", Some("9Я"), &school_of).unwrap_err();
    assert!(matches!(err, SeatingError::NoSuchSeat { .. }), "{err:?}");
}

#[test]
fn a_late_participant_gets_a_free_seat_and_nobody_moves() {
    let people: Vec<Seatee> = (0..10).map(|i| person(i, i % 2, false, false)).collect();
    let rooms = vec![room("101", 5, 3, 15, false)];
    let inp = input(rooms.clone(), people);
    let s = seat(&inp, 1).unwrap();
    let mut seats = s.seats.clone();
    let late = person(99, 0, false, false);
    let schools: HashMap<String, String> = inp.participants.iter().map(|p| (p.participant_id.clone(), p.school_code.clone())).collect();
    let school_of = |pid: &str| schools.get(pid).cloned().unwrap_or_default();
    let added = add_participant(&mut seats, &rooms, &inp.rules, "e", "0101", &late, &school_of).unwrap();
    assert_eq!(&seats[..s.seats.len()], &s.seats[..]);
    assert!(!s.seats.iter().any(|x| (x.row, x.column) == (added.row, added.column)));
    assert!(add_participant(&mut seats, &rooms, &inp.rules, "e", "0101", &late, &school_of).is_err(), "already seated");
}

#[test]
fn demo_exam_point_seats_with_few_same_school_neighbours() {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 600, ..Default::default() });
    let ppe = &plan.exam_points[0].ppe_code;
    let ids: HashSet<&str> = plan.registrations.iter().filter(|r| r.exam_id == "ege-02").map(|r| r.participant_id.as_str()).collect();
    let inp = SeatingInput {
        exam_id: "ege-02".into(),
        ppe_code: ppe.clone(),
        auditoriums: plan.auditoriums.iter().filter(|a| &a.ppe_code == ppe).cloned().collect(),
        participants: plan.participants.iter().filter(|p| ids.contains(p.participant_id.as_str())).map(Seatee::from_participant).collect(),
        manual: Vec::new(),
        rules: SeatingRules::default(),
        held: Vec::new(),
        video_only: true,
        spare_video: false,
    };
    let s = seat(&inp, 1).unwrap();
    assert_valid(&inp, &s);
    assert!(s.same_school_pairs <= s.same_school_lower_bound + inp.participants.len() / 20, "pairs {} vs bound {}", s.same_school_pairs, s.same_school_lower_bound);
}

fn arb_plan() -> impl Strategy<Value = SeatingInput> {
    (1usize..8, 1usize..6, 0usize..120, any::<u64>()).prop_map(|(rooms_n, schools, people_n, salt)| {
        let mut rooms: Vec<Auditorium> = (0..rooms_n)
            .map(|i| {
                let rows = 3 + (salt.wrapping_add(i as u64) % 4) as u16;
                let cols = 2 + (salt.wrapping_mul(7).wrapping_add(i as u64) % 3) as u16;
                let mut r = room(&format!("{:03}", 100 + i), rows, cols, rows * cols - 1, i == 0);
                r.unusable_seats = seat_label(1, 1);
                r
            })
            .collect();
        let seats: usize = rooms.iter().map(|r| usize::from(r.capacity.min(25))).sum();
        let special_cap = usize::from(rooms[0].capacity.min(25));
        let people_n = people_n.min(seats);
        let people: Vec<Seatee> = (0..people_n)
            .map(|i| {
                let special = i < special_cap.min(3) && (salt >> i) & 1 == 1;
                person(i, (i * 7 + salt as usize) % schools, special, false)
            })
            .collect();
        rooms.sort_by(|a, b| a.auditorium.cmp(&b.auditorium));
        input(rooms, people)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_plans_seat_validly_and_deterministically(inp in arb_plan(), seed in any::<u64>()) {
        match seat(&inp, seed) {
            Ok(s) => {
                assert_valid(&inp, &s);
                prop_assert_eq!(seat(&inp, seed).unwrap(), s);
            }
            // A random plan may have more special-needs people than special seats; that must
            // be the clear error, never an invalid seating.
            Err(e) => prop_assert!(matches!(e, SeatingError::NoRoomForSpecialNeeds { .. } | SeatingError::NotEnoughSeats { .. }), "{e:?}"),
        }
    }

    #[test]
    fn a_single_move_changes_only_that_participant(inp in arb_plan(), seed in any::<u64>(), pick in any::<prop::sample::Index>()) {
        let Ok(s) = seat(&inp, seed) else { return Ok(()) };
        if s.seats.is_empty() {
            return Ok(());
        }
        let target = &s.seats[pick.index(s.seats.len())];
        let who = inp.participants.iter().find(|p| p.participant_id == target.participant_id).unwrap().clone();
        let mut seats = s.seats.clone();
        let school_of = |_: &str| String::new();
        // A room that suits them and has a free seat once they leave theirs (their own room
        // always qualifies): another one when there is one. The move must then succeed.
        let others: Vec<SeatAssignment> = s.seats.iter().filter(|x| x.participant_id != who.participant_id).cloned().collect();
        let suits = |a: &&crate::model::Auditorium| (a.special_needs || !who.special_room) && !free_seats_in(a, &inp.rules, &others).is_empty();
        let to = inp.auditoriums.iter().filter(suits).find(|a| a.auditorium != target.auditorium).or_else(|| inp.auditoriums.iter().find(|a| a.auditorium == target.auditorium));
        prop_assert!(to.is_some(), "their own room always has their seat");
        let to = to.unwrap().auditorium.clone();
        let result = move_participant(&mut seats, &inp.auditoriums, &inp.rules, &who, &to, None, &school_of);
        prop_assert!(result.is_ok(), "a move to {} with a free seat failed: {:?}", to, result);
        prop_assert_eq!(result.unwrap().auditorium, to.clone());
        for (a, b) in s.seats.iter().zip(&seats) {
            if a.participant_id != who.participant_id {
                prop_assert_eq!(a, b);
            }
        }
        let mut moved = inp.clone();
        moved.manual = Vec::new();
        let check = Seating { seats: seats.clone(), ..s.clone() };
        assert_valid(&moved, &check);
    }
}

fn video_room(n: &str, capacity: u16, video: bool) -> Auditorium {
    Auditorium { video, ..room(n, 5, 5, capacity, false) }
}

#[test]
fn ege_sits_only_in_video_rooms_and_says_so_when_they_are_short() {
    let rooms = vec![video_room("101", 15, true), video_room("102", 20, false)];
    let mut inp = input(rooms, (0..10).map(|i| person(i, i % 3, false, false)).collect());
    inp.video_only = true;
    let s = seat(&inp, 1).unwrap();
    assert_valid(&inp, &s);
    assert_eq!(s.rooms_used, vec!["101".to_string()], "the larger room has no video");
    inp.participants = (0..20).map(|i| person(i, i % 3, false, false)).collect();
    assert_eq!(seat(&inp, 1), Err(SeatingError::NotEnoughVideoSeats { participants: 20, seats: 15 }));
    inp.video_only = false;
    let s = seat(&inp, 1).unwrap();
    assert_valid(&inp, &s);
    assert_eq!(s.rooms_used, vec!["102".to_string()], "other kinds sit anywhere");
}

#[test]
fn rooms_held_by_an_overlapping_exam_are_never_used_and_the_shortfall_names_them() {
    let rooms = vec![video_room("101", 20, true), video_room("102", 15, true)];
    let mut inp = input(rooms, (0..10).map(|i| person(i, i % 3, false, false)).collect());
    inp.held = vec![HeldRoom { auditorium: "101".into(), exam_id: "other".into() }];
    let s = seat(&inp, 1).unwrap();
    assert_eq!(s.rooms_used, vec!["102".to_string()]);
    assert_eq!(s.held, inp.held, "the seating records what was held, for a re-computation");
    inp.participants = (0..16).map(|i| person(i, i % 3, false, false)).collect();
    let err = seat(&inp, 1).unwrap_err();
    assert_eq!(err, SeatingError::NotEnoughSeatsBesideOtherExams { participants: 16, seats: 15, rooms: "101".into(), exams: "other".into() });
    assert!(err.to_string().contains("заняты другим экзаменом (other)"), "{err}");
    // A manual seat in a held room is not kept: that room is the other exam's now.
    inp.participants.truncate(10);
    inp.manual = vec![SeatAssignment {
        exam_id: "e".into(),
        participant_id: "P00001".into(),
        ppe_code: "0101".into(),
        auditorium: "101".into(),
        row: 1,
        column: 1,
        manual: true,
    }];
    assert!(seat(&inp, 1).unwrap().seats.iter().all(|x| x.auditorium == "102"));
}

#[test]
fn an_exam_beside_an_ege_takes_rooms_without_video_first() {
    let rooms = vec![video_room("101", 20, true), video_room("102", 15, false)];
    let mut inp = input(rooms, (0..10).map(|i| person(i, i % 3, false, false)).collect());
    assert_eq!(seat(&inp, 1).unwrap().rooms_used, vec!["101".to_string()], "alone: the largest room");
    inp.spare_video = true;
    assert_eq!(seat(&inp, 1).unwrap().rooms_used, vec!["102".to_string()], "beside an ЕГЭ: the room without video");
}

#[test]
fn graduates_without_a_school_are_never_a_same_school_pair() {
    let graduates: Vec<Seatee> = (0..15).map(|i| Seatee { school_code: String::new(), ..person(i, 0, false, false) }).collect();
    let inp = input(vec![room("101", 5, 3, 15, false)], graduates);
    let s = seat(&inp, 1).unwrap();
    assert_valid(&inp, &s);
    assert_eq!((s.same_school_pairs, s.same_school_lower_bound), (0, 0), "15 graduates side by side are no pair");
    assert!(!same_school("", ""));
    assert!(same_school("S1", "S1"));
}

/// A participant of the plan for the day's property test.
fn participant(id: String, school: &str, special: bool, admitted: bool) -> crate::model::Participant {
    use crate::model::*;
    Participant {
        participant_id: id,
        surname: "Иванов".into(),
        name: "Иван".into(),
        patronymic: String::new(),
        sex: Sex::Male,
        birth_date: "2009.01.01".into(),
        phone: String::new(),
        citizenship: "Российская Федерация".into(),
        snils: String::new(),
        doc_type: DocType::PassportRf,
        doc_series: "6900".into(),
        doc_number: "000001".into(),
        school_code: school.into(),
        school_name: school.into(),
        class: String::new(),
        study_form: "очная".into(),
        category: if school.is_empty() { "выпускник прошлых лет" } else { "обучающийся" }.into(),
        health: HealthCategory::None,
        conditions: SpecialConditions { separate_room: special, extra_time: special, ..Default::default() },
        admitted,
    }
}

#[test]
fn a_participant_without_admission_is_never_seated() {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 10, ..Default::default() });
    let rooms = vec![room("101", 5, 3, 15, false)];
    let people = vec![participant("P1".into(), "S1", false, true), participant("P2".into(), "S1", false, false)];
    let input = day::input_for(day::ExamAtPoint {
        exam: &plan.exams[0],
        ppe_code: "0101",
        auditoriums: &rooms,
        participants: &people,
        manual: Vec::new(),
        point_exams: &[],
        point_seats: &[],
        rules: SeatingRules::default(),
    });
    assert_eq!(input.participants.iter().map(|p| p.participant_id.as_str()).collect::<Vec<_>>(), vec!["P1"]);
    assert!(input.video_only, "the demo's first exam is an ЕГЭ");
    assert_eq!(seat(&input, 1).unwrap().seats.len(), 1);
}

/// A point's day: its rooms and its exams with their people.
#[derive(Debug, Clone)]
struct ArbDay {
    rooms: Vec<Auditorium>,
    exams: Vec<crate::model::Exam>,
    people: Vec<Vec<crate::model::Participant>>,
}

fn arb_day() -> impl Strategy<Value = ArbDay> {
    let exam = (any::<bool>(), 0usize..2, 0usize..4, 0usize..3, 0usize..30, any::<u64>());
    (2usize..7, any::<u64>(), prop::collection::vec(exam, 1..5)).prop_map(|(rooms_n, salt, exams)| {
        let template =
            crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 2, ..Default::default() })
                .exams
                .remove(0);
        let rooms: Vec<Auditorium> = (0..rooms_n)
            .map(|i| {
                let rows = 3 + ((salt >> (2 * i)) % 3) as u16;
                Auditorium { video: (salt >> (20 + i)) & 3 != 0, ..room(&format!("{:03}", 101 + i), rows, 3, rows * 3, i == 0) }
            })
            .collect();
        let mut people = Vec::new();
        let mut list = Vec::new();
        for (k, (ege, date, start, length, n, bits)) in exams.into_iter().enumerate() {
            let mut e = template.clone();
            e.exam_id = format!("x{k}");
            e.kind = if ege { crate::model::ExamKind::Ege } else { crate::model::ExamKind::Oge };
            e.date = ["2027.05.27", "2027.05.28"][date].into();
            e.start = ["09:00", "10:00", "14:00", "16:00"][start].into();
            e.duration_min = [60, 180, 235][length];
            list.push(e);
            people.push(
                (0..n)
                    .map(|i| {
                        let school = match (bits >> (i % 60)) % 5 {
                            4 => String::new(),
                            s => format!("S{s}"),
                        };
                        participant(format!("P{k}-{i:03}"), &school, i < 2 && (bits >> 62) & 1 == 1, (bits >> (i % 50)) % 7 != 0)
                    })
                    .collect(),
            );
        }
        ArbDay { rooms, exams: list, people }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn a_points_day_never_double_books_a_room_among_overlapping_exams(points in prop::collection::vec(arb_day(), 1..4), seed in any::<u64>()) {
        for d in &points {
            let exams: Vec<day::DayExam> = d.exams.iter().zip(&d.people).map(|(e, p)| day::DayExam { exam: e.clone(), participants: p.clone() }).collect();
            let seed_of = |id: &str| seed ^ id.len() as u64;
            let results = day::seat_day("0101", &d.rooms, &exams, SeatingRules::default(), &seed_of);
            prop_assert_eq!(&results, &day::seat_day("0101", &d.rooms, &exams, SeatingRules::default(), &seed_of), "deterministic");
            prop_assert_eq!(results.len(), exams.len());
            let mut seated: Vec<(&crate::model::Exam, HashSet<String>)> = Vec::new();
            for (exam_id, result) in &results {
                let k = d.exams.iter().position(|e| &e.exam_id == exam_id).unwrap();
                let exam = &d.exams[k];
                match result {
                    Ok(s) => {
                        let admitted: Vec<Seatee> = d.people[k].iter().filter(|p| p.admitted).map(Seatee::from_participant).collect();
                        let check = SeatingInput { participants: admitted, ..input(d.rooms.clone(), Vec::new()) };
                        assert_valid(&check, s);
                        for x in &s.seats {
                            let r = d.rooms.iter().find(|r| r.auditorium == x.auditorium).unwrap();
                            prop_assert!(r.video || !day::needs_video(exam), "ЕГЭ in a room without video: {:?}", x);
                        }
                        seated.push((exam, s.seats.iter().map(|x| x.auditorium.clone()).collect()));
                    }
                    Err(e) => prop_assert!(
                        matches!(e, SeatingError::NoRoomForSpecialNeeds { .. } | SeatingError::NotEnoughSeats { .. } | SeatingError::NotEnoughVideoSeats { .. } | SeatingError::NotEnoughSeatsBesideOtherExams { .. }),
                        "{:?}", e
                    ),
                }
            }
            for (i, (a, rooms_a)) in seated.iter().enumerate() {
                for (b, rooms_b) in &seated[i + 1..] {
                    if day::overlap(a, b) {
                        prop_assert!(rooms_a.is_disjoint(rooms_b), "{} and {} overlap and share {:?}", a.exam_id, b.exam_id, rooms_a.intersection(rooms_b).collect::<Vec<_>>());
                    }
                }
            }
        }
    }
}
