//! The hub's monitoring routes: `POST /v1/heartbeat` for boxes (identity from the mTLS layer),
//! and for logged-in РЦОИ operators the dashboard `/` (updated live over server-sent events
//! `/v1/events`), a page per exam point, `/v1/status` (JSON), the points' readiness the day
//! before (`/readiness`, `/v1/status/readiness`), login and operator accounts;
//! `/metrics` (Prometheus text) for the hub's own monitoring.
//!
//! Handlers are thin: judgement is in `monitoring`, state in `live`, SQL in the stores, HTML
//! in `views` (templates); cookies, sessions, CSRF, errors and headers are the web kit's
//! (`crate::http`), the same as the box UI's.

use std::convert::Infallible;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;

use super::accounts::{self, Operator, OperatorError, OperatorRole, Session};
use super::live::MonitoringHub;
use super::views::{self, HUB_UI};
use super::{HeartbeatReport, MonitoringError};
use crate::context::BoxIdentity;
use crate::http::error::blocking;
use crate::http::session::{check_csrf, log_in, LoginForm, LoginRefusal, NewSession, SessionCookies};
use crate::http::{redirect, safe_next, url_encode, AppError};

pub use super::metrics::metrics_text;

mod gek;

pub const SESSION_COOKIE: &str = "ppe_hub_session";
pub const LOGIN_CSRF_COOKIE: &str = "ppe_hub_login_csrf";
/// A heartbeat is a few hundred bytes; anything much larger is not a heartbeat.
pub const HEARTBEAT_BODY_LIMIT: usize = 64 * 1024;

const COOKIES: SessionCookies = SessionCookies { session: SESSION_COOKIE, login_csrf: LOGIN_CSRF_COOKIE, lifetime: chrono::Duration::hours(accounts::SESSION_HOURS), secure: true };

/// State of the monitoring routes.
#[derive(Clone)]
pub struct MonitoringPages {
    pub hub: MonitoringHub,
    /// Cookies carry `Secure` (the hub serves HTTPS); off only for plain-HTTP tests on loopback.
    pub secure_cookies: bool,
    /// Failed logins per (login, client address).
    pub throttle: std::sync::Arc<crate::http::LoginThrottle>,
    /// The WebAuthn relying party of `[gek]` (registering ГЭК members' security keys); `None`:
    /// the page refuses.
    pub gek_rp: Option<std::sync::Arc<crate::gek::webauthn::Webauthn>>,
}

impl MonitoringPages {
    pub fn new(hub: MonitoringHub) -> Self {
        Self { hub, secure_cookies: true, throttle: Default::default(), gek_rp: None }
    }

    fn cookies(&self) -> SessionCookies {
        COOKIES.with_secure(self.secure_cookies)
    }
}

/// Every monitoring route. Merge into the hub's server router; the box route needs the
/// server's identity layer (`hub::server::with_box_identity`) in front of it.
pub fn router(state: MonitoringPages) -> Router {
    box_router(state.clone()).merge(operator_router(state))
}

/// `POST /v1/heartbeat` only.
pub fn box_router(state: MonitoringPages) -> Router {
    let routes = Router::new().route("/v1/heartbeat", post(heartbeat_post)).layer(DefaultBodyLimit::max(HEARTBEAT_BODY_LIMIT)).with_state(state);
    crate::http::layer::with_kit(routes, &HUB_UI)
}

