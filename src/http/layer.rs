//! The kit's one layer, put on each UI's router: a request id and a tracing span per request;
//! an `AppError` logged once (with that id, inside the span) and rendered as the UI's error
//! page — or JSON on API routes — showing the id; security headers on every answer.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::{Json, Router};
use tracing::Instrument;

use super::error::{AppError, ErrorPage};

/// What differs between the two UIs.
#[derive(Debug)]
pub struct Ui {
    /// For the logs: `box` or `hub`.
    pub name: &'static str,
    /// Paths under these prefixes answer errors in JSON (`{"error", "message", "request_id"}`).
    pub api_prefixes: &'static [&'static str],
    /// The Content-Security-Policy of answers that set none themselves.
    pub csp: &'static str,
    /// The UI's error page (a template).
    pub render_error: fn(&ErrorPage) -> String,
    /// Served over HTTPS only: every answer tells the browser never to use plain HTTP for
    /// this host (`Strict-Transport-Security`, a year).
    pub hsts: bool,
}

/// A year, the usual HSTS lifetime; no `includeSubDomains`: the hub's name is not ours to
/// decide for its neighbours.
pub const HSTS: &str = "max-age=31536000";

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Puts the kit's layer on `router`.
pub fn with_kit(router: Router, ui: &'static Ui) -> Router {
    router.layer(axum::middleware::from_fn_with_state(ui, kit_layer))
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_string()
}

async fn kit_layer(State(ui): State<&'static Ui>, req: Request, next: Next) -> Response {
    let id = new_request_id();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!("http", ui = ui.name, request_id = %id, method = %req.method(), path = %path);
    let mut resp = next.run(req).instrument(span.clone()).await;
    if let Some(err) = resp.extensions_mut().remove::<AppError>() {
        span.in_scope(|| log_once(&err));
        let api = ui.api_prefixes.iter().any(|p| path.starts_with(p));
        resp = render(ui, err, &id, api, resp);
    }
    security_headers(resp.headers_mut(), ui, &id);
    resp
}

fn log_once(err: &AppError) {
    let code = err.code();
    match err {
        AppError::Internal(cause) => tracing::error!(code, "request failed: {cause}"),
        AppError::Refused(cause) | AppError::Api { message: cause, .. } => tracing::warn!(code, status = err.status().as_u16(), "request refused: {cause}"),
        AppError::Forbidden(cause) | AppError::NotFound(cause) => tracing::info!(code, status = err.status().as_u16(), "request refused: {cause}"),
        AppError::LoginNeeded(_) | AppError::Redirect(_) => tracing::debug!(code, "sent to log in"),
    }
}

fn render(ui: &Ui, err: AppError, request_id: &str, api: bool, redirect: Response) -> Response {
    let json = |status: StatusCode| (status, Json(serde_json::json!({"error": err.code(), "message": err.message_ru(), "request_id": request_id}))).into_response();
    match (&err, api) {
        (AppError::LoginNeeded(_), true) => json(StatusCode::UNAUTHORIZED),
        (AppError::LoginNeeded(_) | AppError::Redirect(_), _) => redirect,
        (_, true) => json(err.status()),
        (_, false) => {
            let page = ErrorPage { status: err.status(), title: err.title_ru(), message: err.message_ru(), request_id: request_id.to_string() };
            (err.status(), Html((ui.render_error)(&page))).into_response()
        }
    }
}

fn security_headers(h: &mut HeaderMap, ui: &Ui, request_id: &str) {
    if let Ok(csp) = HeaderValue::from_str(ui.csp) {
        h.entry(header::CONTENT_SECURITY_POLICY).or_insert(csp);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("no-referrer"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    if ui.hsts {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(REQUEST_ID, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    static TEST_UI: Ui = Ui { name: "test", api_prefixes: &["/v1/"], csp: "default-src 'self'", render_error: |p| format!("{}|{}|{}", p.title, p.message, p.request_id), hsts: true };

    async fn call(path: &str) -> (StatusCode, HeaderMap, String) {
        let router = Router::new()
            .route("/page", get(|| async { Err::<(), _>(AppError::Refused("нельзя".into())) }))
            .route("/v1/thing", get(|| async { Err::<(), _>(AppError::internal("secret cause")) }))
            .route("/v1/login", get(|| async { Err::<(), _>(AppError::LoginNeeded("/v1/login".into())) }))
            .route("/ok", get(|| async { "ok" }));
        let resp = with_kit(router, &TEST_UI).oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn an_error_page_shows_the_request_id_of_its_answer() {
        let (status, headers, body) = call("/page").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let id = headers[&REQUEST_ID].to_str().unwrap();
        assert_eq!(body, format!("Действие не выполнено|нельзя|{id}"));
    }

    #[tokio::test]
    async fn api_errors_are_json_and_never_show_an_internal_cause() {
        let (status, headers, body) = call("/v1/thing").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"], "internal");
        assert_eq!(v["request_id"], headers[&REQUEST_ID].to_str().unwrap());
        assert!(!body.contains("secret cause"), "{body}");
        let (status, _, body) = call("/v1/login").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "an API call is not redirected to a form");
        assert!(body.contains("login_required"));
    }

    #[tokio::test]
    async fn every_answer_carries_the_security_headers() {
        for path in ["/ok", "/page", "/v1/thing"] {
            let (_, h, _) = call(path).await;
            assert_eq!(h[header::CONTENT_SECURITY_POLICY], "default-src 'self'", "{path}");
            assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
            assert_eq!(h[header::CACHE_CONTROL], "no-store");
            assert_eq!(h[&REQUEST_ID].len(), 12);
            assert_eq!(h[header::STRICT_TRANSPORT_SECURITY], HSTS, "{path}");
        }
    }
}
