//! The box's own long jobs in the crash harness: scan intake from the inbox folder and from
//! SANE's test backend, and the bundle build (`edge export`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{ppe_cmd, run_interrupted, run_to_end, Interrupt, Job, Outcome};
use crate::upload::{make_box, page_bytes, scan_pages, EXAM};

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A fresh box folder for one run: (folder, its ppe.toml).
pub fn fresh_box(root: &Path, job: &str, run: usize, hub_url: &str, hub_public: &str) -> (PathBuf, PathBuf, String) {
    let dir = root.join(format!("{job}-{run}"));
    let (config, public) = make_box(&dir, hub_url, hub_public);
    (dir, config, public)
}

/// `n` pages of distinct bytes (different in every run) in a new inbox folder; their hashes.
pub fn fill_inbox(inbox: &Path, first_seed: u64, n: usize, len: usize) -> BTreeSet<String> {
    std::fs::create_dir_all(inbox).unwrap();
    (0..n)
        .map(|i| {
            let bytes = page_bytes(first_seed + i as u64, len);
            std::fs::write(inbox.join(format!("page-{i:04}.png")), &bytes).unwrap();
            ppe::util::sha256_hex(&bytes)
        })
        .collect()
}

pub fn box_db(dir: &Path) -> ppe::store::Connection {
    ppe::store::open(&dir.join("state/ppe.db")).unwrap()
}

/// The hashes of the pages the box stored for the exam.
pub fn stored_pages(dir: &Path) -> Vec<String> {
    ppe::scanning::store::pages_for_exam(&box_db(dir), EXAM).unwrap().into_iter().map(|p| p.sha256).collect()
}

/// The box's `verify_state`, and each expected page stored exactly once.
pub fn check_box(o: &mut Outcome, dir: &Path, expected: &BTreeSet<String>) {
    let report = ppe::edge::verify_state::box_state(&box_db(dir), &dir.join("state")).unwrap();
    o.state("box", &report);
    let stored = stored_pages(dir);
    let have: BTreeSet<String> = stored.iter().cloned().collect();
    for sha in expected.difference(&have) {
        o.lost(format!("page {sha} scanned but not stored"));
    }
    for sha in have.difference(expected) {
        o.duplicated(format!("page {sha} stored but never scanned"));
    }
}

fn scan_cmd(config: &Path, inbox: &Path) -> std::process::Command {
    ppe_cmd(&["edge", "scan", "--config", s(config), "--exam", EXAM, "--from", s(inbox)])
}

/// `edge scan --from INBOX` of 40 pages.
pub struct Inbox {
    root: PathBuf,
    seed: u64,
}

impl Inbox {
    pub fn new(root: &Path, seed: u64) -> Self {
        Self { root: root.to_path_buf(), seed }
    }
}

impl Job for Inbox {
    fn name(&self) -> &'static str {
        "scan-inbox"
    }
    fn points(&self) -> &'static [&'static str] {
        &["scan.page_written"]
    }
    fn kill_window_ms(&self) -> (u64, u64) {
        (20, 700)
    }
    fn run(&mut self, run: usize, how: &Interrupt) -> Outcome {
        let (dir, config, _) = fresh_box(&self.root, self.name(), run, "http://127.0.0.1:9", "00");
        let inbox = dir.join("inbox");
        let expected = fill_inbox(&inbox, self.seed.wrapping_add(run as u64 * 1000), 40, 60_000);
        let mut o = Outcome { killed: run_interrupted(scan_cmd(&config, &inbox), how), ..Outcome::default() };
        if o.finished("edge scan --from", &run_to_end(scan_cmd(&config, &inbox))) {
            check_box(&mut o, &dir, &expected);
        }
        o
    }
}

/// A SANE config folder with only the test backend enabled.
pub fn sane_test_config(dir: &Path) -> PathBuf {
    let d = dir.join("sane.d");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("dll.conf"), "test\n").unwrap();
    std::fs::copy("/etc/sane.d/test.conf", d.join("test.conf")).unwrap();
    d
}

pub fn sane_scan_cmd(config: &Path, sane: &Path, options: &[&str]) -> std::process::Command {
    let mut c = ppe_cmd(&["edge", "scan", "--config", s(config), "--exam", EXAM, "--device", "test"]);
    for opt in options {
        c.args(["--sane-option", opt]);
    }
    c.env("SANE_CONFIG_DIR", sane);
    c
}

