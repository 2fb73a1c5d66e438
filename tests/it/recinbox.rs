//! Recordings through the box daemon and on the РЦОИ dashboard (issue 18 items 4 and 7): the
//! box's duties (as `ppe edge serve` runs them, in process on a simulated exam-day clock) take
//! real espeak-ng recordings of an ИС-9 point from a station's export folder and a removable
//! medium while they run — only once a file stops growing; a silent one is kept with its reason
//! and named by completeness, and the upload waits; once a person sets it aside and a new take
//! arrives, the upload goes by itself to our hub and its receipt lists every recording. The
//! hub's dashboard, in headless Chromium, counts the point's recordings expected → received →
//! verified from the box's heartbeats and the hub's own records, live, without a reload.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ppe::clock::Clock;
use ppe::monitoring::live::{HubUploadStore, MonitoringHub};
use ppe::monitoring::pages::{operator_router, MonitoringPages};

use crate::common::Driver;
use crate::monitoring::beat;
use crate::recordings::{ffmpeg, run, speak};
use crate::upload::{make_box, start_hub, PPE};

const IS9: &str = "is-9";
const ROOM: &str = "103";
const PASSWORD: &str = "correct-horse-42";

/// The sample plan with an ИС-9 exam at exam point 0101: its first `n` participants registered.
fn is9_plan(n: usize) -> (ppe::model::Plan, Vec<String>) {
    let (mut plan, _) = ppe::plan::read_plan_file(&crate::common::fixture("plan-sample.json")).unwrap();
    let mut exam = plan.exams.iter().find(|e| e.exam_id == "ege-02").unwrap().clone();
    exam.exam_id = IS9.into();
    exam.kind = ppe::model::ExamKind::Interview;
    exam.level = 9;
    exam.subject_code = "01".into();
    exam.subject_name = "Итоговое собеседование по русскому языку".into();
    exam.date = "2027.02.10".into();
    exam.start = "09:00".into();
    plan.exams.push(exam);
    let people: Vec<String> = plan.participants.iter().take(n).map(|p| p.participant_id.clone()).collect();
    for p in &people {
        plan.registrations.push(ppe::model::Registration { exam_id: IS9.into(), participant_id: p.clone(), ppe_code: PPE.into() });
    }
    (plan, people)
}

/// The box's database: the plan, everyone seated in room 103 and present (attendance closed).
fn set_up_box(box_dir: &Path, plan: &ppe::model::Plan, people: &[String]) {
    std::fs::create_dir_all(box_dir.join("state")).unwrap();
    let mut conn = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, plan, "2027-02-01T00:00:00Z", "test", "-").unwrap();
    let seats: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(i, p)| ppe::model::SeatAssignment {
            exam_id: IS9.into(),
            participant_id: p.clone(),
            ppe_code: PPE.into(),
            auditorium: ROOM.into(),
            row: (i / 3 + 1) as u16,
            column: (i % 3 + 1) as u16,
            manual: false,
        })
        .collect();
    ppe::seating::store::replace_seating(&tx, IS9, PPE, &seats).unwrap();
    for p in people {
        let present = ppe::attendance::ExamEvent {
            medical_worker_id: String::new(),
            exam_id: IS9.into(),
            participant_id: p.clone(),
            kind: ppe::attendance::EventKind::Present,
            at: "2027-02-10T06:00:00Z".into(),
            reason: String::new(),
            gek_worker_id: String::new(),
            actor: "test".into(),
        };
        ppe::attendance::store::event_insert(&tx, &present, "2027-02-10T06:00:00Z").unwrap();
    }
    tx.commit().unwrap();
}

/// The recording station's name for participant `i`'s recording.
fn station_name(people: &[String], i: usize, ext: &str) -> String {
    format!("{PPE}_{ROOM}_{}_{}.{ext}", i + 1, people[i])
}

