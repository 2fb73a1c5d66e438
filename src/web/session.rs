//! Logging in to the box's UI: the first start (against the one-time setup code, see
//! `accounts::setup_code`) sets the administrator's password, then local
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
/// Over HTTPS the cookies carry `__Host-` names: a browser keeps such a cookie only when it
/// is `Secure`, set by this very host over HTTPS for `Path=/`, so no other machine on the LAN
/// (nor plain HTTP) can plant or shadow a session or login token.
const HTTPS_COOKIES: SessionCookies = SessionCookies { session: "__Host-ppe_box_session", login_csrf: "__Host-ppe_box_login_csrf", secure: true, ..COOKIES };

fn cookies(state: &WebState) -> SessionCookies {
    if state.secure_cookies {
        HTTPS_COOKIES
    } else {
        COOKIES
    }
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
    setup_page(&state, None, StatusCode::OK)
}

fn setup_page(state: &WebState, message: Option<&str>, status: StatusCode) -> Result<Response, WebError> {
    let csrf = cookies(state).login_form_token()?;
    login_page(state, &LoginView { setup: true, ppe_code: &state.ctx.config.ppe_code, csrf: &csrf, next: "/", message }, status)
}

/// The first start's form: the one-time code and the administrator's login and password.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
    pub csrf: String,
    pub setup_code: String,
    pub login: String,
    pub password: String,
    pub password2: String,
}

pub async fn setup_post(State(state): State<WebState>, headers: HeaderMap, Form(form): Form<SetupForm>) -> Result<Response, WebError> {
    use crate::accounts::ops::{claim_first_start, FirstStartError, FirstStartRequest};
    let cookies = cookies(&state);
    cookies.check_login_csrf(&headers, &form.csrf)?;
    if form.login.trim().is_empty() {
        return setup_page(&state, Some("укажите логин администратора"), StatusCode::UNPROCESSABLE_ENTITY);
    }
    if form.password != form.password2 {
        return setup_page(&state, Some("пароли не совпадают"), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let ctx = state.ctx.clone();
    let session = cookies.new_session(ctx.clock.now())?;
    let s = session.clone();
    let outcome = blocking(move || {
        let mut conn = ctx.db()?;
        let request = FirstStartRequest { setup_code: &form.setup_code, login: form.login.trim(), password: &form.password, now: ctx.clock.now() };
        let account = match claim_first_start(&mut conn, &request) {
            Ok(account) => account,
            Err(FirstStartError::Account(crate::accounts::AccountError::Store(e))) => anyhow::bail!("first start: {e}"),
            Err(refusal) => return Ok(Err(refusal)),
        };
        drop(conn);
        forget_setup_code_file(&ctx.config.ui.setup_code_file);
        store_session(&ctx, &account.login, account.role, &s)?;
        Ok(Ok(()))
    })
    .await?;
    match outcome {
        Ok(()) => Ok(cookies.signed_in(&session, "/")),
        Err(FirstStartError::AlreadyDone) => Ok(redirect("/login")),
        Err(refusal @ FirstStartError::Account(_)) => setup_page(&state, Some(&refusal.to_string()), StatusCode::UNPROCESSABLE_ENTITY),
        Err(refusal) => setup_page(&state, Some(&refusal.to_string()), StatusCode::FORBIDDEN),
    }
}

/// The spent code's file is of no more use; removing it may fail on a read-only /etc (the
/// database says the code is spent either way).
fn forget_setup_code_file(path: &std::path::Path) {
    match std::fs::remove_file(path) {
        Ok(()) => tracing::info!("first start done: {} removed", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!("first start done; the spent setup code file {} stays ({e}): remove it by hand", path.display()),
    }
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
