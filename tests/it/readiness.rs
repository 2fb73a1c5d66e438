//! Technical readiness the day before, through the real binary with a real cupsd + cups-pdf and
//! a real hub over mutual TLS on 127.0.0.1: the run prints each station's test page with its own
//! sheet code; while the pages are not scanned back the point is reported and shown on the
//! dashboard as not ready, naming each printer; the cups-pdf output rendered by pdftoppm is the
//! "scan", and once every page's code is read back the point is ready on the dashboard (JSON
//! and HTML) while the other point of the exam shows no report. ППЭ-01-01, 01-02 and 01 come
//! out of the run whole, signable, and with a sheet code that reads back.

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Instant;

use crate::common::*;
use crate::formcheck::{assert_signatures, assert_whole, render_png, text_layout};
use crate::materials::{s, Hub, World, EXAM};

const DAY_BEFORE: &str = "2027-05-26T09:00:00Z";
const PASSWORD: &str = "correct-horse-42";

fn configure(w: &World, cups: &Cupsd, inbox: &Path) {
    let mut v: toml::Value = toml::from_str(&std::fs::read_to_string(&w.box_toml).unwrap()).unwrap();
    let table = |pairs: &[(&str, toml::Value)]| toml::Value::Table(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect());
    let t = v.as_table_mut().unwrap();
    t.insert("printer".into(), table(&[("name", cups.printer.clone().into()), ("cups_uri", cups.uri().into())]));
    t.insert("scanner".into(), table(&[("inbox", s(inbox).into()), ("resolution_dpi", 300.into())]));
    t.insert("readiness".into(), table(&[("min_free_disk_mb", 64.into()), ("test_print_wait_secs", 30.into())]));
    std::fs::write(&w.box_toml, toml::to_string(&v).unwrap()).unwrap();
}

/// The box's command at the hub's simulated time (the hub's clock started at `DAY_BEFORE`).
fn edge_now(w: &World, hub: &Hub, started: Instant, args: &[&str]) -> Output {
    let now = (chrono::DateTime::parse_from_rfc3339(DAY_BEFORE).unwrap() + chrono::Duration::from_std(started.elapsed()).unwrap()).to_rfc3339();
    let mut all = args.to_vec();
    all.extend_from_slice(&["--now", &now]);
    let o = w.edge(hub, &all);
    assert!(o.status.success(), "ppe edge {args:?}: {}{}", stdout(&o), stderr(&o));
    o
}

fn show(w: &World, hub: &Hub, started: Instant) -> serde_json::Value {
    serde_json::from_str(&stdout(&edge_now(w, hub, started, &["readiness", "show", "--exam", EXAM, "--json"]))).unwrap()
}

/// The dashboard's readiness of the exam day as an operator reads it: the JSON and the page.
fn dashboard(w: &World) -> (serde_json::Value, String) {
    use ppe::monitoring::live::{HubUploadStore, MonitoringHub};
    let db = w.dir.join("hub/state/hub.db");
    let mut conn = ppe::store::open(&db).unwrap();
    // The second look finds the operator made by the first.
    let _ = ppe::monitoring::accounts::create_operator(
        &mut conn,
        "viewer1",
        ppe::monitoring::accounts::OperatorRole::Viewer,
        PASSWORD,
        "2027-05-01T00:00:00Z",
        "test",
    );
    let clock = ppe::clock::Clock::simulated(ppe::clock::parse_now(DAY_BEFORE).unwrap(), 1.0);
    let hub = MonitoringHub::open(&db, clock, ppe::monitoring::StatusRules::default(), Arc::new(HubUploadStore)).unwrap();
    let pages = ppe::monitoring::pages::MonitoringPages { secure_cookies: false, ..ppe::monitoring::pages::MonitoringPages::new(hub) };
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let cookie = crate::monitoring::login(&pages, "viewer1", PASSWORD).await.unwrap();
        let (status, json) = crate::monitoring::get(&pages, "/v1/status/readiness", Some(&cookie)).await;
        assert_eq!(status, 200, "{json}");
        let (status, html) = crate::monitoring::get(&pages, "/readiness", Some(&cookie)).await;
        assert_eq!(status, 200, "{html}");
        (serde_json::from_str(&json).unwrap(), html)
    })
}

fn point<'a>(day: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    day["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ppe_code"] == code && p["exam_id"] == EXAM)
        .unwrap_or_else(|| panic!("{code} on the dashboard: {day}"))
}

