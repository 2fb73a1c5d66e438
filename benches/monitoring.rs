//! Monitoring load benchmark: 5 000 simulated exam points post heartbeats every 10 s to a hub
//! process on loopback while an operator's dashboard (`/`), `/v1/status` and one live SSE
//! client run; the same page requests on the idle hub are the baseline in the same run.
//! Checks that no report is lost (every one sent is accepted and persisted), the p99 of the
//! dashboard and `/v1/status`, and the hub's peak RSS. Run by `scripts/bench-monitoring.sh`;
//! `cargo test` only builds it (it runs only when given `--bench`).
//!
//! The hub runs in a child process (this same binary with `--serve DB`) so that its RSS is
//! its own. It serves plain HTTP with the box identity taken from an `x-bench-ppe` header, in
//! place of the mutual-TLS layer (TLS handshakes are per connection, not per report, and are
//! measured by the materials benchmark).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ppe::context::BoxIdentity;
use ppe::monitoring::live::{HubUploadStore, MonitoringHub};
use ppe::monitoring::pages::{box_router, operator_router, MonitoringPages};
use ppe::monitoring::StatusRules;

const EXAM: &str = "ege-02";
const PASSWORD: &str = "bench-password-1";

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A plan of `points` exam points, each with one participant registered for the ЕГЭ.
fn make_db(dir: &Path, points: usize) -> PathBuf {
    let db_path = dir.join("hub.db");
    let mut conn = ppe::store::open(&db_path).unwrap();
    let base = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: 2, ..Default::default() });
    let mut plan = ppe::model::Plan { exams: base.exams.clone(), ..Default::default() };
    let template = base.participants[0].clone();
    let ates = ["Город Томск", "ЗАТО Северск", "Томский район", "Асиновский район", "Колпашевский район"];
    for i in 0..points {
        let code = format!("{:05}", i + 1);
        plan.exam_points.push(ppe::model::ExamPoint {
            ppe_code: code.clone(),
            name: format!("МАОУ СОШ {}", i + 1),
            address: format!("ул. Ленина, д. {}", i + 1),
            ate_code: format!("70{:02}", i % ates.len() + 1),
            ate_name: ates[i % ates.len()].into(),
            point_type: Default::default(),
            utc_offset_min: None,
        });
        let mut p = template.clone();
        p.participant_id = format!("P{:07}", i + 1);
        p.doc_number = format!("{:06}", i + 1);
        plan.participants.push(p);
        plan.registrations.push(ppe::model::Registration { exam_id: EXAM.into(), participant_id: format!("P{:07}", i + 1), ppe_code: code });
    }
    let tx = conn.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan, "2027-05-01T00:00:00Z", "bench", "00").unwrap();
    tx.commit().unwrap();
    ppe::monitoring::accounts::create_operator(&mut conn, "bench", ppe::monitoring::accounts::OperatorRole::Viewer, PASSWORD, "2027-05-01T00:00:00Z", "bench").unwrap();
    db_path
}

/// The hub: monitoring routes on 127.0.0.1:0; prints `LISTEN addr` when ready.
fn serve(db: &Path) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let clock = ppe::clock::Clock::simulated(ppe::monitoring::parse_time("2027-05-27T07:00:00Z").unwrap(), 1.0);
        let hub = MonitoringHub::open(db, clock, StatusRules::default(), Arc::new(HubUploadStore)).unwrap();
        let _bg = hub.spawn_background();
        let pages = MonitoringPages { secure_cookies: false, ..MonitoringPages::new(hub) };
        let boxes = box_router(pages.clone()).layer(axum::middleware::from_fn(|mut req: axum::extract::Request, next: axum::middleware::Next| async move {
            if let Some(code) = req.headers().get("x-bench-ppe").and_then(|v| v.to_str().ok()).map(str::to_string) {
                req.extensions_mut().insert(BoxIdentity { ppe_code: code });
            }
            next.run(req).await
        }));
        let app = boxes.merge(operator_router(pages));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("LISTEN {}", listener.local_addr().unwrap());
        axum::serve(listener, app).await.unwrap();
    });
}

