//! The account use cases of the box: a local account created by a person or the system (one
//! transaction with its audit entry). Passwords are read by the callers (a file, standard
//! input, a form); never from the command line.

use super::{hash_password, store, store_err, Account, AccountError};
use crate::model::{WorkerId, WorkerRole};
use crate::store::Connection;

/// A new local account for a worker of the plan.
#[derive(Debug, Clone, Copy)]
pub struct CreateAccountRequest<'a> {
    pub login: &'a str,
    pub worker_id: &'a WorkerId,
    pub role: WorkerRole,
    pub password: &'a str,
    /// RFC 3339 instant (the store's and the audit entry's time).
    pub at: &'a str,
    /// Who creates it (`system` at first start, a logged-in login in the UI).
    pub actor: &'a str,
}

/// Creates the account (refused under 8 characters of password, or for a worker the plan does
/// not give that role) and audits it.
pub fn create(conn: &mut Connection, request: &CreateAccountRequest<'_>) -> Result<Account, AccountError> {
    let CreateAccountRequest { login, worker_id, role, password, at, actor } = *request;
    if password.chars().count() < 8 {
        return Err(AccountError::WeakPassword);
    }
    // An account a person creates (UI, `edge account`) is for a worker the plan gives that
    // role: the specialist cannot make a ГЭК account for anyone they like. (The system's own
    // first-start account comes before any plan.)
    if actor != "system" {
        let plan = crate::plan::store::load_plan(conn).map_err(store_err)?;
        if !crate::gek::is_plan_worker_with_role(&plan, worker_id.as_str(), role) {
            return Err(AccountError::NotAPlanWorker { worker: worker_id.to_string(), role: role.title_ru() });
        }
    }
    let account = Account { login: login.into(), worker_id: worker_id.to_string(), role, password_hash: hash_password(password)? };
    let tx = conn.transaction().map_err(store_err)?;
    store::account_create(&tx, &account, at).map_err(store_err)?;
    crate::audit::store::append(&tx, at, crate::audit::NewEntry {
        actor,
        action: "account.create",
        object: login,
        details: serde_json::json!({"worker_id": worker_id, "role": role.code()}),
    })
    .map_err(store_err)?;
    tx.commit().map_err(store_err)?;
    Ok(account)
}
