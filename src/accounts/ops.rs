//! The account use cases of the box: a local account created by a person or the system (one
//! transaction with its audit entry), and the first start: arming the one-time setup code and
//! spending it on the first account. Passwords are read by the callers (a file, standard
//! input, a form); never from the command line.

use chrono::{DateTime, Utc};

use super::setup_code::{self, CodeSource, SetupCode};
use super::{hash_password, setup_code_store, store, store_err, Account, AccountError};
use crate::model::{WorkerId, WorkerRole};
use crate::store::{Connection, Transaction};

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
    insert_audited(&tx, &account, actor, at)?;
    tx.commit().map_err(store_err)?;
    Ok(account)
}

/// The account and its `account.create` entry, inside the caller's transaction.
fn insert_audited(tx: &Transaction<'_>, account: &Account, actor: &str, at: &str) -> Result<(), AccountError> {
    store::account_create(tx, account, at).map_err(store_err)?;
    crate::audit::store::append(tx, at, crate::audit::NewEntry {
        actor,
        action: "account.create",
        object: &account.login,
        details: serde_json::json!({"worker_id": account.worker_id, "role": account.role.code()}),
    })
    .map_err(store_err)?;
    Ok(())
}

/// Arms the first start while no account exists: keeps the SHA-256 of the one-time code (with
/// its audit entry). `edge serve` arms at every start until the first account is made; arming
/// again clears the failed attempts (only someone at the box can restart the service). Returns
/// false, arming nothing, once an account exists.
pub fn arm_first_start(conn: &mut Connection, code: &SetupCode, source: CodeSource, at: &str) -> Result<bool, AccountError> {
    let tx = conn.transaction().map_err(store_err)?;
    if store::account_count(&tx).map_err(store_err)? > 0 {
        return Ok(false);
    }
    setup_code_store::setup_code_arm(&tx, &code.sha256(), source.code(), at).map_err(store_err)?;
    let details = serde_json::json!({"source": source.code()});
    crate::audit::store::append(&tx, at, crate::audit::NewEntry { actor: "system", action: "ui.setup_code_armed", object: "setup", details }).map_err(store_err)?;
    tx.commit().map_err(store_err)?;
    Ok(true)
}

/// The first start's form: the one-time code and the first account (the technical specialist).
#[derive(Debug, Clone, Copy)]
pub struct FirstStartRequest<'a> {
    /// As the person typed it.
    pub setup_code: &'a str,
    pub login: &'a str,
    pub password: &'a str,
    pub now: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum FirstStartError {
    #[error("первый запуск уже выполнен: войдите под своей учётной записью")]
    AlreadyDone,
    #[error("код первого запуска не выдан: перезапустите службу ppe-edge на станции и возьмите код из её журнала (journalctl -u ppe-edge)")]
    NotArmed,
    #[error("слишком много неверных кодов: первый запуск закрыт до {0} (или перезапустите службу ppe-edge на станции)")]
    Locked(String),
    #[error("неверный код первого запуска (осталось попыток: {left})")]
    WrongCode { left: u32 },
    #[error(transparent)]
    Account(#[from] AccountError),
}

/// Makes the first account, the technical specialist, against the one-time setup code, in one
/// immediate transaction: no account yet, the code armed and not locked, the code right; then
/// the account is inserted, the code spent and both audited. A wrong code is counted (and
/// audited) and locks the first start after [`setup_code::MAX_SETUP_ATTEMPTS`]; two posts at
/// once run one after the other, so exactly one of them makes an account.
pub fn claim_first_start(conn: &mut Connection, request: &FirstStartRequest<'_>) -> Result<Account, FirstStartError> {
    let at = request.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let tx = conn.transaction().map_err(store_err)?;
    if store::account_count(&tx).map_err(store_err)? > 0 {
        return Err(FirstStartError::AlreadyDone);
    }
    let armed = setup_code_store::setup_code_get(&tx).map_err(store_err)?.ok_or(FirstStartError::NotArmed)?;
    if let Some(until) = armed.locked_until.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
        if request.now < until {
            return Err(FirstStartError::Locked(until.to_rfc3339()));
        }
    }
    if !setup_code::matches(request.setup_code, &armed.code_sha256) {
        let failed = armed.failed_attempts + 1;
        let lock = (failed >= setup_code::MAX_SETUP_ATTEMPTS).then(|| (request.now + chrono::Duration::minutes(setup_code::SETUP_LOCK_MINUTES)).to_rfc3339());
        setup_code_store::setup_code_record_failure(&tx, lock.as_deref()).map_err(store_err)?;
        let details = serde_json::json!({"failed_attempts": failed, "locked": lock.is_some()});
        crate::audit::store::append(&tx, &at, crate::audit::NewEntry { actor: "anonymous", action: "ui.setup_refused", object: "setup", details }).map_err(store_err)?;
        tx.commit().map_err(store_err)?;
        return Err(match lock {
            Some(until) => FirstStartError::Locked(until),
            None => FirstStartError::WrongCode { left: setup_code::MAX_SETUP_ATTEMPTS - failed },
        });
    }
    if request.password.chars().count() < 8 {
        return Err(AccountError::WeakPassword.into());
    }
    // The first account is the box's administrator, before any plan (and its workers) is here.
    let account = Account { login: request.login.into(), worker_id: "admin".into(), role: WorkerRole::TechSpecialist, password_hash: hash_password(request.password)? };
    insert_audited(&tx, &account, "system", &at)?;
    setup_code_store::setup_code_spend(&tx).map_err(store_err)?;
    let details = serde_json::json!({"source": armed.source});
    crate::audit::store::append(&tx, &at, crate::audit::NewEntry { actor: request.login, action: "ui.setup", object: request.login, details }).map_err(store_err)?;
    tx.commit().map_err(store_err)?;
    Ok(account)
}
