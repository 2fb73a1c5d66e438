//! Distribution by РЦОИ's seed through the real binary over real mutual TLS on 127.0.0.1: the
//! hub refuses the seating seed before one working day ahead (its clock) and gives it after; a
//! box cannot seat before it has it, nor with a seed of its own, nor twice, nor again after its
//! lists are printed; a seed whose signature does not verify against the pinned hub key is
//! refused; `ppe hub verify-seating` reproduces a real box's report and catches a report whose
//! seating was made from another seed.

use std::process::Output;

use crate::common::*;
use crate::materials::{s, Hub, World, EXAM};

/// ege-02 of the demo plan: Thursday 27.05.2027 in Tomsk (+7); its seating seed is released
/// from Wednesday 26.05 00:00 +07 = 25.05 17:00Z.
const TWO_DAYS_BEFORE: &str = "2027-05-25T09:00:00Z";
const DAY_BEFORE: &str = "2027-05-26T09:00:00Z";

fn hub_audit(w: &World) -> Vec<String> {
    let db = ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap();
    ppe::audit::store::all(&db).unwrap().into_iter().map(|e| e.action).collect()
}

fn seats_on_box(w: &World) -> usize {
    let db = ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap();
    ppe::seating::store::seat_assignments_for_exam(&db, EXAM).unwrap().len()
}

fn failed_with(o: &Output, words: &str) -> String {
    assert!(!o.status.success(), "must fail: {}", stdout(o));
    let err = stderr(o);
    assert!(err.contains(words), "the reason names «{words}»: {err}");
    err
}

fn verify(w: &World) -> Output {
    ppe(&["hub", "verify-seating", "--exam", EXAM, "--ppe", "0101", "--config", s(&w.hub_toml)])
}

#[test]
fn the_seed_comes_the_working_day_before_the_box_seats_once_and_the_hub_reproduces_it() {
    let w = World::new(&[2_000], 65_536);
    let early = Hub::start(&w.hub_toml, TWO_DAYS_BEFORE);
    // The plan reaches the box with the pre-staging.
    assert!(w.edge(&early, &["prestage", "--exam", EXAM]).status.success());

    // Two days before: refused by the hub's clock, with the time it opens; nothing seated.
    let o = w.edge(&early, &["seat", "--exam", EXAM]);
    failed_with(&o, "не раньше 26.05.2027 00:00");
    assert_eq!(seats_on_box(&w), 0);
    // The box's own seed is not taken at all.
    failed_with(&w.edge(&early, &["seat", "--exam", EXAM, "--seed", "1"]), "--seed больше не принимается");
    // The wire answer is 425 with the Russian reason.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = ppe::hub_client::HubClient::from_context(&w.edge_ctx(&early)).unwrap();
    match rt.block_on(client.seed(EXAM, ppe::distribution::Purpose::Seating)) {
        Err(ppe::hub_client::DistributionCallError::Refused(r)) => {
            assert_eq!(r.status, 425, "{r}");
            assert!(r.reason().contains("ещё не выдаётся"), "{r}");
        }
        other => panic!("a seed before its release: {other:?}"),
    }
    drop(early);

    // The working day before: the box fetches, seats and reports.
    let hub = Hub::start(&w.hub_toml, DAY_BEFORE);
    let o = w.edge(&hub, &["seat", "--exam", EXAM]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("рассадка отправлена в РЦОИ"), "{}", stdout(&o));
    let seated = seats_on_box(&w);
    assert!(seated > 0);
    // One run: the same seed over the same plan is not run again.
    failed_with(&w.edge(&hub, &["seat", "--exam", EXAM]), "уже выполнена");

    let o = verify(&w);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("совпадает") && stdout(&o).contains(&format!("{seated} мест")), "{}", stdout(&o));
    let audit = hub_audit(&w);
    assert!(audit.iter().any(|a| a == "distribution.seed_released") && audit.iter().any(|a| a == "distribution.seating_reported"), "{audit:?}");

    // A seating made from another seed (the point's own), reported over the box's own mTLS: caught.
    let box_db = ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap();
    let input = ppe::seating::ops::input_from_plan(ppe::plan::store::load_plan(&box_db).unwrap(), EXAM, "0101", Vec::new(), &[], Default::default()).unwrap();
    let own = ppe::seating::seat(&input, 1).unwrap();
    let mut forged = ppe::distribution::ops::seating_report(&box_db, &EXAM.into(), &"0101".into(), Default::default()).unwrap();
    forged.seats = own.seats;
    rt.block_on(client_of(&w, &hub).report_seating(&forged)).unwrap();
    let o = verify(&w);
    let err = failed_with(&o, "не совпадает");
    assert!(err.contains("участник "), "the first difference is named: {err}");
    // …and one that says so.
    forged.seed = "1".into();
    rt.block_on(client_of(&w, &hub).report_seating(&forged)).unwrap();
    failed_with(&verify(&w), "зерно отчёта 1 не то, что выдал РЦОИ");

    // A point cannot report another point's seating.
    let mut other = forged.clone();
    other.ppe_code = "0102".into();
    other.seats.iter_mut().for_each(|s| s.ppe_code = "0102".into());
    match rt.block_on(client_of(&w, &hub).report_seating(&other)) {
        Err(ppe::hub_client::DistributionCallError::Refused(r)) => assert_eq!(r.status, 403, "{r}"),
        other => panic!("a report for another point: {other:?}"),
    }
}

