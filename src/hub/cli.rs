//! `ppe hub init|enroll|publish|serve`: a hub's folder with `hub.toml`, its keys and CA;
//! enrolling boxes; publishing packages; serving boxes over mutual TLS within `[limits]`, with
//! the periodic sweep of expired uploads and the optional metrics listener.

use std::path::PathBuf;

use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use super::setup::{NewBox, NewHub};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Folder for hub.toml, keys and state.
    #[arg(long)]
    pub dir: PathBuf,
    /// Address to listen on (goes into hub.toml).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: String,
    /// URL boxes use to reach the hub; default https://<listen>.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

pub fn init(args: InitArgs) -> anyhow::Result<()> {
    let toml_path = super::setup::init_hub(&NewHub { dir: args.dir.clone(), listen: args.listen, public_url: args.public_url })?;
    if args.json {
        return crate::cli_util::print_json(&serde_json::json!({ "dir": args.dir, "config": toml_path }));
    }
    crate::outln!("РЦОИ создан в {}; конфигурация {}", args.dir.display(), toml_path.display());
    Ok(())
}

#[derive(Args, Debug)]
pub struct EnrollArgs {
    /// Code of the exam point (ППЭ).
    #[arg(long = "ppe")]
    pub ppe_code: String,
    /// Folder for the box's ppe.toml and keys.
    #[arg(long)]
    pub out: PathBuf,
    /// tmpfs folder for decrypted material on the box (default /run/ppe/CODE).
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    #[command(flatten)]
    pub ui: UiHostArgs,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

/// The names of a box UI's certificate.
#[derive(Args, Debug, Clone)]
pub struct UiHostArgs {
    /// Host name the staff reach the box UI by (repeatable; default ppe-CODE.local); goes
    /// into the UI's certificate with localhost and 127.0.0.1.
    #[arg(long = "ui-name")]
    pub ui_names: Vec<String>,
    /// IP address of the box on the exam point's LAN (repeatable), for the UI's certificate.
    #[arg(long = "ui-ip")]
    pub ui_ips: Vec<std::net::IpAddr>,
}

impl UiHostArgs {
    fn hosts(&self) -> anyhow::Result<Vec<String>> {
        for name in &self.ui_names {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                anyhow::bail!("--ui-name {name:?}: имя узла состоит из латинских букв, цифр, '-' и '.'");
            }
        }
        Ok(self.ui_names.iter().cloned().chain(self.ui_ips.iter().map(|ip| ip.to_string())).collect())
    }
}

/// A box's TLS client certificate and UI certificate (issued by the hub CA), its Ed25519 key,
/// the first start's setup code and a `ppe.toml` pinning the hub's CA and public key; the hub
/// records the certificate's fingerprint.
pub fn enroll(config: &std::path::Path, args: EnrollArgs) -> anyhow::Result<()> {
    let ctx = crate::context::HubContext::open(config)?;
    let ui_hosts = args.ui.hosts()?;
    let out = args.out.clone();
    let toml_path = super::setup::enroll_box_for_ui_hosts(
        &ctx,
        &NewBox { ppe_code: args.ppe_code.trim().into(), out: args.out, run_dir: args.run_dir },
        &ui_hosts,
    )?;
    let (ui_cert, setup_code) = (out.join("keys/ui.crt"), out.join(super::setup::SETUP_CODE_FILE));
    if args.json {
        return crate::cli_util::print_json(
            &serde_json::json!({ "ppe_code": args.ppe_code.trim(), "config": toml_path, "ui_certificate": ui_cert, "setup_code_file": setup_code }),
        );
    }
    crate::outln!("ППЭ {} зарегистрирован; конфигурация {}", args.ppe_code.trim(), toml_path.display());
    crate::outln!("сертификат интерфейса ППЭ {} (HTTPS, выпущен УЦ РЦОИ {})", ui_cert.display(), ctx.config.ca_cert_file.display());
    crate::outln!("код первого запуска (права 0600, передайте только техническому специалисту ППЭ): {}", setup_code.display());
    Ok(())
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    /// Exam id (from the plan).
    #[arg(long = "exam")]
    pub exam_id: String,
    /// Folder with the files of the package (PDF КИМ, instructions, templates).
    #[arg(long)]
    pub materials: PathBuf,
    /// Plaintext bytes per encrypted chunk.
    #[arg(long, default_value_t = crate::materials::DEFAULT_CHUNK_SIZE)]
    pub chunk_size: u32,
    /// Publish the folder as the exam's documents package (ИС-9: instructions, expert
    /// protocols, statements; released from the plan's `documents_open_at`), not its КИМ.
    #[arg(long)]
    pub documents: bool,
    /// Print the result as JSON (docs/cli.md).
    #[arg(long)]
    pub json: bool,
}

