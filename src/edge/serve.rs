//! `ppe edge serve`: the box daemon. One process runs everything the exam day needs without
//! a person at the command line: the web UI on the exam point's LAN (HTTPS with the
//! certificate enrollment issued; plain HTTP only on loopback; the first start armed with its
//! one-time setup code), the materials scheduler
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
    // Decrypted КИМ and keys live in this process: no core dump, no ptrace by the same user.
    crate::util::plaintext::forbid_core_dumps();
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
    let tls = ui_tls(&ctx.config)?;
    if tls.is_none() && !crate::http::tls::plain_http_allowed(&addr) {
        anyhow::bail!(
            "the box UI would listen on {addr} over plain HTTP, so staff passwords and session cookies would cross the LAN in clear: \
             set [ui] tls_cert_file and tls_key_file in {} (`ppe hub enroll` issues them), or listen on 127.0.0.1 only",
            ctx.config_path.display()
        );
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    arm_first_start(&ctx)?;
    tracing::info!(ppe = %ctx.config.ppe_code, "box UI on {scheme}://{addr}; hub {}", ctx.config.hub.url);
    eprintln!("box {} UI on {scheme}://{addr}; hub {}", ctx.config.ppe_code, ctx.config.hub.url);

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

    let app = if tls.is_some() { crate::web::lan_router_over_https(ctx.clone(), selection, desk_events)? } else { crate::web::lan_router(ctx.clone(), selection, desk_events)? };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // The client's address goes with every request: the login throttle counts per address.
    let server = match tls {
        Some(tls) => {
    let ready_ctx = ctx.clone();
    let app = crate::http::health::with_health(app, Arc::new(move || crate::http::health::edge_checks(&ready_ctx)));
            let app = app.layer(axum::middleware::from_fn(crate::http::tls::client_addr));
            // The hub's listener with its caps and timeouts (a stalled or flooding LAN client
            // cannot hold the UI).
            let listener = crate::http::listener::TlsListener::new(listener, tls)?;
            let mut stop = stop_rx.clone();
            tokio::spawn(crate::http::listener::serve(listener, app, async move {
                let _ = stop.wait_for(|s| *s).await;
            }))
        }
        None => spawn_plain_ui(listener, app, stop_rx.clone()),
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
    if let Err(e) = crate::daemon::notify_status(&format!("ППЭ {}: UI {scheme}://{addr}", ctx.config.ppe_code)) {
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

/// Serves the UI in plain HTTP (loopback only), with the peer's address in `ConnectInfo`,
/// until `stop` turns true.
fn spawn_plain_ui(listener: tokio::net::TcpListener, app: axum::Router, mut stop: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await
            .map_err(anyhow::Error::from)
    })
}

/// The UI's TLS config from `[ui] tls_cert_file` and `tls_key_file` (both or neither).
fn ui_tls(cfg: &crate::config::EdgeFileConfig) -> anyhow::Result<Option<Arc<rustls::ServerConfig>>> {
    let (cert, key) = match (&cfg.ui.tls_cert_file, &cfg.ui.tls_key_file) {
        (Some(cert), Some(key)) => (cert, key),
        (None, None) => return Ok(None),
        _ => anyhow::bail!("[ui] tls_cert_file and tls_key_file go together: set both (the box UI over HTTPS) or neither (plain HTTP on loopback only)"),
    };
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("[ui] read {}", p.display()));
    let config = crate::http::tls::server_config(&read(cert)?, &read(key)?, None).with_context(|| format!("[ui] {} and {}", cert.display(), key.display()))?;
    Ok(Some(config))
}

/// While no account exists, arms the first start with its one-time code: the one enrollment
/// wrote (`[ui] setup_code_file`), or a fresh one printed here, to the console and the
/// journal — never to a page. Every start re-arms, which also lifts a lock after wrong codes.
fn arm_first_start(ctx: &EdgeContext) -> anyhow::Result<()> {
    use crate::accounts::setup_code::{read_code_file, CodeSource, SetupCode};
    if crate::accounts::store::account_count(&*ctx.db()?)? > 0 {
        return Ok(());
    }
    let file = &ctx.config.ui.setup_code_file;
    let (code, source) = match read_code_file(file)? {
        Some(code) => (code, CodeSource::File),
        None => (SetupCode::generate().map_err(|_| anyhow::anyhow!("the system random generator is not available"))?, CodeSource::Generated),
    };
    let mut conn = ctx.db()?;
    if !crate::accounts::ops::arm_first_start(&mut conn, &code, source, &ctx.clock.now_rfc3339())? {
        return Ok(());
    }
    match source {
        CodeSource::File => {
            tracing::info!("first start: the box UI asks for the one-time setup code in {}", file.display());
            eprintln!("first start: the box UI asks for the one-time setup code written at enrollment: {}", file.display());
        }
        CodeSource::Generated => {
            tracing::info!("first start: a one-time setup code was made and printed on the console");
            eprintln!("first start: the box UI asks for this one-time setup code: {} (no {} was found)", code.display(), file.display());
        }
    }
    Ok(())
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
