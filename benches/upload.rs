//! Upload benchmark: a realistic bundle (participants × pages of ~300 KB) from the box
//! (`ppe edge upload`, release) to our hub's tus server over loopback, against `curl -T` of
//! the same bytes to nginx (WebDAV PUT) in the same run; then the bytes re-sent after a
//! `kill -9` of the box mid-upload. Run by `scripts/bench-upload.sh`; `cargo test` only
//! checks that it builds (it runs the benchmark only when given `--bench`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ppe::upload::server::{router, UploadServerState};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn page_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

struct Hub {
    url: String,
    state: Arc<UploadServerState>,
    public: String,
    _rt: tokio::runtime::Runtime,
}

fn start_hub(dir: &Path) -> Hub {
    std::fs::create_dir_all(dir).unwrap();
    let der = ppe::keys::generate_ed25519_pkcs8().unwrap();
    let key = ppe::keys::ed25519_from_pkcs8(&der).unwrap();
    let public = ppe::keys::ed25519_public_hex(&key);
    let state = Arc::new(UploadServerState::in_folder(dir, ppe::clock::Clock::real(), key).unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    // Plain HTTP: the identity the hub's listener inserts for box 0101's certificate; the plan
    // that assigns it to ege-02 (receipts are only for exams of the plan).
    let app = axum::Router::new().nest("/v1/uploads", router(state.clone())).layer(axum::Extension(ppe::context::BoxIdentity { ppe_code: "0101".into() }));
    let (plan, _) = ppe::plan::read_plan_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plan-sample.json")).unwrap();
    let mut db = ppe::store::open(&dir.join("hub.db")).unwrap();
    let tx = db.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan, "2027-05-27T00:00:00Z", "bench", "-").unwrap();
    tx.commit().unwrap();
    rt.spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Hub { url: format!("http://{addr}"), state, public, _rt: rt }
}

fn make_box(dir: &Path, hub: &Hub, inbox: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    let der = ppe::keys::generate_ed25519_pkcs8().unwrap();
    let public = ppe::keys::ed25519_public_hex(&ppe::keys::ed25519_from_pkcs8(&der).unwrap());
    ppe::keys::write_secret(&dir.join("keys/signing.pk8"), &der).unwrap();
    std::fs::write(
        dir.join("ppe.toml"),
        format!(
            "ppe_code = \"0101\"\nrun_dir = \"run\"\n[hub]\nurl = \"{}\"\nca_file = \"none\"\nsigning_public_key = \"{}\"\n[keys]\nsigning_key_file = \"keys/signing.pk8\"\n",
            hub.url, hub.public
        ),
    )
    .unwrap();
    hub.state.meta.box_key_register("0101", &public, "t").unwrap();
    let config = dir.join("ppe.toml");
    run(Command::new(env!("CARGO_BIN_EXE_ppe")).args(["edge", "scan", "--config"]).arg(&config).args(["--exam", "ege-02", "--from"]).arg(inbox));
    // Build the bundle now so the timed upload measures the transfer (export builds it too).
    run(Command::new(env!("CARGO_BIN_EXE_ppe"))
        .args(["edge", "export", "--config"])
        .arg(&config)
        .args(["--exam", "ege-02", "--to"])
        .arg(dir.join("usb")));
    config
}

