//! Certificate renewal (docs/security.md, "Certificates and rotation"): a new server
//! certificate for the hub, a new client certificate for a box. The CA stays, so nothing a box
//! pins changes; a box keeps its exam point code and its signing key, and the hub's table
//! switches to the new certificate in one transaction with its audit entry (the old one is
//! refused from then on).

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::context::HubContext;

/// Re-issues the hub's server certificate (new key, same CA and names) in place; `hub serve`
/// uses it from its next start. Returns the new certificate's SHA-256.
pub fn renew_server_cert(ctx: &HubContext) -> anyhow::Result<String> {
    let cfg = &ctx.config;
    let ca_key = std::fs::read_to_string(&cfg.ca_key_file).with_context(|| format!("read CA key {}", cfg.ca_key_file.display()))?;
    let server = crate::hub::pki::issue_server(&ca_key, &super::setup::server_hosts(cfg, &cfg.listen))?;
    super::setup::write_server_cert(cfg, &server)?;
    let fingerprint = crate::hub::pki::cert_fingerprint(&server.cert_der);
    let now = ctx.clock.now_rfc3339();
    let mut db = ctx.db()?;
    let tx = db.transaction()?;
    crate::audit::store::append(&tx, &now, crate::audit::NewEntry { actor: "operator", action: "hub.server_cert_renew", object: "hub", details: serde_json::json!({"cert_sha256": fingerprint}) })?;
    tx.commit()?;
    Ok(fingerprint)
}

/// Re-issues an enrolled box's client certificate into `out/keys/client.{crt,key}` (the box's
/// folder, or one to carry to it) and switches the hub's table to it. Refuses a box that was
/// never enrolled. Returns the path of the new certificate.
pub fn renew_box_cert(ctx: &HubContext, ppe_code: &str, out: &Path) -> anyhow::Result<PathBuf> {
    let mut db = ctx.db()?;
    let enrolled = crate::materials::store::hub_box_get(&db, ppe_code)?.with_context(|| format!("ППЭ {ppe_code} не зарегистрирован на хабе: сначала `ppe hub enroll --ppe {ppe_code}`"))?;
    let ca_key = std::fs::read_to_string(&ctx.config.ca_key_file).with_context(|| format!("read CA key {}", ctx.config.ca_key_file.display()))?;
    let issued = crate::hub::pki::issue_box(&ca_key, ppe_code)?;
    // Files first: should the process stop before the table changes, the old certificate
    // still works and running the command again issues another.
    let keys = out.join("keys");
    crate::keys::write_secret(&keys.join("client.key"), issued.key_pem.as_bytes())?;
    let cert_path = keys.join("client.crt");
    crate::util::write_atomic(&cert_path, issued.cert_pem.as_bytes()).with_context(|| format!("write {}", cert_path.display()))?;
    let fingerprint = crate::hub::pki::cert_fingerprint(&issued.cert_der);
    let now = ctx.clock.now_rfc3339();
    let tx = db.transaction()?;
    let renewed = crate::materials::store::HubBox { cert_sha256: fingerprint.clone(), ..enrolled.clone() };
    crate::materials::store::hub_box_upsert(&tx, &renewed, &now)?;
    let details = serde_json::json!({"old_cert_sha256": enrolled.cert_sha256, "cert_sha256": fingerprint});
    crate::audit::store::append(&tx, &now, crate::audit::NewEntry { actor: "operator", action: "hub.box_cert_renew", object: ppe_code, details })?;
    tx.commit()?;
    Ok(cert_path)
}
