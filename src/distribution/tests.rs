//! The distribution rules in both directions, and its use cases over in-memory databases: a hub
//! (the region's plan) and a box (its slice).

use chrono::{DateTime, NaiveDate, Utc};

use super::ops::{self, DistributionError, SeatRequest};
use super::*;
use crate::model::{ExamId, Plan, PpeCode};
use crate::store::Connection;

fn exam(date: &str, offset: i32) -> Exam {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 10, ..Default::default() });
    Exam { date: date.into(), utc_offset_min: offset, ..plan.exams[0].clone() }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

#[test]
fn the_seating_seed_is_released_from_the_start_of_the_working_day_before() {
    let policy = ReleasePolicy::default();
    // Thursday's exam: from Wednesday 00:00 local.
    let thursday = release_at(&exam("2027.05.27", 180), 180, Purpose::Seating, &policy).unwrap();
    assert_eq!(thursday.to_rfc3339(), "2027-05-26T00:00:00+03:00");
    // Monday's exam: from Friday (the weekend is no working day).
    let monday = release_at(&exam("2027.05.31", 180), 180, Purpose::Seating, &policy).unwrap();
    assert_eq!(monday.to_rfc3339(), "2027-05-28T00:00:00+03:00");
    // A holiday on that Friday: from Thursday.
    let holiday = ReleasePolicy { holidays: vec![NaiveDate::from_ymd_opt(2027, 5, 28).unwrap()], ..ReleasePolicy::default() };
    assert_eq!(release_at(&exam("2027.05.31", 180), 180, Purpose::Seating, &holiday).unwrap().to_rfc3339(), "2027-05-27T00:00:00+03:00");
}

#[test]
fn the_organizers_seed_is_released_on_the_exam_morning_in_the_points_own_time() {
    let policy = ReleasePolicy::default();
    // The plan's exam says Moscow, the point is in Tomsk (+7): the point's offset wins.
    let e = exam("2027.05.27", 180);
    let point = ExamPoint {
        ppe_code: "0101".into(),
        name: String::new(),
        address: String::new(),
        ate_code: String::new(),
        ate_name: String::new(),
        point_type: Default::default(),
        utc_offset_min: Some(420),
    };
    let offset = point_offset_min(&e, Some(&point));
    assert_eq!(offset, 420);
    let from = release_at(&e, offset, Purpose::Organizers, &policy).unwrap();
    assert_eq!(from.with_timezone(&Utc).to_rfc3339(), "2027-05-27T01:00:00+00:00");
    assert_eq!(point_offset_min(&e, None), 180, "without the point's offset the exam's");
}

#[test]
fn a_seed_is_refused_before_its_release_and_given_from_it() {
    let from = release_at(&exam("2027.05.27", 180), 180, Purpose::Seating, &ReleasePolicy::default()).unwrap();
    let refused = judge_release(at("2027-05-25T20:59:59Z"), Purpose::Seating, from).unwrap_err();
    assert_eq!(refused.code(), "seed_not_released_yet");
    assert!(refused.to_string().contains("не раньше 26.05.2027 00:00"), "{refused}");
    assert!(judge_release(at("2027-05-25T21:00:00Z"), Purpose::Seating, from).is_ok());
}

#[test]
fn the_release_policy_reads_the_config_and_names_what_does_not_read() {
    let good = crate::config::HubDistributionConfig { holidays: vec!["2027.06.11".into(), "2027-06-14".into()], organizers_from: "07:30".into() };
    let policy = ReleasePolicy::from_config(&good).unwrap();
    assert_eq!(policy.holidays.len(), 2);
    assert_eq!(policy.organizers_from, NaiveTime::from_hms_opt(7, 30, 0).unwrap());
    let bad = crate::config::HubDistributionConfig { holidays: vec!["11.06.2027x".into()], ..good.clone() };
    assert!(ReleasePolicy::from_config(&bad).unwrap_err().contains("«11.06.2027x»"));
    let bad_time = crate::config::HubDistributionConfig { organizers_from: "8 утра".into(), ..good };
    assert!(ReleasePolicy::from_config(&bad_time).unwrap_err().contains("organizers_from"));
}

