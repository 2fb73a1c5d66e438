//! `ppe hub init|enroll|publish|serve`: a hub's folder with `hub.toml`, its keys and CA;
//! enrolling boxes; publishing packages; serving boxes over mutual TLS.

use std::path::PathBuf;

use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use crate::config::HubFileConfig;

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
}

pub fn init(args: InitArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("create {}", args.dir.display()))?;
    let toml_path = args.dir.join("hub.toml");
    if toml_path.exists() {
        anyhow::bail!("{} exists already: a hub is initialized there (remove it to start over)", toml_path.display());
    }
    let mut cfg = HubFileConfig::with_defaults();
    cfg.listen = args.listen.clone();
    cfg.public_url = args.public_url.unwrap_or_else(|| format!("https://{}", args.listen));
    let text = toml::to_string_pretty(&cfg).context("serialize hub.toml")?;
    let header = "# ppe hub configuration, written by `ppe hub init`. Paths are relative to this file.\n";
    crate::util::write_atomic(&toml_path, format!("{header}{text}").as_bytes()).with_context(|| format!("write {}", toml_path.display()))?;
    let ctx = crate::context::HubContext::open(&toml_path)?;
    drop(ctx.db()?);
    make_hub_keys(&ctx.config, &args.listen)?;
    println!("hub initialized in {}; config {}", args.dir.display(), toml_path.display());
    Ok(())
}

/// The hub's Ed25519 signing key, its CA, and a server certificate for the listen host.
fn make_hub_keys(cfg: &HubFileConfig, listen: &str) -> anyhow::Result<()> {
    let signing = crate::keys::generate_ed25519_pkcs8()?;
    crate::keys::write_secret(&cfg.signing_key_file, &signing)?;
    let ca = crate::hub::pki::new_ca()?;
    crate::keys::write_secret(&cfg.ca_key_file, ca.key_pem.as_bytes())?;
    crate::util::write_atomic(&cfg.ca_cert_file, ca.cert_pem.as_bytes()).with_context(|| format!("write {}", cfg.ca_cert_file.display()))?;
    let mut hosts = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let host = listen.rsplit_once(':').map(|(h, _)| h.trim_matches(['[', ']'])).unwrap_or(listen);
    if !host.is_empty() && host != "0.0.0.0" && !hosts.iter().any(|h| h == host) {
        hosts.push(host.to_string());
    }
    if let Some(public) = cfg.public_url.strip_prefix("https://").and_then(|r| r.split([':', '/']).next()) {
        if !public.is_empty() && !hosts.iter().any(|h| h == public) {
            hosts.push(public.to_string());
        }
    }
    let server = crate::hub::pki::issue_server(&ca.key_pem, &hosts)?;
    crate::keys::write_secret(&cfg.tls_key_file, server.key_pem.as_bytes())?;
    crate::util::write_atomic(&cfg.tls_cert_file, server.cert_pem.as_bytes()).with_context(|| format!("write {}", cfg.tls_cert_file.display()))?;
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
}

