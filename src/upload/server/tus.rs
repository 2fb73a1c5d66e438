//! The tus 1.0.0 HTTP dialect (core, creation, creation-with-upload, checksum sha256,
//! termination, expiration) as axum handlers over the protocol-neutral [`UploadCore`]: header
//! parsing, `Upload-Metadata`, the status codes of each [`CoreError`]; and, beside them, the
//! bundle finalize endpoint. The constants both our client and this server speak are in
//! [`crate::protocol::tus`].

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{OriginalUri, Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{options, patch, post};
use axum::{Extension, Json, Router};
use base64::Engine;

use super::core::{CoreError, UploadCore, UploadMetadata};
use super::limits::LimitRefusal;
use super::UploadServerState;
use crate::context::BoxIdentity;
use crate::protocol::tus;
use crate::upload::store::TusUploadRow;
use crate::upload::SignedManifest;

/// The router to nest at `/v1/uploads`.
pub fn router(state: Arc<UploadServerState>) -> Router {
    Router::new()
        .route("/", options(tus_options).post(tus_create))
        .route("/bundles", post(bundle_finalize_post))
        .route("/{upload_id}", patch(tus_patch).head(tus_head).delete(tus_delete).options(tus_options))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), enrolled_boxes_only))
        .with_state(state)
}

/// Fail closed wherever the router is mounted: a request that carries no enrolled box's
/// identity (put there by the hub's listener for an enrolled client certificate; client
/// certificates are optional at its TLS layer for the dashboard's browsers) is refused before
/// anything of it is read. The handlers take the identity as a required extension too.
///
/// With [`UploadServerState::concurrency`], a request runs only in a free slot (of all boxes
/// and of its own box); past either cap it is answered 429 with `Retry-After` at once.
async fn enrolled_boxes_only(State(state): State<Arc<UploadServerState>>, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let caller = req.extensions().get::<BoxIdentity>().map(|i| i.ppe_code.clone());
    let has_body = req.headers().contains_key(axum::http::header::TRANSFER_ENCODING)
        || header_str(req.headers(), "Content-Length").is_some_and(|v| v.trim() != "0");
    if caller.is_none() {
        return close_after(error_response(CoreError::Forbidden("uploads are taken only from boxes with an enrolled client certificate".into())), has_body);
    }
    let _slot = match &state.concurrency {
        Some(c) => match c.try_enter(caller.as_deref().unwrap_or_default()) {
            Ok(slot) => Some(slot),
            Err(refusal) => return close_after(limit_response(&state, refusal), has_body),
        },
        None => None,
    };
    let resp = next.run(req).await;
    let refused = resp.status().is_client_error() || resp.status().is_server_error();
    close_after(resp, has_body && refused)
}

