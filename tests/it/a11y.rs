//! Both UIs usable by anyone (issue 21, WCAG 2.1 AA): headless Chromium visits every page of the
//! box UI and of the hub's dashboard, injects the stock axe-core checker (npm, cached under
//! `target/axe-npm`) and fails on any `serious` or `critical` violation of the WCAG 2.0/2.1 A
//! and AA rules. The pages come from the routers' own GET routes (the box's access table, the
//! hub's router source), so a new page cannot be left out silently. The box UI is also measured
//! on a 10" tablet (1280×800 and 800×1280): no horizontal scroll, touch targets ≥ 44 px; one
//! screenshot at that size goes under `target/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use ppe::web::access::{self, Role};

use crate::common::Driver;

const EXAM: &str = "ege-02";
/// The ИС-9 exam of `oral.rs`' interview box.
const ORAL_EXAM: &str = "is-9";
const PASSWORD: &str = "пароль-станции-1";
/// The axe-core release the check runs (MPL-2.0); bump it deliberately, it adds rules.
const AXE: &str = "axe-core@4.14.1";
const TABLET: [(u32, u32); 2] = [(1280, 800), (800, 1280)];

/// `axe.min.js`, npm-installed under `target/axe-npm` on first use (like the tus peers).
fn axe_source() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/axe-npm");
    let file = dir.join("node_modules/axe-core/axe.min.js");
    let version = AXE.rsplit('@').next().unwrap_or_default();
    let installed = std::fs::read_to_string(dir.join("node_modules/axe-core/package.json")).unwrap_or_default();
    if !file.exists() || !installed.contains(&format!("\"version\": \"{version}\"")) {
        std::fs::create_dir_all(&dir).unwrap();
        let o = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(AXE)
            .output()
            .expect("npm (Debian package npm) must be installed");
        assert!(o.status.success(), "npm install {AXE}: {}", String::from_utf8_lossy(&o.stderr));
    }
    std::fs::read_to_string(&file).unwrap()
}

/// What axe finds on the page now: (serious or critical violations, the rest), one line each
/// with the rule, its help and the selectors of up to five offending elements.
async fn axe_run(driver: &Driver, axe: &str) -> (Vec<String>, Vec<String>) {
    if driver.js("return typeof window.axe;").await != "object" {
        driver.js(&format!("{axe}\n;return typeof window.axe;")).await;
    }
    let script = r#"var done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
          .then(function (r) {
            done(r.violations.map(function (v) {
              return [v.impact, v.impact + ' ' + v.id + ' (' + v.help + '): ' + v.nodes.slice(0, 5).map(function (n) { return n.target.join(' '); }).join(' | ')];
            }));
          })
          .catch(function (e) { done([['critical', 'axe failed: ' + e]]); });"#;
    let found = driver.call(reqwest::Method::POST, "/execute/async", serde_json::json!({"script": script, "args": []})).await;
    let (mut grave, mut rest) = (Vec::new(), Vec::new());
    for v in found.as_array().cloned().unwrap_or_default() {
        let (impact, line) = (v[0].as_str().unwrap_or("").to_string(), v[1].as_str().unwrap_or("").to_string());
        if impact == "serious" || impact == "critical" {
            grave.push(line)
        } else {
            rest.push(line)
        }
    }
    (grave, rest)
}

/// Horizontal scroll of the page and controls smaller than a finger (44 px), as seen now.
const TABLET_CHECK: &str = r#"
    var out = [], de = document.documentElement;
    if (de.scrollWidth > de.clientWidth + 1) out.push('horizontal scroll: ' + de.scrollWidth + ' > ' + de.clientWidth);
    document.querySelectorAll('button, input:not([type=hidden]), select, textarea, a.button, header a, nav a, li a, summary').forEach(function (e) {
      var t = ((e.type === 'checkbox' || e.type === 'radio') && e.closest('label')) || e;
      var r = t.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) return;
      if (r.width < 44 || r.height < 44) out.push('small target ' + e.outerHTML.slice(0, 90) + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
    });
    return out;"#;

/// What every page declares: Russian, a viewport for tablets, a title, the icon.
const HEAD_CHECK: &str = r#"
    var v = document.querySelector('meta[name=viewport]'), i = document.querySelector('link[rel=icon]');
    if (document.documentElement.lang !== 'ru') return 'lang is not ru';
    if (!v || v.content.indexOf('width=device-width') < 0) return 'no viewport';
    if (!document.title.trim()) return 'no title';
    if (!i || i.getAttribute('href') !== '/favicon.svg') return 'no favicon link';
    return 'ok';"#;

