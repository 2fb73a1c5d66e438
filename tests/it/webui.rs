//! The box's web UI: the role × page/action matrix with CSRF, the first start and lockout over
//! real HTTP on loopback, and headless Chromium playing a whole exam day over HTTPS through the
//! pages of `ppe demo --manual` (real hub, real box daemon, real cupsd with cups-pdf), with
//! screenshots. Chromium trusts exactly the box UI's certificate (its SPKI pin), nothing else.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ppe::web::access::{self, Role};

use crate::common::*;

const EXAM: &str = "ege-02";
const PASSWORD: &str = "пароль-станции-1";

pub(crate) fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>();
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// A box folder with a plan and РЦОИ's seating seed of the exam (signed by a hub key the box
/// pins), no network; returns its ppe.toml.
pub(crate) fn make_box(dir: &Path) -> PathBuf {
    let plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: 40, ..Default::default() });
    let ppe_code = plan.exam_points[0].ppe_code.clone();
    let hub_key = ppe::keys::ed25519_from_pkcs8(&ppe::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
    let hub_public = ppe::keys::ed25519_public_hex(&hub_key);
    std::fs::write(
        dir.join("ppe.toml"),
        format!("ppe_code = \"{ppe_code}\"\nstate_dir = \"state\"\nrun_dir = \"run\"\n[hub]\nurl = \"https://127.0.0.1:1\"\nca_file = \"ca.pem\"\nsigning_public_key = \"{hub_public}\"\n[keys]\nsigning_key_file = \"keys/signing.pk8\"\n"),
    )
    .unwrap();
    ppe::keys::write_secret(&dir.join("keys/signing.pk8"), &ppe::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let mut conn = ppe::store::open(&dir.join("state/ppe.db")).unwrap();
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan.for_exam_point(&ppe_code), "t", "test", "t").unwrap();
    tx.commit().unwrap();
    let (seed, release_at, purpose) = ("20270527".to_string(), "2027-05-26T00:00:00+07:00".to_string(), ppe::distribution::Purpose::Seating);
    let signature = ppe::keys::sign_hex(&hub_key, &ppe::distribution::seed_signature_message(EXAM, &ppe_code, purpose, &seed, &release_at));
    let signed = ppe::distribution::SignedSeed { exam_id: EXAM.into(), ppe_code: ppe_code.clone(), purpose, seed, release_at, signature };
    ppe::distribution::ops::accept_seed(&mut conn, &hub_public, &signed, &EXAM.into(), &ppe_code.as_str().into(), purpose, "2027-05-26T09:00:00Z").unwrap();
    crate::common::plant_organizers_seed(&mut conn, EXAM, &ppe_code, 20270527);
    dir.join("ppe.toml")
}

/// The UI of a box served on 127.0.0.1:0 in its own runtime.
struct Ui {
    url: String,
    http: reqwest::Client,
    _rt: tokio::runtime::Runtime,
}

fn start_ui(config: &Path) -> Ui {
    let (url, http, rt) = serve_ui(ppe::context::EdgeContext::open(config).unwrap());
    Ui { url, http, _rt: rt }
}

/// The box UI (the real router) of `ctx` on 127.0.0.1:0 in its own runtime: (its URL, a
/// client that does not follow redirects, the runtime).
pub(crate) fn serve_ui(ctx: ppe::context::EdgeContext) -> (String, reqwest::Client, tokio::runtime::Runtime) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (events, _) = tokio::sync::broadcast::channel(16);
    let app = ppe::web::lan_router(ctx, Default::default(), events).unwrap();
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    (url, http, rt)
}

pub(crate) fn cookies_of(resp: &reqwest::Response) -> Vec<String> {
    resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(|v| v.split(';').next().unwrap_or("").to_string()).collect()
}

pub(crate) fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).map(|s| s.split('"').next().unwrap_or("").to_string()).unwrap_or_default()
}

