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

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(kind: CredentialKind, revoked: bool) -> GekCredential {
        GekCredential { worker_id: "G1".into(), kind, public_key: "k".into(), enrolled_by: "rcoi".into(), enrolled_at: "t".into(), revoked_at: revoked.then(|| "t2".into()) }
    }

    #[test]
    fn only_plan_gek_members_are_listed_and_one_with_an_active_security_key_gets_no_register_button() {
        let plan = crate::gek::tests::plan();
        let who = crate::monitoring::views::fixtures::session(crate::monitoring::accounts::OperatorRole::Operator);
        let revoked = [credential(CredentialKind::KeyFile, false), credential(CredentialKind::WebAuthn, true)];
        let html = askama::Template::render(&GekView::new(&who, &plan, &revoked, "n0nce".into())).unwrap();
        assert!(html.contains("data-worker=\"G1\"") && !html.contains("T1"), "{html}");
        assert!(html.contains("<td>действует</td><td>отозван</td>"), "{html}");
        assert!(html.contains("<script nonce=\"n0nce\">") && html.contains("navigator.credentials.create"), "the embedded script");
        let active = [credential(CredentialKind::WebAuthn, false)];
        let html = askama::Template::render(&GekView::new(&who, &plan, &active, "n".into())).unwrap();
        assert!(!html.contains("data-worker=\"G1\"") && html.contains("<td>нет</td><td>действует</td>"), "{html}");
    }
}
