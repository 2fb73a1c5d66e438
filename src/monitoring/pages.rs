//! The hub's monitoring routes: `POST /v1/heartbeat` for boxes (identity from the mTLS layer),
//! and for logged-in РЦОИ operators the dashboard `/` (server-rendered, updated live over
//! server-sent events `/v1/events`), a page per exam point, `/v1/status` (JSON), login and
//! operator accounts; `/metrics` (Prometheus text) for the hub's own monitoring.
//!
//! Handlers are thin: judgement is in `monitoring`, state in `live`, SQL in the stores.

use std::convert::Infallible;
use std::fmt::Write as _;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;

use super::accounts::{self, OperatorError, OperatorRole, Session};
use super::live::MonitoringHub;
use super::{bytes_text, clock_offset_text, parse_time, seen_ago_text, time_left_text, Health, HeartbeatReport, MonitoringError, PointRow, Stage, Summary};
use crate::hub::server::Caller;
use crate::web::html_escape as esc;

pub const SESSION_COOKIE: &str = "ppe_hub_session";
pub const LOGIN_CSRF_COOKIE: &str = "ppe_hub_login_csrf";
/// A heartbeat is a few hundred bytes; anything much larger is not a heartbeat.
pub const HEARTBEAT_BODY_LIMIT: usize = 64 * 1024;

/// State of the monitoring routes.
#[derive(Clone)]
pub struct MonitoringPages {
    pub hub: MonitoringHub,
    /// Cookies carry `Secure` (the hub serves HTTPS); off only for plain-HTTP tests on loopback.
    pub secure_cookies: bool,
}

impl MonitoringPages {
    pub fn new(hub: MonitoringHub) -> Self {
        Self { hub, secure_cookies: true }
    }
}

/// Every monitoring route. Merge into the hub's server router; the box route needs the
/// server's identity layer (`hub::server::with_box_identity`) in front of it.
pub fn router(state: MonitoringPages) -> Router {
    box_router(state.clone()).merge(operator_router(state))
}

/// `POST /v1/heartbeat` only.
pub fn box_router(state: MonitoringPages) -> Router {
    Router::new().route("/v1/heartbeat", post(heartbeat_post)).layer(DefaultBodyLimit::max(HEARTBEAT_BODY_LIMIT)).with_state(state)
}

/// The dashboard, its JSON and events, login and accounts, metrics.
pub fn operator_router(state: MonitoringPages) -> Router {
    Router::new()
        .route("/", get(dashboard_get))
        .route("/login", get(login_get).post(login_post))
        .route("/logout", post(logout_post))
        .route("/ppe/{exam_id}/{ppe_code}", get(point_get))
        .route("/ppe/{exam_id}/{ppe_code}/note", post(note_post))
        .route("/admin/operators", get(operators_get).post(operators_post))
        .route("/v1/status", get(status_get))
        .route("/v1/events", get(events_get))
        .route("/metrics", get(metrics_get))
        .layer(DefaultBodyLimit::max(HEARTBEAT_BODY_LIMIT))
        .with_state(state)
}

// ---------- errors ----------

/// An answer with a stable code and a Russian message: JSON for APIs, a page for browsers.
#[derive(Debug)]
pub enum PageError {
    Json(StatusCode, &'static str, String),
    Html(StatusCode, String),
    LoginNeeded(String),
    Internal(String),
}

fn internal(e: impl std::fmt::Display) -> PageError {
    PageError::Internal(e.to_string())
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Json(status, code, message) => (status, Json(serde_json::json!({"error": code, "message": message}))).into_response(),
            PageError::Html(status, message) => (status, page_html("Ошибка", None, &format!("<h1>Ошибка</h1><p>{}</p><p><a href=\"/\">К мониторингу</a></p>", esc(&message)), "")).into_response(),
            PageError::LoginNeeded(next) => Redirect::to(&format!("/login?next={}", url_encode(&next))).into_response(),
            PageError::Internal(cause) => {
                let id = accounts::random_token().map(|t| t[..12].to_string()).unwrap_or_default();
                tracing::error!(request_id = %id, "monitoring: {cause}");
                (StatusCode::INTERNAL_SERVER_ERROR, page_html("Ошибка", None, &format!("<h1>Внутренняя ошибка РЦОИ</h1><p>Код запроса: {id}</p>"), "")).into_response()
            }
        }
    }
}

fn monitoring_error(e: MonitoringError) -> PageError {
    let status = match &e {
        MonitoringError::NoIdentity | MonitoringError::WrongExamPoint { .. } | MonitoringError::NotAssigned { .. } => StatusCode::FORBIDDEN,
        MonitoringError::Malformed(_) => StatusCode::UNPROCESSABLE_ENTITY,
        MonitoringError::UnknownExam(_) => StatusCode::NOT_FOUND,
        MonitoringError::Store(_) => return PageError::Internal(e.to_string()),
    };
    PageError::Json(status, e.code(), e.to_string())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, PageError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)
}

// ---------- the box ----------

async fn heartbeat_post(State(state): State<MonitoringPages>, caller: Caller, body: Bytes) -> Result<Json<super::live::HeartbeatAck>, PageError> {
    let report: HeartbeatReport = serde_json::from_slice(&body).map_err(|e| monitoring_error(MonitoringError::Malformed(format!("JSON: {e}"))))?;
    let code = report.ppe_code.clone();
    // Memory only (the writer thread does the SQL): no blocking pool needed.
    match state.hub.accept(caller.0.as_ref(), report) {
        Ok(ack) => Ok(Json(ack)),
        Err(e) => {
            tracing::warn!(ppe = %code, reason = e.code(), "heartbeat refused");
            Err(monitoring_error(e))
        }
    }
}

