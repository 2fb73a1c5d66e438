//! Sessions and logins of both UIs. A session is 32 random bytes in a cookie; stores keep only
//! their SHA-256 (a stolen table opens no session). Every session has its own CSRF token that
//! every state-changing form posts back; the login form itself carries a double-submit token
//! (a cookie and a hidden field that must match). Who may log in stays with each UI's account
//! store (password check, rehash, audit); the kit runs the flow around it and throttles
//! failures per (login, client address) (`throttle`), so nobody is locked out for everyone.

use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use ring::rand::SecureRandom;
use serde::Deserialize;

use super::cookie::{append_set_cookie, cookie};
use super::error::AppError;
use super::redirect::{redirect, safe_next};

/// 32 random bytes as hex: session tokens and CSRF tokens.
pub fn random_token() -> Result<String, AppError> {
    let mut b = [0u8; 32];
    ring::rand::SystemRandom::new().fill(&mut b).map_err(|_| AppError::internal("the system random generator is not available"))?;
    Ok(hex::encode(b))
}

/// What a store keeps instead of the token.
pub fn token_sha256(token: &str) -> String {
    crate::util::sha256_hex(token.as_bytes())
}

/// Compares secrets without an early exit (timing does not reveal the matching prefix).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn token_shape_ok(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A form's CSRF token must be its session's.
pub fn check_csrf(session_csrf: &str, sent: &str) -> Result<(), AppError> {
    if !sent.is_empty() && constant_time_eq(session_csrf, sent) {
        Ok(())
    } else {
        Err(AppError::Forbidden("форма устарела или подделана (нет верного CSRF-токена): обновите страницу и повторите".into()))
    }
}

/// Why a login was refused (unknown login and wrong password read the same, so logins cannot
/// be probed). The text shown is fixed here, by code: a UI never shows text it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    BadCredentials,
    /// Too many failures for this login from this address: wait.
    Throttled,
}

impl LoginRefusal {
    pub fn code(self) -> &'static str {
        match self {
            LoginRefusal::BadCredentials => "bad_credentials",
            LoginRefusal::Throttled => "throttled",
        }
    }

    /// The refusal of a code (from a redirect's query); `None` for anything else.
    pub fn from_code(code: &str) -> Option<LoginRefusal> {
        [LoginRefusal::BadCredentials, LoginRefusal::Throttled].into_iter().find(|r| r.code() == code)
    }

    pub fn message_ru(self) -> &'static str {
        match self {
            LoginRefusal::BadCredentials => "неверный логин или пароль",
            LoginRefusal::Throttled => "слишком много неудачных попыток входа с этого устройства: подождите несколько минут и повторите",
        }
    }
}

/// The login (and first-start setup) form.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct LoginForm {
    pub csrf: String,
    pub next: String,
    pub login: String,
    pub password: String,
    pub password2: String,
}

/// A session just made: the token goes into the cookie, the rest into the UI's store.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub token_sha256: String,
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

/// One UI's session cookies and their lifetime.
#[derive(Debug, Clone, Copy)]
pub struct SessionCookies {
    pub session: &'static str,
    pub login_csrf: &'static str,
    pub lifetime: Duration,
    /// `Secure` on every cookie (the UI is served over HTTPS).
    pub secure: bool,
}

/// The login form's double-submit token lives an hour.
const LOGIN_FORM_SECS: i64 = 3600;

impl SessionCookies {
    pub fn with_secure(self, secure: bool) -> Self {
        Self { secure, ..self }
    }

    /// The SHA-256 of the request's session token, if it carries one of the right shape.
    pub fn session_sha256(&self, headers: &HeaderMap) -> Option<String> {
        cookie(headers, self.session).filter(|t| token_shape_ok(t)).map(|t| token_sha256(&t))
    }

    /// A fresh token for a login form: put it in the form and `set_login_csrf` on the page.
    pub fn login_form_token(&self) -> Result<String, AppError> {
        random_token()
    }

    pub fn set_login_csrf(&self, resp: &mut Response, token: &str) {
        append_set_cookie(resp.headers_mut(), self.login_csrf, token, LOGIN_FORM_SECS, self.secure);
    }

    /// The login form's token: the cookie and the posted field match.
    pub fn check_login_csrf(&self, headers: &HeaderMap, sent: &str) -> Result<(), AppError> {
        match cookie(headers, self.login_csrf) {
            Some(c) if !c.is_empty() && constant_time_eq(&c, sent) => Ok(()),
            _ => Err(AppError::Forbidden("форма входа устарела (CSRF): откройте страницу входа снова".into())),
        }
    }

