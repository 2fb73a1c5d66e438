//! Setting up a hub and its boxes: `hub init` (hub.toml, the hub's database, its signing key,
//! CA and server certificate) and `hub enroll` (a box's certificates — the client one for the
//! hub, the server one for its UI — keys, first-start setup code and ppe.toml, and its
//! registration on the hub). Called by the hub's CLI and by the demo.

use std::path::PathBuf;

use anyhow::Context;

use crate::config::HubFileConfig;
use crate::context::HubContext;
use crate::model::PpeCode;

/// A new hub's folder.
#[derive(Debug, Clone)]
pub struct NewHub {
    /// Folder for hub.toml, keys and state.
    pub dir: PathBuf,
    /// Address to listen on (goes into hub.toml).
    pub listen: String,
    /// URL boxes use to reach the hub; default https://<listen>.
    pub public_url: Option<String>,
}

/// `DIR/hub.toml`, the hub's database, its signing key, CA and server certificate; returns
/// the path of hub.toml. Refuses a folder that holds a hub already.
pub fn init_hub(args: &NewHub) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(&args.dir).with_context(|| format!("create {}", args.dir.display()))?;
    let toml_path = args.dir.join("hub.toml");
    if toml_path.exists() {
        anyhow::bail!("{} exists already: a hub is initialized there (remove it to start over)", toml_path.display());
    }
    let mut cfg = HubFileConfig::with_defaults();
    cfg.listen = args.listen.clone();
    cfg.public_url = args.public_url.clone().unwrap_or_else(|| format!("https://{}", args.listen));
    let text = toml::to_string_pretty(&cfg).context("serialize hub.toml")?;
    let header = "# ppe hub configuration, written by `ppe hub init`. Paths are relative to this file.\n";
    crate::util::write_atomic(&toml_path, format!("{header}{text}").as_bytes()).with_context(|| format!("write {}", toml_path.display()))?;
    let ctx = crate::context::HubContext::open(&toml_path)?;
    drop(ctx.db()?);
    make_hub_keys(&ctx.config, &args.listen)?;
    Ok(toml_path)
}

/// The hub's Ed25519 signing key, its CA, and a server certificate for the listen host.
fn make_hub_keys(cfg: &HubFileConfig, listen: &str) -> anyhow::Result<()> {
    let signing = crate::keys::generate_ed25519_pkcs8()?;
    crate::keys::write_secret(&cfg.signing_key_file, &signing)?;
    let ca = crate::hub::pki::new_ca()?;
    crate::keys::write_secret(&cfg.ca_key_file, ca.key_pem.as_bytes())?;
    crate::util::write_atomic(&cfg.ca_cert_file, ca.cert_pem.as_bytes()).with_context(|| format!("write {}", cfg.ca_cert_file.display()))?;
    let server = crate::hub::pki::issue_server(&ca.key_pem, &server_hosts(cfg, listen))?;
    write_server_cert(cfg, &server)
}

/// The names the hub's server certificate is for: loopback, the listen host, the public URL's.
pub fn server_hosts(cfg: &HubFileConfig, listen: &str) -> Vec<String> {
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
    hosts
}

/// The server key (0600) and certificate, each written atomically, key first.
pub fn write_server_cert(cfg: &HubFileConfig, server: &crate::hub::pki::Issued) -> anyhow::Result<()> {
    crate::keys::write_secret(&cfg.tls_key_file, server.key_pem.as_bytes())?;
    crate::util::write_atomic(&cfg.tls_cert_file, server.cert_pem.as_bytes()).with_context(|| format!("write {}", cfg.tls_cert_file.display()))?;
    Ok(())
}

/// A box to enroll.
#[derive(Debug, Clone)]
pub struct NewBox {
    pub ppe_code: PpeCode,
    /// Folder for the box's ppe.toml and keys.
    pub out: PathBuf,
    /// tmpfs folder for decrypted material on the box (default /run/ppe/CODE).
    pub run_dir: Option<PathBuf>,
}

/// The first start's one-time code, next to the enrolled ppe.toml (mode 0600).
pub const SETUP_CODE_FILE: &str = "setup-code";

/// A box's TLS client certificate and its UI's server certificate (both issued by the hub
/// CA), its Ed25519 key, the first start's one-time setup code and a `ppe.toml` pinning the
/// hub's CA and public key; the hub records the certificate's fingerprint and the box's
/// signing key. Returns the path of the box's ppe.toml; refuses a folder that holds an
/// enrolled box already. The UI certificate names the box's code-based name.
pub fn enroll_box(ctx: &HubContext, args: &NewBox) -> anyhow::Result<PathBuf> {
    enroll_box_for_ui_hosts(ctx, args, &[])
}

