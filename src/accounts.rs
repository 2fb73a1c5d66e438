//! Local accounts of the box (technical specialist, head, member of ГЭК, organizer) with
//! slow password hashes and lockout. Used by materials activation now and the web UI later.

pub mod cli;
pub mod ops;
pub mod setup_code;
pub mod setup_code_store;
pub mod store;

use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use ring::rand::SecureRandom;

use crate::model::WorkerRole;
use crate::store::Connection;

/// PBKDF2-HMAC-SHA256 iterations: slow enough to make guessing a stolen table expensive,
/// fast enough (≈0.1 s) for a login on a small box.
pub const PBKDF2_ITERATIONS: u32 = 150_000;
/// Failed attempts before the account is locked for [`LOCKOUT_MINUTES`].
pub const MAX_FAILED_ATTEMPTS: u32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

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
    #[error("учётная запись {0} не найдена")]
    Unknown(String),
    #[error("неверный пароль")]
    WrongPassword,
    #[error("учётная запись заблокирована до {0} после неудачных попыток входа")]
    Locked(String),
    #[error("пароль должен быть не короче 8 символов")]
    WeakPassword,
    #[error("база данных: {0}")]
    Store(String),
}

fn store_err(e: impl std::fmt::Display) -> AccountError {
    AccountError::Store(e.to_string())
}

/// `pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX`.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut salt).map_err(|_| store_err("random"))?;
    Ok(hash_with(password, &salt, PBKDF2_ITERATIONS))
}

fn hash_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let mut out = [0u8; 32];
    let iters = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, iters, salt, password.as_bytes(), &mut out);
    format!("pbkdf2-sha256${iterations}${}${}", hex::encode(salt), hex::encode(out))
}

/// Constant-time check of a password against a stored hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [scheme, iters, salt, hash] = parts.as_slice() else { return false };
    let (Ok(iters), Ok(salt), Ok(hash)) = (iters.parse::<u32>(), hex::decode(salt), hex::decode(hash)) else { return false };
    if *scheme != "pbkdf2-sha256" || iters == 0 {
        return false;
    }
    let Some(iters) = NonZeroU32::new(iters) else { return false };
    ring::pbkdf2::verify(ring::pbkdf2::PBKDF2_HMAC_SHA256, iters, &salt, password.as_bytes(), &hash).is_ok()
}

/// Creates an account on behalf of the system (first start, tests, the demo); see
/// [`ops::create`] for the use case with its actor.
pub fn create_account(conn: &mut Connection, login: &str, worker_id: &str, role: WorkerRole, password: &str, now: &str) -> Result<Account, AccountError> {
    ops::create(conn, &ops::CreateAccountRequest { login, worker_id: &worker_id.into(), role, password, at: now, actor: "system" })
}

/// Checks a login and password, counting failures and locking after too many.
pub fn authenticate(conn: &Connection, login: &str, password: &str, now: DateTime<Utc>) -> Result<Account, AccountError> {
    let (account, failed, locked_until) = store::account_get(conn, login).map_err(store_err)?.ok_or_else(|| AccountError::Unknown(login.into()))?;
    if let Some(until) = locked_until.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()) {
        if now < until {
            return Err(AccountError::Locked(until.to_rfc3339()));
        }
    }
    if verify_password(password, &account.password_hash) {
        store::account_record_attempt(conn, login, true, None).map_err(store_err)?;
        Ok(account)
    } else {
        let lock = (failed + 1 >= MAX_FAILED_ATTEMPTS).then(|| (now + chrono::Duration::minutes(LOCKOUT_MINUTES)).to_rfc3339());
        store::account_record_attempt(conn, login, false, lock.as_deref()).map_err(store_err)?;
        Err(AccountError::WrongPassword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_round_trip_and_lockout() {
        let h = hash_with("секретный-пароль", b"salt", 1000);
        assert!(verify_password("секретный-пароль", &h));
        assert!(!verify_password("секретный-парол", &h));
        assert!(!verify_password("x", "garbage"));
        let mut conn = crate::store::open_in_memory().unwrap();
        create_account(&mut conn, "gek1", "w1", WorkerRole::GekMember, "длинный-пароль", "2027-01-01T00:00:00Z").unwrap();
        let now = Utc::now();
        assert!(authenticate(&conn, "gek1", "длинный-пароль", now).is_ok());
        for _ in 0..MAX_FAILED_ATTEMPTS {
            assert!(matches!(authenticate(&conn, "gek1", "wrong", now), Err(AccountError::WrongPassword)));
        }
        assert!(matches!(authenticate(&conn, "gek1", "длинный-пароль", now), Err(AccountError::Locked(_))));
    }
}
