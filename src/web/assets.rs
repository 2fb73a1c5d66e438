//! The UI's own CSS and script (`assets/app.css`, `assets/app.js`), embedded in the binary and
//! served by the box (it is offline).
//! The script only adds live touches (countdowns on the box's clock, the desk's live feed);
//! every page works and prints without it.

use axum::http::header;
use axum::response::IntoResponse;

pub const CSS: &str = include_str!("assets/app.css");

pub const JS: &str = include_str!("assets/app.js");

pub async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], CSS)
}

pub async fn js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], JS)
}

/// The ГЭК member's security key in the activation panel: the shared WebAuthn helpers and the
/// panel's own steps.
pub const GEK_WEBAUTHN_JS: &str = concat!(include_str!("../../templates/shared/webauthn.js"), include_str!("assets/gek-webauthn.js"));

pub async fn gek_webauthn_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], GEK_WEBAUTHN_JS)
}
