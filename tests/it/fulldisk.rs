//! Full disks (issue 20 item 3) on real small filesystems: a size-limited tmpfs mounted by the
//! test (as root; unmounted when dropped) under the hub's upload storage and under the box's
//! state folder. The hub answers 507 to a creation or a PATCH its disk cannot take and the box
//! backs off, then finishes by itself once space is freed; the box's pull, intake and bundle
//! build each name the folder that is full, keep what they had and go on once there is room.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{ppe_bin, stderr};
use crate::materials::{report, s, Hub, World, EXAM, IN_WINDOW};
use crate::upload::{assert_hub_holds_bundle, make_box, receipt_count, scan_pages, start_hub_with, PPE};

/// A tmpfs of `size` mounted on a folder, unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
    fillers: usize,
}

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let o = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", s(dir)]).output().unwrap();
        assert!(o.status.success(), "mount a tmpfs (the full-disk tests run as root): {}", String::from_utf8_lossy(&o.stderr));
        Tmpfs { dir: dir.to_path_buf(), fillers: 0 }
    }

    fn free(&self) -> u64 {
        ppe::upload::server::limits::free_bytes(&self.dir).unwrap()
    }

    /// Fills the disk until about `leave` bytes are free.
    fn fill_leaving(&mut self, leave: u64) {
        let free = self.free();
        self.fillers += 1;
        let filler = self.dir.join(format!(".filler-{}", self.fillers));
        let _ = std::fs::write(&filler, vec![0u8; free.saturating_sub(leave) as usize]);
        assert!(self.free() <= leave + 8192, "filled: {} free", self.free());
    }

    /// Frees what [`Self::fill_leaving`] took.
    fn free_space(&mut self) {
        for i in 1..=self.fillers {
            let _ = std::fs::remove_file(self.dir.join(format!(".filler-{i}")));
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

#[test]
fn the_hubs_full_upload_disk_answers_507_the_box_backs_off_and_finishes_by_itself_once_space_is_freed() {
    let t = tempfile::tempdir().unwrap();
    let hub_dir = t.path().join("hub");
    let mut disk = Tmpfs::mount(&hub_dir.join("uploads"), "4m");
    let limits = ppe::config::HubLimitsConfig { min_free_disk_bytes: 64 << 10, ..Default::default() };
    let hub = start_hub_with(&hub_dir, |state| state.set_limits(limits));
    let box_dir = t.path().join("box");
    let (config, public) = make_box(&box_dir, &hub.url, &hub.hub_public_hex);
    hub.register_box(PPE, &public);
    scan_pages(&config, &box_dir, 4, 30_000);
    disk.fill_leaving(40 << 10);

    let mut child = Command::new(ppe_bin())
        .args(["edge", "upload", "--config", s(&config), "--exam", crate::upload::EXAM])
        .env("PPE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::<(Instant, String)>::new()));
    let reader = {
        let (log, err) = (log.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(err)).map_while(Result::ok) {
                log.lock().unwrap().push((Instant::now(), line));
            }
        })
    };
    let started = Instant::now();
    let refusals = || log.lock().unwrap().iter().filter(|(_, l)| l.contains("507")).count();
    while refusals() < 3 {
        assert!(started.elapsed() < Duration::from_secs(15), "no 507 reached the box: {:?}", log.lock().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    // Three seconds of a full disk: the box backs off (doubling waits), it does not hammer.
    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    let while_full = refusals();
    let files = crate::upload::bundle_manifest(&box_dir).manifest.files.len();
    assert!(while_full <= files * 6, "{while_full} refusals of {files} files in 3 s: a hot loop");
    assert!(log.lock().unwrap().iter().any(|(_, l)| l.contains("507") && l.contains("нет места")), "the box hears why: {:?}", log.lock().unwrap());
    assert!(
        ppe::upload::store::tus_for_point(&hub.db(), crate::upload::EXAM, PPE).unwrap().iter().all(|r| r.completed_at.is_none()),
        "nothing went in"
    );

    disk.free_space();
    let freed = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(freed.elapsed() < Duration::from_secs(30), "the upload did not finish after the space was freed");
        std::thread::sleep(Duration::from_millis(100));
    };
    reader.join().unwrap();
    assert!(status.success(), "{:?}", log.lock().unwrap());
    assert_eq!(receipt_count(&box_dir), 1);
    assert_hub_holds_bundle(&hub.state, &box_dir);
    eprintln!(
        "hub disk full: {while_full} refusals (507) in 3 s for {files} files; done {:.1} s after the space was freed",
        freed.elapsed().as_secs_f64()
    );

    // A PATCH to an upload created while there was room is refused before its body is read
    // once the disk fills, and the upload keeps its offset.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    rt.block_on(async {
        use base64::Engine;
        let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
        let http = reqwest::Client::new();
        let created = http
            .post(format!("{}/v1/uploads", hub.url))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", "100000")
            .header("Upload-Metadata", format!("exam_id {},ppe_code {},file_name {}", b64(crate::upload::EXAM), b64(PPE), b64("late.png")))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
        let endpoint = reqwest::Url::parse(&format!("{}/v1/uploads", hub.url)).unwrap();
        let url = endpoint.join(created.headers()["location"].to_str().unwrap()).unwrap().to_string();
        let patch = |body: Vec<u8>| {
            http.patch(&url)
                .header("Tus-Resumable", "1.0.0")
                .header("Upload-Offset", "0")
                .header("Content-Type", "application/offset+octet-stream")
                .body(body)
                .send()
        };
        disk.fill_leaving(40 << 10);
        let refused = patch(vec![7u8; 16 << 10]).await.unwrap();
        assert_eq!(refused.status().as_u16(), 507);
        assert!(refused.headers().contains_key("retry-after"));
        assert!(refused.text().await.unwrap().contains("hub_disk_full"));
        let head = http.head(&url).header("Tus-Resumable", "1.0.0").send().await.unwrap();
        assert_eq!(head.headers()["upload-offset"], "0", "nothing of the refused body was kept");
        disk.free_space();
        let taken = patch(vec![7u8; 16 << 10]).await.unwrap();
        assert_eq!((taken.status().as_u16(), taken.headers()["upload-offset"].to_str().unwrap()), (204, "16384"));
    });
}

