//! The box's web UI on the exam point's LAN: server-rendered Russian pages with a small local
//! CSS and script (the box is offline; no framework from the internet), readable on a 10"
//! tablet and printable. The technical specialist and the head of the exam point run the whole
//! exam day from it; organizers mark attendance; the ГЭК member activates the materials.
//!
//! `access` holds the one table of who may do what; `session` logs people in (accounts of
//! `accounts`, sessions in `web_session`, CSRF token per session, lockout from `accounts`);
//! `views` renders (one askama view per page), `actions` changes state by calling the domain functions (each one
//! transaction with its audit entry, as the CLI does). Handlers stay thin and run database
//! work on the blocking pool.

pub mod access;
pub mod actions;
pub mod assets;
pub mod session;
pub mod store;
pub mod views;

use std::sync::{Arc, Mutex};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::context::EdgeContext;
use crate::serial::{DeskEvent, DeskSelection};

pub use session::Staff;

/// What every handler gets.
#[derive(Clone)]
pub struct WebState {
    pub ctx: EdgeContext,
    pub desk_selection: Arc<Mutex<Option<DeskSelection>>>,
    pub desk_events: tokio::sync::broadcast::Sender<DeskEvent>,
    /// Cookies carry `Secure` when the UI is served over HTTPS by a front proxy.
    pub secure_cookies: bool,
}

/// The UI the daemon (`edge::serve`) serves on the LAN. The staff-room desk selection and
/// events are shared with the barcode reader.
pub fn lan_router(ctx: EdgeContext, desk_selection: Arc<Mutex<Option<DeskSelection>>>, desk_events: tokio::sync::broadcast::Sender<DeskEvent>) -> anyhow::Result<Router> {
    Ok(router(WebState { ctx, desk_selection, desk_events, secure_cookies: false }))
}

pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/login", get(session::login_get).post(session::login_post))
        .route("/setup", get(session::setup_get).post(session::setup_post))
        .route("/logout", post(session::logout_post))
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route("/", get(views::home::home_get))
        .route("/materials", get(views::materials::materials_get))
        .route("/materials/pull", post(actions::materials_pull))
        .route("/materials/activate", post(actions::materials_activate))
        .route("/seating", get(views::seating::seating_get))
        .route("/seating/run", post(actions::seating_run))
        .route("/seating/move", post(actions::seating_move))
        .route("/seating/close", post(actions::seating_close))
        .route("/roster", get(views::roster::roster_get))
        .route("/roster/assign", post(actions::roster_assign))
        .route("/roster/replace", post(actions::roster_replace))
        .route("/attendance", get(views::attendance::attendance_get))
        .route("/attendance/kits", post(actions::attendance_kits))
        .route("/attendance/event", post(actions::attendance_event))
        .route("/print", get(views::print::print_get))
        .route("/print/run", post(actions::print_run))
        .route("/print/act", post(actions::print_act))
        .route("/print/confirm", post(actions::print_confirm))
        .route("/print/reprint", post(actions::print_reprint))
        .route("/scanning", get(views::scanning::scanning_get))
        .route("/scanning/page", get(views::scanning::scanning_page_get))
        .route("/scanning/intake", post(actions::scanning_intake))
        .route("/scanning/assign", post(actions::scanning_assign))
        .route("/upload", get(views::upload::upload_get))
        .route("/upload/start", post(actions::upload_start))
        .route("/audit", get(views::audit::audit_get))
        .route("/desk", get(views::desk::desk_get))
        .route("/desk/events", get(views::desk::desk_events_get))
        .route("/desk/select", post(actions::desk_select))
        .route("/accounts", get(views::accounts::accounts_get))
        .route("/accounts/create", post(actions::accounts_create))
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
        .with_state(state)
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Why a request did not get its page.
#[derive(Debug)]
pub enum WebError {
    /// Not logged in: a browser goes to the login page and comes back.
    LoginNeeded(String),
    /// No accounts yet: the first start sets the administrator's password.
    SetupNeeded,
    Forbidden(String),
    /// The action was refused by the rules (a clear Russian reason), nothing changed.
    Refused(String),
    NotFound(String),
    Internal(String),
}