fn signed(key: &ring::signature::Ed25519KeyPair, exam: &str, ppe: &str, purpose: Purpose, seed: &str) -> SignedSeed {
    let release_at = "2027-05-26T00:00:00+07:00".to_string();
    let signature = crate::keys::sign_hex(key, &seed_signature_message(exam, ppe, purpose, seed, &release_at));
    SignedSeed { exam_id: exam.into(), ppe_code: ppe.into(), purpose, seed: seed.into(), release_at, signature }
}

fn hub_key() -> (ring::signature::Ed25519KeyPair, String) {
    let key = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
    let public = crate::keys::ed25519_public_hex(&key);
    (key, public)
}

#[test]
fn a_box_takes_only_a_seed_signed_by_its_hub_for_it() {
    let (key, public) = hub_key();
    let good = signed(&key, "ege-02", "0101", Purpose::Seating, "42");
    assert_eq!(check_signed_seed(&public, &good, "ege-02", "0101", Purpose::Seating), Ok(42));
    let altered = SignedSeed { seed: "43".into(), ..good.clone() };
    assert_eq!(check_signed_seed(&public, &altered, "ege-02", "0101", Purpose::Seating), Err(BadSeed::Signature));
    assert!(matches!(check_signed_seed(&public, &good, "ege-02", "0102", Purpose::Seating), Err(BadSeed::WrongTarget { .. })));
    assert!(matches!(check_signed_seed(&public, &good, "ege-02", "0101", Purpose::Organizers), Err(BadSeed::WrongTarget { .. })));
    let (other, _) = hub_key();
    assert_eq!(
        check_signed_seed(&public, &signed(&other, "ege-02", "0101", Purpose::Seating, "42"), "ege-02", "0101", Purpose::Seating),
        Err(BadSeed::Signature)
    );
}

/// A hub holding the region's plan, and the box of its first point holding its slice.
fn hub_and_box() -> (Connection, Connection, Plan, String) {
    let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 2, participants: 60, ..Default::default() });
    let ppe = plan.exam_points[0].ppe_code.clone();
    let mut hub = crate::store::open_in_memory().unwrap();
    let tx = hub.transaction().unwrap();
    crate::plan::store::replace_plan(&tx, &plan, "t", "t", "t").unwrap();
    tx.commit().unwrap();
    let mut edge = crate::store::open_in_memory().unwrap();
    let tx = edge.transaction().unwrap();
    crate::plan::store::replace_plan(&tx, &plan.for_exam_point(&ppe), "t", "t", "t").unwrap();
    tx.commit().unwrap();
    (hub, edge, plan, ppe)
}

const EXAM: &str = crate::demo::generate::EGE_EXAM_ID;
/// The demo's ЕГЭ: Thursday 27.05.2027 10:00 in Tomsk (+7); its seating seed from 26.05 00:00 +7.
const BEFORE: &str = "2027-05-25T16:59:00Z";
const AFTER: &str = "2027-05-25T17:00:00Z";

#[test]
fn the_hub_draws_once_releases_from_the_day_before_and_audits_each_release() {
    let (mut hub, _, _, ppe) = hub_and_box();
    let (key, public) = hub_key();
    let (exam, caller) = (ExamId::from(EXAM), PpeCode::from(ppe.as_str()));
    let policy = ReleasePolicy::default();
    let early = ops::release_seed(&mut hub, &key, &policy, &caller, &exam, Purpose::Seating, at(BEFORE)).unwrap_err();
    assert!(matches!(early, DistributionError::Refused(SeedRefusal::NotYet { .. })), "{early}");
    assert_eq!(store::seed_get(&hub, EXAM, &ppe, Purpose::Seating).unwrap(), None, "nothing drawn before the release");
    let first = ops::release_seed(&mut hub, &key, &policy, &caller, &exam, Purpose::Seating, at(AFTER)).unwrap();
    let again = ops::release_seed(&mut hub, &key, &policy, &caller, &exam, Purpose::Seating, at("2027-05-26T09:00:00Z")).unwrap();
    assert_eq!(first.seed, again.seed, "drawn once, kept");
    assert!(check_signed_seed(&public, &first, EXAM, &ppe, Purpose::Seating).is_ok());
    let released = crate::audit::store::all(&hub).unwrap().into_iter().filter(|e| e.action == "distribution.seed_released").count();
    assert_eq!(released, 2);
    // The organizers' seed is another draw and waits for the morning (08:00 +7 = 01:00Z).
    assert!(ops::release_seed(&mut hub, &key, &policy, &caller, &exam, Purpose::Organizers, at("2027-05-27T00:59:00Z")).is_err());
    let organizers = ops::release_seed(&mut hub, &key, &policy, &caller, &exam, Purpose::Organizers, at("2027-05-27T01:00:00Z")).unwrap();
    assert_ne!(organizers.seed, first.seed);
    // A point not assigned to the exam gets nothing.
    let stranger = ops::release_seed(&mut hub, &key, &policy, &PpeCode::from("9999"), &exam, Purpose::Seating, at(AFTER)).unwrap_err();
    assert!(matches!(stranger, DistributionError::Refused(SeedRefusal::NotAssigned { .. })), "{stranger}");
}

