//! Attacks on the logins of both UIs: guessing, lockout of others, timing, redirects, flashes,
//! paths through the `exam` field; and the certificates' lifetimes and renewal. Each runs
//! the real `ppe edge serve` (the box UI) or `ppe hub serve` (the dashboard over its real TLS
//! listener) and asserts the refusal and that nothing was stored or blamed on the victim.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::webui::{form_encode, hidden_csrf, make_box};

const PASSWORD: &str = "пароль-станции-1";
const EXAM: &str = "ege-02";
const STRANGER: &str = "127.0.0.2";
/// Open redirects tried after a login on both UIs (hole 7).
const BAD_NEXT: &[&str] = &["/%09/evil.example", "/\t/evil.example", "//evil.example/", "/%5Cevil.example", "/%2F/evil.example", "https://evil.example/", "/%2509/evil.example", "/\\evil.example"];

/// Starts `ppe ARGS…` and waits for the URL it prints (`http://` or `https://`).
fn start(args: &[&str]) -> Daemon {
    let mut cmd = Command::new(ppe_bin());
    cmd.args(args).env("PPE_LOG", "warn");
    spawn_daemon(cmd, |line| line.split_whitespace().find(|w| w.starts_with("http://") || w.starts_with("https://")).map(|u| u.trim_end_matches([';', ',']).trim_end_matches('/').to_string()))
        .unwrap_or_else(|stderr| panic!("the daemon ended before printing its URL: {stderr}"))
}

/// A box with a plan, its accounts made before the daemon starts; (folder's ppe.toml, daemon).
fn start_box(dir: &Path, accounts: &[(&str, ppe::model::WorkerRole)]) -> (PathBuf, Daemon) {
    let config = make_box(dir);
    let mut db = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    for (i, (login, role)) in accounts.iter().enumerate() {
        ppe::accounts::create_account(&mut db, login, &format!("W{i}"), *role, PASSWORD, "2027-05-27T00:00:00Z").unwrap();
    }
    drop(db);
    let daemon = start(&["edge", "serve", "--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()]);
    (config, daemon)
}

/// A hub (`hub init`) with operators, serving boxes and the dashboard on one TLS listener.
fn start_hub(dir: &Path, operators: &[&str]) -> (PathBuf, Daemon) {
    let hub_toml = init_hub(dir);
    let ctx = ppe::context::HubContext::open(&hub_toml).unwrap();
    for login in operators {
        ppe::monitoring::accounts::create_operator(&mut ctx.db().unwrap(), login, ppe::monitoring::accounts::OperatorRole::Operator, PASSWORD, "2027-05-27T00:00:00Z", "cli").unwrap();
    }
    drop(ctx);
    let daemon = start(&["hub", "serve", "--listen", "127.0.0.1:0", "--config", hub_toml.to_str().unwrap()]);
    (hub_toml, daemon)
}

/// One answer: status, Location, Set-Cookie name=value pairs, body.
struct Answer {
    status: u16,
    location: String,
    cookies: Vec<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find(|c| c.starts_with(&format!("{name}="))).cloned()
    }
}

/// A browser of one UI from one client address: `prefix` names its cookies (`ppe_box`,
/// `ppe_hub`).
struct Web {
    url: String,
    prefix: &'static str,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Web {
    fn new(url: &str, prefix: &'static str, ca_pem: Option<&[u8]>, from: Option<&str>) -> Web {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(60));
        if let Some(pem) = ca_pem {
            b = b.add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap());
        } else if url.starts_with("https://") {
            // The box UI's own certificate; what is tested here is the login, not its TLS.
            b = b.danger_accept_invalid_certs(true);
        }
        if let Some(addr) = from {
            b = b.local_address(addr.parse::<IpAddr>().unwrap());
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Web { url: url.to_string(), prefix, http: b.build().unwrap(), rt }
    }

    fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        self.rt.block_on(async {
            let resp = req.send().await.unwrap();
            let headers = resp.headers().clone();
            let location = headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let cookies = headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(|v| v.split(';').next().unwrap_or("").to_string()).collect();
            Answer { status: resp.status().as_u16(), location, cookies, headers, body: resp.text().await.unwrap() }
        })
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        self.send(req)
    }

    fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        self.send(self.http.post(format!("{}{path}", self.url)).header("cookie", cookie).header("content-type", "application/x-www-form-urlencoded").body(form_encode(form)))
    }

    /// The login form's double-submit cookie and token.
    fn login_form(&self) -> (String, String) {
        let page = self.get("/login", None);
        (page.cookie(&format!("{}_login_csrf", self.prefix)).expect("login CSRF cookie"), hidden_csrf(&page.body))
    }

    /// Posts the login form (the form fetched first, not timed); the answer and its duration.
    fn login(&self, login: &str, password: &str, next: &str) -> (Answer, Duration) {
        let (cookie, csrf) = self.login_form();
        let started = Instant::now();
        let answer = self.post("/login", &cookie, &[("csrf", &csrf), ("login", login), ("password", password), ("next", next)]);
        (answer, started.elapsed())
    }

    fn session(&self, login: &str) -> String {
        let (answer, _) = self.login(login, PASSWORD, "/");
        answer.cookie(&format!("{}_session", self.prefix)).unwrap_or_else(|| panic!("{login} did not log in: {} {}", answer.status, answer.body))
    }
}

