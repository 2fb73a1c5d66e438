//! Attacks on the two-person rule: the key obtained or activated without the ГЭК member's own
//! credential. The technical specialist has the box (its certificate, its signing key, root),
//! the UI and the CLI; РЦОИ has the hub. Every path the specialist alone has is tried against
//! the real `ppe hub serve` (real TLS listener, mutual TLS) and the real `ppe edge` binary, and
//! each test checks the refusal, that no key reached the box or left the hub, and that the
//! refusal was logged on both sides (or, when it never reached the hub, on the box).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;

pub(crate) const EXAM: &str = "ege-02";
/// ege-02 of the demo plan: window 02:00Z..03:30Z on 2027.05.27.
pub(crate) const IN_WINDOW: &str = "2027-05-27T02:30:00Z";
const PIN: &str = "314159";

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run_ok(args: &[&str]) -> Output {
    let o = ppe(args);
    assert!(o.status.success(), "ppe {args:?}: {}", stderr(&o));
    o
}

/// `ppe hub serve` as its own process on 127.0.0.1:0; its log is kept for the assertions.
pub(crate) struct HubProcess {
    child: Child,
    pub(crate) url: String,
    log: Arc<Mutex<String>>,
}

impl HubProcess {
    fn start(hub_toml: &Path, now: &str) -> HubProcess {
        let mut child = Command::new(ppe_bin())
            .args(["hub", "serve", "--listen", "127.0.0.1:0", "--now", now, "--config", s(hub_toml)])
            .env("PPE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("hub listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
                kept.lock().unwrap().push_str(&line);
                kept.lock().unwrap().push('\n');
            }
        });
        let url = rx.recv_timeout(Duration::from_secs(60)).expect("hub serve did not start");
        HubProcess { child, url, log }
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A region with exam points 0101 and 0102, box 0101 enrolled, ege-02 published and its
/// ciphertext already on the box; the hub serving inside the window.
pub(crate) struct Point {
    _tmp: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) hub_toml: PathBuf,
    pub(crate) box_toml: PathBuf,
    pub(crate) hub: HubProcess,
    pub(crate) plan: ppe::model::Plan,
}

impl Point {
    pub(crate) fn new() -> Point {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let hub_toml = init_hub(&dir);
        let plan_file = dir.join("region.json");
        run_ok(&["hub", "demo-plan", "--out", s(&plan_file), "--points", "2", "--participants", "60", "--seed", "3"]);
        run_ok(&["hub", "import-plan", s(&plan_file), "--config", s(&hub_toml)]);
        let box_dir = dir.join("box");
        run_ok(&["hub", "enroll", "--ppe", "0101", "--out", s(&box_dir), "--run-dir", s(&box_dir.join("run")), "--config", s(&hub_toml)]);
        let materials = dir.join("materials");
        std::fs::create_dir_all(&materials).unwrap();
        std::fs::write(materials.join("1-kim-variant.pdf"), b"%PDF-1.4 the exam paper of the day").unwrap();
        run_ok(&["hub", "publish", "--exam", EXAM, "--materials", s(&materials), "--config", s(&hub_toml)]);
        let plan = ppe::plan::store::load_plan(&ppe::store::open(&dir.join("hub/state/hub.db")).unwrap()).unwrap();
        let hub = HubProcess::start(&hub_toml, IN_WINDOW);
        let p = Point { _tmp: tmp, dir, hub_toml, box_toml: box_dir.join("ppe.toml"), hub, plan };
        // The specialist stages the ciphertext: allowed, and it brings no key.
        let o = p.edge(&["pull", "--exam", EXAM, "--by", "tech"]);
        assert!(o.status.success(), "{}", stderr(&o));
        p
    }