/// The icon is served as SVG, cached, to anyone (the login page shows it too).
async fn assert_favicon(base: &str) {
    let resp = reqwest::get(format!("{base}/favicon.svg")).await.unwrap();
    assert_eq!(resp.status(), 200);
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(header("content-type"), "image/svg+xml");
    assert!(header("cache-control").contains("max-age="), "{}", header("cache-control"));
    assert!(resp.text().await.unwrap().starts_with("<svg"), "an SVG");
}

/// Makes the page's viewport exactly `width`×`height` CSS pixels (Chromium's device metrics,
/// as its device toolbar does; resizing the window leaves the browser's frame in between).
async fn set_window(driver: &Driver, (width, height): (u32, u32)) {
    let params = serde_json::json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false});
    driver.call(reqwest::Method::POST, "/goog/cdp/execute", serde_json::json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": params})).await;
    let now = driver.js("return [window.innerWidth, window.innerHeight];").await;
    assert_eq!(now, serde_json::json!([width, height]), "the viewport could not be sized to {width}×{height}");
}

/// Back to the window's own size.
async fn reset_window(driver: &Driver) {
    driver.call(reqwest::Method::POST, "/goog/cdp/execute", serde_json::json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})).await;
}

/// Opens `path`, checks it with axe (and on the tablet when asked); returns what failed.
struct Walk<'a> {
    driver: &'a Driver,
    base: String,
    axe: String,
    failures: Vec<String>,
    visited: Vec<String>,
    minor: usize,
}

impl Walk<'_> {
    async fn check(&mut self, label: &str, tablet: bool) {
        let title = self.driver.js("return document.title;").await.as_str().unwrap_or("").to_string();
        let head = self.driver.js(HEAD_CHECK).await;
        if head != "ok" {
            self.failures.push(format!("{label} «{title}»: {head}"));
        }
        let (grave, rest) = axe_run(self.driver, &self.axe).await;
        for line in grave {
            self.failures.push(format!("{label} «{title}»: {line}"));
        }
        for line in &rest {
            eprintln!("a11y (moderate/minor) {label}: {line}");
        }
        self.minor += rest.len();
        if tablet {
            for size in TABLET {
                set_window(self.driver, size).await;
                for problem in self.driver.js(TABLET_CHECK).await.as_array().cloned().unwrap_or_default() {
                    self.failures.push(format!("{label} at {}×{}: {}", size.0, size.1, problem.as_str().unwrap_or("")));
                }
            }
            reset_window(self.driver).await;
        }
        self.visited.push(label.to_string());
    }

    async fn visit(&mut self, path: &str, tablet: bool) {
        self.driver.goto(&format!("{}{path}", self.base)).await;
        self.check(path, tablet).await;
    }

    /// The checker itself works here: a page with an unlabelled field, an image without text
    /// and grey-on-white text is refused, and the tablet check sees a tiny button.
    async fn canary(&mut self) {
        let page = "data:text/html;charset=utf-8,<!doctype html><html lang=ru><title>t</title><main><img src=x.png><input><p style='color:%23aaa'>серый</p><button style='height:20px'>x</button><div style='width:3000px'>широко</div></main>";
        self.driver.goto(page).await;
        let (grave, _) = axe_run(self.driver, &self.axe).await;
        for rule in ["image-alt", "label", "color-contrast"] {
            assert!(grave.iter().any(|l| l.contains(&format!(" {rule} "))), "axe must refuse {rule} on the canary page: {grave:?}");
        }
        set_window(self.driver, TABLET[1]).await;
        let tablet = self.driver.js(TABLET_CHECK).await.to_string();
        assert!(
            tablet.contains("horizontal scroll") && tablet.contains("small target <button"),
            "the tablet check must see the canary's faults: {tablet}"
        );
        reset_window(self.driver).await;
    }

    fn finish(self, what: &str) {
        eprintln!("a11y {what}: {} pages, {} moderate/minor findings", self.visited.len(), self.minor);
        assert!(self.failures.is_empty(), "{what}: serious/critical accessibility failures:\n{}", self.failures.join("\n"));
    }
}

/// The GET paths a router file registers (`.route("/path", get(…))`), in order.
fn get_routes_in(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    text.split(".route(")
        .skip(1)
        .filter_map(|r| {
            let path = r.strip_prefix('"')?.split('"').next()?;
            let rest = &r[path.len() + 2..];
            let handler = rest.split(')').next().unwrap_or("");
            handler.trim_start_matches(',').trim().starts_with("get(").then(|| path.to_string())
        })
        .collect()
}