/// Waits until no scanimage writes into `spool_root` any more (a killed box leaves its
/// scanimage running to the end of its batch, as a real one does).
pub fn wait_for_scanimage(spool_root: &Path) {
    let needle = spool_root.to_string_lossy().to_string();
    let started = std::time::Instant::now();
    loop {
        let busy = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .any(|e| std::fs::read(e.path().join("cmdline")).map(|c| String::from_utf8_lossy(&c).contains(&needle)).unwrap_or(false));
        if !busy || started.elapsed() > std::time::Duration::from_secs(20) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The hashes of the page files in the box's scanner spools. A `page-NNNN.pnm.part` is a page
/// scanimage was still writing when it died with the box: never a finished page (the pile is
/// scanned again), so not counted.
pub fn spooled(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for spool in std::fs::read_dir(dir.join("state/scans/spool")).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default() {
        for f in std::fs::read_dir(spool.path()).map(|d| d.flatten().collect::<Vec<_>>()).unwrap_or_default() {
            if f.file_name().to_string_lossy().ends_with(".part") {
                continue;
            }
            out.insert(ppe::util::sha256_hex(&std::fs::read(f.path()).unwrap()));
        }
    }
    out
}

/// `edge scan --device test`: a grid page, killed; the next pile (a colour page) after it.
/// Every page scanimage wrote before or after the kill must be stored.
pub struct Sane {
    root: PathBuf,
}

impl Sane {
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf() }
    }
}

impl Job for Sane {
    fn name(&self) -> &'static str {
        "scan-sane"
    }
    fn points(&self) -> &'static [&'static str] {
        &["scan.sane_spooled", "scan.page_written"]
    }
    fn kill_window_ms(&self) -> (u64, u64) {
        (10, 500)
    }
    fn run(&mut self, run: usize, how: &Interrupt) -> Outcome {
        let (dir, config, _) = fresh_box(&self.root, self.name(), run, "http://127.0.0.1:9", "00");
        let sane = sane_test_config(&dir);
        let first = sane_scan_cmd(&config, &sane, &["--test-picture=Grid", "--batch-count=2"]);
        let mut o = Outcome { killed: run_interrupted(first, how), ..Outcome::default() };
        wait_for_scanimage(&dir.join("state/scans/spool"));
        // What went through the scanner before the restart: stored, or left in a spool.
        let mut expected: BTreeSet<String> = spooled(&dir);
        if dir.join("state/ppe.db").exists() {
            expected.extend(stored_pages(&dir));
        }
        let next = sane_scan_cmd(&config, &sane, &["--test-picture=Color pattern", "--mode=Color", "--batch-count=1"]);
        if !o.finished("edge scan --device test", &run_to_end(next)) {
            return o;
        }
        let have: BTreeSet<String> = stored_pages(&dir).into_iter().collect();
        if have.len() <= expected.len() {
            o.lost("the pile scanned after the restart was not stored".into());
        }
        expected.extend(have.iter().cloned());
        for left in spooled(&dir) {
            if !have.contains(&left) {
                o.lost(format!("page {left} left in the scanner spool, never stored"));
            }
        }
        check_box(&mut o, &dir, &expected);
        o
    }
}

/// `edge export` of a bundle that must be built again (pages came after the last build).
pub struct Bundle {
    root: PathBuf,
    seed: u64,
}

impl Bundle {
    pub fn new(root: &Path, seed: u64) -> Self {
        Self { root: root.to_path_buf(), seed }
    }
}

fn export_cmd(config: &Path, to: &Path) -> std::process::Command {
    ppe_cmd(&["edge", "export", "--config", s(config), "--exam", EXAM, "--to", s(to)])
}

/// An exported (or the box's own) bundle folder: every manifest file there with its hash, and
/// its pages exactly the pages the box stored.
pub fn check_bundle_folder(o: &mut Outcome, dir: &Path, box_dir: &Path) -> Option<ppe::upload::SignedManifest> {
    let built = match ppe::upload::bundle::BuiltBundle::read(dir) {
        Ok(b) => b,
        Err(e) => {
            o.lost(format!("{}: no readable manifest ({e:#})", dir.display()));
            return None;
        }
    };
    for f in &built.signed.manifest.files {
        match std::fs::read(built.file_path(&f.name)) {
            Err(_) => o.lost(format!("{}: {} in the manifest, not in the folder", dir.display(), f.name)),
            Ok(b) if ppe::util::sha256_hex(&b) != f.sha256 => o.corrupted(format!("{}: {} differs from the manifest", dir.display(), f.name)),
            Ok(_) => {}
        }
    }
    let in_manifest: BTreeSet<String> = built.signed.manifest.files.iter().filter(|f| f.kind == "page").map(|f| f.sha256.clone()).collect();
    let stored: BTreeSet<String> = stored_pages(box_dir).into_iter().collect();
    for sha in stored.difference(&in_manifest) {
        o.lost(format!("page {sha} stored but not in the bundle"));
    }
    for sha in in_manifest.difference(&stored) {
        o.duplicated(format!("page {sha} in the bundle but not stored"));
    }
    Some(built.signed)
}