#[test]
fn the_box_seats_once_from_the_hubs_seed_and_the_hub_reproduces_it() {
    let (mut hub, mut edge, _, ppe) = hub_and_box();
    let (key, public) = hub_key();
    let (exam, caller) = (ExamId::from(EXAM), PpeCode::from(ppe.as_str()));
    let request = SeatRequest { exam_id: &exam, ppe_code: &caller, rules: Default::default(), now: AFTER, actor: "tech" };
    let without = ops::seat(&mut edge, &request).unwrap_err();
    assert!(matches!(without, DistributionError::NoSeed { .. }), "{without}");

    let seed = ops::release_seed(&mut hub, &key, &ReleasePolicy::default(), &caller, &exam, Purpose::Seating, at(AFTER)).unwrap();
    // The last byte changed (to 00, or to 01 when it already is 00: the seed is random, so its
    // signature ends in 00 once in 256 runs).
    let last = if seed.signature.ends_with("00") { "01" } else { "00" };
    let broken = SignedSeed { signature: format!("{}{last}", &seed.signature[..seed.signature.len() - 2]), ..seed.clone() };
    assert!(matches!(
        ops::accept_seed(&mut edge, &public, &broken, &exam, &caller, Purpose::Seating, AFTER),
        Err(DistributionError::BadSeed(BadSeed::Signature))
    ));
    assert!(ops::seat(&mut edge, &request).is_err(), "a broken seed is not kept");
    ops::accept_seed(&mut edge, &public, &seed, &exam, &caller, Purpose::Seating, AFTER).unwrap();
    assert_eq!(ops::released_seed(&edge, &exam, &caller, Purpose::Seating).unwrap().to_string(), seed.seed);
    let other = signed(&key, EXAM, &ppe, Purpose::Seating, "7");
    assert!(matches!(
        ops::accept_seed(&mut edge, &public, &other, &exam, &caller, Purpose::Seating, AFTER),
        Err(DistributionError::SeedChanged { .. })
    ));

    let seating = ops::seat(&mut edge, &request).unwrap();
    assert_eq!(seating.seed.to_string(), seed.seed);
    let again = ops::seat(&mut edge, &request).unwrap_err();
    assert!(matches!(again, DistributionError::AlreadySeated { .. }), "{again}");

    let report = ops::seating_report(&edge, &exam, &caller, Default::default()).unwrap();
    ops::record_seating_report(&mut hub, &caller, &exam, &report, at(AFTER)).unwrap();
    let verdict = ops::verify_seating(&hub, &exam, &caller).unwrap();
    assert_eq!(verdict.difference, None, "the hub reproduces the box's seating");
    assert_eq!(verdict.seats, seating.seats.len());

    // A seating made from another seed, or altered by hand, is caught and named.
    let mut made_elsewhere =
        crate::seating::ops::input_from_plan(crate::plan::store::load_plan(&edge).unwrap(), EXAM, &ppe, Vec::new(), &[], Default::default()).unwrap();
    made_elsewhere.manual.clear();
    let forged = crate::seating::seat(&made_elsewhere, 1).unwrap();
    let forged_report = SeatingReport { seats: forged.seats.clone(), ..report.clone() };
    ops::record_seating_report(&mut hub, &caller, &exam, &forged_report, at(AFTER)).unwrap();
    let verdict = ops::verify_seating(&hub, &exam, &caller).unwrap();
    assert!(verdict.difference.as_deref().is_some_and(|d| d.starts_with("участник ")), "{verdict:?}");
    let other_seed = SeatingReport { seed: "1".into(), seats: forged.seats, ..report.clone() };
    ops::record_seating_report(&mut hub, &caller, &exam, &other_seed, at(AFTER)).unwrap();
    assert!(ops::verify_seating(&hub, &exam, &caller).unwrap().difference.unwrap().contains("зерно отчёта 1"));

    // Another point cannot report for this one.
    let refused = ops::record_seating_report(&mut hub, &PpeCode::from("9999"), &exam, &report, at(AFTER)).unwrap_err();
    assert!(matches!(refused, DistributionError::WrongPoint { .. }), "{refused}");
}