fn screenshots_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn login(driver: &Driver, base: &str, login: &str) {
    login_with(driver, base, login, PASSWORD).await
}

async fn login_with(driver: &Driver, base: &str, login: &str, password: &str) {
    driver.goto(&format!("{base}/login")).await;
    driver.type_into("#login", login).await;
    driver.type_into("#password", password).await;
    driver.click("#submit").await;
    driver.wait_text("return (document.querySelector('.user')||{textContent:''}).textContent;", login).await;
}

async fn logout(driver: &Driver, base: &str) {
    driver.goto(&format!("{base}/")).await;
    driver.click("header form button").await;
    // The answer clears the session cookie: wait for it before the next login (cookies are per host).
    driver.wait_text("return document.title;", "Вход").await;
}

/// The query a box page needs to show its real content, not a refusal.
fn box_query(path: &str) -> String {
    match path {
        "/" | "/audit" | "/accounts" | "/desk" => path.to_string(),
        _ => format!("{path}?exam={EXAM}"),
    }
}

#[test]
fn every_box_page_passes_axe_wcag_2_1_aa_and_fits_a_10_inch_tablet() {
    let tmp = tempfile::tempdir().unwrap();
    let config = crate::webui::make_box(tmp.path());
    let (base, _http, rt) = crate::webui::serve_ui(ppe::context::EdgeContext::open(&config).unwrap());
    let axe = axe_source();
    // Pages that are not pages: the stylesheet, scripts, icon and the desk's event stream.
    let not_pages = ["/static/app.css", "/static/app.js", "/static/gek-webauthn.js", "/favicon.svg", "/desk/events"];
    let router_gets = get_routes_in("src/web.rs");
    // The oral pages with their content: the ИС-9 box of `oral.rs`, its rooms' examiner and expert.
    let oral_dir = tmp.path().join("oral");
    let (oral_config, _) = crate::oral::interview_box(&oral_dir);
    {
        use ppe::roster::{Post, RosterEntry};
        let mut db = ppe::store::open(&oral_dir.join("state/ppe.db")).unwrap();
        let roster = [
            RosterEntry { worker_id: "W900003".into(), post: Post::Examiner { auditorium: "103".into() } },
            RosterEntry { worker_id: "W900001".into(), post: Post::Expert { auditorium: "103".into() } },
        ];
        let tx = db.transaction().unwrap();
        ppe::roster::store::roster_replace(&tx, ORAL_EXAM, crate::upload::PPE, &roster).unwrap();
        tx.commit().unwrap();
        ppe::accounts::create_account(&mut db, "head1", "W000001", ppe::model::WorkerRole::Head, PASSWORD, "2027-02-14T01:00:00Z").unwrap();
    }
    let (oral_base, _oral_http, _oral_rt) = crate::webui::serve_ui(ppe::context::EdgeContext::open(&oral_config).unwrap());
    rt.block_on(async {
        let driver = Driver::start().await;
        let mut walk = Walk { driver: &driver, base: base.clone(), axe, failures: Vec::new(), visited: Vec::new(), minor: 0 };
        walk.canary().await;
        assert_favicon(&base).await;
        // First start: the setup form, before any account exists.
        walk.visit("/setup", true).await;
        {
            let mut db = ppe::store::open(&tmp.path().join("state/ppe.db")).unwrap();
            for role in Role::ALL {
                ppe::accounts::create_account(
                    &mut db,
                    &format!("{role:?}").to_lowercase(),
                    "W1",
                    role.worker_role(),
                    PASSWORD,
                    "2027-05-27T00:00:00Z",
                )
                .unwrap();
            }
        }
        walk.visit("/login", true).await;
        // A refused login: the message with the form.
        driver.type_into("#login", "tech").await;
        driver.type_into("#password", "не-тот-пароль").await;
        driver.click("#submit").await;
        driver.wait_text("return document.querySelector('.error') ? 'refused' : '';", "refused").await;
        walk.check("/login (refused)", false).await;

        // The day's data, so tables are full: seating, roster, kits; each says back in a flash.
        login(&driver, &base, "tech").await;
        for (path, button) in [("/seating", "#seat"), ("/roster", "#roster-assign"), ("/attendance", "#issue-kits")] {
            driver.goto(&format!("{base}{}", box_query(path))).await;
            driver.click(button).await;
            driver.wait_text("return document.getElementById('msg') ? 'said' : '';", "said").await;
        }
        walk.check("/attendance (after an action)", false).await;

        // Every page behind a login, each as the first role allowed it.
        let mut as_role = Role::Tech;
        for route in access::ROUTES.iter().filter(|r| r.method == "GET" && !not_pages.contains(&r.path)) {
            let role = *Role::ALL.iter().find(|r| access::allowed(**r, route.action)).unwrap_or_else(|| panic!("nobody may see {}", route.path));
            if role != as_role {
                logout(&driver, &base).await;
                login(&driver, &base, &format!("{role:?}").to_lowercase()).await;
                as_role = role;
            }
            walk.visit(&box_query(route.path), true).await;
        }
        // The tablet screenshot, upright, on a full page, as the technical specialist sees it.
        driver.goto(&format!("{base}/seating?exam={EXAM}")).await;
        set_window(&driver, (800, 1280)).await;
        let png = driver.screenshot().await;
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a tablet screenshot of {} bytes", png.len());
        std::fs::write(screenshots_dir().join("box-tablet-seating.png"), png).unwrap();

        // The error pages: a page that is not there, a page the role may not see.
        walk.visit("/materials?exam=no-such-exam", false).await;
        logout(&driver, &base).await;
        login(&driver, &base, "organizer").await;
        walk.visit("/upload", false).await;

        // The oral exam (another box: cookies are per host, so the first box is done with): the
        // head builds the queues and runs one answer; the expert's protocol form for it.
        logout(&driver, &base).await;
        walk.base = oral_base.clone();
        login(&driver, &oral_base, "head1").await;
        driver.goto(&format!("{oral_base}/oral?exam={ORAL_EXAM}")).await;
        driver.click("#oral-build").await;
        driver.wait_text("return (document.getElementById('msg')||{textContent:''}).textContent;", "очереди построены").await;
        driver.goto(&format!("{oral_base}/oral?exam={ORAL_EXAM}&auditorium=103")).await;
        for kind in ["start", "finish"] {
            driver.click(&format!("button[data-kind={kind}]")).await;
            driver.wait_text("return document.getElementById('msg') ? 'said' : '';", "said").await;
        }
        walk.visit(&format!("/oral?exam={ORAL_EXAM}&auditorium=103"), true).await;
        logout(&driver, &oral_base).await;
        login_with(&driver, &oral_base, "expert1", "пароль-эксперта").await;
        walk.visit(&format!("/oral/protocols?exam={ORAL_EXAM}&auditorium=103"), true).await;
        assert!(
            driver.js("return document.querySelectorAll('form[action=\"/oral/score\"] select').length;").await.as_u64().unwrap_or(0) > 0,
            "the expert's protocol form was checked"
        );

        let visited = walk.visited.clone();
        driver.quit().await;
        for path in &router_gets {
            let covered = not_pages.contains(&path.as_str())
                || visited.iter().any(|v| v == path || v.starts_with(&format!("{path}?")) || v.starts_with(&format!("{path} ")));
            assert!(covered, "the box router serves GET {path}, which the accessibility walk does not visit");
        }
        walk.finish("box UI");
    });
}

