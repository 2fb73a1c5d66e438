//! Encrypted materials end to end over real mutual TLS on 127.0.0.1: publish, pre-stage,
//! pull in the window, the key obtained by a ГЭК member's own key file, decryption; a stock nginx mirror with a
//! cut connection; `kill -9` of a pull and its restart. The rejections (tampered packages,
//! refused keys, foreign clients) are the attack suite's, `attacks/packages.rs`, on the
//! `World` of this file.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, RngCore, SeedableRng};

use crate::common::*;

pub(crate) const EXAM: &str = "ege-02";
/// ege-02 of the demo plan: start 2027-05-27 10:00 +07 = 03:00Z; window 02:00Z..03:30Z.
pub(crate) const IN_WINDOW: &str = "2027-05-27T02:30:00Z";
pub(crate) const BEFORE_WINDOW: &str = "2027-05-27T01:00:00Z";
pub(crate) const DAYS_BEFORE: &str = "2027-05-25T09:00:00Z";
pub(crate) const AFTER_WINDOW: &str = "2027-05-27T04:00:00Z";

/// A hub with the demo plan, box 0101 enrolled, and an exam's package published (the attack
/// suite's packages tests share it).
pub(crate) struct World {
    _tmp: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) hub_toml: PathBuf,
    pub(crate) box_toml: PathBuf,
    pub(crate) files: Vec<(String, Vec<u8>)>,
}

