//! Attacks on the hub's upload routes: no or foreign certificate, another point's files,
//! forged hashes, manifests that name paths.
//!
//! Each test runs the real `ppe hub serve` (the binary) over its real TLS listener, with the
//! sample plan (exam ege-02 at exam point 0101) and boxes enrolled by `ppe hub enroll`; the
//! attacker is reqwest with or without a box's client certificate, or a box itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::{Method, StatusCode};

use crate::common::{init_hub, ppe, ppe_bin, stderr};
use crate::upload::{import_sample_plan, scan_pages, EXAM};

/// In the plan, assigned to ege-02.
const A: &str = "0101";
/// Enrolled, assigned to no exam.
const B: &str = "0202";

/// `ppe hub serve` on 127.0.0.1:0; killed on drop.
struct ServedHub {
    child: Child,
    url: String,
    hub_toml: PathBuf,
    state_dir: PathBuf,
    rt: tokio::runtime::Runtime,
}

impl Drop for ServedHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_hub(dir: &Path) -> ServedHub {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub_toml = init_hub(dir);
    import_sample_plan(&hub_toml);
    let state_dir = ppe::context::HubContext::open(&hub_toml).unwrap().config.state_dir;
    let mut child = Command::new(ppe_bin())
        .args(["hub", "serve", "--listen", "127.0.0.1:0", "--config", hub_toml.to_str().unwrap()])
        .env("PPE_LOG", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = url_from_log(child.stderr.take().unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    ServedHub { child, url, hub_toml, state_dir, rt }
}

/// The URL the daemon prints once listening; its log keeps being drained.
fn url_from_log(stderr: std::process::ChildStderr) -> String {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("the hub ended before printing its URL").unwrap();
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with("https://")) {
            break u.trim_end_matches(';').to_string();
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    url
}

/// What the hub stored for uploads: rows of both points, blob names, partials with sizes,
/// accepted bundles.
#[derive(Debug, PartialEq, Eq)]
struct Stored {
    rows: Vec<(String, String, u64, Option<String>)>,
    blobs: Vec<String>,
    partials: Vec<(String, u64)>,
    bundles: usize,
}

impl ServedHub {
    /// Enrolls `ppe_code` into `box_dir` pointed at this hub; returns its ppe.toml.
    fn enroll(&self, ppe_code: &str, box_dir: &Path) -> PathBuf {
        let (out, run) = (box_dir.to_str().unwrap(), box_dir.join("run"));
        let o = ppe(&["hub", "enroll", "--ppe", ppe_code, "--out", out, "--run-dir", run.to_str().unwrap(), "--config", self.hub_toml.to_str().unwrap()]);
        assert!(o.status.success(), "enroll: {}", stderr(&o));
        let config = box_dir.join("ppe.toml");
        let mut v: toml::Value = toml::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
        v["hub"].as_table_mut().unwrap().insert("url".into(), toml::Value::String(self.url.clone()));
        std::fs::write(&config, toml::to_string(&v).unwrap()).unwrap();
        config
    }

    fn db(&self) -> ppe::store::Connection {
        ppe::store::open(&self.state_dir.join("hub.db")).unwrap()
    }

    fn stored(&self) -> Stored {
        let db = self.db();
        let mut rows = Vec::new();
        for code in [A, B] {
            for r in ppe::upload::store::tus_for_point(&db, EXAM, code).unwrap() {
                rows.push((r.upload_id, r.ppe_code, r.upload_offset, r.stored_sha256));
            }
        }
        let names = |sub: &str| -> Vec<(String, u64)> {
            let mut n: Vec<(String, u64)> = std::fs::read_dir(self.state_dir.join("uploads").join(sub))
                .map(|d| d.flatten().map(|e| (e.file_name().to_string_lossy().to_string(), e.metadata().unwrap().len())).collect())
                .unwrap_or_default();
            n.sort();
            n
        };
        Stored {
            rows,
            blobs: names("blobs").into_iter().map(|(n, _)| n).collect(),
            partials: names("partial"),
            bundles: ppe::upload::store::hub_bundles_for_exam(&db, EXAM).unwrap().len(),
        }
    }

    fn audit(&self, action: &str) -> Vec<ppe::audit::AuditEntry> {
        ppe::audit::store::list(&self.db(), Some(action), 1000).unwrap()
    }

    fn try_send(&self, req: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
        self.rt.block_on(async move { req.send().await })
    }

    fn send(&self, req: reqwest::RequestBuilder) -> reqwest::Response {
        self.try_send(req).unwrap()
    }

    fn json(&self, resp: reqwest::Response) -> serde_json::Value {
        serde_json::from_str(&self.text(resp)).unwrap()
    }

    fn text(&self, resp: reqwest::Response) -> String {
        self.rt.block_on(async move { resp.text().await }).unwrap()
    }

    fn uploads(&self) -> String {
        format!("{}/v1/uploads", self.url)
    }

    /// SIGTERM; how long the hub took to exit (it must exit cleanly).
    fn stop(&mut self) -> Duration {
        let asked = Instant::now();
        assert!(Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap().success());
        while asked.elapsed() < Duration::from_secs(30) {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "hub exited with {status}");
                return asked.elapsed();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the hub did not stop within 30 s of SIGTERM");
    }
}

/// HTTP/1.1 (what a stock tus client speaks) pinned to the hub's CA, with `box_dir`'s client
/// certificate or none.
fn client(ca_of: &Path, certificate_of: Option<&Path>) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca_of.join("keys/hub-ca.crt")).unwrap()).unwrap();
    let mut b = reqwest::Client::builder().tls_certs_only([ca]).http1_only().timeout(Duration::from_secs(30));
    if let Some(d) = certificate_of {
        let pem = [std::fs::read(d.join("keys/client.crt")).unwrap(), std::fs::read(d.join("keys/client.key")).unwrap()].concat();
        b = b.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    b.build().unwrap()
}

