//! The key by phone end to end (issue 20 item 5): two boxes pre-stage over real mutual TLS and
//! get their package keys sealed for themselves; at the window the hub is unreachable (the box
//! points at a closed port); the РЦОИ operator's code (the library's `disclose`, judged by the
//! hub's simulated clock) is typed at the box (`ppe edge key-code`), the package decrypts, the
//! bundle carried on media holds the signed record and the hub accepts it against the
//! disclosure it recorded. Refused with their reasons: a mistyped group, another box's code,
//! an expired code, codes outside the window; five wrong codes lock the page.

use std::path::Path;
use std::process::{Command, Output};

use ppe::materials::phone_code::ops::{activate_by_phone, disclose, KeyCodeRequest, PhoneActivateRequest, PhoneCodeError};
use ppe::materials::phone_code::{issue, PhoneCode, SealBinding};

use crate::common::*;
use crate::materials::{free_port, report, run_ok, s, Hub, World, AFTER_WINDOW, BEFORE_WINDOW, DAYS_BEFORE, EXAM, IN_WINDOW};

const OPERATOR: &str = "op1";

fn hub_at(w: &World, now: &str) -> ppe::context::HubContext {
    ppe::context::HubContext::open(&w.hub_toml).unwrap().with_clock(ppe::clock::Clock::simulated(ppe::clock::parse_now(now).unwrap(), 1.0))
}

fn code_for(hub: &ppe::context::HubContext, ppe_code: &str, gek: &str) -> Result<String, PhoneCodeError> {
    let request = KeyCodeRequest { exam_id: EXAM.into(), ppe_code: ppe_code.into(), gek_worker_id: gek.into(), operator: OPERATOR.into() };
    disclose(hub, &request).map(|d| d.code)
}

fn refusal_code(e: PhoneCodeError) -> &'static str {
    e.refusal().unwrap_or_else(|| panic!("not a refusal: {e}")).code()
}

/// The head of `ppe` on the exam's date in the hub's plan.
fn head_of(w: &World, ppe: &str) -> String {
    let plan = ppe::plan::store::load_plan(&ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap()).unwrap();
    let assigned = |id: &str| plan.worker_assignments.iter().any(|a| a.worker_id == id && a.ppe_code == ppe && a.date == "2027.05.27");
    plan.workers
        .iter()
        .find(|wk| wk.roles.contains(&ppe::model::WorkerRole::Head) && assigned(&wk.worker_id))
        .expect("a head of the point")
        .worker_id
        .clone()
}

/// `ppe edge key-code` of box `box_toml` with the hub unreachable.
fn key_code(box_toml: &Path, closed: &str, code: &str) -> Output {
    Command::new(ppe_bin())
        .args(["edge", "key-code", "--exam", EXAM, "--code", code, "--config", s(box_toml)])
        .env("PPE_LOG", "warn")
        .env("PPE_HUB_URL", closed)
        .output()
        .unwrap()
}

