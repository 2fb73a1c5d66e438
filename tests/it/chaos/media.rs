//! The jobs that end with the hub's receipt in the crash harness: `edge upload` to our hub
//! (tus, then finalize) and `hub import` of a bundle carried on media (finalize in the killed
//! process), each checked on both sides.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::jobs::{box_db, check_box, check_bundle_folder, fill_inbox, fresh_box, s};
use super::{ppe_cmd, run_interrupted, run_to_end, Interrupt, Job, Outcome};
use crate::upload::{start_hub, TestHub, EXAM, PPE};

/// Receipt files the box holds (a hidden temporary file of a killed write is none).
fn receipts_held(box_dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(box_dir.join("state/receipts"))
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.')).collect())
        .unwrap_or_default()
}

/// The box holds exactly one receipt, signed by the hub, for exactly the bundle it built.
fn check_receipt(o: &mut Outcome, box_dir: &Path, hub_public: &str, signed: &ppe::upload::SignedManifest) {
    let held = receipts_held(box_dir);
    match held.len() {
        0 => o.lost("no receipt held after the restart finished".into()),
        1 => {}
        n => o.duplicated(format!("{n} receipt files held")),
    }
    let rows = ppe::upload::store::receipt_latest(&box_db(box_dir), EXAM).unwrap();
    if rows.is_none() {
        o.lost("no receipt row in the box's database".into());
    }
    for path in held {
        let receipt: ppe::upload::Receipt = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if let Err(e) = ppe::upload::verify_receipt(&receipt, hub_public, &signed.manifest) {
            o.corrupted(format!("receipt {} does not cover the bundle built: {e}", path.display()));
        }
    }
}

/// The hub's database: integrity and its audit chain.
fn check_hub_db(o: &mut Outcome, conn: &ppe::store::Connection) {
    o.state("hub", &ppe::edge::verify_state::database(conn));
}

/// `edge upload` of 20 pages to our hub, 32 KiB a PATCH.
pub struct Upload {
    root: PathBuf,
    seed: u64,
    hub: Option<TestHub>,
}

impl Upload {
    pub fn new(root: &Path, seed: u64) -> Self {
        Self { root: root.to_path_buf(), seed, hub: None }
    }
}

impl Job for Upload {
    fn name(&self) -> &'static str {
        "upload"
    }
    fn points(&self) -> &'static [&'static str] {
        &["upload.receipt_written", "bundle.files_written"]
    }
    fn kill_window_ms(&self) -> (u64, u64) {
        (20, 900)
    }
    fn run(&mut self, run: usize, how: &Interrupt) -> Outcome {
        let root = self.root.clone();
        let hub = self.hub.get_or_insert_with(|| start_hub(&root.join("upload-hub")));
        let (dir, config, public) = fresh_box(&self.root, "upload", run, &hub.url, &hub.hub_public_hex);
        hub.register_box(PPE, &public);
        let inbox = dir.join("inbox");
        let expected = fill_inbox(&inbox, self.seed.wrapping_add(run as u64 * 1000), 20, 100_000);
        assert!(run_to_end(ppe_cmd(&["edge", "scan", "--config", s(&config), "--exam", EXAM, "--from", s(&inbox)])).status.success());
        let upload = || ppe_cmd(&["edge", "upload", "--config", s(&config), "--exam", EXAM, "--chunk-size", "32768"]);
        let mut o = Outcome { killed: run_interrupted(upload(), how), ..Outcome::default() };
        if !o.finished("edge upload", &run_to_end(upload())) {
            return o;
        }
        check_box(&mut o, &dir, &expected);
        let Some(signed) = check_bundle_folder(&mut o, &dir.join("state/bundles").join(EXAM), &dir) else { return o };
        check_receipt(&mut o, &dir, &hub.hub_public_hex, &signed);
        // On the hub: every file byte-identical, each completed exactly once.
        let rows = ppe::upload::store::tus_for_point(&hub.db(), EXAM, PPE).unwrap();
        for f in &signed.manifest.files {
            let completed = rows.iter().filter(|r| r.completed_at.is_some() && r.stored_sha256.as_deref() == Some(f.sha256.as_str())).count();
            match completed {
                0 => o.lost(format!("{} never completed on the hub", f.name)),
                1 => {}
                n => o.duplicated(format!("{} completed {n} times on the hub", f.name)),
            }
            if hub.blob(&f.sha256).map(|b| ppe::util::sha256_hex(&b) != f.sha256).unwrap_or(true) {
                o.corrupted(format!("{}: the hub's blob is missing or differs", f.name));
            }
        }
        check_hub_db(&mut o, &hub.db());
        o
    }
}

