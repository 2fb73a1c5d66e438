//! The hour on a slow link (issue 22): the end of an exam for 300 participants (1 200 pages),
//! pages taken in at a scanner's pace while the box streams them to the hub through a
//! throttling proxy (2 Mbit/s, 200 ms round trip by default), then the bundle; against the
//! sequential way (scan all, then upload the bundle) in the same run. Reports exam end →
//! receipt and last page → receipt for both. Run by `scripts/bench-hour.sh`; `cargo test`
//! only checks that it builds (it runs only when given `--bench`).
//!
//! `--scale S` plays S × the pages at 1/S × the scanner's pace over an S⁻¹ × faster link (the
//! round trip and the page size stay real), so the same ratios play out in S × the time.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ppe::context::EdgeContext;
use ppe::hub_client::HubClient;
use ppe::upload::server::{router, UploadServerState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EXAM: &str = "ege-02";
const PPE: &str = "0101";

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Page-sized noise (a scan does not compress further on the link either).
fn page_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len).map(|_| (x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407), (x >> 56) as u8).1).collect()
}

/// One direction of the link: bytes leave no faster than `bytes_per_second` (shared by every
/// connection in that direction) and arrive `delay` later.
struct Pipe {
    bytes_per_second: f64,
    delay: Duration,
    free_at: Mutex<Instant>,
}

impl Pipe {
    /// When `n` bytes queued now will have arrived at the other end.
    fn arrival(&self, n: usize) -> Instant {
        let mut free = self.free_at.lock().unwrap();
        let start = (*free).max(Instant::now());
        *free = start + Duration::from_secs_f64(n as f64 / self.bytes_per_second);
        *free + self.delay
    }
}

async fn carry(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, pipe: Arc<Pipe>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((due, bytes)) = rx.recv().await {
            tokio::time::sleep_until(due.into()).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    });
    // Small reads, so the link's pace is smooth.
    let mut buf = vec![0u8; 8 << 10];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if tx.send((pipe.arrival(n), buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        }
    }
    drop(tx);
    let _ = writer.await;
}

/// A throttling TCP proxy on 127.0.0.1:0 in front of `upstream`.
fn start_link(rt: &tokio::runtime::Runtime, upstream: SocketAddr, bits_per_second: f64, rtt: Duration) -> SocketAddr {
    let pipe = |_: ()| Arc::new(Pipe { bytes_per_second: bits_per_second / 8.0, delay: rtt / 2, free_at: Mutex::new(Instant::now()) });
    let (up, down) = (pipe(()), pipe(()));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (up, down) = (up.clone(), down.clone());
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::join!(carry(cr, sw, up), carry(sr, cw, down));
            });
        }
    });
    addr
}

struct Hub {
    addr: SocketAddr,
    state: Arc<UploadServerState>,
    public: String,
}