fn wait_for<T>(what: &str, limit: Duration, mut ready: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = ready() {
            return v;
        }
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_daemon_takes_is9_recordings_from_its_inboxes_and_the_dashboard_counts_them_to_verified() {
    let t = tempfile::tempdir().unwrap();
    let hub_dir = t.path().join("hub");
    let hub = start_hub(&hub_dir);
    let (plan, p) = is9_plan(4);
    hub.import_plan(&plan);
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &hub.url, &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    // Two inboxes: the station's export share, and a flash drive found by a glob wherever the
    // desktop mounts it. The drive's `.taken` is a file, so nothing can be moved there: it
    // stands for a read-only medium (the test runs as root, where permissions stop nothing).
    let station = t.path().join("station");
    let medium = t.path().join("media/tech/REC_0101");
    std::fs::create_dir_all(station.join(IS9)).unwrap();
    std::fs::create_dir_all(&medium).unwrap();
    std::fs::write(medium.join(".taken"), b"").unwrap();
    std::fs::write(medium.join("autorun.inf"), b"[autorun]\n").unwrap();
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!("[recordings]\ninterview_seconds = [1, 10]\ninbox = [{:?}, {:?}]\n", station, t.path().join("media/*/REC*")));
    std::fs::write(&config, toml).unwrap();
    set_up_box(&box_dir, &plan, &p);
    let exam = plan.exams.iter().find(|e| e.exam_id == IS9).unwrap();
    let schedule = ppe::monitoring::Schedule::at_point(exam, None, []).unwrap();
    let now = schedule.start + chrono::Duration::minutes(20);
    let ctx = ppe::context::EdgeContext::open(&config).unwrap().with_clock(Clock::simulated(now, 1.0));

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let duties = Arc::new(ppe::edge::duties::DutiesState::default());
    rt.spawn(ppe::edge::duties::run(ctx.clone(), duties.clone()));

    // The recordings arrive while the daemon runs.
    let work = t.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let spoken = work.join("spoken.wav");
    speak(&spoken);
    let whole = std::fs::read(&spoken).unwrap();
    // Participant 1's file is still being copied on the first look: never taken half-way.
    let first = station.join(IS9).join(station_name(&p, 0, "wav"));
    std::fs::write(&first, &whole[..whole.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    std::fs::write(&first, &whole).unwrap();
    // Participant 2's at the share's top: the exam of the moment's.
    ffmpeg(&spoken, &station.join(station_name(&p, 1, "ogg")), "libvorbis");
    run("sox", &[spoken.to_str().unwrap(), medium.join(station_name(&p, 2, "wav")).to_str().unwrap(), "vol", "0.9"]);
    // Participant 4's microphone was off: silence.
    let silent = station.join(IS9).join(station_name(&p, 3, "wav"));
    run("sox", &["-n", "-r", "16000", "-c", "1", "-b", "16", silent.to_str().unwrap(), "trim", "0", "3"]);

    let db_path = box_dir.join("state/ppe.db");
    let box_db = || ppe::store::open(&db_path).unwrap();
    let files = || ppe::recordings::store::files_for_exam(&box_db(), IS9).unwrap();
    let rows = wait_for("four recordings taken", Duration::from_secs(30), || Some(files()).filter(|f| f.len() == 4));
    let whose = |i: usize| rows.iter().find(|f| f.participant_id.as_deref() == Some(p[i].as_str())).unwrap_or_else(|| panic!("nothing of {}", p[i]));
    for i in 0..3 {
        assert_eq!((whose(i).status.as_str(), whose(i).defect.as_str()), ("matched", ""), "{}", whose(i).source_name);
    }
    assert_eq!(whose(0).sha256, ppe::util::sha256_hex(&whole), "taken whole, once settled");
    assert_eq!((whose(3).status.as_str(), whose(3).defect.as_str()), ("to_resolve", "silent"));
    // Taken files moved inside the share, never deleted; the medium's stays, remembered.
    assert_eq!(std::fs::read(station.join(".taken").join(IS9).join(station_name(&p, 0, "wav"))).unwrap(), whole);
    assert!(station.join(".taken").join(IS9).join(station_name(&p, 1, "ogg")).is_file() && !station.join(station_name(&p, 1, "ogg")).exists());
    let on_medium = medium.join(station_name(&p, 2, "wav"));
    let meta = std::fs::metadata(&on_medium).unwrap();
    let seen = ppe::recordings::store::SourceSeen {
        path: on_medium.display().to_string(),
        size: meta.len(),
        modified_ns: meta.modified().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i64,
    };
    assert!(ppe::recordings::store::source_taken(&box_db(), &seen).unwrap(), "the medium's file is recorded as taken");
    assert!(medium.join("autorun.inf").is_file() && !rows.iter().any(|f| f.source_name == "autorun.inf"), "what is not a station's stays untouched");

    // Completeness names the silent recording, and the upload waits for a person.
    let status = ppe::edge::status::collect(&ctx, Some(IS9), now).unwrap();
    assert!(!status[0].complete);
    assert!(status[0].missing.iter().any(|l| l.contains(&p[3]) && l.contains("тишина")), "{:?}", status[0].missing);
    std::thread::sleep(ppe::edge::duties::PASS_EVERY * 2);
    assert!(ppe::upload::store::receipt_latest(&box_db(), IS9).unwrap().is_none(), "uploaded with a silent recording");
    let numbers = || ppe::day::gather_box_numbers(&box_db(), IS9, PPE).unwrap();
    // The good recordings may already be streaming up (issue 22: content goes up as it is taken
    // in); the bundle does not: no receipt, and at most the three good files sent.
    let up = numbers().upload;
    assert!(up.files_total <= 3 && up.receipt_id.is_none(), "only the good recordings may go up before a person decides: {up:?}");
    let report = |n: &ppe::day::BoxNumbers| ppe::edge::reporter::build_report(PPE, now, n, Some(&schedule));
    let n = numbers();
    assert_eq!((n.files.kind.as_str(), n.files.expected, n.files.taken, n.files.missing, n.files.to_resolve), ("recording", 4, 3, 1, 1));

    // РЦОИ's dashboard on the hub's own database, the box reporting.
    {
        let mut conn = ppe::store::open(&hub_dir.join("hub.db")).unwrap();
        ppe::monitoring::accounts::create_operator(
            &mut conn,
            "viewer1",
            ppe::monitoring::accounts::OperatorRole::Viewer,
            PASSWORD,
            "2027-02-01T00:00:00Z",
            "test",
        )
        .unwrap();
    }
    let monitoring = MonitoringHub::open(&hub_dir.join("hub.db"), Clock::simulated(now, 1.0), Default::default(), Arc::new(HubUploadStore)).unwrap();
    let pages = MonitoringPages { secure_cookies: false, ..MonitoringPages::new(monitoring.clone()) };
    rt.block_on(async {
        let _ticker = monitoring.spawn_background();
        beat(&pages, &report(&n)).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = operator_router(pages.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let driver = Driver::start().await;
        driver.goto(&format!("{url}/login")).await;
        driver.type_into("#login", "viewer1").await;
        driver.type_into("#password", PASSWORD).await;
        driver.click("#submit").await;
        driver.goto(&format!("{url}/?exam={IS9}")).await;
        let cell = format!("var r=document.getElementById('r-{IS9}-{PPE}');return r?r.querySelector('.files').textContent:'';");
        // The three good recordings streamed up while the box waits for a person (received by
        // the hub), none verified: that takes the signed bundle.
        driver.wait_text(&cell, "записи: 3/4, принято 3, проверено 0").await;
        driver.wait_text("return document.getElementById('live').textContent", "обновляется").await;
        driver.js("window.__same_page = 42; return null").await;

        // A person sets the silent take aside and the station sends a new one: the upload
        // goes by itself.
        let request = ppe::recordings::ops::ResolveRequest {
            exam_id: IS9,
            ppe_code: PPE,
            file_id: &whose(3).file_id,
            actor: "tech",
            note: "микрофон был выключен: ответ записан повторно",
        };
        ppe::recordings::ops::set_aside(&box_db(), &ctx.clock, &request).unwrap();
        ffmpeg(&spoken, &station.join(IS9).join(station_name(&p, 3, "ogg")), "libvorbis");
        let db = db_path.clone();
        let receipt = tokio::task::spawn_blocking(move || {
            wait_for("the receipt", Duration::from_secs(60), || ppe::upload::store::receipt_latest(&ppe::store::open(&db).unwrap(), IS9).unwrap())
        })
        .await
        .unwrap();
        let receipt: ppe::upload::Receipt = serde_json::from_str(&receipt.1).unwrap();
        let mut listed: Vec<_> =
            receipt.receipt.participant_files.iter().map(|f| (f.participant_id.clone(), f.sha256.clone(), f.kind.clone())).collect();
        let mut matched: Vec<_> =
            files().into_iter().filter(|f| f.status == "matched").map(|f| (f.participant_id.unwrap(), f.sha256, f.kind)).collect();
        listed.sort();
        matched.sort();
        assert_eq!(matched.len(), 4);
        assert_eq!(listed, matched, "the receipt lists every recording with its hash and participant");

        // The box reports its receipt; the hub counts from its own records, live.
        let n = numbers();
        assert!(n.upload.receipt_id.is_some());
        beat(&pages, &report(&n)).await;
        monitoring.refresh_facts().unwrap();
        driver.wait_text(&cell, "записи: 4/4, принято 4, проверено 4").await;
        driver.wait_text("return document.getElementById('ff-verified').textContent", "4").await;
        assert_eq!(driver.js("return window.__same_page").await, 42, "the page was never reloaded");
        let json = driver
            .js(&format!("return fetch('/v1/status?exam={IS9}').then(r=>r.json()).then(j=>JSON.stringify([j.rows[0].files,j.summary.recordings]))"))
            .await;
        let json: serde_json::Value = serde_json::from_str(json.as_str().unwrap()).unwrap();
        assert_eq!(json[0], serde_json::json!({"kind": "recording", "expected": 4, "taken": 4, "received": 4, "verified": 4}));
        assert_eq!((json[1]["expected"].as_u64(), json[1]["verified"].as_u64(), json[1]["points"].as_u64()), (Some(4), Some(4), Some(1)));
        let png = driver.screenshot().await;
        let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/hub-dashboard-is9.png");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(&out, &png).unwrap();
        driver.goto(&format!("{url}/ppe/{IS9}/{PPE}")).await;
        driver
            .wait_text(
                "var e=document.getElementById('files');return e?e.textContent:'';",
                "ожидается 4, принято в ППЭ 4, получено РЦОИ 4, проверено 4",
            )
            .await;
        driver.quit().await;
        server.abort();
    });
    ppe::edge::duties::stop(&duties);
}
