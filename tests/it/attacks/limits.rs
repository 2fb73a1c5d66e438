//! Attacks on the hub's resources: huge, many, stalled or junk uploads and requests, each
//! against the real `ppe hub serve` (its TLS listener, `[limits]` from its hub.toml, its plan),
//! with a box enrolled by `ppe hub enroll`. Each asserts the refusal and that nothing was
//! stored: no upload row, no partial bytes, no blob.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{init_hub, ppe, ppe_bin, stderr};

/// A hub started as `ppe hub serve` with a two-point plan, both points enrolled.
struct LimitsHub {
    child: Child,
    dir: PathBuf,
    url: String,
    /// `http://…/metrics` of the separate metrics listener, when configured.
    metrics_url: Option<String>,
    addr: std::net::SocketAddr,
    /// (exam, point) of the plan's two exam points, the first of the plan and another.
    exam: String,
    points: [String; 2],
    limits: ppe::config::HubLimitsConfig,
    /// Participants registered and auditoriums at the first point.
    registered: u64,
    auditoriums: u64,
}

impl Drop for LimitsHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl LimitsHub {
    /// `ppe hub init`, a generated plan imported, two boxes enrolled, `[limits]` changed by
    /// `tune`, then `ppe hub serve`.
    fn start(dir: &Path, tune: impl FnOnce(&mut ppe::config::HubLimitsConfig)) -> LimitsHub {
        Self::start_with(dir, tune, "")
    }

