//! Local accounts of the box (technical specialist, head, member of ГЭК, organizer) with
//! argon2id password hashes (`password`; an old PBKDF2 hash is rehashed at the next login).
//! Repeated failures are counted here but lock nobody out: the login throttle of the web kit
//! (`crate::http::throttle`) slows down one (login, address) at a time, so a stranger's
//! guesses cannot keep the ГЭК member from logging in from their own device.

pub mod cli;
pub mod ops;
pub mod password;
pub mod setup_code;
pub mod setup_code_store;
pub mod store;

use chrono::{DateTime, Utc};

use crate::model::WorkerRole;
use crate::store::Connection;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub login: String,
    /// The worker of the plan this account belongs to (ids in logs, never names).
    pub worker_id: String,
    pub role: WorkerRole,
    pub password_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Unknown login and wrong password read the same, so logins cannot be probed.
    #[error("неверный логин или пароль")]
    WrongPassword,
    #[error("пароль должен быть не короче 8 символов")]
    WeakPassword,
    #[error("работника {worker} нет в плане ППЭ с ролью «{role}»")]
    NotAPlanWorker { worker: String, role: &'static str },
    #[error("база данных: {0}")]
    Store(String),
}

fn store_err(e: impl std::fmt::Display) -> AccountError {
    AccountError::Store(e.to_string())
}

/// A new argon2id hash of a password (see [`password`]).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    password::hash_password(password).map_err(store_err)
}

/// Creates an account on behalf of the system (first start, tests, the demo); see
/// [`ops::create`] for the use case with its actor.
pub fn create_account(conn: &mut Connection, login: &str, worker_id: &str, role: WorkerRole, password: &str, now: &str) -> Result<Account, AccountError> {
    ops::create(conn, &ops::CreateAccountRequest { login, worker_id: &worker_id.into(), role, password, at: now, actor: "system" })
}

/// Checks a login and password. An unknown login costs the time of a real check; a right
/// password over an old or weaker hash is rehashed to today's argon2id, and every outcome is
/// counted and audited, in one transaction (the same work whether the login exists or not).
pub fn authenticate(conn: &Connection, login: &str, password: &str, now: DateTime<Utc>) -> Result<Account, AccountError> {
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let found = store::account_get(conn, login).map_err(store_err)?;
    let verified = match &found {
        Some((account, _, _)) => password::verify_password(password, &account.password_hash),
        None => password::Verified { ok: password::verify_unknown_login(password), needs_rehash: false },
    };
    let tx = conn.unchecked_transaction().map_err(store_err)?;
    let audit = |actor: &str, action: &str, details: serde_json::Value| crate::audit::store::append(&tx, &at, crate::audit::NewEntry { actor, action, object: login, details }).map_err(store_err);
    let Some((account, failed, _)) = found.filter(|_| verified.ok) else {
        // Whoever typed it is not the account's owner: the actor is nobody ("-"), the login
        // (an id, never a name) the object; the password is never logged.
        store::account_record_attempt(&tx, login, false, None).map_err(store_err)?;
        audit("-", "account.login_failed", serde_json::json!({"reason": "bad_credentials"}))?;
        tx.commit().map_err(store_err)?;
        return Err(AccountError::WrongPassword);
    };
    store::account_record_attempt(&tx, login, true, None).map_err(store_err)?;
    let mut account = account;
    if verified.needs_rehash {
        account.password_hash = hash_password(password)?;
        store::account_set_password_hash(&tx, login, &account.password_hash).map_err(store_err)?;
        audit(login, "account.password_rehash", serde_json::json!({"scheme": "argon2id", "failed_before": failed}))?;
    }
    tx.commit().map_err(store_err)?;
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pbkdf2(password: &str) -> String {
        let (salt, mut out) = (b"0123456789abcdef", [0u8; 32]);
        ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, std::num::NonZeroU32::new(150_000).unwrap(), salt, password.as_bytes(), &mut out);
        format!("pbkdf2-sha256$150000${}${}", hex::encode(salt), hex::encode(out))
    }

    #[test]
    fn failures_lock_nobody_out_and_an_old_hash_is_rehashed_at_login() {
        let mut conn = crate::store::open_in_memory().unwrap();
        create_account(&mut conn, "gek1", "w1", WorkerRole::GekMember, "длинный-пароль", "2027-01-01T00:00:00Z").unwrap();
        let now = Utc::now();
        for _ in 0..20 {
            assert!(matches!(authenticate(&conn, "gek1", "wrong", now), Err(AccountError::WrongPassword)));
        }
        assert!(matches!(authenticate(&conn, "nobody", "wrong", now), Err(AccountError::WrongPassword)), "unknown reads as wrong");
        assert!(authenticate(&conn, "gek1", "длинный-пароль", now).is_ok(), "the throttle of the web kit slows guessers, the account stays open");
        // An account of the PBKDF2 days.
        let tx = conn.transaction().unwrap();
        store::account_create(&tx, &Account { login: "old".into(), worker_id: "w2".into(), role: WorkerRole::Head, password_hash: pbkdf2("старый-пароль") }, "t").unwrap();
        tx.commit().unwrap();
        assert!(authenticate(&conn, "old", "не-тот", now).is_err());
        assert!(store::account_get(&conn, "old").unwrap().unwrap().0.password_hash.starts_with("pbkdf2-sha256$"), "no rehash on a failure");
        assert!(authenticate(&conn, "old", "старый-пароль", now).is_ok());
        let hash = store::account_get(&conn, "old").unwrap().unwrap().0.password_hash;
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(authenticate(&conn, "old", "старый-пароль", now).is_ok(), "the new hash verifies");
        let actions: Vec<String> = crate::audit::store::all(&conn).unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions.iter().filter(|a| *a == "account.password_rehash").count(), 1);
        assert!(actions.contains(&"account.login_failed".to_string()));
    }
}