fn metadata(pairs: &[(&str, &str)]) -> String {
    let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
    pairs.iter().map(|(k, v)| format!("{k} {}", b64(v))).collect::<Vec<_>>().join(",")
}

/// A tus creation request; with `body`, the whole file in it (creation-with-upload).
fn creation(c: &reqwest::Client, hub: &ServedHub, pairs: &[(&str, &str)], length: usize, body: Option<Vec<u8>>) -> reqwest::RequestBuilder {
    let req = c.post(hub.uploads()).header("Tus-Resumable", "1.0.0").header("Upload-Length", length.to_string()).header("Upload-Metadata", metadata(pairs));
    match body {
        Some(b) => req.header("Content-Type", "application/offset+octet-stream").body(b),
        None => req,
    }
}

fn patch(c: &reqwest::Client, url: &str, offset: u64, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
    c.patch(url).header("Tus-Resumable", "1.0.0").header("Upload-Offset", offset.to_string()).header("Content-Type", "application/offset+octet-stream").body(body)
}

fn location(hub: &ServedHub, resp: &reqwest::Response) -> String {
    format!("{}{}", hub.url, resp.headers()["Location"].to_str().unwrap())
}

fn sha(bytes: &[u8]) -> String {
    ppe::util::sha256_hex(bytes)
}

/// Box A with an upload half done (5 of 10 bytes); returns its URL.
fn half_done_upload(hub: &ServedHub, a: &reqwest::Client) -> String {
    let r = hub.send(creation(a, hub, &[("exam_id", EXAM), ("file_name", "page-1.png"), ("sha256", &sha(b"0123456789"))], 10, None));
    assert_eq!(r.status(), StatusCode::CREATED);
    let url = location(hub, &r);
    assert_eq!(hub.send(patch(a, &url, 0, b"01234".to_vec())).status(), StatusCode::NO_CONTENT);
    url
}

fn signed_manifest(box_dir: &Path) -> ppe::upload::SignedManifest {
    serde_json::from_slice(&std::fs::read(box_dir.join("state/bundles").join(EXAM).join("manifest.json")).unwrap()).unwrap()
}

fn resign(box_dir: &Path, manifest: ppe::upload::Manifest) -> ppe::upload::SignedManifest {
    ppe::upload::sign_manifest(manifest, &ppe::keys::load_ed25519(&box_dir.join("keys/signing.pk8")).unwrap())
}