impl World {
    pub(crate) fn new(sizes: &[usize], chunk: u32) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let hub_toml = init_hub(&dir);
        let plan = dir.join("region.json");
        run_ok(&["hub", "demo-plan", "--out", s(&plan), "--points", "2", "--participants", "60", "--seed", "3"]);
        run_ok(&["hub", "import-plan", s(&plan), "--config", s(&hub_toml)]);
        let box_dir = dir.join("box");
        run_ok(&["hub", "enroll", "--ppe", "0101", "--out", s(&box_dir), "--run-dir", s(&box_dir.join("run")), "--config", s(&hub_toml)]);
        let materials = dir.join("materials");
        std::fs::create_dir_all(&materials).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(sizes.len() as u64);
        let mut files = Vec::new();
        for (i, size) in sizes.iter().enumerate() {
            // Sorted names, so the manifest lists files in this order.
            let name = if i == 0 { "1-kim-variant.pdf".to_string() } else { format!("{}-instruction.pdf", i + 1) };
            let mut bytes = vec![0u8; *size];
            rng.fill_bytes(&mut bytes);
            std::fs::write(materials.join(&name), &bytes).unwrap();
            files.push((name, bytes));
        }
        let w = World { _tmp: tmp, dir, hub_toml, box_toml: box_dir.join("ppe.toml"), files };
        w.publish(chunk);
        w
    }

    pub(crate) fn publish(&self, chunk: u32) {
        run_ok(&["hub", "publish", "--exam", EXAM, "--materials", s(&self.dir.join("materials")), "--chunk-size", &chunk.to_string(), "--config", s(&self.hub_toml)]);
    }

    pub(crate) fn package_dir(&self, ppe: &str) -> PathBuf {
        self.dir.join("hub/state/publish").join(EXAM).join(ppe)
    }

    pub(crate) fn manifest(&self, ppe: &str) -> ppe::materials::SignedManifest {
        serde_json::from_slice(&std::fs::read(self.package_dir(ppe).join("manifest.json")).unwrap()).unwrap()
    }

    pub(crate) fn cipher_path(&self, ppe: &str, file: usize) -> PathBuf {
        let m = self.manifest(ppe);
        self.package_dir(ppe).join(m.manifest.files[file].cipher_file_name())
    }

    pub(crate) fn edge(&self, hub: &Hub, args: &[&str]) -> Output {
        self.edge_at(&hub.url(), args)
    }

    /// `ppe edge ARGS` of box 0101 talking to the hub (or whatever answers) at `hub_url`.
    pub(crate) fn edge_at(&self, hub_url: &str, args: &[&str]) -> Output {
        let mut all: Vec<&str> = vec!["edge"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--config", s(&self.box_toml)]);
        Command::new(ppe_bin()).args(&all).env("PPE_LOG", "warn").env("PPE_HUB_URL", hub_url).output().unwrap()
    }

    pub(crate) fn edge_ctx(&self, hub: &Hub) -> ppe::context::EdgeContext {
        self.edge_ctx_at(&hub.url())
    }

    pub(crate) fn edge_ctx_at(&self, hub_url: &str) -> ppe::context::EdgeContext {
        let mut ctx = ppe::context::EdgeContext::open(&self.box_toml).unwrap();
        ctx.config.hub.url = hub_url.to_string();
        ctx
    }

    pub(crate) fn set_mirror(&self, url: &str) {
        let mut v: toml::Value = toml::from_str(&std::fs::read_to_string(&self.box_toml).unwrap()).unwrap();
        v["hub"].as_table_mut().unwrap().insert("mirror_url".into(), toml::Value::String(url.into()));
        std::fs::write(&self.box_toml, toml::to_string(&v).unwrap()).unwrap();
    }

    /// Nothing of the package is usable on the box: no key in tmpfs, no decryption possible.
    fn assert_nothing_decrypted(&self, hub: &Hub) {
        self.assert_nothing_decrypted_at(&hub.url());
    }

    pub(crate) fn assert_nothing_decrypted_at(&self, hub_url: &str) {
        let key = self.dir.join("box/run").join(EXAM).join("package.key");
        assert!(!key.exists(), "a package key reached the box");
        let ctx = self.edge_ctx_at(hub_url);
        assert!(ppe::materials::open_decrypted(&ctx, EXAM, &self.files[0].0).is_err());
    }

    /// A ГЭК member the plan assigns to `ppe` on the exam's date.
    pub(crate) fn gek_member(&self, ppe: &str) -> String {
        let plan = ppe::plan::store::load_plan(&ppe::store::open(&self.dir.join("hub/state/hub.db")).unwrap()).unwrap();
        plan.workers
            .iter()
            .find(|wk| wk.roles.contains(&ppe::model::WorkerRole::GekMember) && plan.worker_assignments.iter().any(|a| a.worker_id == wk.worker_id && a.ppe_code == ppe && a.date == "2027.05.27"))
            .unwrap_or_else(|| panic!("a ГЭК member assigned to {ppe}"))
            .worker_id
            .clone()
    }

    /// РЦОИ issues the member's key file; returns (key file, PIN file).
    pub(crate) fn enroll_gek(&self, worker: &str) -> (PathBuf, PathBuf) {
        let (key, pin) = (self.dir.join(format!("gek-{worker}.key")), self.dir.join(format!("gek-{worker}.pin")));
        std::fs::write(&pin, "314159\n").unwrap();
        run_ok(&["hub", "gek", "enroll", "--worker", worker, "--out", s(&key), "--pin-file", s(&pin), "--config", s(&self.hub_toml)]);
        (key, pin)
    }

    pub(crate) fn audit_actions(&self) -> Vec<String> {
        let db = ppe::store::open(&self.dir.join("box/state/ppe.db")).unwrap();
        ppe::audit::store::all(&db).unwrap().into_iter().map(|e| format!("{} {}", e.action, e.details)).collect()
    }
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub(crate) fn run_ok(args: &[&str]) -> Output {
    let o = ppe(args);
    assert!(o.status.success(), "ppe {args:?}: {}", stderr(&o));
    o
}

pub(crate) fn report(o: &Output) -> ppe::materials::pull::PullReport {
    assert!(o.status.success(), "pull failed: {}", stderr(o));
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| panic!("report {e}: {}", stdout(o)))
}

/// The hub's server in this process, with its clock set to `now`.
pub(crate) struct Hub {
    _rt: tokio::runtime::Runtime,
    addr: SocketAddr,
}

