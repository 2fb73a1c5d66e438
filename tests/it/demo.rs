//! `ppe demo` comes up on its embedded defaults and serves both the hub and the box pages.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use crate::common::*;

/// A minimal HTTP/1.1 GET over a plain socket (the test needs no client library).
pub fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

#[test]
fn demo_prints_urls_and_serves_hub_and_box_pages() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(ppe_bin())
        .args(["demo", "--dir", dir.path().to_str().unwrap(), "--exit-after", "60", "--points", "2", "--participants", "200"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut hub, mut edge) = (None, None);
    while hub.is_none() || edge.is_none() {
        let line = lines.next().expect("demo ended before printing its URLs").unwrap();
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://") || w.starts_with("https://")) {
            if line.contains("РЦОИ") {
                hub = Some(url.to_string());
            } else if line.contains("box of exam point") {
                edge = Some(url.to_string());
            }
        }
    }
    // The dashboard is for logged-in operators: the root sends a browser to the login page.
    let hub = hub.unwrap();
    let (status, head) = http_get(&hub);
    assert!((300..400).contains(&status) && head.contains("/login"), "{head}");
    let (status, body) = http_get(&format!("{hub}login"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("РЦОИ") && body.contains("password"), "{body}");
    // The box UI, over HTTPS with a certificate from the demo hub's CA, asks staff to log in
    // (or, before any account exists, to start it up).
    let edge = edge.unwrap();
    assert!(edge.starts_with("https://"), "{edge}");
    let client = https_client(&dir.path().join("hub/keys/ca.crt"));
    let (status, headers, _) = https_get(&client, &edge);
    let location = headers.get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(status == 303 && (location == "/login" || location == "/setup"), "{status} {location}");
    let (status, _, body) = https_get(&client, &format!("{edge}static/app.css"));
    assert_eq!(status, 200, "{body}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn demo_plays_the_exam_day_to_a_verified_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(ppe_bin())
        .args(["demo", "--dir", dir.path().to_str().unwrap(), "--until-done", "--speed", "2000", "--points", "1", "--participants", "80"])
        .env("PPE_LOG", "warn")
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    // The harder day: two ЕГЭ of different lengths at once, in rooms of their own, each to its
    // own receipt.
    for exam in ["ege-02", "ege-22"] {
        for step in ["рассадка:", "член ГЭК активировал ключ", "комплектность полная", "выгрузка завершена: квитанция РЦОИ (подпись проверена)"]
        {
            assert!(out.lines().any(|l| l.contains(&format!("{exam}: ")) && l.contains(step)), "{exam}: step {step:?} missing from the demo:\n{out}");
        }
    }
    assert!(out.contains("exam day played to 2 receipts"), "{out}");
    // Every form's pages came back with the sheets and were matched: nothing for a person.
    for exam in ["ege-02", "ege-22"] {
        let line = out.lines().find(|l| l.contains(&format!("{exam}: сканирование:"))).unwrap_or_else(|| panic!("{exam}: no scanning line:\n{out}"));
        assert!(line.contains("форм с кодами") && line.contains("к разбору 0;") && !line.contains("из них 0 страниц"), "{line}");
    }
    // The demo's region satisfies every roster rule: no violation on either exam's roster.
    for exam in ["ege-02", "ege-22"] {
        let line =
            out.lines().find(|l| l.contains(&format!("{exam}: расстановка работников:"))).unwrap_or_else(|| panic!("{exam}: no roster line:\n{out}"));
        assert!(line.contains("нарушений правил 0"), "{line}");
    }
    assert!(out.contains("аудитории другого экзамена не заняты:"), "the second exam was seated beside the first:\n{out}");
    let conn = ppe::store::open(&dir.path().join("box/state/ppe.db")).unwrap();
    let rooms = |exam: &str| -> std::collections::BTreeSet<String> {
        ppe::seating::store::seat_assignments_for_exam(&conn, exam).unwrap().into_iter().map(|s| s.auditorium).collect()
    };
    assert!(rooms("ege-02").is_disjoint(&rooms("ege-22")), "{:?} {:?}", rooms("ege-02"), rooms("ege-22"));
    for step in [
        "план ППЭ получен от РЦОИ",
        "рассадка:",
        "рассадка отправлена в РЦОИ",
        "индивидуальные комплекты:",
        "ключ получен от РЦОИ по личному ключу члена ГЭК",
        "член ГЭК активировал ключ",
        "удалён 1, завершил досрочно 1",
        "комплектность полная",
        "квитанция РЦОИ (подпись проверена)",
    ] {
        assert!(out.contains(step), "step {step:?} missing from the demo:\n{out}");
    }
    // The hub holds what the box sent: the receipt is on the box and the audit chain verifies.
    let db = ppe::store::open(&dir.path().join("box/state/ppe.db")).unwrap();
    let entries = ppe::audit::store::all(&db).unwrap();
    assert_eq!(ppe::audit::verify_chain(ppe::audit::GENESIS, &entries).unwrap(), ppe::audit::store::head(&db).unwrap().1);
    for action in ["seating.run", "materials.activated", "attendance.removed", "attendance.finished_early", "attendance.kit_replaced"] {
        assert!(entries.iter().any(|e| e.action == action), "no {action} in the box's audit log");
    }
    // No decrypted material was written under the box's persistent folder (the hub's
    // plaintext source folder `materials/` is РЦОИ's, not the box's).
    let leaked = std::process::Command::new("grep").args(["-rl", "KIM demo variant", dir.path().join("box").to_str().unwrap()]).output().unwrap();
    assert!(stdout(&leaked).trim().is_empty(), "plaintext КИМ on persistent disk: {}", stdout(&leaked));

    // The scanner's pages went through the box daemon's inbox, and the upload started by itself.
    assert!(entries.iter().any(|e| e.action == "scan.page_stored" && e.actor == "inbox"), "pages did not come through the daemon's inbox");
    assert!(out.contains("выгрузка началась сама"), "{out}");

    // РЦОИ reproduces the seating the demo's box reported from its own plan and seed.
    let ppe_code = ppe::context::EdgeContext::open(&dir.path().join("box/ppe.toml")).unwrap().config.ppe_code;
    let hub_toml = dir.path().join("hub/hub.toml");
    let o = ppe(&["hub", "verify-seating", "--exam", "ege-02", "--ppe", &ppe_code, "--config", hub_toml.to_str().unwrap()]);
    assert!(o.status.success() && stdout(&o).contains("совпадает"), "verify-seating: {}{}", stdout(&o), stderr(&o));

    // `ppe edge status` on the finished day: complete, receipt held.
    let config = dir.path().join("box/ppe.toml");
    let now = "2027-05-27T09:00:00Z";
    let status_json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["edge", "status", "--exam", "ege-02", "--now", now, "--config", config.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = ppe(&args);
        assert!(o.status.success(), "edge status: {}", stderr(&o));
        if extra.contains(&"--json") {
            serde_json::from_str(&stdout(&o)).unwrap()
        } else {
            serde_json::Value::String(stdout(&o))
        }
    };
    let s = status_json(&["--json"]);
    let exam = &s["exams"][0];
    assert_eq!(exam["exam_id"], "ege-02", "{s}");
    assert_eq!(exam["complete"], true, "{s}");
    assert_eq!(exam["stage"], "uploaded", "{s}");
    assert!(exam["upload"]["receipt_id"].is_string(), "{s}");
    assert_eq!(exam["missing"].as_array().unwrap().len(), 0, "{s}");
    // A stray page (no readable code) arrives late: the status says exactly what needs a person.
    let stray = dir.path().join("stray");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("x.png"), ppe::demo::autopilot::render_scanned_page("not a sheet code").unwrap()).unwrap();
    let o = ppe(&["edge", "scan", "--exam", "ege-02", "--from", stray.to_str().unwrap(), "--config", config.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = status_json(&["--json"]);
    assert_eq!(s["exams"][0]["complete"], false, "{s}");
    assert_eq!(s["exams"][0]["to_resolve"], 1, "{s}");
    let text = status_json(&[]);
    assert!(text.as_str().unwrap().contains("страниц ждут разбора: 1"), "{text}");
}