impl Ui {
    fn block<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self._rt.block_on(f)
    }

    fn get(&self, path: &str, cookie: Option<&str>) -> (u16, String, String) {
        self.block(async {
            let mut req = self.http.get(format!("{}{path}", self.url));
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            // An event stream never ends: only its status matters here.
            let body = if resp.headers().get("content-type").is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream")) { String::new() } else { resp.text().await.unwrap() };
            (status, location, body)
        })
    }

    fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, String) {
        self.block(async {
            let resp = self
                .http
                .post(format!("{}{path}", self.url))
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_encode(form))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        })
    }

    /// Logs in; returns (session cookie, CSRF token of the session) or the refusal page.
    fn login(&self, login: &str, password: &str) -> Result<(String, String), (u16, String)> {
        let (csrf_cookie, csrf) = self.block(async {
            let resp = self.http.get(format!("{}/login", self.url)).send().await.unwrap();
            let cookie = cookies_of(&resp).into_iter().find(|c| c.starts_with("ppe_box_login_csrf=")).expect("login CSRF cookie");
            let html = resp.text().await.unwrap();
            (cookie, hidden_csrf(&html))
        });
        let (status, session) = self.block(async {
            let resp = self
                .http
                .post(format!("{}/login", self.url))
                .header("cookie", &csrf_cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_encode(&[("csrf", &csrf), ("login", login), ("password", password), ("next", "/")]))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let session = cookies_of(&resp).into_iter().find(|c| c.starts_with("ppe_box_session="));
            (status, session.ok_or(resp.text().await.unwrap()))
        });
        match session {
            Ok(cookie) => {
                let (_, _, home) = self.get("/", Some(&cookie));
                Ok((cookie, hidden_csrf(&home)))
            }
            Err(body) => Err((status, body)),
        }
    }
}

#[test]
fn every_forbidden_role_and_route_is_refused_and_every_post_needs_the_sessions_csrf_token() {
    let tmp = tempfile::tempdir().unwrap();
    let config = make_box(tmp.path());
    let ui = start_ui(&config);

    // First start: no accounts, every page leads to setting the administrator's password.
    let (status, location, _) = ui.get("/", None);
    assert_eq!((status, location.as_str()), (303, "/setup"));
    {
        let db = ppe::store::open(&tmp.path().join("state/ppe.db")).unwrap();
        assert_eq!(ppe::accounts::store::account_count(&db).unwrap(), 0);
    }
    for role in Role::ALL {
        let mut db = ppe::store::open(&tmp.path().join("state/ppe.db")).unwrap();
        ppe::accounts::create_account(&mut db, &format!("{role:?}").to_lowercase(), "W1", role.worker_role(), PASSWORD, "2027-05-27T00:00:00Z").unwrap();
    }
    let (status, location, _) = ui.get("/setup", None);
    assert_eq!((status, location.as_str()), (303, "/login"), "the setup page closes once an account exists");

    let mut refused = 0;
    let mut checked = 0;
    for role in Role::ALL {
        let login = format!("{role:?}").to_lowercase();
        let (cookie, csrf) = ui.login(&login, PASSWORD).unwrap_or_else(|e| panic!("{login}: {e:?}"));
        assert!(!csrf.is_empty(), "{login}: the home page carries the session's CSRF token");
        for route in access::ROUTES {
            let allowed = access::allowed(role, route.action);
            checked += 1;
            if route.method == "GET" {
                let (status, _, body) = ui.get(route.path, Some(&cookie));
                if allowed {
                    // An allowed page answers with the page; the page image without an id is
                    // simply not found. A 500 or a refusal is a failure, not "allowed".
                    let want = if route.path == "/scanning/page" { 404 } else { 200 };
                    assert_eq!(status, want, "{login} GET {} must be allowed and answer: {body}", route.path);
                } else {
                    refused += 1;
                    assert_eq!(status, 403, "{login} GET {} must be refused", route.path);
                }
            } else {
                // No token: always refused; the reason tells which check refused it.
                let (status, body) = ui.post(route.path, &cookie, &[("exam", EXAM)]);
                assert_eq!(status, 403, "{login} POST {} without CSRF", route.path);
                if allowed {
                    assert!(body.contains("CSRF"), "{login} POST {}: refused for the token: {body}", route.path);
                } else {
                    refused += 1;
                    assert!(body.contains("не даёт доступа"), "{login} POST {}: refused for the role: {body}", route.path);
                }
                // A wrong token is no better than none.
                let (status, _) = ui.post(route.path, &cookie, &[("exam", EXAM), ("csrf", &"0".repeat(64))]);
                assert_eq!(status, 403, "{login} POST {} with a wrong token", route.path);
            }
        }
    }
    assert!(refused > 40 && checked > refused, "the matrix refuses {refused} of {checked}");

    // A token belongs to its session: the organizer's token does not work in the head's session.
    let (head, _) = ui.login("head", PASSWORD).unwrap();
    let (_, organizer_csrf) = ui.login("organizer", PASSWORD).unwrap();
    let (status, body) = ui.post("/seating/run", &head, &[("exam", EXAM), ("csrf", &organizer_csrf), ("seed", "1")]);
    assert_eq!(status, 403, "{body}");
    // With its own token the head seats the exam.
    let (_, _, home) = ui.get("/", Some(&head));
    let own = hidden_csrf(&home);
    let (status, body) = ui.post("/seating/run", &head, &[("exam", EXAM), ("csrf", &own), ("seed", "1")]);
    assert_eq!(status, 303, "{body}");

    // Without a session a POST is refused, a page asks to log in.
    let (status, _) = ui.post("/attendance/event", "ppe_box_session=00", &[("exam", EXAM)]);
    assert_eq!(status, 403);
    let (status, location, _) = ui.get("/print?exam=ege-02", None);
    assert_eq!(status, 303);
    assert!(location.starts_with("/login?next=%2Fprint"), "{location}");
    // The login form itself needs its double-submit token.
    let (status, _) = ui.post("/login", "", &[("login", "tech"), ("password", PASSWORD)]);
    assert_eq!(status, 403);

    // Repeated failures from one client throttle that client: then even the right password is
    // refused for a while (tests/it/attacks/login.rs: other clients are not held up).
    for _ in 0..ppe::http::throttle::FREE_FAILURES {
        let (status, body) = ui.login("assistant", "wrong-password").unwrap_err();
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("неверный логин или пароль"), "{body}");
    }
    let (status, body) = ui.login("assistant", PASSWORD).unwrap_err();
    assert_eq!(status, 429);
    assert!(body.contains("слишком много неудачных попыток"), "{body}");
}

