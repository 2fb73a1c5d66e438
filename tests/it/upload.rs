//! The upload flow: our box client against our hub (plain HTTP and mutual TLS), against a
//! stock @tus/server, a stock tus client against our hub, kill -9 and a corrupting proxy,
//! tampered bundles over the network and on media.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use ppe::upload::server::{router, UploadServerState};

use crate::common::{ppe, stderr, stdout};

pub const EXAM: &str = "ege-02";
pub const PPE: &str = "0101";

/// Our hub's upload router served on 127.0.0.1:0 in its own runtime.
pub struct TestHub {
    pub url: String,
    pub state: Arc<UploadServerState>,
    pub hub_public_hex: String,
    dir: PathBuf,
    /// The exam point every request is served as (no TLS here: the box last registered).
    serves_as: Arc<std::sync::Mutex<String>>,
    /// What reached the hub's upload routes.
    pub traffic: Arc<Traffic>,
    _rt: tokio::runtime::Runtime,
}

/// Requests the test hub saw: every request, tus creations, and the file bytes in bodies.
#[derive(Default)]
pub struct Traffic {
    pub requests: std::sync::atomic::AtomicU64,
    pub creations: std::sync::atomic::AtomicU64,
    pub file_bytes: std::sync::atomic::AtomicU64,
}

pub fn key_pair() -> (Vec<u8>, String) {
    let der = ppe::keys::generate_ed25519_pkcs8().unwrap();
    let public = ppe::keys::ed25519_public_hex(&ppe::keys::ed25519_from_pkcs8(&der).unwrap());
    (der, public)
}

pub fn start_hub(dir: &Path) -> TestHub {
    start_hub_with(dir, |_| {})
}

/// [`start_hub`] with the state set up by `configure` first (limits, for one).
pub fn start_hub_with(dir: &Path, configure: impl FnOnce(&mut UploadServerState)) -> TestHub {
    let (der, public) = key_pair();
    std::fs::create_dir_all(dir).unwrap();
    let mut state = UploadServerState::in_folder(dir, ppe::clock::Clock::real(), ppe::keys::ed25519_from_pkcs8(&der).unwrap()).unwrap();
    configure(&mut state);
    let state = Arc::new(state);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    // Plain HTTP has no certificate: the identity the hub's listener would insert for the
    // registered box's certificate is inserted here (the upload routes refuse without one).
    let serves_as = Arc::new(std::sync::Mutex::new(PPE.to_string()));
    let who = serves_as.clone();
    let traffic = Arc::new(Traffic::default());
    let seen = traffic.clone();
    let app = axum::Router::new().nest("/v1/uploads", router(state.clone())).layer(axum::middleware::from_fn(
        move |mut req: axum::extract::Request, next: axum::middleware::Next| {
            use std::sync::atomic::Ordering::SeqCst;
            let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
            seen.requests.fetch_add(1, SeqCst);
            if req.method() == axum::http::Method::POST && header("upload-length").is_some() {
                seen.creations.fetch_add(1, SeqCst);
            }
            if header("content-type").as_deref() == Some("application/offset+octet-stream") {
                seen.file_bytes.fetch_add(header("content-length").and_then(|l| l.parse().ok()).unwrap_or(0), SeqCst);
            }
            req.extensions_mut().insert(ppe::context::BoxIdentity { ppe_code: who.lock().unwrap().clone() });
            next.run(req)
        },
    ));
    rt.spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let hub = TestHub { url: format!("http://{addr}"), state, hub_public_hex: public, dir: dir.to_path_buf(), serves_as, traffic, _rt: rt };
    // Receipts only for exams of the plan assigned to the exam point.
    hub.import_plan(&ppe::plan::read_plan_file(&crate::common::fixture("plan-sample.json")).unwrap().0);
    hub
}

impl TestHub {
    /// Registers a box's signing key; requests are served as that exam point from now on.
    pub fn register_box(&self, ppe_code: &str, public_hex: &str) {
        self.state.meta.box_key_register(ppe_code, public_hex, "2027-05-27T00:00:00Z").unwrap();
        *self.serves_as.lock().unwrap() = ppe_code.to_string();
    }

    /// Replaces the hub's plan.
    pub fn import_plan(&self, plan: &ppe::model::Plan) {
        let mut db = self.db();
        let tx = db.transaction().unwrap();
        ppe::plan::store::replace_plan(&tx, plan, "2027-05-27T00:00:00Z", "test", "-").unwrap();
        tx.commit().unwrap();
    }

    /// A connection of the test's own to the hub's database, to read what the hub stored.
    pub fn db(&self) -> ppe::store::Connection {
        ppe::store::open(&self.dir.join("hub.db")).unwrap()
    }

    /// The bytes the hub holds at a content address, read through its blob store.
    pub fn blob(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        stored_blob(&self.state, sha256)
    }
}

fn stored_blob(state: &UploadServerState, sha256: &str) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut stored = state.blobs.open(sha256, None).map_err(std::io::Error::other)?;
    std::io::Read::read_to_end(&mut stored, &mut out)?;
    Ok(out)
}