/// [`enroll_box`] with the host names and IP addresses of the box's UI certificate (besides
/// `localhost` and `127.0.0.1`; empty: the code-based name, `pki::default_box_ui_hosts`).
pub fn enroll_box_for_ui_hosts(ctx: &HubContext, args: &NewBox, ui_hosts: &[String]) -> anyhow::Result<PathBuf> {
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
    write_box_ui_cert(&ca_key, code, &args.out, ui_hosts)?;
    let setup_code = crate::accounts::setup_code::SetupCode::generate().map_err(|_| anyhow::anyhow!("the system random generator is not available"))?;
    crate::keys::write_secret(&args.out.join(SETUP_CODE_FILE), crate::accounts::setup_code::code_file_text(&setup_code).as_bytes())?;
    let run_dir = args.run_dir.clone().unwrap_or_else(|| PathBuf::from(format!("/run/ppe/{code}")));
    let text = format!(
        "# ppe box configuration, written by `ppe hub enroll`. Paths are relative to this file.\n\
         ppe_code = {code:?}\nstate_dir = \"state\"\nrun_dir = {run:?}\n\n[hub]\nurl = {url:?}\nca_file = \"keys/hub-ca.crt\"\n\
         signing_public_key = {public:?}\n\n[keys]\ntls_cert_file = \"keys/client.crt\"\ntls_key_file = \"keys/client.key\"\n\
         signing_key_file = \"keys/signing.pk8\"\n\n\
         # The box UI over HTTPS (certificate from the hub CA) and the first start's one-time code.\n\
         [ui]\ntls_cert_file = \"keys/ui.crt\"\ntls_key_file = \"keys/ui.key\"\nsetup_code_file = {setup:?}\n",
        run = run_dir.display().to_string(),
        url = ctx.config.public_url,
        public = crate::keys::ed25519_public_hex(&hub_key),
        setup = SETUP_CODE_FILE,
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
    Ok(toml_path)
}

/// The box UI's server certificate into `out/keys/ui.crt` and its key (0600) `ui.key`, for the
/// names given (see [`box_ui_hosts`]); returns the certificate's path.
fn write_box_ui_cert(ca_key_pem: &str, code: &str, out: &std::path::Path, ui_hosts: &[String]) -> anyhow::Result<PathBuf> {
    let ui = crate::hub::pki::issue_box_ui(ca_key_pem, code, &box_ui_hosts(code, ui_hosts))?;
    let keys = out.join("keys");
    crate::keys::write_secret(&keys.join("ui.key"), ui.key_pem.as_bytes())?;
    let cert = keys.join("ui.crt");
    crate::util::write_atomic(&cert, ui.cert_pem.as_bytes()).with_context(|| format!("write {}", cert.display()))?;
    Ok(cert)
}

/// `hub cert ui`: a new UI certificate for an enrolled box (the old one stays valid until it
/// ends: the hub does not know it by fingerprint, browsers trust the CA), audited.
pub fn renew_box_ui_cert(ctx: &HubContext, ppe_code: &str, out: &std::path::Path, ui_hosts: &[String]) -> anyhow::Result<PathBuf> {
    let db = ctx.db()?;
    crate::materials::store::hub_box_get(&db, ppe_code)?.with_context(|| format!("ППЭ {ppe_code} не зарегистрирован на хабе: сначала `ppe hub enroll --ppe {ppe_code}`"))?;
    let ca_key = std::fs::read_to_string(&ctx.config.ca_key_file).with_context(|| format!("read CA key {}", ctx.config.ca_key_file.display()))?;
    let cert = write_box_ui_cert(&ca_key, ppe_code, out, ui_hosts)?;
    let details = serde_json::json!({"hosts": box_ui_hosts(ppe_code, ui_hosts)});
    crate::audit::store::append(&db, &ctx.clock.now_rfc3339(), crate::audit::NewEntry { actor: "operator", action: "hub.box_ui_cert_renew", object: ppe_code, details })?;
    Ok(cert)
}

/// The names of a box UI's certificate: those given (or the box's code-based name), then
/// `localhost` and `127.0.0.1`, each once.
fn box_ui_hosts(code: &str, given: &[String]) -> Vec<String> {
    let defaults = crate::hub::pki::default_box_ui_hosts(code);
    let mut hosts: Vec<String> = if given.is_empty() { defaults[..1].to_vec() } else { given.iter().map(|h| h.trim().to_string()).filter(|h| !h.is_empty()).collect() };
    for local in &defaults[1..] {
        if !hosts.contains(local) {
            hosts.push(local.clone());
        }
    }
    hosts
}