    /// [`Self::start`] with `metrics_listen` set to `metrics_listen`.
    fn start_with(dir: &Path, tune: impl FnOnce(&mut ppe::config::HubLimitsConfig), metrics_listen: &str) -> LimitsHub {
        let hub_toml = init_hub(dir);
        let s = |p: &Path| p.to_str().unwrap().to_string();
        let plan = dir.join("region.json");
        for args in [
            vec!["hub".into(), "demo-plan".into(), "--out".into(), s(&plan), "--points".into(), "2".into(), "--participants".into(), "6".into()],
            vec!["hub".into(), "import-plan".into(), s(&plan), "--config".into(), s(&hub_toml)],
        ] {
            let o = ppe(&args.iter().map(String::as_str).collect::<Vec<_>>());
            assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        }
        let ctx = ppe::context::HubContext::open(&hub_toml).unwrap();
        let plan = ppe::plan::store::load_plan(&ctx.db().unwrap()).unwrap();
        let exam = plan.registrations[0].exam_id.clone();
        let first = plan.registrations[0].ppe_code.clone();
        let other = plan.exam_points.iter().map(|p| p.ppe_code.clone()).find(|p| *p != first).expect("a second exam point");
        let registered = plan.registrations.iter().filter(|r| r.exam_id == exam && r.ppe_code == first).count() as u64;
        let auditoriums = plan.auditoriums.iter().filter(|a| a.ppe_code == first).count() as u64;
        drop(ctx);
        for code in [&first, &other] {
            let out = dir.join(format!("box-{code}"));
            let o = ppe(&["hub", "enroll", "--ppe", code, "--out", &s(&out), "--run-dir", &s(&out.join("run")), "--config", &s(&hub_toml)]);
            assert!(o.status.success(), "enroll: {}", stderr(&o));
        }
        let mut v: toml::Value = toml::from_str(&std::fs::read_to_string(&hub_toml).unwrap()).unwrap();
        let mut limits: ppe::config::HubLimitsConfig = v["limits"].clone().try_into().unwrap();
        tune(&mut limits);
        v.as_table_mut().unwrap().insert("limits".into(), toml::Value::try_from(&limits).unwrap());
        v.as_table_mut().unwrap().insert("metrics_listen".into(), toml::Value::String(metrics_listen.into()));
        std::fs::write(&hub_toml, toml::to_string(&v).unwrap()).unwrap();
        let mut child = Command::new(ppe_bin())
            .args(["hub", "serve", "--listen", "127.0.0.1:0", "--config", &s(&hub_toml)])
            .env("PPE_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let mut metrics_url = None;
        let url = loop {
            let line = lines.next().expect("ppe hub serve ended before listening").unwrap();
            if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                metrics_url = Some(u.to_string());
            }
            if let Some(u) = line.split_whitespace().find(|w| w.starts_with("https://")) {
                break u.to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let addr = url.trim_start_matches("https://").parse().unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        LimitsHub { child, dir: dir.to_path_buf(), url, metrics_url, addr, exam, points: [first, other], limits, registered, auditoriums }
    }

    fn box_dir(&self, point: &str) -> PathBuf {
        self.dir.join(format!("box-{point}"))
    }

    /// An HTTPS client with the enrolled certificate of `point` (none: `None`).
    fn client(&self, point: Option<&str>) -> reqwest::Client {
        let ca = reqwest::Certificate::from_pem(&std::fs::read(self.dir.join("hub/keys/ca.crt")).unwrap()).unwrap();
        let mut b = reqwest::Client::builder().tls_certs_only([ca]).timeout(Duration::from_secs(30));
        if let Some(p) = point {
            let keys = self.box_dir(p).join("keys");
            let mut pem = std::fs::read(keys.join("client.crt")).unwrap();
            pem.extend(std::fs::read(keys.join("client.key")).unwrap());
            b = b.identity(reqwest::Identity::from_pem(&pem).unwrap());
        }
        b.build().unwrap()
    }

    /// A tus creation of `length` bytes named `name` for the plan's exam at `point`, with
    /// `body` as its first bytes when given.
    async fn create(&self, client: &reqwest::Client, point: &str, name: &str, length: u64, body: Option<Vec<u8>>) -> reqwest::Response {
        let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
        let meta = format!("exam_id {},ppe_code {},file_name {},kind {}", b64(&self.exam), b64(point), b64(name), b64("page"));
        let mut req = client
            .post(format!("{}/v1/uploads", self.url))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", meta);
        if let Some(bytes) = body {
            req = req.header("Content-Type", "application/offset+octet-stream").body(bytes);
        }
        req.send().await.unwrap_or_else(|e| panic!("creation of {name} ({length} bytes): {e:?}"))
    }

    fn rows(&self, point: &str) -> Vec<ppe::upload::store::TusUploadRow> {
        let conn = ppe::store::open(&self.dir.join("hub/state/hub.db")).unwrap();
        ppe::upload::store::tus_for_point(&conn, &self.exam, point).unwrap()
    }

    /// Files under the hub's upload folder (`partial/`, `blobs/`).
    fn stored(&self, sub: &str) -> Vec<(String, u64)> {
        let dir = self.dir.join("hub/state/uploads").join(sub);
        let mut out: Vec<(String, u64)> = std::fs::read_dir(dir).unwrap().flatten().map(|e| (e.file_name().to_string_lossy().to_string(), e.metadata().unwrap().len())).collect();
        out.sort();
        out
    }

    fn assert_nothing_stored(&self, point: &str) {
        assert!(self.rows(point).is_empty(), "no upload row: {:?}", self.rows(point));
        assert!(self.stored("partial").is_empty(), "no partial bytes: {:?}", self.stored("partial"));
        assert!(self.stored("blobs").is_empty(), "no blob: {:?}", self.stored("blobs"));
    }
}

async fn refusal(resp: reqwest::Response) -> (u16, Option<String>, serde_json::Value) {
    let status = resp.status().as_u16();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    (status, retry, resp.json().await.unwrap_or(serde_json::Value::Null))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn an_oversize_upload_is_refused_with_413_and_stores_nothing() {
    let t = tempfile::tempdir().unwrap();
    let hub = LimitsHub::start(t.path(), |l| l.max_upload_bytes = 1000);
    let point = hub.points[0].clone();
    runtime().block_on(async {
        let client = hub.client(Some(&point));
        let (status, _, body) = refusal(hub.create(&client, &point, "big.png", 1001, None).await).await;
        assert_eq!((status, body["error"].as_str()), (413, Some("too_large")), "{body}");
        assert!(body["message_ru"].as_str().unwrap().contains("больше допустимого"), "{body}");
        // With its bytes in the same request: refused before a byte of them is kept.
        let (status, _, _) = refusal(hub.create(&client, &point, "big.png", 4 << 20, Some(vec![7u8; 64 << 10])).await).await;
        assert_eq!(status, 413);
        hub.assert_nothing_stored(&point);
        let fits = hub.create(&client, &point, "page.png", 1000, Some(vec![1u8; 1000])).await;
        assert_eq!(fits.status().as_u16(), 201, "a file of the largest size is taken");
    });
}

#[test]
fn uploads_past_the_points_allowance_are_refused_with_429_and_retry_after() {
    let t = tempfile::tempdir().unwrap();
    let hub = LimitsHub::start(t.path(), |_| {});
    let [point, other] = hub.points.clone();
    let allowed = ppe::upload::server::limits::allowance(hub.registered, hub.auditoriums, &hub.limits).files;
    assert!(allowed < 200, "a 6-participant point may hold only a few dozen files: {allowed}");
    runtime().block_on(async {
        let client = hub.client(Some(&point));
        for i in 0..allowed {
            let r = hub.create(&client, &point, &format!("p{i}.png"), 1, None).await;
            assert_eq!(r.status().as_u16(), 201, "file {i} of {allowed}");
        }
        let (status, retry, body) = refusal(hub.create(&client, &point, "one-more.png", 1, None).await).await;
        assert_eq!((status, body["error"].as_str()), (429, Some("too_many_files")), "{body}");
        let retry: u64 = retry.expect("Retry-After").parse().unwrap();
        assert!(retry >= 1, "Retry-After names when unfinished uploads expire: {retry}");
        assert!(body["message_ru"].as_str().unwrap().contains("РЦОИ"), "{body}");
        assert_eq!(hub.rows(&point).len() as u64, allowed, "nothing past the allowance was created");
        // The other point is not blamed: its own allowance is untouched.
        let theirs = hub.create(&hub.client(Some(&other)), &other, "p0.png", 1, None).await;
        assert_eq!(theirs.status().as_u16(), 201);
    });
}

#[test]
fn uploads_past_the_points_quota_are_refused_with_507() {
    let t = tempfile::tempdir().unwrap();
    let hub = LimitsHub::start(t.path(), |l| {
        l.page_bytes = 100;
        l.max_upload_bytes = 1 << 20;
    });
    let point = hub.points[0].clone();
    let quota = ppe::upload::server::limits::allowance(hub.registered, hub.auditoriums, &hub.limits).bytes;
    runtime().block_on(async {
        let client = hub.client(Some(&point));
        let first = hub.create(&client, &point, "big.png", quota - 10, None).await;
        assert_eq!(first.status().as_u16(), 201);
        let (status, _, body) = refusal(hub.create(&client, &point, "more.png", 11, Some(vec![3u8; 11])).await).await;
        assert_eq!((status, body["error"].as_str()), (507, Some("over_quota")), "{body}");
        assert!(body["message_ru"].as_str().unwrap().contains("квота"), "{body}");
        assert_eq!(hub.rows(&point).len(), 1, "the refused upload left no row");
        assert!(hub.stored("partial").is_empty() && hub.stored("blobs").is_empty(), "and no bytes");
        assert_eq!(hub.create(&client, &point, "last.png", 10, None).await.status().as_u16(), 201, "exactly the quota fits");
    });
}

#[test]
fn an_upload_the_hubs_disk_cannot_take_is_refused_with_507() {
    let t = tempfile::tempdir().unwrap();
    let hub = LimitsHub::start(t.path(), |l| l.min_free_disk_bytes = u64::MAX / 2);
    let point = hub.points[0].clone();
    runtime().block_on(async {
        let (status, retry, body) = refusal(hub.create(&hub.client(Some(&point)), &point, "page.png", 10, Some(vec![1u8; 10])).await).await;
        assert_eq!((status, body["error"].as_str()), (507, Some("hub_disk_full")), "{body}");
        assert!(retry.is_some(), "worth retrying later");
        hub.assert_nothing_stored(&point);
    });
}

/// A rustls client of our own (tokio-rustls), for requests reqwest cannot stall halfway.
fn raw_tls(hub: &LimitsHub, point: Option<&str>) -> tokio_rustls::TlsConnector {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_file_iter(hub.dir.join("hub/keys/ca.crt")).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder().with_root_certificates(roots);
    let cfg = match point {
        Some(p) => {
            let keys = hub.box_dir(p).join("keys");
            let certs = rustls_pki_types::CertificateDer::pem_file_iter(keys.join("client.crt")).unwrap().map(Result::unwrap).collect();
            builder.with_client_auth_cert(certs, rustls_pki_types::PrivateKeyDer::from_pem_file(keys.join("client.key")).unwrap()).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

async fn tcp_from(source: &str, to: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(format!("{source}:0").parse().unwrap())?;
    socket.connect(to).await
}

async fn tls_from(hub: &LimitsHub, source: &str, point: Option<&str>) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let tcp = tcp_from(source, hub.addr).await?;
    raw_tls(hub, point).connect(rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap().to_owned(), tcp).await
}

#[test]
fn a_stalled_body_is_cut_after_the_idle_timeout_and_its_partial_is_swept() {
    let t = tempfile::tempdir().unwrap();
    let hub = LimitsHub::start(t.path(), |l| {
        l.body_idle_secs = 1;
        l.expire_after_secs = 2;
        l.sweep_every_secs = 1;
    });
    let point = hub.points[0].clone();
    runtime().block_on(async {
        let created = hub.create(&hub.client(Some(&point)), &point, "page.png", 1000, None).await;
        assert_eq!(created.status().as_u16(), 201);
        let location = created.headers()["location"].to_str().unwrap().to_string();
        let mut tls = tls_from(&hub, "127.0.0.1", Some(&point)).await.unwrap();
        let head = format!(
            "PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\nContent-Length: 1000\r\n\r\n"
        );
        tls.write_all(head.as_bytes()).await.unwrap();
        tls.write_all(&[5u8; 100]).await.unwrap();
        tls.flush().await.unwrap();
        // …and nothing more. The hub answers within its idle timeout, keeping what came.
        let started = Instant::now();
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
            match tokio::time::timeout(Duration::from_secs(10), tls.read(&mut buf)).await.expect("the hub cut the stalled body") {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
        let answer = String::from_utf8_lossy(&answer).to_lowercase();
        assert!(started.elapsed() < Duration::from_secs(5), "cut after about a second: {:?}", started.elapsed());
        assert!(answer.starts_with("http/1.1 204") && answer.contains("upload-offset: 100"), "{answer}");
        assert_eq!(hub.rows(&point)[0].upload_offset, 100);
        // Left alone, the upload expires and the hub's sweep removes it and its partial bytes.
        let swept = Instant::now();
        while !(hub.rows(&point).is_empty() && hub.stored("partial").is_empty()) {
            assert!(swept.elapsed() < Duration::from_secs(20), "not swept: {:?} {:?}", hub.rows(&point), hub.stored("partial"));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let head = hub.client(Some(&point)).head(format!("{}{location}", hub.url)).header("Tus-Resumable", "1.0.0").send().await.unwrap();
        assert_eq!(head.status().as_u16(), 404, "the swept upload is gone");
        hub.assert_nothing_stored(&point);
    });
}

#[test]
fn a_stalled_manifest_body_is_cut_and_frees_the_boxs_upload_slot() {
    let t = tempfile::tempdir().unwrap();
    let hub = LimitsHub::start(t.path(), |l| {
        l.body_idle_secs = 1;
        l.max_concurrent_uploads_per_box = 1;
    });
    let point = hub.points[0].clone();
    runtime().block_on(async {
        // The box's one upload slot, taken by a bundle manifest that stops after 10 bytes.
        let mut tls = tls_from(&hub, "127.0.0.1", Some(&point)).await.unwrap();
        tls.write_all(b"POST /v1/uploads/bundles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"manifest").await.unwrap();
        tls.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let client = hub.client(Some(&point));
        let (status, retry, _) = refusal(hub.create(&client, &point, "page.png", 10, None).await).await;
        assert_eq!((status, retry.as_deref()), (429, Some("2")), "the slot is held while the manifest is read");
        // Cut after the idle timeout: answered (not left hanging), and the slot is free again.
        let mut answer = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut answer)).await.expect("the stalled manifest is cut").unwrap_or(0);
        assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 4"), "{}", String::from_utf8_lossy(&answer[..n]));
        assert_eq!(hub.create(&client, &point, "page.png", 10, None).await.status().as_u16(), 201);
        assert_eq!(hub.rows(&point).len(), 1, "only the genuine upload");
    });
}

#[test]
fn stalled_unauthenticated_connections_do_not_stop_a_genuine_boxs_upload() {
    let t = tempfile::tempdir().unwrap();
    let hub = LimitsHub::start(t.path(), |l| {
        l.max_connections_per_ip = 40;
        l.header_read_secs = 2;
    });
    let point = hub.points[0].clone();
    runtime().block_on(async {
        // 127.0.0.2: connections that never say a word (past 40 they are closed at once).
        let mut silent = Vec::new();
        for _ in 0..120 {
            if let Ok(s) = tcp_from("127.0.0.2", hub.addr).await {
                silent.push(s);
            }
        }
        // 127.0.0.3: TLS without a certificate, then half a request's headers.
        let mut half = Vec::new();
        for _ in 0..30 {
            let mut s = tls_from(&hub, "127.0.0.3", None).await.unwrap();
            s.write_all(b"POST /v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n").await.unwrap();
            s.flush().await.unwrap();
            half.push(s);
        }
        // 127.0.0.4: whole headers announcing a big body that never comes.
        let mut bodiless = Vec::new();
        for _ in 0..30 {
            let mut s = tls_from(&hub, "127.0.0.4", None).await.unwrap();
            s.write_all(b"POST /v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\nUpload-Length: 100000000\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: 100000000\r\n\r\n").await.unwrap();
            s.flush().await.unwrap();
            bodiless.push(s);
        }
        // The genuine box uploads a page meanwhile.
        let page: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let sha = ppe::util::sha256_hex(&page);
        let client = hub.client(Some(&point));
        let started = Instant::now();
        let r = hub.create(&client, &point, "page.png", page.len() as u64, Some(page.clone())).await;
        assert_eq!(r.status().as_u16(), 201);
        assert_eq!(r.headers()["upload-offset"], "200000", "the whole page was taken");
        assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
        assert_eq!(hub.rows(&point)[0].stored_sha256.as_deref(), Some(sha.as_str()));
        assert_eq!(hub.stored("blobs"), vec![(sha, 200_000)]);
        // The caps held: past 40 the silent address's connections were closed at once, the
        // half-sent headers timed out, the bodiless requests were refused (403).
        let mut closed = 0;
        for s in &mut silent {
            let mut b = [0u8; 1];
            if matches!(tokio::time::timeout(Duration::from_millis(20), s.read(&mut b)).await, Ok(Ok(0) | Err(_))) {
                closed += 1;
            }
        }
        assert!(closed >= 80, "connections past the per-address cap are closed: {closed} of {}", silent.len());
        for s in &mut half {
            let mut rest = Vec::new();
            // Closed (cleanly or not) within the header read timeout, never answered as a request.
            let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut rest)).await.expect("half-sent headers are cut");
            assert!(!String::from_utf8_lossy(&rest).contains("HTTP/1.1 2"), "{rest:?}");
        }
        for s in &mut bodiless {
            let mut answer = vec![0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut answer)).await.unwrap().unwrap_or(0);
            assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 403"), "{}", String::from_utf8_lossy(&answer[..n]));
        }
        assert_eq!(hub.rows(&point).len(), 1, "nothing but the genuine page was created");
    });
}

#[test]
fn metrics_need_an_operators_login_on_the_hubs_listener() {
    let t = tempfile::tempdir().unwrap();
    let hub = LimitsHub::start_with(t.path(), |_| {}, "127.0.0.1:0");
    runtime().block_on(async {
        let anyone = hub.client(None).get(format!("{}/metrics", hub.url)).send().await.unwrap();
        assert_eq!(anyone.status().as_u16(), 401);
        let text = anyone.text().await.unwrap();
        assert!(!text.contains("ppe_monitoring"), "no metric leaks: {text}");
        let a_box = hub.client(Some(&hub.points[0])).get(format!("{}/metrics", hub.url)).send().await.unwrap();
        assert_eq!(a_box.status().as_u16(), 401, "a box certificate is not an operator");
        // The separate loopback listener serves them (and nothing else) without a login.
        let metrics_url = hub.metrics_url.clone().expect("the metrics listener's address");
        let plain = reqwest::Client::new();
        let text = plain.get(&metrics_url).send().await.unwrap().text().await.unwrap();
        assert!(text.contains("ppe_monitoring_reports_accepted_total"), "{text}");
        let other = plain.get(metrics_url.replace("/metrics", "/v1/status")).send().await.unwrap();
        assert_eq!(other.status().as_u16(), 404, "only /metrics on that listener");
    });
}
