//! РЦОИ monitoring end to end: simulated boxes post heartbeats through the hub's router (with
//! the box identity the mTLS layer would insert), operators log in, headless Chromium watches a
//! box go from "pulling" to "uploaded, verified" without a reload; silent and at-risk boxes are
//! judged by a simulated hub clock; `ppe hub status` and `ppe hub user` from the terminal.

use std::path::{Path, PathBuf};

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Utc};
use ppe::clock::Clock;
use ppe::context::BoxIdentity;
use ppe::monitoring::accounts::{create_operator, OperatorRole};
use ppe::monitoring::live::{HubUploadStore, MonitoringHub};
use ppe::monitoring::pages::{box_router, operator_router, MonitoringPages};
use ppe::monitoring::{HeartbeatReport, Stage, StatusRules};
use tower::ServiceExt;

use crate::common::{init_hub, ppe, stderr, stdout, Driver};

const EXAM: &str = "ege-02";
const PASSWORD: &str = "correct-horse-42";

fn t(s: &str) -> DateTime<Utc> {
    ppe::monitoring::parse_time(s).unwrap()
}

/// A hub database with a generated region of `points` exam points and an operator of each role.
fn hub_db(dir: &Path, points: usize) -> (PathBuf, Vec<String>) {
    std::fs::create_dir_all(dir).unwrap();
    let db_path = dir.join("hub.db");
    let mut conn = ppe::store::open(&db_path).unwrap();
    let plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points, participants: points * 40, ..Default::default() });
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan, "2027-05-01T00:00:00Z", "test", "00").unwrap();
    tx.commit().unwrap();
    for (login, role) in [("viewer1", OperatorRole::Viewer), ("op1", OperatorRole::Operator), ("admin1", OperatorRole::Admin)] {
        create_operator(&mut conn, login, role, PASSWORD, "2027-05-01T00:00:00Z", "test").unwrap();
    }
    let codes = ppe::plan::store::exam_points_of_exam(&conn, EXAM).unwrap();
    (db_path, codes)
}

fn open_hub(db: &Path, clock: Clock) -> MonitoringHub {
    MonitoringHub::open(db, clock, StatusRules::default(), Arc::new(HubUploadStore)).unwrap()
}

fn report(code: &str, stage: Stage) -> HeartbeatReport {
    serde_json::from_value(serde_json::json!({
        "ppe_code": code, "exam_id": EXAM, "box_time": "2027-05-27T06:58:00Z", "stage": stage.code(),
        "materials": {"pulled": true, "verified": stage != Stage::Pulling, "manifest_version": 1, "key_received": stage != Stage::Pulling, "printed": false},
        "attendance": {"planned": 40, "present": 38, "absent": 2, "closed": stage >= Stage::Scanning},
        "pages": {"expected": 152, "scanned": if stage >= Stage::Scanning { 152 } else { 0 }, "missing": 0}
    }))
    .unwrap()
}

fn uploading(code: &str, done: u64, total: u64) -> HeartbeatReport {
    let mut r = report(code, Stage::Uploading);
    r.upload.bytes_done = done;
    r.upload.bytes_total = total;
    r.upload.files_total = 153;
    r.upload.files_done = (153 * done / total.max(1)).min(153);
    r
}