/// Posts one heartbeat through the hub's box router as the box itself (what mTLS would insert).
async fn hub_beat(pages: &ppe::monitoring::pages::MonitoringPages, code: &str, at: &str) {
    use tower::ServiceExt;
    let report = serde_json::json!({
        "ppe_code": code, "exam_id": EXAM, "box_time": at, "stage": "uploading",
        "materials": {"pulled": true, "verified": true, "manifest_version": 1, "key_received": true, "printed": true},
        "attendance": {"planned": 40, "present": 38, "absent": 2, "closed": true},
        "pages": {"expected": 152, "scanned": 152, "missing": 0},
        "upload": {"bytes_done": 10_000_000, "bytes_total": 40_000_000, "files_done": 38, "files_total": 153},
        "last_error": "сканер: замятие бумаги в автоподатчике"
    });
    let router = ppe::monitoring::pages::box_router(pages.clone()).layer(axum::Extension(ppe::context::BoxIdentity { ppe_code: code.to_string() }));
    let req = axum::http::Request::post("/v1/heartbeat")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(report.to_string()))
        .unwrap();
    let status = router.oneshot(req).await.unwrap().status();
    assert_eq!(status, 200, "the heartbeat of {code}");
}

#[test]
fn every_hub_page_passes_axe_wcag_2_1_aa() {
    use ppe::monitoring::accounts::{create_operator, OperatorRole};
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("hub.db");
    let codes = {
        let mut conn = ppe::store::open(&db_path).unwrap();
        let plan = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 3, participants: 120, ..Default::default() });
        let tx = conn.transaction().unwrap();
        ppe::plan::store::replace_plan(&tx, &plan, "2027-05-01T00:00:00Z", "test", "00").unwrap();
        tx.commit().unwrap();
        create_operator(&mut conn, "admin1", OperatorRole::Admin, PASSWORD, "2027-05-01T00:00:00Z", "test").unwrap();
        ppe::plan::store::exam_points_of_exam(&conn, EXAM).unwrap()
    };
    let now = "2027-05-27T07:00:00Z";
    let clock = ppe::clock::Clock::simulated(ppe::monitoring::parse_time(now).unwrap(), 1.0);
    let hub =
        ppe::monitoring::live::MonitoringHub::open(&db_path, clock, Default::default(), std::sync::Arc::new(ppe::monitoring::live::HubUploadStore))
            .unwrap();
    let pages = ppe::monitoring::pages::MonitoringPages { secure_cookies: false, ..ppe::monitoring::pages::MonitoringPages::new(hub.clone()) };
    let axe = axe_source();
    let not_pages = ["/v1/status", "/v1/events", "/metrics", "/v1/status/readiness", "/favicon.svg"];
    let mut router_gets = get_routes_in("src/monitoring/pages.rs");
    router_gets.extend(get_routes_in("src/monitoring/pages/gek.rs"));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        hub_beat(&pages, &codes[0], "2027-05-27T06:59:58Z").await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = ppe::monitoring::pages::operator_router(pages.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let driver = Driver::start().await;
        let mut walk = Walk { driver: &driver, base: base.clone(), axe, failures: Vec::new(), visited: Vec::new(), minor: 0 };
        walk.canary().await;
        assert_favicon(&base).await;
        walk.visit("/login", false).await;
        driver.type_into("#password", "не-тот-пароль").await;
        driver.type_into("#login", "admin1").await;
        driver.click("#submit").await;
        driver.wait_text("return document.querySelector('.err') ? 'refused' : '';", "refused").await;
        walk.check("/login (refused)", false).await;
        driver.type_into("#login", "admin1").await;
        driver.type_into("#password", PASSWORD).await;
        driver.click("#submit").await;
        driver.wait_text("return document.getElementById('live') ? 'dashboard' : '';", "dashboard").await;
        driver.wait_text("return document.getElementById('live').textContent;", "обновляется").await;
        walk.check("/", false).await;
        for path in [
            format!("/ppe/{EXAM}/{}", codes[0]),
            format!("/ppe/{EXAM}/{}", codes[1]),
            "/admin/operators".into(),
            "/readiness".into(),
            "/admin/gek".into(),
        ] {
            walk.visit(&path, false).await;
        }
        walk.visit(&format!("/ppe/{EXAM}/no-such-point"), false).await;
        let visited = walk.visited.clone();
        driver.quit().await;
        server.abort();
        for path in &router_gets {
            let shape = |v: &str| {
                v.split('/').count() == path.split('/').count() && path.split('/').zip(v.split('/')).all(|(p, v)| p.starts_with('{') || p == v)
            };
            let covered = not_pages.contains(&path.as_str()) || visited.iter().any(|v| shape(v.split([' ', '?']).next().unwrap_or("")));
            assert!(covered, "the hub router serves GET {path}, which the accessibility walk does not visit");
        }
        walk.finish("hub dashboard");
    });
}

/// WCAG 2.x contrast ratio of two `#rrggbb` colours.
fn contrast(a: &str, b: &str) -> f64 {
    let luminance = |hex: &str| {
        let c = |i: usize| {
            let x = u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap() as f64 / 255.0;
            if x <= 0.03928 {
                x / 12.92
            } else {
                ((x + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * c(0) + 0.7152 * c(1) + 0.0722 * c(2)
    };
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The dashboard paints a badge per point in its health's colour with white text, also on
/// live updates (rows in every state are not all on the walked pages): each colour must keep
/// white text readable (≥ 4.5:1, WCAG 1.4.3).
#[test]
fn every_health_colour_of_the_dashboard_keeps_white_text_readable() {
    assert!(contrast("#767676", "#ffffff") >= 4.5 && contrast("#777777", "#ffffff") < 4.5, "the ratio is WCAG's");
    for health in ppe::monitoring::Health::ALL {
        let ratio = contrast(health.colour(), "#ffffff");
        assert!(ratio >= 4.5, "{health:?}: white on {} is {ratio:.2}:1", health.colour());
    }
}
