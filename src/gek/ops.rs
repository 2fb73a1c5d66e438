//! The hub's ГЭК credential use cases (РЦОИ only; nothing on a box can reach them): enrol a
//! member's key file, revoke a member's credentials, list them. Each change is one
//! transaction with its audit entry.

use std::path::PathBuf;

use super::keyfile::{self, KeyFileError};
use super::{store, CredentialKind, GekCredential};
use crate::context::HubContext;
use crate::model::{WorkerId, WorkerRole};

#[derive(Debug, thiserror::Error)]
pub enum GekError {
    #[error("работника {0} нет в плане РЦОИ с ролью члена ГЭК")]
    NotAGekMember(WorkerId),
    #[error("у члена ГЭК {0} уже есть действующий ключ: сначала `ppe hub gek revoke --worker {0}`")]
    AlreadyEnrolled(WorkerId),
    #[error("у члена ГЭК {0} нет действующих ключей")]
    NothingToRevoke(WorkerId),
    #[error("файл {path} уже существует: ключ не перезаписывается")]
    FileExists { path: String },
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    #[error("регистрация ключа безопасности не начата, устарела или начата другим оператором: начните заново")]
    RegistrationExpired,
    #[error("этот ключ безопасности уже зарегистрирован за другим членом ГЭК")]
    KeyTaken,
    #[error("ключ безопасности не принят: {0}")]
    WebAuthn(String),
    #[error("{0:#}")]
    Store(#[from] anyhow::Error),
}

fn db_err(e: impl std::error::Error + Send + Sync + 'static) -> GekError {
    GekError::Store(e.into())
}

/// Enrol a ГЭК member's key file.
#[derive(Debug, Clone)]
pub struct EnrollRequest {
    pub worker_id: WorkerId,
    pub pin: String,
    /// Where the sealed key file goes (handed to the member, e.g. on their token or stick).
    pub out: PathBuf,
    /// The РЦОИ operator enrolling, for the record.
    pub enrolled_by: String,
}

/// Makes the member's key, writes the sealed file (0600, atomically, never over an existing
/// file) and records the public key with its audit entry; the file is written inside the
/// transaction, so a credential is never recorded without its file.
pub fn enroll(ctx: &HubContext, request: &EnrollRequest) -> Result<GekCredential, GekError> {
    let worker = request.worker_id.as_str();
    let mut conn = ctx.db()?;
    let plan = crate::plan::store::load_plan(&conn).map_err(db_err)?;
    if !super::is_plan_worker_with_role(&plan, worker, WorkerRole::GekMember) {
        return Err(GekError::NotAGekMember(request.worker_id.clone()));
    }
    if store::credential_active(&conn, worker, CredentialKind::KeyFile).map_err(db_err)?.is_some() {
        return Err(GekError::AlreadyEnrolled(request.worker_id.clone()));
    }
    if request.out.exists() {
        return Err(GekError::FileExists { path: request.out.display().to_string() });
    }
    let file = keyfile::generate(worker, &request.pin)?;
    let at = ctx.clock.now_rfc3339();
    let credential = GekCredential {
        worker_id: worker.into(),
        kind: CredentialKind::KeyFile,
        public_key: file.public_key.clone(),
        enrolled_by: request.enrolled_by.clone(),
        enrolled_at: at.clone(),
        revoked_at: None,
    };
    let tx = conn.transaction().map_err(db_err)?;
    store::credential_insert(&tx, &credential).map_err(db_err)?;
    crate::audit::store::append(&tx, &at, crate::audit::NewEntry {
        actor: &request.enrolled_by,
        action: "gek.enrolled",
        object: worker,
        details: serde_json::json!({"kind": CredentialKind::KeyFile.code(), "public_key": file.public_key}),
    })
    .map_err(db_err)?;
    let bytes = serde_json::to_vec_pretty(&file).map_err(|e| GekError::Store(e.into()))?;
    crate::keys::write_secret(&request.out, &bytes).map_err(|e| GekError::Store(e.into()))?;
    tx.commit().map_err(db_err)?;
    Ok(credential)
}

/// Revokes every active credential of a member (a lost token, a member replaced).
pub fn revoke(ctx: &HubContext, worker_id: &WorkerId, by: &str) -> Result<usize, GekError> {
    let mut conn = ctx.db()?;
    let at = ctx.clock.now_rfc3339();
    let tx = conn.transaction().map_err(db_err)?;
    let n = store::credential_revoke(&tx, worker_id.as_str(), &at).map_err(db_err)?;
    if n == 0 {
        return Err(GekError::NothingToRevoke(worker_id.clone()));
    }
    crate::audit::store::append(&tx, &at, crate::audit::NewEntry { actor: by, action: "gek.revoked", object: worker_id.as_str(), details: serde_json::json!({"credentials": n}) })
        .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(n)
}

pub fn list(ctx: &HubContext) -> Result<Vec<GekCredential>, GekError> {
    store::credential_list(&*ctx.db()?).map_err(db_err)
}
