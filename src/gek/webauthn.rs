//! The ГЭК member's hardware security key (WebAuthn, `webauthn-rs`): the relying party from
//! `[gek]` of hub.toml, registration by РЦОИ on the dashboard (started by an operator for a
//! plan ГЭК member, finished by the member's touch in that browser; one-time, 5 minutes), and
//! the checks of an assertion made in a box's UI. Registration use cases are one transaction
//! with their audit entry; the stored passkey is the public part only (credential id, COSE
//! key, counter), kept as JSON in `gek_credential.public_key`.

use chrono::{DateTime, Utc};
use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
};
pub use webauthn_rs::Webauthn;

use super::ops::GekError;
use super::{store, CredentialKind, GekCredential};
use crate::config::HubGekConfig;
use crate::model::WorkerRole;
use crate::store::Connection;

/// How long a started registration waits for the member's touch.
pub const REGISTRATION_MINUTES: i64 = 5;

fn wa_err(e: impl std::fmt::Display) -> GekError {
    GekError::WebAuthn(e.to_string())
}

fn db_err(e: impl std::error::Error + Send + Sync + 'static) -> GekError {
    GekError::Store(e.into())
}

/// The relying party of `[gek]`: its id and every allowed origin (any port on localhost).
pub fn relying_party(cfg: &HubGekConfig) -> anyhow::Result<Webauthn> {
    let origins: Vec<Url> = cfg.rp_origins.iter().map(|o| Url::parse(o).map_err(|e| anyhow::anyhow!("[gek] rp_origins: {o}: {e}"))).collect::<anyhow::Result<_>>()?;
    let first = origins.first().ok_or_else(|| anyhow::anyhow!("[gek] rp_origins is empty"))?;
    let mut builder = webauthn_rs::WebauthnBuilder::new(&cfg.rp_id, first).map_err(|e| anyhow::anyhow!("[gek] rp_id {}: {e}", cfg.rp_id))?;
    for o in &origins[1..] {
        let inside = o.domain().is_some_and(|d| d == cfg.rp_id || d.ends_with(&format!(".{}", cfg.rp_id)));
        if !inside {
            anyhow::bail!("[gek] rp_origins: {o} is not on {} or under it", cfg.rp_id);
        }
        builder = builder.append_allowed_origin(o);
    }
    builder = builder.rp_name("РЦОИ: ключи членов ГЭК").allow_any_port(cfg.rp_id == "localhost");
    builder.build().map_err(|e| anyhow::anyhow!("[gek]: {e}"))
}

/// A stable WebAuthn user handle for a worker id (no personal data in it).
fn user_handle(worker_id: &str) -> Uuid {
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("ppe-gek-user-v1\n{worker_id}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest.as_ref()[..16]);
    Uuid::from_bytes(b)
}

fn random_hex() -> Result<String, GekError> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut bytes).map_err(|_| GekError::WebAuthn("random".into()))?;
    Ok(hex::encode(bytes))
}

/// An operator starts registering a plan ГЭК member's security key: the options for the
/// browser's `navigator.credentials.create` and the id to finish with.
pub fn registration_start(conn: &mut Connection, rp: &Webauthn, worker_id: &str, operator: &str, now: DateTime<Utc>) -> Result<(String, CreationChallengeResponse), GekError> {
    let plan = crate::plan::store::load_plan(conn).map_err(db_err)?;
    let worker = plan.workers.iter().find(|w| w.worker_id == worker_id && w.roles.contains(&WorkerRole::GekMember)).ok_or_else(|| GekError::NotAGekMember(worker_id.into()))?;
    if store::credential_active(conn, worker_id, CredentialKind::WebAuthn).map_err(db_err)?.is_some() {
        return Err(GekError::AlreadyEnrolled(worker_id.into()));
    }
    let display = format!("{} {} {}", worker.surname, worker.name, worker.patronymic).trim().to_string();
    let (options, state) = rp.start_passkey_registration(user_handle(worker_id), worker_id, &display, None).map_err(wa_err)?;
    let id = random_hex()?;
    let state = serde_json::to_string(&state).map_err(wa_err)?;
    store::registration_purge(conn, &crate::clock::rfc3339(now)).map_err(db_err)?;
    store::registration_insert(conn, &id, worker_id, &state, operator, &crate::clock::rfc3339(now + chrono::Duration::minutes(REGISTRATION_MINUTES))).map_err(db_err)?;
    Ok((id, options))
}