#[test]
fn a_point_is_ready_on_the_dashboard_only_once_every_test_page_is_scanned_back() {
    let w = World::new(&[2_000], 65_536);
    let cups = Cupsd::start();
    let inbox = w.dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    configure(&w, &cups, &inbox);
    let hub = Hub::start(&w.hub_toml, DAY_BEFORE);
    let started = Instant::now();
    assert!(w.edge(&hub, &["prestage", "--exam", EXAM]).status.success());
    // Seated the day before: the stations checked are the seated rooms' and the staff room's.
    assert!(w.edge(&hub, &["seat", "--exam", EXAM]).status.success());

    // The run: every test page printed through CUPS, none scanned back yet.
    let o = edge_now(&w, &hub, started, &["readiness", "run", "--exam", EXAM]);
    assert!(stdout(&o).contains("ppe edge readiness scan"), "{}", stdout(&o));
    let view = show(&w, &hub, started);
    let stations = view["facts"]["stations"].as_array().unwrap().clone();
    assert!(stations.len() >= 2, "the staff room and the auditoriums: {view}");
    let failing: Vec<&str> = view["failing"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(!view["ready"].as_bool().unwrap());
    assert_eq!(failing.len(), stations.len(), "only the printers fail, each once: {failing:#?}");
    assert!(failing.iter().all(|f| f.contains("тестовая страница") && f.contains("не отсканирована")), "{failing:#?}");
    assert!(failing.iter().any(|f| f.starts_with("Аудитория ")) && failing.iter().any(|f| f.starts_with("Штаб ППЭ")), "{failing:#?}");

    // Reported so: the dashboard shows the point not ready, naming the printer check.
    assert!(stdout(&edge_now(&w, &hub, started, &["readiness", "report", "--exam", EXAM])).contains("НЕ готов"));
    let (day, html) = dashboard(&w);
    assert_eq!(day["date"], "2027.05.27", "the next exam day by the hub's clock");
    let p = point(&day, "0101");
    assert_eq!(p["readiness"]["state"], "not_ready", "{p}");
    assert!(p["readiness"]["failing"][0].as_str().unwrap().contains("не отсканирована"), "{p}");
    assert_eq!(point(&day, "0102")["readiness"]["state"], "not_reported");
    assert!(html.contains("не готов") && html.contains("не отсканирована") && html.contains("нет отчёта"));

    // The scan: each job's cups-pdf output rendered at 150 dpi, into the scanner's inbox; the
    // staff room's page alone first.
    let job = |st: &serde_json::Value| st["printer"]["test_page"]["cups_job_id"].as_i64().unwrap();
    let scan = |st: &serde_json::Value| {
        let pdf = std::fs::read(cups.output_of(job(st))).unwrap();
        let png = render_png(&pdf, 150, 0.0).remove(0);
        std::fs::write(inbox.join(format!("{}.png", st["station"].as_str().unwrap())), png).unwrap();
    };
    let staff = stations.iter().find(|st| st["station"] == "staff").unwrap();
    scan(staff);
    let o = edge_now(&w, &hub, started, &["readiness", "scan", "--exam", EXAM]);
    assert!(stdout(&o).contains("распознано тестовых страниц: 1 (staff)"), "{}", stdout(&o));
    assert_eq!(show(&w, &hub, started)["failing"].as_array().unwrap().len(), stations.len() - 1);
    for st in stations.iter().filter(|st| st["station"] != "staff") {
        scan(st);
    }
    edge_now(&w, &hub, started, &["readiness", "scan", "--exam", EXAM]);
    let view = show(&w, &hub, started);
    assert!(view["ready"].as_bool().unwrap(), "{view:#}");
    assert!(stdout(&edge_now(&w, &hub, started, &["readiness", "report", "--exam", EXAM])).contains("ППЭ готов"));
    let (day, html) = dashboard(&w);
    assert_eq!(point(&day, "0101")["readiness"]["state"], "ready", "{day}");
    assert!(html.contains("data-state=\"готов\""), "{html}");

    // The papers of the run: whole, signable, each page with a sheet code that reads back.
    let out = w.dir.join("forms");
    edge_now(&w, &hub, started, &["readiness", "forms", "--exam", EXAM, "--out", s(&out)]);
    let key = ppe::sheet_code::sheet_key(&std::fs::read(w.dir.join("box/keys/signing.pk8")).unwrap());
    let room = stations.iter().find_map(|st| st["auditorium"].as_str()).unwrap();
    let forms = [
        (
            format!("ppe-01-01-{room}.pdf"),
            3,
            vec![
                "ППЭ-01-01",
                "Протокол технической готовности аудитории",
                "Тестовая страница напечатана и распознана со скана",
                "Технический специалист",
            ],
        ),
        (
            "ppe-01-02.pdf".to_string(),
            3,
            vec!["ППЭ-01-02", "Протокол технической готовности штаба ППЭ", "Расхождение часов с РЦОИ", "Разрешение сканирования"],
        ),
        (
            "ppe-01.pdf".to_string(),
            2,
            vec!["ППЭ-01", "Акт готовности ППЭ", "Аудиторий в ППЭ", "готов к проведению экзамена", "Руководитель ППЭ", "Член ГЭК"],
        ),
    ];
    for (file, signatures, words) in forms {
        let pdf = std::fs::read(out.join(&file)).unwrap();
        let text = text_layout(&pdf);
        let mut expected = words.clone();
        if file.starts_with("ppe-01-01") {
            expected.extend(["Аудитория", room]);
        }
        assert_whole(&text, &expected);
        assert_signatures(&pdf, signatures);
        let png = render_png(&pdf, 150, 0.0).remove(0);
        let codes = ppe::scanning::intake::decode_codes(&png);
        let id =
            codes.iter().find_map(|c| ppe::sheet_code::decode(c, &key).ok()).unwrap_or_else(|| panic!("{file}: no sheet code read back: {codes:?}"));
        assert_eq!((id.exam_id.as_str(), id.ppe_code.as_str(), id.kind), (EXAM, "0101", ppe::sheet_code::SheetKind::Statement), "{file}");
    }
}