fn report(code: &str, round: u64) -> serde_json::Value {
    serde_json::json!({
        "ppe_code": code, "exam_id": EXAM, "box_time": "2027-05-27T07:00:00Z", "stage": "uploading",
        "materials": {"pulled": true, "verified": true, "manifest_version": 1, "key_received": true, "printed": true},
        "seating_done": true,
        "attendance": {"planned": 40, "present": 38, "absent": 2, "closed": true},
        "pages": {"expected": 152, "scanned": 152, "missing": 0},
        "upload": {"bytes_done": 1_000_000 * round, "bytes_total": 60_000_000, "files_done": round, "files_total": 153}
    })
}

fn percentile(v: &mut [u64], p: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

struct Stats {
    ms: Vec<u64>,
}

impl Stats {
    fn line(&mut self, name: &str) -> String {
        let n = self.ms.len();
        let (p50, p99, max) = (percentile(&mut self.ms, 0.50), percentile(&mut self.ms, 0.99), self.ms.iter().copied().max().unwrap_or(0));
        format!("| {name} | {n} | {:.1} | {:.1} | {:.1} |", p50 as f64 / 1000.0, p99 as f64 / 1000.0, max as f64 / 1000.0)
    }
    fn p99(&mut self) -> u64 {
        percentile(&mut self.ms, 0.99)
    }
}

async fn timed_get(client: &reqwest::Client, url: &str, cookie: &str) -> (u64, usize) {
    let started = Instant::now();
    let resp = client.get(url).header("cookie", cookie).send().await.unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    let body = resp.bytes().await.unwrap();
    (started.elapsed().as_micros() as u64, body.len())
}

async fn login(client: &reqwest::Client, base: &str) -> String {
    let resp = client.get(format!("{base}/login")).send().await.unwrap();
    let csrf_cookie = resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("ppe_hub_login_csrf=")).unwrap().split(';').next().unwrap().to_string();
    let html = resp.text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let resp = client
        .post(format!("{base}/login"))
        .header("cookie", csrf_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("login=bench&password={PASSWORD}&csrf={csrf}&next=%2F"))
        .send()
        .await
        .unwrap();
    resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("ppe_hub_session=")).unwrap().split(';').next().unwrap().to_string()
}

