//! Logging in to the box's UI: the first start sets the administrator's password, then local
//! accounts (`accounts`: PBKDF2, lockout after repeated failures) log in; a session is 32
//! random bytes in an HttpOnly, SameSite=Strict cookie (only its SHA-256 is stored), with its
//! own CSRF token that every form posts back. `Staff` is the extractor every page and action
//! takes: it finds the session and checks the route against `access::ROUTES` in one place.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::access::{self, Role};
use super::{blocking, frame, html_escape, redirect, WebError, WebState};
use crate::model::WorkerRole;

pub const SESSION_COOKIE: &str = "ppe_box_session";
pub const LOGIN_CSRF_COOKIE: &str = "ppe_box_login_csrf";
/// A working day with margin: the specialist logs in once in the morning.
pub const SESSION_HOURS: i64 = 14;

/// A logged-in member of staff.
#[derive(Debug, Clone)]
pub struct Staff {
    pub login: String,
    pub role: Role,
    pub worker_role: WorkerRole,
    pub csrf: String,
    token_sha256: String,
}

impl Staff {
    /// The form's CSRF token must be this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if !sent.is_empty() && crate::monitoring::accounts::constant_time_eq(&self.csrf, sent) {
            Ok(())
        } else {
            Err(WebError::Forbidden("форма устарела или подделана (нет верного CSRF-токена): обновите страницу и повторите".into()))
        }
    }

    pub fn may(&self, action: access::Action) -> bool {
        access::allowed(self.role, action)
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}", if secure { "; Secure" } else { "" })
}

fn token_ok(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

impl FromRequestParts<WebState> for Staff {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path().to_string();
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let method = parts.method.clone();
        let token = cookie(&parts.headers, SESSION_COOKIE).filter(|t| token_ok(t));
        let ctx = state.ctx.clone();
        let found = blocking(move || {
            let conn = ctx.db()?;
            let Some(token) = token else {
                return Ok(Err(crate::accounts::store::account_count(&conn)? == 0));
            };
            let sha = crate::util::sha256_hex(token.as_bytes());
            let row = super::store::session_get(&conn, &sha, &ctx.clock.now_rfc3339())?;
            match row {
                Some(row) => Ok(Ok((row, sha))),
                None => Ok(Err(crate::accounts::store::account_count(&conn)? == 0)),
            }
        })
        .await?;
        let (row, token_sha256) = match found {
            Ok(x) => x,
            Err(true) => return Err(WebError::SetupNeeded),
            Err(false) if method == Method::GET => return Err(WebError::LoginNeeded(next)),
            Err(false) => return Err(WebError::Forbidden("сеанс истёк: войдите снова".into())),
        };
        let worker_role = WorkerRole::parse(&row.role).unwrap_or(WorkerRole::Assistant);
        let staff = Staff { login: row.login, role: Role::of(worker_role), worker_role, csrf: row.csrf_token, token_sha256 };
        // Fail closed: a route missing from the table is nobody's.
        match access::action_of(method.as_str(), &path) {
            Some(action) if staff.may(action) => Ok(staff),
            Some(_) => Err(WebError::Forbidden(format!("роль «{}» не даёт доступа к этому разделу или действию", staff.worker_role.title_ru()))),
            None => Err(WebError::Forbidden("раздел не описан в таблице доступа".into())),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    pub next: Option<String>,
    pub msg: Option<String>,
}

/// Only paths of this site (no `//host`, no scheme) are followed after login.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n.to_string(),
        _ => "/".into(),
    }
}

