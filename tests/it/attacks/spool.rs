//! Attacks on the plaintext КИМ: spools, temp folders, core dumps, remote printers.
//!
//! A real cupsd set up by the project's own `firmware-config/cups-setup.sh` (its spool, temp
//! and cache folders and cups-pdf's output under /dev/shm, tmpfs; its logs on disk), a КИМ
//! printed through `ppe edge print --what kim` from a package pulled from a real hub, then a
//! scan of every file of the persistent file system changed since the test began.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::common::*;
use crate::materials::{Hub, World, EXAM, IN_WINDOW};

/// Long after ege-02 (and its extra time) is over, well inside the retention period.
const AFTER_EXAM: &str = "2027-05-27T12:00:00Z";
/// ege-02's start (10:00 +07): КИМ is printed in the room from then.
const AT_START: &str = "2027-05-27T03:00:00Z";

fn is_tmpfs(path: &Path) -> bool {
    Command::new("stat").args(["-f", "-c", "%T"]).arg(path).output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "tmpfs").unwrap_or(false)
}

fn text(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// A private cupsd configured by cups-setup.sh: memory folders under /dev/shm, logs on disk.
struct SpoolCupsd {
    child: Option<Child>,
    mem: tempfile::TempDir,
    logs: tempfile::TempDir,
    port: u16,
    queue: String,
}

impl SpoolCupsd {
    fn start() -> SpoolCupsd {
        assert!(Path::new("/usr/sbin/cupsd").exists() && have("lpadmin"), "cups, cups-client and printer-driver-cups-pdf: run scripts/install-deps.sh");
        let mem = tempfile::Builder::new().prefix("ppe-spool").tempdir_in("/dev/shm").unwrap();
        assert!(is_tmpfs(mem.path()), "/dev/shm must be tmpfs for this test");
        let logs = tempfile::Builder::new().prefix("ppe-spool-logs").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        assert!(!is_tmpfs(logs.path()), "the logs are meant to be on disk (and scanned)");
        let root = mem.path();
        // cupsd runs filters as `lp`: they must reach the spool below.
        chmod(root, 0o755);
        let conf = root.join("conf");
        for sub in ["conf", "cache", "state"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (r, l) = (root.display(), logs.path().display());
        // What the Debian package ships, in a private root; the spool settings are not here:
        // cups-setup.sh adds them.
        std::fs::write(
            conf.join("cups-files.conf"),
            format!(
                "ServerRoot {r}/conf\nCacheDir {r}/cache\nStateDir {r}/state\nErrorLog {l}/error_log\nAccessLog {l}/access_log\nPageLog {l}/page_log\n\
                 ServerBin /usr/lib/cups\nDataDir /usr/share/cups\nUser lp\nGroup lp\nSystemGroup root lpadmin\nFileDevice No\nSandboxing Relaxed\n"
            ),
        )
        .unwrap();
        std::fs::write(conf.join("cupsd.conf"), private_cupsd_conf(port)).unwrap();
        let spool = root.join("spool");
        let o = cups_setup(&["--spool-only", "--no-restart", "--conf-dir", conf.to_str().unwrap(), "--spool", spool.to_str().unwrap()]);
        assert!(o.status.success(), "cups-setup.sh --spool-only: {}", text(&o));
        let queue = format!("ppekim{}x{port}", std::process::id());
        let mut cups = SpoolCupsd { child: None, mem, logs, port, queue };
        cups.run();
        let out = cups.mem.path().join("out");
        let o = cups_setup(&[
            "--no-restart",
            "--conf-dir",
            conf.to_str().unwrap(),
            "--spool",
            spool.to_str().unwrap(),
            "--server",
            &cups.host(),
            "--pdf-out",
            out.to_str().unwrap(),
            "cups-pdf:/",
            &cups.queue,
        ]);
        assert!(o.status.success(), "cups-setup.sh cups-pdf: {}", text(&o));
        cups
    }

    fn conf(&self) -> PathBuf {
        self.mem.path().join("conf")
    }

    fn spool(&self) -> PathBuf {
        self.mem.path().join("spool")
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts cupsd (again) on the same folders and waits until it answers.
    fn run(&mut self) {
        let conf = self.conf();
        let child = Command::new("/usr/sbin/cupsd")
            .args(["-f", "-c"])
            .arg(conf.join("cupsd.conf"))
            .arg("-s")
            .arg(conf.join("cups-files.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let start = Instant::now();
        while !Command::new("lpstat").args(["-h", &self.host(), "-r"]).output().map(|o| String::from_utf8_lossy(&o.stdout).contains("is running")).unwrap_or(false) {
            assert!(start.elapsed() < Duration::from_secs(20), "cupsd did not start; log in {}", self.logs.path().display());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops cupsd as `systemctl stop cups` does (SIGTERM: it saves its job list first).
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            let start = Instant::now();
            while c.try_wait().ok().flatten().is_none() {
                if start.elapsed() > Duration::from_secs(20) {
                    let _ = c.kill();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Every job cupsd still knows (active and history), one line each.
    fn jobs(&self) -> String {
        let o = Command::new("lpstat").args(["-h", &self.host(), "-W", "all", "-o", &self.queue]).output().unwrap();
        stdout(&o)
    }

    /// Files cupsd keeps per job in its spool: `c<id>` (control) and `d<id>-<n>` (documents).
    fn spool_job_files(&self) -> Vec<String> {
        std::fs::read_dir(self.spool())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| (n.starts_with('c') || n.starts_with('d')) && n[1..].chars().next().is_some_and(|c| c.is_ascii_digit()))
            .collect()
    }
}

impl Drop for SpoolCupsd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(format!("/etc/cups/cups-pdf-{}.conf", self.queue));
    }
}

/// A one-page PDF whose text is `marker`, in an uncompressed content stream.
fn kim_pdf(marker: &str) -> Vec<u8> {
    let content = format!("BT /F1 24 Tf 72 700 Td ({marker}) Tj ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    pdf
}

/// Looks for the marker as bytes, as hex (a PDF or PostScript string in `<…>`), as UTF-16 in
/// both byte orders, and inside PDFs also after qpdf has decompressed every stream.
struct Scanner {
    needles: Vec<Vec<u8>>,
    /// Where qpdf writes the decompressed copy: tmpfs, never scanned.
    scratch: PathBuf,
}

impl Scanner {
    fn new(marker: &str, scratch: &Path) -> Scanner {
        let raw = marker.as_bytes().to_vec();
        let hex_lower = hex::encode(&raw).into_bytes();
        let hex_upper = hex::encode_upper(&raw).into_bytes();
        let be: Vec<u8> = marker.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let le: Vec<u8> = marker.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        Scanner { needles: vec![raw, hex_lower, hex_upper, be, le], scratch: scratch.join("decompressed.pdf") }
    }

    fn in_bytes(&self, bytes: &[u8]) -> bool {
        self.needles.iter().any(|n| find(bytes, n))
    }

    fn in_file(&self, path: &Path) -> bool {
        let Ok(bytes) = std::fs::read(path) else { return false };
        if self.in_bytes(&bytes) {
            return true;
        }
        if bytes.starts_with(b"%PDF") {
            let _ = Command::new("qpdf").args(["--qdf", "--object-streams=disable", "--decode-level=all"]).arg(path).arg(&self.scratch).output();
            let found = std::fs::read(&self.scratch).map(|d| self.in_bytes(&d)).unwrap_or(false);
            let _ = std::fs::remove_file(&self.scratch);
            return found;
        }
        false
    }

    /// Every regular file on the root file system's device (what is not tmpfs) changed since
    /// `since`, up to 64 MiB each; returns the ones holding the marker and how much was read.
    fn scan_persistent_disk(&self, since: SystemTime) -> (Vec<PathBuf>, usize, u64) {
        let since = since.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
        let root_dev = std::fs::metadata("/").unwrap().dev();
        let (mut hits, mut files, mut bytes) = (Vec::new(), 0usize, 0u64);
        let mut stack = vec![PathBuf::from("/")];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for e in entries.flatten() {
                let path = e.path();
                let Ok(m) = std::fs::symlink_metadata(&path) else { continue };
                if m.dev() != root_dev {
                    continue;
                }
                if m.is_dir() {
                    stack.push(path);
                } else if m.is_file() && m.mtime().max(m.ctime()) >= since && m.len() <= 64 << 20 {
                    files += 1;
                    bytes += m.len();
                    if self.in_file(&path) {
                        hits.push(path);
                    }
                }
            }
        }
        (hits, files, bytes)
    }
}

/// Boyer-Moore-Horspool: fast enough for the hundreds of megabytes a busy machine writes.
fn find(hay: &[u8], needle: &[u8]) -> bool {
    let n = needle.len();
    if n == 0 || hay.len() < n {
        return n == 0;
    }
    let mut skip = [n; 256];
    for (i, &b) in needle[..n - 1].iter().enumerate() {
        skip[b as usize] = n - 1 - i;
    }
    let mut i = 0;
    while i + n <= hay.len() {
        if &hay[i..i + n] == needle {
            return true;
        }
        i += skip[hay[i + n - 1] as usize];
    }
    false
}

fn set_box_config(box_toml: &Path, edit: impl FnOnce(&mut toml::Table)) {
    let mut v: toml::Table = toml::from_str(&std::fs::read_to_string(box_toml).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(box_toml, toml::to_string(&v).unwrap()).unwrap();
}

fn printer_table(name: &str, cups_uri: &str) -> toml::Value {
    let mut t = toml::Table::new();
    t.insert("name".into(), name.into());
    t.insert("cups_uri".into(), cups_uri.into());
    toml::Value::Table(t)
}

/// An enrolled box whose run dir is on tmpfs and whose printer is `cups`'s queue.
fn box_with_printer(cups: &SpoolCupsd, sizes: &[usize]) -> World {
    let w = World::new(sizes, 65_536);
    // Enrollment writes no X25519 file (each key request makes its own); check-config wants one.
    ppe::keys::write_secret(&w.box_toml.parent().unwrap().join("keys/x25519.key"), "cd".repeat(32).as_bytes()).unwrap();
    let run = cups.mem.path().join("run");
    set_box_config(&w.box_toml, |v| {
        v.insert("run_dir".into(), run.to_str().unwrap().into());
        v.insert("printer".into(), printer_table(&cups.queue, &format!("http://{}", cups.host())));
    });
    w
}

fn check_config(w: &World, cups: &SpoolCupsd) -> (bool, String) {
    let o = Command::new(ppe_bin()).args(["edge", "--config", w.box_toml.to_str().unwrap(), "check-config"]).env("CUPS_SERVERROOT", cups.conf()).output().unwrap();
    (o.status.success(), text(&o))
}

#[test]
fn printed_kim_leaves_no_plaintext_on_persistent_disk_and_wipe_purges_its_jobs() {
    let since = SystemTime::now() - Duration::from_secs(2);
    let marker = format!("PPE-KIM-PLAINTEXT-{:016x}", rand::random::<u64>());
    let mut cups = SpoolCupsd::start();
    let w = box_with_printer(&cups, &[4096]);
    let (ok, out) = check_config(&w, &cups);
    assert!(ok, "the box as firmware-config sets it up must pass check-config:\n{out}");

    // The КИМ source is on tmpfs (the hub reads it once to encrypt); what the hub and the box
    // keep (ciphertext, databases) is on disk under /tmp and is scanned.
    let source = cups.mem.path().join("materials");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("1-kim-variant.pdf"), kim_pdf(&marker)).unwrap();
    std::fs::remove_dir_all(w.dir.join("materials")).unwrap();
    std::os::unix::fs::symlink(&source, w.dir.join("materials")).unwrap();
    w.publish(65_536);

    let hub = Hub::start(&w.hub_toml, IN_WINDOW);
    let o = w.edge(&hub, &["pull", "--exam", EXAM, "--by", "tech1"]);
    assert!(o.status.success(), "pull: {}", text(&o));
    let ctx = w.edge_ctx(&hub);
    {
        let mut db = ctx.db().unwrap();
        let plan = ppe::plan::store::load_plan(&db).unwrap();
        let seats = ppe::demo::print_fixtures::demo_seating(&plan, EXAM, "0101");
        let tx = db.transaction().unwrap();
        ppe::seating::store::replace_seating(&tx, EXAM, "0101", &seats).unwrap();
        tx.commit().unwrap();
        // КИМ is printed in the room for those present (Exam.kim_print): everyone is.
        for seat in &seats {
            let (participant_id, kind) = (seat.participant_id.clone(), ppe::attendance::EventKind::Present);
            let e = ppe::attendance::ExamEvent { medical_worker_id: String::new(), exam_id: EXAM.into(), participant_id, kind, at: AT_START.into(), reason: String::new(), gek_worker_id: String::new(), actor: "organizer".into() };
            ppe::attendance::ops::record(&mut db, AT_START, e).unwrap();
        }
    }
    // The assigned ГЭК member activates with the key file РЦОИ issued (the key comes only so).
    let (gek_key, pin) = w.enroll_gek(&w.gek_member("0101"));
    let o = w.edge(&hub, &["activate", "--exam", EXAM, "--gek-key", gek_key.to_str().unwrap(), "--pin-file", pin.to_str().unwrap()]);
    assert!(o.status.success(), "activate: {}", text(&o));
    drop(hub);

    let o = ppe(&["edge", "print", "--config", w.box_toml.to_str().unwrap(), "--exam", EXAM, "--what", "kim", "--now", AT_START, "--wait-secs", "60"]);
    assert!(o.status.success(), "print КИМ: {}", text(&o));
    assert!(stdout(&o).contains("completed"), "{}", text(&o));
    // It did print: cups-pdf wrote the PDFs into its folder on tmpfs.
    let pdfs: Vec<PathBuf> = std::fs::read_dir(cups.mem.path().join("out")).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "pdf")).collect();
    assert!(!pdfs.is_empty(), "no cups-pdf output");
    // PreserveJobFiles No: the documents left the spool with their jobs; only control files stay.
    let left = cups.spool_job_files();
    assert!(left.iter().all(|f| f.starts_with('c')), "document files kept in the spool: {left:?}");
    assert!(cups.jobs().contains(&cups.queue), "the jobs are in cupsd's history: {}", cups.jobs());

    // The scanner finds the marker where it is, raw and inside a compressed PDF.
    let scanner = Scanner::new(&marker, cups.mem.path());
    let control = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let plain = control.path().join("plain.pdf");
    std::fs::write(&plain, kim_pdf(&marker)).unwrap();
    let packed = control.path().join("packed.pdf");
    let q = Command::new("qpdf").args(["--compress-streams=y", "--object-streams=generate"]).arg(&plain).arg(&packed).output().unwrap();
    assert!(q.status.code().is_some_and(|c| c == 0 || c == 3), "qpdf: {}", String::from_utf8_lossy(&q.stderr));
    let packed_bytes = std::fs::read(&packed).unwrap();
    assert!(!scanner.in_bytes(&packed_bytes), "control: the packed PDF hides the marker from a byte search");
    assert!(scanner.in_file(&plain) && scanner.in_file(&packed), "control: the scanner must see the marker raw and decompressed");
    let (mut hits, files, bytes) = scanner.scan_persistent_disk(since);
    println!("scanned {files} files changed since the test began ({} MB) on the persistent file system", bytes >> 20);
    hits.sort();
    let mut controls = vec![packed.clone(), plain.clone()];
    controls.sort();
    // The two control files, and nothing else: no decrypted КИМ anywhere on persistent disk.
    assert_eq!(hits, controls, "decrypted КИМ found on persistent disk (or the scan missed the controls in target/)");
    drop(control);

    // The wipe with cupsd down still removes the decrypted material and says the jobs stay.
    cups.stop();
    let o = ppe(&["edge", "--config", w.box_toml.to_str().unwrap(), "wipe", "--exam", EXAM, "--now", AFTER_EXAM]);
    assert!(o.status.success(), "wipe with cupsd down must still succeed: {}", text(&o));
    assert!(stdout(&o).contains("CUPS недоступен"), "{}", text(&o));
    assert!(stdout(&o).contains("расшифрованные материалы удалены"), "{}", text(&o));
    assert!(!cups.mem.path().join("run").join(EXAM).exists(), "the key in the run dir survived the wipe");

    // cupsd back: the next wipe cancels and purges every job of the exam, files and history.
    cups.run();
    let before = cups.jobs();
    assert!(before.contains(&cups.queue), "cupsd reloaded its jobs: {before}");
    let o = ppe(&["edge", "--config", w.box_toml.to_str().unwrap(), "wipe", "--exam", EXAM, "--now", AFTER_EXAM]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(stdout(&o).contains("задания печати удалены из CUPS") && !stdout(&o).contains("CUPS недоступен"), "{}", text(&o));
    assert_eq!(cups.jobs().trim(), "", "jobs left in cupsd after the wipe: {}", text(&o));
    assert_eq!(cups.spool_job_files(), Vec::<String>::new(), "job files left in the spool after the wipe");
    let db = ppe::store::open(&w.dir.join("box/state/ppe.db")).unwrap();
    let purges: Vec<_> = ppe::audit::store::all(&db).unwrap().into_iter().filter(|e| e.action == "retention.print_jobs_purged").map(|e| e.details.to_string()).collect();
    assert_eq!(purges.len(), 2, "one entry for the run that could not reach cupsd, one for the purge: {purges:?}");
    assert!(purges[0].contains("cupsd unreachable") && !purges[1].contains("cupsd unreachable"), "{purges:?}");
    assert!(!purges.iter().any(|d| d.contains(&marker)), "the audit never carries the КИМ");
}

#[test]
fn check_config_refuses_a_remote_plain_ipp_printer_for_kim() {
    let cups = SpoolCupsd::start();
    let w = box_with_printer(&cups, &[1024]);
    let (ok, out) = check_config(&w, &cups);
    assert!(ok, "control: the local cups-pdf queue passes:\n{out}");
    // firmware-config refuses to create the queue...
    let conf = cups.conf();
    let remote = "ipp://kim-printer.invalid/ipp/print";
    let o = cups_setup(&["--no-restart", "--conf-dir", conf.to_str().unwrap(), "--spool", cups.spool().to_str().unwrap(), "--server", &cups.host(), remote, "remoteq"]);
    assert!(!o.status.success() && text(&o).contains("in clear"), "cups-setup.sh accepted {remote}: {}", text(&o));
    // ...and one made by hand (lpadmin, no driver query, no traffic) is refused by check-config.
    let o = Command::new("lpadmin").args(["-h", &cups.host(), "-p", "remoteq", "-v", remote, "-E", "-P", "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"]).output().unwrap();
    assert!(o.status.success(), "lpadmin: {}", text(&o));
    set_box_config(&w.box_toml, |v| {
        v.insert("printer".into(), printer_table("remoteq", &format!("http://{}", cups.host())));
    });
    let (ok, out) = check_config(&w, &cups);
    assert!(!ok, "a remote ipp:// printer was accepted:\n{out}");
    assert!(out.contains("ключ `printer.name`") && out.contains(remote) && out.contains("без шифрования"), "{out}");
    // A CUPS server elsewhere on the LAN in plain http is refused the same way.
    set_box_config(&w.box_toml, |v| {
        v.insert("printer".into(), printer_table(&cups.queue, "http://cups.invalid:631"));
    });
    let (ok, out) = check_config(&w, &cups);
    assert!(!ok && out.contains("ключ `printer.cups_uri`") && out.contains("без шифрования"), "{out}");
}

#[test]
fn check_config_refuses_a_cups_spool_on_persistent_disk() {
    let cups = SpoolCupsd::start();
    let w = box_with_printer(&cups, &[1024]);
    set_box_config(&w.box_toml, |v| {
        v.remove("printer");
    });
    let (ok, out) = check_config(&w, &cups);
    assert!(ok, "control: the spool on tmpfs passes:\n{out}");
    // firmware-config will not put the spool on disk...
    let disk = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let on_disk = disk.path().join("spool");
    let o = cups_setup(&["--spool-only", "--no-restart", "--conf-dir", cups.conf().to_str().unwrap(), "--spool", on_disk.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("not tmpfs"), "cups-setup.sh accepted a spool on disk: {}", text(&o));
    // ...and check-config refuses a cupsd whose spool, or whose temp folder, is there.
    let files = cups.conf().join("cups-files.conf");
    let good = std::fs::read_to_string(&files).unwrap();
    std::fs::write(&files, format!("{good}RequestRoot {}\n", on_disk.display())).unwrap();
    let (ok, out) = check_config(&w, &cups);
    assert!(!ok && out.contains("ключ `cups.RequestRoot`") && out.contains("постоянном диске"), "{out}");
    std::fs::write(&files, format!("{good}TempDir {}\n", on_disk.display())).unwrap();
    let (ok, out) = check_config(&w, &cups);
    assert!(!ok && out.contains("ключ `cups.TempDir`") && !out.contains("ключ `cups.RequestRoot`"), "{out}");
    std::fs::write(&files, &good).unwrap();
    // cupsd's default keeps every document a day after its job.
    let cupsd = cups.conf().join("cupsd.conf");
    let conf = std::fs::read_to_string(&cupsd).unwrap();
    std::fs::write(&cupsd, conf.replace("PreserveJobFiles No", "PreserveJobFiles 86400")).unwrap();
    let (ok, out) = check_config(&w, &cups);
    assert!(!ok && out.contains("ключ `cups.PreserveJobFiles`"), "{out}");
}