/// Our whole hub as `ppe hub serve` runs it, in this process: a folder from `ppe hub init`,
/// the product's mutual-TLS listener, and its identity layer mapping an enrolled box
/// certificate to its exam point. Boxes are enrolled with `ppe hub enroll`.
pub struct TlsHub {
    pub url: String,
    pub hub_toml: PathBuf,
    pub uploads: Arc<UploadServerState>,
    _rt: tokio::runtime::Runtime,
}

pub fn start_tls_hub(dir: &Path) -> TlsHub {
    let hub_toml = crate::common::init_hub(dir);
    import_sample_plan(&hub_toml);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let ctx = ppe::context::HubContext::open(&hub_toml).unwrap();
    let server = ppe::hub::server::HubServer::from_context(&ctx).unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tls, state, app) = (server.tls_config().unwrap(), server.state.clone(), server.router());
    rt.spawn(async move { ppe::hub::server::serve(listener, tls, state, app).await });
    TlsHub { url: format!("https://127.0.0.1:{port}"), hub_toml, uploads: server.uploads.clone(), _rt: rt }
}

impl TlsHub {
    /// Enrolls exam point `ppe_code` into `box_dir` (certificate, keys, ppe.toml), the box
    /// pointed at this hub, configured as exam point `configured_as`; returns its config.
    pub fn enroll(&self, ppe_code: &str, box_dir: &Path, configured_as: &str) -> PathBuf {
        let (hub_toml, out, run) = (self.hub_toml.to_str().unwrap(), box_dir.to_str().unwrap(), box_dir.join("run"));
        let o = ppe(&["hub", "enroll", "--ppe", ppe_code, "--out", out, "--run-dir", run.to_str().unwrap(), "--config", hub_toml]);
        assert!(o.status.success(), "enroll: {}", stderr(&o));
        let config = box_dir.join("ppe.toml");
        let mut v: toml::Value = toml::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
        v["ppe_code"] = toml::Value::String(configured_as.into());
        v["hub"].as_table_mut().unwrap().insert("url".into(), toml::Value::String(self.url.clone()));
        std::fs::write(&config, toml::to_string(&v).unwrap()).unwrap();
        config
    }
}

/// `ppe hub import-plan` of the sample plan (exam ege-02 at exam point 0101).
pub fn import_sample_plan(hub_toml: &Path) {
    let plan = crate::common::fixture("plan-sample.json");
    let o = ppe(&["hub", "import-plan", plan.to_str().unwrap(), "--config", hub_toml.to_str().unwrap()]);
    assert!(o.status.success(), "import-plan: {}", stderr(&o));
}

/// A box folder: ppe.toml pointing at `hub_url`, its signing key. Returns (config, public).
pub fn make_box(dir: &Path, hub_url: &str, hub_public_hex: &str) -> (PathBuf, String) {
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    let (der, public) = key_pair();
    ppe::keys::write_secret(&dir.join("keys/signing.pk8"), &der).unwrap();
    let toml = format!(
        "ppe_code = \"{PPE}\"\nrun_dir = \"run\"\n[hub]\nurl = \"{hub_url}\"\nca_file = \"keys/hub-ca.crt\"\nsigning_public_key = \"{hub_public_hex}\"\n[keys]\nsigning_key_file = \"keys/signing.pk8\"\n"
    );
    std::fs::write(dir.join("ppe.toml"), toml).unwrap();
    (dir.join("ppe.toml"), public)
}

/// Pseudo-random page bytes (no code on them), deterministic per seed.
pub fn page_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Scans `n` pages of `len` bytes into the box through the inbox.
pub fn scan_pages(config: &Path, dir: &Path, n: usize, len: usize) {
    let inbox = dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for i in 0..n {
        std::fs::write(inbox.join(format!("page-{i:04}.png")), page_bytes(i as u64 + 1, len)).unwrap();
    }
    let o = ppe(&["edge", "scan", "--config", config.to_str().unwrap(), "--exam", EXAM, "--from", inbox.to_str().unwrap()]);
    assert!(o.status.success(), "scan: {}", stderr(&o));
}

pub fn bundle_manifest(box_dir: &Path) -> ppe::upload::SignedManifest {
    serde_json::from_slice(&std::fs::read(box_dir.join("state/bundles").join(EXAM).join("manifest.json")).unwrap()).unwrap()
}

/// Every manifest file is on the hub byte-identical to the box's copy.
pub fn assert_hub_holds_bundle(hub: &UploadServerState, box_dir: &Path) {
    let m = bundle_manifest(box_dir);
    for f in &m.manifest.files {
        let on_hub = stored_blob(hub, &f.sha256).unwrap_or_else(|_| panic!("{} not on hub", f.name));
        let on_box = std::fs::read(box_dir.join("state/bundles").join(EXAM).join("files").join(&f.name)).unwrap();
        assert_eq!(on_hub, on_box, "{}", f.name);
    }
}

/// Receipts the box holds (a `kill -9` between an atomic write and its rename may leave a
/// hidden temporary file beside them; that is not a receipt).
pub fn receipt_count(box_dir: &Path) -> usize {
    std::fs::read_dir(box_dir.join("state/receipts"))
        .map(|d| d.flatten().filter(|e| !e.file_name().to_string_lossy().starts_with('.')).count())
        .unwrap_or(0)
}