#[test]
fn a_code_dictated_by_phone_opens_the_prestaged_key_on_its_box_only_and_the_bundle_carries_the_record() {
    let w = World::new(&[200_000, 3_000], 65_536);
    let box2 = w.dir.join("box2");
    run_ok(&["hub", "enroll", "--ppe", "0102", "--out", s(&box2), "--run-dir", s(&box2.join("run")), "--config", s(&w.hub_toml)]);
    let box2_toml = box2.join("ppe.toml");
    {
        // Prestage the day before: the ciphertext and the key sealed for each box.
        let early = Hub::start(&w.hub_toml, DAYS_BEFORE);
        report(&w.edge(&early, &["prestage", "--exam", EXAM]));
        let o = Command::new(ppe_bin())
            .args(["edge", "prestage", "--exam", EXAM, "--config", s(&box2_toml)])
            .env("PPE_LOG", "warn")
            .env("PPE_HUB_URL", early.url())
            .output()
            .unwrap();
        report(&o);
    }
    let box_db = ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap();
    let seal = ppe::materials::phone_code::store::seal_get(&box_db, EXAM).unwrap().expect("the key is sealed for the box at prestage");
    w.assert_nothing_decrypted_at("https://127.0.0.1:1");

    {
        let mut conn = ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap();
        ppe::monitoring::accounts::create_operator(
            &mut conn,
            OPERATOR,
            ppe::monitoring::accounts::OperatorRole::Operator,
            "correct horse battery",
            "2027-05-01T00:00:00Z",
            "test",
        )
        .unwrap();
    }
    let gek = w.gek_member("0101");
    let gek2 = w.gek_member("0102");
    // The hub refuses outside the window (by its own clock), an unknown point, a member of
    // another point, an unknown operator.
    assert_eq!(refusal_code(code_for(&hub_at(&w, BEFORE_WINDOW), "0101", &gek).unwrap_err()), "window_not_open");
    assert_eq!(refusal_code(code_for(&hub_at(&w, AFTER_WINDOW), "0101", &gek).unwrap_err()), "window_closed");
    let hub = hub_at(&w, IN_WINDOW);
    assert_eq!(refusal_code(code_for(&hub, "9999", &gek).unwrap_err()), "point_not_in_plan");
    if gek2 != gek {
        assert_eq!(refusal_code(code_for(&hub, "0101", &gek2).unwrap_err()), "gek_not_assigned");
    }
    let nobody = KeyCodeRequest { exam_id: EXAM.into(), ppe_code: "0101".into(), gek_worker_id: gek.as_str().into(), operator: "intruder".into() };
    assert_eq!(refusal_code(disclose(&hub, &nobody).unwrap_err()), "unknown_operator");

    // The window: the box cannot reach the hub.
    let closed = format!("https://127.0.0.1:{}", free_port());
    let code = code_for(&hub, "0101", &gek).unwrap();
    assert_eq!(code.split(' ').map(str::len).collect::<Vec<_>>(), [5; 6], "{code}");

    // A mistyped digit names its group; nothing is counted.
    let mut typo: Vec<char> = code.chars().collect();
    typo[13] = if typo[13] == '0' { '1' } else { '0' };
    let o = key_code(&w.box_toml, &closed, &typo.iter().collect::<String>());
    assert!(!o.status.success() && stderr(&o).contains("группа 3 введена с ошибкой"), "{}", stderr(&o));
    // Another box's code (0102's, from the same hub) is useless here.
    let other = code_for(&hub, "0102", &gek2).unwrap();
    let o = key_code(&w.box_toml, &closed, &other);
    assert!(!o.status.success() && (stderr(&o).contains("другого ППЭ") || stderr(&o).contains("код неверен")), "{}", stderr(&o));
    // A code carrying a hub time past the window (made with the hub's own secrets).
    let hub_seal = ppe::materials::phone_code::store::hub_seal_of(&*hub.db().unwrap(), EXAM, "0101", None).unwrap().unwrap();
    let box_secret: [u8; 32] = hex::decode(&hub_seal.box_secret_hex).unwrap().try_into().unwrap();
    let binding = SealBinding { exam_id: EXAM, ppe_code: "0101", package_id: &hub_seal.package_id };
    let late = issue(&box_secret, &binding, 95, hub_seal.code_secret).format();
    let o = key_code(&w.box_toml, &closed, &late);
    assert!(!o.status.success() && stderr(&o).contains("окно выдачи ключей закрылось"), "{}", stderr(&o));
    w.assert_nothing_decrypted_at(&closed);
    assert_eq!(ppe::materials::phone_code::store::seal_get(&box_db, EXAM).unwrap().unwrap().wrong_codes, 1, "only the other box's code counted");

    // The good code, typed by the ГЭК member in their own session of the box UI: the package
    // decrypts, offline.
    let password = w.dir.join("gek1.password");
    std::fs::write(&password, "длинный-пароль-1\n").unwrap();
    let o = w.edge_at(&closed, &["account", "--login", "gek1", "--role", "gek_member", "--worker", &gek, "--password-file", s(&password)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ui = crate::attacks::gek::Ui::start(&w.box_toml, &closed);
    let (cookie, csrf) = ui.login("gek1", "длинный-пароль-1");
    let (status, page) = ui.post("/materials/phone", &cookie, &[("csrf", &csrf), ("exam", EXAM), ("code", &typo.iter().collect::<String>())]);
    assert!(status == 200 && page.contains("группа 3 введена с ошибкой") && page.contains("id=\"phone-code\""), "{status} {page}");
    let (status, page) = ui.post("/materials/phone", &cookie, &[("csrf", &csrf), ("exam", EXAM), ("code", &code)]);
    assert!(status == 200 && page.contains("ключ активирован по коду РЦОИ"), "{status} {page}");
    let ctx = w.edge_ctx_at(&closed);
    for (name, bytes) in &w.files {
        assert_eq!(&ppe::materials::open_decrypted(&ctx, EXAM, name).unwrap(), bytes);
    }
    let actions = w.audit_actions().join("\n");
    assert!(actions.contains("materials.activated") && actions.contains("\"via\":\"phone\""), "{actions}");
    assert_eq!(seal.package_id, w.manifest("0101").manifest.package_id);
    // The hub recorded the disclosure as a release marked `phone`, naming the member.
    let hub_db = ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap();
    let releases = ppe::materials::store::hub_key_releases(&hub_db, EXAM).unwrap();
    assert!(releases.contains(&("0101".to_string(), "released".to_string(), "phone".to_string())), "{releases:?}");
    let disclosed = ppe::audit::store::list(&hub_db, Some("materials.key_disclosed_by_phone"), 10).unwrap();
    assert!(
        disclosed.iter().any(|e| e.actor == OPERATOR && e.details["gek_worker_id"] == gek.as_str() && e.details["ppe_code"] == "0101"),
        "{disclosed:?}"
    );

    // The record travels in the bundle (on media: the uplink is gone) and the hub accepts it.
    let usb = w.dir.join("usb");
    let o = ppe(&["edge", "export", "--config", s(&w.box_toml), "--exam", EXAM, "--to", s(&usb)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let on_media: ppe::upload::SignedManifest = serde_json::from_slice(&std::fs::read(usb.join("manifest.json")).unwrap()).unwrap();
    let carried = on_media.offline_activations.as_ref().expect("the offline activation is in the bundle");
    let record = &carried.activations[0];
    assert_eq!((carried.activations.len(), record.typed_by.as_str(), record.worker_id.as_deref()), (1, "gek1", Some(gek.as_str())));
    let o = ppe(&["hub", "import", "--config", s(&w.hub_toml), s(&usb)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Without the hub's record of the disclosure the same bundle is refused.
    hub_db.execute("DELETE FROM hub_phone_disclosure", []).unwrap();
    let o = ppe(&["hub", "import", "--config", s(&w.hub_toml), s(&usb)]);
    assert!(!o.status.success() && stderr(&o).contains("не выдавал"), "{}", stderr(&o));
}

#[test]
fn five_wrong_codes_lock_the_page_and_the_right_code_then_opens_nothing() {
    let w = World::new(&[20_000], 65_536);
    {
        let early = Hub::start(&w.hub_toml, DAYS_BEFORE);
        report(&w.edge(&early, &["prestage", "--exam", EXAM]));
    }
    {
        let mut conn = ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap();
        ppe::monitoring::accounts::create_operator(
            &mut conn,
            OPERATOR,
            ppe::monitoring::accounts::OperatorRole::Admin,
            "correct horse battery",
            "2027-05-01T00:00:00Z",
            "test",
        )
        .unwrap();
    }
    let hub = hub_at(&w, IN_WINDOW);
    let good = PhoneCode::parse(&code_for(&hub, "0101", &w.gek_member("0101")).unwrap()).unwrap();
    let ctx = w.edge_ctx_at("https://127.0.0.1:1");
    let typed = |code: &PhoneCode| {
        activate_by_phone(&ctx, &PhoneActivateRequest { exam_id: EXAM.into(), code: code.format(), actor: "gek1".into(), worker_id: None })
    };
    for n in 1..=ppe::materials::phone_code::MAX_WRONG_CODES {
        let wrong = PhoneCode { mac: (good.mac + n) % 1_000_000, ..good };
        let e = typed(&wrong).unwrap_err();
        let want = if n == ppe::materials::phone_code::MAX_WRONG_CODES { "code_locked" } else { "code_wrong" };
        assert_eq!(refusal_code(e), want, "attempt {n}");
    }
    assert_eq!(refusal_code(typed(&good).unwrap_err()), "code_locked", "locked: even the right code opens nothing");
    w.assert_nothing_decrypted_at("https://127.0.0.1:1");
    let actions = w.audit_actions().join("\n");
    assert!(actions.contains("materials.phone_code_locked"), "{actions}");
    // The page says so and offers no field to type into.
    let password = w.dir.join("head.password");
    std::fs::write(&password, "длинный-пароль-2\n").unwrap();
    let head = head_of(&w, "0101");
    let o = w.edge_at("https://127.0.0.1:1", &["account", "--login", "head1", "--role", "head", "--worker", &head, "--password-file", s(&password)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ui = crate::attacks::gek::Ui::start(&w.box_toml, "https://127.0.0.1:1");
    let (cookie, csrf) = ui.login("head1", "длинный-пароль-2");
    let (_, page) = ui.post("/materials/phone", &cookie, &[("csrf", &csrf), ("exam", EXAM), ("code", &good.format())]);
    assert!(page.contains("ввод заблокирован") && page.contains("код не принят") && !page.contains("id=\"phone-code\""), "{page}");
    assert_eq!(actions.matches("materials.key_refused").count(), 6, "{actions}");
}