fn run(cmd: &mut Command) {
    let o = cmd.env("PPE_LOG", "warn").output().unwrap();
    assert!(o.status.success(), "{:?}: {}", cmd, String::from_utf8_lossy(&o.stderr));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --all-targets` builds and runs this; the benchmark is opt-in.
    }
    let participants = env_or("BENCH_PARTICIPANTS", 300);
    let pages = env_or("BENCH_PAGES", 4);
    let page_size = env_or("BENCH_PAGE_BYTES", 300_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-upload");
    let _ = std::fs::remove_dir_all(&root);
    let inbox = root.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut files = Vec::new();
    for i in 0..participants * pages {
        // ±10 % around the page size, like real scans.
        let len = page_size - page_size / 10 + (i * 7919) % (page_size / 5).max(1);
        let p = inbox.join(format!("page-{i:05}.png"));
        std::fs::write(&p, page_bytes(i as u64 + 1, len)).unwrap();
        files.push(p);
    }
    let total: u64 = files.iter().map(|f| std::fs::metadata(f).unwrap().len()).sum();

    let reps = env_or("BENCH_REPS", 5);
    // Files in flight for the timed runs (`ppe edge upload --parallel`; its default is 8).
    let parallel = env_or("BENCH_PARALLEL", 8).to_string();
    // nginx with WebDAV PUT: the baseline's server.
    let port = free_port();
    let ngx = root.join("nginx");
    std::fs::create_dir_all(ngx.join("put/up")).unwrap();
    std::fs::create_dir_all(ngx.join("logs")).unwrap();
    std::fs::write(
        ngx.join("nginx.conf"),
        format!(
            "user root; master_process off; worker_processes 1; error_log {d}/logs/error.log; pid {d}/nginx.pid;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {d}/tmp; client_max_body_size 0;
  server {{ listen 127.0.0.1:{port}; root {d}/put; location / {{ dav_methods PUT; create_full_put_path on; }} }} }}\n",
            d = ngx.display()
        ),
    )
    .unwrap();
    let mut nginx = Command::new("nginx")
        .arg("-p")
        .arg(&ngx)
        .arg("-c")
        .arg(ngx.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .spawn()
        .expect("nginx (Debian nginx-light)");
    let ready = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(ready.elapsed() < Duration::from_secs(10), "nginx did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();

    // Alternate ours and the baseline so both see the same machine load; take medians.
    let mut ours_runs = Vec::new();
    let mut curl_runs = Vec::new();
    let mut ours_received = 0;
    let mut ours_cpu = Vec::new();
    for rep in 0..reps {
        // Ours: box → hub over tus, fsync before every acknowledged offset.
        let hub = start_hub(&root.join(format!("hub-{rep}")));
        let config = make_box(&root.join(format!("box-{rep}")), &hub, &inbox);
        let t0 = Instant::now();
        let cpu0 = cpu_seconds();
        run(Command::new(env!("CARGO_BIN_EXE_ppe"))
            .args(["edge", "upload", "--parallel", &parallel, "--config"])
            .arg(&config)
            .args(["--exam", "ege-02"]));
        ours_runs.push(t0.elapsed());
        let cpu1 = cpu_seconds();
        ours_cpu.push((cpu1.0 - cpu0.0, cpu1.1 - cpu0.1));
        ours_received = hub.state.bytes_received_total.load(Ordering::SeqCst);

        // Baseline: curl -T of the same files to nginx, one connection.
        let t0 = Instant::now();
        let o = Command::new("curl")
            .args(["-sS", "--fail", "-T"])
            .arg(format!("{{{}}}", names.join(",")))
            .arg(format!("http://127.0.0.1:{port}/up/"))
            .stdout(Stdio::null())
            .output()
            .unwrap();
        curl_runs.push(t0.elapsed());
        assert!(o.status.success(), "curl: {}", String::from_utf8_lossy(&o.stderr));
    }
    let _ = nginx.kill();
    let _ = nginx.wait();
    ours_runs.sort();
    curl_runs.sort();
    let ours = ours_runs[ours_runs.len() / 2];
    let curl = curl_runs[curl_runs.len() / 2];

    // Re-sent bytes after kill -9 mid-upload, then a restart: default (8 files in flight)
    // and one file at a time.
    let mut resent = Vec::new();
    let kill_runs: &[&str] = if env_or("BENCH_KILL", 1) == 1 { &["8", "1"] } else { &[] };
    for parallel in kill_runs.iter().copied() {
        let hub2 = start_hub(&root.join(format!("hub-kill-{parallel}")));
        let box2 = root.join(format!("box-kill-{parallel}"));
        let config2 = make_box(&box2, &hub2, &inbox);
        let mut child = Command::new(env!("CARGO_BIN_EXE_ppe"))
            .args(["edge", "upload", "--parallel", parallel, "--config"])
            .arg(&config2)
            .args(["--exam", "ege-02"])
            .env("PPE_LOG", "warn")
            .spawn()
            .unwrap();
        let half = Instant::now();
        while hub2.state.bytes_received_total.load(Ordering::SeqCst) < total / 2 && half.elapsed() < Duration::from_secs(120) {
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill();
        let _ = child.wait();
        let at_kill = hub2.state.bytes_received_total.load(Ordering::SeqCst);
        run(Command::new(env!("CARGO_BIN_EXE_ppe"))
            .args(["edge", "upload", "--parallel", parallel, "--config"])
            .arg(&config2)
            .args(["--exam", "ege-02"]));
        let received2 = hub2.state.bytes_received_total.load(Ordering::SeqCst);
        let m: ppe::upload::SignedManifest =
            serde_json::from_slice(&std::fs::read(box2.join("state/bundles/ege-02/manifest.json")).unwrap()).unwrap();
        resent.push((parallel, at_kill, received2.saturating_sub(m.manifest.total_bytes())));
    }

    let mbps = |d: Duration| total as f64 / d.as_secs_f64() / 1e6;
    println!("files: {} ({} participants × {} pages), {:.1} MB", files.len(), participants, pages, total as f64 / 1e6);
    let secs = |v: &[Duration]| v.iter().map(|d| format!("{:.2}", d.as_secs_f64())).collect::<Vec<_>>().join(" ");
    println!(
        "ours (ppe edge upload → hub tus, checksums, fsync per chunk): median {:.2} s, {:.1} MB/s (runs: {}), hub read {} body bytes",
        ours.as_secs_f64(),
        mbps(ours),
        secs(&ours_runs),
        ours_received
    );
    let (hub_cpu, box_cpu) = ours_cpu.iter().fold((0.0, 0.0), |a, c| (a.0 + c.0, a.1 + c.1));
    println!("ours CPU per run (mean): hub {:.2} s, box {:.2} s", hub_cpu / reps as f64, box_cpu / reps as f64);
    println!("baseline (curl -T → nginx PUT, no fsync): median {:.2} s, {:.1} MB/s (runs: {})", curl.as_secs_f64(), mbps(curl), secs(&curl_runs));
    println!("ratio ours/curl throughput: {:.2} (goal ≥ 0.80)", curl.as_secs_f64() / ours.as_secs_f64());
    for (parallel, at_kill, bytes) in &resent {
        println!(
            "kill -9 at {:.1} MB received, --parallel {parallel}: re-sent after restart {bytes} bytes = {:.2} pages (goal ≤ one chunk per file in flight; a chunk is a whole page here, ≤ {} bytes)",
            *at_kill as f64 / 1e6,
            *bytes as f64 / page_size as f64,
            page_size + page_size / 10
        );
    }
}

/// CPU seconds (this process = the hub, its waited-for children = the box), from
/// /proc/self/stat (clock ticks of 1/100 s).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = stat.rsplit(')').next().unwrap();
    let f: Vec<f64> = after.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    ((f[11] + f[12]) / 100.0, (f[13] + f[14]) / 100.0)
}
