//! The appliance: systemd notification and watchdog, serial barcode reader, retention wipe,
//! check-config, example configs, install script.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;

/// Names the liveness file for the daemon child program.
const DAEMON_CHILD_ENV: &str = "PPE_TEST_DAEMON_CHILD";

/// The daemon the watchdog test runs: `examples/daemon_child.rs`, built beside this test
/// binary by `cargo test --all-targets`.
fn daemon_child_program() -> std::path::PathBuf {
    // `cargo build --example` writes examples/daemon_child; `cargo test --all-targets` builds
    // it as examples/daemon_child-<hash>. Take the newest of them.
    let exe = std::env::current_exe().unwrap();
    let folder = exe.parent().and_then(Path::parent).unwrap().join("examples");
    let newest = std::fs::read_dir(&folder)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n == "daemon_child" || (n.to_string_lossy().starts_with("daemon_child-") && p.extension().is_none())))
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
    newest.unwrap_or_else(|| panic!("no daemon_child in {}: build it with `cargo test --all-targets` (or `cargo build --example daemon_child`)", folder.display()))
}

fn recv_until(sock: &UnixDatagram, deadline: Instant, want: &str, seen: &mut Vec<(Instant, String)>) -> bool {
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        sock.set_read_timeout(Some(deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1)))).unwrap();
        match sock.recv(&mut buf) {
            Ok(n) => {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                let found = text.lines().any(|l| l == want);
                seen.push((Instant::now(), text));
                if found {
                    return true;
                }
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return false,
            Err(e) => panic!("recv: {e}"),
        }
    }
    false
}

#[test]
fn daemon_sends_ready_and_pings_watchdog_only_while_alive() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&socket_path).unwrap();
    let liveness_file = dir.path().join("alive");
    std::fs::write(&liveness_file, b"").unwrap();

    let mut child = Command::new(daemon_child_program())
        .env(DAEMON_CHILD_ENV, &liveness_file)
        .env("NOTIFY_SOCKET", &socket_path)
        // 300 ms watchdog: pings every 150 ms.
        .env("WATCHDOG_USEC", "300000")
        .env_remove("WATCHDOG_PID")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let mut seen = Vec::new();
    let t = |s: u64| Instant::now() + Duration::from_secs(s);
    assert!(recv_until(&sock, t(20), "READY=1", &mut seen), "no READY=1: {seen:?}");
    assert!(seen.iter().any(|(_, m)| m.contains("STATUS=ППЭ 0101: test daemon")), "{seen:?}");
    for _ in 0..3 {
        assert!(recv_until(&sock, t(5), "WATCHDOG=1", &mut seen), "no watchdog ping: {seen:?}");
    }

    // Liveness fails: pings must stop (one already decided before the removal may still land).
    std::fs::remove_file(&liveness_file).unwrap();
    let removed_at = Instant::now();
    let mut quiet = Vec::new();
    recv_until(&sock, removed_at + Duration::from_millis(1500), "never", &mut quiet);
    let late: Vec<_> = quiet.iter().filter(|(at, m)| m.contains("WATCHDOG=1") && *at > removed_at + Duration::from_millis(500)).collect();
    assert!(late.is_empty(), "pinged while not alive: {late:?}");

    // Alive again: pings resume, so silence came from the check, not from a dead task.
    std::fs::write(&liveness_file, b"").unwrap();
    assert!(recv_until(&sock, t(5), "WATCHDOG=1", &mut seen), "pings did not resume");

    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    assert!(recv_until(&sock, t(10), "STOPPING=1", &mut seen), "no STOPPING=1");
    let status = child.wait().unwrap();
    assert!(status.success(), "daemon exited with {status}");
}