fn hub_ca(hub_toml: &Path) -> Vec<u8> {
    std::fs::read(ppe::context::HubContext::open(hub_toml).unwrap().config.ca_cert_file).unwrap()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Known logins (wrong password) and unknown ones, interleaved, each login tried once so the
/// throttle never answers early; the two medians stay within a factor of two (skipping the hash makes it ×30).
fn assert_same_time_for_known_and_unknown(web: &Web, known: &[String]) {
    let (mut k, mut u) = (Vec::new(), Vec::new());
    let try_once = |login: &str| {
        let (a, t) = web.login(login, "wrong-password", "/");
        assert!(a.status == 401 || a.status == 303, "{login}: {}", a.status);
        assert!(a.cookie(&format!("{}_session", web.prefix)).is_none());
        t
    };
    // Which goes first alternates, so whatever one request leaves the next (a checkpoint, a
    // batch of the hub's writer) weighs on both sides alike.
    for (i, login) in known.iter().enumerate() {
        let unknown = format!("nobody{i}");
        if i % 2 == 0 {
            k.push(try_once(login));
            u.push(try_once(&unknown));
        } else {
            u.push(try_once(&unknown));
            k.push(try_once(login));
        }
    }
    let (mk, mu) = (median(k), median(u));
    let ratio = mk.as_secs_f64() / mu.as_secs_f64();
    eprintln!("login timing: known {mk:?}, unknown {mu:?}, ratio {ratio:.2}");
    assert!((0.5..=2.0).contains(&ratio), "known {mk:?} vs unknown {mu:?} (ratio {ratio:.2}): timing tells whether a login exists");
}

fn logins(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("staff{i}")).collect()
}

#[test]
fn an_unknown_login_takes_as_long_as_a_known_one_on_the_box_ui() {
    let tmp = tempfile::tempdir().unwrap();
    let known = logins(11);
    let accounts: Vec<(&str, ppe::model::WorkerRole)> = known.iter().map(|l| (l.as_str(), ppe::model::WorkerRole::OrganizerInRoom)).collect();
    let (_, daemon) = start_box(tmp.path(), &accounts);
    assert_same_time_for_known_and_unknown(&Web::new(&daemon.url, "ppe_box", None, None), &known);
}

#[test]
fn an_unknown_login_takes_as_long_as_a_known_one_on_the_dashboard() {
    let tmp = tempfile::tempdir().unwrap();
    let known = logins(11);
    let operators: Vec<&str> = known.iter().map(String::as_str).collect();
    let (hub_toml, daemon) = start_hub(tmp.path(), &operators);
    assert_same_time_for_known_and_unknown(&Web::new(&daemon.url, "ppe_hub", Some(&hub_ca(&hub_toml)), None), &known);
}