impl Hub {
    pub(crate) fn start(hub_toml: &Path, now: &str) -> Hub {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let clock = ppe::clock::Clock::simulated(ppe::clock::parse_now(now).unwrap(), 1.0);
        let ctx = ppe::context::HubContext::open(hub_toml).unwrap().with_clock(clock);
        let server = ppe::hub::server::HubServer::from_context(&ctx).unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tls, state, router) = (server.tls_config().unwrap(), server.state.clone(), server.router());
        rt.spawn(async move { ppe::hub::server::serve(listener, tls, state, router).await });
        Hub { _rt: rt, addr }
    }

    pub(crate) fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }
}

#[test]
fn prestage_then_pull_in_window_moves_nothing_and_the_gek_members_key_file_obtains_the_key() {
    let w = World::new(&[300_000, 5_000], 65_536);
    let early = Hub::start(&w.hub_toml, DAYS_BEFORE);
    let r = report(&w.edge(&early, &["prestage", "--exam", EXAM]));
    let cipher_total: u64 = w.manifest("0101").manifest.files.iter().map(|f| f.cipher_len).sum();
    assert_eq!(r.bytes_downloaded, cipher_total);
    assert!(r.plan_synced);
    // The box clock (2026) is far from the hub's (2027): the offset is recorded.
    assert!(r.clock_offset_ms.unwrap() > 0);
    w.assert_nothing_decrypted(&early);
    // Regression: a file renamed into place by a run that died before recording it (here:
    // the whole box database lost) is checked on disk, not downloaded again.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(w.dir.join(format!("box/state/ppe.db{suffix}")));
    }
    let again = report(&w.edge(&early, &["prestage", "--exam", EXAM]));
    assert_eq!((again.bytes_downloaded, again.files_fetched), (0, 2));
    drop(early);

    let hub = Hub::start(&w.hub_toml, IN_WINDOW);
    let r = report(&w.edge(&hub, &["pull", "--exam", EXAM, "--by", "tech1"]));
    assert_eq!(r.bytes_downloaded, 0, "the ciphertext is already here");
    assert_eq!(r.files_already_verified, 2);

    // Two-person rule: nothing decrypts, no key, until a ГЭК member's own credential gets it.
    let ctx = w.edge_ctx(&hub);
    w.assert_nothing_decrypted(&hub);
    let gek = w.gek_member("0101");
    let (key, pin) = w.enroll_gek(&gek);
    let wrong = w.dir.join("wrong.pin");
    std::fs::write(&wrong, "271828\n").unwrap();
    let o = w.edge(&hub, &["activate", "--exam", EXAM, "--gek-key", s(&key), "--pin-file", s(&wrong)]);
    assert!(!o.status.success() && stderr(&o).contains("неверный ПИН-код"), "{}", stderr(&o));
    w.assert_nothing_decrypted(&hub);
    let o = w.edge(&hub, &["activate", "--exam", EXAM, "--gek-key", s(&key), "--pin-file", s(&pin)]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (name, bytes) in &w.files {
        assert_eq!(&ppe::materials::open_decrypted(&ctx, EXAM, name).unwrap(), bytes);
    }
    let actions = w.audit_actions().join("\n");
    assert!(actions.contains("materials.activated") && actions.contains(&gek) && actions.contains("tech1"), "{actions}");

    // A chunk reordered on the box's disk after verification is still caught at decryption.
    let m = w.manifest("0101").manifest;
    let on_box = w.dir.join("box/state/materials").join(EXAM).join(m.files[0].cipher_file_name());
    let mut bytes = std::fs::read(&on_box).unwrap();
    let full = 65_536 + 16;
    let first = bytes[..full].to_vec();
    bytes.copy_within(full..2 * full, 0);
    bytes[full..2 * full].copy_from_slice(&first);
    std::fs::write(&on_box, &bytes).unwrap();
    let err = ppe::materials::open_decrypted(&ctx, EXAM, &w.files[0].0).unwrap_err();
    assert!(format!("{err:#}").contains("блок 0"), "{err:#}");

    // The hub logged the release.
    let hub_db = ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap();
    let releases = ppe::materials::store::hub_key_releases(&hub_db, EXAM).unwrap();
    assert_eq!(releases, vec![("0101".to_string(), "released".to_string(), "released".to_string())]);
    drop(hub);
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A loopback TCP proxy: counts bytes from upstream to the client, may cut the first
/// connection after some bytes, may throttle.
struct Proxy {
    port: u16,
    downstream_bytes: Arc<AtomicU64>,
    connections: Arc<AtomicUsize>,
}

impl Proxy {
    fn start(upstream: u16, cut_first_after: Option<u64>, throttle_per_16k: Option<Duration>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let downstream_bytes = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let cut_done = Arc::new(AtomicBool::new(cut_first_after.is_none()));
        let (bytes, conns) = (downstream_bytes.clone(), connections.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
                conns.fetch_add(1, Ordering::SeqCst);
                let cut = if cut_done.swap(true, Ordering::SeqCst) { None } else { cut_first_after };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut &c2, &mut &s2);
                    let _ = s2.shutdown(std::net::Shutdown::Write);
                });
                let bytes = bytes.clone();
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 16 * 1024];
                    let mut sent = 0u64;
                    loop {
                        let n = match (&server).read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let n = match cut {
                            Some(limit) if sent + n as u64 >= limit => {
                                let keep = (limit - sent) as usize;
                                let _ = (&client).write_all(&buf[..keep]);
                                bytes.fetch_add(keep as u64, Ordering::SeqCst);
                                let _ = client.shutdown(std::net::Shutdown::Both);
                                let _ = server.shutdown(std::net::Shutdown::Both);
                                return;
                            }
                            _ => n,
                        };
                        if (&client).write_all(&buf[..n]).is_err() {
                            break;
                        }
                        sent += n as u64;
                        bytes.fetch_add(n as u64, Ordering::SeqCst);
                        if let Some(d) = throttle_per_16k {
                            std::thread::sleep(d);
                        }
                    }
                    let _ = client.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Proxy { port, downstream_bytes, connections }
    }
}