#[test]
fn box_uploads_bundle_to_our_hub_and_holds_verified_receipt() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &hub.url, &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    scan_pages(&config, &box_dir, 5, 200_000);
    // One issued sheet never scanned: a person sends anyway; the record says what is missing.
    // The box's own record of the day (the one source of expected sheets): p7 is present with
    // answer sheet №7.
    {
        let conn = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
        let sheet = ppe::attendance::IssuedSheet { exam_id: EXAM.into(), ppe_code: PPE.into(), kind: ppe::sheet_code::SheetKind::Answers1, number: 7, participant_id: Some("p7".into()), kit: 1, voided: false };
        ppe::attendance::store::sheet_insert(&conn, &sheet, "2027-05-27T02:30:00Z").unwrap();
        let present = ppe::attendance::ExamEvent { medical_worker_id: String::new(), exam_id: EXAM.into(), participant_id: "p7".into(), kind: ppe::attendance::EventKind::Present, at: "2027-05-27T02:50:00Z".into(), reason: String::new(), gek_worker_id: String::new(), actor: "test".into() };
        ppe::attendance::store::event_insert(&conn, &present, "2027-05-27T02:50:00Z").unwrap();
    }
    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM, "--chunk-size", "65536"]);
    assert!(o.status.success(), "upload: {}", stderr(&o));
    assert!(stdout(&o).contains("квитанция РЦОИ получена"), "{}", stdout(&o));
    assert!(stderr(&o).contains("комплектность не полная") && stderr(&o).contains("участник p7"), "{}", stderr(&o));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(box_dir.join("state/bundles").join(EXAM).join("files/record.json")).unwrap()).unwrap();
    assert_eq!(record["completeness"]["missing_sheets"][0][0], "p7");
    assert_eq!(record["completeness"]["to_resolve"], 5);
    assert_hub_holds_bundle(&hub.state, &box_dir);
    assert_eq!(receipt_count(&box_dir), 1);
    let summary = ppe::upload::store::upload_summary_for_exam(&hub.db(), EXAM).unwrap();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].files_completed, 6, "5 pages and the record");
    assert!(summary[0].receipt_at.is_some());
    // A second run finds everything done and gets the same receipt again: idempotent.
    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM]);
    assert!(o.status.success(), "second upload: {}", stderr(&o));
    let bundles = ppe::upload::store::hub_bundles_for_exam(&hub.db(), EXAM).unwrap();
    assert_eq!(bundles.len(), 1);
}

/// The crash window creation-with-upload opens: the hub holds whole files the box has no mark
/// for (killed before its batched marks were written). Files marked started are asked for by
/// plain creation and cost no byte; files without a start mark would be sent again.
#[test]
fn files_the_box_lost_track_of_are_not_sent_again_when_marked_started() {
    use std::sync::atomic::Ordering;
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &hub.url, &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    scan_pages(&config, &box_dir, 6, 100_000);
    let upload = || ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM]);
    let o = upload();
    assert!(o.status.success(), "{}", stderr(&o));
    let total = bundle_manifest(&box_dir).manifest.total_bytes();
    assert_eq!(hub.state.bytes_received_total.load(Ordering::SeqCst), total, "each byte sent once");
    let forget = |sql: &str| {
        let conn = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
        conn.execute(sql, []).unwrap();
    };
    // Killed after the files went up, before any URL or done mark was kept: started only.
    forget("UPDATE upload_file SET completed_at = NULL, upload_url = NULL");
    let o = upload();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(hub.state.bytes_received_total.load(Ordering::SeqCst), total, "nothing re-sent");
    assert_eq!(receipt_count(&box_dir), 1, "the same receipt");
    // Without the start marks the box cannot know, and sends every file with its creation
    // again (the hub reads and drops them): what the marks save.
    forget("UPDATE upload_file SET completed_at = NULL, upload_url = NULL, started_at = NULL");
    let o = upload();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(hub.state.bytes_received_total.load(Ordering::SeqCst), 2 * total);
    assert_hub_holds_bundle(&hub.state, &box_dir);
}

#[test]
fn an_upload_that_cannot_meet_its_deadline_raises_a_stored_alarm_and_still_completes() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &hub.url, &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    scan_pages(&config, &box_dir, 2, 100_000);
    let db_path = box_dir.join("state/ppe.db");
    let alarms = || ppe::materials::store::alarms(&ppe::store::open(&db_path).unwrap()).unwrap();
    assert!(alarms().is_empty());
    // The deadline passed already: the estimate cannot meet it, whatever the rate.
    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM, "--deadline", "2000-01-01T00:00:00Z"]);
    assert!(o.status.success(), "late is still uploaded: {}", stderr(&o));
    assert!(stderr(&o).contains("не успеваем к сроку"), "{}", stderr(&o));
    let stored = alarms();
    assert_eq!(stored.len(), 1, "one alarm per run: {stored:?}");
    assert_eq!((stored[0].0.as_str(), stored[0].1.as_str()), (EXAM, "upload_deadline_at_risk"));
    assert!(stored[0].2.contains("срок выгрузки прошёл"), "{stored:?}");
}