fn client_of(w: &World, hub: &Hub) -> ppe::hub_client::HubClient {
    ppe::hub_client::HubClient::from_context(&w.edge_ctx(hub)).unwrap()
}

#[test]
fn after_the_lists_are_printed_only_recorded_moves_change_the_seating() {
    let w = World::new(&[2_000], 65_536);
    let hub = Hub::start(&w.hub_toml, DAY_BEFORE);
    assert!(w.edge(&hub, &["prestage", "--exam", EXAM]).status.success());
    assert!(w.edge(&hub, &["seat", "--exam", EXAM]).status.success());
    let out = w.dir.join("lists");
    let o = w.edge(&hub, &["print", "--exam", EXAM, "--what", "seating", "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A changed limit would be another input: still refused once the lists exist.
    failed_with(&w.edge(&hub, &["seat", "--exam", EXAM, "--max-per-room", "20"]), "уже напечатаны");
    // A recorded move still goes, with its reason.
    let db = ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap();
    let seat = ppe::seating::store::seat_assignments_for_exam(&db, EXAM).unwrap()[0].clone();
    let o = w.edge(&hub, &["seat", "--exam", EXAM, "--move", &seat.participant_id, "--to", &seat.auditorium, "--reason", "плохо видит доску"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_seed_whose_signature_does_not_verify_against_the_pinned_hub_key_is_refused() {
    let w = World::new(&[2_000], 65_536);
    let hub = Hub::start(&w.hub_toml, DAY_BEFORE);
    assert!(w.edge(&hub, &["prestage", "--exam", EXAM]).status.success());
    // The box pins another key than the one the answering hub signs with.
    let text = std::fs::read_to_string(&w.box_toml).unwrap();
    let mut v: toml::Value = toml::from_str(&text).unwrap();
    let other = ppe::keys::ed25519_public_hex(&ppe::keys::ed25519_from_pkcs8(&ppe::keys::generate_ed25519_pkcs8().unwrap()).unwrap());
    v["hub"].as_table_mut().unwrap().insert("signing_public_key".into(), toml::Value::String(other));
    std::fs::write(&w.box_toml, toml::to_string(&v).unwrap()).unwrap();
    failed_with(&w.edge(&hub, &["seat", "--exam", EXAM]), "подпись зерна не сходится с ключом РЦОИ");
    assert_eq!(seats_on_box(&w), 0);
    let db = ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap();
    assert!(ppe::distribution::store::released_seed_get(&db, EXAM, "0101", ppe::distribution::Purpose::Seating).unwrap().is_none(), "nothing kept");
}