    pub(crate) fn edge(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = vec!["edge"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--config", s(&self.box_toml)]);
        Command::new(ppe_bin()).args(&all).env("PPE_LOG", "warn").env("PPE_HUB_URL", &self.hub.url).output().unwrap()
    }

    pub(crate) fn hub_cmd(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = vec!["hub"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--config", s(&self.hub_toml)]);
        ppe(&all)
    }

    /// A worker with `role` assigned to `ppe` on the exam's date.
    pub(crate) fn worker(&self, role: ppe::model::WorkerRole, ppe: &str) -> String {
        let p = &self.plan;
        p.workers
            .iter()
            .find(|w| w.roles.contains(&role) && p.worker_assignments.iter().any(|a| a.worker_id == w.worker_id && a.ppe_code == ppe && a.date == "2027.05.27"))
            .unwrap_or_else(|| panic!("a {role:?} at {ppe}"))
            .worker_id
            .clone()
    }

    pub(crate) fn member(&self, ppe: &str) -> String {
        self.worker(ppe::model::WorkerRole::GekMember, ppe)
    }

    pub(crate) fn pin_file(&self, pin: &str) -> PathBuf {
        let path = self.dir.join(format!("pin-{pin}"));
        std::fs::write(&path, format!("{pin}\n")).unwrap();
        path
    }

    /// РЦОИ issues the member's key file under [`PIN`].
    pub(crate) fn enroll(&self, worker: &str) -> PathBuf {
        let key = self.dir.join(format!("{worker}.key"));
        let o = self.hub_cmd(&["gek", "enroll", "--worker", worker, "--out", s(&key), "--pin-file", s(&self.pin_file(PIN))]);
        assert!(o.status.success(), "{}", stderr(&o));
        key
    }

    pub(crate) fn activate(&self, key: &Path, pin: &str) -> Output {
        self.edge(&["activate", "--exam", EXAM, "--gek-key", s(key), "--pin-file", s(&self.pin_file(pin))])
    }

    pub(crate) fn box_ctx(&self) -> ppe::context::EdgeContext {
        let mut ctx = ppe::context::EdgeContext::open(&self.box_toml).unwrap();
        ctx.config.hub.url = self.hub.url.clone();
        ctx
    }

    pub(crate) fn hub_db(&self) -> ppe::store::Connection {
        ppe::store::open(&self.dir.join("hub/state/hub.db")).unwrap()
    }

    /// (exam point, outcome, reason) of every key request the hub logged.
    pub(crate) fn hub_key_log(&self) -> Vec<(String, String, String)> {
        ppe::materials::store::hub_key_releases(&self.hub_db(), EXAM).unwrap()
    }

    pub(crate) fn hub_audit(&self) -> String {
        ppe::audit::store::all(&self.hub_db()).unwrap().into_iter().map(|e| format!("{} {} {}\n", e.actor, e.action, e.details)).collect()
    }

    pub(crate) fn box_audit(&self) -> String {
        let db = ppe::store::open(&self.dir.join("box/state/ppe.db")).unwrap();
        ppe::audit::store::all(&db).unwrap().into_iter().map(|e| format!("{} {} {}\n", e.actor, e.action, e.details)).collect()
    }

    /// No key on the box (tmpfs, database, decryption) and none released by the hub.
    pub(crate) fn assert_no_key_anywhere(&self) {
        assert!(!self.dir.join("box/run").join(EXAM).join("package.key").exists(), "a package key reached the box");
        let ctx = self.box_ctx();
        assert!(ppe::materials::store::key_get(&*ctx.db().unwrap(), EXAM).unwrap().is_none());
        assert!(ppe::materials::open_decrypted(&ctx, EXAM, "1-kim-variant.pdf").is_err());
        assert!(ppe::materials::store::hub_keys_released(&self.hub_db(), EXAM).unwrap().is_empty(), "the hub released a key");
        assert!(!self.hub_audit().contains("materials.key_released"));
    }

    /// The hub refused with `reason` and logged it (table, audit, log); the box logged it too.
    pub(crate) fn assert_refused_on_both_sides(&self, reason: &str, worker: &str) {
        assert!(self.hub_key_log().iter().any(|(ppe, outcome, r)| ppe == "0101" && outcome == "refused" && r == reason), "{:?}", self.hub_key_log());
        let hub_audit = self.hub_audit();
        assert!(hub_audit.lines().any(|l| l.contains("materials.key_refused") && l.contains(reason) && l.contains(worker)), "{hub_audit}");
        let started = Instant::now();
        while !self.hub.log().contains(reason) && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(self.hub.log().contains(reason), "the hub's log: {}", self.hub.log());
        let box_audit = self.box_audit();
        assert!(box_audit.lines().any(|l| l.contains("materials.key_refused") && l.contains(reason) && l.contains(worker)), "{box_audit}");
    }

    /// Sends a key request over the box's own mutual-TLS client (its certificate, its signing
    /// key): what the specialist with root on the box can do without the member.
    pub(crate) fn post_key(&self, request: &ppe::protocol::key::KeyRequest) -> (u16, String) {
        let ctx = self.box_ctx();
        let client = ppe::hub_client::HubClient::from_context(&ctx).unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let resp = client.http().post(client.url(&ppe::protocol::paths::key(EXAM))).json(request).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        })
    }