/// A hub folder for `ppe hub import`: hub.toml, the sample plan, its signing key.
fn media_hub(dir: &Path) -> PathBuf {
    let config = crate::common::init_hub(dir);
    crate::upload::import_sample_plan(&config);
    let (der, _) = crate::upload::key_pair();
    ppe::keys::write_secret(&config.parent().unwrap().join("keys/signing.pk8"), &der).unwrap();
    config
}

/// `hub import` of an exported bundle of 20 pages; then `edge import-receipt`.
pub struct Import {
    root: PathBuf,
    seed: u64,
    hub_toml: Option<PathBuf>,
}

impl Import {
    pub fn new(root: &Path, seed: u64) -> Self {
        Self { root: root.to_path_buf(), seed, hub_toml: None }
    }
}

impl Job for Import {
    fn name(&self) -> &'static str {
        "hub-import"
    }
    fn points(&self) -> &'static [&'static str] {
        &["import.blobs_stored", "finalize.receipt_signed", "import.finalized"]
    }
    fn kill_window_ms(&self) -> (u64, u64) {
        (10, 400)
    }
    fn run(&mut self, run: usize, how: &Interrupt) -> Outcome {
        let root = self.root.clone();
        let hub_toml = self.hub_toml.get_or_insert_with(|| media_hub(&root.join("import-hub"))).clone();
        let hub_dir = hub_toml.parent().unwrap().to_path_buf();
        let hub_key = ppe::keys::load_ed25519(&hub_dir.join("keys/signing.pk8")).unwrap();
        let hub_public = ppe::keys::ed25519_public_hex(&hub_key);
        let (dir, config, public) = fresh_box(&self.root, "import", run, "http://127.0.0.1:9", &hub_public);
        // The box's plan (the receipt taken back must name an exam of it).
        let plan = ppe::plan::read_plan_file(&crate::common::fixture("plan-sample.json")).unwrap().0;
        std::fs::create_dir_all(dir.join("state")).unwrap();
        let mut conn = box_db(&dir);
        let tx = conn.transaction().unwrap();
        ppe::plan::store::replace_plan(&tx, &plan.for_exam_point(PPE), "2027-05-27T00:00:00Z", "test", "-").unwrap();
        tx.commit().unwrap();
        let hub_db = || ppe::store::open(&hub_dir.join("state/hub.db")).unwrap();
        ppe::upload::store::register_box_key(&hub_db(), PPE, &public, "t").unwrap();
        let inbox = dir.join("inbox");
        let expected: BTreeSet<String> = fill_inbox(&inbox, self.seed.wrapping_add(run as u64 * 1000), 20, 100_000);
        assert!(run_to_end(ppe_cmd(&["edge", "scan", "--config", s(&config), "--exam", EXAM, "--from", s(&inbox)])).status.success());
        let usb = dir.join("usb");
        assert!(run_to_end(ppe_cmd(&["edge", "export", "--config", s(&config), "--exam", EXAM, "--to", s(&usb)])).status.success());
        let import = || ppe_cmd(&["hub", "import", "--config", s(&hub_toml), s(&usb)]);
        let mut o = Outcome { killed: run_interrupted(import(), how), ..Outcome::default() };
        if !o.finished("hub import", &run_to_end(import())) {
            return o;
        }
        let back = run_to_end(ppe_cmd(&["edge", "import-receipt", "--config", s(&config), s(&usb)]));
        if !o.finished("edge import-receipt", &back) {
            return o;
        }
        check_box(&mut o, &dir, &expected);
        let Some(signed) = check_bundle_folder(&mut o, &usb, &dir) else { return o };
        check_receipt(&mut o, &dir, &hub_public, &signed);
        let accepted = ppe::upload::store::hub_bundles_for_exam(&hub_db(), EXAM).unwrap();
        let this = accepted.iter().filter(|b| b.manifest_sha256 == signed.manifest.sha256()).count();
        if this != 1 {
            o.duplicated(format!("the hub accepted this bundle {this} times"));
        }
        let ctx = ppe::context::HubContext::open(&hub_toml).unwrap();
        let state = ppe::upload::server::UploadServerState::from_context(&ctx).unwrap();
        for f in &signed.manifest.files {
            if state.blobs.stat(&f.sha256).ok().flatten() != Some(f.size) {
                o.lost(format!("{}: not held by the hub after the import", f.name));
            }
        }
        check_hub_db(&mut o, &hub_db());
        o
    }
}