/// The stranger (another address) guesses until throttled, then even the right password is
/// refused to them; the member logs in from their own device at once. Nothing of the
/// stranger's is kept: no session, and no audit entry names the member as its actor.
fn stranger_then_member(member: &Web, stranger: &Web, audit: impl Fn() -> Vec<ppe::audit::AuditEntry>) {
    let refused = |a: &Answer| a.cookie(&format!("{}_session", stranger.prefix)).is_none();
    let throttled = |a: &Answer| a.status == 429 || a.location.contains("error=throttled");
    for _ in 0..ppe::http::throttle::FREE_FAILURES {
        let (a, _) = stranger.login("gek", "guess", "/");
        assert!(refused(&a) && !throttled(&a), "{} {}", a.status, a.location);
    }
    let (a, _) = stranger.login("gek", "guess", "/");
    assert!(refused(&a) && throttled(&a), "the guesser is slowed down: {} {}", a.status, a.location);
    let (a, _) = stranger.login("gek", PASSWORD, "/");
    assert!(refused(&a) && throttled(&a), "even the right password from the guesser's address waits");
    let (a, _) = member.login("gek", PASSWORD, "/");
    assert_eq!(a.status, 303, "the member is not locked out: {}", a.body);
    assert!(a.cookie(&format!("{}_session", member.prefix)).is_some());
    let entries = audit();
    let failed: Vec<_> = entries.iter().filter(|e| e.action.ends_with("login_failed")).collect();
    assert!(failed.len() >= ppe::http::throttle::FREE_FAILURES as usize, "every failure audited");
    assert!(failed.iter().all(|e| e.actor == "-"), "a failure is never blamed on the account's owner: {failed:?}");
    assert_eq!(entries.iter().filter(|e| e.actor == "gek" && e.action.ends_with("login")).count(), 1, "one session: the member's");
}

#[test]
fn a_strangers_failed_logins_do_not_lock_the_gek_member_out_of_the_box_ui() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, daemon) = start_box(tmp.path(), &[("gek", ppe::model::WorkerRole::GekMember)]);
    let db = tmp.path().join("state/ppe.db");
    let audit = || ppe::audit::store::all(&ppe::store::open(&db).unwrap()).unwrap();
    stranger_then_member(&Web::new(&daemon.url, "ppe_box", None, None), &Web::new(&daemon.url, "ppe_box", None, Some(STRANGER)), audit);
}

#[test]
fn a_strangers_failed_logins_do_not_lock_an_operator_out_of_the_dashboard() {
    let tmp = tempfile::tempdir().unwrap();
    let (hub_toml, daemon) = start_hub(tmp.path(), &["gek"]);
    let ca = hub_ca(&hub_toml);
    let ctx = ppe::context::HubContext::open(&hub_toml).unwrap();
    let audit = move || ppe::audit::store::all(&ctx.db().unwrap()).unwrap();
    stranger_then_member(&Web::new(&daemon.url, "ppe_hub", Some(&ca), None), &Web::new(&daemon.url, "ppe_hub", Some(&ca), Some(STRANGER)), audit);
}

/// After a right password with `next` = each trick, the Location is a path of this site.
fn assert_local_redirects(web: &Web, login: &str) {
    for bad in BAD_NEXT {
        let (a, _) = web.login(login, PASSWORD, bad);
        assert_eq!(a.status, 303, "{bad:?}: {}", a.body);
        assert_eq!(a.location, "/", "{bad:?} must not lead elsewhere");
        let form = web.get(&format!("/login?next={}", ppe::http::url_encode(bad)), None);
        assert!(form.body.contains("name=\"next\" value=\"/\""), "{bad:?}: the form carries only a local path");
    }
    let (a, _) = web.login(login, PASSWORD, "/audit?x=1");
    assert_eq!(a.location, "/audit?x=1", "a local path is kept");
}

#[test]
fn login_next_with_encoded_tabs_and_slashes_redirects_only_locally_on_both_uis() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, box_daemon) = start_box(&tmp.path().join("box").tap_mkdir(), &[("tech", ppe::model::WorkerRole::TechSpecialist)]);
    assert_local_redirects(&Web::new(&box_daemon.url, "ppe_box", None, None), "tech");
    let (hub_toml, hub_daemon) = start_hub(&tmp.path().join("hubdir").tap_mkdir(), &["op1"]);
    assert_local_redirects(&Web::new(&hub_daemon.url, "ppe_hub", Some(&hub_ca(&hub_toml)), None), "op1");
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