    /// A fresh challenge for this box, as the box's client gets it.
    pub(crate) fn challenge(&self) -> String {
        let ctx = self.box_ctx();
        let client = ppe::hub_client::HubClient::from_context(&ctx).unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let resp = client.http().post(client.url(ppe::protocol::paths::GEK_CHALLENGE)).json(&serde_json::json!({"exam_id": EXAM})).send().await.unwrap();
            assert!(resp.status().is_success());
            resp.json::<ppe::protocol::key::GekChallenge>().await.unwrap().challenge
        })
    }

    /// A key request signed by the box's own key, as the specialist can make one.
    pub(crate) fn box_request(&self) -> ppe::materials::wrap::PendingKeyRequest {
        let box_key = ppe::keys::load_ed25519(&self.dir.join("box/keys/signing.pk8")).unwrap();
        ppe::materials::wrap::key_request(&box_key, EXAM, "0101", IN_WINDOW).unwrap()
    }
}

pub(crate) fn code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body).ok().and_then(|v| v["error"].as_str().map(String::from)).unwrap_or_else(|| body.to_string())
}

#[test]
fn the_assigned_members_own_key_file_and_pin_release_the_key_and_both_sides_log_who() {
    // The control: without it every refusal below could be a system that releases nothing.
    let p = Point::new();
    let member = p.member("0101");
    let key = p.enroll(&member);
    let o = p.activate(&key, PIN);
    assert!(o.status.success(), "{}", stderr(&o));
    let ctx = p.box_ctx();
    assert_eq!(&*ppe::materials::open_decrypted(&ctx, EXAM, "1-kim-variant.pdf").unwrap(), b"%PDF-1.4 the exam paper of the day");
    assert_eq!(ppe::materials::store::hub_keys_released(&p.hub_db(), EXAM).unwrap(), [("0101".to_string(), Some(member.clone()))], "who released to whom");
    assert!(p.hub_audit().lines().any(|l| l.starts_with("box:0101 materials.key_released") && l.contains(&member)), "{}", p.hub_audit());
    assert!(p.box_audit().lines().any(|l| l.contains("materials.activated") && l.contains(&member)), "{}", p.box_audit());
}

#[test]
fn edge_pull_by_the_specialist_in_the_window_brings_ciphertext_but_never_the_key() {
    let p = Point::new();
    let o = p.edge(&["pull", "--exam", EXAM, "--by", "tech"]);
    assert!(o.status.success(), "{}", stderr(&o));
    p.assert_no_key_anywhere();
    assert!(p.hub_key_log().is_empty(), "the pull asked for a key: {:?}", p.hub_key_log());
}

#[test]
fn the_key_route_with_the_box_certificate_but_no_gek_proof_is_refused_and_logged() {
    let p = Point::new();
    let pending = p.box_request();
    let (status, body) = p.post_key(&pending.request);
    assert_eq!((status, code(&body).as_str()), (403, "gek_missing"), "{body}");
    assert!(body.contains("члена ГЭК"), "a Russian reason: {body}");
    assert_eq!(p.hub_key_log(), [("0101".to_string(), "refused".to_string(), "gek_missing".to_string())]);
    assert!(p.hub_audit().contains("materials.key_refused"), "{}", p.hub_audit());
    p.assert_no_key_anywhere();
}

