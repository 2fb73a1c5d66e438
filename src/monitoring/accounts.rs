//! РЦОИ operator accounts: roles (viewer, operator, admin), argon2id password hashes shared
//! with the box's accounts (`crate::accounts::password`, an old PBKDF2 hash rehashed at login),
//! failures counted and audited (the web kit's throttle slows guessing per login and address;
//! nobody is locked out for everyone), and the sessions the web kit makes, of which the database keeps only the token's SHA-256 (a stolen table opens no
//! session).

use chrono::{DateTime, Utc};

use super::accounts_store as store;
use crate::accounts::password::{hash_password, verify_password, verify_unknown_login, Verified};
use crate::store::Connection;

/// A session lasts one working day; the operator logs in again the next morning.
pub const SESSION_HOURS: i64 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OperatorRole {
    /// Sees the dashboard.
    Viewer,
    /// Also writes notes on an exam point's timeline.
    Operator,
    /// Also manages operator accounts.
    Admin,
}

impl OperatorRole {
    pub fn code(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Self::Viewer),
            "operator" => Some(Self::Operator),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Viewer => "наблюдатель",
            Self::Operator => "оператор",
            Self::Admin => "администратор",
        }
    }

    /// Roles are ordered: an admin may do what an operator may, and so on.
    pub fn allows(self, needed: OperatorRole) -> bool {
        self >= needed
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub login: String,
    pub role: OperatorRole,
    pub password_hash: String,
}

/// A logged-in operator, as found by the session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub login: String,
    pub role: OperatorRole,
    /// Every state-changing form carries it.
    pub csrf_token: String,
    pub expires_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// Unknown login and wrong password read the same, so logins cannot be probed.
    #[error("неверный логин или пароль")]
    BadCredentials,
    #[error("пароль должен быть не короче 8 символов")]
    WeakPassword,
    #[error("логин должен состоять из латинских букв, цифр, '.', '-' или '_' (до 64 символов)")]
    BadLogin,
    #[error("учётная запись {0} уже существует")]
    Exists(String),
    #[error("база данных: {0}")]
    Store(String),
}

fn store_err(e: impl std::fmt::Display) -> OperatorError {
    OperatorError::Store(e.to_string())
}