const FORGED: &str = "<script>alert(1)</script>ПОЗВОНИТЕ-8-800-ПОДДЕЛКА";

#[test]
fn forged_msg_or_flash_text_in_a_url_is_never_shown_on_either_ui() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, box_daemon) = start_box(&tmp.path().join("box").tap_mkdir(), &[("tech", ppe::model::WorkerRole::TechSpecialist)]);
    let web = Web::new(&box_daemon.url, "ppe_box", None, None);
    let session = web.session("tech");
    let q = ppe::http::url_encode(FORGED);
    for path in [format!("/?msg={q}"), format!("/materials?exam={EXAM}&msg={q}"), format!("/accounts?msg={q}"), format!("/audit?msg={q}&flash={q}")] {
        let page = web.get(&path, Some(&session));
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains("ПОДДЕЛКА") && !page.body.contains("alert(1)"), "{path} shows text from its URL");
    }
    let form = web.get(&format!("/login?msg={q}"), None);
    assert!(!form.body.contains("ПОДДЕЛКА"), "the login form shows no text from its URL");
    // The server's own message still arrives, once, and the redirect carries none.
    let csrf = hidden_csrf(&web.get("/", Some(&session)).body);
    // A box account is for a worker the plan gives that role (issue 15 hole 6).
    let plan = ppe::plan::store::load_plan(&ppe::store::open(&tmp.path().join("box/state/ppe.db")).unwrap()).unwrap();
    let org = plan.workers.iter().find(|w| w.roles.contains(&ppe::model::WorkerRole::OrganizerInRoom)).expect("an organizer in the plan").worker_id.clone();
    let made = web.post("/accounts/create", &session, &[("csrf", &csrf), ("login", "org1"), ("worker", &org), ("role", "organizer_in_room"), ("password", PASSWORD)]);
    assert_eq!((made.status, made.location.as_str()), (303, "/accounts"), "{}", made.body);
    assert!(web.get("/accounts", Some(&session)).body.contains("учётная запись org1 создана"), "the flash is shown");
    assert!(!web.get("/accounts", Some(&session)).body.contains("учётная запись org1 создана"), "once");

    let (hub_toml, hub_daemon) = start_hub(&tmp.path().join("hubdir").tap_mkdir(), &["op1"]);
    let hub = Web::new(&hub_daemon.url, "ppe_hub", Some(&hub_ca(&hub_toml)), None);
    let forged = hub.get(&format!("/login?error={q}"), None);
    assert_eq!(forged.status, 200);
    assert!(!forged.body.contains("ПОДДЕЛКА"), "the dashboard's login shows no text from its URL");
    let (refused, _) = hub.login("op1", "wrong-password", "/");
    assert_eq!(refused.location, "/login?next=%2F&error=bad_credentials", "a code, not text");
    assert!(hub.get(&refused.location, None).body.contains("неверный логин или пароль"), "the code's text is the server's");
}