pub(crate) struct Nginx {
    child: std::process::Child,
    pub(crate) port: u16,
    pub(crate) dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server on port {port} did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A stock nginx serving the hub's publish folder over TLS with the hub's server certificate.
fn start_nginx(w: &World) -> Nginx {
    start_nginx_with(w, "location / { }")
}

/// A stock nginx over TLS with the hub's server certificate, root the hub's publish folder,
/// `server` the rest of its server block (locations, headers). Besides `access.log` it writes
/// `nonce.log`: status, path and the time nonce each request carried (`-` for none).
pub(crate) fn start_nginx_with(w: &World, server: &str) -> Nginx {
    assert!(have("nginx"), "nginx is needed (scripts/packages.txt lists it)");
    let dir = w.dir.join("nginx");
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    let port = free_port();
    let keys = w.dir.join("hub/keys");
    let conf = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\nevents {{ worker_connections 64; }}\n\
         http {{\n  log_format nonce '$status $request_uri nonce=$http_x_ppe_time_nonce';\n  access_log {d}/access.log;\n  access_log {d}/nonce.log nonce;\n  client_body_temp_path {d}/tmp; proxy_temp_path {d}/tmp; fastcgi_temp_path {d}/tmp; uwsgi_temp_path {d}/tmp; scgi_temp_path {d}/tmp;\n\
           server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {k}/server.crt;\n    ssl_certificate_key {k}/server.key;\n    root {root};\n    {server}\n  }}\n}}\n",
        d = dir.display(),
        k = keys.display(),
        root = w.dir.join("hub/state/publish").display(),
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new("nginx")
        .args(["-c", s(&dir.join("nginx.conf")), "-p", s(&dir), "-e", s(&dir.join("error.log"))])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port);
    Nginx { child, port, dir }
}

