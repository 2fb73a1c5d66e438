//! `/admin/gek`: the plan's ГЭК members, their credentials, and registering a security key.

use super::Frame;
use crate::gek::{CredentialKind, GekCredential};
use crate::model::{Plan, WorkerRole};
use crate::monitoring::accounts::Session;

#[derive(askama::Template)]
#[template(path = "hub/gek.html")]
pub struct GekView {
    pub frame: Frame,
    pub members: Vec<GekMemberLine>,
    pub csrf_json: String,
    pub nonce: String,
}

pub struct GekMemberLine {
    pub worker_id: String,
    pub name: String,
    pub key_file: &'static str,
    pub security_key: &'static str,
    /// No active security key yet: the operator may register one.
    pub may_register: bool,
}

fn state(credentials: &[GekCredential], worker: &str, kind: CredentialKind) -> (&'static str, bool) {
    let mine: Vec<_> = credentials.iter().filter(|c| c.worker_id == worker && c.kind == kind).collect();
    if mine.iter().any(|c| c.revoked_at.is_none()) {
        ("действует", true)
    } else if mine.is_empty() {
        ("нет", false)
    } else {
        ("отозван", false)
    }
}

impl GekView {
    pub fn new(who: &Session, plan: &Plan, credentials: &[GekCredential], nonce: String) -> Self {
        let members = plan
            .workers
            .iter()
            .filter(|w| w.roles.contains(&WorkerRole::GekMember))
            .map(|w| {
                let (key_file, _) = state(credentials, &w.worker_id, CredentialKind::KeyFile);
                let (security_key, active) = state(credentials, &w.worker_id, CredentialKind::WebAuthn);
                GekMemberLine {
                    worker_id: w.worker_id.clone(),
                    name: format!("{} {} {}", w.surname, w.name, w.patronymic).trim().to_string(),
                    key_file,
                    security_key,
                    may_register: !active,
                }
            })
            .collect();
        GekView {
            frame: Frame::new("Ключи членов ГЭК — РЦОИ", Some(who)),
            members,
            csrf_json: serde_json::to_string(&who.csrf_token).unwrap_or_default().replace('<', "\\u003c"),
            nonce,
        }
    }
}