/// A box seated once from the seed its hub released: (its database, the exam, the point).
fn seated_once() -> (Connection, ExamId, PpeCode) {
    let (mut hub, mut edge, _, ppe) = hub_and_box();
    let (key, public) = hub_key();
    let (exam, caller) = (ExamId::from(EXAM), PpeCode::from(ppe.as_str()));
    let seed = ops::release_seed(&mut hub, &key, &ReleasePolicy::default(), &caller, &exam, Purpose::Seating, at(AFTER)).unwrap();
    ops::accept_seed(&mut edge, &public, &seed, &exam, &caller, Purpose::Seating, AFTER).unwrap();
    let request = SeatRequest { exam_id: &exam, ppe_code: &caller, rules: Default::default(), now: AFTER, actor: "tech" };
    ops::seat(&mut edge, &request).unwrap();
    (edge, exam, caller)
}

#[test]
fn after_a_list_is_printed_the_seating_is_not_run_again() {
    let (mut edge, exam, caller) = seated_once();
    let request = SeatRequest { exam_id: &exam, ppe_code: &caller, rules: Default::default(), now: AFTER, actor: "tech" };
    let tx = edge.transaction().unwrap();
    let job = crate::printing::store::NewPrintJob {
        exam_id: EXAM,
        document: "lists.pdf",
        form: "ППЭ-05-01",
        auditorium: Some("101"),
        pages: 1,
        sha256: "00",
        printer: "p",
        cups_job_id: None,
        state: crate::printing::JobState::Completed,
        reprint_of: None,
    };
    crate::printing::store::print_job_insert(&tx, &job, AFTER).unwrap();
    tx.commit().unwrap();
    // Even with the plan changed (a different input), only recorded moves change it now.
    let looser = SeatRequest { rules: crate::seating::SeatingRules { max_per_room: 20, ..Default::default() }, ..request };
    let refused = ops::seat(&mut edge, &looser).unwrap_err();
    assert!(matches!(refused, DistributionError::Printed { .. }), "{refused}");
    assert!(refused.to_string().contains("только пересадки"), "{refused}");
}

#[test]
fn before_printing_a_changed_input_may_be_seated_again_from_the_same_seed() {
    let (mut edge, exam, caller) = seated_once();
    let request = SeatRequest { exam_id: &exam, ppe_code: &caller, rules: Default::default(), now: AFTER, actor: "tech" };
    let changed = SeatRequest { rules: crate::seating::SeatingRules { max_per_room: 20, ..Default::default() }, ..request };
    assert!(ops::seat(&mut edge, &changed).is_ok());
}

#[test]
fn the_first_difference_names_the_participant_and_the_seats() {
    let seat = |pid: &str, room: &str, col: u16| SeatAssignment {
        exam_id: "e".into(),
        participant_id: pid.into(),
        ppe_code: "p".into(),
        auditorium: room.into(),
        row: 1,
        column: col,
        manual: false,
    };
    let seats = vec![seat("P1", "101", 1), seat("P2", "101", 2)];
    let report = SeatingReport {
        exam_id: "e".into(),
        ppe_code: "p".into(),
        seed: "5".into(),
        input_hash: "h".into(),
        max_per_room: 25,
        max_braille_per_room: 8,
        seats: seats.iter().rev().cloned().collect(),
        held: Vec::new(),
    };
    assert_eq!(first_difference(5, "h", &seats, &report), None, "order does not matter");
    let moved = SeatingReport { seats: vec![seat("P1", "102", 1), seat("P2", "101", 2)], ..report.clone() };
    let diff = first_difference(5, "h", &seats, &moved).unwrap();
    assert!(diff.contains("P1") && diff.contains("аудитория 102") && diff.contains("аудитория 101"), "{diff}");
    assert!(first_difference(5, "other", &seats, &report).unwrap().contains("входные данные"));
    let short = SeatingReport { seats: vec![seat("P1", "101", 1)], ..report };
    assert!(first_difference(5, "h", &seats, &short).unwrap().contains("мест 1"));
}