async fn metric(client: &reqwest::Client, base: &str, cookie: &str, name: &str) -> u64 {
    let text = client.get(format!("{base}/metrics")).header("cookie", cookie).send().await.unwrap().text().await.unwrap();
    text.lines().find(|l| l.starts_with(name) && l[name.len()..].starts_with(' ')).and_then(|l| l.rsplit(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        serve(Path::new(&args[i + 1]));
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        return; // `cargo test --all-targets` builds and runs this; the benchmark is opt-in.
    }
    let points = env_or("BENCH_POINTS", 5000) as usize;
    let interval = Duration::from_secs(env_or("BENCH_INTERVAL_SECS", 10));
    let load_secs = env_or("BENCH_SECS", 60);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-monitoring");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let t0 = Instant::now();
    let db = make_db(&root, points);
    eprintln!("plan of {points} exam points in {:.1} s", t0.elapsed().as_secs_f64());

    let mut child: Child = Command::new(std::env::current_exe().unwrap()).arg("--serve").arg(&db).stdout(Stdio::piped()).env("PPE_LOG", "warn").spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = format!("http://{}", line.trim().strip_prefix("LISTEN ").unwrap());
    let pid = child.id();

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let out = rt.block_on(async move {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).pool_max_idle_per_host(256).build().unwrap();
        let cookie = login(&client, &base).await;
        let codes: Arc<Vec<String>> = Arc::new((1..=points).map(|i| format!("{i:05}")).collect());
        let sent = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let beat_us = Arc::new(Mutex::new(Vec::<u64>::new()));

        // Warm-up: every point reports once, so the idle baseline renders full rows.
        let warm = Instant::now();
        let mut tasks = Vec::new();
        for chunk in codes.chunks(points.div_ceil(32)) {
            let (client, base, chunk, sent) = (client.clone(), base.clone(), chunk.to_vec(), sent.clone());
            tasks.push(tokio::spawn(async move {
                for code in chunk {
                    let r = client.post(format!("{base}/v1/heartbeat")).header("x-bench-ppe", &code).json(&report(&code, 0)).send().await.unwrap();
                    assert!(r.status().is_success(), "{}", r.status());
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let warm_secs = warm.elapsed().as_secs_f64();

        // Baseline: the idle hub (same rows), sequential requests.
        let dash_url = format!("{base}/?exam={EXAM}");
        let status_url = format!("{base}/v1/status?exam={EXAM}");
        let (mut idle_dash, mut idle_status) = (Stats { ms: vec![] }, Stats { ms: vec![] });
        let (mut dash_bytes, mut status_bytes) = (0, 0);
        for _ in 0..40 {
            let (us, n) = timed_get(&client, &dash_url, &cookie).await;
            idle_dash.ms.push(us);
            dash_bytes = n;
            let (us, n) = timed_get(&client, &status_url, &cookie).await;
            idle_status.ms.push(us);
            status_bytes = n;
        }

        // One live dashboard connected for the whole load.
        let sse_events = Arc::new(AtomicU64::new(0));
        let sse_bytes = Arc::new(AtomicU64::new(0));
        let sse = {
            let (client, base, cookie, events, bytes) = (client.clone(), base.clone(), cookie.clone(), sse_events.clone(), sse_bytes.clone());
            tokio::spawn(async move {
                use futures_util::StreamExt;
                let resp = client.get(format!("{base}/v1/events")).header("cookie", cookie).send().await.unwrap();
                let mut stream = resp.bytes_stream();
                while let Some(Ok(chunk)) = stream.next().await {
                    bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    events.fetch_add(chunk.windows(5).filter(|w| w == b"data:").count() as u64, Ordering::Relaxed);
                }
            })
        };

        // Load: every point every `interval`, phases spread evenly.
        let load_started = Instant::now();
        let end = load_started + Duration::from_secs(load_secs);
        let mut boxes = Vec::new();
        for (i, code) in codes.iter().enumerate() {
            let (client, base, code, sent, failed, beat_us) = (client.clone(), base.clone(), code.clone(), sent.clone(), failed.clone(), beat_us.clone());
            let phase = interval.mul_f64(i as f64 / points as f64);
            boxes.push(tokio::spawn(async move {
                tokio::time::sleep(phase).await;
                let mut tick = tokio::time::interval_at(tokio::time::Instant::now(), interval);
                let mut round = 1;
                loop {
                    tick.tick().await;
                    if Instant::now() >= end {
                        return;
                    }
                    let started = Instant::now();
                    match client.post(format!("{base}/v1/heartbeat")).header("x-bench-ppe", &code).json(&report(&code, round)).send().await {
                        Ok(r) if r.status().is_success() => {
                            sent.fetch_add(1, Ordering::Relaxed);
                            beat_us.lock().unwrap().push(started.elapsed().as_micros() as u64);
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    round += 1;
                }
            }));
        }
        let (mut load_dash, mut load_status) = (Stats { ms: vec![] }, Stats { ms: vec![] });
        let mut peak_rss = 0;
        while Instant::now() < end {
            load_dash.ms.push(timed_get(&client, &dash_url, &cookie).await.0);
            load_status.ms.push(timed_get(&client, &status_url, &cookie).await.0);
            peak_rss = peak_rss.max(rss_kib(pid, "VmRSS:"));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for b in boxes {
            b.await.unwrap();
        }
        let load_secs_real = load_started.elapsed().as_secs_f64().min(load_secs as f64);
        // Every accepted report must reach the database.
        let total_sent = sent.load(Ordering::Relaxed);
        let settle = Instant::now();
        let (mut accepted, mut persisted);
        loop {
            accepted = metric(&client, &base, &cookie, "ppe_monitoring_reports_accepted_total").await;
            persisted = metric(&client, &base, &cookie, "ppe_monitoring_reports_persisted_total").await;
            if persisted >= accepted || settle.elapsed() > Duration::from_secs(10) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let write_errors = metric(&client, &base, &cookie, "ppe_monitoring_write_errors_total").await;
        let batches = metric(&client, &base, &cookie, "ppe_monitoring_write_batches_total").await;
        sse.abort();
        let hwm = rss_kib(pid, "VmHWM:");
        let mut beats = Stats { ms: std::mem::take(&mut *beat_us.lock().unwrap()) };
        let lost = total_sent.saturating_sub(accepted) + failed.load(Ordering::Relaxed);
        let ok = lost == 0 && persisted == accepted && write_errors == 0 && load_dash.p99() <= 100_000 && load_status.p99() <= 100_000 && hwm < 256 * 1024;
        let mut md = String::new();
        md.push_str(&format!(
            "{points} exam points, one heartbeat each every {} s for {load_secs} s ({:.0} reports/s offered), one live dashboard (SSE) connected.\n\n",
            interval.as_secs(),
            points as f64 / interval.as_secs_f64()
        ));
        md.push_str(&format!(
            "- reports sent {total_sent} (warm-up {points} in {warm_secs:.1} s), accepted {accepted}, persisted {persisted} in {batches} transactions, failed {}, write errors {write_errors}: **lost {lost}**\n",
            failed.load(Ordering::Relaxed)
        ));
        md.push_str(&format!("- hub RSS: peak (VmHWM) **{:.1} MiB**, sampled max under load {:.1} MiB (limit 256 MiB)\n", hwm as f64 / 1024.0, peak_rss as f64 / 1024.0));
        md.push_str(&format!(
            "- live updates: {} SSE messages, {:.1} MiB in total ({:.0} KiB/s per dashboard)\n",
            sse_events.load(Ordering::Relaxed),
            sse_bytes.load(Ordering::Relaxed) as f64 / 1048576.0,
            sse_bytes.load(Ordering::Relaxed) as f64 / 1024.0 / load_secs_real
        ));
        md.push_str(&format!("- page sizes: dashboard {:.1} MiB ({points} rows), /v1/status {:.1} MiB\n\n", dash_bytes as f64 / 1048576.0, status_bytes as f64 / 1048576.0));
        md.push_str("| request | n | p50 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- |\n");
        let (idle_d99, idle_s99) = (idle_dash.p99().max(1), idle_status.p99().max(1));
        let (load_d99, load_s99) = (load_dash.p99(), load_status.p99());
        md.push_str(&(idle_dash.line("GET / (idle hub, baseline)") + "\n"));
        md.push_str(&(load_dash.line("GET / (under load)") + "\n"));
        md.push_str(&(idle_status.line("GET /v1/status (idle hub, baseline)") + "\n"));
        md.push_str(&(load_status.line("GET /v1/status (under load)") + "\n"));
        md.push_str(&(beats.line("POST /v1/heartbeat (under load)") + "\n\n"));
        md.push_str(&format!(
            "p99 under load / idle baseline: dashboard {:.2}×, /v1/status {:.2}×. Verdict: **{}**\n",
            load_d99 as f64 / idle_d99 as f64,
            load_s99 as f64 / idle_s99 as f64,
            if ok { "PASS" } else { "FAIL" }
        ));
        (md, ok)
    });
    let _ = child.kill();
    let _ = child.wait();
    println!("{}", out.0);
    if !out.1 {
        std::process::exit(1);
    }
}