pub fn publish(config: &std::path::Path, args: PublishArgs) -> anyhow::Result<()> {
    let ctx = crate::context::HubContext::open(config)?;
    let request = crate::materials::hub_publish::PublishRequest {
        exam_id: args.exam_id.as_str().into(),
        materials_dir: args.materials,
        chunk_size: args.chunk_size,
        kind: if args.documents { crate::materials::PackageKind::Documents } else { crate::materials::PackageKind::Kim },
    };
    let progress = crate::cli_util::TerminalProgress::new();
    let published = crate::materials::hub_publish::publish_with_progress(&ctx, &request, &progress)?;
    drop(progress);
    if args.json {
        let rows: Vec<_> = published.iter().map(|p| serde_json::json!({ "exam_id": p.exam_id, "ppe_code": p.ppe_code, "version": p.version, "package_id": p.package_id, "files": p.files })).collect();
        return crate::cli_util::print_json(&rows);
    }
    for p in &published {
        crate::outln!("{} {} версия {} (файлов: {})", p.exam_id, p.ppe_code, p.version, p.files);
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub time: crate::clock::SimulatedTimeArgs,
    /// Listen address (overrides hub.toml).
    #[arg(long)]
    pub listen: Option<String>,
}

pub fn serve(config: &std::path::Path, args: ServeArgs) -> anyhow::Result<()> {
    let ctx = crate::context::HubContext::open(config)?.with_clock(args.time.clock());
    let listen = args.listen.unwrap_or_else(|| ctx.config.listen.clone());
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("не удаётся слушать {listen}"))?;
        let addr = listener.local_addr()?;
        let server = crate::hub::server::HubServer::from_context(&ctx)?;
        // Monitoring: heartbeats from boxes (mTLS identity), the operators' dashboard, its
        // JSON, events and metrics (behind the operators' login), all on the same listener.
        let monitoring = crate::monitoring::live::MonitoringHub::from_context(&ctx)?;
        let ticker = monitoring.spawn_background();
        let mut pages = crate::monitoring::pages::MonitoringPages::new(monitoring.clone());
        pages.gek_rp = server.state.gek_rp.clone();
        let ready_ctx = ctx.clone();
        let checks: crate::http::health::ReadyChecks = Arc::new(move || crate::http::health::hub_checks(&ready_ctx));
        let router = server.router().merge(crate::monitoring::pages::router(pages.clone()));
        let router = crate::http::health::with_health(router, checks.clone())
            .layer(axum::middleware::from_fn_with_state(monitoring.clone(), crate::monitoring::metrics::record_requests));
        let metrics = spawn_metrics_listener(&ctx.config.metrics_listen, pages.clone(), checks.clone()).await?;
        let sweep = spawn_upload_sweep(server.uploads.clone(), ctx.config.limits.sweep_every_secs);
        tracing::info!("hub listening on https://{addr}");
        eprintln!("hub listening on https://{addr}");
        let limits = crate::hub::server::ListenerLimits::from_config(&ctx.config.limits);
        let serving = crate::hub::server::serve_with_limits(listener, server.tls_config()?, server.state.clone(), router, limits);
        let alive = monitoring.clone();
        let liveness: crate::daemon::Liveness = Arc::new(move || alive.writer_alive());
        let status_line = format!("hub on https://{addr}");
        let daemon = crate::daemon::run_until_signal(&status_line, liveness);
        let outcome = tokio::select! {
            r = serving => r,
            r = daemon => r.context("уведомление systemd"),
        };
        ticker.abort();
        sweep.abort();
        if let Some(m) = metrics {
            m.abort();
        }
        // Reports accepted in memory reach the database before the process ends.
        if let Err(e) = monitoring.flush() {
            tracing::error!("monitoring flush on stop: {e}");
        }
        outcome
    })
}

