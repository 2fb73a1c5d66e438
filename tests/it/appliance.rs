//! The appliance: systemd notification and watchdog, serial barcode reader, retention wipe,
//! check-config, example configs, install script.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;

/// Set in the environment of the re-executed test binary: it then plays the daemon.
const DAEMON_CHILD_ENV: &str = "PPE_TEST_DAEMON_CHILD";

/// The daemon side of `daemon_sends_ready_and_pings_watchdog_only_while_alive`: this test
/// binary re-executes itself with only this test selected and `DAEMON_CHILD_ENV` set. Run
/// normally it has nothing to do.
#[test]
fn daemon_child_process() {
    let Ok(liveness_file) = std::env::var(DAEMON_CHILD_ENV) else { return };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let liveness: ppe::daemon::Liveness = Arc::new(move || Path::new(&liveness_file).exists());
    runtime.block_on(ppe::daemon::run_until_signal("ППЭ 0101: test daemon", liveness)).unwrap();
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

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "appliance::daemon_child_process", "--nocapture", "--test-threads=1"])
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