impl Job for Bundle {
    fn name(&self) -> &'static str {
        "bundle-build"
    }
    fn points(&self) -> &'static [&'static str] {
        &["bundle.files_written"]
    }
    fn kill_window_ms(&self) -> (u64, u64) {
        (10, 400)
    }
    fn run(&mut self, run: usize, how: &Interrupt) -> Outcome {
        let (dir, config, _) = fresh_box(&self.root, self.name(), run, "http://127.0.0.1:9", "00");
        scan_pages(&config, &dir, 20, 50_000);
        let first = run_to_end(export_cmd(&config, &dir.join("usb0")));
        assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
        // More pages: the next export builds the bundle again.
        let more = dir.join("more");
        let mut expected: BTreeSet<String> = stored_pages(&dir).into_iter().collect();
        expected.extend(fill_inbox(&more, self.seed.wrapping_add(run as u64 * 1000), 5, 50_000));
        assert!(run_to_end(scan_cmd(&config, &more)).status.success());
        let usb = dir.join("usb1");
        let mut o = Outcome { killed: run_interrupted(export_cmd(&config, &usb), how), ..Outcome::default() };
        if o.finished("edge export", &run_to_end(export_cmd(&config, &usb))) {
            check_box(&mut o, &dir, &expected);
            check_bundle_folder(&mut o, &usb, &dir);
        }
        o
    }
}

/// Regression: `edge upload --rebuild` killed after the bundle's files were written again but
/// before its new manifest: the old manifest stayed and the next export reused it over the
/// rewritten files (its record's hash no longer matched). The manifest now goes first.
#[test]
fn a_rebuild_killed_before_its_manifest_is_never_reused_as_the_bundle() {
    let t = tempfile::tempdir().unwrap();
    let (dir, config, _) = fresh_box(t.path(), "rebuild", 0, "http://127.0.0.1:9", "00");
    scan_pages(&config, &dir, 3, 4000);
    assert!(run_to_end(export_cmd(&config, &dir.join("usb0"))).status.success());
    let rebuild = ppe_cmd(&["edge", "upload", "--config", s(&config), "--exam", EXAM, "--rebuild"]);
    assert!(run_interrupted(rebuild, &Interrupt::Point("bundle.files_written")), "the rebuild reached its crash point");
    let usb = dir.join("usb1");
    let o = run_to_end(export_cmd(&config, &usb));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut out = Outcome::default();
    check_bundle_folder(&mut out, &usb, &dir);
    check_bundle_folder(&mut out, &dir.join("state/bundles").join(EXAM), &dir);
    assert!(out.notes.is_empty(), "{:?}", out.notes);
}

/// Regression: a box killed after scanimage wrote its pages and before it took them in left
/// them in a spool folder nobody read again: pages that went through the scanner, lost.
#[test]
fn pages_a_killed_sane_run_left_in_its_spool_are_taken_in_by_the_next_scan() {
    assert!(crate::common::have("scanimage"), "scanimage missing: install sane-utils (scripts/packages.txt)");
    let t = tempfile::tempdir().unwrap();
    let (dir, config, _) = fresh_box(t.path(), "spool", 0, "http://127.0.0.1:9", "00");
    let sane = sane_test_config(&dir);
    let first = sane_scan_cmd(&config, &sane, &["--test-picture=Grid", "--batch-count=1"]);
    assert!(run_interrupted(first, &Interrupt::Point("scan.sane_spooled")), "the scan reached its crash point");
    let left = spooled(&dir);
    assert_eq!(left.len(), 1, "scanimage wrote the grid page into the spool");
    let next = sane_scan_cmd(&config, &sane, &["--test-picture=Color pattern", "--mode=Color", "--batch-count=1"]);
    let o = run_to_end(next);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stored: BTreeSet<String> = stored_pages(&dir).into_iter().collect();
    assert_eq!(stored.len(), 2, "the grid page from the spool and the colour page");
    assert!(stored.is_superset(&left));
    assert!(spooled(&dir).is_empty(), "the spool is cleared of stored pages");
}