/// Every file under `dir` with its size (what an attack must not change).
fn tree(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            // The database's own files change with every read-only page (WAL, shm).
            if !p.to_string_lossy().contains("ppe.db") {
                out.push((p.clone(), if p.is_dir() { 0 } else { e.metadata().map(|m| m.len()).unwrap_or(0) }));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_unknown_exam_in_a_form_or_query_is_refused_without_touching_the_filesystem() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, daemon) = start_box(tmp.path(), &[("tech", ppe::model::WorkerRole::TechSpecialist)]);
    let web = Web::new(&daemon.url, "ppe_box", None, None);
    let session = web.session("tech");
    let csrf = hidden_csrf(&web.get("/", Some(&session)).body);
    let db = tmp.path().join("state/ppe.db");
    let audit_len = || ppe::audit::store::all(&ppe::store::open(&db).unwrap()).unwrap().len();
    let (before, entries) = (tree(tmp.path()), audit_len());
    for exam in ["../../../../tmp/ppe-evil", "..", "/etc", "ege-02/../../x", "ege-99", ""] {
        for (path, extra) in [("/materials/pull", ("from", "/tmp")), ("/scanning/intake", ("from", "/etc")), ("/seating/run", ("seed", "1")), ("/attendance/kits", ("seed", "")), ("/upload/start", ("seed", ""))] {
            let a = web.post(path, &session, &[("csrf", &csrf), ("exam", exam), extra]);
            assert_eq!(a.status, 404, "{path} exam={exam:?}: {}", a.body);
            assert!(a.body.contains("такого экзамена нет в плане этого ППЭ"), "{}", a.body);
        }
        if !exam.is_empty() {
            for page in ["/", "/materials", "/scanning", "/upload", "/print"] {
                let a = web.get(&format!("{page}?exam={}", ppe::http::url_encode(exam)), Some(&session));
                assert_eq!(a.status, 404, "{page}?exam={exam:?}");
            }
        }
    }
    assert_eq!(tree(tmp.path()), before, "no file or folder made or changed");
    assert_eq!(audit_len(), entries, "nothing done, nothing audited");
    assert!(!Path::new("/tmp/ppe-evil").exists());
    // The plan's own exam still works.
    assert_eq!(web.get(&format!("/materials?exam={EXAM}"), Some(&session)).status, 200);
}

fn pbkdf2(password: &str) -> String {
    let (salt, mut out) = (*b"0123456789abcdef", [0u8; 32]);
    ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, std::num::NonZeroU32::new(150_000).unwrap(), &salt, password.as_bytes(), &mut out);
    format!("pbkdf2-sha256$150000${}${}", hex::encode(salt), hex::encode(out))
}

