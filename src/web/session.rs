//! Logging in to the box's UI: the first start sets the administrator's password, then local
//! accounts (`accounts`: argon2id, rehash of old hashes) log in through the kit's login flow
//! (`crate::http::session`: throttle per login and address, double-submit token, a 32-byte session
//! token in an HttpOnly, SameSite=Strict cookie, only its SHA-256 stored in `web_session`, a
//! CSRF token per session). `Staff` is the extractor every page and action takes: it finds
//! the session and checks the route against `access::ROUTES` in one place, fail-closed.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::access::{self, Role};
use super::{blocking, redirect, WebError, WebState};
use crate::http::session::{check_csrf, log_in, LoginForm, LoginRefusal, NewSession, SessionCookies};
use crate::model::WorkerRole;

pub const SESSION_COOKIE: &str = "ppe_box_session";
pub const LOGIN_CSRF_COOKIE: &str = "ppe_box_login_csrf";
/// A working day with margin: the specialist logs in once in the morning.
pub const SESSION_HOURS: i64 = 14;

const COOKIES: SessionCookies = SessionCookies { session: SESSION_COOKIE, login_csrf: LOGIN_CSRF_COOKIE, lifetime: chrono::Duration::hours(SESSION_HOURS), secure: false };

fn cookies(state: &WebState) -> SessionCookies {
    COOKIES.with_secure(state.secure_cookies)
}

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
        check_csrf(&self.csrf, sent)
    }

    pub fn may(&self, action: access::Action) -> bool {
        access::allowed(self.role, action)
    }

    /// The digest of the session's token: what its flash messages are kept under.
    pub fn session_id(&self) -> &str {
        &self.token_sha256
    }
}

impl FromRequestParts<WebState> for Staff {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path().to_string();
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let method = parts.method.clone();
        let token_sha256 = cookies(state).session_sha256(&parts.headers);
        let ctx = state.ctx.clone();
        let found = blocking(move || {
            let conn = ctx.db()?;
            let Some(sha) = token_sha256 else {
                return Ok(Err(crate::accounts::store::account_count(&conn)? == 0));
            };
            let row = super::store::session_get(&conn, &sha, ctx.clock.now())?;
            match row {
                Some(row) => Ok(Ok((row, sha))),
                None => Ok(Err(crate::accounts::store::account_count(&conn)? == 0)),
            }
        })
        .await?;
        let (row, token_sha256) = match found {
            Ok(x) => x,
            Err(true) => return Err(WebError::Redirect("/setup".into())),
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

/// What the login page reads from its URL: only where to go back to (never a message).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    pub next: Option<String>,
}

/// The login form, or the first start's form for the administrator's password.
#[derive(askama::Template)]
#[template(path = "box/login.html")]
struct LoginView<'a> {
    /// First start: the administrator's password, twice.
    setup: bool,
    ppe_code: &'a str,
    csrf: &'a str,
    next: &'a str,
    message: Option<&'a str>,
}

/// The form's page with its double-submit cookie.
fn login_page(state: &WebState, view: &LoginView<'_>, status: StatusCode) -> Result<Response, WebError> {
    let mut resp = (status, crate::http::render(view)?).into_response();
    cookies(state).set_login_csrf(&mut resp, view.csrf);
    Ok(resp)
}

async fn account_count(state: &WebState) -> Result<u64, WebError> {
    let ctx = state.ctx.clone();
    blocking(move || Ok(crate::accounts::store::account_count(&*ctx.db()?)?)).await
}

pub async fn login_get(State(state): State<WebState>, Query(q): Query<NextQuery>) -> Result<Response, WebError> {
    if account_count(&state).await? == 0 {
        return Ok(redirect("/setup"));
    }
    let csrf = cookies(&state).login_form_token()?;
    let next = crate::http::safe_next(q.next.as_deref());
    login_page(&state, &LoginView { setup: false, ppe_code: &state.ctx.config.ppe_code, csrf: &csrf, next: &next, message: None }, StatusCode::OK)
}