#[test]
fn a_forged_gek_proof_for_the_real_member_is_refused_and_uses_up_the_challenge() {
    let p = Point::new();
    let member = p.member("0101");
    let real = p.enroll(&member);
    // The specialist signs with a key of his own, in the real member's name.
    let own = ppe::gek::keyfile::open(&ppe::gek::keyfile::generate(&member, PIN).unwrap(), PIN).unwrap();
    let challenge = p.challenge();
    let mut pending = p.box_request();
    let signature = own.sign_hex(&pending.gek_proof_message(&member, &challenge));
    pending.request.gek = Some(ppe::protocol::key::GekProof { worker_id: member.as_str().into(), challenge: challenge.clone(), signature, webauthn: None });
    let (status, body) = p.post_key(&pending.request);
    assert_eq!((status, code(&body).as_str()), (403, "gek_bad_proof"), "{body}");
    // The challenge is spent: not even the real member's proof over it counts now.
    let signer = ppe::gek::keyfile::open(&ppe::gek::keyfile::parse(&std::fs::read(&real).unwrap()).unwrap(), PIN).unwrap();
    let mut honest = p.box_request();
    let signature = signer.sign_hex(&honest.gek_proof_message(&member, &challenge));
    honest.request.gek = Some(ppe::protocol::key::GekProof { worker_id: member.as_str().into(), challenge, signature, webauthn: None });
    let (status, body) = p.post_key(&honest.request);
    assert_eq!((status, code(&body).as_str()), (403, "gek_challenge_used"), "{body}");
    p.assert_no_key_anywhere();
    assert!(p.hub_audit().lines().any(|l| l.contains("gek_bad_proof") && l.contains(&member)), "{}", p.hub_audit());
}

#[test]
fn a_replayed_key_request_with_a_used_challenge_releases_nothing_more() {
    let p = Point::new();
    let member = p.member("0101");
    let key = p.enroll(&member);
    let signer = ppe::gek::keyfile::open(&ppe::gek::keyfile::parse(&std::fs::read(&key).unwrap()).unwrap(), PIN).unwrap();
    let challenge = p.challenge();
    let mut pending = p.box_request();
    let signature = signer.sign_hex(&pending.gek_proof_message(&member, &challenge));
    pending.request.gek = Some(ppe::protocol::key::GekProof { worker_id: member.as_str().into(), challenge, signature, webauthn: None });
    let (status, body) = p.post_key(&pending.request);
    assert_eq!(status, 200, "the member's own proof: {body}");
    // The same bytes again (recorded on the LAN, or kept by the specialist).
    let (status, body) = p.post_key(&pending.request);
    assert_eq!((status, code(&body).as_str()), (403, "gek_challenge_used"), "{body}");
    assert_eq!(ppe::materials::store::hub_keys_released(&p.hub_db(), EXAM).unwrap().len(), 1, "released once, not twice");
    // A challenge issued for this box is no good to another exam either.
    let other = p.challenge();
    let box_key = ppe::keys::load_ed25519(&p.dir.join("box/keys/signing.pk8")).unwrap();
    let mut moved = ppe::materials::wrap::key_request(&box_key, "oge-01", "0101", IN_WINDOW).unwrap();
    let signature = signer.sign_hex(&moved.gek_proof_message(&member, &other));
    moved.request.gek = Some(ppe::protocol::key::GekProof { worker_id: member.as_str().into(), challenge: other, signature, webauthn: None });
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = ppe::hub_client::HubClient::from_context(&p.box_ctx()).unwrap();
    let (status, body) = rt.block_on(async {
        let resp = client.http().post(client.url(&ppe::protocol::paths::key("oge-01"))).json(&moved.request).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    });
    assert_eq!(status, 403, "{body}");
    assert!(ppe::materials::store::hub_keys_released(&p.hub_db(), "oge-01").unwrap().is_empty());
}

#[test]
fn edge_activate_without_the_key_file_or_with_a_wrong_pin_gets_no_key_and_is_logged_on_the_box() {
    let p = Point::new();
    let member = p.member("0101");
    let key = p.enroll(&member);
    let o = p.edge(&["activate", "--exam", EXAM]);
    assert!(!o.status.success(), "activation without a key file");
    let o = p.edge(&["activate", "--exam", EXAM, "--gek-key", s(&p.dir.join("no-such.key")), "--pin-file", s(&p.pin_file(PIN))]);
    assert!(!o.status.success() && stderr(&o).contains("файл ключа члена ГЭК"), "{}", stderr(&o));
    let o = p.activate(&key, "000000");
    assert!(!o.status.success() && stderr(&o).contains("неверный ПИН-код"), "{}", stderr(&o));
    p.assert_no_key_anywhere();
    assert!(p.hub_key_log().is_empty(), "a wrong PIN never reaches the hub: {:?}", p.hub_key_log());
    assert!(p.box_audit().lines().any(|l| l.contains("materials.key_refused") && l.contains(&member) && l.contains("ПИН")), "{}", p.box_audit());
}

