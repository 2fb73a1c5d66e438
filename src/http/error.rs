//! `AppError`, the one error of both web UIs. A handler returns it; the kit's layer (see
//! `layer`) logs the cause once with the request id and answers staff with a readable Russian
//! page — or JSON on API routes — that shows the same request id. User text and log text are
//! kept apart: an internal cause is logged, never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a request did not get its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// Not logged in: a page goes to the login form and comes back to this path; an API call
    /// gets 401.
    LoginNeeded(String),
    /// A page must be seen first (the box's first-start setup).
    Redirect(String),
    Forbidden(String),
    /// Refused by the rules, with a clear Russian reason; nothing changed.
    Refused(String),
    NotFound(String),
    /// An API refusal with its own status and stable code (a box's heartbeat).
    Api { status: StatusCode, code: &'static str, message: String },
    /// A fault of the station itself: the cause is logged, staff see the request id.
    Internal(String),
}

/// An error page, as the layer hands it to a UI's template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    pub request_id: String,
}

impl AppError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::LoginNeeded(_) | AppError::Redirect(_) => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Api { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable code for JSON answers and logs.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::LoginNeeded(_) => "login_required",
            AppError::Redirect(_) => "redirect",
            AppError::Forbidden(_) => "forbidden",
            AppError::Refused(_) => "refused",
            AppError::NotFound(_) => "not_found",
            AppError::Api { code, .. } => code,
            AppError::Internal(_) => "internal",
        }
    }

    pub fn title_ru(&self) -> &'static str {
        match self {
            AppError::LoginNeeded(_) | AppError::Redirect(_) => "Нужен вход",
            AppError::Forbidden(_) => "Недостаточно прав",
            AppError::Refused(_) | AppError::Api { .. } => "Действие не выполнено",
            AppError::NotFound(_) => "Не найдено",
            AppError::Internal(_) => "Внутренняя ошибка",
        }
    }

    /// What staff read (an internal cause is not for them).
    pub fn message_ru(&self) -> String {
        match self {
            AppError::LoginNeeded(_) | AppError::Redirect(_) => "войдите в систему".into(),
            AppError::Forbidden(m) | AppError::Refused(m) | AppError::NotFound(m) | AppError::Api { message: m, .. } => m.clone(),
            AppError::Internal(_) => "сбой на стороне сервера; сообщите код запроса технической поддержке".into(),
        }
    }

    /// What the log gets.
    pub fn cause(&self) -> &str {
        match self {
            AppError::LoginNeeded(s) | AppError::Redirect(s) | AppError::Forbidden(s) | AppError::Refused(s) | AppError::NotFound(s) | AppError::Internal(s) => s,
            AppError::Api { message, .. } => message,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.cause())
    }
}

impl std::error::Error for AppError {}

/// Domain errors in handlers are refusals with the domain's Russian reason (the chain of
/// causes kept on one line).
impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Refused(format!("{e:#}"))
    }
}

/// The answer before the layer renders it: the status, and the error itself in the
/// response's extensions for the layer. A router without the layer still answers plain text.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut resp = match &self {
            AppError::LoginNeeded(next) => super::redirect(&format!("/login?next={}", super::url_encode(next))),
            AppError::Redirect(to) => super::redirect(to),
            other => (other.status(), other.message_ru()).into_response(),
        };
        resp.extensions_mut().insert(self);
        resp
    }
}

/// Runs store work off the async threads; a panic there is an internal error.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, AppError> + Send + 'static) -> Result<T, AppError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(AppError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_cause_is_logged_not_shown() {
        let e = AppError::internal("disk I/O error at /var/lib/ppe/ppe.db");
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message_ru().contains("/var/lib"), "{}", e.message_ru());
        assert!(e.cause().contains("/var/lib"));
    }

    #[test]
    fn a_page_that_needs_a_login_comes_back_to_itself() {
        let resp = AppError::LoginNeeded("/print?exam=ege-02".into()).into_response();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        assert_eq!(resp.headers()[axum::http::header::LOCATION], "/login?next=%2Fprint%3Fexam%3Dege-02");
        assert!(resp.extensions().get::<AppError>().is_some(), "the layer renders it");
    }
}