/// A box's TLS client certificate (issued by the hub CA), its Ed25519 key and a `ppe.toml`
/// pinning the hub's CA and public key; the hub records the certificate's fingerprint.
pub fn enroll(config: &std::path::Path, args: EnrollArgs) -> anyhow::Result<()> {
    let ctx = crate::context::HubContext::open(config)?;
    let code = args.ppe_code.trim();
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        anyhow::bail!("--ppe {code:?}: the exam point code must be letters, digits, '-' or '_'");
    }
    let toml_path = args.out.join("ppe.toml");
    if toml_path.exists() {
        anyhow::bail!("{} exists already: this folder holds an enrolled box", toml_path.display());
    }
    let ca_key = std::fs::read_to_string(&ctx.config.ca_key_file).with_context(|| format!("read CA key {}", ctx.config.ca_key_file.display()))?;
    let ca_cert = std::fs::read(&ctx.config.ca_cert_file).with_context(|| format!("read CA certificate {}", ctx.config.ca_cert_file.display()))?;
    let hub_key = crate::keys::load_ed25519(&ctx.config.signing_key_file)?;
    let issued = crate::hub::pki::issue_box(&ca_key, code)?;
    let keys = args.out.join("keys");
    crate::keys::write_secret(&keys.join("client.key"), issued.key_pem.as_bytes())?;
    crate::util::write_atomic(&keys.join("client.crt"), issued.cert_pem.as_bytes())?;
    crate::util::write_atomic(&keys.join("hub-ca.crt"), &ca_cert)?;
    let box_signing = crate::keys::generate_ed25519_pkcs8()?;
    crate::keys::write_secret(&keys.join("signing.pk8"), &box_signing)?;
    let box_public = crate::keys::ed25519_public_hex(&crate::keys::ed25519_from_pkcs8(&box_signing)?);
    let run_dir = args.run_dir.unwrap_or_else(|| PathBuf::from(format!("/run/ppe/{code}")));
    let text = format!(
        "# ppe box configuration, written by `ppe hub enroll`. Paths are relative to this file.\n\
         ppe_code = {code:?}\nstate_dir = \"state\"\nrun_dir = {run:?}\n\n[hub]\nurl = {url:?}\nca_file = \"keys/hub-ca.crt\"\n\
         signing_public_key = {public:?}\n\n[keys]\ntls_cert_file = \"keys/client.crt\"\ntls_key_file = \"keys/client.key\"\n\
         signing_key_file = \"keys/signing.pk8\"\n",
        run = run_dir.display().to_string(),
        url = ctx.config.public_url,
        public = crate::keys::ed25519_public_hex(&hub_key),
    );
    crate::keys::write_secret(&toml_path, text.as_bytes())?;
    let mut db = ctx.db()?;
    let now = ctx.clock.now_rfc3339();
    let fingerprint = crate::hub::pki::cert_fingerprint(&issued.cert_der);
    let tx = db.transaction()?;
    crate::materials::store::hub_box_upsert(&tx, &crate::materials::store::HubBox { ppe_code: code.into(), cert_sha256: fingerprint.clone(), signing_public_key: box_public.clone() }, &now)?;
    // The upload domain verifies bundle signatures with this key.
    crate::upload::store::register_box_key(&tx, code, &box_public, &now)?;
    crate::audit::store::append(&tx, &now, crate::audit::NewEntry { actor: "operator", action: "hub.box_enroll", object: code, details: serde_json::json!({"cert_sha256": fingerprint}) })?;
    tx.commit()?;
    println!("box {code} enrolled; config {}", toml_path.display());
    Ok(())
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    #[arg(long = "exam")]
    pub exam_id: String,
    /// Folder with the files of the package (PDF КИМ, instructions, templates).
    #[arg(long)]
    pub materials: PathBuf,
    /// Plaintext bytes per encrypted chunk.
    #[arg(long, default_value_t = crate::materials::DEFAULT_CHUNK_SIZE)]
    pub chunk_size: u32,
}

pub fn publish(config: &std::path::Path, args: PublishArgs) -> anyhow::Result<()> {
    let ctx = crate::context::HubContext::open(config)?;
    let published = crate::materials::hub_publish::publish(&ctx, &args.exam_id, &args.materials, args.chunk_size)?;
    for p in &published {
        println!("{} {} version {} ({} files)", p.exam_id, p.ppe_code, p.version, p.files);
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
        let listener = tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let server = crate::hub::server::HubServer::from_context(&ctx)?;
        // Monitoring: heartbeats from boxes (mTLS identity), the operators' dashboard, its
        // JSON, events and metrics, all on the same listener.
        let monitoring = crate::monitoring::live::MonitoringHub::from_context(&ctx)?;
        let ticker = monitoring.spawn_background();
        let router = server.router().merge(crate::monitoring::pages::router(crate::monitoring::pages::MonitoringPages::new(monitoring.clone())));
        tracing::info!("hub listening on https://{addr}");
        eprintln!("hub listening on https://{addr}");
        let serving = crate::hub::server::serve(listener, server.tls_config()?, server.state.clone(), router);
        let alive = monitoring.clone();
        let liveness: crate::daemon::Liveness = Arc::new(move || alive.writer_alive());
        let status_line = format!("hub on https://{addr}");
        let daemon = crate::daemon::run_until_signal(&status_line, liveness);
        let outcome = tokio::select! {
            r = serving => r,
            r = daemon => r.context("systemd notification"),
        };
        ticker.abort();
        // Reports accepted in memory reach the database before the process ends.
        if let Err(e) = monitoring.flush() {
            tracing::error!("monitoring flush on stop: {e}");
        }
        outcome
    })
}