#[test]
fn upload_for_another_exam_point_is_refused_by_box_identity() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_tls_hub(t.path());
    // The certificate of exam point 0202 in a box configured as this exam point: the hub takes
    // the exam point from the certificate, never from what the box says.
    let box_dir = t.path().join("box");
    let config = hub.enroll("0202", &box_dir, PPE);
    scan_pages(&config, &box_dir, 1, 1000);
    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("403"), "{}", stderr(&o));
    assert!(stderr(&o).contains("this box is exam point 0202"), "refused for the certificate's exam point: {}", stderr(&o));
    assert_eq!(receipt_count(&box_dir), 0);
}

#[test]
fn tampered_file_on_the_way_is_refused_with_reason_and_no_receipt() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &hub.url, &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    scan_pages(&config, &box_dir, 2, 5000);
    let o = ppe(&["edge", "export", "--config", config.to_str().unwrap(), "--exam", EXAM, "--to", t.path().join("usb0").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Replace one bundle file after the manifest was signed (not through the hard link).
    let m = bundle_manifest(&box_dir);
    let victim = box_dir.join("state/bundles").join(EXAM).join("files").join(&m.manifest.files[0].name);
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[10] ^= 0xff;
    std::fs::remove_file(&victim).unwrap();
    std::fs::write(&victim, &bytes).unwrap();
    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("изменён"), "{}", stderr(&o));
    assert_eq!(receipt_count(&box_dir), 0);
    let db = hub.db();
    assert!(ppe::upload::store::hub_bundles_for_exam(&db, EXAM).unwrap().is_empty());
    // Refused as the file arrived: its bytes do not hash to what the box declared.
    let refused = ppe::audit::store::list(&db, Some("upload.file_refused"), 10).unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].details["reason"], "hash_mismatch");
}

#[test]
fn tampered_manifest_sent_to_hub_is_refused_with_reason() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &hub.url, &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    scan_pages(&config, &box_dir, 2, 3000);
    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut signed = bundle_manifest(&box_dir);
    signed.manifest.files.pop(); // claim one file fewer
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = rt.block_on(reqwest::Client::new().post(format!("{}/v1/uploads/bundles", hub.url)).json(&signed).send()).unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let body: serde_json::Value = rt.block_on(resp.json()).unwrap();
    assert_eq!(body["error"], "bad_box_signature");
    assert!(body["message_ru"].as_str().unwrap().contains("подпись станции ППЭ"), "{body}");
    assert_eq!(ppe::upload::store::hub_bundles_for_exam(&hub.db(), EXAM).unwrap().len(), 1, "only the honest bundle");
}

/// A hub folder for `ppe hub import`: hub.toml, its signing key, the box key registered.
fn media_hub(dir: &Path, box_public: &str) -> PathBuf {
    let config = crate::common::init_hub(dir);
    import_sample_plan(&config);
    let hub_dir = config.parent().unwrap().to_path_buf();
    let (der, _) = key_pair();
    ppe::keys::write_secret(&hub_dir.join("keys/signing.pk8"), &der).unwrap();
    let db = ppe::store::open(&hub_dir.join("state/hub.db")).unwrap();
    ppe::upload::store::register_box_key(&db, PPE, box_public, "t").unwrap();
    config
}