#[test]
fn edge_activate_with_an_unassigned_members_key_is_refused_on_both_sides() {
    let p = Point::new();
    // A real ГЭК member with a real credential, but on duty at 0102, not here.
    let elsewhere = p.member("0102");
    let key = p.enroll(&elsewhere);
    let o = p.activate(&key, PIN);
    assert!(!o.status.success() && stderr(&o).contains("не назначен"), "{}", stderr(&o));
    p.assert_no_key_anywhere();
    p.assert_refused_on_both_sides("gek_not_assigned", &elsewhere);
}

#[test]
fn edge_activate_with_a_key_file_the_specialist_made_himself_is_refused() {
    let p = Point::new();
    let member = p.member("0101");
    // Before РЦОИ enrolled anything for the member: the hub knows no credential.
    let forged = p.dir.join("forged.key");
    std::fs::write(&forged, serde_json::to_vec(&ppe::gek::keyfile::generate(&member, PIN).unwrap()).unwrap()).unwrap();
    let o = p.activate(&forged, PIN);
    assert!(!o.status.success(), "{}", stdout(&o));
    p.assert_refused_on_both_sides("gek_unknown", &member);
    // Once РЦОИ enrolled the member's real key, a home-made one is a bad proof.
    p.enroll(&member);
    let o = p.activate(&forged, PIN);
    assert!(!o.status.success() && stderr(&o).contains("подпись члена ГЭК"), "{}", stderr(&o));
    p.assert_refused_on_both_sides("gek_bad_proof", &member);
    p.assert_no_key_anywhere();
}