impl WebError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("web UI: {e}");
        WebError::Internal(e.to_string())
    }
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        WebError::Refused(format!("{e:#}"))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, text) = match self {
            WebError::LoginNeeded(next) => return redirect(&format!("/login?next={}", url_encode(&next))),
            WebError::SetupNeeded => return redirect("/setup"),
            WebError::Forbidden(t) => (StatusCode::FORBIDDEN, "Недостаточно прав", t),
            WebError::Refused(t) => (StatusCode::UNPROCESSABLE_ENTITY, "Действие не выполнено", t),
            WebError::NotFound(t) => (StatusCode::NOT_FOUND, "Не найдено", t),
            WebError::Internal(t) => (StatusCode::INTERNAL_SERVER_ERROR, "Ошибка станции", t),
        };
        let body = format!(
            "<div class=\"panel error\"><h2>{title}</h2><p>{}</p><p><a href=\"javascript:history.back()\" class=\"button\">Назад</a> <a href=\"/\" class=\"button\">На главную</a></p></div>",
            html_escape(&text)
        );
        (status, frame(title, None, &[], &body)).into_response()
    }
}

/// 303 to `to`.
pub fn redirect(to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// Runs database work off the async threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> Result<T, WebError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(WebError::from),
        Err(e) => Err(WebError::internal(e)),
    }
}

/// The navigation: (path, title, action needed to see it).
const NAV: &[(&str, &str, access::Action)] = &[
    ("/", "План дня", access::Action::ViewHome),
    ("/materials", "Материалы", access::Action::ViewMaterials),
    ("/seating", "Рассадка", access::Action::ViewSeating),
    ("/roster", "Работники", access::Action::ViewRoster),
    ("/attendance", "Явка и события", access::Action::ViewAttendance),
    ("/print", "Печать", access::Action::ViewPrint),
    ("/scanning", "Сканирование", access::Action::ViewScanning),
    ("/upload", "Выгрузка", access::Action::ViewUpload),
    ("/desk", "Штаб: выдача", access::Action::UseDesk),
    ("/audit", "Журнал", access::Action::ViewAudit),
    ("/accounts", "Учётные записи", access::Action::ManageAccounts),
];

/// The page frame: header with navigation and the user, the alarm bar, the content.
pub fn frame(title: &str, staff: Option<&Staff>, alarms: &[String], body: &str) -> Html<String> {
    let nav: String = match staff {
        Some(s) => NAV
            .iter()
            .filter(|(_, _, a)| access::allowed(s.role, *a))
            .map(|(p, t, _)| format!("<a href=\"{p}\">{t}</a>"))
            .collect::<Vec<_>>()
            .join(""),
        None => String::new(),
    };
    let user = staff
        .map(|s| {
            format!(
                "<span class=\"user\">{} ({})</span><form method=\"post\" action=\"/logout\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Выйти</button></form>",
                html_escape(&s.login),
                s.worker_role.title_ru(),
                html_escape(&s.csrf)
            )
        })
        .unwrap_or_default();
    let alarm_bar = if alarms.is_empty() {
        String::new()
    } else {
        format!("<div class=\"alarms\" id=\"alarms\">{}</div>", alarms.iter().map(|a| format!("<p>⚠ {}</p>", html_escape(a))).collect::<String>())
    };
    Html(format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} — ППЭ</title><link rel=\"stylesheet\" href=\"/static/app.css\"><script src=\"/static/app.js\" defer></script></head>\
         <body><header><h1><a href=\"/\">ППЭ</a></h1><nav>{nav}</nav>{user}</header>{alarm_bar}<main><h2>{t}</h2>{body}</main></body></html>",
        t = html_escape(title)
    ))
}