#[test]
fn nginx_mirror_with_the_connection_cut_mid_file_resumes_by_range() {
    let w = World::new(&[8 << 20], 1 << 20);
    let hub = Hub::start(&w.hub_toml, IN_WINDOW);
    let nginx = start_nginx(&w);
    let proxy = Proxy::start(nginx.port, Some(3 << 20), None);
    w.set_mirror(&format!("https://127.0.0.1:{}", proxy.port));
    let r = report(&w.edge(&hub, &["pull", "--exam", EXAM]));
    let cipher_len = w.manifest("0101").manifest.files[0].cipher_len;
    // Every ciphertext byte crossed the network exactly once despite the cut.
    assert_eq!(r.bytes_downloaded, cipher_len);
    assert!(proxy.connections.load(Ordering::SeqCst) >= 2, "the cut forced a new connection");
    let sent = proxy.downstream_bytes.load(Ordering::SeqCst);
    assert!(sent < cipher_len + cipher_len / 50 + 64 * 1024, "proxy sent {sent} for {cipher_len}: re-downloaded");
    let access = std::fs::read_to_string(nginx.dir.join("access.log")).unwrap();
    assert!(access.contains("\" 206 "), "no ranged request reached nginx: {access}");
    let on_box = std::fs::read(w.dir.join("box/state/materials").join(EXAM).join(w.manifest("0101").manifest.files[0].cipher_file_name())).unwrap();
    assert_eq!(on_box, std::fs::read(w.cipher_path("0101", 0)).unwrap());
}