/// A box with `pages` scanned pages whose `ppe edge upload` ran; returns (config, outcome).
fn box_that_uploaded(hub: &ServedHub, code: &str, box_dir: &Path, pages: usize) -> (PathBuf, std::process::Output) {
    let config = hub.enroll(code, box_dir);
    scan_pages(&config, box_dir, pages, 3000);
    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM]);
    (config, o)
}

#[test]
fn box_routes_without_a_certificate_are_refused_and_store_nothing() {
    let t = tempfile::tempdir().unwrap();
    let hub = serve_hub(&t.path().join("hub"));
    let a_dir = t.path().join("box-a");
    hub.enroll(A, &a_dir);
    let (a, stranger) = (client(&a_dir, Some(&a_dir)), client(&a_dir, None));
    let upload = half_done_upload(&hub, &a);
    let before = hub.stored();
    let manifest = resign(
        &a_dir,
        ppe::upload::Manifest {
            format: ppe::upload::MANIFEST_FORMAT.into(),
            exam_id: EXAM.into(),
            ppe_code: A.into(),
            created_at: "2027-05-27T08:00:00Z".into(),
            files: vec![ppe::upload::ManifestFile { name: "page-1.png".into(), kind: "page".into(), sha256: sha(b"0123456789"), size: 10, participant_id: None }],
            counts: Default::default(),
            audit_head: ppe::upload::AuditHead { seq: 0, hash: "0".repeat(64) },
        },
    );
    let tus = |m: Method, url: &str| stranger.request(m, url).header("Tus-Resumable", "1.0.0");
    let routes: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("tus OPTIONS", tus(Method::OPTIONS, &hub.uploads())),
        ("tus creation for A with its bytes", creation(&stranger, &hub, &[("exam_id", EXAM), ("ppe_code", A), ("file_name", "record.json")], 4, Some(b"junk".to_vec()))),
        ("tus creation", creation(&stranger, &hub, &[("exam_id", EXAM), ("ppe_code", A), ("file_name", "record.json")], 4, None)),
        ("tus HEAD of A's upload", tus(Method::HEAD, &upload)),
        ("tus PATCH of A's upload", patch(&stranger, &upload, 5, b"XXXXX".to_vec())),
        ("tus DELETE of A's upload", tus(Method::DELETE, &upload)),
        ("bundle finalize", stranger.post(format!("{}/bundles", hub.uploads())).json(&manifest)),
        ("plan", stranger.get(format!("{}/v1/plan", hub.url))),
        ("package", stranger.get(format!("{}/v1/packages/{EXAM}/{A}/manifest.json", hub.url))),
        ("key", stranger.post(format!("{}/v1/exams/{EXAM}/key", hub.url)).json(&serde_json::json!({"ppe_code": A}))),
        ("heartbeat", stranger.post(format!("{}/v1/heartbeat", hub.url)).json(&serde_json::json!({"ppe_code": A}))),
        ("time", stranger.get(format!("{}/v1/time", hub.url))),
    ];
    for (what, req) in routes {
        let r = hub.send(req);
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{what}: answered without a certificate");
        if what != "tus HEAD of A's upload" {
            assert_eq!(hub.json(r)["error"], "no_certificate", "{what}");
        }
    }
    assert_eq!(hub.stored(), before, "nothing stored, nothing changed");
    assert!(hub.audit("upload.").iter().all(|e| e.actor != format!("box:{A}") || e.action != "upload.bundle_refused"), "nothing blamed on A");
    // The same upload is still A's to finish, and the dashboard still answers a browser.
    assert_eq!(hub.send(patch(&a, &upload, 5, b"56789".to_vec())).status(), StatusCode::NO_CONTENT);
    assert_eq!(hub.send(stranger.get(format!("{}/login", hub.url))).status(), StatusCode::OK);
}