// ---------- sessions ----------

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}", if secure { "; Secure" } else { "" })
}

/// A logged-in operator (redirects a browser to the login page, answers 401 to an API call).
pub struct OperatorSession {
    pub session: Session,
    pub token: String,
}

impl FromRequestParts<MonitoringPages> for OperatorSession {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &MonitoringPages) -> Result<Self, Self::Rejection> {
        let wants_html = !(parts.uri.path().starts_with("/v1/") || parts.uri.path() == "/metrics");
        let refuse = || {
            if wants_html {
                PageError::LoginNeeded(parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into()))
            } else {
                PageError::Json(StatusCode::UNAUTHORIZED, "login_required", "войдите в систему мониторинга РЦОИ".into())
            }
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())) else { return Err(refuse()) };
        let hub = state.hub.clone();
        let t = token.clone();
        let found = blocking(move || hub.with_db(|c| accounts::session_get(c, &t, hub.clock().now()))).await?.map_err(internal)?;
        match found {
            Some(session) => Ok(OperatorSession { session, token }),
            None => Err(refuse()),
        }
    }
}

impl OperatorSession {
    fn require(&self, role: OperatorRole) -> Result<(), PageError> {
        if self.session.role.allows(role) {
            Ok(())
        } else {
            Err(PageError::Html(StatusCode::FORBIDDEN, format!("недостаточно прав: нужна роль «{}»", role.title_ru())))
        }
    }

    fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        if accounts::constant_time_eq(&self.session.csrf_token, sent) {
            Ok(())
        } else {
            Err(PageError::Html(StatusCode::FORBIDDEN, "форма устарела или подделана (CSRF): обновите страницу и повторите".into()))
        }
    }
}

// ---------- page frame ----------

const STYLE: &str = "body{font:14px/1.4 'DejaVu Sans',Arial,sans-serif;margin:0;color:#212121;background:#f5f6f8}\
header{background:#1a237e;color:#fff;padding:10px 20px;display:flex;align-items:center;gap:20px}\
header h1{font-size:18px;margin:0;flex:1}header a{color:#fff}header form{margin:0}\
main{padding:14px 20px}.filters{display:flex;gap:10px;align-items:center;margin-bottom:12px}\
.cards{display:flex;gap:10px;flex-wrap:wrap;margin-bottom:12px}.card{background:#fff;border-radius:6px;padding:8px 14px;box-shadow:0 1px 2px #0002;min-width:110px}\
.card b{display:block;font-size:22px}.card span{font-size:12px;color:#555}\
.funnel{display:flex;gap:0;margin-bottom:12px;background:#fff;border-radius:6px;box-shadow:0 1px 2px #0002;overflow:hidden}\
.step{flex:1;padding:8px 14px;border-right:1px solid #eee}.step b{font-size:20px;display:block}.step span{font-size:12px;color:#555}\
.bar{height:6px;background:#e0e0e0;border-radius:3px;margin-top:4px}.bar i{display:block;height:6px;background:#2e7d32;border-radius:3px}\
.pre{background:#fff;border-radius:6px;padding:8px 14px;box-shadow:0 1px 2px #0002;margin-bottom:12px;font-size:13px}\
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0002}\
th{background:#e8eaf6;text-align:left;padding:6px 8px;font-size:12px;position:sticky;top:0}\
td{padding:5px 8px;border-top:1px solid #eee;vertical-align:top}td small,.small{color:#666;font-size:11px;display:block}\
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 9px;font-size:12px;white-space:nowrap}\
progress{width:110px;vertical-align:middle}.err{color:#b71c1c;font-size:12px}.live{font-size:12px}\
dl{display:grid;grid-template-columns:260px 1fr;gap:4px 12px;background:#fff;padding:10px 14px;border-radius:6px}dt{color:#555}\
pre{background:#fff;padding:10px;border-radius:6px;overflow:auto;font-size:12px}";

fn page_html(title: &str, who: Option<&OperatorSession>, body: &str, script: &str) -> Response {
    let nonce = accounts::random_token().map(|t| t[..32].to_string()).unwrap_or_default();
    let user = who
        .map(|s| {
            format!(
                "<span>{} ({})</span>{}<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Выйти</button></form>",
                esc(&s.session.login),
                s.session.role.title_ru(),
                if s.session.role.allows(OperatorRole::Admin) { "<a href=\"/admin/operators\">Операторы</a>" } else { "" },
                esc(&s.session.csrf_token)
            )
        })
        .unwrap_or_default();
    let script = if script.is_empty() { String::new() } else { format!("<script nonce=\"{nonce}\">{script}</script>") };
    let html = format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head>\
         <body><header><h1><a href=\"/\" style=\"text-decoration:none\">РЦОИ — мониторинг ППЭ</a></h1>{user}</header><main>{body}</main>{script}</body></html>",
        title = esc(title)
    );
    let mut resp = Html(html).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("default-src 'self'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A local redirect target only (never another site).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".into(),
    }
}

// ---------- login ----------

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    error: Option<String>,
}