/// `ppe hub cert server|box`: certificate renewal (docs/security.md, "Certificates and
/// rotation").
#[derive(Args, Debug)]
pub struct CertArgs {
    #[command(subcommand)]
    pub command: CertCommand,
    /// Print what was renewed as JSON (docs/cli.md).
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum CertCommand {
    /// A new server certificate for the hub (same CA and names); restart `hub serve` to use it.
    Server,
    /// A new client certificate for an enrolled box, into DIR/keys (the box keeps its code and
    /// signing key; the hub accepts only the new certificate from now on).
    Box {
        /// Code of the exam point (ППЭ).
        #[arg(long = "ppe")]
        ppe_code: String,
        /// The box's folder (its ppe.toml's), or one to carry to it.
        #[arg(long)]
        out: PathBuf,
    },
    /// A new server certificate for an enrolled box's UI (HTTPS on the exam point's LAN),
    /// into DIR/keys/ui.crt and ui.key; restart the box to serve it.
    Ui {
        /// Code of the exam point (ППЭ).
        #[arg(long = "ppe")]
        ppe_code: String,
        /// The box's folder (its ppe.toml's), or one to carry to it.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        ui: UiHostArgs,
    },
}

pub fn cert(config: &std::path::Path, args: CertArgs) -> anyhow::Result<()> {
    let ctx = crate::context::HubContext::open(config)?;
    match args.command {
        CertCommand::Server => {
            let fingerprint = super::rotate::renew_server_cert(&ctx)?;
            if args.json {
                return crate::cli_util::print_json(&serde_json::json!({ "certificate": "server", "sha256": fingerprint, "valid_days": super::pki::LEAF_LIFETIME_DAYS }));
            }
            crate::outln!(
                "сертификат сервера обновлён (sha256 {fingerprint}, действует {} дн.): перезапустите `ppe hub serve`",
                super::pki::LEAF_LIFETIME_DAYS
            );
        }
        CertCommand::Box { ppe_code, out } => {
            let path = super::rotate::renew_box_cert(&ctx, ppe_code.trim(), &out)?;
            if args.json {
                return crate::cli_util::print_json(&serde_json::json!({ "certificate": "box", "ppe_code": ppe_code.trim(), "path": path, "valid_days": super::pki::LEAF_LIFETIME_DAYS }));
            }
            crate::outln!(
                "сертификат ППЭ {} обновлён: {} (действует {} дн.); перенесите keys/client.crt и keys/client.key на станцию и перезапустите её",
                ppe_code.trim(),
                path.display(),
                super::pki::LEAF_LIFETIME_DAYS
            );
        }
        CertCommand::Ui { ppe_code, out, ui } => {
            let path = super::setup::renew_box_ui_cert(&ctx, ppe_code.trim(), &out, &ui.hosts()?)?;
            if args.json {
                return crate::cli_util::print_json(&serde_json::json!({ "certificate": "ui", "ppe_code": ppe_code.trim(), "path": path, "valid_days": super::pki::LEAF_LIFETIME_DAYS }));
            }
            crate::outln!(
                "сертификат интерфейса ППЭ {} обновлён: {} (действует {} дн.); перенесите keys/ui.crt и keys/ui.key на станцию и перезапустите её",
                ppe_code.trim(),
                path.display(),
                super::pki::LEAF_LIFETIME_DAYS
            );
        }
    }
    Ok(())
}

/// Every `every_secs`: unfinished uploads past their expiry and partial bytes no upload names
/// are removed (`UploadCore::expire`), so stalled uploads do not hold the hub's disk or a
/// box's allowance.
fn spawn_upload_sweep(uploads: Arc<crate::upload::server::UploadServerState>, every_secs: u64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every_secs.max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let st = uploads.clone();
            match tokio::task::spawn_blocking(move || crate::upload::server::UploadCore::expire(&st)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(expired = n, "expired uploads swept"),
                Ok(Err(e)) => tracing::error!("upload sweep: {e}"),
                Err(e) => tracing::error!("upload sweep task: {e}"),
            }
        }
    })
}

/// `metrics_listen`: a plain-HTTP listener serving only `/metrics`, without a login, for a
/// Prometheus on this machine (a non-loopback address is the operator's explicit choice and
/// logged as such). Empty: none.
async fn spawn_metrics_listener(
    listen: &str,
    pages: crate::monitoring::pages::MonitoringPages,
    checks: crate::http::health::ReadyChecks,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    if listen.trim().is_empty() {
        return Ok(None);
    }
    let listener = tokio::net::TcpListener::bind(listen.trim()).await.with_context(|| format!("metrics_listen: не удаётся слушать {listen}"))?;
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        tracing::warn!(%addr, "metrics served without a login on a non-loopback address (hub.toml metrics_listen)");
    }
    eprintln!("hub metrics on http://{addr}/metrics");
    let app = crate::http::health::with_health(crate::monitoring::pages::metrics_router(pages), checks);
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("metrics listener: {e}");
        }
    })))
}