fn start_hub(rt: &tokio::runtime::Runtime, dir: &Path) -> Hub {
    std::fs::create_dir_all(dir).unwrap();
    let key = ppe::keys::ed25519_from_pkcs8(&ppe::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
    let public = ppe::keys::ed25519_public_hex(&key);
    let state = Arc::new(UploadServerState::in_folder(dir, ppe::clock::Clock::real(), key).unwrap());
    let (plan, _) = ppe::plan::read_plan_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plan-sample.json")).unwrap();
    let mut db = ppe::store::open(&dir.join("hub.db")).unwrap();
    let tx = db.transaction().unwrap();
    ppe::plan::store::replace_plan(&tx, &plan, "2027-05-27T00:00:00Z", "bench", "-").unwrap();
    tx.commit().unwrap();
    let app =
        axum::Router::new().nest("/v1/uploads", router(state.clone())).layer(axum::Extension(ppe::context::BoxIdentity { ppe_code: PPE.into() }));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    Hub { addr, state, public }
}

fn make_box(dir: &Path, hub: &Hub, url: &str) -> EdgeContext {
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    let der = ppe::keys::generate_ed25519_pkcs8().unwrap();
    ppe::keys::write_secret(&dir.join("keys/signing.pk8"), &der).unwrap();
    hub.state.meta.box_key_register(PPE, &ppe::keys::ed25519_public_hex(&ppe::keys::ed25519_from_pkcs8(&der).unwrap()), "t").unwrap();
    let toml = format!(
        "ppe_code = \"{PPE}\"\nrun_dir = \"run\"\n[hub]\nurl = \"{url}\"\nca_file = \"none\"\nsigning_public_key = \"{}\"\n[keys]\nsigning_key_file = \"keys/signing.pk8\"\n",
        hub.public
    );
    std::fs::write(dir.join("ppe.toml"), toml).unwrap();
    EdgeContext::open(&dir.join("ppe.toml")).unwrap()
}

fn take_in(ctx: &EdgeContext, page: &[u8], i: usize) {
    let conn = ctx.db().unwrap();
    let key = ppe::scanning::ops::box_sheet_key(ctx).unwrap();
    let intake = ppe::scanning::intake::Intake::for_box(ctx, &conn, &key, EXAM, "bench");
    intake.ingest_page(page, &format!("page-{i:05}.png"), "png", 0).unwrap();
}

/// The bundle (what streaming sent is skipped) to the receipt, on the runtime that drives the
/// client's pooled connections (as the daemon's one runtime does).
fn finish(rt: &tokio::runtime::Runtime, ctx: &EdgeContext, hub: &HubClient) {
    let conn = ctx.db().unwrap();
    let bundle = ppe::upload::ops::box_bundle(ctx, &conn, &EXAM.into(), false).unwrap();
    let request = ppe::upload::ops::UploadRequest::default();
    rt.block_on(ppe::upload::ops::upload_bundle(ctx, &conn, &bundle.built, hub, &request, &|_: &str| {})).unwrap();
}

struct Run {
    scanning: Duration,
    end_to_receipt: Duration,
    last_page_to_receipt: Duration,
}

fn secs(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --all-targets` builds and runs this; the benchmark is opt-in.
    }
    let scale = arg("--scale", 1.0);
    let pages = (arg("--participants", 300.0) * arg("--pages-each", 4.0) * scale).round() as usize;
    let per_minute = arg("--pace", 40.0) / scale;
    let bits = arg("--mbit", 2.0) * 1e6 / scale;
    let rtt = Duration::from_millis(arg("--rtt-ms", 200.0) as u64);
    let page_size = arg("--page-bytes", 300_000.0) as usize;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-hour");
    let _ = std::fs::remove_dir_all(&root);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // ±10 % around the page size, like real scans.
    let page = |i: usize, salt: u64| page_bytes(i as u64 * 2 + salt, page_size - page_size / 10 + (i * 7919) % (page_size / 5).max(1));
    let gap = Duration::from_secs_f64(60.0 / per_minute);
    println!(
        "hour: {pages} pages of ~{} KB at {per_minute:.0} pages/min, link {:.2} Mbit/s, RTT {} ms (scale {scale})",
        page_size / 1000,
        bits / 1e6,
        rtt.as_millis()
    );

    // Streaming: the scanner feeds; the daemon's pass runs every 2 s while it does.
    let hub = start_hub(&rt, &root.join("hub-stream"));
    let link = start_link(&rt, hub.addr, bits, rtt);
    let url = format!("http://{link}");
    let ctx = make_box(&root.join("box-stream"), &hub, &url);
    let client = HubClient::plain(&url, PPE, &hub.public).unwrap();
    let start = Instant::now();
    let scanned = Arc::new(Mutex::new(None::<Instant>));
    let streaming = std::thread::scope(|s| {
        let (ctx, scanned_at) = (&ctx, scanned.clone());
        s.spawn(move || {
            for i in 0..pages {
                let due = start + gap * i as u32;
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                take_in(ctx, &page(i, 1), i);
            }
            *scanned_at.lock().unwrap() = Some(Instant::now());
        });
        let pass_rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let conn = ctx.db().unwrap();
        loop {
            let done = scanned.lock().unwrap().is_some();
            let t = Instant::now();
            let pass = pass_rt.block_on(ppe::upload::stream::ops::stream_pass(ctx, &conn, &client, &EXAM.into())).unwrap();
            if std::env::var_os("BENCH_TRACE").is_some() {
                eprintln!("{:7.1} s: pass of {:5.1} s sent {} files", start.elapsed().as_secs_f64(), t.elapsed().as_secs_f64(), pass.files_sent);
            }
            if done && ppe::upload::stream::ops::pending_files(&conn, EXAM).unwrap().is_empty() {
                break;
            }
            if pass.files_sent == 0 {
                std::thread::sleep(ppe::edge::duties::PASS_EVERY);
            }
        }
        finish(&pass_rt, ctx, &client);
        let last = scanned.lock().unwrap().unwrap();
        Run { scanning: last - start, end_to_receipt: start.elapsed(), last_page_to_receipt: last.elapsed() }
    });
    let link_seen = ppe::upload::stream::ops::link_measure(&ctx.db().unwrap(), EXAM).unwrap();

    // Sequential, the way before: every page taken in, then the bundle uploads (default
    // settings). Its scanning takes the same time as above, so exam end → receipt is that
    // time plus the upload's.
    let hub2 = start_hub(&rt, &root.join("hub-seq"));
    let link2 = start_link(&rt, hub2.addr, bits, rtt);
    let url2 = format!("http://{link2}");
    let ctx2 = make_box(&root.join("box-seq"), &hub2, &url2);
    for i in 0..pages {
        take_in(&ctx2, &page(i, 2), i);
    }
    let t0 = Instant::now();
    let seq_rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    finish(&seq_rt, &ctx2, &HubClient::plain(&url2, PPE, &hub2.public).unwrap());
    let upload = t0.elapsed();
    let sequential = Run { scanning: streaming.scanning, end_to_receipt: streaming.scanning + upload, last_page_to_receipt: upload };

    let bytes: u64 = ppe::scanning::store::pages_for_exam(&ctx.db().unwrap(), EXAM).unwrap().iter().map(|p| p.size).sum();
    println!("pages: {} MB; link measured by the box: {:?}", bytes / 1_000_000, link_seen.map(|l| (l.bytes_per_second * 8.0 / 1e6, l.rtt)));
    println!("| way | scanning, s | exam end → receipt, s | last page → receipt, s | ÷ scanning |");
    println!("| --- | --- | --- | --- | --- |");
    for (name, r) in [("streaming", &streaming), ("sequential", &sequential)] {
        let ratio = r.end_to_receipt.as_secs_f64() / r.scanning.as_secs_f64();
        println!("| {name} | {} | {} | {} | {ratio:.2} |", secs(r.scanning), secs(r.end_to_receipt), secs(r.last_page_to_receipt));
    }
    if scale != 1.0 {
        println!("at full scale (÷ {scale}): streaming last page → receipt ≈ {:.0} s", streaming.last_page_to_receipt.as_secs_f64() / scale);
    }
}