fn login_form(action: &str, csrf: &str, next: &str, extra: &str, message: Option<&str>, setup: bool) -> String {
    let message = message.map(|m| format!("<p class=\"error\">{}</p>", html_escape(m))).unwrap_or_default();
    let second = if setup { "<label>Пароль ещё раз <input name=\"password2\" type=\"password\" autocomplete=\"new-password\" required minlength=\"8\"></label>" } else { "" };
    format!(
        "<div class=\"panel narrow\">{extra}{message}<form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label>Логин <input name=\"login\" id=\"login\" autocomplete=\"username\" required value=\"{login}\"></label>\
         <label>Пароль <input name=\"password\" id=\"password\" type=\"password\" autocomplete=\"{ac}\" required></label>{second}\
         <button class=\"primary\" id=\"submit\">{button}</button></form></div>",
        next = html_escape(next),
        login = if setup { "admin" } else { "" },
        ac = if setup { "new-password" } else { "current-password" },
        button = if setup { "Сохранить и войти" } else { "Войти" },
    )
}

fn with_login_csrf(mut resp: Response, csrf: &str, secure: bool) -> Response {
    if let Ok(v) = HeaderValue::from_str(&set_cookie(LOGIN_CSRF_COOKIE, csrf, 3600, secure)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn login_get(State(state): State<WebState>, Query(q): Query<NextQuery>) -> Result<Response, WebError> {
    let ctx = state.ctx.clone();
    if blocking(move || Ok(crate::accounts::store::account_count(&*ctx.db()?)?)).await? == 0 {
        return Ok(redirect("/setup"));
    }
    let csrf = crate::monitoring::accounts::random_token().map_err(WebError::internal)?;
    let body = login_form("/login", &csrf, &safe_next(q.next.as_deref()), &format!("<p>Станция ППЭ {}</p>", html_escape(&state.ctx.config.ppe_code)), q.msg.as_deref(), false);
    Ok(with_login_csrf(frame("Вход", None, &[], &body).into_response(), &csrf, state.secure_cookies))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    pub csrf: String,
    pub next: String,
    pub login: String,
    pub password: String,
    pub password2: String,
}

fn login_csrf_ok(headers: &HeaderMap, sent: &str) -> bool {
    cookie(headers, LOGIN_CSRF_COOKIE).is_some_and(|c| !c.is_empty() && crate::monitoring::accounts::constant_time_eq(&c, sent))
}

/// Creates the session and answers with its cookie and a redirect to `next`.
async fn start_session(state: &WebState, login: String, role: WorkerRole, next: &str) -> Result<Response, WebError> {
    let token = crate::monitoring::accounts::random_token().map_err(WebError::internal)?;
    let csrf = crate::monitoring::accounts::random_token().map_err(WebError::internal)?;
    let ctx = state.ctx.clone();
    let sha = crate::util::sha256_hex(token.as_bytes());
    blocking(move || {
        let conn = ctx.db()?;
        let now = ctx.clock.now();
        let expires = crate::monitoring::time_text(now + chrono::Duration::hours(SESSION_HOURS));
        let now_text = ctx.clock.now_rfc3339();
        super::store::sessions_prune(&conn, &now_text)?;
        let tx = conn.unchecked_transaction()?;
        super::store::session_insert(&tx, &sha, &super::store::SessionRow { login: login.clone(), role: role.code().into(), csrf_token: csrf, expires_at: expires }, &now_text)?;
        crate::audit::store::append(&tx, &now_text, crate::audit::NewEntry { actor: &login, action: "ui.login", object: &login, details: serde_json::json!({"role": role.code()}) })?;
        tx.commit()?;
        Ok(())
    })
    .await?;
    let mut resp = redirect(next);
    if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, &token, SESSION_HOURS * 3600, state.secure_cookies)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

pub async fn login_post(State(state): State<WebState>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Result<Response, WebError> {
    if !login_csrf_ok(&headers, &form.csrf) {
        return Err(WebError::Forbidden("форма входа устарела (CSRF): откройте страницу входа снова".into()));
    }
    let ctx = state.ctx.clone();
    let (login, password) = (form.login.trim().to_string(), form.password.clone());
    let outcome = blocking(move || {
        let conn = ctx.db()?;
        let result = crate::accounts::authenticate(&conn, &login, &password, ctx.clock.now());
        if let Err(e) = &result {
            let now = ctx.clock.now_rfc3339();
            // The login is an id; the reason says locked or wrong, never the password.
            crate::audit::store::append(&conn, &now, crate::audit::NewEntry { actor: &login, action: "ui.login_failed", object: &login, details: serde_json::json!({"reason": e.to_string()}) })?;
        }
        Ok(result.map_err(|e| match e {
            crate::accounts::AccountError::Locked(until) => format!("учётная запись заблокирована до {until} после неудачных попыток входа"),
            _ => "неверный логин или пароль".to_string(),
        }))
    })
    .await?;
    match outcome {
        Ok(account) => start_session(&state, account.login, account.role, &safe_next(Some(&form.next))).await,
        Err(message) => {
            let csrf = crate::monitoring::accounts::random_token().map_err(WebError::internal)?;
            let body = login_form("/login", &csrf, &safe_next(Some(&form.next)), "", Some(&message), false);
            let mut resp = frame("Вход", None, &[], &body).into_response();
            *resp.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(with_login_csrf(resp, &csrf, state.secure_cookies))
        }
    }
}

pub async fn setup_get(State(state): State<WebState>) -> Result<Response, WebError> {
    let ctx = state.ctx.clone();
    if blocking(move || Ok(crate::accounts::store::account_count(&*ctx.db()?)?)).await? > 0 {
        return Ok(redirect("/login"));
    }
    let csrf = crate::monitoring::accounts::random_token().map_err(WebError::internal)?;
    let intro = "<p>Первый запуск станции: задайте пароль администратора (технического специалиста). Остальные учётные записи он создаст в разделе «Учётные записи».</p>";
    let body = login_form("/setup", &csrf, "/", intro, None, true);
    Ok(with_login_csrf(frame("Первый запуск", None, &[], &body).into_response(), &csrf, state.secure_cookies))
}

pub async fn setup_post(State(state): State<WebState>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Result<Response, WebError> {
    if !login_csrf_ok(&headers, &form.csrf) {
        return Err(WebError::Forbidden("форма устарела (CSRF): откройте страницу снова".into()));
    }
    if form.password != form.password2 {
        return Err(WebError::Refused("пароли не совпадают".into()));
    }
    let ctx = state.ctx.clone();
    let login = form.login.trim().to_string();
    let password = form.password.clone();
    let created = blocking(move || {
        let mut conn = ctx.db()?;
        // Only the very first account is made here; afterwards this page is closed.
        if crate::accounts::store::account_count(&conn)? > 0 {
            anyhow::bail!("администратор уже задан: войдите");
        }
        let account = crate::accounts::create_account(&mut conn, &login, "admin", WorkerRole::TechSpecialist, &password, &ctx.clock.now_rfc3339())?;
        Ok(account)
    })
    .await?;
    start_session(&state, created.login, created.role, "/").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf: String,
}

pub async fn logout_post(State(state): State<WebState>, staff: Staff, Form(form): Form<CsrfOnly>) -> Result<Response, WebError> {
    staff.check_csrf(&form.csrf)?;
    let ctx = state.ctx.clone();
    let sha = staff.token_sha256.clone();
    let login = staff.login.clone();
    blocking(move || {
        let conn = ctx.db()?;
        super::store::session_delete(&conn, &sha)?;
        crate::audit::store::append(&conn, &ctx.clock.now_rfc3339(), crate::audit::NewEntry { actor: &login, action: "ui.logout", object: &login, details: serde_json::json!({}) })?;
        Ok(())
    })
    .await?;
    let mut resp = redirect("/login");
    if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_redirects_stay_on_this_site() {
        assert_eq!(safe_next(Some("/attendance?exam=ege-02")), "/attendance?exam=ege-02");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil.example", "evil"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; ppe_box_session=abc; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "ppe_box"), None);
    }
}
