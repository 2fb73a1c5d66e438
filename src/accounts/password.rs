//! Password hashes of both UIs (box accounts and РЦОИ operators): argon2id with the OWASP
//! parameters for every new hash; an old `pbkdf2-sha256$…` hash still verifies and asks to be
//! rehashed (the callers do it in the login's transaction). An unknown login is checked
//! against a dummy hash of the same cost, so the answer takes as long as for a real one. At
//! most [`MAX_CONCURRENT_HASHES`] hashes run at once: each holds 19 MiB, and a flood of login
//! posts must not exhaust the box's memory.

use std::num::NonZeroU32;
use std::sync::{Condvar, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use ring::rand::SecureRandom;

/// OWASP (Password Storage Cheat Sheet): argon2id, 19 MiB, 2 passes, 1 lane (≈ 30 ms here).
pub const ARGON2_M_COST_KIB: u32 = 19 * 1024;
pub const ARGON2_T_COST: u32 = 2;
pub const ARGON2_P_COST: u32 = 1;
/// Hashes computed at the same time, the rest wait their turn.
pub const MAX_CONCURRENT_HASHES: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("генератор случайных чисел недоступен")]
    Random,
    #[error("хеш пароля: {0}")]
    Hash(String),
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The password was right but the stored hash is older or weaker than today's: store
    /// [`hash_password`] of it instead.
    pub needs_rehash: bool,
}

fn argon2() -> Argon2<'static> {
    // The constants are valid parameters (a unit test builds them).
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A new argon2id hash (PHC string `$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH`).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut salt).map_err(|_| PasswordError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let _slot = HashSlot::take();
    argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Checks a password against a stored hash (argon2id, or a legacy PBKDF2 one). A malformed
/// hash never verifies.
pub fn verify_password(password: &str, stored: &str) -> Verified {
    let _slot = HashSlot::take();
    if stored.starts_with("pbkdf2-sha256$") {
        return Verified { ok: verify_pbkdf2(password, stored), needs_rehash: true };
    }
    let Ok(hash) = PasswordHash::new(stored) else { return Verified { ok: false, needs_rehash: false } };
    if hash.algorithm != argon2::ARGON2ID_IDENT {
        return Verified { ok: false, needs_rehash: false };
    }
    let ok = argon2().verify_password(password.as_bytes(), &hash).is_ok();
    let current = Params::try_from(&hash).is_ok_and(|p| p.m_cost() == ARGON2_M_COST_KIB && p.t_cost() == ARGON2_T_COST && p.p_cost() == ARGON2_P_COST);
    Verified { ok, needs_rehash: ok && !current }
}

/// Spends the time of a real check for a login that does not exist (always false): one
/// argon2id of the same cost, from the first try on (nothing computed lazily).
pub fn verify_unknown_login(password: &str) -> bool {
    let _slot = HashSlot::take();
    let mut out = [0u8; 32];
    let _ = argon2().hash_password_into(password.as_bytes(), b"no such login: dummy salt", &mut out);
    false
}

/// `pbkdf2-sha256$ITER$SALT_HEX$HASH_HEX`, the format before argon2id: verified, never made.
fn verify_pbkdf2(password: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let [_, iters, salt, hash] = parts.as_slice() else { return false };
    let (Ok(iters), Ok(salt), Ok(hash)) = (iters.parse::<u32>(), hex::decode(salt), hex::decode(hash)) else { return false };
    let Some(iters) = NonZeroU32::new(iters) else { return false };
    ring::pbkdf2::verify(ring::pbkdf2::PBKDF2_HMAC_SHA256, iters, &salt, password.as_bytes(), &hash).is_ok()
}

/// One of the [`MAX_CONCURRENT_HASHES`] slots, given back when dropped.
struct HashSlot;

static SLOTS: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

impl HashSlot {
    fn take() -> HashSlot {
        let (lock, freed) = &SLOTS;
        let mut busy = lock.lock().unwrap_or_else(|e| e.into_inner());
        while *busy >= MAX_CONCURRENT_HASHES {
            busy = freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy += 1;
        HashSlot
    }
}

impl Drop for HashSlot {
    fn drop(&mut self) {
        let (lock, freed) = &SLOTS;
        let mut busy = lock.lock().unwrap_or_else(|e| e.into_inner());
        *busy = busy.saturating_sub(1);
        freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pbkdf2(password: &str, iterations: u32) -> String {
        let (salt, mut out) = (b"0123456789abcdef", [0u8; 32]);
        ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, NonZeroU32::new(iterations).unwrap(), salt, password.as_bytes(), &mut out);
        format!("pbkdf2-sha256${iterations}${}${}", hex::encode(salt), hex::encode(out))
    }

    #[test]
    fn new_hashes_are_argon2id_with_the_owasp_parameters() {
        assert!(Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None).is_ok());
        let h = hash_password("секретный-пароль").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_eq!(verify_password("секретный-пароль", &h), Verified { ok: true, needs_rehash: false });
        assert_eq!(verify_password("секретный-парол", &h), Verified { ok: false, needs_rehash: false });
        assert_ne!(hash_password("секретный-пароль").unwrap(), h, "a fresh salt each time");
    }

    #[test]
    fn an_old_pbkdf2_hash_verifies_and_asks_for_a_rehash() {
        let old = pbkdf2("старый-пароль", 150_000);
        assert_eq!(verify_password("старый-пароль", &old), Verified { ok: true, needs_rehash: true });
        assert!(!verify_password("другой-пароль", &old).ok);
        // A weaker argon2id (older parameters) verifies and asks for today's.
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 1, 1, None).unwrap())
            .hash_password(b"pw", &SaltString::encode_b64(b"0123456789abcdef").unwrap())
            .unwrap()
            .to_string();
        assert_eq!(verify_password("pw", &weak), Verified { ok: true, needs_rehash: true });
    }

    #[test]
    fn malformed_or_foreign_hashes_never_verify() {
        for stored in ["", "garbage", "pbkdf2-sha256$0$00$00", "pbkdf2-sha256$x$zz$00", "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "$2b$12$abcdefghijklmnopqrstuv"] {
            assert!(!verify_password("x", stored).ok, "{stored}");
        }
        assert!(!verify_unknown_login("x"));
    }
}