/// What scanning must find has one source, the box's record of kits and attendance: a stale
/// `state/expected/<exam>.json` (the old override) changes neither the scanning page nor
/// `edge status`, and both name the same missing sheet.
#[test]
fn the_scanning_page_and_edge_status_count_against_attendance_not_a_stale_expected_file() {
    let tmp = tempfile::tempdir().unwrap();
    let config = make_box(tmp.path());
    let ui = start_ui(&config);
    let db_path = tmp.path().join("state/ppe.db");
    {
        let mut db = ppe::store::open(&db_path).unwrap();
        ppe::accounts::create_account(&mut db, "head", "W1", Role::Head.worker_role(), PASSWORD, "2027-05-27T00:00:00Z").unwrap();
    }
    let (head, csrf) = ui.login("head", PASSWORD).unwrap();
    for (path, extra) in [("/seating/run", ("seed", "1")), ("/attendance/kits", ("seed", ""))] {
        let (status, body) = ui.post(path, &head, &[("exam", EXAM), ("csrf", &csrf), extra]);
        assert_eq!(status, 303, "{path}: {body}");
    }
    let seat = ppe::seating::store::seat_assignments_for_exam(&ppe::store::open(&db_path).unwrap(), EXAM).unwrap()[0].clone();
    let form = [("exam", EXAM), ("csrf", csrf.as_str()), ("auditorium", seat.auditorium.as_str()), ("participant", seat.participant_id.as_str()), ("kind", "present")];
    let (status, body) = ui.post("/attendance/event", &head, &form);
    assert_eq!(status, 303, "{body}");
    let ppe_code = ppe::context::EdgeContext::open(&config).unwrap().config.ppe_code;
    let stale = serde_json::json!({ "exam_id": EXAM, "ppe_code": ppe_code, "participants": [] });
    std::fs::create_dir_all(tmp.path().join("state/expected")).unwrap();
    std::fs::write(tmp.path().join(format!("state/expected/{EXAM}.json")), stale.to_string()).unwrap();

    let missing = format!("нет скана: участник {}", seat.participant_id);
    let (status, _, page) = ui.get(&format!("/scanning?exam={EXAM}"), Some(&head));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&missing), "the scanning page counts against attendance: {page}");
    let ctx = ppe::context::EdgeContext::open(&config).unwrap();
    let status = ppe::edge::status::collect(&ctx, Some(EXAM), chrono::Utc::now()).unwrap();
    assert_eq!(status.len(), 1);
    assert!(status[0].missing.iter().any(|m| m.starts_with(&missing)), "edge status agrees: {:?}", status[0].missing);
}