#[test]
fn media_export_imports_with_receipt_and_tampering_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, "http://127.0.0.1:9", "00");
    scan_pages(&config, &box_dir, 3, 4000);
    let hub_config = media_hub(t.path(), &public);
    let export = |name: &str| {
        let to = t.path().join(name);
        let o = ppe(&["edge", "export", "--config", config.to_str().unwrap(), "--exam", EXAM, "--to", to.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        to
    };
    let import = |dir: &Path| ppe(&["hub", "import", "--config", hub_config.to_str().unwrap(), dir.to_str().unwrap()]);

    // A changed file.
    let usb = export("usb-file");
    let m: ppe::upload::SignedManifest = serde_json::from_slice(&std::fs::read(usb.join("manifest.json")).unwrap()).unwrap();
    let f = usb.join("files").join(&m.manifest.files[1].name);
    let mut bytes = std::fs::read(&f).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    let o = import(&usb);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("hash_mismatch") && stderr(&o).contains("изменён"), "{}", stderr(&o));
    assert!(!usb.join("receipt.json").exists());

    // A changed manifest (one more page claimed).
    let usb = export("usb-manifest");
    let text = std::fs::read_to_string(usb.join("manifest.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["manifest"]["counts"]["pages"] = serde_json::json!(4);
    std::fs::write(usb.join("manifest.json"), serde_json::to_vec(&v).unwrap()).unwrap();
    let o = import(&usb);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad_box_signature"), "{}", stderr(&o));
    assert!(!usb.join("receipt.json").exists());

    // A missing file.
    let usb = export("usb-missing");
    std::fs::remove_file(usb.join("files").join(&m.manifest.files[0].name)).unwrap();
    let o = import(&usb);
    assert!(stderr(&o).contains("missing_file"), "{}", stderr(&o));

    // The untouched bundle is accepted, and its receipt verifies with the hub's key.
    let usb = export("usb-good");
    let o = import(&usb);
    assert!(o.status.success(), "{}", stderr(&o));
    let receipt: ppe::upload::Receipt = serde_json::from_slice(&std::fs::read(usb.join("receipt.json")).unwrap()).unwrap();
    let hub_key = ppe::keys::load_ed25519(&hub_config.parent().unwrap().join("keys/signing.pk8")).unwrap();
    let signed: ppe::upload::SignedManifest = serde_json::from_slice(&std::fs::read(usb.join("manifest.json")).unwrap()).unwrap();
    ppe::upload::verify_receipt(&receipt, &ppe::keys::ed25519_public_hex(&hub_key), &signed.manifest).unwrap();
    assert_eq!(receipt.receipt.via, "media");
}

// ---------- stock tus peers (npm) ----------

/// `node_modules` with @tus/server, @tus/file-store and tus-js-client, cached under target/.
pub fn tus_npm_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tus-npm");
    let ready = ["@tus/server", "@tus/file-store", "tus-js-client"].iter().all(|p| dir.join("node_modules").join(p).exists());
    if !ready {
        std::fs::create_dir_all(&dir).unwrap();
        let o = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .args(["@tus/server@2", "@tus/file-store@2", "tus-js-client@4"])
            .output()
            .expect("npm (Debian package npm) must be installed");
        assert!(o.status.success(), "npm install: {}", String::from_utf8_lossy(&o.stderr));
    }
    dir
}

/// Starts a node script that prints `READY <port>` once listening; returns child and port.
fn start_node_server(script: &Path) -> (std::process::Child, u16) {
    use std::io::BufRead;
    let mut child =
        Command::new("node").arg(script).env("NODE_PATH", tus_npm_dir().join("node_modules")).stdout(Stdio::piped()).spawn().expect("node");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().strip_prefix("READY ").unwrap_or_else(|| panic!("node said {line:?}")).parse().unwrap();
    (child, port)
}

struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct UrlSink(Vec<Option<String>>);
impl ppe::upload::tus_client::TusEvents for UrlSink {
    fn url_created(&mut self, url: Option<&str>) -> Result<(), String> {
        self.0.push(url.map(str::to_string));
        Ok(())
    }
}

#[test]
fn our_client_uploads_to_stock_tus_server_byte_identical() {
    let t = tempfile::tempdir().unwrap();
    let store = t.path().join("store");
    let script = t.path().join("server.mjs");
    std::fs::write(
        &script,
        format!(
            r#"import {{ createRequire }} from 'module';
const require = createRequire('{nm}/');
const {{ Server }} = require('@tus/server');
const {{ FileStore }} = require('@tus/file-store');
const http = require('http');
const server = new Server({{ path: '/files', datastore: new FileStore({{ directory: '{store}' }}) }});
const h = http.createServer((req, res) => server.handle(req, res));
h.listen(0, '127.0.0.1', () => {{ console.log('READY ' + h.address().port); }});
"#,
            nm = tus_npm_dir().join("node_modules").display(),
            store = store.display()
        ),
    )
    .unwrap();
    let (child, port) = start_node_server(&script);
    let _guard = KillOnDrop(child);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let endpoint = reqwest::Url::parse(&format!("http://127.0.0.1:{port}/files")).unwrap();
    let probe = ppe::upload::tus_client::TusClient::new(reqwest::Client::new(), Default::default());
    let offered = rt.block_on(probe.server_features(&endpoint)).unwrap();
    assert!(offered.creation_with_upload && !offered.sha256 && !offered.idempotent_creation, "{offered:?}");
    // The first chunk with the creation request (what @tus/server offers), then without.
    for (round, with_upload) in [(0usize, None), (1, Some(false))] {
        let client = ppe::upload::tus_client::TusClient::new(
            reqwest::Client::new(),
            ppe::upload::tus_client::TusClientOptions { chunk_size: 100_000, creation_with_upload: with_upload, ..Default::default() },
        );
        for (i, len) in [0usize, 1, 99_999, 100_000, 1_234_567].into_iter().enumerate() {
            let i = round * 10 + i;
            let src = t.path().join(format!("f{i}.bin"));
            let bytes = page_bytes(i as u64 + 7, len);
            std::fs::write(&src, &bytes).unwrap();
            let meta = vec![("filename".to_string(), format!("f{i}.bin")), ("exam_id".to_string(), EXAM.to_string())];
            let mut sink = UrlSink(vec![]);
            let outcome = rt.block_on(client.upload(&endpoint, &src, &meta, None, None, &mut sink)).unwrap();
            assert_eq!(outcome.bytes_sent, len as u64, "no re-sends on a clean link");
            let id = outcome.url.rsplit('/').next().unwrap().to_string();
            assert_eq!(std::fs::read(store.join(&id)).unwrap(), bytes, "file {i} ({len} bytes) byte-identical");
            // Resuming a finished upload sends nothing.
            let again = rt.block_on(client.upload(&endpoint, &src, &meta, Some(outcome.url.clone()), None, &mut sink)).unwrap();
            assert_eq!(again.bytes_sent, 0);
        }
    }
}

/// Our client against our hub with the default 4 MiB chunk: the first chunk goes with the
/// creation request (bigger than any default body limit), the rest by PATCH, and the file is
/// stored whole at its content address.
#[test]
fn a_file_of_several_default_chunks_goes_up_with_creation_then_patches() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let src = t.path().join("big.pdf");
    let bytes = page_bytes(5, 9_500_000);
    std::fs::write(&src, &bytes).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = ppe::upload::tus_client::TusClient::new(reqwest::Client::new(), Default::default());
    let endpoint = reqwest::Url::parse(&format!("{}/v1/uploads", hub.url)).unwrap();
    let meta = vec![("exam_id".to_string(), EXAM.to_string()), ("ppe_code".to_string(), PPE.to_string()), ("file_name".to_string(), "big.pdf".to_string())];
    let offered = rt.block_on(client.server_features(&endpoint)).unwrap();
    assert!(offered.sha256 && offered.creation_with_upload && offered.idempotent_creation, "our hub offers all three: {offered:?}");
    let mut sink = UrlSink(vec![]);
    let outcome = rt.block_on(client.upload(&endpoint, &src, &meta, None, None, &mut sink)).unwrap();
    assert_eq!(outcome.bytes_sent, bytes.len() as u64, "no re-sends");
    assert_eq!(sink.0.len(), 1, "the URL is kept before the second chunk: {:?}", sink.0);
    let sha = ppe::util::sha256_hex(&bytes);
    assert_eq!(hub.blob(&sha).unwrap(), bytes);
    assert!(hub.state.blobs.partials().unwrap().is_empty(), "no partial left");
}