/// Posts a heartbeat through the box router as the box `identity` (what the mTLS layer does).
async fn post(pages: &MonitoringPages, identity: Option<&str>, body: String) -> (StatusCode, serde_json::Value) {
    let mut router = box_router(pages.clone());
    if let Some(code) = identity {
        router = router.layer(axum::Extension(BoxIdentity { ppe_code: code.to_string() }));
    }
    let req = Request::post("/v1/heartbeat").header(header::CONTENT_TYPE, "application/json").body(Body::from(body)).unwrap();
    let resp = router.oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

/// A heartbeat from a box whose clock runs 1.5 s ahead of the hub's.
pub(crate) async fn beat(pages: &MonitoringPages, r: &HeartbeatReport) {
    let mut r = r.clone();
    r.box_time = ppe::monitoring::time_text(pages.hub.clock().now() + chrono::Duration::milliseconds(1500));
    let (status, body) = post(pages, Some(&r.ppe_code), serde_json::to_string(&r).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn set_cookies(resp: &axum::response::Response) -> Vec<String> {
    resp.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(|v| v.split(';').next().unwrap_or("").to_string()).collect()
}

/// Logs in through the operator router (login form, then its post); returns the post's answer.
async fn login_response(pages: &MonitoringPages, login: &str, password: &str) -> axum::response::Response {
    let router = operator_router(pages.clone());
    let resp = router.clone().oneshot(Request::get("/login").body(Body::empty()).unwrap()).await.unwrap();
    let csrf_cookie = set_cookies(&resp).into_iter().find(|c| c.starts_with("ppe_hub_login_csrf=")).unwrap();
    let html = String::from_utf8(axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let body = form_encode(&[("login", login), ("password", password), ("csrf", &csrf), ("next", "/")]);
    let req = Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").header(header::COOKIE, csrf_cookie).body(Body::from(body)).unwrap();
    router.oneshot(req).await.unwrap()
}

/// Logs in; returns the session cookie (`name=value`), or the redirect target when the login
/// was refused.
pub(crate) async fn login(pages: &MonitoringPages, login: &str, password: &str) -> Result<String, String> {
    let resp = login_response(pages, login, password).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    match set_cookies(&resp).into_iter().find(|c| c.starts_with("ppe_hub_session=")) {
        Some(c) => Ok(c),
        None => Err(resp.headers()[header::LOCATION].to_str().unwrap().to_string()),
    }
}

pub(crate) async fn get(pages: &MonitoringPages, uri: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let resp = operator_router(pages.clone()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let location = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = String::from_utf8(axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap().to_vec()).unwrap();
    (status, location.unwrap_or(text))
}

async fn status_json(pages: &MonitoringPages, cookie: &str) -> serde_json::Value {
    let (status, body) = get(pages, &format!("/v1/status?exam={EXAM}"), Some(cookie)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn row_of<'a>(status: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    status["rows"].as_array().unwrap().iter().find(|r| r["ppe_code"] == code).unwrap()
}

fn pages_at(hub: &MonitoringHub, at: &str) -> MonitoringPages {
    MonitoringPages { secure_cookies: false, ..MonitoringPages::new(hub.with_clock(Clock::simulated(t(at), 1.0))) }
}

/// The hub's own mutual-TLS listener and identity layer (as `ppe hub serve` runs them, from
/// the folder `ppe hub init` made) serving the box routes of `pages`; returns its URL.
async fn serve_box_routes_over_tls(hub_toml: &Path, pages: &MonitoringPages) -> String {
    let ctx = ppe::context::HubContext::open(hub_toml).unwrap();
    let server = ppe::hub::server::HubServer::from_context(&ctx).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(ppe::hub::server::serve(listener, server.tls_config().unwrap(), server.state.clone(), box_router(pages.clone())));
    format!("https://127.0.0.1:{port}")
}

/// A box's HTTPS client trusting the hub CA, with the certificate `ppe hub enroll` wrote into
/// `enrolled` (none without).
fn box_client(hub_ca: &Path, enrolled: Option<&Path>) -> reqwest::Client {
    let mut b = reqwest::Client::builder().tls_certs_only([reqwest::Certificate::from_pem(&std::fs::read(hub_ca).unwrap()).unwrap()]);
    if let Some(dir) = enrolled {
        let mut pem = std::fs::read(dir.join("keys/client.crt")).unwrap();
        pem.extend(std::fs::read(dir.join("keys/client.key")).unwrap());
        b = b.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    b.build().unwrap()
}

async fn post_over_tls(client: &reqwest::Client, url: &str, body: String) -> (StatusCode, serde_json::Value) {
    let resp = client.post(format!("{url}/v1/heartbeat")).header("content-type", "application/json").body(body).send().await.unwrap();
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_is_refused_unless_the_certificate_names_the_same_exam_point() {
    let dir = tempfile::tempdir().unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub_toml = init_hub(dir.path());
    let (db, codes) = hub_db(&hub_toml.parent().unwrap().join("state"), 3);
    // Two boxes enrolled by the product: their certificates name their exam points.
    let box_dir = |code: &str| dir.path().join(format!("box-{code}"));
    for code in &codes[..2] {
        let out = box_dir(code);
        let o = ppe(&["hub", "enroll", "--ppe", code, "--out", out.to_str().unwrap(), "--run-dir", out.join("run").to_str().unwrap(), "--config", hub_toml.to_str().unwrap()]);
        assert!(o.status.success(), "enroll: {}", stderr(&o));
    }
    let hub = open_hub(&db, Clock::simulated(t("2027-05-27T02:10:00Z"), 1.0));
    let pages = MonitoringPages { secure_cookies: false, ..MonitoringPages::new(hub.clone()) };
    let url = serve_box_routes_over_tls(&hub_toml, &pages).await;
    let hub_ca = box_dir(&codes[0]).join("keys/hub-ca.crt");
    let (box0, box1, anonymous) = (box_client(&hub_ca, Some(&box_dir(&codes[0]))), box_client(&hub_ca, Some(&box_dir(&codes[1]))), box_client(&hub_ca, None));
    let mine = report(&codes[0], Stage::Pulling);
    let body = serde_json::to_string(&mine).unwrap();
    let (s, b) = post_over_tls(&box1, &url, body.clone()).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::FORBIDDEN, Some("wrong_exam_point")), "{b}");
    let (s, b) = post_over_tls(&anonymous, &url, body.clone()).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::FORBIDDEN, Some("no_certificate")));
    let (s, b) = post_over_tls(&box0, &url, "{\"ppe_code\":1}".into()).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("malformed")));
    let mut other_exam = mine.clone();
    other_exam.exam_id = "no-such-exam".into();
    let (s, b) = post_over_tls(&box0, &url, serde_json::to_string(&other_exam).unwrap()).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_exam")));
    let (s, b) = post_over_tls(&box0, &url, body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let offset = b["clock_offset_ms"].as_i64().unwrap();
    assert!((17_279_000..=17_280_000).contains(&offset), "box clock 06:58 against hub 02:10 is an offset of +4 h 48 min: {offset}");
    assert_eq!(get(&pages, "/metrics", None).await.0, StatusCode::UNAUTHORIZED, "metrics need an operator's login");
    let viewer = login(&pages, "viewer1", PASSWORD).await.unwrap();
    let metrics = get(&pages, "/metrics", Some(&viewer)).await.1;
    assert!(metrics.contains("ppe_monitoring_reports_accepted_total 1"), "{metrics}");
    assert!(metrics.contains("ppe_monitoring_reports_refused_total{reason=\"wrong_exam_point\"} 1"), "{metrics}");
    assert!(metrics.contains("ppe_monitoring_points{exam_id=\"ege-02\",health=\"on_track\"} 1"), "{metrics}");
    hub.flush().unwrap();
    let conn = ppe::store::open(&db).unwrap();
    assert_eq!(ppe::monitoring::store::heartbeat_latest_all(&conn).unwrap().len(), 1, "only the accepted report is stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn box_that_stops_reporting_turns_silent_after_the_configured_time() {
    let dir = tempfile::tempdir().unwrap();
    let (db, codes) = hub_db(dir.path(), 3);
    let hub = open_hub(&db, Clock::real());
    let silent_after = hub.rules().silent_after.num_seconds();
    assert_eq!(silent_after, 60, "hub.toml default silent_after_secs");
    let at_10 = pages_at(&hub, "2027-05-27T02:10:00Z");
    beat(&at_10, &report(&codes[0], Stage::MaterialsReady)).await;
    beat(&at_10, &report(&codes[1], Stage::MaterialsReady)).await;
    let cookie = login(&at_10, "viewer1", PASSWORD).await.unwrap();
    // The second box keeps reporting, the first stops.
    let later = pages_at(&hub, "2027-05-27T02:10:59Z");
    beat(&later, &report(&codes[1], Stage::MaterialsReady)).await;
    let s = status_json(&later, &cookie).await;
    assert_eq!(row_of(&s, &codes[0])["health"], "on_track", "59 s without a report is not silent yet");
    let after = pages_at(&hub, "2027-05-27T02:11:01Z");
    let s = status_json(&after, &cookie).await;
    assert_eq!(row_of(&s, &codes[0])["health"], "silent", "61 s without a report");
    assert_eq!(row_of(&s, &codes[1])["health"], "on_track");
    assert_eq!(s["summary"]["totals"]["silent"], 2, "the silent box and the one that never reported: {}", s["summary"]);
    // Silent is the worst colour before the deadline, so it is sorted first.
    assert_eq!(s["rows"][0]["health"], "silent");
    // It comes back as soon as it reports again.
    beat(&after, &report(&codes[0], Stage::MaterialsReady)).await;
    assert_eq!(row_of(&status_json(&after, &cookie).await, &codes[0])["health"], "on_track");
    hub.flush().unwrap();

    // The limit is hub.toml's `silent_after_secs`: at 300 s the same silence is not yet silent.
    let mut cfg = ppe::config::HubFileConfig::with_defaults();
    cfg.silent_after_secs = 300;
    let patient = MonitoringHub::open(&db, Clock::real(), StatusRules::from_config(&cfg), Arc::new(HubUploadStore)).unwrap();
    let judge = |at: &str| patient.with_clock(Clock::simulated(t(at), 1.0)).row(EXAM, &codes[1]).unwrap().health;
    assert_eq!(judge("2027-05-27T02:15:58Z"), ppe::monitoring::Health::OnTrack, "reports restored from the database");
    assert_eq!(judge("2027-05-27T02:16:01Z"), ppe::monitoring::Health::Silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn box_whose_rate_cannot_meet_the_deadline_turns_at_risk_before_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (db, codes) = hub_db(dir.path(), 3);
    let hub = open_hub(&db, Clock::real());
    let (slow, fast) = (&codes[0], &codes[1]);
    // Both upload 40 MB; the exam's deadline is 07:55Z (end 06:55Z + 60 min).
    for (i, at) in ["2027-05-27T07:00:00Z", "2027-05-27T07:00:10Z", "2027-05-27T07:00:20Z", "2027-05-27T07:00:30Z"].iter().enumerate() {
        let p = pages_at(&hub, at);
        let i = i as u64;
        beat(&p, &uploading(slow, 1_000_000 + i * 10_000, 40_000_000)).await;
        beat(&p, &uploading(fast, 1_000_000 + i * 1_000_000, 40_000_000)).await;
    }
    let p = pages_at(&hub, "2027-05-27T07:00:31Z");
    let cookie = login(&p, "viewer1", PASSWORD).await.unwrap();
    let s = status_json(&p, &cookie).await;
    let slow_row = row_of(&s, slow);
    assert_eq!(slow_row["health"], "at_risk", "{slow_row}");
    assert_eq!(slow_row["rate_bytes_per_second"], 1000);
    assert!(slow_row["reason"].as_str().unwrap().contains("при текущей скорости"), "{slow_row}");
    assert!(t(s["hub_time"].as_str().unwrap()) < t(slow_row["deadline"].as_str().unwrap()), "at risk while the deadline is still ahead");
    assert_eq!(row_of(&s, fast)["health"], "on_track", "100 KB/s finishes 37 MB well before the deadline");
    // The page lists the at-risk box above the one on track.
    let (_, html) = get(&p, &format!("/?exam={EXAM}"), Some(&cookie)).await;
    let (pos_slow, pos_fast) = (html.find(&format!("id=\"r-{EXAM}-{slow}\"")).unwrap(), html.find(&format!("id=\"r-{EXAM}-{fast}\"")).unwrap());
    assert!(pos_slow < pos_fast, "worst first");
    assert!(html.contains("под угрозой"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_log_in_with_csrf_roles_and_lockout() {
    let dir = tempfile::tempdir().unwrap();
    let (db, codes) = hub_db(dir.path(), 3);
    let hub = open_hub(&db, Clock::simulated(t("2027-05-27T02:10:00Z"), 1.0));
    let pages = MonitoringPages { secure_cookies: false, ..MonitoringPages::new(hub.clone()) };
    // Nothing without a session: the page sends to the login form, the API answers 401.
    let (s, location) = get(&pages, "/", None).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/login?next=%2F"));
    assert_eq!(get(&pages, "/v1/status", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&pages, "/v1/events", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&pages, "/v1/status", Some("ppe_hub_session=forged")).await.0, StatusCode::UNAUTHORIZED);
    // A login post without the form's CSRF token is refused.
    let body = form_encode(&[("login", "op1"), ("password", PASSWORD), ("csrf", "x")]);
    let req = Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(body)).unwrap();
    let resp = operator_router(pages.clone()).oneshot(req).await.unwrap();
    assert!(set_cookies(&resp).iter().all(|c| !c.starts_with("ppe_hub_session=")), "no session without CSRF");
    // Roles: a viewer may not write notes; an operator may, with the session's CSRF token.
    let viewer = login(&pages, "viewer1", PASSWORD).await.unwrap();
    let operator = login(&pages, "op1", PASSWORD).await.unwrap();
    let (_, html) = get(&pages, &format!("/ppe/{EXAM}/{}", codes[0]), Some(&operator)).await;
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let note = |cookie: &str, csrf: &str| {
        Request::post(format!("/ppe/{EXAM}/{}/note", codes[0]))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(form_encode(&[("csrf", csrf), ("text", "дозвонились, связь восстанавливают")])))
            .unwrap()
    };
    assert_eq!(operator_router(pages.clone()).oneshot(note(&operator, "wrong")).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(operator_router(pages.clone()).oneshot(note(&viewer, &csrf)).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(operator_router(pages.clone()).oneshot(note(&operator, &csrf)).await.unwrap().status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&pages, &format!("/ppe/{EXAM}/{}", codes[0]), Some(&viewer)).await;
    assert!(page.contains("заметка op1: дозвонились"), "the note is on the point's timeline");
    assert_eq!(get(&pages, "/admin/operators", Some(&operator)).await.0, StatusCode::FORBIDDEN);
    // Repeated failures from one client throttle that client, even with the right password
    // afterwards (tests/it/attacks/login.rs: other clients are not held up).
    for _ in 0..ppe::http::throttle::FREE_FAILURES {
        assert!(login(&pages, "viewer1", "wrong-password").await.unwrap_err().contains("error=bad_credentials"));
    }
    let refused = login(&pages, "viewer1", PASSWORD).await.unwrap_err();
    assert!(refused.contains("error=throttled"), "{refused}");
    let (_, html) = get(&pages, &refused, None).await;
    assert!(html.contains("слишком много неудачных попыток"), "{html}");
    // The session cookie a login sets (not the login form's CSRF cookie) is HttpOnly and
    // SameSite=Strict, and Secure exactly when the dashboard is served over HTTPS.
    for secure in [false, true] {
        let pages = MonitoringPages { secure_cookies: secure, ..MonitoringPages::new(hub.clone()) };
        let resp = login_response(&pages, "op1", PASSWORD).await;
        let raw: Vec<String> = resp.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect();
        let session = raw.iter().find(|c| c.starts_with("ppe_hub_session=")).unwrap_or_else(|| panic!("no session cookie among {raw:?}"));
        let attributes: Vec<&str> = session.split(';').map(str::trim).collect();
        assert!(attributes[0].len() == "ppe_hub_session=".len() + 64, "a 32-byte token: {session}");
        assert!(attributes.contains(&"HttpOnly") && attributes.contains(&"SameSite=Strict"), "{session}");
        assert_eq!(attributes.contains(&"Secure"), secure, "{session}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_answer_carries_the_security_headers_and_an_error_names_its_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = hub_db(dir.path(), 2);
    let hub = open_hub(&db, Clock::simulated(t("2027-05-27T02:10:00Z"), 1.0));
    let pages = MonitoringPages { secure_cookies: false, ..MonitoringPages::new(hub.clone()) };
    let cookie = login(&pages, "viewer1", PASSWORD).await.unwrap();
    let answer = |uri: &str, cookie: Option<&str>| {
        let mut req = Request::get(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        operator_router(pages.clone()).oneshot(req.body(Body::empty()).unwrap())
    };
    for (uri, with_session) in [("/", true), ("/login", false), ("/v1/status", true), ("/metrics", false), ("/ppe/ege-02/nope", true), ("/", false)] {
        let resp = answer(uri, with_session.then_some(cookie.as_str())).await.unwrap();
        let h = resp.headers();
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{uri}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(h[header::CACHE_CONTROL], "no-store", "{uri}");
        assert!(h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().starts_with("default-src 'self'"), "{uri}");
        assert_eq!(h["x-request-id"].len(), 12, "{uri}");
    }
    // The dashboard's one inline script runs by its nonce; no other page runs a script.
    let resp = answer("/", Some(&cookie)).await.unwrap();
    let csp = resp.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    let html = String::from_utf8(axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap().to_vec()).unwrap();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(html.contains(&format!("<script nonce=\"{nonce}\">")), "{csp}");
    // A page that is not there: a readable page with the request id of its answer.
    let resp = answer("/ppe/ege-02/nope", Some(&cookie)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    let html = String::from_utf8(axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    assert!(html.contains("не назначен на экзамен") && html.contains(&id), "{html}");
    // The same for an API call, in JSON.
    let (status, body) = post(&pages, None, "{}".into()).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("malformed")), "{body}");
    assert_eq!(body["request_id"].as_str().map(str::len), Some(12), "{body}");
}

#[test]
fn hub_status_and_user_commands_print_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let config = init_hub(dir.path());
    let plan = dir.path().join("plan.json");
    let o = ppe(&["hub", "demo-plan", "--out", plan.to_str().unwrap(), "--points", "3", "--participants", "120"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "import-plan", plan.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let pw = dir.path().join("pw");
    std::fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "user", "add", "--login", "chief", "--role", "admin", "--password-file", pw.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "user", "add", "--login", "chief", "--role", "admin", "--password-file", pw.to_str().unwrap()]);
    assert!(!o.status.success() && stderr(&o).contains("уже существует"), "{}", stderr(&o));
    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "user", "list"]);
    assert!(stdout(&o).contains("chief\tadmin"), "{}", stdout(&o));
    // A hub process accepted heartbeats; the CLI reads what it persisted.
    let db = config.parent().unwrap().join("state/hub.db");
    let code = {
        let conn = ppe::store::open(&db).unwrap();
        ppe::plan::store::exam_points_of_exam(&conn, EXAM).unwrap()[0].clone()
    };
    {
        let hub = open_hub(&db, Clock::simulated(t("2027-05-27T07:00:00Z"), 1.0));
        let mut r = uploading(&code, 20_000_000, 40_000_000);
        r.last_error = Some("tus: соединение сброшено".into());
        hub.accept(Some(&BoxIdentity { ppe_code: code.clone() }), r).unwrap();
        hub.flush().unwrap();
    }
    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "status", "--exam", EXAM, "--now", "2027-05-27T07:00:30Z"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Экзамен ege-02") && text.contains("СОСТОЯНИЕ"), "{text}");
    let line = text.lines().find(|l| l.contains(&code)).unwrap();
    assert!(line.contains("выгрузка") && line.contains("50%") && line.contains("соединение сброшено"), "{line}");
    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "status", "--exam", EXAM, "--json", "--now", "2027-05-27T07:02:00Z"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["rows"][0]["health"], "silent", "two minutes later the box is silent: {}", v["rows"][0]);
    assert_eq!(v["summary"]["totals"]["points"], v["rows"].as_array().unwrap().len());
    let o = ppe(&["hub", "--config", config.to_str().unwrap(), "status", "--exam", "nope"]);
    assert!(!o.status.success() && stderr(&o).contains("not in the plan"));
}

/// Records a bundle as accepted by the hub's upload domain (what `finalize` stores), so the
/// dashboard sees "verified" from the hub's own records, not from the box's claim.
fn hub_accepts_bundle(db: &Path, code: &str, manifest: &str) {
    let conn = ppe::store::open(db).unwrap();
    ppe::upload::store::hub_bundle_insert(
        &conn,
        &ppe::upload::store::HubBundleRow {
            exam_id: EXAM.into(),
            ppe_code: code.into(),
            manifest_sha256: manifest.into(),
            via: "upload".into(),
            file_count: 153,
            total_bytes: 40_000_000,
            received_at: "2027-05-27T07:01:00Z".into(),
            receipt_json: "{}".into(),
        },
    )
    .unwrap();
}

#[test]
fn chromium_sees_a_box_go_from_pulling_to_uploaded_verified_without_reload() {
    let dir = tempfile::tempdir().unwrap();
    let (db, codes) = hub_db(dir.path(), 8);
    assert!(codes.len() >= 6, "{codes:?}");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let now = "2027-05-27T07:00:00Z";
        let hub = open_hub(&db, Clock::simulated(t(now), 1.0));
        let pages = MonitoringPages { secure_cookies: false, ..MonitoringPages::new(hub.clone()) };
        let _ticker = hub.spawn_background();
        // A region in every colour: history fed at earlier hub times through clones of the hub.
        let at = |s: &str| pages_at(&hub, s);
        let watched = codes[0].clone();
        beat(&pages, &report(&watched, Stage::Pulling)).await;
        for (i, time) in ["2027-05-27T06:59:00Z", "2027-05-27T06:59:30Z", now].iter().enumerate() {
            let i = i as u64;
            beat(&at(time), &uploading(&codes[1], 2_000_000 + i * 15_000, 60_000_000)).await; // at risk
            beat(&at(time), &uploading(&codes[2], 10_000_000 + i * 3_000_000, 40_000_000)).await; // on track
        }
        beat(&at("2027-05-27T06:54:00Z"), &uploading(&codes[3], 5_000_000, 40_000_000)).await; // stalled
        beat(&at("2027-05-27T06:59:50Z"), &uploading(&codes[3], 5_000_000, 40_000_000)).await;
        let mut failing = report(&codes[4], Stage::Scanning);
        failing.last_error = Some("сканер: замятие бумаги в автоподатчике".into());
        beat(&at("2027-05-27T06:57:00Z"), &failing).await; // silent
        let mut done = report(&codes[5], Stage::Uploaded);
        done.upload.receipt_id = Some("9f2c".into());
        done.upload.bytes_done = 38_000_000;
        done.upload.bytes_total = 38_000_000;
        beat(&pages, &done).await;
        hub_accepts_bundle(&db, &codes[5], "9f2c");
        hub.refresh_facts().unwrap();

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = operator_router(pages.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });

        let driver = Driver::start().await;
        driver.goto(&format!("{url}/login")).await;
        driver.type_into("#login", "viewer1").await;
        driver.type_into("#password", PASSWORD).await;
        driver.click("#submit").await;
        let row = format!("document.getElementById('r-{EXAM}-{watched}')");
        let stage = format!("return ({row}||{{}}).cells ? {row}.cells[3].textContent : ''");
        let health = format!("return ({row}||{{}}).cells ? {row}.cells[0].textContent : ''");
        driver.wait_text(&stage, "загрузка материалов").await;
        driver.wait_text("return document.getElementById('live').textContent", "обновляется").await;
        driver.js("window.__same_page = 42; return null").await;

        let steps = [(Stage::MaterialsReady, "материалы готовы"), (Stage::Exam, "экзамен идёт"), (Stage::Scanning, "сканирование")];
        for (s, text) in steps {
            beat(&pages, &report(&watched, s)).await;
            driver.wait_text(&stage, text).await;
        }
        beat(&pages, &uploading(&watched, 20_000_000, 40_000_000)).await;
        driver.wait_text(&stage, "выгрузка").await;
        driver.wait_text(&format!("return {row}.cells[4].textContent"), "50%").await;
        let mut uploaded = uploading(&watched, 40_000_000, 40_000_000);
        uploaded.stage = Stage::Uploaded;
        uploaded.upload.receipt_id = Some("a1b2c3".into());
        beat(&pages, &uploaded).await;
        driver.wait_text(&stage, "выгружено").await;
        // The box claims a receipt; only the hub's own record makes it "verified".
        let claimed = driver.js(&health[..]).await;
        assert!(!claimed.as_str().unwrap().contains("выгружено, проверено"), "a box's claim alone is not done: {claimed}");
        hub_accepts_bundle(&db, &watched, "a1b2c3");
        let final_health = driver.wait_text(&health, "выгружено, проверено").await;
        assert!(final_health.contains("квитанция"), "{final_health}");
        assert_eq!(driver.js("return window.__same_page").await, 42, "the page was never reloaded");
        let done_count = driver.wait_text("return document.getElementById('t-done').textContent", "2").await;
        assert_eq!(done_count, "2");
        for (code, colour) in [(&codes[1], "под угрозой"), (&codes[3], "нет движения"), (&codes[4], "нет связи")] {
            driver.wait_text(&format!("return document.getElementById('r-{EXAM}-{code}').cells[0].textContent"), colour).await;
        }
        // Worst first: the first row is not a done one.
        let first = driver.js("return document.getElementById('rows').rows[0].cells[0].textContent").await;
        assert!(!first.as_str().unwrap().contains("проверено"), "{first}");

        let png = driver.screenshot().await;
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "screenshot of {} bytes", png.len());
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/hub-dashboard.png");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(&out, &png).unwrap();
        driver.quit().await;
        server.abort();
    });
}

#[test]
fn box_reporter_reaches_the_hub_after_an_outage_and_reports_its_stage() {
    let dir = tempfile::tempdir().unwrap();
    let (hub_db_path, codes) = hub_db(&dir.path().join("hub"), 3);
    let code = codes[0].clone();
    // The box holds its slice of the plan, as synced from the hub.
    let box_dir = dir.path().join("box");
    std::fs::create_dir_all(box_dir.join("state")).unwrap();
    let plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 3, participants: 120, ..Default::default() });
    let planned = plan.registrations.iter().filter(|r| r.exam_id == EXAM && r.ppe_code == code).count();
    {
        let mut conn = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
        let tx = conn.transaction().unwrap();
        ppe::plan::store::replace_plan(&tx, &plan.for_exam_point(&code), "2027-05-20T00:00:00Z", "hub", "00").unwrap();
        tx.commit().unwrap();
    }
    // The hub's address is known but nothing listens there yet: the uplink is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(
        box_dir.join("ppe.toml"),
        format!("ppe_code = \"{code}\"\n[hub]\nurl = \"http://127.0.0.1:{port}\"\nca_file = \"keys/hub-ca.crt\"\nsigning_public_key = \"00\"\n[heartbeat]\ninterval_secs = 1\n"),
    )
    .unwrap();
    let clock = Clock::simulated(t("2027-05-27T02:10:00Z"), 1.0);
    let ctx = ppe::context::EdgeContext::open(&box_dir.join("ppe.toml")).unwrap().with_clock(clock.clone());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let reporter = ppe::edge::reporter::spawn_box_reporter(&ctx).unwrap();
        let hub = open_hub(&hub_db_path, clock.clone());
        let pages = MonitoringPages { secure_cookies: false, ..MonitoringPages::new(hub.clone()) };
        // The outage: whatever answers at the hub's address drops every connection. The box
        // keeps trying (each beat a new connection) and nothing reaches the hub.
        let outage = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let tries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let dropper = {
            let tries = tries.clone();
            tokio::spawn(async move {
                while let Ok((conn, _)) = outage.accept().await {
                    tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    drop(conn);
                }
            })
        };
        let started = Instant::now();
        while tries.load(std::sync::atomic::Ordering::SeqCst) < 2 {
            assert!(started.elapsed() < Duration::from_secs(20), "the box stopped trying during the outage");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(hub.row(EXAM, &code).unwrap().last_seen_at.is_none(), "no report got through the outage");
        dropper.abort();
        let _ = dropper.await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let app = box_router(pages).layer(axum::Extension(BoxIdentity { ppe_code: code.clone() }));
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let started = Instant::now();
        let row = loop {
            let row = hub.row(EXAM, &code).unwrap();
            if row.last_seen_at.is_some() {
                break row;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "no heartbeat reached the hub");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(row.stage, Stage::Pulling, "window open, nothing pulled yet");
        assert_eq!(row.attendance.planned as usize, planned);
        assert_eq!(row.health, ppe::monitoring::Health::OnTrack, "{}", row.reason);
        assert!(row.clock_offset_ms.unwrap().abs() < 5_000, "same clock on both sides");
        reporter.abort();
        server.abort();
    });
}