/// The dashboard, its JSON and events, login and accounts, metrics.
pub fn operator_router(state: MonitoringPages) -> Router {
    let routes = Router::new()
        .route("/", get(dashboard_get))
        .route("/login", get(login_get).post(login_post))
        .route("/logout", post(logout_post))
        .route("/ppe/{exam_id}/{ppe_code}", get(point_get))
        .route("/ppe/{exam_id}/{ppe_code}/note", post(note_post))
        .route("/admin/operators", get(operators_get).post(operators_post))
        .route("/v1/status", get(status_get))
        .route("/v1/events", get(events_get))
        .route("/metrics", get(metrics_get))
        .route(crate::http::favicon::PATH, get(crate::http::favicon::favicon_get))
        .merge(gek::routes())
        .route("/readiness", get(readiness_get))
        .route("/v1/status/readiness", get(readiness_json_get))
        .layer(DefaultBodyLimit::max(HEARTBEAT_BODY_LIMIT))
        .with_state(state);
    crate::http::layer::with_kit(routes, &HUB_UI)
}

fn monitoring_error(e: MonitoringError) -> AppError {
    let status = match &e {
        MonitoringError::NoIdentity | MonitoringError::WrongExamPoint { .. } | MonitoringError::NotAssigned { .. } => StatusCode::FORBIDDEN,
        MonitoringError::Malformed(_) => StatusCode::UNPROCESSABLE_ENTITY,
        MonitoringError::UnknownExam(_) => StatusCode::NOT_FOUND,
        MonitoringError::Store(_) => return AppError::internal(e),
    };
    AppError::Api { status, code: e.code(), message: e.to_string() }
}

/// Runs `f` with the hub database on the blocking pool.
async fn with_db<T: Send + 'static>(hub: &MonitoringHub, f: impl FnOnce(&mut crate::store::Connection, &MonitoringHub) -> Result<T, AppError> + Send + 'static) -> Result<T, AppError> {
    let hub = hub.clone();
    blocking(move || hub.with_db(|c| f(c, &hub))).await
}

// ---------- the box ----------

async fn heartbeat_post(State(state): State<MonitoringPages>, identity: Option<axum::Extension<BoxIdentity>>, body: Bytes) -> Result<Json<super::live::HeartbeatAck>, AppError> {
    let report: HeartbeatReport = serde_json::from_slice(&body).map_err(|e| {
        let e = MonitoringError::Malformed(format!("JSON: {e}"));
        state.hub.counters().refuse(&e);
        monitoring_error(e)
    })?;
    let code = report.ppe_code.clone();
    // Memory only (the writer thread does the SQL): no blocking pool needed.
    // The identity is what the hub's mTLS layer inserted for an enrolled certificate.
    match state.hub.accept(identity.as_ref().map(|i| &i.0), report) {
        Ok(ack) => Ok(Json(ack)),
        Err(e) => {
            tracing::warn!(ppe = %code, reason = e.code(), "heartbeat refused");
            Err(monitoring_error(e))
        }
    }
}

// ---------- sessions ----------

/// A logged-in operator (a page without one goes to the login form, an API call gets 401).
pub struct OperatorSession {
    pub session: Session,
    pub token_sha256: String,
}

impl FromRequestParts<MonitoringPages> for OperatorSession {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &MonitoringPages) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let Some(sha) = state.cookies().session_sha256(&parts.headers) else { return Err(AppError::LoginNeeded(next)) };
        let t = sha.clone();
        let found = with_db(&state.hub, move |c, hub| accounts::session_get(c, &t, hub.clock().now()).map_err(AppError::internal)).await?;
        match found {
            Some(session) => Ok(OperatorSession { session, token_sha256: sha }),
            None => Err(AppError::LoginNeeded(next)),
        }
    }
}

impl OperatorSession {
    fn require(&self, role: OperatorRole) -> Result<(), AppError> {
        if self.session.role.allows(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("недостаточно прав: нужна роль «{}»", role.title_ru())))
        }
    }

    fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        check_csrf(&self.session.csrf_token, sent)
    }
}

// ---------- login ----------

/// `error` is a refusal's code: the text shown is the server's own (`LoginRefusal`); any other
/// value shows nothing.
#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    error: Option<String>,
}