#[test]
fn another_points_certificate_cannot_touch_an_upload_it_does_not_own() {
    let t = tempfile::tempdir().unwrap();
    let hub = serve_hub(&t.path().join("hub"));
    let (a_dir, b_dir) = (t.path().join("box-a"), t.path().join("box-b"));
    hub.enroll(A, &a_dir);
    hub.enroll(B, &b_dir);
    let (a, b) = (client(&a_dir, Some(&a_dir)), client(&a_dir, Some(&b_dir)));
    let upload = half_done_upload(&hub, &a);
    let before = hub.stored();
    let tus = |m: Method| b.request(m, &upload).header("Tus-Resumable", "1.0.0");
    assert_eq!(hub.send(tus(Method::HEAD)).status(), StatusCode::NOT_FOUND, "B does not see A's upload");
    assert_eq!(hub.send(patch(&b, &upload, 5, b"XXXXX".to_vec())).status(), StatusCode::NOT_FOUND);
    assert_eq!(hub.send(tus(Method::DELETE)).status(), StatusCode::NOT_FOUND);
    let r = hub.send(creation(&b, &hub, &[("exam_id", EXAM), ("ppe_code", A), ("file_name", "record.json")], 4, Some(b"junk".to_vec())));
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "B cannot upload in A's name");
    assert_eq!(hub.stored(), before, "A's upload untouched, nothing created");
    let mut partial = Vec::new();
    let id = upload.rsplit('/').next().unwrap();
    std::io::Read::read_to_end(&mut std::fs::File::open(hub.state_dir.join("uploads/partial").join(id)).unwrap(), &mut partial).unwrap();
    assert_eq!(partial, b"01234");
    assert_eq!(hub.send(patch(&a, &upload, 5, b"56789".to_vec())).status(), StatusCode::NO_CONTENT, "A finishes it");
}

#[test]
fn a_file_named_like_the_victims_record_json_does_not_spoil_its_bundle_or_blame_it() {
    let t = tempfile::tempdir().unwrap();
    let hub = serve_hub(&t.path().join("hub"));
    let (a_dir, b_dir) = (t.path().join("box-a"), t.path().join("box-b"));
    let (_, o) = box_that_uploaded(&hub, A, &a_dir, 2);
    assert!(o.status.success(), "A's upload: {}", stderr(&o));
    hub.enroll(B, &b_dir);
    let (a, b, stranger) = (client(&a_dir, Some(&a_dir)), client(&a_dir, Some(&b_dir)), client(&a_dir, None));
    let junk = |c: &reqwest::Client, pairs: &[(&str, &str)]| hub.send(creation(c, &hub, pairs, 4, Some(b"junk".to_vec()))).status();
    let named_like_a = [("exam_id", EXAM), ("ppe_code", A), ("file_name", "record.json"), ("kind", "record")];
    assert_eq!(junk(&stranger, &named_like_a), StatusCode::FORBIDDEN);
    assert_eq!(junk(&b, &named_like_a), StatusCode::FORBIDDEN);
    assert_eq!(junk(&b, &[("exam_id", EXAM), ("file_name", "record.json"), ("kind", "record")]), StatusCode::CREATED, "B's own file");
    // Even a newer `record.json` of A's own (a stale build, or a thief of A's certificate
    // trying to spoil the bundle) is not what the manifest names: files go by content.
    assert_eq!(junk(&a, &[("exam_id", EXAM), ("file_name", "record.json"), ("kind", "record")]), StatusCode::CREATED);
    let signed = signed_manifest(&a_dir);
    let r = hub.send(a.post(format!("{}/bundles", hub.uploads())).json(&signed));
    assert_eq!(r.status(), StatusCode::OK, "A's bundle still verifies");
    let receipt: ppe::upload::Receipt = serde_json::from_str(&hub.text(r)).unwrap();
    assert_eq!(receipt.receipt.manifest_sha256, signed.manifest.sha256());
    assert!(hub.audit("upload.bundle_refused").is_empty(), "no refusal recorded against A");
    let b_rows = ppe::upload::store::tus_for_point(&hub.db(), EXAM, B).unwrap();
    assert_eq!(b_rows.len(), 1);
    for e in hub.audit("upload.file_received") {
        if e.object == b_rows[0].upload_id {
            assert_eq!(e.actor, format!("box:{B}"), "B's upload is B's");
        } else {
            assert_eq!(e.actor, format!("box:{A}"));
        }
    }
}