/// A refusal of a request whose body may be left unread ends its connection (`Connection:
/// close`): the client then neither reuses a connection the hub closes after the answer nor
/// sends its next request after the unread bytes.
fn close_after(mut resp: Response, close: bool) -> Response {
    if close {
        resp.headers_mut().insert(axum::http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// A refusal of [`super::limits`]: its status, `Retry-After` where waiting helps, and the
/// Russian reason in the protocol's error body.
fn limit_response(state: &UploadServerState, refusal: LimitRefusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    let retry_after = match &refusal {
        LimitRefusal::Busy(_) => Some(2),
        // An allowance frees up when the box's unfinished uploads expire and are swept.
        LimitRefusal::TooManyFiles { .. } => Some(state.expire_after.num_seconds().max(1)),
        LimitRefusal::DiskFull { .. } => Some(60),
        LimitRefusal::TooLarge { .. } | LimitRefusal::OverQuota { .. } => None,
    };
    let body = crate::protocol::ErrorBody { error: refusal.code().into(), message: refusal.to_string(), message_ru: Some(refusal.message_ru()) };
    let mut resp = (status, Json(body)).into_response();
    if let Some(secs) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        resp.headers_mut().insert(axum::http::header::RETRY_AFTER, secs);
    }
    tus_headers(resp)
}

fn tus_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(tus::TUS_RESUMABLE, HeaderValue::from_static(tus::VERSION));
    h.insert("Cache-Control", HeaderValue::from_static("no-store"));
    resp
}

fn error_response(e: CoreError) -> Response {
    let status = match &e {
        CoreError::Limit(r) => StatusCode::from_u16(r.status()).unwrap_or(StatusCode::TOO_MANY_REQUESTS),
        CoreError::NotFound => StatusCode::NOT_FOUND,
        CoreError::Gone => StatusCode::GONE,
        CoreError::OffsetMismatch { .. } => StatusCode::CONFLICT,
        CoreError::ChecksumMismatch => StatusCode::from_u16(tus::CHECKSUM_MISMATCH).unwrap_or(StatusCode::BAD_REQUEST),
        CoreError::BadRequest(_) => StatusCode::BAD_REQUEST,
        CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        CoreError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        CoreError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let CoreError::Storage(detail) = &e {
        tracing::error!("upload storage error: {detail}");
    }
    let body = match &e {
        CoreError::Refused(u) => {
            serde_json::json!({"error": u.code(), "message": u.to_string(), "message_ru": u.message_ru()})
        }
        CoreError::Storage(_) => {
            serde_json::json!({"error": "storage", "message": "storage error on the hub"})
        }
        CoreError::Limit(r) => serde_json::json!({"error": r.code(), "message": r.to_string(), "message_ru": r.message_ru()}),
        other => serde_json::json!({"error": "tus", "message": other.to_string()}),
    };
    tus_headers((status, Json(body)).into_response())
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// `Some(412 answer)` when the client does not speak tus 1.0.0.
fn refuse_unresumable(h: &HeaderMap) -> Option<Response> {
    if header_str(h, tus::TUS_RESUMABLE) == Some(tus::VERSION) {
        return None;
    }
    let mut resp = StatusCode::PRECONDITION_FAILED.into_response();
    resp.headers_mut().insert(tus::TUS_VERSION, HeaderValue::from_static(tus::VERSION));
    Some(tus_headers(resp))
}

/// `Upload-Metadata: key base64,key2 base64` (a value may be absent).
pub fn parse_metadata(header: &str) -> Result<BTreeMap<String, String>, CoreError> {
    let mut out = BTreeMap::new();
    for pair in header.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut parts = pair.splitn(2, ' ');
        let key = parts.next().unwrap_or_default().to_string();
        let value = match parts.next() {
            Some(v) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .map_err(|_| CoreError::BadRequest(format!("metadata `{key}` is not base64")))?;
                String::from_utf8(raw).map_err(|_| CoreError::BadRequest(format!("metadata `{key}` is not UTF-8")))?
            }
            None => String::new(),
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// `Upload-Checksum: sha256 <base64>`.
pub fn parse_checksum(header: &str) -> Result<[u8; 32], CoreError> {
    let (algo, value) = header.trim().split_once(' ').ok_or_else(|| CoreError::BadRequest("Upload-Checksum malformed".into()))?;
    if !algo.eq_ignore_ascii_case(tus::CHECKSUM_ALGORITHM) {
        return Err(CoreError::BadRequest(format!("checksum algorithm `{algo}` not supported (sha256 only)")));
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| CoreError::BadRequest("Upload-Checksum value is not base64".into()))?;
    raw.try_into().map_err(|_| CoreError::BadRequest("Upload-Checksum value is not 32 bytes".into()))
}

fn http_date(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Utc).format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

fn offset_response(status: StatusCode, row: &TusUploadRow) -> Response {
    let mut resp = status.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&row.upload_offset.to_string()) {
        h.insert(tus::UPLOAD_OFFSET, v);
    }
    if row.completed_at.is_none() {
        if let Ok(v) = HeaderValue::from_str(&http_date(&row.expires_at)) {
            h.insert(tus::UPLOAD_EXPIRES, v);
        }
    }
    tus_headers(resp)
}

async fn tus_options(State(state): State<Arc<UploadServerState>>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(tus::TUS_VERSION, HeaderValue::from_static(tus::VERSION));
    h.insert(tus::TUS_EXTENSION, HeaderValue::from_static(tus::EXTENSIONS));
    h.insert(tus::TUS_CHECKSUM_ALGORITHM, HeaderValue::from_static(tus::CHECKSUM_ALGORITHM));
    // Not a tus extension: tells our boxes that creation is idempotent by content, so they may
    // send a page with its creation request and keep its URL lazily.
    h.insert(tus::IDEMPOTENT_CREATION_HEADER, HeaderValue::from_static(tus::CHECKSUM_ALGORITHM));
    if let Ok(v) = HeaderValue::from_str(&state.max_size.to_string()) {
        h.insert(tus::TUS_MAX_SIZE, v);
    }
    tus_headers(resp)
}

async fn tus_create(
    State(state): State<Arc<UploadServerState>>,
    OriginalUri(uri): OriginalUri,
    Extension(identity): Extension<BoxIdentity>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = refuse_unresumable(&headers) {
        return r;
    }
    let Some(length) = header_str(&headers, tus::UPLOAD_LENGTH).and_then(|v| v.trim().parse::<u64>().ok()) else {
        return error_response(CoreError::BadRequest("Upload-Length is required (deferred length is not supported)".into()));
    };
    let meta = match header_str(&headers, tus::UPLOAD_METADATA).map(parse_metadata).transpose() {
        Ok(m) => UploadMetadata::from_pairs(m.unwrap_or_default()),
        Err(e) => return error_response(e),
    };
    // creation-with-upload: a body of application/offset+octet-stream is the first chunk.
    let with_upload = header_str(&headers, "Content-Type") == Some(tus::OFFSET_OCTET_STREAM);
    let created = if with_upload {
        let checksum = match header_str(&headers, tus::UPLOAD_CHECKSUM).map(parse_checksum).transpose() {
            Ok(c) => c,
            Err(e) => return error_response(e),
        };
        UploadCore::create_with_upload(&state, length, meta, body.into_data_stream(), checksum, Some(&identity)).await
    } else {
        UploadCore::create_waiting(&state, length, meta, Some(identity)).await
    };
    match created {
        Ok(row) => {
            let base = uri.path().trim_end_matches('/');
            let mut resp = offset_response(StatusCode::CREATED, &row);
            if let Ok(v) = HeaderValue::from_str(&format!("{base}/{}", row.upload_id)) {
                resp.headers_mut().insert("Location", v);
            }
            resp
        }
        Err(CoreError::Limit(refusal)) => limit_response(&state, refusal),
        Err(e) => error_response(e),
    }
}

async fn tus_head(
    State(state): State<Arc<UploadServerState>>,
    UrlPath(upload_id): UrlPath<String>,
    Extension(identity): Extension<BoxIdentity>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = refuse_unresumable(&headers) {
        return r;
    }
    match UploadCore::status(&state, &upload_id, Some(&identity)) {
        Ok(row) => {
            let mut resp = offset_response(StatusCode::OK, &row);
            if let Ok(v) = HeaderValue::from_str(&row.upload_length.to_string()) {
                resp.headers_mut().insert(tus::UPLOAD_LENGTH, v);
            }
            resp
        }
        Err(e) => {
            let status = match e {
                CoreError::Gone => StatusCode::GONE,
                CoreError::NotFound => StatusCode::NOT_FOUND,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tus_headers(status.into_response())
        }
    }
}

async fn tus_patch(
    State(state): State<Arc<UploadServerState>>,
    UrlPath(upload_id): UrlPath<String>,
    Extension(identity): Extension<BoxIdentity>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(r) = refuse_unresumable(&headers) {
        return r;
    }
    if header_str(&headers, "Content-Type") != Some(tus::OFFSET_OCTET_STREAM) {
        return tus_headers(StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response());
    }
    let Some(offset) = header_str(&headers, tus::UPLOAD_OFFSET).and_then(|v| v.trim().parse::<u64>().ok()) else {
        return error_response(CoreError::BadRequest("Upload-Offset is required".into()));
    };
    let checksum = match header_str(&headers, tus::UPLOAD_CHECKSUM).map(parse_checksum).transpose() {
        Ok(c) => c,
        Err(e) => return error_response(e),
    };
    let stream = body.into_data_stream();
    match UploadCore::append(&state, &upload_id, offset, stream, checksum, Some(&identity)).await {
        Ok(row) => offset_response(StatusCode::NO_CONTENT, &row),
        Err(CoreError::Limit(refusal)) => limit_response(&state, refusal),
        Err(e) => error_response(e),
    }
}

async fn tus_delete(
    State(state): State<Arc<UploadServerState>>,
    UrlPath(upload_id): UrlPath<String>,
    Extension(identity): Extension<BoxIdentity>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = refuse_unresumable(&headers) {
        return r;
    }
    match UploadCore::terminate(&state, &upload_id, Some(&identity)) {
        Ok(()) => tus_headers(StatusCode::NO_CONTENT.into_response()),
        Err(e) => error_response(e),
    }
}

/// `POST /v1/uploads/bundles` with a [`SignedManifest`]: verify and answer with a receipt.
async fn bundle_finalize_post(
    State(state): State<Arc<UploadServerState>>,
    Extension(identity): Extension<BoxIdentity>,
    Json(signed): Json<SignedManifest>,
) -> Response {
    let state2 = state.clone();
    let result = tokio::task::spawn_blocking(move || UploadCore::finalize(&state2, &signed, &identity)).await;
    match result {
        Ok(Ok(receipt)) => (StatusCode::OK, Json(receipt)).into_response(),
        Ok(Err(e)) => error_response(e),
        Err(e) => error_response(CoreError::Storage(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn metadata_and_checksum_headers_parse() {
        let m = parse_metadata("exam_id ZWdlLTAy,ppe_code MDEwMQ==,empty").unwrap();
        assert_eq!(m["exam_id"], "ege-02");
        assert_eq!(m["ppe_code"], "0101");
        assert_eq!(m["empty"], "");
        assert!(parse_metadata("k !!!").is_err());
        let digest = Sha256::digest(b"abc");
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        assert_eq!(parse_checksum(&format!("sha256 {b64}")).unwrap().as_slice(), digest.as_slice());
        assert!(parse_checksum(&format!("md5 {b64}")).is_err());
        assert!(parse_checksum("sha256 AAAA").is_err());
    }

    #[tokio::test]
    async fn only_a_request_with_a_box_identity_is_served() {
        use tower::ServiceExt;
        let dir = tempfile::tempdir().unwrap();
        let key = crate::keys::ed25519_from_pkcs8(&crate::keys::generate_ed25519_pkcs8().unwrap()).unwrap();
        let state = UploadServerState::in_folder(dir.path(), crate::clock::Clock::real(), key).unwrap();
        let app = router(Arc::new(state));
        let options = || axum::http::Request::options("/").body(Body::empty()).unwrap();
        let anonymous = app.clone().oneshot(options()).await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
        let mut from_a_box = options();
        from_a_box.extensions_mut().insert(BoxIdentity { ppe_code: "0101".into() });
        let answered = app.oneshot(from_a_box).await.unwrap();
        assert_eq!(answered.status(), StatusCode::NO_CONTENT);
        assert_eq!(answered.headers()[tus::TUS_VERSION], tus::VERSION);
    }
}
