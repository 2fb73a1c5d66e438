//! `edge pull` (in the window) and `edge prestage` (days before) in the crash harness: the
//! materials world of `tests/it/materials.rs`, the box restored to its enrolled state before
//! every run, the hub in this process at the chosen time.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::jobs::s;
use super::{ppe_cmd, run_interrupted, run_to_end, Interrupt, Job, Outcome};
use crate::materials::{Hub, World, DAYS_BEFORE, EXAM, IN_WINDOW};

/// One world for both jobs (made when the first of them runs).
pub struct Materials {
    root: PathBuf,
    world: Option<(World, PathBuf)>,
}

impl Materials {
    pub fn shared(root: &Path) -> Rc<RefCell<Materials>> {
        Rc::new(RefCell::new(Materials { root: root.to_path_buf(), world: None }))
    }

    /// The world and the enrolled box's snapshot.
    fn world(&mut self) -> &(World, PathBuf) {
        let root = self.root.clone();
        self.world.get_or_insert_with(|| {
            let w = World::new(&[6 << 20, 300_000], 1 << 20);
            let snapshot = root.join("enrolled-box");
            copy_dir_all(&w.dir.join("box"), &snapshot);
            (w, snapshot)
        })
    }
}

pub struct Pull {
    materials: Rc<RefCell<Materials>>,
    prestage: bool,
    hub: Option<Hub>,
}

impl Pull {
    pub fn new(materials: Rc<RefCell<Materials>>, prestage: bool) -> Self {
        Self { materials, prestage, hub: None }
    }
}

impl Job for Pull {
    fn name(&self) -> &'static str {
        if self.prestage {
            "prestage"
        } else {
            "pull"
        }
    }
    fn points(&self) -> &'static [&'static str] {
        &["pull.part_verified"]
    }
    fn kill_window_ms(&self) -> (u64, u64) {
        (20, 600)
    }
    fn run(&mut self, _run: usize, how: &Interrupt) -> Outcome {
        let mut materials = self.materials.borrow_mut();
        let (w, snapshot) = materials.world();
        let at = if self.prestage { DAYS_BEFORE } else { IN_WINDOW };
        let hub = self.hub.get_or_insert_with(|| Hub::start(&w.hub_toml, at));
        let box_dir = w.dir.join("box");
        std::fs::remove_dir_all(&box_dir).unwrap();
        copy_dir_all(snapshot, &box_dir);
        let verb = if self.prestage { "prestage" } else { "pull" };
        let cmd = || {
            let mut c = ppe_cmd(&["edge", verb, "--exam", EXAM, "--config", s(&w.box_toml)]);
            c.env("PPE_HUB_URL", hub.url());
            c
        };
        let mut o = Outcome { killed: run_interrupted(cmd(), how), ..Outcome::default() };
        if !o.finished(&format!("edge {verb}"), &run_to_end(cmd())) {
            return o;
        }
        let dir = box_dir.join("state/materials").join(EXAM);
        let manifest = w.manifest("0101").manifest;
        for f in &manifest.files {
            match std::fs::read(dir.join(f.cipher_file_name())) {
                Err(_) => o.lost(format!("{} not on the box", f.cipher_file_name())),
                Ok(b) if ppe::util::sha256_hex(&b) != f.cipher_sha256 => o.corrupted(format!("{} differs from the hub's", f.cipher_file_name())),
                Ok(_) => {}
            }
        }
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let temp = name.starts_with('.') && name.contains(".tmp-");
            if !manifest.files.iter().any(|f| f.cipher_file_name() == name) && name != "manifest.json" && !temp {
                o.duplicated(format!("{name} left beside the package"));
            }
        }
        let db = ppe::store::open(&box_dir.join("state/ppe.db")).unwrap();
        o.state("box", &ppe::edge::verify_state::database(&db));
        o
    }
}

/// Copies a folder with its subfolders (the box: keys, state, run).
fn copy_dir_all(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir_all(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}