async fn login_get(State(state): State<MonitoringPages>, Query(q): Query<LoginQuery>) -> Result<Response, AppError> {
    let csrf = state.cookies().login_form_token()?;
    let error = q.error.as_deref().and_then(LoginRefusal::from_code).map(|r| r.message_ru().to_string());
    let mut resp = views::page(&views::login::LoginView::new(error, csrf.clone(), safe_next(q.next.as_deref())), None)?;
    state.cookies().set_login_csrf(&mut resp, &csrf);
    Ok(resp)
}

async fn login_post(State(state): State<MonitoringPages>, client: crate::http::ClientAddr, headers: HeaderMap, Form(form): Form<LoginForm>) -> Result<Response, AppError> {
    let next = safe_next(Some(&form.next));
    let (hub, hub2) = (state.hub.clone(), state.hub.clone());
    let now = hub.clock().now();
    let authenticate = move |login: &str, password: &str| {
        hub.with_db(|c| match accounts::authenticate(c, login, password, now) {
            Ok(op) => Ok(Some(op)),
            Err(OperatorError::BadCredentials) => Ok(None),
            Err(e) => Err(AppError::internal(e)),
        })
    };
    let keep = move |op: &Operator, s: &NewSession| hub2.with_db(|c| accounts::session_insert(c, op, &s.token_sha256, &s.csrf, s.expires_at, now)).map(|_| ()).map_err(AppError::internal);
    match log_in(state.cookies(), (&state.throttle, client), &headers, &form, now, authenticate, keep).await? {
        Ok(signed_in) => Ok(signed_in),
        Err(refusal) => Ok(redirect(&format!("/login?next={}&error={}", url_encode(&next), refusal.code()))),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout_post(State(state): State<MonitoringPages>, who: OperatorSession, Form(form): Form<CsrfForm>) -> Result<Response, AppError> {
    who.check_csrf(&form.csrf)?;
    let sha = who.token_sha256.clone();
    with_db(&state.hub, move |c, _| accounts::session_end(c, &sha).map_err(AppError::internal)).await?;
    Ok(state.cookies().signed_out("/login"))
}

// ---------- dashboard ----------

#[derive(Deserialize, Default)]
pub struct StatusQuery {
    pub exam: Option<String>,
    pub ate: Option<String>,
}

async fn dashboard_get(State(state): State<MonitoringPages>, who: OperatorSession, Query(q): Query<StatusQuery>) -> Result<Response, AppError> {
    let hub = state.hub.clone();
    let (view, exams, ates) = blocking(move || {
        let exam = q.exam.filter(|e| !e.is_empty()).or_else(|| hub.default_exam());
        let ate = q.ate.filter(|a| !a.is_empty());
        let view = hub.status(exam.as_deref(), ate.as_deref());
        let ates = exam.as_deref().map(|e| hub.ates_of_exam(e)).unwrap_or_default();
        Ok((view, hub.exams(), ates))
    })
    .await?;
    let nonce = crate::http::session::random_token()?[..32].to_string();
    let frame = views::Frame::new("Мониторинг — РЦОИ", Some(&who.session));
    let page = views::dashboard::DashboardView::new(frame, &view, &exams, &ates, state.hub.clock().now(), nonce.clone());
    views::page(&page, Some(&nonce))
}

async fn status_get(State(state): State<MonitoringPages>, _who: OperatorSession, Query(q): Query<StatusQuery>) -> Result<Json<super::live::StatusView>, AppError> {
    let hub = state.hub.clone();
    let view = blocking(move || Ok(hub.status(q.exam.as_deref().filter(|e| !e.is_empty()), q.ate.as_deref().filter(|a| !a.is_empty())))).await?;
    Ok(Json(view))
}

#[derive(Deserialize)]
struct EventsQuery {
    since: Option<u64>,
}

fn seq_of(msg: &str) -> u64 {
    msg.strip_prefix("{\"seq\":").and_then(|r| r.split(',').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

async fn events_get(State(state): State<MonitoringPages>, _who: OperatorSession, Query(q): Query<EventsQuery>) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = state.hub.subscribe();
    let since = q.since.unwrap_or_else(|| state.hub.seq());
    let first = state.hub.catch_up(since).map(|(_, m)| m);
    let hub = state.hub.clone();
    let stream = futures_util::stream::unfold((hub, rx, first, since), |(hub, mut rx, pending, mut last)| async move {
        if let Some(msg) = pending {
            last = last.max(seq_of(&msg));
            return Some((Ok(Event::default().data(&*msg)), (hub, rx, None, last)));
        }
        loop {
            match rx.recv().await {
                Ok(msg) => {
                    last = seq_of(&msg);
                    return Some((Ok(Event::default().data(&*msg)), (hub, rx, None, last)));
                }
                // A slow client skipped messages: send it everything changed since its last.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if let Some((seq, msg)) = hub.catch_up(last) {
                        last = seq;
                        return Some((Ok(Event::default().data(&*msg)), (hub, rx, None, last)));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

// ---------- readiness the day before ----------

#[derive(Deserialize, Default)]
struct DayQuery {
    date: Option<String>,
}

async fn readiness_day(state: &MonitoringPages, asked: Option<String>) -> Result<crate::readiness::ops::DashboardDay, AppError> {
    with_db(&state.hub, move |c, hub| crate::readiness::ops::dashboard_day(c, hub.clock().now(), asked).map_err(AppError::internal)).await
}

/// `/readiness`: each point's technical readiness for an exam day (the next one by default).
async fn readiness_get(State(state): State<MonitoringPages>, who: OperatorSession, Query(q): Query<DayQuery>) -> Result<Response, AppError> {
    let day = readiness_day(&state, q.date).await?;
    let offset_of = |exam: &str| day.offsets.iter().find(|(e, _)| e == exam).map(|(_, o)| *o).unwrap_or(180);
    views::page(&views::readiness::ReadinessView::new(&who.session, day.date.as_deref(), day.dates.clone(), &day.points, offset_of), None)
}

async fn readiness_json_get(State(state): State<MonitoringPages>, _who: OperatorSession, Query(q): Query<DayQuery>) -> Result<Json<crate::readiness::ops::DashboardDay>, AppError> {
    Ok(Json(readiness_day(&state, q.date).await?))
}

// ---------- a point ----------

async fn point_get(State(state): State<MonitoringPages>, who: OperatorSession, Path((exam_id, ppe_code)): Path<(String, String)>) -> Result<Response, AppError> {
    let (e2, p2) = (exam_id.clone(), ppe_code.clone());
    let (row, timeline, history, receipt, exam) = with_db(&state.hub, move |c, hub| {
        if !hub.point_known(&e2, &p2) {
            return Err(AppError::NotFound(format!("ППЭ {p2} не назначен на экзамен {e2}")));
        }
        let row = hub.row(&e2, &p2);
        let exam = hub.exams().into_iter().find(|e| e.exam_id == e2);
        let timeline = super::store::timeline_for_point(c, &e2, &p2).map_err(AppError::internal)?;
        let history = super::store::heartbeat_history_for_point(c, &e2, &p2, 30).map_err(AppError::internal)?;
        let receipt = super::store::hub_receipt_for_point(c, &e2, &p2).map_err(AppError::internal)?;
        Ok((row, timeline, history, receipt, exam))
    })
    .await?;
    let Some(row) = row else { return Err(AppError::NotFound("нет данных по этому ППЭ".into())) };
    let data = views::point::PointData {
        row: &row,
        timeline: &timeline,
        history: &history,
        receipt: receipt.as_ref(),
        offset_min: exam.as_ref().map(|e| e.utc_offset_min).unwrap_or(180),
        now: state.hub.clock().now(),
    };
    views::page(&views::point::PointView::new(&who.session, &data), None)
}

#[derive(Deserialize)]
struct NoteForm {
    csrf: String,
    text: String,
}

async fn note_post(State(state): State<MonitoringPages>, who: OperatorSession, Path((exam_id, ppe_code)): Path<(String, String)>, Form(form): Form<NoteForm>) -> Result<Response, AppError> {
    who.check_csrf(&form.csrf)?;
    who.require(OperatorRole::Operator)?;
    let text = form.text.trim().chars().take(500).collect::<String>();
    if text.is_empty() {
        return Err(AppError::Refused("пустая заметка".into()));
    }
    let (e2, p2, login) = (exam_id.clone(), ppe_code.clone(), who.session.login.clone());
    with_db(&state.hub, move |c, hub| {
        if !hub.point_known(&e2, &p2) {
            return Err(AppError::NotFound(format!("ППЭ {p2} не назначен на экзамен {e2}")));
        }
        let now = hub.clock().now_rfc3339();
        let tx = c.transaction().map_err(AppError::internal)?;
        let id = super::store::note_insert(&tx, &e2, &p2, &now, &login, &text).map_err(AppError::internal)?;
        // The note's text may name people; the audit log keeps ids only.
        crate::audit::store::append(&tx, &now, crate::audit::NewEntry { actor: &login, action: "monitoring.note_add", object: &p2, details: serde_json::json!({"exam_id": e2, "note_id": id}) })
            .map_err(AppError::internal)?;
        tx.commit().map_err(AppError::internal)
    })
    .await?;
    Ok(redirect(&format!("/ppe/{}/{}", url_encode(&exam_id), url_encode(&ppe_code))))
}

// ---------- operator accounts ----------

async fn operators_get(State(state): State<MonitoringPages>, who: OperatorSession) -> Result<Response, AppError> {
    who.require(OperatorRole::Admin)?;
    let list = with_db(&state.hub, |c, _| super::accounts_store::operator_list(c).map_err(AppError::internal)).await?;
    views::page(&views::operators::OperatorsView::new(&who.session, &list), None)
}

#[derive(Deserialize)]
struct NewOperatorForm {
    csrf: String,
    login: String,
    role: String,
    password: String,
}

async fn operators_post(State(state): State<MonitoringPages>, who: OperatorSession, Form(form): Form<NewOperatorForm>) -> Result<Response, AppError> {
    who.check_csrf(&form.csrf)?;
    who.require(OperatorRole::Admin)?;
    let role = OperatorRole::parse(&form.role).ok_or_else(|| AppError::Refused("неизвестная роль".into()))?;
    let actor = who.session.login.clone();
    with_db(&state.hub, move |c, hub| match accounts::create_operator(c, form.login.trim(), role, &form.password, &hub.clock().now_rfc3339(), &actor) {
        Ok(_) => Ok(()),
        Err(e @ OperatorError::Store(_)) => Err(AppError::internal(e)),
        Err(e) => Err(AppError::Refused(e.to_string())),
    })
    .await?;
    Ok(redirect("/admin/operators"))
}

// ---------- metrics ----------

/// `/metrics` on the hub's listener: for logged-in operators only (the counts of a region's
/// exam day are not for anyone who reaches the port).
async fn metrics_get(State(state): State<MonitoringPages>, _who: OperatorSession) -> Result<Response, AppError> {
    metrics_answer(state).await
}

/// `/metrics` without a login: only on the separate `metrics_listen` address.
pub fn metrics_router(state: MonitoringPages) -> Router {
    Router::new().route("/metrics", get(|State(state): State<MonitoringPages>| metrics_answer(state))).with_state(state)
}

async fn metrics_answer(state: MonitoringPages) -> Result<Response, AppError> {
    let hub = state.hub.clone();
    let text = blocking(move || Ok(metrics_text(&hub))).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_is_read_from_the_message_head() {
        assert_eq!(seq_of("{\"seq\":42,\"now\":\"x\",\"rows\":[]}"), 42);
        assert_eq!(seq_of("garbage"), 0);
    }
}
