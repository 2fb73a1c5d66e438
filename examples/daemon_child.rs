//! The daemon side of the appliance test `daemon_sends_ready_and_pings_watchdog_only_while_alive`:
//! runs `ppe::daemon::run_until_signal` with a liveness that holds while the file named by
//! `PPE_TEST_DAEMON_CHILD` exists. A separate program (built by `cargo test --all-targets`), so
//! no test harness counts it as a passing test.

use std::path::PathBuf;
use std::sync::Arc;

fn main() {
    // Run by `cargo test --all-targets` with nothing set: nothing to do.
    let Some(liveness_file) = std::env::var_os("PPE_TEST_DAEMON_CHILD").map(PathBuf::from) else { return };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let liveness: ppe::daemon::Liveness = Arc::new(move || liveness_file.exists());
    if let Err(e) = runtime.block_on(ppe::daemon::run_until_signal("ППЭ 0101: test daemon", liveness)) {
        eprintln!("daemon_child: {e:#}");
        std::process::exit(1);
    }
}
