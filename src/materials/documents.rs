//! The box's documents package (issue 18 item 6; ИС-9: instructions, expert protocols,
//! statements): pulled and verified like the КИМ package (`pull::pull` under the scope
//! `EXAM~documents`, every file hashed against the signed manifest), then its key asked for
//! with the box's own signed request — no ГЭК member: the hub releases it from the documents'
//! own moment until the exam's end, by its clock (`release::decide_key_release`) — checked
//! against every file, kept in tmpfs and recorded in one transaction with its audit entry, as
//! an activation by the login that pulled. Its files then open for printing like КИМ
//! (`open_decrypted`).

use serde::Serialize;

use super::pull::{PullError, PullOptions, PullReport};
use super::store as mstore;
use super::{PackageKind, SignedManifest};
use crate::context::EdgeContext;
use crate::hub_client::HubClient;
use crate::model::ExamId;

/// One file of the documents package as the box holds it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DocumentFile {
    pub name: String,
    pub role: String,
    pub plain_len: u64,
}

/// What a documents pull did; printed as JSON by the CLI.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DocumentsReport {
    pub exam_id: String,
    /// The package's scope (`EXAM~documents`).
    pub scope: String,
    pub pull: PullReport,
    /// The key was asked for and kept in this run (false: already held).
    pub key_received: bool,
    pub files: Vec<DocumentFile>,
}

fn files_of(signed: &SignedManifest) -> Vec<DocumentFile> {
    signed.manifest.files.iter().map(|f| DocumentFile { name: f.name.clone(), role: f.role.clone(), plain_len: f.plain_len }).collect()
}

/// Pulls the exam's documents package and obtains its key (refused by the hub before the
/// documents' moment, with its reason).
pub async fn pull_documents(ctx: &EdgeContext, exam_id: &ExamId, actor: &str) -> Result<DocumentsReport, PullError> {
    let scope = PackageKind::Documents.scope(exam_id);
    let opts = PullOptions { actor: actor.into(), ..Default::default() };
    let pull = super::pull::pull(ctx, &scope, &opts).await?;
    let signed = super::activation::staged_manifest(ctx, &scope)?;
    if signed.manifest.kind != PackageKind::Documents {
        return Err(super::MaterialsError::Malformed(format!("по адресу {scope} не пакет документов")).into());
    }
    let held = mstore::key_get(&*ctx.db()?, &scope).map_err(|e| PullError::Other(e.into()))?.is_some_and(|p| p == signed.manifest.package_id)
        && super::pull::key_file(ctx, &scope)?.is_file();
    if !held {
        let client = HubClient::from_context(ctx).map_err(anyhow::Error::from)?;
        let box_key = crate::keys::load_ed25519(&ctx.config.keys.signing_key_file).map_err(|e| PullError::Other(e.into()))?;
        let pending = super::wrap::key_request(&box_key, &scope, &ctx.config.ppe_code, &ctx.clock.now_rfc3339())?;
        super::activation::release_and_keep(ctx, &client, &signed, pending, "", actor, actor).await?;
    }
    Ok(DocumentsReport { exam_id: exam_id.to_string(), scope, pull, key_received: !held, files: files_of(&signed) })
}

/// The files of the exam's documents package the box holds with its key; empty when none.
pub fn documents(ctx: &EdgeContext, exam_id: &ExamId) -> anyhow::Result<Vec<DocumentFile>> {
    let scope = PackageKind::Documents.scope(exam_id);
    let db = ctx.db()?;
    let (Some((_, json)), Some(package_id)) = (mstore::manifest_get(&db, &scope)?, mstore::key_get(&db, &scope)?) else { return Ok(Vec::new()) };
    let signed: SignedManifest = serde_json::from_str(&json)?;
    if signed.manifest.package_id != package_id {
        return Ok(Vec::new());
    }
    Ok(files_of(&signed))
}

/// One document decrypted into memory for printing (every byte authenticated; audited).
pub fn open_document(ctx: &EdgeContext, exam_id: &ExamId, name: &str) -> anyhow::Result<crate::util::plaintext::Plaintext> {
    super::open_decrypted(ctx, &PackageKind::Documents.scope(exam_id), name)
}