#[test]
fn a_print_run_on_a_full_state_disk_sends_nothing_names_the_folder_and_prints_once_space_is_freed() {
    let cups = crate::common::Cupsd::start();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut disk = Tmpfs::mount(&state, "16m");
    let config = crate::printing::make_box(dir.path(), 16, Some(&cups));
    let print = || crate::common::ppe(&["edge", "print", "--config", s(&config), "--exam", "ege-02", "--what", "seating", "--auditorium", "101"]);
    let job = |id| ppe::printing::store::print_job_get(&ppe::store::open(&state.join("ppe.db")).unwrap(), id).unwrap();
    let printed = || std::fs::read_dir(cups.dir.path().join("out")).unwrap().count();
    disk.fill_leaving(0);
    assert_full_in(&print(), &state);
    disk.free_space();
    assert!(job(1).is_none(), "no job stands recorded");
    assert_eq!(printed(), 0, "and none went to the printer unrecorded");
    let o = print();
    assert!(o.status.success() && crate::common::stdout(&o).contains("completed"), "{}", stderr(&o));
    assert!(job(1).is_some());
}

/// What the box's CLI said on failing: the reason and the folder.
fn assert_full_in(o: &std::process::Output, folder: &Path) {
    assert!(!o.status.success(), "it did not fail on a full disk");
    let text = stderr(o);
    assert!(text.contains(&format!("нет места в {}", folder.display())), "the full folder is named: {text}");
}