async fn login_get(State(state): State<MonitoringPages>, Query(q): Query<LoginQuery>) -> Result<Response, PageError> {
    let csrf = accounts::random_token().map_err(internal)?;
    let error = q.error.as_deref().map(|e| format!("<p class=\"err\">{}</p>", esc(e))).unwrap_or_default();
    let body = format!(
        "<h2>Вход для операторов РЦОИ</h2>{error}<form method=\"post\" action=\"/login\" style=\"display:grid;gap:8px;max-width:320px\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label>Логин <input name=\"login\" id=\"login\" autocomplete=\"username\" required></label>\
         <label>Пароль <input name=\"password\" id=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\
         <button id=\"submit\">Войти</button></form>",
        next = esc(&safe_next(q.next.as_deref()))
    );
    let mut resp = page_html("Вход — РЦОИ", None, &body, "");
    if let Ok(v) = HeaderValue::from_str(&set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, state.secure_cookies)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login_post(State(state): State<MonitoringPages>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Result<Response, PageError> {
    let next = safe_next(form.next.as_deref());
    let again = |msg: &str| Redirect::to(&format!("/login?next={}&error={}", url_encode(&next), url_encode(msg))).into_response();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !accounts::constant_time_eq(&expected, &form.csrf) {
        return Ok(again("форма входа устарела, повторите вход"));
    }
    let hub = state.hub.clone();
    let result = blocking(move || {
        hub.with_db(|c| {
            let now = hub.clock().now();
            let op = accounts::authenticate(c, &form.login, &form.password, now)?;
            accounts::session_start(c, &op, now)
        })
    })
    .await?;
    match result {
        Ok((token, _)) => {
            let mut resp = Redirect::to(&next).into_response();
            let h = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, &token, accounts::SESSION_HOURS * 3600, state.secure_cookies)) {
                h.append(header::SET_COOKIE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&set_cookie(LOGIN_CSRF_COOKIE, "", 0, state.secure_cookies)) {
                h.append(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        Err(e @ (OperatorError::BadCredentials | OperatorError::Locked(_))) => Ok(again(&e.to_string())),
        Err(e) => Err(internal(e)),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout_post(State(state): State<MonitoringPages>, who: OperatorSession, Form(form): Form<CsrfForm>) -> Result<Response, PageError> {
    who.check_csrf(&form.csrf)?;
    let hub = state.hub.clone();
    let token = who.token.clone();
    blocking(move || hub.with_db(|c| accounts::session_end(c, &token))).await?.map_err(internal)?;
    let mut resp = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

// ---------- dashboard ----------

#[derive(Deserialize, Default)]
pub struct StatusQuery {
    pub exam: Option<String>,
    pub ate: Option<String>,
}

fn local_hm(t: &str, offset_min: i32) -> String {
    match (parse_time(t), chrono::FixedOffset::east_opt(offset_min * 60)) {
        (Some(t), Some(o)) => t.with_timezone(&o).format("%H:%M").to_string(),
        _ => String::new(),
    }
}

fn upload_cell(r: &PointRow) -> String {
    if r.bytes_total == 0 && r.files_total == 0 {
        return if r.receipt_id.is_some() { "квитанция получена".into() } else { "—".into() };
    }
    let pct = r.upload_percent().unwrap_or(0);
    let rate = r.rate_bytes_per_second.map(|b| format!(" · {}/с", bytes_text(b))).unwrap_or_default();
    format!("<progress max=\"100\" value=\"{pct}\"></progress> {pct}%<small>{} из {} · файлов {}/{}{rate}</small>", bytes_text(r.bytes_done), bytes_text(r.bytes_total), r.files_done, r.files_total)
}

fn error_cell(r: &PointRow) -> String {
    let mut parts: Vec<String> = r.last_error.iter().cloned().collect();
    parts.extend(r.alarms.iter().cloned());
    esc(&parts.join("; "))
}

fn row_html(r: &PointRow, offset_min: i32, now: chrono::DateTime<chrono::Utc>) -> String {
    let deadline = parse_time(&r.deadline);
    format!(
        "<tr id=\"r-{exam}-{code}\" data-sev=\"{sev}\" data-deadline=\"{dl}\" data-seen=\"{seen_at}\" data-code=\"{code}\">\
         <td class=\"h\"><span class=\"badge\" style=\"background:{colour}\">{health}</span><small class=\"reason\">{reason}</small></td>\
         <td><a href=\"/ppe/{exam}/{code}\">{code}</a><small>{name}</small></td><td>{ate}</td>\
         <td class=\"stage\">{stage}<small>{since}</small></td><td class=\"up\">{upload}</td>\
         <td class=\"pages\">{scanned}/{expected}<small>принято {received}, проверено {verified}</small></td>\
         <td class=\"left\">{left}</td><td class=\"seen\">{seen}</td><td class=\"off\">{offset}</td><td class=\"err\">{error}</td></tr>",
        exam = esc(&r.exam_id),
        code = esc(&r.ppe_code),
        sev = r.health.severity(),
        dl = esc(&r.deadline),
        seen_at = esc(r.last_seen_at.as_deref().unwrap_or("")),
        colour = r.health.colour(),
        health = r.health.title_ru(),
        reason = esc(&r.reason),
        name = esc(&r.name),
        ate = esc(&r.ate_name),
        stage = r.stage.title_ru(),
        since = r.stage_since.as_deref().map(|t| format!("с {}", local_hm(t, offset_min))).unwrap_or_default(),
        upload = upload_cell(r),
        scanned = r.pages_scanned,
        expected = r.pages_expected,
        received = r.pages_received,
        verified = r.pages_verified,
        left = deadline.map(|d| time_left_text(d, now)).unwrap_or_default(),
        seen = r.last_seen_at.as_deref().and_then(parse_time).map(|t| seen_ago_text(t, now)).unwrap_or_else(|| "никогда".into()),
        offset = r.clock_offset_ms.map(clock_offset_text).unwrap_or_default(),
        error = error_cell(r),
    )
}

fn summary_html(s: &Summary) -> String {
    let t = &s.totals;
    let card = |id: &str, n: u32, label: &str, colour: &str| format!("<div class=\"card\" style=\"border-left:4px solid {colour}\"><b id=\"t-{id}\">{n}</b><span>{label}</span></div>");
    let mut cards = card("points", t.points, "ППЭ всего", "#1a237e");
    for h in [Health::Done, Health::OnTrack, Health::AtRisk, Health::Stalled, Health::Late, Health::Silent, Health::NotStarted] {
        cards.push_str(&card(h.code(), t.count(h), h.title_ru(), h.colour()));
    }
    let f = &s.funnel;
    let pct = |n: u64| (n.min(f.expected) * 100).checked_div(f.expected).unwrap_or(0);
    let step = |id: &str, n: u64, label: &str| format!("<div class=\"step\"><b id=\"f-{id}\">{n}</b><span>{label}</span><div class=\"bar\"><i id=\"fb-{id}\" style=\"width:{}%\"></i></div></div>", pct(n));
    let p = &s.prestart;
    format!(
        "<div class=\"cards\" id=\"totals\">{cards}</div>\
         <div class=\"funnel\" id=\"funnel\">{}{}{}{}</div>\
         <div class=\"pre\" id=\"prestart\">До начала: актуальная версия пакета проверена в <b id=\"p-current\">{}</b> ППЭ из {}, устаревшая — в <b id=\"p-outdated\">{}</b>; \
         ключ выдан РЦОИ <b id=\"p-released\">{}</b>, получен в ППЭ <b id=\"p-received\">{}</b>; печать подтверждена в <b id=\"p-printed\">{}</b>.</div>",
        step("expected", f.expected, "страниц ожидается (явка × листы)"),
        step("scanned", f.scanned, "отсканировано"),
        step("received", f.received, "получено РЦОИ"),
        step("verified", f.verified, "проверено (готово)"),
        p.current_version_verified,
        p.points,
        p.outdated_version,
        p.key_released,
        p.key_received,
        p.printed
    )
}

async fn dashboard_get(State(state): State<MonitoringPages>, who: OperatorSession, Query(q): Query<StatusQuery>) -> Result<Response, PageError> {
    let hub = state.hub.clone();
    let (view, exams, ates) = blocking(move || {
        let exam = q.exam.filter(|e| !e.is_empty()).or_else(|| hub.default_exam());
        let ate = q.ate.filter(|a| !a.is_empty());
        let view = hub.status(exam.as_deref(), ate.as_deref());
        let ates = exam.as_deref().map(|e| hub.ates_of_exam(e)).unwrap_or_default();
        (view, hub.exams(), ates)
    })
    .await?;
    let now = state.hub.clock().now();
    let exam_id = view.exam_id.clone().unwrap_or_default();
    let offset_min = exams.iter().find(|e| e.exam_id == exam_id).map(|e| e.utc_offset_min).unwrap_or(180);
    let mut exam_options = String::new();
    for e in &exams {
        let _ = write!(
            exam_options,
            "<option value=\"{id}\"{sel}>{date} {kind} {subject} ({id})</option>",
            id = esc(&e.exam_id),
            sel = if e.exam_id == exam_id { " selected" } else { "" },
            date = esc(&e.date),
            kind = e.kind.title_ru(),
            subject = esc(&e.subject_name)
        );
    }
    let ate = view.ate_code.clone().unwrap_or_default();
    let mut ate_options = String::from("<option value=\"\">все АТЕ</option>");
    for (code, name) in &ates {
        let _ = write!(ate_options, "<option value=\"{c}\"{sel}>{n}</option>", c = esc(code), sel = if *code == ate { " selected" } else { "" }, n = esc(name));
    }
    let mut rows = String::with_capacity(view.rows.len() * 700);
    for r in &view.rows {
        rows.push_str(&row_html(r, offset_min, now));
    }
    let truth = match view.upload_truth {
        super::UploadTruth::HubRecords => "получено и проверено — по записям РЦОИ",
        super::UploadTruth::BoxReports => "получено и проверено — по сообщениям станций",
    };
    let body = format!(
        "<form class=\"filters\" method=\"get\" action=\"/\"><label>Экзамен <select name=\"exam\">{exam_options}</select></label>\
         <label>АТЕ <select name=\"ate\">{ate_options}</select></label><button>Показать</button>\
         <span class=\"live\" id=\"live\">● подключение…</span><span class=\"small\">Время РЦОИ: <span id=\"now\">{now_text}</span>; {truth}</span></form>\
         {summary}\
         <table id=\"points\"><thead><tr><th>Состояние</th><th>ППЭ</th><th>АТЕ</th><th>Этап</th><th>Выгрузка</th><th>Страницы</th><th>До срока</th><th>Связь</th><th>Часы ППЭ</th><th>Ошибка</th></tr></thead>\
         <tbody id=\"rows\">{rows}</tbody></table>",
        now_text = local_hm(&view.hub_time, offset_min),
        summary = summary_html(&view.summary),
    );
    let titles = serde_json::json!({
        "stage": Stage::ALL.iter().map(|s| (s.code(), s.title_ru())).collect::<std::collections::BTreeMap<_, _>>(),
        "health": Health::ALL.iter().map(|h| (h.code(), (h.title_ru(), h.colour(), h.severity()))).collect::<std::collections::BTreeMap<_, _>>(),
    });
    let script = format!(
        "const EXAM={exam},ATE={ate},SEQ={seq},OFFSET_MIN={offset_min},T={titles};let skew=Date.parse({now})-Date.now();{DASHBOARD_JS}",
        exam = script_json(&serde_json::Value::String(exam_id)),
        ate = script_json(&serde_json::Value::String(ate)),
        seq = view.seq,
        titles = script_json(&titles),
        now = script_json(&serde_json::Value::String(view.hub_time.clone())),
    );
    Ok(page_html("Мониторинг — РЦОИ", Some(&who), &body, &script))
}

/// JSON safe inside a `<script>` element: `<`, `>` and `&` escaped, so a value (an АТЕ code
/// from the query string) can never close the element.
pub fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// The dashboard's live part: applies compact changes from `/v1/events` to the rows, totals
/// and funnel, keeps "time left" and "seen ago" counting, and re-sorts when a colour changes.
const DASHBOARD_JS: &str = r#"
const $=id=>document.getElementById(id);
function esc(s){return String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));}
function dur(ms){const m=Math.floor(ms/60000);if(m>=60)return Math.floor(m/60)+' ч '+String(m%60).padStart(2,'0')+' мин';if(m>=1)return m+' мин';return Math.max(0,Math.floor(ms/1000))+' с';}
function left(dl,now){const d=Date.parse(dl)-now;return d<0?'−'+dur(-d):dur(d);}
function hm(t){if(!t)return '';const d=new Date(Date.parse(t)+OFFSET_MIN*60000);return String(d.getUTCHours()).padStart(2,'0')+':'+String(d.getUTCMinutes()).padStart(2,'0');}
function bytes(b){const u=['Б','КБ','МБ','ГБ','ТБ'];let v=b,i=0;while(v>=1024&&i<u.length-1){v/=1024;i++;}return i==0?b+' Б':v.toFixed(1)+' '+u[i];}
function off(ms){const s=ms<0?'−':'+',a=Math.abs(ms);return a<60000?s+(a/1000).toFixed(1)+' с':s+Math.floor(a/60000)+' мин '+Math.floor((a%60000)/1000)+' с';}
function upload(r){if(!r.bytes_total&&!r.files_total)return r.receipt_id?'квитанция получена':'—';const p=r.bytes_total?Math.floor(Math.min(r.bytes_done,r.bytes_total)*100/r.bytes_total):0;
 const rate=r.rate_bytes_per_second!=null?' · '+bytes(r.rate_bytes_per_second)+'/с':'';
 return '<progress max="100" value="'+p+'"></progress> '+p+'%<small>'+bytes(r.bytes_done)+' из '+bytes(r.bytes_total)+' · файлов '+r.files_done+'/'+r.files_total+rate+'</small>';}
function apply(r){const tr=$('r-'+r.exam_id+'-'+r.ppe_code);if(!tr)return false;const h=T.health[r.health];const c=tr.cells;
 const moved=tr.dataset.sev!=String(h[2]);tr.dataset.sev=h[2];tr.dataset.deadline=r.deadline;tr.dataset.seen=r.last_seen_at||'';
 c[0].innerHTML='<span class="badge" style="background:'+h[1]+'">'+esc(h[0])+'</span><small class="reason">'+esc(r.reason)+'</small>';
 c[3].innerHTML=esc(T.stage[r.stage]||r.stage)+'<small>'+(r.stage_since?'с '+hm(r.stage_since):'')+'</small>';
 c[4].innerHTML=upload(r);
 c[5].innerHTML=r.pages_scanned+'/'+r.pages_expected+'<small>принято '+r.pages_received+', проверено '+r.pages_verified+'</small>';
 c[8].textContent=r.clock_offset_ms!=null?off(r.clock_offset_ms):'';
 c[9].textContent=[r.last_error].concat(r.alarms||[]).filter(Boolean).join('; ');
 tr.classList.add('fresh');return moved;}
function summary(s){for(const k of ['points','done','on_track','at_risk','stalled','late','silent','not_started']){const e=$('t-'+k);if(e)e.textContent=s.totals[k];}
 const f=s.funnel;for(const k of ['expected','scanned','received','verified']){$('f-'+k).textContent=f[k];$('fb-'+k).style.width=(f.expected?Math.min(100,Math.floor(f[k]*100/f.expected)):0)+'%';}
 const p=s.prestart;$('p-current').textContent=p.current_version_verified;$('p-outdated').textContent=p.outdated_version;$('p-released').textContent=p.key_released;$('p-received').textContent=p.key_received;$('p-printed').textContent=p.printed;}
function sortRows(){const tb=$('rows');const rows=Array.from(tb.rows);rows.sort((a,b)=>(a.dataset.sev-b.dataset.sev)||(a.dataset.deadline<b.dataset.deadline?-1:a.dataset.deadline>b.dataset.deadline?1:0)||(a.dataset.code<b.dataset.code?-1:1));
 const frag=document.createDocumentFragment();rows.forEach(r=>frag.appendChild(r));tb.appendChild(frag);}
function clocks(){const now=Date.now()+skew;$('now').textContent=hm(new Date(now).toISOString());
 for(const tr of $('rows').rows){tr.cells[6].textContent=left(tr.dataset.deadline,now);tr.cells[7].textContent=tr.dataset.seen?dur(now-Date.parse(tr.dataset.seen))+' назад':'никогда';}}
let last=SEQ;
function connect(){const es=new EventSource('/v1/events?since='+last);
 es.onopen=()=>{$('live').textContent='● обновляется';$('live').style.color='#2e7d32';};
 es.onerror=()=>{$('live').textContent='● нет связи с РЦОИ, переподключение…';$('live').style.color='#b71c1c';};
 es.onmessage=e=>{const m=JSON.parse(e.data);if(m.seq<=last&&m.rows.length==0)return;last=Math.max(last,m.seq);skew=Date.parse(m.now)-Date.now();let moved=false;
  for(const r of m.rows){if(r.exam_id!==EXAM)continue;if(ATE&&r.ate_code!==ATE)continue;if(apply(r))moved=true;}
  if(moved)sortRows();const s=m.summaries[ATE?EXAM+'|'+ATE:EXAM];if(s)summary(s);clocks();};}
connect();setInterval(clocks,1000);
"#;

async fn status_get(State(state): State<MonitoringPages>, _who: OperatorSession, Query(q): Query<StatusQuery>) -> Result<Json<super::live::StatusView>, PageError> {
    let hub = state.hub.clone();
    let view = blocking(move || hub.status(q.exam.as_deref().filter(|e| !e.is_empty()), q.ate.as_deref().filter(|a| !a.is_empty()))).await?;
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

// ---------- a point ----------

async fn point_get(State(state): State<MonitoringPages>, who: OperatorSession, Path((exam_id, ppe_code)): Path<(String, String)>) -> Result<Response, PageError> {
    let hub = state.hub.clone();
    let (e2, p2) = (exam_id.clone(), ppe_code.clone());
    let (row, timeline, history, receipt, exam) = blocking(move || -> Result<_, PageError> {
        if !hub.point_known(&e2, &p2) {
            return Err(PageError::Html(StatusCode::NOT_FOUND, format!("ППЭ {p2} не назначен на экзамен {e2}")));
        }
        let row = hub.row(&e2, &p2);
        let exam = hub.exams().into_iter().find(|e| e.exam_id == e2);
        let (timeline, history, receipt) = hub
            .with_db(|c| -> Result<_, String> {
                Ok((
                    super::store::timeline_for_point(c, &e2, &p2).map_err(|e| e.to_string())?,
                    super::store::heartbeat_history_for_point(c, &e2, &p2, 30).map_err(|e| e.to_string())?,
                    super::store::hub_receipt_for_point(c, &e2, &p2).map_err(|e| e.to_string())?,
                ))
            })
            .map_err(internal)?;
        Ok((row, timeline, history, receipt, exam))
    })
    .await??;
    let Some(r) = row else { return Err(PageError::Html(StatusCode::NOT_FOUND, "нет данных по этому ППЭ".into())) };
    let offset_min = exam.as_ref().map(|e| e.utc_offset_min).unwrap_or(180);
    let now = state.hub.clock().now();
    let yes = |b: bool| if b { "да" } else { "нет" };
    let v = |o: Option<u64>| o.map(|v| format!("v{v}")).unwrap_or_else(|| "—".into());
    let local = |t: &str| {
        let d = parse_time(t).and_then(|t| chrono::FixedOffset::east_opt(offset_min * 60).map(|o| t.with_timezone(&o)));
        d.map(|d| d.format("%d.%m %H:%M:%S").to_string()).unwrap_or_else(|| t.to_string())
    };
    let a = &r.attendance;
    let mut body = format!(
        "<p><a href=\"/?exam={exam}\">← ко всем ППЭ</a></p><h2>ППЭ {code}: {name}</h2><p>{ate} · экзамен {exam}</p>\
         <p><span class=\"badge\" style=\"background:{colour}\">{health}</span> {reason}</p><dl>\
         <dt>Этап</dt><dd>{stage} {since}</dd><dt>Срок выгрузки</dt><dd>{deadline} (осталось {left})</dd>\
         <dt>Последний отчёт</dt><dd>{seen}</dd><dt>Часы станции</dt><dd>{offset}</dd>\
         <dt>Пакет: проверен / опубликован</dt><dd>{mv} / {pv}</dd><dt>Ключ: выдан РЦОИ / получен ППЭ</dt><dd>{kr} / {kg}</dd>\
         <dt>Печать подтверждена</dt><dd>{printed}</dd><dt>Рассадка</dt><dd>{seated}</dd>\
         <dt>Явка</dt><dd>по плану {planned}, явились {present}, не явились {absent}, удалены {removed}, досрочно {early}{closed}</dd>\
         <dt>Страницы</dt><dd>ожидается {pe}, отсканировано {ps}, получено РЦОИ {pr}, проверено {pvf}</dd>\
         <dt>Выгрузка</dt><dd>{upload}</dd><dt>Ошибка, тревоги</dt><dd class=\"err\">{error}</dd></dl>",
        exam = esc(&r.exam_id),
        code = esc(&r.ppe_code),
        name = esc(&r.name),
        ate = esc(&r.ate_name),
        colour = r.health.colour(),
        health = r.health.title_ru(),
        reason = esc(&r.reason),
        stage = r.stage.title_ru(),
        since = r.stage_since.as_deref().map(|t| format!("с {}", local(t))).unwrap_or_default(),
        deadline = local(&r.deadline),
        left = parse_time(&r.deadline).map(|d| time_left_text(d, now)).unwrap_or_default(),
        seen = r.last_seen_at.as_deref().map(|t| format!("{} ({})", local(t), parse_time(t).map(|p| seen_ago_text(p, now)).unwrap_or_default())).unwrap_or_else(|| "никогда".into()),
        offset = r.clock_offset_ms.map(clock_offset_text).unwrap_or_else(|| "—".into()),
        mv = v(r.materials.manifest_version.filter(|_| r.materials.verified)),
        pv = v(r.published_version),
        kr = yes(r.key_released),
        kg = yes(r.materials.key_received),
        printed = yes(r.materials.printed),
        seated = if r.seating_done { "выполнена" } else { "нет" },
        planned = a.planned,
        present = a.present,
        absent = a.absent,
        removed = a.removed,
        early = a.early,
        closed = if a.closed { " (явка закрыта)" } else { "" },
        pe = r.pages_expected,
        ps = r.pages_scanned,
        pr = r.pages_received,
        pvf = r.pages_verified,
        upload = upload_cell(&r),
        error = error_cell(&r),
    );
    body.push_str("<h3>Квитанция РЦОИ</h3>");
    match &receipt {
        Some((manifest, at, json)) => {
            let pretty = serde_json::from_str::<serde_json::Value>(json).ok().and_then(|v| serde_json::to_string_pretty(&v).ok()).unwrap_or_else(|| json.clone());
            let _ = write!(body, "<p>Пакет выгрузки {} принят {}.</p><pre id=\"receipt\">{}</pre>", esc(manifest), esc(&local(at)), esc(&pretty));
        }
        None => match &r.receipt_id {
            Some(id) => {
                let _ = write!(body, "<p>Станция сообщает о квитанции {}.</p>", esc(id));
            }
            None => body.push_str("<p>Квитанции пока нет.</p>"),
        },
    }
    body.push_str("<h3>Хронология</h3><table><thead><tr><th>Время</th><th>Событие</th></tr></thead><tbody id=\"timeline\">");
    for e in &timeline {
        let what = match e.kind.as_str() {
            "stage" => format!("этап: {}", Stage::parse(&e.detail).title_ru()),
            "error" => format!("ошибка: {}", esc(&e.detail)),
            "receipt" => format!("станция получила квитанцию {}", esc(&e.detail)),
            "note" => format!("заметка {}: {}", esc(e.operator_login.as_deref().unwrap_or("")), esc(&e.detail)),
            other => esc(other),
        };
        let _ = write!(body, "<tr><td>{}</td><td>{what}</td></tr>", esc(&local(&e.at)));
    }
    body.push_str("</tbody></table>");
    if who.session.role.allows(OperatorRole::Operator) {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"/ppe/{}/{}/note\" style=\"margin-top:8px;display:flex;gap:8px\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <input name=\"text\" maxlength=\"500\" required style=\"flex:1\" placeholder=\"Заметка (например: дозвонились, связь восстанавливают)\"><button>Добавить заметку</button></form>",
            esc(&r.exam_id),
            esc(&r.ppe_code),
            esc(&who.session.csrf_token)
        );
    }
    body.push_str("<h3>Последние отчёты</h3><table><thead><tr><th>Получен</th><th>Этап</th><th>Байт</th><th>Файлов</th><th>Страниц</th><th>Ошибка</th></tr></thead><tbody>");
    for h in history.iter().rev() {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td><td class=\"err\">{}</td></tr>",
            esc(&local(&h.received_at)),
            Stage::parse(&h.stage).title_ru(),
            bytes_text(h.bytes_done),
            bytes_text(h.bytes_total),
            h.files_done,
            h.pages_scanned,
            esc(h.last_error.as_deref().unwrap_or(""))
        );
    }
    body.push_str("</tbody></table>");
    Ok(page_html(&format!("ППЭ {} — РЦОИ", r.ppe_code), Some(&who), &body, ""))
}

#[derive(Deserialize)]
struct NoteForm {
    csrf: String,
    text: String,
}

async fn note_post(State(state): State<MonitoringPages>, who: OperatorSession, Path((exam_id, ppe_code)): Path<(String, String)>, Form(form): Form<NoteForm>) -> Result<Response, PageError> {
    who.check_csrf(&form.csrf)?;
    who.require(OperatorRole::Operator)?;
    let text = form.text.trim().chars().take(500).collect::<String>();
    if text.is_empty() {
        return Err(PageError::Html(StatusCode::UNPROCESSABLE_ENTITY, "пустая заметка".into()));
    }
    let hub = state.hub.clone();
    let (e2, p2, login) = (exam_id.clone(), ppe_code.clone(), who.session.login.clone());
    blocking(move || -> Result<(), PageError> {
        if !hub.point_known(&e2, &p2) {
            return Err(PageError::Html(StatusCode::NOT_FOUND, format!("ППЭ {p2} не назначен на экзамен {e2}")));
        }
        let now = hub.clock().now_rfc3339();
        hub.with_db(|c| -> Result<(), String> {
            let tx = c.transaction().map_err(|e| e.to_string())?;
            let id = super::store::note_insert(&tx, &e2, &p2, &now, &login, &text).map_err(|e| e.to_string())?;
            // The note's text may name people; the audit log keeps ids only.
            crate::audit::store::append(&tx, &now, crate::audit::NewEntry { actor: &login, action: "monitoring.note_add", object: &p2, details: serde_json::json!({"exam_id": e2, "note_id": id}) })
                .map_err(|e| e.to_string())?;
            tx.commit().map_err(|e| e.to_string())
        })
        .map_err(internal)
    })
    .await??;
    Ok(Redirect::to(&format!("/ppe/{}/{}", url_encode(&exam_id), url_encode(&ppe_code))).into_response())
}

// ---------- operator accounts ----------

async fn operators_get(State(state): State<MonitoringPages>, who: OperatorSession) -> Result<Response, PageError> {
    who.require(OperatorRole::Admin)?;
    let hub = state.hub.clone();
    let list = blocking(move || hub.with_db(|c| super::accounts_store::operator_list(c))).await?.map_err(internal)?;
    let mut body = String::from("<h2>Операторы РЦОИ</h2><table><thead><tr><th>Логин</th><th>Роль</th><th>Заблокирован до</th></tr></thead><tbody>");
    for (login, role, locked) in &list {
        let role = OperatorRole::parse(role).map(|r| r.title_ru()).unwrap_or("?");
        let _ = write!(body, "<tr><td>{}</td><td>{role}</td><td>{}</td></tr>", esc(login), esc(locked.as_deref().unwrap_or("")));
    }
    let _ = write!(
        body,
        "</tbody></table><h3>Новый оператор</h3><form method=\"post\" action=\"/admin/operators\" style=\"display:grid;gap:8px;max-width:360px\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><label>Логин <input name=\"login\" required></label>\
         <label>Роль <select name=\"role\"><option value=\"viewer\">наблюдатель</option><option value=\"operator\">оператор</option><option value=\"admin\">администратор</option></select></label>\
         <label>Пароль <input name=\"password\" type=\"password\" minlength=\"8\" required></label><button>Создать</button></form>",
        esc(&who.session.csrf_token)
    );
    Ok(page_html("Операторы — РЦОИ", Some(&who), &body, ""))
}

#[derive(Deserialize)]
struct NewOperatorForm {
    csrf: String,
    login: String,
    role: String,
    password: String,
}

async fn operators_post(State(state): State<MonitoringPages>, who: OperatorSession, Form(form): Form<NewOperatorForm>) -> Result<Response, PageError> {
    who.check_csrf(&form.csrf)?;
    who.require(OperatorRole::Admin)?;
    let role = OperatorRole::parse(&form.role).ok_or_else(|| PageError::Html(StatusCode::UNPROCESSABLE_ENTITY, "неизвестная роль".into()))?;
    let hub = state.hub.clone();
    let actor = who.session.login.clone();
    let result = blocking(move || hub.with_db(|c| accounts::create_operator(c, form.login.trim(), role, &form.password, &hub.clock().now_rfc3339(), &actor))).await?;
    match result {
        Ok(_) => Ok(Redirect::to("/admin/operators").into_response()),
        Err(e @ OperatorError::Store(_)) => Err(internal(e)),
        Err(e) => Err(PageError::Html(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
    }
}

// ---------- metrics ----------

fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Prometheus text exposition of the monitoring's own counters and the region's state.
pub fn metrics_text(hub: &MonitoringHub) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    let c = hub.counters();
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, u64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in lines {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    metric("ppe_monitoring_reports_accepted_total", "counter", "Heartbeats accepted.", vec![(String::new(), c.reports_accepted.load(Relaxed))]);
    metric(
        "ppe_monitoring_reports_refused_total",
        "counter",
        "Heartbeats refused, by reason.",
        c.refused().into_iter().map(|(r, n)| (format!("{{reason=\"{r}\"}}"), n)).collect(),
    );
    metric("ppe_monitoring_reports_persisted_total", "counter", "Heartbeats committed to the hub database.", vec![(String::new(), c.reports_persisted.load(Relaxed))]);
    metric("ppe_monitoring_write_batches_total", "counter", "Transactions of the heartbeat writer.", vec![(String::new(), c.write_batches.load(Relaxed))]);
    metric("ppe_monitoring_write_errors_total", "counter", "Heartbeat batches that failed to commit.", vec![(String::new(), c.write_errors.load(Relaxed))]);
    metric("ppe_monitoring_events_sent_total", "counter", "Change messages broadcast to dashboards.", vec![(String::new(), c.events_sent.load(Relaxed))]);
    metric("ppe_monitoring_dashboard_clients", "gauge", "Dashboards connected for live updates.", vec![(String::new(), hub.sse_clients() as u64)]);
    let rows = hub.rows(None, None);
    let mut by_exam: std::collections::BTreeMap<String, Vec<&PointRow>> = std::collections::BTreeMap::new();
    for r in &rows {
        by_exam.entry(r.exam_id.clone()).or_default().push(r);
    }
    let summaries: Vec<(String, Summary)> = by_exam.iter().map(|(e, rs)| (e.clone(), super::summarize(rs.iter().copied()))).collect();
    let mut points = Vec::new();
    let mut pages = Vec::new();
    for (exam, s) in &summaries {
        for h in Health::ALL {
            points.push((format!("{{exam_id=\"{}\",health=\"{}\"}}", label(exam), h.code()), u64::from(s.totals.count(h))));
        }
        for (step, n) in [("expected", s.funnel.expected), ("scanned", s.funnel.scanned), ("received", s.funnel.received), ("verified", s.funnel.verified)] {
            pages.push((format!("{{exam_id=\"{}\",step=\"{step}\"}}", label(exam)), n));
        }
    }
    metric("ppe_monitoring_points", "gauge", "Exam points by health.", points);
    metric("ppe_monitoring_pages", "gauge", "Pages of an exam by funnel step; only verified is done.", pages);
    out
}

async fn metrics_get(State(state): State<MonitoringPages>) -> Result<Response, PageError> {
    let hub = state.hub.clone();
    let text = blocking(move || metrics_text(&hub)).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let v = serde_json::Value::String("</script><script>alert(1)</script>".into());
        let out = script_json(&v);
        assert!(!out.contains('<') && !out.contains('>'), "{out}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), v, "still the same JSON value");
    }

    #[test]
    fn login_redirects_stay_on_this_site() {
        assert_eq!(safe_next(Some("/ppe/ege-02/0101")), "/ppe/ege-02/0101");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; ppe_hub_session=abc; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        assert_eq!(url_encode("/?exam=ege 02"), "/%3Fexam%3Dege%2002");
        assert!(set_cookie("x", "y", 5, true).ends_with("; Secure"));
    }

    #[test]
    fn seq_is_read_from_the_message_head() {
        assert_eq!(seq_of("{\"seq\":42,\"now\":\"x\",\"rows\":[]}"), 42);
        assert_eq!(seq_of("garbage"), 0);
    }
}