/// A box folder with a minimal valid `ppe.toml`; returns its path.
fn write_box_config(dir: &Path, ppe_code: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("ppe.toml");
    let text = format!(
        "ppe_code = \"{ppe_code}\"\nstate_dir = \"state\"\nrun_dir = \"run\"\n{extra}\n[hub]\nurl = \"https://rcoi.example:8443\"\nca_file = \"keys/ca.crt\"\nsigning_public_key = \"{}\"\n",
        "ab".repeat(32)
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Every file under a folder, concatenated (the database, its WAL and SHM included).
fn all_bytes_under(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.extend_from_slice(&bytes);
                out.push(0);
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Personal values that identify people of the box's plan, minus any that also occur in the
/// plan's non-personal part (street names can equal surnames).
fn personal_markers(plan: &ppe::model::Plan, exam_id: Option<&str>) -> Vec<String> {
    let public = serde_json::to_string(&(&plan.exams, &plan.exam_points, &plan.auditoriums)).unwrap();
    let only: Option<std::collections::HashSet<&str>> = exam_id.map(|id| {
        let mine: std::collections::HashSet<&str> = plan.registrations.iter().filter(|r| r.exam_id == id).map(|r| r.participant_id.as_str()).collect();
        let elsewhere: std::collections::HashSet<&str> = plan.registrations.iter().filter(|r| r.exam_id != id).map(|r| r.participant_id.as_str()).collect();
        mine.difference(&elsewhere).copied().collect()
    });
    let mut markers = Vec::new();
    for p in &plan.participants {
        if only.as_ref().is_some_and(|o| !o.contains(p.participant_id.as_str())) {
            continue;
        }
        markers.extend([p.surname.clone(), p.snils.clone(), format!("{}\",\"doc_number\":\"{}", p.doc_series, p.doc_number)]);
    }
    if exam_id.is_none() {
        for w in &plan.workers {
            markers.extend([w.surname.clone(), w.snils.clone(), w.doc_number.clone()]);
        }
    }
    markers.retain(|m| m.len() >= 6 && !public.contains(m.as_str()));
    markers.sort();
    markers.dedup();
    markers
}

#[test]
fn wipe_removes_decrypted_material_after_the_exam_and_personal_data_only_with_receipt_after_retention() {
    use ppe::retention::{ops::wipe_exam, ReceiptStatus};
    let dir = tempfile::tempdir().unwrap();
    let region = ppe::demo::generate::generate_region(&ppe::demo::generate::RegionParams { points: 1, participants: 120, ..Default::default() });
    let ppe_code = region.exam_points[0].ppe_code.clone();
    let mut plan = region.for_exam_point(&ppe_code);
    // Two exams with shared people: the demo's second ЕГЭ of the day (its own people) stays out.
    let second = ppe::demo::generate::EGE_BASE_EXAM_ID;
    let its_own: std::collections::HashSet<String> = plan.registrations.iter().filter(|r| r.exam_id == second).map(|r| r.participant_id.clone()).collect();
    plan.exams.retain(|e| e.exam_id != second);
    plan.registrations.retain(|r| r.exam_id != second);
    plan.participants.retain(|p| !its_own.contains(&p.participant_id));
    assert!(plan.exams.len() == 2, "both exams at the point");
    let config = write_box_config(dir.path(), &ppe_code, "[retention]\npersonal_data_days = 30");
    let state = dir.path().join("state");
    {
        let ctx = ppe::context::EdgeContext::open(&config).unwrap();
        let mut conn = ctx.db().unwrap();
        let tx = conn.transaction().unwrap();
        ppe::plan::store::replace_plan(&tx, &plan, "2027-05-20T00:00:00Z", "test", "00").unwrap();
        tx.commit().unwrap();
        for exam in ["ege-02", "oge-01"] {
            let run = ctx.run_dir_for(exam).unwrap();
            std::fs::write(run.join("kim.pdf"), b"DECRYPTED-KIM-MATERIAL").unwrap();
        }
        // A scanned page of the exam with a participant's name on it.
        std::fs::create_dir_all(state.join("scans/ege-02")).unwrap();
        std::fs::write(state.join("scans/ege-02/page-1.txt"), plan.participants[0].surname.as_bytes()).unwrap();
    }
    let all_markers = personal_markers(&plan, None);
    assert!(all_markers.len() > 100, "markers: {}", all_markers.len());
    let before = all_bytes_under(&state);
    let missing: Vec<_> = all_markers.iter().filter(|m| !contains(&before, m)).collect();
    assert!(missing.is_empty(), "positive control: markers not found before the wipe: {missing:?}");

    // During the exam nothing goes.
    let o = ppe(&["edge", "--config", config.to_str().unwrap(), "wipe", "--exam", "ege-02", "--now", "2027-05-27T04:00:00Z"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("экзамен идёт"), "{}", stdout(&o));
    assert!(dir.path().join("run/ege-02/kim.pdf").exists());

    // After the exam, long after retention, but no hub receipt is held in the box's receipt
    // store: material goes, personal data stays.
    let o = ppe(&["edge", "--config", config.to_str().unwrap(), "wipe", "--exam", "ege-02", "--now", "2027-07-01T00:00:00Z"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("нет квитанции РЦОИ"), "{}", stdout(&o));
    assert!(!dir.path().join("run/ege-02").exists(), "decrypted material left in the run dir");
    assert!(dir.path().join("run/oge-01/kim.pdf").exists(), "the other exam's material is still in use");
    let kept = all_bytes_under(&state);
    assert!(all_markers.iter().all(|m| contains(&kept, m)), "personal data wiped without a receipt");

    let at = |now: &str| ppe::context::EdgeContext::open(&config).unwrap().with_clock(ppe::clock::Clock::simulated(now.parse().unwrap(), 1.0));
    let held = |_: &ppe::store::Connection, _: &str, _: &str| -> anyhow::Result<ReceiptStatus> { Ok(ReceiptStatus::Held) };
    let missing_receipt = |_: &ppe::store::Connection, _: &str, _: &str| -> anyhow::Result<ReceiptStatus> { Ok(ReceiptStatus::Missing) };

    // Receipt held but retention not over: kept.
    let r = wipe_exam(&at("2027-06-01T00:00:00Z"), "ege-02", &held).unwrap();
    assert!(matches!(r.personal, ppe::retention::PersonalDecision::NotDue { .. }), "{r:?}");
    // Retention over but no receipt: kept.
    let r = wipe_exam(&at("2027-07-01T00:00:00Z"), "ege-02", &missing_receipt).unwrap();
    assert_eq!(r.personal, ppe::retention::PersonalDecision::NoReceipt);
    assert!(all_markers.iter().all(|m| contains(&all_bytes_under(&state), m)));

    // Both: the participants of ege-02 only are gone, those also sitting oge-01 stay.
    let r = wipe_exam(&at("2027-07-01T00:00:00Z"), "ege-02", &held).unwrap();
    assert_eq!(r.personal, ppe::retention::PersonalDecision::Wipe);
    assert_eq!(r.wal_truncated, Some(true));
    assert!(r.personal_counts.unwrap().participants_deleted > 0);
    let after_first = all_bytes_under(&state);
    let ege_only = personal_markers(&plan, Some("ege-02"));
    assert!(!ege_only.is_empty());
    let left: Vec<_> = ege_only.iter().filter(|m| !plan_other_exam_shares(&plan, m) && contains(&after_first, m)).collect();
    assert!(left.is_empty(), "ege-02 personal data left: {left:?}");
    assert!(!state.join("scans/ege-02").exists());
    let oge_only = personal_markers(&plan, Some("oge-01"));
    assert!(oge_only.iter().any(|m| contains(&after_first, m)), "oge-01 data must still be kept");

    // The second exam: now nothing personal remains in the state dir or the database.
    let r = wipe_exam(&at("2027-07-01T00:00:00Z"), "oge-01", &held).unwrap();
    assert_eq!(r.personal, ppe::retention::PersonalDecision::Wipe);
    let after = all_bytes_under(&state);
    let left: Vec<_> = all_markers.iter().filter(|m| contains(&after, m)).collect();
    assert!(left.is_empty(), "personal data left after retention: {left:?}");
    assert!(!contains(&all_bytes_under(dir.path()), "DECRYPTED-KIM-MATERIAL"));

    // And again after another VACUUM through a fresh connection (nothing resurfaces from the WAL).
    {
        let conn = ppe::store::open(&state.join("ppe.db")).unwrap();
        ppe::retention::store::compact_and_truncate_wal(&conn).unwrap();
        let entries = ppe::audit::store::all(&conn).unwrap();
        assert_eq!(entries.iter().filter(|e| e.action == "retention.personal_wiped").count(), 2);
        assert!(entries.iter().any(|e| e.action == "retention.materials_wiped" && e.object == "ege-02"));
        ppe::audit::verify_chain(ppe::audit::GENESIS, &entries).unwrap();
    }
    let after = all_bytes_under(&state);
    assert!(all_markers.iter().all(|m| !contains(&after, m)));
    // Repeating is harmless.
    let r = wipe_exam(&at("2027-07-02T00:00:00Z"), "oge-01", &held).unwrap();
    assert_eq!(r.personal, ppe::retention::PersonalDecision::AlreadyWiped);
}

/// A marker of an ege-02-only participant may occur inside a value of someone still kept
/// (common surnames, a feminine form containing the masculine one).
fn plan_other_exam_shares(plan: &ppe::model::Plan, marker: &str) -> bool {
    let ege: std::collections::HashSet<&str> = plan.registrations.iter().filter(|r| r.exam_id == "ege-02").map(|r| r.participant_id.as_str()).collect();
    let oge: std::collections::HashSet<&str> = plan.registrations.iter().filter(|r| r.exam_id == "oge-01").map(|r| r.participant_id.as_str()).collect();
    let kept_participants = plan.participants.iter().filter(|p| oge.contains(p.participant_id.as_str()) || !ege.contains(p.participant_id.as_str()));
    let kept_text = serde_json::to_string(&(kept_participants.collect::<Vec<_>>(), &plan.workers)).unwrap();
    kept_text.contains(marker)
}

fn next_event(rx: &mut tokio::sync::broadcast::Receiver<ppe::serial::DeskEvent>) -> ppe::serial::DeskEvent {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match rx.try_recv() {
            Ok(e) => return e,
            Err(tokio::sync::broadcast::error::TryRecvError::Empty) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("no desk event: {e:?}"),
        }
    }
}

fn wait_for(rx: &mut tokio::sync::broadcast::Receiver<ppe::serial::DeskEvent>, what: &str, pred: impl Fn(&ppe::serial::DeskEvent) -> bool) -> ppe::serial::DeskEvent {
    let mut seen = Vec::new();
    for _ in 0..50 {
        let e = next_event(rx);
        if pred(&e) {
            return e;
        }
        seen.push(e);
    }
    panic!("waiting for {what}, saw {seen:?}");
}

#[test]
fn serial_reader_records_scans_and_recovers_after_unplug_and_replug() {
    use ppe::serial::{DeskEvent, DeskSelection, Direction, ReaderEvent};
    use ppe::sheet_code::{encode, sheet_key, SheetId, SheetKind};
    assert!(have("socat"), "socat is in scripts/packages.txt");
    let dir = tempfile::tempdir().unwrap();
    let reader_path = dir.path().join("ppe-barcode");
    let feeder_path = dir.path().join("feeder");
    let db_path = dir.path().join("ppe.db");
    drop(ppe::store::open(&db_path).unwrap());

    let key = sheet_key(b"box secret");
    let code = |n: u32| encode(&SheetId { exam_id: "ege-02".into(), ppe_code: "0101".into(), kind: SheetKind::Answers1, number: n }, &key);
    let selection = Arc::new(std::sync::Mutex::new(Some(DeskSelection {
        exam_id: "ege-02".into(),
        auditorium: "0003".into(),
        direction: Direction::Issue,
        actor: "tech".into(),
    })));
    let (reader_tx, reader_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ui_tx, mut ui) = tokio::sync::broadcast::channel(256);
    let desk = ppe::serial::Desk { db_path: db_path.clone(), ppe_code: "0101".into(), sheet_key: key.clone(), clock: ppe::clock::Clock::real(), selection: selection.clone() };
    let desk_thread = ppe::serial::spawn_desk(desk, reader_rx, ui_tx);

    // The reader starts before the device exists (box booted without it plugged in).
    let cfg = ppe::config::SerialConfig { port: reader_path.display().to_string(), baud: 9600, line_ending: "crlf".into() };
    let reader = ppe::serial::reader::spawn_reader(ppe::serial::ReaderSettings::from_config(&cfg).unwrap(), reader_tx).unwrap();

    let pty = PtyPair::start(&reader_path, &feeder_path);
    wait_for(&mut ui, "connected", |e| matches!(e, DeskEvent::Reader(ReaderEvent::Connected { .. })));
    feed(&feeder_path, &format!("{}\r\n{}\r\n", code(1), code(2)));
    for n in [1, 2] {
        let e = wait_for(&mut ui, "recorded", |e| matches!(e, DeskEvent::Recorded(_)));
        let DeskEvent::Recorded(m) = e else { unreachable!() };
        assert_eq!((m.sheet.number, m.auditorium.as_str(), m.direction), (n, "0003", Direction::Issue));
    }
    // A double scan and a foreign code are refused with a reason, not recorded.
    feed(&feeder_path, &format!("{}\r\nnot-a-code\r\n", code(1)));
    for _ in 0..2 {
        let e = wait_for(&mut ui, "refused", |e| matches!(e, DeskEvent::Refused { .. }));
        let DeskEvent::Refused { reason, .. } = e else { unreachable!() };
        assert!(!reason.is_empty());
    }

    // Unplug: the reader notices by itself.
    pty.unplug();
    wait_for(&mut ui, "disconnected", |e| matches!(e, DeskEvent::Reader(ReaderEvent::Disconnected { .. })));
    // Replug (a new pty under the same name): it reconnects and records again, now returns.
    let pty = PtyPair::start(&reader_path, &feeder_path);
    wait_for(&mut ui, "reconnected", |e| matches!(e, DeskEvent::Reader(ReaderEvent::Connected { .. })));
    *selection.lock().unwrap() = Some(DeskSelection { exam_id: "ege-02".into(), auditorium: "0003".into(), direction: Direction::Return, actor: "tech".into() });
    feed(&feeder_path, &format!("{}\r\n", code(2)));
    let DeskEvent::Recorded(m) = wait_for(&mut ui, "recorded after replug", |e| matches!(e, DeskEvent::Recorded(_))) else { unreachable!() };
    assert_eq!((m.sheet.number, m.direction), (2, Direction::Return));

    reader.stop();
    desk_thread.join().unwrap();
    pty.unplug();

    let conn = ppe::store::open(&db_path).unwrap();
    let rows = ppe::serial::store::movements_for_exam(&conn, "ege-02").unwrap();
    let got: Vec<_> = rows.iter().map(|m| (m.sheet.number, m.direction)).collect();
    assert_eq!(got, vec![(1, Direction::Issue), (2, Direction::Issue), (2, Direction::Return)]);
    assert_eq!(ppe::serial::store::movement_counts(&conn, "ege-02").unwrap(), vec![("0003".to_string(), 2, 1)]);
    let audit = ppe::audit::store::all(&conn).unwrap();
    assert_eq!(audit.iter().filter(|e| e.action.starts_with("materials.")).count(), 3);
}

/// A complete, valid box folder (keys made here, run dir on tmpfs); returns its ppe.toml.
fn good_box(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let ca = rcgen::generate_simple_self_signed(vec!["rcoi.example".into()]).unwrap();
    std::fs::write(keys.join("ca.crt"), ca.cert.pem()).unwrap();
    let client = rcgen::generate_simple_self_signed(vec!["0101".into()]).unwrap();
    std::fs::write(keys.join("client.crt"), client.cert.pem()).unwrap();
    ppe::keys::write_secret(&keys.join("client.key"), client.key_pair.serialize_pem().as_bytes()).unwrap();
    ppe::keys::write_secret(&keys.join("signing.pk8"), &ppe::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
    ppe::keys::write_secret(&keys.join("x25519.key"), "cd".repeat(32).as_bytes()).unwrap();
    for f in ["client.key", "signing.pk8", "x25519.key"] {
        assert_eq!(std::fs::metadata(keys.join(f)).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let run_dir = format!("/dev/shm/ppe-check-{}-{}", std::process::id(), dir.file_name().unwrap().to_string_lossy());
    let path = write_box_config(dir, "0101", "");
    let text = std::fs::read_to_string(&path).unwrap().replace("run_dir = \"run\"", &format!("run_dir = \"{run_dir}\""));
    std::fs::write(&path, text).unwrap();
    path
}

fn check_config(config: &Path) -> (bool, String) {
    // The box's cupsd as firmware-config sets it up (spool on tmpfs, PreserveJobFiles No);
    // tests/it/attacks/spool.rs tries the bad ones.
    let cups = memory_cups_conf();
    let o = Command::new(ppe_bin()).args(["edge", "--config", config.to_str().unwrap(), "check-config"]).env("CUPS_SERVERROOT", cups.path()).output().unwrap();
    (o.status.success(), format!("{}{}", stdout(&o), stderr(&o)))
}

#[test]
fn check_config_accepts_a_good_box_and_refuses_each_bad_one_with_file_key_and_reason() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = good_box(dir.path());
    let (ok, out) = check_config(&config);
    assert!(ok, "good config refused:\n{out}");
    let good = std::fs::read_to_string(&config).unwrap();
    let shown = config.display().to_string();

    let edit = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        std::fs::write(&config, good.replacen(from, to, 1)).unwrap();
    };
    type Case<'a> = (&'a str, Box<dyn Fn() + 'a>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        ("unknown key", Box::new(|| edit("ppe_code", "listen_port = 1\nppe_code")), "listen_port", "unknown field"),
        ("plain http hub", Box::new(|| edit("https://rcoi.example:8443", "http://rcoi.example:8443")), "ключ `hub.url`", "схема должна быть https"),
        ("not a url", Box::new(|| edit("https://rcoi.example:8443", "rcoi example")), "ключ `hub.url`", "не URL"),
        ("short public key", Box::new(|| edit(&"ab".repeat(32), "abcd")), "ключ `hub.signing_public_key`", "32 байта"),
        ("missing CA file", Box::new(|| edit("keys/ca.crt", "keys/nope.crt")), "ключ `hub.ca_file`", "нет такого файла"),
        ("serial reader absent", Box::new(|| edit("[hub]", "[serial]\nport = \"/dev/ppe-no-such-reader\"\n[hub]")), "ключ `serial.port`", "No such file"),
        ("bad line ending", Box::new(|| edit("[hub]", "[serial]\nline_ending = \"lfcr\"\n[hub]")), "ключ `serial.line_ending`", "crlf"),
        ("run dir on disk", Box::new(|| edit("run_dir = \"/dev/shm/", "run_dir = \"on-disk/")), "ключ `run_dir`", "постоянный диск"),
        ("zero heartbeat", Box::new(|| edit("[hub]", "[heartbeat]\ninterval_secs = 0\n[hub]")), "ключ `heartbeat.interval_secs`", "не меньше 1"),
    ];
    for (name, apply, key, reason) in cases {
        apply();
        let (ok, out) = check_config(&config);
        assert!(!ok, "{name}: accepted:\n{out}");
        assert!(out.contains(&shown) && out.contains(key) && out.contains(reason), "{name}: message lacks file, {key} or {reason:?}:\n{out}");
    }
    std::fs::write(&config, &good).unwrap();

    // Secrets: readable by others, or not the key they claim to be.
    let key = dir.path().join("keys/client.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (ok, out) = check_config(&config);
    assert!(!ok && out.contains("ключ `keys.tls_key_file`") && out.contains("права 0644") && out.contains("chmod 600"), "{out}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    ppe::keys::write_secret(&dir.path().join("keys/signing.pk8"), b"garbage").unwrap();
    let (ok, out) = check_config(&config);
    assert!(!ok && out.contains("ключ `keys.signing_key_file`") && out.contains("Ed25519"), "{out}");
    std::fs::write(dir.path().join("keys/ca.crt"), b"not a certificate").unwrap();
    let (ok, out) = check_config(&config);
    assert!(!ok && out.contains("ключ `hub.ca_file`") && out.contains("нет сертификата PEM"), "{out}");
}

#[test]
fn check_config_sees_a_real_serial_port_and_a_missing_cups_queue() {
    let dir = tempfile::tempdir().unwrap();
    let config = good_box(dir.path());
    let reader = dir.path().join("ppe-barcode");
    let pty = PtyPair::start(&reader, &dir.path().join("feeder"));
    let text = std::fs::read_to_string(&config).unwrap().replace("[hub]", &format!("[serial]\nport = \"{}\"\nbaud = 9600\n[hub]", reader.display()));
    std::fs::write(&config, &text).unwrap();
    let (ok, out) = check_config(&config);
    assert!(ok, "pty reader refused:\n{out}");
    pty.unplug();
    let (ok, out) = check_config(&config);
    assert!(!ok && out.contains("ключ `serial.port`"), "{out}");

    // The CUPS half: scripts/install-deps.sh installs the CUPS client, so its absence is a
    // broken test machine, not a reason to skip.
    assert!(have("lpstat"), "lpstat (cups-client) is missing: run scripts/install-deps.sh");
    let text = text.replace("[hub]", "[printer]\nname = \"ppe-no-such-queue\"\n[hub]");
    std::fs::write(&config, text).unwrap();
    let (ok, out) = check_config(&config);
    assert!(!ok && out.contains("ключ `printer.name`"), "{out}");
}

fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn install_into_a_temporary_root_is_complete_idempotent_and_uninstalls() {
    let root = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |script: &str, args: &[&str]| {
        let o = Command::new("bash").arg(repo.join("scripts").join(script)).args(args).env("DESTDIR", root.path()).output().unwrap();
        assert!(o.status.success(), "{script}: {}", String::from_utf8_lossy(&o.stderr));
    };
    run("install.sh", &["--bin", ppe_bin().to_str().unwrap()]);
    let files = tree(root.path());
    println!("installed:\n{}", files.join("\n"));
    for want in [
        "usr/bin/ppe",
        "usr/lib/systemd/system/ppe-edge.service",
        "usr/lib/systemd/system/ppe-hub.service",
        "usr/lib/systemd/system/ppe-edge-wipe.timer",
        "usr/lib/sysusers.d/ppe.conf",
        "etc/ppe/ppe.toml",
        "etc/ppe/hub.toml",
        "etc/udev/rules.d/99-ppe-barcode.rules",
        "etc/systemd/journald.conf.d/ppe.conf",
        "etc/ppe/nftables.conf",
    ] {
        assert!(files.iter().any(|f| f == want), "{want} not installed: {files:?}");
    }
    // An edited config survives a reinstall; the new example lands beside it.
    let cfg = root.path().join("etc/ppe/ppe.toml");
    std::fs::write(&cfg, "ppe_code = \"edited\"\n").unwrap();
    run("install.sh", &["--bin", ppe_bin().to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), "ppe_code = \"edited\"\n");
    assert!(root.path().join("etc/ppe/ppe.toml.example").exists());
    assert_eq!(tree(root.path()).len(), files.len() + 1, "second install added more than the example");

    run("uninstall.sh", &[]);
    let left = tree(root.path());
    assert!(left.iter().all(|f| f.starts_with("etc/ppe/")), "left behind: {left:?}");
    run("uninstall.sh", &["--purge"]);
    assert!(tree(root.path()).is_empty());
}

#[test]
fn systemd_units_verify_clean_and_score_ok_exposure() {
    assert!(have("systemd-analyze"), "systemd is in scripts/packages.txt");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new("bash").arg(repo.join("scripts/check-units.sh")).env("PPE_BIN", ppe_bin()).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    println!("{out}");
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    for unit in ["ppe-edge.service", "ppe-hub.service"] {
        assert!(out.contains(&format!("verify {unit}: clean")) && out.contains(&format!("security {unit}: Overall exposure level")), "{out}");
    }
}

/// Reads the daemon's stderr until a line holds an `http(s)://` URL (its first log line).
fn url_from_log(stderr: std::process::ChildStderr, scheme: &str) -> (String, std::thread::JoinHandle<()>) {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("the daemon ended before printing its URL").unwrap();
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with(scheme)) {
            break u.trim_end_matches(';').to_string();
        }
    };
    // Keep draining so the daemon never blocks on a full pipe.
    let drain = std::thread::spawn(move || for _ in lines.by_ref() {});
    (url, drain)
}

fn stop_and_expect_stopping(child: &mut std::process::Child, sock: &UnixDatagram, seen: &mut Vec<(Instant, String)>) {
    let kill = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    assert!(recv_until(sock, Instant::now() + Duration::from_secs(20), "STOPPING=1", seen), "no STOPPING=1: {seen:?}");
    let status = child.wait().unwrap();
    assert!(status.success(), "daemon exited with {status}");
}

/// The real daemons, not a stand-in: `ppe hub serve` and `ppe edge serve` tell systemd they
/// are ready once listening, ping the watchdog while alive, and stop cleanly on SIGTERM.
#[test]
fn hub_serve_and_edge_serve_send_ready_and_watchdog_pings_to_notify_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let hub_toml = init_hub(dir);
    let plan = dir.join("region.json");
    for args in [
        vec!["hub", "demo-plan", "--out", plan.to_str().unwrap(), "--points", "1", "--participants", "30"],
        vec!["hub", "import-plan", plan.to_str().unwrap(), "--config", hub_toml.to_str().unwrap()],
        vec!["hub", "enroll", "--ppe", "0101", "--out", dir.join("box").to_str().unwrap(), "--run-dir", dir.join("box/run").to_str().unwrap(), "--config", hub_toml.to_str().unwrap()],
    ] {
        let o = ppe(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }

    let hub_sock_path = dir.join("hub-notify.sock");
    let hub_sock = UnixDatagram::bind(&hub_sock_path).unwrap();
    let mut hub = Command::new(ppe_bin())
        .args(["hub", "serve", "--listen", "127.0.0.1:0", "--config", hub_toml.to_str().unwrap()])
        .env("NOTIFY_SOCKET", &hub_sock_path)
        .env("WATCHDOG_USEC", "1000000")
        .env_remove("WATCHDOG_PID")
        .env("PPE_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (hub_url, _hub_log) = url_from_log(hub.stderr.take().unwrap(), "https://");
    let mut seen = Vec::new();
    let t = |s: u64| Instant::now() + Duration::from_secs(s);
    assert!(recv_until(&hub_sock, t(30), "READY=1", &mut seen), "hub: no READY=1: {seen:?}");
    assert!(seen.iter().any(|(_, m)| m.contains("STATUS=hub on https://127.0.0.1:")), "{seen:?}");
    for _ in 0..2 {
        assert!(recv_until(&hub_sock, t(10), "WATCHDOG=1", &mut seen), "hub: no watchdog ping: {seen:?}");
    }

    let box_sock_path = dir.join("box-notify.sock");
    let box_sock = UnixDatagram::bind(&box_sock_path).unwrap();
    let mut edge = Command::new(ppe_bin())
        .args(["edge", "serve", "--listen", "127.0.0.1:0", "--config", dir.join("box/ppe.toml").to_str().unwrap()])
        .env("NOTIFY_SOCKET", &box_sock_path)
        .env("WATCHDOG_USEC", "1000000")
        .env_remove("WATCHDOG_PID")
        .env("PPE_HUB_URL", &hub_url)
        .env("PPE_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (ui_url, _box_log) = url_from_log(edge.stderr.take().unwrap(), "https://");
    let mut box_seen = Vec::new();
    assert!(recv_until(&box_sock, t(30), "READY=1", &mut box_seen), "box: no READY=1: {box_seen:?}");
    assert!(box_seen.iter().any(|(_, m)| m.contains("STATUS=ППЭ 0101")), "{box_seen:?}");
    for _ in 0..2 {
        assert!(recv_until(&box_sock, t(10), "WATCHDOG=1", &mut box_seen), "box: no watchdog ping: {box_seen:?}");
    }
    let (status, headers, _) = https_get(&https_client(&dir.join("hub/keys/ca.crt")), &format!("{}/", ui_url.trim_end_matches('/')));
    assert!(status == 303 && headers["location"] == "/setup", "the box UI answers over HTTPS once READY=1 was sent (first start): {status} {headers:?}");

    stop_and_expect_stopping(&mut edge, &box_sock, &mut box_seen);
    stop_and_expect_stopping(&mut hub, &hub_sock, &mut seen);
}
