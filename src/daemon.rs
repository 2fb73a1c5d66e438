//! systemd integration of `ppe edge serve` and `ppe hub serve`: readiness, status text and a
//! watchdog that only pings while the daemon is really alive.
//!
//! The units are `Type=notify` with `WatchdogSec=`: systemd restarts a daemon that stops
//! pinging. A ping from a timer that runs regardless of the daemon's health would hide a
//! wedged scheduler or a dead database, so each ping is gated on a liveness check the daemon
//! supplies. Without `NOTIFY_SOCKET` (run by hand, in tests, in `ppe demo`) everything here is
//! a no-op.

use std::sync::Arc;
use std::time::Duration;

use sd_notify::NotifyState;

/// Tells systemd the daemon is up (listening, database open). Call once, after binding.
pub fn notify_ready() -> std::io::Result<()> {
    sd_notify::notify(&[NotifyState::Ready])
}

/// One line shown by `systemctl status` (ids only, never personal data).
pub fn notify_status(text: &str) -> std::io::Result<()> {
    // A newline would end the STATUS= assignment and start a bogus one.
    let one_line: String = text.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    sd_notify::notify(&[NotifyState::Status(&one_line)])
}

/// Tells systemd the daemon is shutting down on purpose (so a slow stop is not a hang).
pub fn notify_stopping() -> std::io::Result<()> {
    sd_notify::notify(&[NotifyState::Stopping])
}

/// How often to ping: half of `WATCHDOG_USEC` (as sd_watchdog_enabled(3) advises), or `None`
/// when systemd asked for no watchdog or the variables are for another process.
pub fn watchdog_ping_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled().filter(|d| !d.is_zero()).map(|d| d / 2)
}

/// A liveness check: `true` while the daemon can do its work (database answers, scheduler
/// ticks). Called once per ping interval from the runtime; keep it cheap and non-blocking.
pub type Liveness = Arc<dyn Fn() -> bool + Send + Sync>;

/// Spawns the watchdog task on the current tokio runtime; `None` without a watchdog. The task
/// pings `WATCHDOG=1` each interval while `liveness()` holds and stays silent otherwise, so
/// systemd kills and restarts a daemon that is running but not alive.
pub fn spawn_watchdog(liveness: Liveness) -> Option<tokio::task::JoinHandle<()>> {
    let interval = watchdog_ping_interval()?;
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut was_alive = true;
        loop {
            ticker.tick().await;
            let alive = liveness();
            if alive {
                if let Err(err) = sd_notify::notify(&[NotifyState::Watchdog]) {
                    tracing::warn!(error = %err, "watchdog ping failed");
                }
            } else if was_alive {
                tracing::error!("liveness check failed: watchdog pings withheld, systemd will restart the daemon");
            }
            was_alive = alive;
        }
    }))
}

/// Resolves on SIGTERM (systemd stop) or SIGINT (Ctrl-C). Hand it to axum's graceful shutdown.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only Ctrl-C stops the daemon");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The daemon life cycle around an already started service: READY=1 and the status line,
/// watchdog pings gated by `liveness`, then waits for SIGTERM/SIGINT and sends STOPPING=1.
/// `serve` commands call this (or the pieces above) after binding their listener.
pub async fn run_until_signal(status: &str, liveness: Liveness) -> std::io::Result<()> {
    notify_status(status)?;
    notify_ready()?;
    let watchdog = spawn_watchdog(liveness);
    shutdown_signal().await;
    notify_stopping()?;
    if let Some(task) = watchdog {
        task.abort();
    }
    Ok(())
}
