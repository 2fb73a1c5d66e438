//! `ppe edge serve`: the box daemon. One process runs everything the exam day needs without
//! a person at the command line: the web UI on the exam point's LAN, the materials scheduler
//! (plan sync, pre-staging, the pull in the window), the heartbeat to the hub, the staff-room
//! barcode reader, the scan inbox and the automatic upload (`duties`), and the systemd
//! protocol (READY=1 once listening, watchdog pings only while the duties loop is alive,
//! STOPPING=1 on SIGTERM).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::duties::{self, DutiesState};
use crate::context::EdgeContext;
use crate::serial::{DeskEvent, DeskSelection};

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub time: crate::clock::SimulatedTimeArgs,
    /// Address of the web UI on the LAN (overrides `listen` in ppe.toml); port 0 picks one.
    #[arg(long)]
    pub listen: Option<String>,
}

pub fn serve(config: &Path, args: ServeArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?.with_clock(args.time.clock());
    let listen = args.listen.unwrap_or_else(|| ctx.config.listen.clone());
    let rt = tokio::runtime::Runtime::new().context("tokio runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listen on {listen}"))?;
        run(ctx, listener, crate::daemon::shutdown_signal()).await
    })
}

/// The duties loop must have completed a pass this recently for the watchdog to ping.
const LIVENESS_MAX_AGE: Duration = Duration::from_secs(60);

/// Runs the daemon on a bound UI listener until `stop` resolves (`ppe demo` runs the same).
pub async fn run(ctx: EdgeContext, listener: tokio::net::TcpListener, stop: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    // The database opens and migrates before anything is served: a broken one fails the start
    // (systemd restarts and the journal says why) instead of a UI that errors on every page.
    drop(ctx.db()?);
    let addr = listener.local_addr()?;
    tracing::info!(ppe = %ctx.config.ppe_code, "box UI on http://{addr}; hub {}", ctx.config.hub.url);
    eprintln!("box {} UI on http://{addr}; hub {}", ctx.config.ppe_code, ctx.config.hub.url);

    // The staff-room desk: the UI sets the selection, the reader's codes are recorded against
    // it, every page sees the outcome.
    let selection: Arc<Mutex<Option<DeskSelection>>> = Arc::new(Mutex::new(None));
    let (desk_events, _) = tokio::sync::broadcast::channel::<DeskEvent>(256);
    let reader = start_serial_desk(&ctx, selection.clone(), desk_events.clone());

    let reporter = match crate::edge::reporter::spawn_box_reporter(&ctx) {
        Ok(task) => Some(task),
        Err(e) => {
            tracing::error!("heartbeat to the hub not started: {e:#}");
            None
        }
    };

    let duties_state = Arc::new(DutiesState::default());
    let duties_task = tokio::spawn(duties::run(ctx.clone(), duties_state.clone()));

    let app = crate::web::lan_router(ctx.clone(), selection, desk_events)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = {
        let mut rx = stop_rx.clone();
        tokio::spawn(async move {
            // The client's address: the login throttle counts failures per address.
            axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await
        })
    };
    // Not Send (it holds the box's SQLite connection across awaits): it runs in this task.
    let scheduler = {
        let mut rx = stop_rx.clone();
        crate::materials::scheduler::run(&ctx, async move {
            let _ = rx.wait_for(|s| *s).await;
        })
    };
    tokio::pin!(scheduler);

    let liveness_state = duties_state.clone();
    let liveness: crate::daemon::Liveness = Arc::new(move || liveness_state.alive(LIVENESS_MAX_AGE));
    if let Err(e) = crate::daemon::notify_status(&format!("ППЭ {}: UI http://{addr}", ctx.config.ppe_code)) {
        tracing::warn!("sd_notify status: {e}");
    }
    if let Err(e) = crate::daemon::notify_ready() {
        tracing::warn!("sd_notify READY: {e}");
    }
    let watchdog = crate::daemon::spawn_watchdog(liveness);

    tokio::pin!(stop);
    let outcome: anyhow::Result<()> = tokio::select! {
        _ = &mut stop => Ok(()),
        r = &mut scheduler => r.context("materials scheduler"),
    };
    let _ = crate::daemon::notify_stopping();
    let _ = stop_tx.send(true);
    duties::stop(&duties_state);
    if let Some(w) = watchdog {
        w.abort();
    }
    if let Some(r) = reporter {
        r.abort();
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), duties_task).await;
    if let Some(r) = reader {
        // The reader thread notices within one poll interval.
        tokio::task::spawn_blocking(move || r.stop()).await.ok();
    }
    tracing::info!("box daemon stopped");
    outcome
}

/// Starts the barcode reader and the desk when a port is configured. A reader that is not
/// plugged in yet is fine: the thread keeps trying the port until it appears.
fn start_serial_desk(ctx: &EdgeContext, selection: Arc<Mutex<Option<DeskSelection>>>, events: tokio::sync::broadcast::Sender<DeskEvent>) -> Option<crate::serial::reader::ReaderHandle> {
    if ctx.config.serial.port.trim().is_empty() {
        return None;
    }
    let settings = match crate::serial::ReaderSettings::from_config(&ctx.config.serial) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("barcode reader not started: {e}");
            return None;
        }
    };
    let key = match crate::scanning::ops::box_sheet_key(ctx) {
        Ok(k) => k,
        Err(e) => {
            tracing::error!("barcode reader not started: {e:#}");
            return None;
        }
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = match crate::serial::reader::spawn_reader(settings, tx) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("barcode reader thread: {e}");
            return None;
        }
    };
    let desk = crate::serial::Desk { db_path: ctx.config.db_path(), ppe_code: ctx.config.ppe_code.clone(), sheet_key: key, clock: ctx.clock.clone(), selection };
    crate::serial::spawn_desk(desk, rx, events);
    Some(handle)
}
