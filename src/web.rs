//! The box's web UI on the exam point's LAN: server-rendered Russian pages with a small local
//! CSS and script (the box is offline; no framework from the internet), readable on a 10"
//! tablet and printable. The technical specialist and the head of the exam point run the whole
//! exam day from it; organizers mark attendance; the ГЭК member activates the materials.
//!
//! `access` holds the one table of who may do what; `session` logs people in (accounts of
//! `accounts`, sessions in `web_session`, the kit's cookies, CSRF, login flow and throttle); errors, request ids and security headers are the kit's (`crate::http`);
//! `views` renders (one askama view per page), `actions` changes state by calling the use cases (each one
//! transaction with its audit entry, as the CLI does). Handlers stay thin and run database
//! work on the blocking pool.

pub mod access;
pub mod actions;
pub mod assets;
pub mod security_key;
pub mod session;
pub mod store;
pub mod views;

use std::sync::{Arc, Mutex};

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
    /// The UI is served over HTTPS: cookies are `Secure` with `__Host-` names.
    pub secure_cookies: bool,
    /// Failed logins per (login, client address).
    pub throttle: Arc<crate::http::LoginThrottle>,
    /// What an action says back, kept with the session for its next page.
    pub flashes: Arc<crate::http::flash::Flashes>,
}

/// The UI the daemon (`edge::serve`) serves on the LAN. The staff-room desk selection and
/// events are shared with the barcode reader. Served over plain HTTP, which `edge::serve`
/// allows only on loopback (`http::tls`); see [`lan_router_over_https`].
pub fn lan_router(ctx: EdgeContext, desk_selection: Arc<Mutex<Option<DeskSelection>>>, desk_events: tokio::sync::broadcast::Sender<DeskEvent>) -> anyhow::Result<Router> {
    Ok(router(WebState { ctx, desk_selection, desk_events, secure_cookies: false, throttle: Default::default(), flashes: Default::default() }))
}

/// [`lan_router`] for a UI served over TLS: Secure `__Host-` cookies, HSTS on every answer.
pub fn lan_router_over_https(ctx: EdgeContext, desk_selection: Arc<Mutex<Option<DeskSelection>>>, desk_events: tokio::sync::broadcast::Sender<DeskEvent>) -> anyhow::Result<Router> {
    Ok(router(WebState { ctx, desk_selection, desk_events, secure_cookies: true, throttle: Default::default(), flashes: Default::default() }))
}

pub fn router(state: WebState) -> Router {
    let routes = Router::new()
        .route("/login", get(session::login_get).post(session::login_post))
        .route("/setup", get(session::setup_get).post(session::setup_post))
        .route("/logout", post(session::logout_post))
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route(crate::http::favicon::PATH, get(crate::http::favicon::favicon_get))
        .route("/", get(views::home::home_get))
        .route("/materials", get(views::materials::materials_get))
        .route("/materials/pull", post(actions::materials_pull))
        .route("/materials/activate", post(actions::materials_activate))
        .route("/materials/phone", get(views::phone_key::phone_key_get).post(actions::materials_phone_key))
        .route("/materials/activate/security-key/start", post(security_key::start_post))
        .route("/materials/activate/security-key/finish", post(security_key::finish_post))
        .route("/static/gek-webauthn.js", get(assets::gek_webauthn_js))
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
        .route("/scanning/marks", post(actions::scanning_marks))
        .route("/upload", get(views::upload::upload_get))
        .route("/upload/start", post(actions::upload_start))
        .route("/audit", get(views::audit::audit_get))
        .route("/desk", get(views::desk::desk_get))
        .route("/desk/events", get(views::desk::desk_events_get))
        .route("/desk/select", post(actions::desk_select))
        .route("/accounts", get(views::accounts::accounts_get))
        .route("/accounts/create", post(actions::accounts_create))
        .route("/oral", get(views::oral::oral_get))
        .route("/oral/build", post(actions::oral::oral_build))
        .route("/oral/step", post(actions::oral::oral_step))
        .route("/oral/move", post(actions::oral::oral_move))
        .route("/oral/protocols", get(views::oral::protocols::protocols_get))
        .route("/oral/score", post(actions::oral::oral_score))
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
        .with_state(state.clone());
    crate::http::layer::with_kit(routes, if state.secure_cookies { &BOX_UI_HTTPS } else { &BOX_UI })
}

pub use crate::http::{redirect, url_encode};

/// The `exam` a page or a form names must be an exam of this point's plan before it becomes a
/// path or a query: anything else is 404 and touches nothing.
pub async fn require_exam_here(state: &WebState, exam: &str) -> Result<(), WebError> {
    let (ctx, asked) = (state.ctx.clone(), exam.to_string());
    let known = blocking(move || {
        let plan = crate::plan::store::load_plan(&*ctx.db()?)?;
        Ok(crate::day::exams_here(&plan, &ctx.config.ppe_code).iter().any(|e| e.exam_id == asked))
    })
    .await?;
    if known {
        Ok(())
    } else {
        Err(WebError::NotFound("такого экзамена нет в плане этого ППЭ: выберите экзамен из списка".into()))
    }
}

/// The box UI's errors are the kit's (`LoginNeeded`, `Redirect` to the first-start setup,
/// `Forbidden`, `Refused`, `NotFound`, `Internal`), rendered by the kit's layer.
pub type WebError = crate::http::AppError;

/// What the kit needs to know of the box UI: HTML everywhere, one policy for every page (the
/// CSS and script are files of the box, nothing inline).
/// `BOX_UI` over plain HTTP (loopback only), `BOX_UI_HTTPS` with HSTS on every answer.
pub static BOX_UI: crate::http::Ui = crate::http::Ui { name: "box", api_prefixes: &["/materials/activate/security-key/"], csp: "default-src 'self'", render_error: error_page, hsts: false };
pub static BOX_UI_HTTPS: crate::http::Ui = crate::http::Ui { hsts: true, ..BOX_UI };

#[derive(askama::Template)]
#[template(path = "box/error.html")]
struct ErrorView<'a> {
    page: &'a crate::http::ErrorPage,
}

fn error_page(page: &crate::http::ErrorPage) -> String {
    use askama::Template;
    ErrorView { page }.render().unwrap_or_else(|_| page.message.clone())
}

/// Runs database work off the async threads; a domain error is a refusal with its reason.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> Result<T, WebError> {
    crate::http::error::blocking(move || f().map_err(WebError::from)).await
}

/// The navigation: (path, title, action needed to see it); the layout shows a person only what
/// their role may open.
pub const NAV: &[(&str, &str, access::Action)] = &[
    ("/", "План дня", access::Action::ViewHome),
    ("/materials", "Материалы", access::Action::ViewMaterials),
    ("/materials/phone", "Ключ по телефону", access::Action::TypePhoneCode),
    ("/seating", "Рассадка", access::Action::ViewSeating),
    ("/roster", "Работники", access::Action::ViewRoster),
    ("/attendance", "Явка и события", access::Action::ViewAttendance),
    ("/oral", "Устный экзамен", access::Action::ViewOral),
    ("/print", "Печать", access::Action::ViewPrint),
    ("/scanning", "Сканирование", access::Action::ViewScanning),
    ("/upload", "Выгрузка", access::Action::ViewUpload),
    ("/desk", "Штаб: выдача", access::Action::UseDesk),
    ("/audit", "Журнал", access::Action::ViewAudit),
    ("/accounts", "Учётные записи", access::Action::ManageAccounts),
];