#[test]
fn an_old_pbkdf2_password_hash_is_rehashed_to_argon2id_at_login_on_both_uis() {
    let tmp = tempfile::tempdir().unwrap();
    // The box: an account of the PBKDF2 days.
    let box_dir = tmp.path().join("box").tap_mkdir();
    let config = make_box(&box_dir);
    let db_path = box_dir.join("state/ppe.db");
    {
        let mut db = ppe::store::open(&db_path).unwrap();
        let tx = db.transaction().unwrap();
        let account = ppe::accounts::Account { login: "old".into(), worker_id: "W1".into(), role: ppe::model::WorkerRole::Head, password_hash: pbkdf2(PASSWORD) };
        ppe::accounts::store::account_create(&tx, &account, "2026-01-01T00:00:00Z").unwrap();
        tx.commit().unwrap();
    }
    let daemon = start(&["edge", "serve", "--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()]);
    let web = Web::new(&daemon.url, "ppe_box", None, None);
    let hash = || ppe::accounts::store::account_get(&ppe::store::open(&db_path).unwrap(), "old").unwrap().unwrap().0.password_hash;
    assert!(web.login("old", "wrong-password", "/").0.status == 401);
    assert!(hash().starts_with("pbkdf2-sha256$"), "a failure rehashes nothing");
    web.session("old");
    assert!(hash().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", hash());
    web.session("old");
    let rehashed = ppe::audit::store::all(&ppe::store::open(&db_path).unwrap()).unwrap().into_iter().filter(|e| e.action == "account.password_rehash").count();
    assert_eq!(rehashed, 1, "rehashed once, audited");

    // The hub: an operator of the PBKDF2 days.
    let hub_dir = tmp.path().join("hubdir").tap_mkdir();
    let hub_toml = init_hub(&hub_dir);
    let ctx = ppe::context::HubContext::open(&hub_toml).unwrap();
    {
        let mut db = ctx.db().unwrap();
        let tx = db.transaction().unwrap();
        let op = ppe::monitoring::accounts::Operator { login: "old".into(), role: ppe::monitoring::accounts::OperatorRole::Viewer, password_hash: pbkdf2(PASSWORD) };
        ppe::monitoring::accounts_store::operator_create(&tx, &op, "2026-01-01T00:00:00Z").unwrap();
        tx.commit().unwrap();
    }
    let hub_daemon = start(&["hub", "serve", "--listen", "127.0.0.1:0", "--config", hub_toml.to_str().unwrap()]);
    let hub = Web::new(&hub_daemon.url, "ppe_hub", Some(&hub_ca(&hub_toml)), None);
    hub.session("old");
    let op_hash = ppe::monitoring::accounts_store::operator_get(&ctx.db().unwrap(), "old").unwrap().unwrap().0.password_hash;
    assert!(op_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{op_hash}");
    hub.session("old");
}

#[test]
fn every_dashboard_answer_over_tls_carries_hsts() {
    let tmp = tempfile::tempdir().unwrap();
    let (hub_toml, daemon) = start_hub(tmp.path(), &["op1"]);
    let hub = Web::new(&daemon.url, "ppe_hub", Some(&hub_ca(&hub_toml)), None);
    let session = hub.session("op1");
    for (path, cookie) in [("/login", None), ("/", None), ("/", Some(session.as_str())), ("/v1/status", None)] {
        let a = hub.get(path, cookie);
        assert_eq!(a.headers.get("strict-transport-security").and_then(|v| v.to_str().ok()), Some("max-age=31536000"), "{path} ({})", a.status);
    }
}

/// SHA-256 of the first certificate of a PEM file.
fn fingerprint(pem_file: &Path) -> String {
    ppe::hub::pki::cert_fingerprint(&ppe::hub::pki::first_cert_der(&std::fs::read_to_string(pem_file).unwrap()).unwrap())
}

#[test]
fn renewed_certificates_replace_the_old_ones_and_keep_the_boxs_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let hub_toml = init_hub(tmp.path());
    let hub = ppe::context::HubContext::open(&hub_toml).unwrap();
    let box_dir = tmp.path().join("box");
    let o = ppe(&["hub", "enroll", "--ppe", "0101", "--out", box_dir.to_str().unwrap(), "--config", hub_toml.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let old_client = fingerprint(&box_dir.join("keys/client.crt"));
    let enrolled = ppe::materials::store::hub_box_get(&hub.db().unwrap(), "0101").unwrap().unwrap();
    assert_eq!(enrolled.cert_sha256, old_client);

    let o = ppe(&["hub", "cert", "box", "--ppe", "0101", "--out", box_dir.to_str().unwrap(), "--config", hub_toml.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let new_client = fingerprint(&box_dir.join("keys/client.crt"));
    assert_ne!(new_client, old_client);
    let db = hub.db().unwrap();
    let renewed = ppe::materials::store::hub_box_get(&db, "0101").unwrap().unwrap();
    assert_eq!((renewed.cert_sha256.as_str(), renewed.signing_public_key.as_str()), (new_client.as_str(), enrolled.signing_public_key.as_str()), "same box, same signing key, new certificate");
    assert!(ppe::materials::store::hub_box_by_cert(&db, &old_client).unwrap().is_none(), "the old certificate is refused from now on");
    assert!(ppe::materials::store::hub_box_by_cert(&db, &new_client).unwrap().is_some());
    let o = ppe(&["hub", "cert", "box", "--ppe", "9999", "--out", tmp.path().join("x").to_str().unwrap(), "--config", hub_toml.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("не зарегистрирован"), "a box never enrolled gets nothing: {}", stderr(&o));
    assert!(!tmp.path().join("x").exists());

    let server_pem = hub.config.tls_cert_file.clone();
    let old_server = fingerprint(&server_pem);
    let o = ppe(&["hub", "cert", "server", "--config", hub_toml.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(fingerprint(&server_pem), old_server);
    let actions: Vec<String> = ppe::audit::store::all(&db).unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"hub.box_cert_renew".to_string()) && actions.contains(&"hub.server_cert_renew".to_string()), "{actions:?}");
    // The renewed hub serves with its new certificate, which the box's pinned CA accepts.
    let daemon = start(&["hub", "serve", "--listen", "127.0.0.1:0", "--config", hub_toml.to_str().unwrap()]);
    let web = Web::new(&daemon.url, "ppe_hub", Some(&std::fs::read(box_dir.join("keys/hub-ca.crt")).unwrap()), None);
    assert_eq!(web.get("/login", None).status, 200);
}