/// tus-js-client (stock, from npm) against our hub: `run(stop_after_chunks, resume_url,
/// during_creation)` returns what the client printed.
fn tus_js_client(t: &Path, hub: &TestHub, src: &Path) -> impl Fn(&str, &str, bool) -> String {
    let script = t.join("client.mjs");
    // The checksum goes in through tus-js-client's public onBeforeRequest hook: the chunk is
    // the file slice at the request's Upload-Offset (0 for data sent with the creation).
    std::fs::write(
        &script,
        format!(
            r#"import {{ createRequire }} from 'module';
import fs from 'fs';
import crypto from 'crypto';
const require = createRequire('{nm}/');
const tus = require('tus-js-client');
const [file, endpoint, stopAfter, resumeUrl, during] = process.argv.slice(2);
const data = fs.readFileSync(file);
const chunkSize = 65536;
let chunks = 0;
let patches = 0;
let firstOffset = null;
const upload = new tus.Upload(fs.createReadStream(file), {{
  endpoint, uploadUrl: resumeUrl || null, chunkSize, uploadSize: data.length, retryDelays: [0, 100, 300],
  uploadDataDuringCreation: during === 'yes',
  metadata: {{ exam_id: '{EXAM}', ppe_code: '{PPE}', filename: 'scan.bin', kind: 'page',
    sha256: crypto.createHash('sha256').update(data).digest('hex') }},
  onBeforeRequest(req) {{
    const m = req.getMethod();
    if (m === 'PATCH' || (m === 'POST' && during === 'yes')) {{
      const off = m === 'PATCH' ? parseInt(req.getHeader('Upload-Offset'), 10) : 0;
      if (m === 'PATCH') {{ patches += 1; if (firstOffset === null) firstOffset = off; }}
      const slice = data.subarray(off, Math.min(off + chunkSize, data.length));
      req.setHeader('Upload-Checksum', 'sha256 ' + crypto.createHash('sha256').update(slice).digest('base64'));
    }}
  }},
  onUploadUrlAvailable() {{ console.log('URL ' + upload.url); }},
  onChunkComplete() {{
    chunks += 1;
    if (stopAfter !== '0' && chunks >= parseInt(stopAfter, 10)) {{ console.log('STOPPED'); process.exit(3); }}
  }},
  onError(e) {{ console.log('ERROR ' + e); process.exit(1); }},
  onSuccess() {{ console.log('DONE ' + upload.url + ' FIRST ' + firstOffset + ' PATCHES ' + patches); process.exit(0); }},
}});
upload.start();
"#,
            nm = tus_npm_dir().join("node_modules").display()
        ),
    )
    .unwrap();
    let endpoint = format!("{}/v1/uploads", hub.url);
    let src = src.to_path_buf();
    move |stop: &str, resume: &str, during: bool| {
        let o =
            Command::new("node").arg(&script).arg(&src).arg(&endpoint).arg(stop).arg(resume).arg(if during { "yes" } else { "no" }).output().unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    }
}