#[test]
fn an_upload_whose_bytes_differ_from_its_declared_sha256_is_never_complete() {
    let t = tempfile::tempdir().unwrap();
    let hub = serve_hub(&t.path().join("hub"));
    let a_dir = t.path().join("box-a");
    hub.enroll(A, &a_dir);
    let a = client(&a_dir, Some(&a_dir));
    let (real, forged) = (b"the real page".to_vec(), b"a forged page".to_vec());
    let declared = [("exam_id", EXAM), ("file_name", "page-1.png"), ("sha256", &sha(&real))];
    // Sent whole with its creation.
    let r = hub.send(creation(&a, &hub, &declared, forged.len(), Some(forged.clone())));
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = hub.text(r);
    assert!(body.contains("hash_mismatch") && !body.contains(&sha(&forged)), "what the bytes hash to is not told: {body}");
    let empty = Stored { rows: vec![], blobs: vec![], partials: vec![], bundles: 0 };
    assert_eq!(hub.stored(), empty, "no row, no blob, no partial");
    // Sent in two PATCHes (no per-chunk checksum): the last one is refused, the upload gone.
    let r = hub.send(creation(&a, &hub, &declared, forged.len(), None));
    assert_eq!(r.status(), StatusCode::CREATED);
    let url = location(&hub, &r);
    assert_eq!(hub.send(patch(&a, &url, 0, forged[..6].to_vec())).status(), StatusCode::NO_CONTENT);
    assert_eq!(hub.send(patch(&a, &url, 6, forged[6..].to_vec())).status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(hub.send(a.head(&url).header("Tus-Resumable", "1.0.0")).status(), StatusCode::NOT_FOUND);
    assert_eq!(hub.stored(), empty, "no row, no blob, no partial");
    let refused = hub.audit("upload.file_refused");
    assert_eq!(refused.len(), 2);
    assert!(refused.iter().all(|e| e.actor == format!("box:{A}") && e.details["reason"] == "hash_mismatch"), "{refused:?}");
    // Creation by content never hands it back: the same content starts afresh, and the real
    // bytes complete.
    let r = hub.send(creation(&a, &hub, &declared, real.len(), None));
    assert_eq!((r.status(), r.headers()["Upload-Offset"].to_str().unwrap()), (StatusCode::CREATED, "0"));
    let fresh = location(&hub, &r);
    assert_ne!(fresh, url);
    assert_eq!(hub.send(patch(&a, &fresh, 0, real.clone())).status(), StatusCode::NO_CONTENT);
    let stored = hub.stored();
    assert_eq!(stored.rows.len(), 1);
    assert_eq!(stored.rows[0].3.as_deref(), Some(sha(&real).as_str()));
    assert_eq!(stored.blobs, vec![sha(&real)]);
}

#[test]
fn a_manifest_whose_sha256_names_a_path_or_a_device_is_refused_fast_without_echo() {
    let t = tempfile::tempdir().unwrap();
    let mut hub = serve_hub(&t.path().join("hub"));
    let a_dir = t.path().join("box-a");
    let (_, o) = box_that_uploaded(&hub, A, &a_dir, 1);
    assert!(o.status.success(), "A's upload: {}", stderr(&o));
    let a = client(&a_dir, Some(&a_dir));
    let ca_key = std::fs::read(ppe::context::HubContext::open(&hub.hub_toml).unwrap().config.ca_key_file).unwrap();
    let bundles_before = hub.stored().bundles;
    let honest = signed_manifest(&a_dir).manifest;
    let evil = ["../../keys/ca.key", "/dev/zero", "../../../../../../../../dev/zero", "blobs/../../hub.db"];
    for path in evil {
        let mut m = honest.clone();
        m.files[0].sha256 = path.into();
        m.files[0].size = 1 << 20;
        let asked = Instant::now();
        let r = hub.send(a.post(format!("{}/bundles", hub.uploads())).json(&resign(&a_dir, m)));
        assert!(asked.elapsed() < Duration::from_secs(5), "{path}: answered in {:?}", asked.elapsed());
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let text = hub.text(r);
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["error"], "malformed_manifest", "{path}: {text}");
        assert!(!text.contains("dev") && !text.contains("key") && !text.contains(".."), "{path}: the value is not echoed: {text}");
    }
    // A well-formed hash of a file the hub can read but never took as an upload (its CA key):
    // it is not there, and nothing about the file is told.
    let mut m = honest.clone();
    m.files[0].sha256 = sha(&ca_key);
    let r = hub.send(a.post(format!("{}/bundles", hub.uploads())).json(&resign(&a_dir, m)));
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = hub.text(r);
    assert!(text.contains("missing_file"), "{text}");
    assert_eq!(hub.stored().bundles, bundles_before, "no receipt for any of them");
    // The hub keeps serving, and stops at once when asked.
    assert_eq!(hub.send(a.get(format!("{}/v1/time", hub.url)).header(ppe::protocol::TIME_NONCE_HEADER, "ab".repeat(32))).status(), StatusCode::OK);
    let took = hub.stop();
    assert!(took < Duration::from_secs(10), "shutdown took {took:?}");
}