#[test]
fn a_revoked_credential_and_a_non_member_get_nothing_from_the_hub() {
    let p = Point::new();
    let member = p.member("0101");
    let tech = p.worker(ppe::model::WorkerRole::TechSpecialist, "0101");
    // РЦОИ issues credentials only to ГЭК members of the plan, one at a time.
    let o = p.hub_cmd(&["gek", "enroll", "--worker", &tech, "--out", s(&p.dir.join("tech.key")), "--pin-file", s(&p.pin_file(PIN))]);
    assert!(!o.status.success() && stderr(&o).contains("с ролью члена ГЭК"), "{}", stderr(&o));
    assert!(!p.dir.join("tech.key").exists());
    let key = p.enroll(&member);
    let o = p.hub_cmd(&["gek", "enroll", "--worker", &member, "--out", s(&p.dir.join("second.key")), "--pin-file", s(&p.pin_file(PIN))]);
    assert!(!o.status.success() && stderr(&o).contains("уже есть действующий ключ"), "{}", stderr(&o));
    // A lost key file revoked by РЦОИ is worthless, PIN or not.
    let o = p.hub_cmd(&["gek", "revoke", "--worker", &member]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = p.activate(&key, PIN);
    assert!(!o.status.success(), "{}", stdout(&o));
    p.assert_refused_on_both_sides("gek_unknown", &member);
    p.assert_no_key_anywhere();
    let listed = stdout(&p.hub_cmd(&["gek", "list"]));
    assert!(listed.contains(&member) && listed.contains("отозван"), "{listed}");
    let hub_audit = p.hub_audit();
    assert!(hub_audit.contains("gek.enrolled") && hub_audit.contains("gek.revoked"), "{hub_audit}");
}

#[test]
fn a_box_account_for_a_worker_the_plan_does_not_give_that_role_is_refused() {
    let p = Point::new();
    let tech = p.worker(ppe::model::WorkerRole::TechSpecialist, "0101");
    let password = p.pin_file("длинный-пароль-1");
    for worker in [tech.as_str(), "NOBODY-1"] {
        let o = p.edge(&["account", "--login", "fake-gek", "--role", "gek_member", "--worker", worker, "--password-file", s(&password)]);
        assert!(!o.status.success() && stderr(&o).contains("нет в плане ППЭ"), "{worker}: {}", stderr(&o));
    }
    let db = ppe::store::open(&p.dir.join("box/state/ppe.db")).unwrap();
    assert!(ppe::accounts::store::account_get(&db, "fake-gek").unwrap().is_none());
    assert!(!p.box_audit().contains("account.create"));
}

#[test]
fn a_gek_account_the_specialist_made_with_the_real_members_worker_id_cannot_activate_in_the_ui() {
    let p = Point::new();
    let member = p.member("0101");
    p.enroll(&member);
    // The plan gives the member the ГЭК role, so the account itself is allowed: it is the
    // member's credential, not a box account, that the hub asks for.
    let password = p.pin_file("длинный-пароль-1");
    let o = p.edge(&["account", "--login", "fake-gek", "--role", "gek_member", "--worker", &member, "--password-file", s(&password)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ui = Ui::start(&p.box_toml, &p.hub.url);
    let (cookie, csrf) = ui.login("fake-gek", "длинный-пароль-1");
    // No key file, then a key file the specialist made himself, then the real one with a wrong PIN.
    let forged = p.dir.join("forged.key");
    std::fs::write(&forged, serde_json::to_vec(&ppe::gek::keyfile::generate(&member, PIN).unwrap()).unwrap()).unwrap();
    let real = p.dir.join(format!("{member}.key"));
    for (key, pin) in [("", PIN), (s(&forged), PIN), (s(&real), "000000")] {
        let (_, body) = ui.post("/materials/activate", &cookie, &[("csrf", &csrf), ("exam", EXAM), ("gek_key", key), ("pin", pin)]);
        assert!(!body.contains("ключ получен"), "{key}: {body}");
    }
    p.assert_no_key_anywhere();
    p.assert_refused_on_both_sides("gek_bad_proof", &member);
}

/// The box UI (the real router) on 127.0.0.1:0, and a form client.
pub(crate) struct Ui {
    pub(crate) url: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Ui {
    pub(crate) fn start(box_toml: &Path, hub_url: &str) -> Ui {
        let mut ctx = ppe::context::EdgeContext::open(box_toml).unwrap();
        ctx.config.hub.url = hub_url.to_string();
        let (url, http, rt) = crate::webui::serve_ui(ctx);
        Ui { url, http, rt }
    }

    pub(crate) fn cookies(resp: &reqwest::Response) -> Vec<String> {
        crate::webui::cookies_of(resp)
    }

    pub(crate) fn csrf_of(html: &str) -> String {
        crate::webui::hidden_csrf(html)
    }

    pub(crate) fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String) {
        let body = form.iter().map(|(k, v)| format!("{}={}", ppe::http::url_encode(k), ppe::http::url_encode(v))).collect::<Vec<_>>().join("&");
        self.rt.block_on(async {
            let mut resp = self.http.post(format!("{}{path}", self.url)).header("cookie", cookie).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
            // Follow the redirect back to the page, which carries the message.
            for _ in 0..3 {
                let Some(location) = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(String::from) else { break };
                let next = if location.starts_with('/') { format!("{}{location}", self.url) } else { location };
                resp = self.http.get(next).header("cookie", cookie).send().await.unwrap();
            }
            (resp.status().as_u16(), resp.text().await.unwrap())
        })
    }

    /// Logs in; (session cookie, the session's CSRF token).
    pub(crate) fn login(&self, login: &str, password: &str) -> (String, String) {
        self.rt.block_on(async {
            let resp = self.http.get(format!("{}/login", self.url)).send().await.unwrap();
            let csrf_cookie = Self::cookies(&resp).into_iter().find(|c| c.contains("csrf")).expect("login CSRF cookie");
            let csrf = Self::csrf_of(&resp.text().await.unwrap());
            let body = format!("csrf={}&login={}&password={}&next=%2F", ppe::http::url_encode(&csrf), ppe::http::url_encode(login), ppe::http::url_encode(password));
            let resp = self.http.post(format!("{}/login", self.url)).header("cookie", &csrf_cookie).header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap();
            let session = Self::cookies(&resp).into_iter().find(|c| c.contains("session")).expect("a session after login");
            let home = self.http.get(format!("{}/", self.url)).header("cookie", &session).send().await.unwrap().text().await.unwrap();
            (session, Self::csrf_of(&home))
        })
    }
}