/// The real daemon with a barcode reader on a pty: a scan at the staff-room desk reaches an
/// open page at once (server-sent events), and unplugging and replugging shows and recovers.
#[test]
fn the_desk_page_sees_each_scan_at_once_through_the_daemon_and_survives_replugging() {
    use futures_util::StreamExt;
    assert!(have("socat"), "socat is in scripts/packages.txt");
    let tmp = tempfile::tempdir().unwrap();
    let config = make_box(tmp.path());
    let reader = tmp.path().join("ppe-barcode");
    let feeder = tmp.path().join("feeder");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!("[serial]\nport = \"{}\"\nline_ending = \"lf\"\n", reader.display()));
    std::fs::write(&config, toml).unwrap();
    {
        let mut db = ppe::store::open(&tmp.path().join("state/ppe.db")).unwrap();
        ppe::accounts::create_account(&mut db, "tech", "W1", ppe::model::WorkerRole::TechSpecialist, PASSWORD, "2027-05-27T00:00:00Z").unwrap();
    }
    let mut daemon = Command::new(ppe_bin())
        .args(["edge", "serve", "--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()])
        .env("PPE_LOG", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(daemon.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the daemon ended before printing its URL").unwrap();
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            break u.trim_end_matches(';').to_string();
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ui = Ui { url, http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(), _rt: tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap() };
    let (cookie, csrf) = ui.login("tech", PASSWORD).unwrap();
    let (status, body) = ui.post("/desk/select", &cookie, &[("csrf", &csrf), ("exam", EXAM), ("auditorium", "0003"), ("direction", "issue")]);
    assert_eq!(status, 303, "{body}");
    let ctx = ppe::context::EdgeContext::open(&config).unwrap();
    let key = ppe::scanning::ops::box_sheet_key(&ctx).unwrap();
    let code = |n: u32| ppe::sheet_code::encode(&ppe::sheet_code::SheetId { exam_id: EXAM.into(), ppe_code: ctx.config.ppe_code.clone(), kind: ppe::sheet_code::SheetKind::Registration, number: n }, &key);

    let mut events = ui.block(async {
        let resp = ui.http.get(format!("{}/desk/events", ui.url)).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        resp.bytes_stream()
    });
    let mut next_event = |want: &str| -> String {
        ui.block(async {
            let mut seen = String::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            while !seen.contains(want) {
                match tokio::time::timeout_at(deadline, events.next()).await {
                    Ok(Some(Ok(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                    other => panic!("no {want:?} on the desk stream (saw {seen:?}): {other:?}"),
                }
            }
            seen
        })
    };
    let pty = PtyPair::start(&reader, &feeder);
    next_event("connected");
    feed(&feeder, &format!("{}\n", code(7)));
    let seen = next_event("recorded");
    assert!(seen.contains("\"auditorium\":\"0003\"") && seen.contains("\"number\":7"), "{seen}");
    pty.unplug();
    next_event("disconnected");
    let pty = PtyPair::start(&reader, &feeder);
    next_event("connected");
    feed(&feeder, &format!("{}\n", code(8)));
    next_event("\"number\":8");
    pty.unplug();
    // The page lists what was recorded.
    let (_, _, page) = ui.get(&format!("/desk?exam={EXAM}"), Some(&cookie));
    assert!(page.contains("выдача") && page.contains("0003"), "{page}");
    let _ = daemon.kill();
    let _ = daemon.wait();
    let rows = ppe::serial::store::movements_for_exam(&ppe::store::open(&tmp.path().join("state/ppe.db")).unwrap(), EXAM).unwrap();
    assert_eq!(rows.iter().map(|m| m.sheet.number).collect::<Vec<_>>(), vec![7, 8]);
}

// ---------- a whole exam day in headless Chromium ----------

struct Demo {
    child: std::process::Child,
    box_url: String,
    inbox: PathBuf,
    dir: PathBuf,
    /// Base64 SHA-256 of the box UI certificate's public key, as the demo prints it.
    ui_spki: String,
    setup_code: String,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_manual_demo(dir: &Path, cups: &Cupsd) -> Demo {
    let mut child = Command::new(ppe_bin())
        .args(["demo", "--manual", "--dir", dir.to_str().unwrap(), "--speed", "20", "--points", "1", "--participants", "24"])
        .env("PPE_PRINTER", &cups.printer)
        .env("PPE_CUPS_URI", cups.uri())
        .env("PPE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut box_url, mut inbox, mut ui_spki, mut setup_code) = (None, None, None, None);
    while box_url.is_none() || inbox.is_none() || ui_spki.is_none() || setup_code.is_none() {
        let line = lines.next().expect("the demo ended before printing its URLs").unwrap();
        if line.contains("box of exam point") {
            box_url = line.split_whitespace().find(|w| w.starts_with("https://")).map(|u| u.trim_end_matches('/').to_string());
        }
        if let Some(p) = line.split("scanner inbox ").nth(1) {
            inbox = Some(PathBuf::from(p.trim()));
        }
        if let Some(p) = line.split("(SPKI sha256 ").nth(1) {
            ui_spki = Some(p.trim_end_matches(')').to_string());
        }
        if let Some(p) = line.split("first-start setup code: ").nth(1) {
            setup_code = p.split_whitespace().next().map(str::to_string);
        }
    }
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Demo { child, box_url: box_url.unwrap(), inbox: inbox.unwrap(), dir: dir.to_path_buf(), ui_spki: ui_spki.unwrap(), setup_code: setup_code.unwrap() }
}

/// Screenshots go under `target/` (a test run leaves the work tree clean);
/// `scripts/refresh-screenshots.sh` copies them into `docs/screenshots/`.
fn screenshots_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shot(driver: &Driver, name: &str) {
    let png = driver.screenshot().await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(screenshots_dir().join(format!("box-{name}.png")), png).unwrap();
}

/// Text of the element with this id (empty when absent).
fn text_of(id: &str) -> String {
    format!("var e=document.getElementById('{id}');return e?e.textContent:'';")
}

async fn open(driver: &Driver, base: &str, path: &str) {
    driver.goto(&format!("{base}{path}")).await;
}

/// Submits the form whose button has this CSS selector and waits for the message banner.
async fn submit_and_wait(driver: &Driver, button_css: &str, want: &str) -> String {
    driver.js("var m=document.getElementById('msg');if(m)m.id='msg-old';return '';").await;
    driver.click(button_css).await;
    driver.wait_text("var err=document.querySelector('.panel.error');return (document.getElementById('msg')||{textContent:''}).textContent+(err?' ОШИБКА: '+err.textContent:'');", want).await
}

async fn login_as(driver: &Driver, base: &str, login: &str, password: &str) {
    driver.goto(&format!("{base}/login")).await;
    driver.type_into("#login", login).await;
    driver.type_into("#password", password).await;
    driver.click("#submit").await;
    let who = driver.wait_text("return document.querySelector('.user')?document.querySelector('.user').textContent:'';", login).await;
    assert!(who.contains(login));
}

async fn logout(driver: &Driver) {
    driver.click("header form button").await;
    driver.wait_text("return document.title;", "Вход").await;
}

#[test]
fn chromium_plays_a_whole_exam_day_in_the_box_ui_with_screenshots() {
    let tmp = tempfile::tempdir().unwrap();
    let cups = Cupsd::start();
    let demo = start_manual_demo(&tmp.path().join("demo"), &cups);
    let base = demo.box_url.clone();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        // The pin is the one of the certificate the box serves (not some other it would accept).
        let key = std::fs::read_to_string(demo.dir.join("box/keys/ui.key")).unwrap();
        assert_eq!(demo.ui_spki, ppe::hub::pki::spki_sha256_base64(&key).unwrap());
        let driver = Driver::start_trusting(&demo.ui_spki).await;
        // First start: the one-time code, and the administrator (technical specialist) sets the password.
        driver.goto(&format!("{base}/")).await;
        driver.wait_text("return document.title;", "Первый запуск").await;
        assert_eq!(driver.js("return location.protocol;").await, "https:");
        driver.type_into("#setup-code", &demo.setup_code).await;
        driver.type_into("#password", PASSWORD).await;
        driver.type_into("input[name=password2]", PASSWORD).await;
        driver.click("#submit").await;
        // The plan arrives from the hub by itself.
        let started = Instant::now();
        loop {
            open(&driver, &base, "/").await;
            let next = driver.js(&text_of("next-step")).await;
            if next.as_str().unwrap_or("").contains("Рассадить") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "the plan never arrived: {next}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }

        // Accounts for the ГЭК member of the day and an organizer.
        let db_path = demo.dir.join("box/state/ppe.db");
        let plan = ppe::plan::store::load_plan(&ppe::store::open(&db_path).unwrap()).unwrap();
        let exam = plan.exams.iter().find(|e| e.exam_id == EXAM).unwrap().clone();
        let gek = plan
            .workers
            .iter()
            .find(|w| w.roles.contains(&ppe::model::WorkerRole::GekMember) && plan.worker_assignments.iter().any(|a| a.worker_id == w.worker_id && a.date == exam.date))
            .expect("a ГЭК member of the day")
            .worker_id
            .clone();
        // A box account is for a worker the plan gives that role.
        let org = plan.workers.iter().find(|w| w.roles.contains(&ppe::model::WorkerRole::OrganizerInRoom)).expect("an organizer").worker_id.clone();
        for (login, worker, role) in [("gek1", gek.as_str(), "gek_member"), ("org1", org.as_str(), "organizer_in_room")] {
            open(&driver, &base, "/accounts").await;
            driver.type_into("input[name=login]", login).await;
            driver.type_into("input[name=worker]", worker).await;
            driver.js(&format!("document.querySelector('select[name=role]').value='{role}';return '';")).await;
            driver.type_into("input[name=password]", PASSWORD).await;
            driver.click("form[action='/accounts/create'] button").await;
            driver.wait_text(&text_of("msg"), &format!("{login} создана")).await;
        }

        // Seating, roster, kits.
        open(&driver, &base, &format!("/seating?exam={EXAM}")).await;
        submit_and_wait(&driver, "#seat", "рассажено участников").await;
        shot(&driver, "seating").await;
        open(&driver, &base, &format!("/roster?exam={EXAM}")).await;
        submit_and_wait(&driver, "#roster-assign", "расставлено работников").await;
        open(&driver, &base, &format!("/attendance?exam={EXAM}")).await;
        submit_and_wait(&driver, "#issue-kits", "выдано бланков").await;

        // The materials window opens by the hub's clock: pull, then the ГЭК member activates.
        let started = Instant::now();
        loop {
            open(&driver, &base, &format!("/materials?exam={EXAM}")).await;
            driver.click("#pull").await;
            let text = driver.wait_text("var m=document.getElementById('msg');var e=document.querySelector('.panel.error');return (m?m.textContent:'')+(e?'ERR '+e.textContent:'');", "").await;
            if text.contains("получены и проверены") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "the materials never arrived: {text}");
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        logout(&driver).await;
        login_as(&driver, &base, "gek1", PASSWORD).await;
        open(&driver, &base, &format!("/materials?exam={EXAM}")).await;
        // The key comes from the hub only against the member's own key file (their stick) and
        // PIN, once the window opens by the hub's clock.
        let key_file = ppe::demo::autopilot::demo_gek_key_file(&demo.dir.join("box"), &gek);
        let started = Instant::now();
        loop {
            open(&driver, &base, &format!("/materials?exam={EXAM}")).await;
            // The form is offered once the package is staged and verified; the box's scheduler
            // may be re-verifying it (the day's second exam shares the window) for a moment.
            if driver.js("return document.getElementById('gek-key') ? 'yes' : '';").await.as_str() != Some("yes") {
                assert!(started.elapsed() < Duration::from_secs(120), "the activation form never appeared");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            driver.type_into("#gek-key", key_file.to_str().unwrap()).await;
            driver.type_into("#gek-pin", ppe::demo::autopilot::DEMO_GEK_PIN).await;
            driver.click("#activate").await;
            let text = driver.wait_text("var m=document.getElementById('msg');var e=document.querySelector('.panel.error');return (m?m.textContent:'')+(e?'ERR '+e.textContent:'');", "").await;
            if text.contains("ключ получен и активирован") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "the key was never released: {text}");
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        open(&driver, &base, &format!("/materials?exam={EXAM}")).await;
        shot(&driver, "materials").await;
        logout(&driver).await;
        login_as(&driver, &base, "admin", PASSWORD).await;
        shot(&driver, "home").await;

        // Print the seating lists to cups-pdf.
        open(&driver, &base, &format!("/print?exam={EXAM}")).await;
        driver.js("document.querySelector('select[name=what]').value='seating';return '';").await;
        let msg = submit_and_wait(&driver, "#print", "отправлено заданий").await;
        assert!(!msg.contains("НЕ напечатано"), "{msg}");
        // Attendance in every auditorium: everyone present, then one removal and one early finish.
        open(&driver, &base, &format!("/attendance?exam={EXAM}")).await;
        let rooms: Vec<String> = driver
            .js("return Array.from(document.querySelectorAll('select[name=auditorium] option')).map(o=>o.value).join(',');")
            .await
            .as_str()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        for room in &rooms {
            loop {
                open(&driver, &base, &format!("/attendance?exam={EXAM}&auditorium={room}")).await;
                let pid = driver.js("var b=document.querySelector('button[data-kind=present]');return b?b.dataset.participant:'';").await;
                let pid = pid.as_str().unwrap_or("").to_string();
                if pid.is_empty() {
                    break;
                }
                submit_and_wait(&driver, &format!("button[data-kind=present][data-participant='{pid}']"), &pid).await;
            }
        }
        // The exam materials for one auditorium, decrypted in memory, to cups-pdf.
        let first_room = ppe::seating::store::seat_assignments_for_exam(&ppe::store::open(&db_path).unwrap(), EXAM).unwrap()[0].auditorium.clone();
        // КИМ is printed in the room for those present, from the start (Exam.kim_print
        // in_room): refused before it, then printed once the simulated clock gets there.
        let started = Instant::now();
        loop {
            open(&driver, &base, &format!("/print?exam={EXAM}")).await;
            driver.js("document.querySelector('select[name=what]').value='kim';return '';").await;
            driver.type_into("input[name=auditorium]", &first_room).await;
            driver.js("var m=document.getElementById('msg');if(m)m.id='msg-old';return '';").await;
            driver.click("#print").await;
            let answer = "var m=document.getElementById('msg');var e=document.querySelector('.panel.error');var t=(m?m.textContent:'')+(e?'ERR '+e.textContent:'');\
                          return (t.indexOf('заданий')>=0||t.indexOf('раньше')>=0)?'ANSWER '+t:'';";
            let msg = driver.wait_text(answer, "ANSWER").await;
            if msg.contains("отправлено заданий") {
                assert!(!msg.contains("НЕ напечатано"), "{msg}");
                break;
            }
            assert!(msg.contains("не раньше"), "{msg}");
            assert!(started.elapsed() < Duration::from_secs(300), "КИМ could not be printed after the start: {msg}");
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        let kim_text = {
            let started = Instant::now();
            loop {
                let texts: Vec<String> = walk_files(&cups.dir.path().join("out"))
                    .into_iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
                    .map(|p| stdout(&Command::new("pdftotext").arg(&p).arg("-").output().unwrap()))
                    .collect();
                if let Some(t) = texts.into_iter().find(|t| t.contains("KIM demo variant")) {
                    break t;
                }
                assert!(started.elapsed() < Duration::from_secs(60), "the КИМ never came out of cups-pdf");
                std::thread::sleep(Duration::from_millis(300));
            }
        };
        assert!(kim_text.contains(EXAM), "{kim_text}");
        shot(&driver, "print").await;
        // Every job the box sent came out of cups-pdf (the seating lists too, not only the
        // КИМ waited for above). cups-pdf re-renders the text, so the PDFs are counted.
        let jobs = ppe::printing::store::print_jobs_for_exam(&ppe::store::open(&db_path).unwrap(), EXAM).unwrap().len();
        assert!(jobs > 2, "seating lists and the КИМ were sent: {jobs} jobs");
        let started = Instant::now();
        loop {
            let pdfs = walk_files(&cups.dir.path().join("out")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "pdf")).count();
            if pdfs >= jobs {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "cups-pdf wrote {pdfs} PDFs for {jobs} print jobs");
            std::thread::sleep(Duration::from_millis(300));
        }

        let room = &rooms[0];
        open(&driver, &base, &format!("/attendance?exam={EXAM}&auditorium={room}")).await;
        shot(&driver, "attendance").await;
        let removed = driver.js("var b=document.querySelector('button[data-kind=removed]');var f=b.form;f.querySelector('input[name=reason]').value='телефон';return b.dataset.participant;").await;
        let removed = removed.as_str().unwrap().to_string();
        submit_and_wait(&driver, &format!("button[data-kind=removed][data-participant='{removed}']"), "удалён").await;
        let early = driver.js("var b=document.querySelector('button[data-kind=finished_early]');b.form.querySelector('input[name=reason]').value='плохое самочувствие';return b.dataset.participant;").await;
        let early = early.as_str().unwrap().to_string();
        submit_and_wait(&driver, &format!("button[data-kind=finished_early][data-participant='{early}']"), "завершил досрочно").await;
        // Each event produces its act: the removal act goes to cups-pdf from the participant's row.
        let msg = submit_and_wait(&driver, &format!("button[data-act='{removed}']"), "акт").await;
        assert!(msg.contains("отправлен на печать"), "{msg}");

        // The scanner delivers every issued sheet of everyone who sat; the daemon takes them in
        // and uploads by itself once complete.
        let ctx = ppe::context::EdgeContext::open(&demo.dir.join("box/ppe.toml")).unwrap();
        let key = ppe::scanning::ops::box_sheet_key(&ctx).unwrap();
        // The day's forms are laid out (and recorded as printed) as the staff room does after
        // the exam; their pages come back from the scanner with the blanks.
        let forms = ppe::printing::ops::PrintRequest {
            exam_id: EXAM.into(),
            what: ppe::printing::PrintWhat::All,
            auditorium: None,
            printer: None,
            wait: Duration::from_secs(1),
            actor: "tech".into(),
        };
        ppe::printing::ops::make_set(&ctx, &forms).unwrap();
        let expected = ppe::attendance::ops::expected_sheets(&ppe::store::open(&db_path).unwrap(), EXAM, &ctx.config.ppe_code).unwrap();
        std::fs::create_dir_all(&demo.inbox).unwrap();
        for f in &expected.forms {
            for n in &f.numbers {
                let id = ppe::sheet_code::SheetId { exam_id: EXAM.into(), ppe_code: ctx.config.ppe_code.clone(), kind: ppe::sheet_code::SheetKind::Statement, number: *n };
                let code = ppe::sheet_code::encode(&id, &key);
                ppe::util::write_atomic(&demo.inbox.join(format!("form-{n:07}.png")), &ppe::demo::autopilot::render_scanned_page(&code).unwrap()).unwrap();
            }
        }
        std::fs::create_dir_all(&demo.inbox).unwrap();
        let mut pages = 0;
        for p in expected.participants.iter().filter(|p| p.present) {
            for s in &p.sheets {
                let id = ppe::sheet_code::SheetId { exam_id: EXAM.into(), ppe_code: ctx.config.ppe_code.clone(), kind: s.kind, number: s.number };
                let code = ppe::sheet_code::encode(&id, &key);
                ppe::util::write_atomic(&demo.inbox.join(format!("{:07}.png", s.number)), &ppe::demo::autopilot::render_scanned_page(&code).unwrap()).unwrap();
                pages += 1;
            }
        }
        assert!(pages >= 4 * 10, "pages of everyone who sat: {pages}");
        let started = Instant::now();
        loop {
            open(&driver, &base, &format!("/upload?exam={EXAM}")).await;
            let receipt = driver.js(&text_of("receipt")).await;
            if receipt.as_str().unwrap_or("").contains("Квитанция РЦОИ получена") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "no receipt shown");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        shot(&driver, "upload").await;
        open(&driver, &base, &format!("/scanning?exam={EXAM}")).await;
        shot(&driver, "scanning").await;
        open(&driver, &base, &format!("/desk?exam={EXAM}")).await;
        shot(&driver, "desk").await;
        open(&driver, &base, "/audit").await;
        let audit = driver.js("return document.querySelector('main').textContent;").await;
        for action in ["ui.login", "seating.run", "materials.activated", "attendance.removed", "attendance.finished_early"] {
            assert!(audit.as_str().unwrap().contains(action), "the audit page shows {action}");
        }
        shot(&driver, "audit").await;
        open(&driver, &base, "/").await;
        let next = driver.js(&text_of("next-step")).await;
        assert!(next.as_str().unwrap().starts_with("Готово"), "{next}");
        driver.quit().await;
    });
    // The hub verified what the box sent: the receipt on the box checks against the hub's key.
    let db = ppe::store::open(&demo.dir.join("box/state/ppe.db")).unwrap();
    let (_, json) = ppe::upload::store::receipt_latest(&db, EXAM).unwrap().expect("receipt held");
    let receipt: ppe::upload::Receipt = serde_json::from_str(&json).unwrap();
    assert!(receipt.receipt.file_count > 40);
    let entries = ppe::audit::store::all(&db).unwrap();
    for action in ["ui.login", "seating.run", "materials.activated", "materials.decrypted", "attendance.removed", "attendance.finished_early"] {
        assert!(entries.iter().any(|e| e.action == action), "no {action} in the audit log");
    }
    // The КИМ was printed from memory: its text is nowhere under the box's persistent folder.
    for f in walk_files(&demo.dir.join("box")) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(!bytes.windows(16).any(|w| w == b"KIM demo variant"), "plaintext КИМ on disk: {}", f.display());
    }
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