#[test]
fn stock_tus_js_client_uploads_to_our_hub_with_checksums_and_resumes_after_stop() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let src = t.path().join("scan.bin");
    let bytes = page_bytes(99, 1_000_000);
    std::fs::write(&src, &bytes).unwrap();
    let run = tus_js_client(t.path(), &hub, &src);
    // Stopped mid-file after 5 chunks of 64 KiB: the hub has exactly those bytes.
    let out = run("5", "", false);
    assert!(out.contains("STOPPED"), "{out}");
    let url = out.lines().find_map(|l| l.strip_prefix("URL ")).unwrap().to_string();
    let id = url.rsplit('/').next().unwrap().to_string();
    let row = ppe::upload::store::tus_get(&hub.db(), &id).unwrap().unwrap();
    assert_eq!(row.upload_offset, 5 * 65536);
    // A new client process resumes from the server's offset.
    let out = run("0", &url, false);
    assert!(out.contains("DONE"), "{out}");
    assert!(out.contains(&format!("FIRST {}", 5 * 65536)), "resumed from the server offset: {out}");
    let row = ppe::upload::store::tus_get(&hub.db(), &id).unwrap().unwrap();
    let sha = row.stored_sha256.unwrap();
    assert_eq!(sha, ppe::util::sha256_hex(&bytes));
    assert_eq!(hub.blob(&sha).unwrap(), bytes);
}

#[test]
fn stock_tus_js_client_sends_data_with_creation_to_our_hub() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let src = t.path().join("scan.bin");
    let bytes = page_bytes(98, 1_000_000);
    std::fs::write(&src, &bytes).unwrap();
    let run = tus_js_client(t.path(), &hub, &src);
    // Stopped after the creation request carried the first chunk: the hub holds it.
    let out = run("1", "", true);
    assert!(out.contains("STOPPED"), "{out}");
    let url = out.lines().find_map(|l| l.strip_prefix("URL ")).unwrap().to_string();
    let id = url.rsplit('/').next().unwrap().to_string();
    let row = ppe::upload::store::tus_get(&hub.db(), &id).unwrap().unwrap();
    assert_eq!(row.upload_offset, 65536, "the first chunk came with the creation request");
    let out = run("0", &url, true);
    assert!(out.contains("DONE"), "{out}");
    assert!(out.contains("FIRST 65536 PATCHES 15"), "16 chunks: one with creation, 15 PATCHes: {out}");
    let sha = ppe::upload::store::tus_get(&hub.db(), &id).unwrap().unwrap().stored_sha256.unwrap();
    assert_eq!(hub.blob(&sha).unwrap(), bytes);
    // A whole small file in the creation request alone.
    let small = t.path().join("small.bin");
    let small_bytes = page_bytes(97, 40_000);
    std::fs::write(&small, &small_bytes).unwrap();
    let run_small = tus_js_client(t.path(), &hub, &small);
    let out = run_small("0", "", true);
    assert!(out.contains("DONE") && out.contains("PATCHES 0"), "{out}");
    assert_eq!(hub.blob(&ppe::util::sha256_hex(&small_bytes)).unwrap(), small_bytes);
}