#[test]
fn kill_9_during_pull_then_restart_is_byte_identical_and_downloads_nothing_twice() {
    let w = World::new(&[24 << 20], 1 << 20);
    let hub = Hub::start(&w.hub_toml, IN_WINDOW);
    let nginx = start_nginx(&w);
    // ~16 MB/s so that a kill lands mid-file.
    let proxy = Proxy::start(nginx.port, None, Some(Duration::from_millis(1)));
    w.set_mirror(&format!("https://127.0.0.1:{}", proxy.port));
    let seed: u64 = rand::thread_rng().gen();
    eprintln!("kill -9 schedule seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let part = w.dir.join("box/state/materials").join(EXAM).join(format!("{}.part", w.manifest("0101").manifest.files[0].cipher_sha256));
    let mut kills = 0;
    for _ in 0..3 {
        let mut child = Command::new(ppe_bin())
            .args(["edge", "pull", "--exam", EXAM, "--config", s(&w.box_toml)])
            .env("PPE_LOG", "warn")
            .env("PPE_HUB_URL", hub.url())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.gen_range(100..500)));
        if child.try_wait().unwrap().is_none() {
            // SIGKILL: no cleanup runs in the child.
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(kills >= 1, "no run was killed mid-way");
    let had = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    assert!(had > 0, "the killed runs left a partial file to resume from");
    let r = report(&w.edge(&hub, &["pull", "--exam", EXAM]));
    let cipher_len = w.manifest("0101").manifest.files[0].cipher_len;
    assert_eq!(r.bytes_resumed, had, "the restart continued from the bytes on disk");
    assert_eq!(r.bytes_resumed + r.bytes_downloaded, cipher_len);
    let sent = proxy.downstream_bytes.load(Ordering::SeqCst);
    let allowance = cipher_len / 50 + kills as u64 * (1 << 20);
    assert!(sent <= cipher_len + allowance, "sent {sent} for {cipher_len} with {kills} kills: more than the interrupted chunks again");
    let on_box = std::fs::read(w.dir.join("box/state/materials").join(EXAM).join(w.manifest("0101").manifest.files[0].cipher_file_name())).unwrap();
    assert_eq!(on_box, std::fs::read(w.cipher_path("0101", 0)).unwrap());
}

/// Runs `ppe edge serve` until `done` holds (checked on the box database), then stops it.
fn serve_until(w: &World, hub: &Hub, what: &str, done: impl Fn(&ppe::store::Connection) -> bool) {
    // Migrate the box database before two processes open it (a first open from two processes
    // at once races in store::migrate).
    std::fs::create_dir_all(w.dir.join("box/state")).unwrap();
    drop(ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap());
    let mut child = Command::new(ppe_bin())
        .args(["edge", "serve", "--config", s(&w.box_toml)])
        // The UI on a free port: tests run side by side.
        .env("PPE_LISTEN", "127.0.0.1:0")
        .env("PPE_LOG", "warn")
        .env("PPE_HUB_URL", hub.url())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let db_path = w.dir.join("box/state/ppe.db");
    loop {
        if db_path.exists() && done(&ppe::store::open(&db_path).unwrap()) {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("edge serve did not reach: {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn edge_serve_prestages_by_hub_time_and_never_asks_for_the_key_by_itself() {
    let w = World::new(&[20_000], 4096);
    // The hub's clock is 3 s before the window; the box's own clock is a year off.
    let hub = Hub::start(&w.hub_toml, "2027-05-27T01:59:57Z");
    let started = Instant::now();
    serve_until(&w, &hub, "ciphertext staged and the window open", |db| {
        started.elapsed() > Duration::from_secs(5) && ppe::materials::store::manifest_get(db, EXAM).unwrap().is_some_and(|(_, json)| {
            let m: ppe::materials::SignedManifest = serde_json::from_str(&json).unwrap();
            ppe::materials::store::files_verified(db, EXAM, &m.manifest.package_id).unwrap().len() == m.manifest.files.len()
        })
    });
    let actions = w.audit_actions();
    assert!(actions.iter().any(|a| a.starts_with("materials.pulled")), "{actions:?}");
    let db = ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap();
    assert!(ppe::materials::store::key_get(&db, EXAM).unwrap().is_none(), "the scheduler obtained a key by itself");
    assert!(ppe::materials::store::alarms(&db).unwrap().is_empty());
    let hub_db = ppe::store::open(&w.dir.join("hub/state/hub.db")).unwrap();
    assert!(ppe::materials::store::hub_key_releases(&hub_db, EXAM).unwrap().is_empty(), "the scheduler asked the hub for a key");
    w.assert_nothing_decrypted(&hub);
}

#[test]
fn edge_serve_raises_an_alarm_when_the_exam_starts_without_materials() {
    let w = World::new(&[1000], 4096);
    // Nothing published for this box's exam point any more: the pull keeps failing.
    std::fs::remove_dir_all(w.package_dir("0101")).unwrap();
    let hub = Hub::start(&w.hub_toml, "2027-05-27T03:00:01Z");
    serve_until(&w, &hub, "alarm", |db| !ppe::materials::store::alarms(db).unwrap().is_empty());
    let db = ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap();
    let alarms = ppe::materials::store::alarms(&db).unwrap();
    assert_eq!(alarms[0].0, EXAM);
    assert_eq!(alarms[0].1, "materials_missing");
    assert!(ppe::materials::store::key_get(&db, EXAM).unwrap().is_none());
}

#[test]
fn enroll_writes_private_keys_0600_and_a_config_pinning_the_hub() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new(&[10], 4096);
    for secret in ["box/keys/client.key", "box/keys/signing.pk8", "box/ppe.toml", "hub/keys/ca.key", "hub/keys/server.key", "hub/keys/signing.pk8"] {
        let mode = std::fs::metadata(w.dir.join(secret)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{secret}");
    }
    let cfg = ppe::context::EdgeContext::open(&w.box_toml).unwrap().config;
    let hub_key = ppe::keys::load_ed25519(&w.dir.join("hub/keys/signing.pk8")).unwrap();
    assert_eq!(cfg.hub.signing_public_key, ppe::keys::ed25519_public_hex(&hub_key));
    assert_eq!(std::fs::read(&cfg.hub.ca_file).unwrap(), std::fs::read(w.dir.join("hub/keys/ca.crt")).unwrap());
    // Enrolling into an existing folder is refused rather than overwriting keys.
    let o = ppe(&["hub", "enroll", "--ppe", "0101", "--out", s(&w.dir.join("box")), "--config", s(&w.hub_toml)]);
    assert!(!o.status.success() && stderr(&o).contains("exists already"), "{}", stderr(&o));
}