#[test]
fn a_bundle_file_on_media_that_is_a_symlink_to_a_device_or_a_hub_secret_is_refused_at_once() {
    let t = tempfile::tempdir().unwrap();
    let hub = serve_hub(&t.path().join("hub"));
    let a_dir = t.path().join("box-a");
    let config = hub.enroll(A, &a_dir);
    scan_pages(&config, &a_dir, 2, 3000);
    let ca_key = ppe::context::HubContext::open(&hub.hub_toml).unwrap().config.ca_key_file;
    for (n, target) in [Path::new("/dev/zero"), ca_key.as_path()].into_iter().enumerate() {
        let usb = t.path().join(format!("usb{n}"));
        let o = ppe(&["edge", "export", "--config", config.to_str().unwrap(), "--exam", EXAM, "--to", usb.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let victim = usb.join("files").join(&signed_manifest(&a_dir).manifest.files[0].name);
        std::fs::remove_file(&victim).unwrap();
        std::os::unix::fs::symlink(target, &victim).unwrap();
        let mut import = Command::new(ppe_bin())
            .args(["hub", "import", "--config", hub.hub_toml.to_str().unwrap(), usb.to_str().unwrap()])
            .env("PPE_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let asked = Instant::now();
        while import.try_wait().unwrap().is_none() {
            if asked.elapsed() > Duration::from_secs(20) {
                let _ = import.kill();
                panic!("`hub import` still reading {} after 20 s", target.display());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let o = import.wait_with_output().unwrap();
        assert!(!o.status.success(), "{}", target.display());
        assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
        assert!(!usb.join("receipt.json").exists());
    }
    assert_eq!(hub.stored().bundles, 0);
    assert!(!hub.stored().blobs.contains(&sha(&std::fs::read(&ca_key).unwrap())), "the CA key was not copied in");
}

#[test]
fn receipts_are_only_for_exams_in_the_plan_and_assigned_to_that_box() {
    let t = tempfile::tempdir().unwrap();
    let hub = serve_hub(&t.path().join("hub"));
    // B is enrolled but not assigned to the exam: its files go up, its bundle gets no receipt.
    let b_dir = t.path().join("box-b");
    let (_, o) = box_that_uploaded(&hub, B, &b_dir, 1);
    assert!(!o.status.success(), "B got a receipt");
    assert!(stderr(&o).contains("не назначен на экзамен"), "{}", stderr(&o));
    let refused = hub.audit("upload.bundle_refused");
    assert_eq!((refused.len(), refused[0].actor.as_str()), (1, "box:0202"));
    assert_eq!(refused[0].details["reason"], "not_assigned");
    // A is assigned to ege-02, but not to an exam the plan does not have.
    let a_dir = t.path().join("box-a");
    let (_, o) = box_that_uploaded(&hub, A, &a_dir, 1);
    assert!(o.status.success(), "A's own exam: {}", stderr(&o));
    let mut m = signed_manifest(&a_dir).manifest;
    m.exam_id = "ege-99".into();
    let a = client(&a_dir, Some(&a_dir));
    let r = hub.send(a.post(format!("{}/bundles", hub.uploads())).json(&resign(&a_dir, m)));
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(hub.json(r)["error"], "exam_not_in_plan");
    let bundles = ppe::upload::store::hub_bundles_for_exam(&hub.db(), EXAM).unwrap();
    assert_eq!(bundles.iter().map(|b| b.ppe_code.as_str()).collect::<Vec<_>>(), [A], "only A's receipt");
    assert!(ppe::upload::store::hub_bundles_for_exam(&hub.db(), "ege-99").unwrap().is_empty());
}

/// A body of `len` bytes streamed in 64 KiB pieces (no Content-Length: chunked).
fn big_body(len: usize) -> reqwest::Body {
    let piece = bytes::Bytes::from(vec![0u8; 64 << 10]);
    let pieces = (0..len / piece.len()).map(move |_| Ok::<_, std::io::Error>(piece.clone()));
    reqwest::Body::wrap_stream(futures_util::stream::iter(pieces))
}

#[test]
fn a_refused_patch_with_a_large_body_answers_its_status_before_the_connection_closes() {
    let t = tempfile::tempdir().unwrap();
    let hub = serve_hub(&t.path().join("hub"));
    let (a_dir, b_dir) = (t.path().join("box-a"), t.path().join("box-b"));
    hub.enroll(A, &a_dir);
    hub.enroll(B, &b_dir);
    let (a, b, stranger) = (client(&a_dir, Some(&a_dir)), client(&a_dir, Some(&b_dir)), client(&a_dir, None));
    let upload = half_done_upload(&hub, &a);
    let before = hub.stored();
    for round in 0..3 {
        let cases: [(&str, reqwest::RequestBuilder, StatusCode); 3] = [
            ("unsupported checksum", patch(&a, &upload, 5, big_body(64 << 20)).header("Upload-Checksum", "md5 AAAAAAAAAAAAAAAAAAAAAA=="), StatusCode::BAD_REQUEST),
            ("another point's upload", patch(&b, &upload, 5, big_body(64 << 20)), StatusCode::NOT_FOUND),
            ("no certificate", patch(&stranger, &upload, 5, big_body(64 << 20)), StatusCode::FORBIDDEN),
        ];
        for (what, req, want) in cases {
            let r = hub.try_send(req).unwrap_or_else(|e| panic!("round {round}, {what}: no answer, {e:?}"));
            assert_eq!(r.status(), want, "round {round}, {what}");
        }
    }
    assert_eq!(hub.stored(), before, "nothing of the refused bodies kept");
}

/// The same refusal as a stock tus client meets it: tus-js-client (node, HTTP/1.1, the box's
/// certificate) resumes a 32 MiB upload sending `Upload-Checksum: md5`, which the hub does not
/// support. It must report the hub's 400, not "socket hang up" or a reset.
#[test]
fn a_stock_tus_client_refused_mid_body_reads_the_status_not_a_dropped_connection() {
    let t = tempfile::tempdir().unwrap();
    let hub = serve_hub(&t.path().join("hub"));
    let a_dir = t.path().join("box-a");
    hub.enroll(A, &a_dir);
    let a = client(&a_dir, Some(&a_dir));
    let len = 32usize << 20;
    let src = t.path().join("scan.bin");
    std::fs::write(&src, vec![7u8; len]).unwrap();
    let r = hub.send(creation(&a, &hub, &[("exam_id", EXAM), ("file_name", "scan.bin")], len, None));
    assert_eq!(r.status(), StatusCode::CREATED);
    let url = location(&hub, &r);
    let script = t.path().join("client.mjs");
    let keys = a_dir.join("keys");
    std::fs::write(
        &script,
        format!(
            r#"import {{ createRequire }} from 'module';
import fs from 'fs';
const require = createRequire('{nm}/');
const tus = require('tus-js-client');
const [file, uploadUrl] = process.argv.slice(2);
const httpStack = new tus.DefaultHttpStack({{
  ca: fs.readFileSync('{keys}/hub-ca.crt'), cert: fs.readFileSync('{keys}/client.crt'), key: fs.readFileSync('{keys}/client.key') }});
const upload = new tus.Upload(fs.createReadStream(file), {{
  uploadUrl, httpStack, chunkSize: {len}, uploadSize: {len}, retryDelays: null,
  headers: {{ 'Upload-Checksum': 'md5 AAAAAAAAAAAAAAAAAAAAAA==' }},
  onError(e) {{ console.log('ERROR ' + e); process.exit(1); }},
  onSuccess() {{ console.log('DONE'); process.exit(0); }},
}});
upload.start();
"#,
            nm = crate::upload::tus_npm_dir().join("node_modules").display(),
            keys = keys.display(),
        ),
    )
    .unwrap();
    for round in 0..3 {
        let o = Command::new("node").arg(&script).arg(&src).arg(&url).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(out.contains("response code: 400"), "round {round}: the refusal did not arrive: {out}{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(hub.stored().rows[0].2, 0, "nothing of the refused bodies kept");
}