#[test]
fn upload_survives_kill_9_at_random_points_without_loss_or_duplication() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &hub.url, &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    scan_pages(&config, &box_dir, 30, 300_000);
    let mut kills = 0;
    let mut delays = [40u64, 90, 25, 150, 60, 110, 35, 75].into_iter().cycle();
    let mut done = false;
    for _ in 0..40 {
        let mut child = Command::new(crate::common::ppe_bin())
            .args(["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM, "--chunk-size", "32768"])
            .env("PPE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delays.next().unwrap()));
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            done = true;
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    if !done {
        let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(kills >= 3, "the box was killed mid-upload {kills} times");
    assert_hub_holds_bundle(&hub.state, &box_dir);
    assert_eq!(receipt_count(&box_dir), 1);
    // Nothing duplicated: each file completed exactly once on the hub.
    let rows = ppe::upload::store::tus_for_point(&hub.db(), EXAM, PPE).unwrap();
    let m = bundle_manifest(&box_dir);
    for f in &m.manifest.files {
        let completed = rows.iter().filter(|r| r.file_name == f.name && r.completed_at.is_some()).count();
        assert_eq!(completed, 1, "{} completed {completed} times", f.name);
    }
}

/// A TCP proxy that cuts every other connection after 120 KB and flips one byte in the body of
/// the first PATCH and of the first creation request with data it sees; counts the 460 answers.
struct NastyProxy {
    addr: SocketAddr,
    checksum_refusals: Arc<std::sync::atomic::AtomicUsize>,
    cuts: Arc<std::sync::atomic::AtomicUsize>,
}

fn start_nasty_proxy(rt: &tokio::runtime::Runtime, upstream: SocketAddr) -> NastyProxy {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let refusals = Arc::new(AtomicUsize::new(0));
    let cuts = Arc::new(AtomicUsize::new(0));
    let corrupted = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
    let (r2, c2) = (refusals.clone(), cuts.clone());
    rt.spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let (refusals, cuts, corrupted) = (r2.clone(), c2.clone(), corrupted.clone());
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async {
                    let mut buf = vec![0u8; 16384];
                    let mut total = 0usize;
                    let mut seen = Vec::new();
                    loop {
                        let k = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(k) => k,
                        };
                        let chunk = &mut buf[..k];
                        // One byte of the first PATCH body and of the first creation request
                        // that carries data (creation-with-upload).
                        let pending: Vec<usize> = (0..2).filter(|i| !corrupted[*i].load(Ordering::SeqCst)).collect();
                        if !pending.is_empty() {
                            seen.extend_from_slice(chunk);
                        }
                        for i in pending {
                            let method: &[u8] = if i == 0 { b"PATCH " } else { b"POST /v1/uploads " };
                            let head_end = find_bytes(&seen, method).and_then(|p| find_bytes(&seen[p..], b"\r\n\r\n").map(|h| p + h));
                            if let Some(h) = head_end {
                                let body_start = h + 4;
                                let has_body = i == 0 || find_bytes(&seen[..h], b"offset+octet-stream").is_some();
                                if has_body && seen.len() > body_start + 100 && seen.len() - k <= body_start + 100 {
                                    let idx = body_start + 100 - (seen.len() - k);
                                    chunk[idx] ^= 0x5a;
                                    corrupted[i].store(true, Ordering::SeqCst);
                                }
                            }
                        }
                        total += k;
                        if sw.write_all(chunk).await.is_err() {
                            break;
                        }
                        // The first two connections that carry more than 120 kB are cut mid-stream
                        // (whichever they are: refusals end their connections, so which one
                        // carries the bulk is up to the client).
                        if total > 120_000 && cuts.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |c| (c < 2).then_some(c + 1)).is_ok() {
                            break;
                        }
                    }
                };
                let down = async {
                    let mut buf = vec![0u8; 16384];
                    loop {
                        let k = match sr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(k) => k,
                        };
                        if String::from_utf8_lossy(&buf[..k]).contains("HTTP/1.1 460") {
                            refusals.fetch_add(1, Ordering::SeqCst);
                        }
                        if cw.write_all(&buf[..k]).await.is_err() {
                            break;
                        }
                    }
                };
                // Either direction ending ends the connection (a cut closes both sides).
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    NastyProxy { addr, checksum_refusals: refusals, cuts }
}

#[test]
fn corrupting_and_cutting_proxy_chunk_is_refused_by_checksum_and_resent() {
    let t = tempfile::tempdir().unwrap();
    let hub = start_hub(&t.path().join("hub"));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let upstream: SocketAddr = hub.url.trim_start_matches("http://").parse().unwrap();
    let proxy = start_nasty_proxy(&rt, upstream);
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &format!("http://{}", proxy.addr), &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    scan_pages(&config, &box_dir, 4, 150_000);
    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM, "--chunk-size", "50000"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        proxy.checksum_refusals.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "both corrupted chunks (PATCH, creation-with-upload) were refused with 460"
    );
    assert!(proxy.cuts.load(std::sync::atomic::Ordering::SeqCst) >= 1, "connections were cut");
    assert_hub_holds_bundle(&hub.state, &box_dir);
    assert_eq!(receipt_count(&box_dir), 1);
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// ---------- over the hub's mutual-TLS listener ----------

#[test]
fn box_uploads_over_mutual_tls_with_box_identity() {
    let t = tempfile::tempdir().unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let hub = start_tls_hub(t.path());
    let box_dir = t.path().join("box");
    let config = hub.enroll(PPE, &box_dir, PPE);
    scan_pages(&config, &box_dir, 3, 100_000);
    let o = ppe(&["edge", "upload", "--config", config.to_str().unwrap(), "--exam", EXAM]);
    assert!(o.status.success(), "upload over TLS: {}", stderr(&o));
    assert_hub_holds_bundle(&hub.uploads, &box_dir);
    assert_eq!(receipt_count(&box_dir), 1);
    let uploads = hub.uploads.meta.uploads_for_point(EXAM, PPE).unwrap();
    assert!(!uploads.is_empty(), "the uploads are filed under the exam point of the certificate");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(box_dir.join("keys/hub-ca.crt")).unwrap()).unwrap();
    let creation = |client: &reqwest::Client| {
        rt.block_on(
            client
                .post(format!("{}/v1/uploads", hub.url))
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Length", "3")
                .header("Upload-Metadata", "exam_id ZWdlLTAy,ppe_code MDEwMQ==")
                .send(),
        )
    };
    // Without a client certificate the hub does not talk to a box: refused, nothing created.
    let anonymous = reqwest::Client::builder().tls_certs_only([ca.clone()]).build().unwrap();
    let r = creation(&anonymous).unwrap();
    assert_eq!(r.status().as_u16(), 403, "a client without certificate was answered: {r:?}");
    // A certificate from another CA fails the handshake.
    let other_ca_key = rcgen::KeyPair::generate().unwrap();
    let mut other_ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    other_ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other_ca = other_ca_params.self_signed(&other_ca_key).unwrap();
    let forged_key = rcgen::KeyPair::generate().unwrap();
    let mut forged_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    forged_params.distinguished_name.push(rcgen::DnType::CommonName, PPE);
    let forged = forged_params.signed_by(&forged_key, &other_ca, &other_ca_key).unwrap();
    let identity = reqwest::Identity::from_pem(format!("{}{}", forged.pem(), forged_key.serialize_pem()).as_bytes()).unwrap();
    let impostor = reqwest::Client::builder().tls_certs_only([ca]).identity(identity).build().unwrap();
    let r = creation(&impostor);
    assert!(r.is_err(), "a client with another CA's certificate was answered: {r:?}");
    assert_eq!(hub.uploads.meta.uploads_for_point(EXAM, PPE).unwrap().len(), uploads.len(), "nothing was created for them");
}
