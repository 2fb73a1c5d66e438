//! The box's materials commands as use cases (the pull client itself is `pull.rs`): pre-stage
//! ciphertext, pull the package and its key now, and a ГЭК member's activation of the key
//! (two-person rule: the one who pulled is not the one who activates).

use std::path::PathBuf;

use super::pull::{PullError, PullOptions, PullReport, Source};
use crate::context::EdgeContext;
use crate::model::ExamId;

/// Fetch an exam's package now instead of waiting for the window.
#[derive(Debug, Clone)]
pub struct PullRequest {
    pub exam_id: ExamId,
    /// Removable media with manifest.json and *.enc; `None` is the network.
    pub from: Option<PathBuf>,
    /// Ask the hub for the package key too (pull); without it only ciphertext (prestage).
    pub with_key: bool,
    /// The technical specialist's login, for the audit log.
    pub actor: String,
}

/// Pulls (or pre-stages) the package: every file verified against the signed manifest.
pub async fn pull(ctx: &EdgeContext, request: &PullRequest) -> Result<PullReport, PullError> {
    let source = match &request.from {
        Some(dir) => Source::Media(dir.clone()),
        None => Source::Network,
    };
    let opts = PullOptions { source, with_key: request.with_key, actor: request.actor.clone(), ..Default::default() };
    super::pull::pull(ctx, &request.exam_id, &opts).await
}

/// A ГЭК member activates the package key of an exam with their own credential.
#[derive(Debug, Clone)]
pub struct ActivateRequest {
    pub exam_id: ExamId,
    pub gek_login: String,
    pub password: String,
    /// Who pulled the package; `None` takes the last pull of this exam in the audit log.
    pub pulled_by: Option<String>,
}

/// Activates the key (see `pull::activate`); the activation is audited there.
pub fn activate(ctx: &EdgeContext, request: &ActivateRequest) -> anyhow::Result<()> {
    let pulled_by = match &request.pulled_by {
        Some(login) => login.clone(),
        None => last_puller(ctx, &request.exam_id)?,
    };
    super::pull::activate(ctx, &request.exam_id, &request.gek_login, &request.password, &pulled_by)
}

/// The actor of the last pull of an exam in the audit log (`scheduler` when none is found).
fn last_puller(ctx: &EdgeContext, exam_id: &ExamId) -> anyhow::Result<String> {
    let conn = ctx.db()?;
    Ok(crate::audit::store::list(&conn, Some("materials.pulled"), 1000)?
        .into_iter()
        .rev()
        .find(|e| e.object == exam_id.as_str())
        .map(|e| e.actor)
        .unwrap_or_else(|| "scheduler".into()))
}