/// The member touched their key: the registration is used up (whatever the outcome), verified
/// by webauthn-rs and recorded as the member's security key with its audit entry, in one
/// transaction. Only the operator who started it may finish it; a key already registered for
/// someone is refused.
pub fn registration_finish(conn: &mut Connection, rp: &Webauthn, id: &str, credential: &RegisterPublicKeyCredential, operator: &str, now: DateTime<Utc>) -> Result<GekCredential, GekError> {
    let at = crate::clock::rfc3339(now);
    let tx = conn.transaction().map_err(db_err)?;
    let taken = store::registration_take(&tx, id).map_err(db_err)?;
    // The one-time registration is gone even if what follows refuses.
    tx.commit().map_err(db_err)?;
    let (worker_id, state, started_by, expires_at) = taken.ok_or(GekError::RegistrationExpired)?;
    if started_by != operator || crate::clock::parse_now(&expires_at).map(|e| now >= e).unwrap_or(true) {
        return Err(GekError::RegistrationExpired);
    }
    let state: PasskeyRegistration = serde_json::from_str(&state).map_err(wa_err)?;
    let passkey = rp.finish_passkey_registration(credential, &state).map_err(wa_err)?;
    let tx = conn.transaction().map_err(db_err)?;
    if store::credential_active(&tx, &worker_id, CredentialKind::WebAuthn).map_err(db_err)?.is_some() {
        return Err(GekError::AlreadyEnrolled(worker_id.as_str().into()));
    }
    for other in store::webauthn_active(&tx).map_err(db_err)? {
        if serde_json::from_str::<Passkey>(&other.public_key).map(|p| p.cred_id() == passkey.cred_id()).unwrap_or(false) {
            return Err(GekError::KeyTaken);
        }
    }
    let stored = GekCredential {
        worker_id: worker_id.clone(),
        kind: CredentialKind::WebAuthn,
        public_key: serde_json::to_string(&passkey).map_err(wa_err)?,
        enrolled_by: operator.into(),
        enrolled_at: at.clone(),
        revoked_at: None,
    };
    store::credential_insert(&tx, &stored).map_err(db_err)?;
    crate::audit::store::append(&tx, &at, crate::audit::NewEntry {
        actor: operator,
        action: "gek.enrolled",
        object: &worker_id,
        details: serde_json::json!({"kind": CredentialKind::WebAuthn.code(), "credential_id": passkey.cred_id()}),
    })
    .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(stored)
}

/// The options for the browser's `navigator.credentials.get` with the member's passkey and
/// the state to keep with the hub's one-time challenge (JSON).
pub fn authentication_start(rp: &Webauthn, credential: &GekCredential) -> Result<(RequestChallengeResponse, String), GekError> {
    let passkey: Passkey = serde_json::from_str(&credential.public_key).map_err(wa_err)?;
    let (options, state) = rp.start_passkey_authentication(&[passkey]).map_err(wa_err)?;
    Ok((options, serde_json::to_string(&state).map_err(wa_err)?))
}

/// An assertion (the browser's JSON) checked by webauthn-rs against the kept state: the
/// challenge, the origin, the signature by the member's key, user verification and the counter.
/// On success, the passkey to store if its counter moved on.
pub fn verify_assertion(rp: &Webauthn, credential: &GekCredential, state: &str, assertion: &str) -> Option<Option<String>> {
    if credential.kind != CredentialKind::WebAuthn {
        return None;
    }
    let state: PasskeyAuthentication = serde_json::from_str(state).ok()?;
    let assertion: PublicKeyCredential = serde_json::from_str(assertion).ok()?;
    let result: AuthenticationResult = rp.finish_passkey_authentication(&assertion, &state).inspect_err(|e| tracing::warn!("ГЭК security key assertion refused: {e}")).ok()?;
    if !result.user_verified() {
        return None;
    }
    let mut passkey: Passkey = serde_json::from_str(&credential.public_key).ok()?;
    Some(match passkey.update_credential(&result) {
        Some(true) => serde_json::to_string(&passkey).ok(),
        _ => None,
    })
}

/// A security key's credential id (base64url), for listings.
pub fn credential_id(credential: &GekCredential) -> Option<String> {
    let passkey: Passkey = serde_json::from_str(&credential.public_key).ok()?;
    serde_json::to_value(passkey.cred_id()).ok()?.as_str().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_takes_the_config_and_refuses_a_bad_one() {
        assert!(relying_party(&HubGekConfig::default()).is_ok());
        let cfg = HubGekConfig { rp_id: "rcoi.example".into(), rp_origins: vec!["https://ppe.rcoi.example".into(), "https://rcoi.example:8443".into()] };
        assert!(relying_party(&cfg).is_ok());
        assert!(relying_party(&HubGekConfig { rp_origins: vec![], ..cfg.clone() }).is_err(), "no origin");
        assert!(relying_party(&HubGekConfig { rp_origins: vec!["not a url".into()], ..cfg.clone() }).is_err());
        assert!(relying_party(&HubGekConfig { rp_origins: vec!["https://evil.example".into()], ..cfg }).is_err(), "origin outside the rp id");
    }

    #[test]
    fn user_handles_are_stable_per_worker_and_distinct() {
        assert_eq!(user_handle("G1"), user_handle("G1"));
        assert_ne!(user_handle("G1"), user_handle("G2"));
    }
}