#[test]
fn the_boxs_full_state_disk_names_the_folder_keeps_what_it_had_and_pull_intake_and_bundle_go_on_once_freed() {
    let w = World::new(&[600_000], 65_536);
    let state = w.dir.join("box/state");
    let mut disk = Tmpfs::mount(&state, "4m");
    // The box's database made first: the disk fills around it.
    drop(ppe::store::open(&state.join("ppe.db")).unwrap());
    let hub = Hub::start(&w.hub_toml, IN_WINDOW);

    // Pull: the ciphertext does not fit.
    let cipher = w.manifest("0101").manifest.files[0].clone();
    let materials = state.join("materials").join(EXAM);
    disk.fill_leaving(200 << 10);
    // The ciphertext's folder, or the state folder when the database hit the full disk first.
    assert_full_in(&w.edge(&hub, &["pull", "--exam", EXAM]), &state);
    assert!(!materials.join(cipher.cipher_file_name()).exists(), "no file stands as verified");
    let part = std::fs::read(materials.join(format!("{}.part", cipher.cipher_sha256))).unwrap_or_default();
    let on_hub = std::fs::read(w.cipher_path("0101", 0)).unwrap();
    assert!(on_hub.starts_with(&part), "what was kept is the package's first {} bytes", part.len());
    disk.free_space();
    let r = report(&w.edge(&hub, &["pull", "--exam", EXAM]));
    assert_eq!((r.bytes_resumed, r.bytes_resumed + r.bytes_downloaded), (part.len() as u64, cipher.cipher_len), "resumed from the kept bytes");
    assert_eq!(std::fs::read(materials.join(cipher.cipher_file_name())).unwrap(), on_hub);

    // Intake: pages of 20 kB with 50 kB free.
    let inbox = w.dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for i in 0..5u64 {
        std::fs::write(inbox.join(format!("page-{i}.png")), crate::upload::page_bytes(i + 1, 20_000)).unwrap();
    }
    let scan = || w.edge(&hub, &["scan", "--exam", EXAM, "--from", s(&inbox)]);
    let pages = || ppe::scanning::store::pages_for_exam(&ppe::store::open(&state.join("ppe.db")).unwrap(), EXAM).unwrap();
    disk.fill_leaving(50 << 10);
    assert_full_in(&scan(), &state);
    let kept = pages();
    assert!(kept.len() < 5, "{} pages stored on a full disk", kept.len());
    for p in &kept {
        assert_eq!(ppe::util::sha256_hex(&std::fs::read(&p.path).unwrap()), p.sha256, "a stored page is whole");
    }
    disk.free_space();
    assert!(scan().status.success());
    assert_eq!(pages().len(), 5, "every page once, none twice");

    // Bundle build: built once, then rebuilt with two more pages on a full disk.
    let export = |to: &str| w.edge(&hub, &["export", "--exam", EXAM, "--to", s(&w.dir.join(to))]);
    assert!(export("media-1").status.success());
    // Thirty small pages more: the rebuilt record (a line per page and per audit entry) grows
    // past the room left below, while the pages themselves are hard links.
    for i in 5..35u64 {
        std::fs::write(inbox.join(format!("page-{i}.png")), crate::upload::page_bytes(i + 1, 2_000)).unwrap();
    }
    assert!(scan().status.success());
    let bundle = state.join("bundles").join(EXAM);
    // Room for the database's WAL index (32 KiB) and a page or two, not for the rebuilt record
    // (the day's audit and every page, bigger than the first build's): the build fails at its
    // own write (pages are hard links and take no room).
    let record = std::fs::metadata(w.dir.join("media-1/files/record.json")).unwrap().len();
    disk.fill_leaving(40 << 10);
    let failed = export("media-2");
    assert_full_in(&failed, &state);
    eprintln!("bundle on a full disk (40 KiB free, the first record.json {record} bytes): {}", stderr(&failed).trim());
    // Either the old bundle stands whole, or no manifest at all: never one over a half-built folder.
    if let Ok(old) = ppe::upload::bundle::BuiltBundle::read(&bundle) {
        for f in &old.signed.manifest.files {
            let bytes = std::fs::read(bundle.join("files").join(&f.name)).unwrap_or_default();
            assert_eq!(ppe::util::sha256_hex(&bytes), f.sha256, "a manifest stands over a half-built bundle: {} is not whole", f.name);
        }
    }
    disk.free_space();
    assert!(export("media-2").status.success());
    let built = ppe::upload::bundle::BuiltBundle::read(&bundle).unwrap();
    assert_eq!(built.signed.manifest.files.iter().filter(|f| f.kind == "page").count(), 35);
    for f in &built.signed.manifest.files {
        assert_eq!(ppe::util::sha256_hex(&std::fs::read(bundle.join("files").join(&f.name)).unwrap()), f.sha256, "{}", f.name);
    }
}