/// Keeps the new session (expired ones pruned) with its audit entry.
fn store_session(ctx: &crate::context::EdgeContext, login: &str, role: WorkerRole, session: &NewSession) -> anyhow::Result<()> {
    let conn = ctx.db()?;
    let now = ctx.clock.now();
    let now_text = ctx.clock.now_rfc3339();
    super::store::sessions_prune(&conn, now)?;
    let tx = conn.unchecked_transaction()?;
    let row = super::store::SessionRow { login: login.into(), role: role.code().into(), csrf_token: session.csrf.clone(), expires_at: session.expires_at };
    super::store::session_insert(&tx, &session.token_sha256, &row, now)?;
    crate::audit::store::append(&tx, &now_text, crate::audit::NewEntry { actor: login, action: "ui.login", object: login, details: serde_json::json!({"role": role.code()}) })?;
    tx.commit()?;
    Ok(())
}

pub async fn login_post(State(state): State<WebState>, client: crate::http::ClientAddr, headers: HeaderMap, Form(form): Form<LoginForm>) -> Result<Response, WebError> {
    let (ctx, ctx2) = (state.ctx.clone(), state.ctx.clone());
    let now = ctx.clock.now();
    // The account store checks, rehashes and audits (failures too, the same way for an
    // unknown login); the kit's throttle counts the failure against this address only.
    let authenticate = move |login: &str, password: &str| -> Result<_, WebError> {
        let conn = ctx.db().map_err(WebError::internal)?;
        match crate::accounts::authenticate(&conn, login, password, now) {
            Ok(account) => Ok(Some(account)),
            Err(crate::accounts::AccountError::Store(e)) => Err(WebError::internal(e)),
            Err(_) => Ok(None),
        }
    };
    let keep = move |account: &crate::accounts::Account, session: &NewSession| store_session(&ctx2, &account.login, account.role, session).map_err(WebError::internal);
    match log_in(cookies(&state), (&state.throttle, client), &headers, &form, now, authenticate, keep).await? {
        Ok(signed_in) => Ok(signed_in),
        Err(refusal) => {
            let csrf = cookies(&state).login_form_token()?;
            let next = crate::http::safe_next(Some(&form.next));
            let status = if refusal == LoginRefusal::Throttled { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::UNAUTHORIZED };
            login_page(&state, &LoginView { setup: false, ppe_code: &state.ctx.config.ppe_code, csrf: &csrf, next: &next, message: Some(refusal.message_ru()) }, status)
        }
    }
}

pub async fn setup_get(State(state): State<WebState>) -> Result<Response, WebError> {
    if account_count(&state).await? > 0 {
        return Ok(redirect("/login"));
    }
    let csrf = cookies(&state).login_form_token()?;
    login_page(&state, &LoginView { setup: true, ppe_code: &state.ctx.config.ppe_code, csrf: &csrf, next: "/", message: None }, StatusCode::OK)
}

pub async fn setup_post(State(state): State<WebState>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Result<Response, WebError> {
    let cookies = cookies(&state);
    cookies.check_login_csrf(&headers, &form.csrf)?;
    if form.password != form.password2 {
        return Err(WebError::Refused("пароли не совпадают".into()));
    }
    let ctx = state.ctx.clone();
    let session = cookies.new_session(ctx.clock.now())?;
    let (login, password, s) = (form.login.trim().to_string(), form.password.clone(), session.clone());
    blocking(move || {
        let mut conn = ctx.db()?;
        // Only the very first account is made here; afterwards this page is closed.
        if crate::accounts::store::account_count(&conn)? > 0 {
            anyhow::bail!("администратор уже задан: войдите");
        }
        let account = crate::accounts::create_account(&mut conn, &login, "admin", WorkerRole::TechSpecialist, &password, &ctx.clock.now_rfc3339())?;
        drop(conn);
        store_session(&ctx, &account.login, account.role, &s)
    })
    .await?;
    Ok(cookies.signed_in(&session, "/"))
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
    Ok(cookies(&state).signed_out("/login"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_form_escapes_what_it_shows() {
        let view = LoginView { setup: false, ppe_code: "0101", csrf: "c", next: "/x?a=\"><script>", message: Some("<b>") };
        let html = askama::Template::render(&view).unwrap();
        assert!(!html.contains("<script>") && !html.contains("<b>"), "{html}");
        assert!(html.contains("name=\"csrf\" value=\"c\"") && html.contains("id=\"submit\""), "{html}");
    }
}