    pub fn new_session(&self, now: DateTime<Utc>) -> Result<NewSession, AppError> {
        let token = random_token()?;
        Ok(NewSession { token_sha256: token_sha256(&token), token, csrf: random_token()?, expires_at: now + self.lifetime })
    }

    /// 303 to `next` (if local) with the session cookie; the login form's token is spent.
    pub fn signed_in(&self, session: &NewSession, next: &str) -> Response {
        let mut resp = redirect(&safe_next(Some(next)));
        append_set_cookie(resp.headers_mut(), self.session, &session.token, self.lifetime.num_seconds(), self.secure);
        append_set_cookie(resp.headers_mut(), self.login_csrf, "", 0, self.secure);
        resp
    }

    /// 303 to `to` with the session cookie removed.
    pub fn signed_out(&self, to: &str) -> Response {
        let mut resp = redirect(to);
        append_set_cookie(resp.headers_mut(), self.session, "", 0, self.secure);
        resp
    }
}

/// The login flow of both UIs, on the blocking pool: the form's double-submit token, the
/// throttle of this (login, address), then `authenticate` (the UI's account store: password
/// check, rehash, audit; `Ok(None)` for an unknown login or a wrong password), then `store`
/// keeps the new session. A refusal comes back for the UI to show its form again.
pub async fn log_in<A: Send + 'static>(
    cookies: SessionCookies,
    (throttle, client): (&super::throttle::LoginThrottle, super::throttle::ClientAddr),
    headers: &HeaderMap,
    form: &LoginForm,
    now: DateTime<Utc>,
    authenticate: impl FnOnce(&str, &str) -> Result<Option<A>, AppError> + Send + 'static,
    store: impl FnOnce(&A, &NewSession) -> Result<(), AppError> + Send + 'static,
) -> Result<Result<Response, LoginRefusal>, AppError> {
    cookies.check_login_csrf(headers, &form.csrf)?;
    let login = form.login.trim().to_string();
    if throttle.try_login(&login, client.0, std::time::Instant::now()).is_err() {
        return Ok(Err(LoginRefusal::Throttled));
    }
    let session = cookies.new_session(now)?;
    let (l, password, s) = (login.clone(), form.password.clone(), session.clone());
    let signed_in = super::error::blocking(move || match authenticate(&l, &password)? {
        Some(account) => store(&account, &s).map(|()| true),
        None => Ok(false),
    })
    .await?;
    if signed_in {
        throttle.succeeded(&login, client.0);
        Ok(Ok(cookies.signed_in(&session, &form.next)))
    } else {
        Ok(Err(LoginRefusal::BadCredentials))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, HeaderValue};

    const COOKIES: SessionCookies = SessionCookies { session: "s", login_csrf: "l", lifetime: Duration::hours(1), secure: true };

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn csrf_needs_the_sessions_own_token() {
        let t = random_token().unwrap();
        assert!(check_csrf(&t, &t).is_ok());
        assert!(check_csrf(&t, "").is_err());
        assert!(check_csrf("", "").is_err(), "an empty token never matches");
        assert!(check_csrf(&t, &random_token().unwrap()).is_err());
    }

    #[test]
    fn only_the_digest_of_a_well_formed_token_is_looked_up() {
        let t = random_token().unwrap();
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_str(&format!("s={t}")).unwrap());
        assert_eq!(COOKIES.session_sha256(&h), Some(token_sha256(&t)));
        let mut forged = HeaderMap::new();
        forged.append(header::COOKIE, HeaderValue::from_static("s=forged"));
        assert_eq!(COOKIES.session_sha256(&forged), None);
    }

    #[test]
    fn signing_in_sets_the_session_cookie_and_spends_the_login_token() {
        let s = COOKIES.new_session(Utc::now()).unwrap();
        let resp = COOKIES.signed_in(&s, "//evil.example");
        assert_eq!(resp.headers()[header::LOCATION], "/");
        let set: Vec<&str> = resp.headers().get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap()).collect();
        assert_eq!(set[0], format!("s={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600; Secure", s.token));
        assert_eq!(set[1], "l=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure");
        assert_ne!(s.token, s.csrf);
        assert!(s.csrf.len() == 64 && s.token_sha256 == token_sha256(&s.token));
    }
}
