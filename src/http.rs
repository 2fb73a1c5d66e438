//! The web kit both UIs stand on — the box's LAN UI (`web`) and the РЦОИ dashboard
//! (`monitoring::pages`) — so that cookies, sessions, CSRF, login, redirects, security headers
//! and errors behave the same on both and are written once:
//!
//! - `cookie`: reading a cookie, building `Set-Cookie` (HttpOnly, SameSite=Strict, `Secure`
//!   over HTTPS).
//! - `session`: random tokens, their SHA-256 (all a store ever keeps), constant-time checks,
//!   the per-session CSRF check and the login form's double-submit token, the login flow
//!   around a domain's own account store.
//! - `throttle`: failed logins slowed per (login, client address), never an account locked
//!   for everyone; `ClientAddr` the client's address for it.
//! - `flash`: one-shot messages kept with the session on the server (never taken from a URL).
//! - `redirect`: `safe_next` (only local absolute paths) and the one `url_encode`.
//! - `error`: `AppError`, the one error type of both UIs.
//! - `layer`: request id + tracing span, the error page rendered once with that id (HTML for
//!   pages, JSON for API routes), security headers (HSTS where the UI is HTTPS only).
//! - `tls`: the box UI's rustls config and listener (handshakes off the accept loop, the
//!   peer's address as `ClientAddr`), and the rule that plain HTTP is served only on loopback.
//! - `health`: `/healthz` and `/readyz` of every daemon (no login).

pub mod cookie;
pub mod error;
pub mod favicon;
pub mod layer;
pub mod redirect;
pub mod session;
pub mod throttle;
pub mod flash;
pub mod listener;
pub mod tls;
pub mod health;

pub use error::{AppError, ErrorPage};
pub use layer::Ui;
pub use throttle::{ClientAddr, LoginThrottle};
pub use redirect::{redirect, safe_next, url_encode};

/// A page from its template (askama escapes every value; a failure to render is internal).
pub fn render(view: &impl askama::Template) -> Result<axum::response::Html<String>, AppError> {
    view.render().map(axum::response::Html).map_err(AppError::internal)
}