pub fn is_valid_login(login: &str) -> bool {
    !login.is_empty() && login.len() <= 64 && login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn rfc(t: DateTime<Utc>) -> String {
    super::time_text(t)
}

/// Creates an operator; `actor` is who did it (`cli` or an admin's login) for the audit log.
pub fn create_operator(conn: &mut Connection, login: &str, role: OperatorRole, password: &str, now: &str, actor: &str) -> Result<Operator, OperatorError> {
    if !is_valid_login(login) {
        return Err(OperatorError::BadLogin);
    }
    if password.chars().count() < 8 {
        return Err(OperatorError::WeakPassword);
    }
    if store::operator_get(conn, login).map_err(store_err)?.is_some() {
        return Err(OperatorError::Exists(login.into()));
    }
    let hash = hash_password(password).map_err(store_err)?;
    let op = Operator { login: login.into(), role, password_hash: hash };
    let tx = conn.transaction().map_err(store_err)?;
    store::operator_create(&tx, &op, now).map_err(store_err)?;
    crate::audit::store::append(&tx, now, crate::audit::NewEntry {
        actor,
        action: "monitoring.operator_create",
        object: login,
        details: serde_json::json!({"role": role.code()}),
    })
    .map_err(store_err)?;
    tx.commit().map_err(store_err)?;
    Ok(op)
}

/// Checks a login and password: an unknown login costs the time of a real check and is
/// audited as well (the same work either way); a right password over an old or weaker hash is
/// rehashed to today's argon2id in the login's transaction.
pub fn authenticate(conn: &mut Connection, login: &str, password: &str, now: DateTime<Utc>) -> Result<Operator, OperatorError> {
    let now_text = rfc(now);
    let found = store::operator_get(conn, login).map_err(store_err)?;
    let verified = match &found {
        Some((op, _, _)) => verify_password(password, &op.password_hash),
        None => Verified { ok: verify_unknown_login(password), needs_rehash: false },
    };
    let failed = found.as_ref().map(|(_, f, _)| *f).unwrap_or(0);
    let rehash = if verified.ok && verified.needs_rehash { Some(hash_password(password).map_err(store_err)?) } else { None };
    let tx = conn.transaction().map_err(store_err)?;
    store::operator_record_attempt(&tx, login, verified.ok, None).map_err(store_err)?;
    if let Some(hash) = &rehash {
        store::operator_set_password_hash(&tx, login, hash).map_err(store_err)?;
    }
    let (action, details) = match (verified.ok, found.is_some()) {
        (true, _) => ("monitoring.operator_login", serde_json::json!({"rehashed": rehash.is_some()})),
        (false, true) => ("monitoring.operator_login_failed", serde_json::json!({"failed_attempts": failed + 1})),
        // What was typed is not kept: it may be a password typed into the wrong field.
        (false, false) => ("monitoring.operator_login_failed", serde_json::json!({"known": false})),
    };
    // A failure is nobody's act ("-"): whoever typed the login is not its owner.
    let (actor, object) = match (verified.ok, found.is_some()) {
        (true, _) => (login, login),
        (false, true) => ("-", login),
        (false, false) => ("-", "-"),
    };
    crate::audit::store::append(&tx, &now_text, crate::audit::NewEntry { actor, action, object, details }).map_err(store_err)?;
    tx.commit().map_err(store_err)?;
    match found {
        Some((mut op, _, _)) if verified.ok => {
            if let Some(hash) = rehash {
                op.password_hash = hash;
            }
            Ok(op)
        }
        _ => Err(OperatorError::BadCredentials),
    }
}

/// Keeps a session the web kit made (`crate::http::session`): only the digest of its cookie
/// token is stored. Expired sessions are pruned on the way.
pub fn session_insert(conn: &mut Connection, op: &Operator, token_sha256: &str, csrf_token: &str, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Session, OperatorError> {
    let expires = rfc(expires_at);
    let tx = conn.transaction().map_err(store_err)?;
    store::sessions_delete_expired(&tx, &rfc(now)).map_err(store_err)?;
    store::session_insert(&tx, token_sha256, &op.login, csrf_token, &rfc(now), &expires).map_err(store_err)?;
    tx.commit().map_err(store_err)?;
    Ok(Session { login: op.login.clone(), role: op.role, csrf_token: csrf_token.into(), expires_at: expires })
}

/// The live session of a cookie token's digest (`None` when unknown or expired).
pub fn session_get(conn: &Connection, token_sha256: &str, now: DateTime<Utc>) -> Result<Option<Session>, OperatorError> {
    let Some(s) = store::session_get(conn, token_sha256).map_err(store_err)? else { return Ok(None) };
    match super::parse_time(&s.expires_at) {
        Some(exp) if now < exp => Ok(Some(s)),
        _ => Ok(None),
    }
}

pub fn session_end(conn: &Connection, token_sha256: &str) -> Result<(), OperatorError> {
    store::session_delete(conn, token_sha256).map_err(store_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(OperatorRole::Admin.allows(OperatorRole::Operator));
        assert!(OperatorRole::Operator.allows(OperatorRole::Viewer));
        assert!(!OperatorRole::Viewer.allows(OperatorRole::Operator));
        assert!(!OperatorRole::Operator.allows(OperatorRole::Admin));
        for r in [OperatorRole::Viewer, OperatorRole::Operator, OperatorRole::Admin] {
            assert_eq!(OperatorRole::parse(r.code()), Some(r));
        }
    }

    #[test]
    fn login_lockout_session_and_audit() {
        let mut conn = crate::store::open_in_memory().unwrap();
        let now = super::super::parse_time("2027-05-27T02:00:00Z").unwrap();
        assert!(matches!(create_operator(&mut conn, "op 1", OperatorRole::Viewer, "длинный-пароль", "t", "cli"), Err(OperatorError::BadLogin)));
        assert!(matches!(create_operator(&mut conn, "op1", OperatorRole::Viewer, "short", "t", "cli"), Err(OperatorError::WeakPassword)));
        let op = create_operator(&mut conn, "op1", OperatorRole::Operator, "длинный-пароль", "2027-05-27T01:00:00Z", "cli").unwrap();
        assert!(op.password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", op.password_hash);
        assert!(matches!(create_operator(&mut conn, "op1", OperatorRole::Viewer, "длинный-пароль", "t", "cli"), Err(OperatorError::Exists(_))));
        assert!(matches!(authenticate(&mut conn, "nobody", "x", now), Err(OperatorError::BadCredentials)));
        let ok = authenticate(&mut conn, "op1", "длинный-пароль", now).unwrap();
        let (token, csrf) = ("a".repeat(64), "c".repeat(64));
        let session = session_insert(&mut conn, &ok, &token, &csrf, now + chrono::Duration::hours(SESSION_HOURS), now).unwrap();
        assert_eq!(session_get(&conn, &token, now).unwrap().unwrap().role, OperatorRole::Operator);
        assert!(session_get(&conn, "forged", now).unwrap().is_none());
        assert!(session_get(&conn, &token, now + chrono::Duration::hours(SESSION_HOURS)).unwrap().is_none(), "expired");
        assert_eq!(session.csrf_token, csrf);
        for _ in 0..20 {
            assert!(matches!(authenticate(&mut conn, "op1", "wrong", now), Err(OperatorError::BadCredentials)));
        }
        assert!(authenticate(&mut conn, "op1", "длинный-пароль", now).is_ok(), "failures lock nobody out (the kit's throttle slows the guesser)");
        // An operator of the PBKDF2 days is rehashed at the next login.
        let (salt, mut out) = (b"0123456789abcdef", [0u8; 32]);
        ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, std::num::NonZeroU32::new(150_000).unwrap(), salt, "старый-пароль".as_bytes(), &mut out);
        let old = Operator { login: "old".into(), role: OperatorRole::Viewer, password_hash: format!("pbkdf2-sha256$150000${}${}", hex::encode(salt), hex::encode(out)) };
        let tx = conn.transaction().unwrap();
        store::operator_create(&tx, &old, "t").unwrap();
        tx.commit().unwrap();
        assert!(authenticate(&mut conn, "old", "старый-пароль", now).unwrap().password_hash.starts_with("$argon2id$"));
        assert!(store::operator_get(&conn, "old").unwrap().unwrap().0.password_hash.starts_with("$argon2id$"));
        assert!(authenticate(&mut conn, "old", "старый-пароль", now).is_ok());
        session_end(&conn, &token).unwrap();
        assert!(session_get(&conn, &token, now).unwrap().is_none());
        let actions: Vec<String> = crate::audit::store::all(&conn).unwrap().into_iter().map(|e| e.action).collect();
        assert!(actions.contains(&"monitoring.operator_create".to_string()));
        assert!(actions.contains(&"monitoring.operator_login".to_string()));
        assert!(actions.contains(&"monitoring.operator_login_failed".to_string()));
    }
}
