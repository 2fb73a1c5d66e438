//! The icon both UIs show in the browser's tab and bookmarks (`/favicon.svg`): one SVG of
//! `web/assets`, embedded in the binary (the box is offline) and served by the box UI and the
//! hub's dashboard alike, so the kit holds it rather than either UI.

use axum::http::header;
use axum::response::IntoResponse;

pub const SVG: &str = include_str!("../web/assets/favicon.svg");

/// Where the pages' `<link rel="icon">` points.
pub const PATH: &str = "/favicon.svg";

pub async fn favicon_get() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "max-age=86400")], SVG)
}
