//! The hub's HTTPS server for boxes: rustls with client certificates checked against the hub
//! CA, the box identity put into every request, manifests and packages served with `Range`,
//! package keys released only to the right box inside the window judged by the hub's clock
//! (the rule is `materials::release`, carried out by `materials::ops::release_key`), and the
//! hub's time signed with the box's nonce on every answer. Every wire item (paths, headers,
//! bodies) comes from `protocol`. The hub's metadata is read and written only through the
//! `MaterialsMeta` seam, on the blocking pool (the access pattern of the upload side too).
//!
//! Composable: [`router`] gives the materials routes; other rooms merge their routers into it
//! and [`serve`] wraps the whole thing with the identity and signed-time layer. That layer
//! fails closed: a box route ([`is_box_route`]) without an enrolled certificate's identity is
//! refused there, once for every route, before any handler runs; and a body left unread by an
//! answer is drained briefly (`hub::linger`) so the refusal reaches the client.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::{request::Parts, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ring::signature::Ed25519KeyPair;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::context::BoxIdentity;
use crate::materials::hub_meta::{MaterialsMeta, SqliteMaterialsMeta};
use crate::materials::ops::{issue_gek_challenge, release_key, KeyReleaseError, KeyReleaseRequest};
use crate::materials::release::KeyRefusal;
use crate::model::{ExamId, PpeCode};
use crate::protocol::key::{GekChallenge, GekChallengeRequest, KeyRelease, KeyRequest};
use crate::protocol::{is_time_nonce, paths, time_signature_message, ErrorBody, SignedTime, HUB_TIME_HEADER, HUB_TIME_SIGNATURE_HEADER, SIGNATURE_HEADER, TIME_NONCE_HEADER};

/// What every handler of the hub's box-facing server shares.
#[derive(Clone)]
pub struct HubState {
    /// Boxes, plan, packages and key releases (SQLite today).
    pub meta: Arc<dyn MaterialsMeta>,
    pub clock: Clock,
    pub signing_key: Arc<Ed25519KeyPair>,
    /// `state_dir/publish`: `EXAM/PPE/manifest.json` and `EXAM/PPE/<sha256>.enc`.
    pub publish_dir: PathBuf,
    /// The WebAuthn relying party of `[gek]` (ГЭК members' security keys).
    pub gek_rp: Option<Arc<crate::gek::webauthn::Webauthn>>,
}

/// The hub's server: state plus its TLS material.
pub struct HubServer {
    pub state: HubState,
    /// The tus upload server (`/v1/uploads`), sharing the hub's state folder and key.
    pub uploads: Arc<crate::upload::server::UploadServerState>,
    /// The seeds of seating and organizers and the boxes' seating reports (`/v1/distribution`).
    pub distribution: crate::distribution::pages::DistributionRoutes,
    /// The boxes' readiness reports the day before (`/v1/readiness`).
    pub readiness: crate::readiness::pages::ReadinessRoutes,
    /// The sealed keys of the key by phone (`/v1/exams/{exam_id}/phone-seal`).
    pub phone_seal: crate::materials::phone_code::pages::PhoneSealRoutes,
    ca_pem: Vec<u8>,
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
}

impl HubServer {
    pub fn from_context(ctx: &crate::context::HubContext) -> anyhow::Result<Self> {
        let read = |p: &std::path::Path| std::fs::read(p).with_context(|| format!("read {} (run `ppe hub init`)", p.display()));
        let signing_key = Arc::new(crate::keys::load_ed25519(&ctx.config.signing_key_file)?);
        Ok(Self {
            distribution: crate::distribution::pages::DistributionRoutes::from_context(ctx, signing_key.clone())?,
            readiness: crate::readiness::pages::ReadinessRoutes { ctx: ctx.clone() },
            phone_seal: crate::materials::phone_code::pages::PhoneSealRoutes { ctx: ctx.clone(), signing_key: signing_key.clone() },
            state: HubState {
                meta: Arc::new(SqliteMaterialsMeta::from_context(ctx)),
                clock: ctx.clock.clone(),
                signing_key,
                publish_dir: crate::materials::hub_publish::publish_dir(&ctx.config),
                gek_rp: Some(Arc::new(crate::gek::webauthn::relying_party(&ctx.config.gek)?)),
            },
            uploads: Arc::new(crate::upload::server::UploadServerState::from_context(ctx)?),
            ca_pem: read(&ctx.config.ca_cert_file)?,
            cert_pem: read(&ctx.config.tls_cert_file)?,
            key_pem: read(&ctx.config.tls_key_file)?,
        })
    }

    /// Every box-facing route: materials, distribution, and the uploads nested at `/v1/uploads`.
    pub fn router(&self) -> Router {
        router(self.state.clone())
            .merge(crate::distribution::pages::router(self.distribution.clone()))
            .merge(crate::readiness::pages::router(self.readiness.clone()))
            .merge(crate::materials::phone_code::pages::router(self.phone_seal.clone()))
            .nest(paths::UPLOADS, crate::upload::server::router(self.uploads.clone()))
    }

    pub fn tls_config(&self) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        tls_config(&self.ca_pem, &self.cert_pem, &self.key_pem)
    }
}

/// rustls config: the hub's certificate; client certificates optional at the TLS layer (a
/// browser may view the dashboard) but, when presented, verified against the hub CA, so a
/// certificate from another CA fails the handshake. Box routes require an enrolled one.
pub fn tls_config(ca_pem: &[u8], cert_pem: &[u8], key_pem: &[u8]) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(c.context("hub CA certificate PEM")?).context("hub CA certificate")?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .allow_unauthenticated()
        .build()
        .context("client certificate verifier")?;
    crate::http::tls::server_config(cert_pem, key_pem, Some(verifier))
}

pub use crate::http::listener::{ListenerLimits, TlsListener};
pub use crate::http::tls::PeerInfo;

/// Serves `router` (the materials routes merged with any others) over mutual TLS until the
/// listener fails, with the default [`ListenerLimits`].
pub async fn serve(listener: TcpListener, tls: Arc<rustls::ServerConfig>, state: HubState, router: Router) -> anyhow::Result<()> {
    serve_with_limits(listener, tls, state, router, ListenerLimits::default()).await
}

/// [`serve`] within `limits` (`hub.toml` `[limits]`), on the shared listener
/// (`http::listener`).
pub async fn serve_with_limits(listener: TcpListener, tls: Arc<rustls::ServerConfig>, state: HubState, router: Router, limits: ListenerLimits) -> anyhow::Result<()> {
    let listener = TlsListener::with_limits(listener, tls, limits).context("hub server")?;
    crate::http::listener::serve(listener, with_box_identity(router, state), std::future::pending()).await.context("hub server")
}

/// Wraps any router: inserts [`BoxIdentity`] for an enrolled client certificate and puts the
/// hub's time signed with the request's nonce on every answer.
pub fn with_box_identity(router: Router, state: HubState) -> Router {
    router.layer(axum::middleware::from_fn_with_state(state, identify_and_sign_time)).layer(axum::middleware::from_fn(crate::http::tls::client_addr))
}

/// Whether a path is one of the box-facing routes (the rest of the listener is the operators'
/// dashboard): time, plan, packages, key, heartbeat, uploads and bundle finalize, seeds and
/// seating reports. Every such
/// request needs an enrolled box's identity; the check is here, once, for every route under
/// these paths, whichever room's router serves it.
pub fn is_box_route(path: &str) -> bool {
    const EXAMS: &str = "/v1/exams";
    let under = |prefix: &str| path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'));
    [paths::TIME, paths::PLAN, paths::PACKAGES, paths::HEARTBEAT, paths::UPLOADS, paths::DISTRIBUTION, paths::READINESS, EXAMS].into_iter().any(under)
}

/// The refusal of a box route without an enrolled certificate (the body is never read).
fn no_certificate() -> HubError {
    HubError::Refused(StatusCode::FORBIDDEN, "no_certificate", "клиентский сертификат не предъявлен или не зарегистрирован в РЦОИ".into())
}

async fn identify_and_sign_time(State(state): State<HubState>, req: Request, next: Next) -> Response {
    // A body the answer does not read is drained briefly, so a refusal reaches the client.
    let mut req = req.map(crate::hub::linger::lingering);
    let cert = req.extensions().get::<ConnectInfo<PeerInfo>>().and_then(|c| c.0.cert_sha256.clone());
    if let Some(cert) = cert {
        let meta = state.meta.clone();
        let lookup = cert.clone();
        match blocking(move || meta.box_by_cert(&lookup).map_err(internal)).await {
            Ok(Some(b)) => {
                req.extensions_mut().insert(BoxIdentity { ppe_code: b.ppe_code });
            }
            Ok(None) => tracing::warn!(cert_sha256 = %cert, "client certificate from the hub CA but not enrolled (revoked or re-enrolled)"),
            Err(e) => tracing::error!("box lookup: {e:?}"),
        }
    }
    let nonce = time_nonce(req.headers());
    // Fail closed: a box route without an enrolled identity goes no further.
    let mut resp = if is_box_route(req.uri().path()) && req.extensions().get::<BoxIdentity>().is_none() {
        tracing::warn!(path = %req.uri().path(), "box route without an enrolled certificate refused");
        no_certificate().into_response()
    } else {
        next.run(req).await
    };
    if let Some(nonce) = nonce {
        let signed = signed_time(&state, nonce);
        if let (Ok(t), Ok(s)) = (HeaderValue::from_str(&signed.hub_time), HeaderValue::from_str(&signed.signature)) {
            resp.headers_mut().insert(HUB_TIME_HEADER, t);
            resp.headers_mut().insert(HUB_TIME_SIGNATURE_HEADER, s);
        }
    }
    resp
}

/// The request's time nonce, when it has the shape the hub signs.
fn time_nonce(headers: &axum::http::HeaderMap) -> Option<String> {
    headers.get(TIME_NONCE_HEADER).and_then(|v| v.to_str().ok()).filter(|n| is_time_nonce(n)).map(str::to_string)
}

/// The hub's clock now, signed together with the asking box's nonce (only that request can
/// use it: an answer recorded earlier carries another box's or another request's nonce).
fn signed_time(state: &HubState, nonce: String) -> SignedTime {
    let hub_time = state.clock.now_rfc3339();
    let signature = crate::keys::sign_hex(&state.signing_key, &time_signature_message(&hub_time, &nonce));
    SignedTime { hub_time, nonce, signature }
}

/// The materials routes (no TLS, no identity layer: see [`serve`]).
pub fn router(state: HubState) -> Router {
    Router::new()
        .route(paths::TIME, get(time_get))
        .route(paths::PLAN, get(plan_get))
        .route(&format!("{}/{{exam_id}}/{{ppe_code}}/{{file}}", paths::PACKAGES), get(package_file_get))
        .route(paths::KEY, post(key_post))
        .route(paths::GEK_CHALLENGE, post(gek_challenge_post))
        .with_state(state)
}

/// The calling box, if its certificate is enrolled.
pub struct Caller(pub Option<BoxIdentity>);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller(parts.extensions.get::<BoxIdentity>().cloned()))
    }
}

impl Caller {
    fn require(self) -> Result<BoxIdentity, HubError> {
        self.0.ok_or_else(no_certificate)
    }
}

/// An answer with a stable code and a Russian reason.
#[derive(Debug)]
pub enum HubError {
    Refused(StatusCode, &'static str, String),
    Internal(String),
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            HubError::Refused(s, c, m) => (s, c, m),
            HubError::Internal(cause) => {
                tracing::error!("internal error: {cause}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "внутренняя ошибка РЦОИ".to_string())
            }
        };
        (status, Json(ErrorBody::new(code, message))).into_response()
    }
}

fn internal(e: impl std::fmt::Display) -> HubError {
    HubError::Internal(e.to_string())
}

/// Runs a metadata call on the blocking pool (every call to the seam blocks).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, HubError> + Send + 'static) -> Result<T, HubError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

async fn time_get(State(state): State<HubState>, headers: axum::http::HeaderMap) -> Result<Json<SignedTime>, HubError> {
    let nonce = time_nonce(&headers).ok_or_else(|| HubError::Refused(StatusCode::BAD_REQUEST, "time_nonce_required", format!("нужен заголовок {TIME_NONCE_HEADER}: 64 шестнадцатеричные цифры")))?;
    Ok(Json(signed_time(&state, nonce)))
}

/// The plan slice of the calling box, signed (the box seats offline from it).
async fn plan_get(State(state): State<HubState>, caller: Caller) -> Result<Response, HubError> {
    let me = caller.require()?;
    let meta = state.meta.clone();
    let plan = blocking(move || meta.plan().map_err(internal)).await?;
    let body = serde_json::to_vec(&plan.for_exam_point(&me.ppe_code)).map_err(internal)?;
    let sig = crate::keys::sign_hex(&state.signing_key, &body);
    let mut resp = ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&sig) {
        resp.headers_mut().insert(SIGNATURE_HEADER, v);
    }
    Ok(resp)
}

fn is_package_file_name(name: &str) -> bool {
    name == "manifest.json" || (name.len() == 68 && name.ends_with(".enc") && name[..64].bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn package_file_get(State(state): State<HubState>, caller: Caller, Path((exam_id, ppe_code, file)): Path<(String, String, String)>, req: Request) -> Result<Response, HubError> {
    use tower::ServiceExt;
    let me = caller.require()?;
    if me.ppe_code != ppe_code {
        tracing::warn!(caller = %me.ppe_code, asked = %ppe_code, "package of another exam point asked for");
        return Err(HubError::Refused(StatusCode::FORBIDDEN, "wrong_exam_point", format!("пакет ППЭ {ppe_code} недоступен ППЭ {}", me.ppe_code)));
    }
    if !is_package_file_name(&file) || exam_id.contains(['/', '\\', '.']) || ppe_code.contains(['/', '\\', '.']) {
        return Err(HubError::Refused(StatusCode::NOT_FOUND, "not_found", "нет такого файла".into()));
    }
    let path = state.publish_dir.join(&exam_id).join(&ppe_code).join(&file);
    if !path.is_file() {
        return Err(HubError::Refused(StatusCode::NOT_FOUND, "not_published", format!("пакет экзамена {exam_id} для ППЭ {ppe_code} не опубликован")));
    }
    let resp = tower_http::services::ServeFile::new(path).oneshot(req).await.map_err(internal)?;
    Ok(resp.map(axum::body::Body::new))
}

/// A refusal of the key-release rule as the hub answers it.
fn key_refusal_answer(refusal: &KeyRefusal) -> (StatusCode, &'static str, String) {
    let status = if refusal.is_not_found() { StatusCode::NOT_FOUND } else { StatusCode::FORBIDDEN };
    (status, refusal.code(), refusal.message_ru())
}

/// A one-time challenge for a ГЭК member's proof, to the enrolled box asking only.
async fn gek_challenge_post(State(state): State<HubState>, caller: Caller, Json(asked): Json<GekChallengeRequest>) -> Result<Json<GekChallenge>, HubError> {
    let me = caller.require().inspect_err(|_| tracing::warn!(exam = %asked.exam_id, "ГЭК challenge asked for without an enrolled certificate"))?;
    let caller = PpeCode::from(me.ppe_code.as_str());
    let now = state.clock.now();
    let challenge = blocking(move || issue_gek_challenge(&*state.meta, state.gek_rp.as_deref(), &caller, &asked, now).map_err(|e| match e {
            KeyReleaseError::Refused(refusal) => {
                let (status, code, message) = key_refusal_answer(&refusal);
                HubError::Refused(status, code, message)
            }
            other => internal(other),
        })).await?;
    Ok(Json(challenge))
}

async fn key_post(State(state): State<HubState>, caller: Caller, Path(exam_id): Path<String>, Json(request): Json<KeyRequest>) -> Result<Json<KeyRelease>, HubError> {
    let me = caller.require().inspect_err(|_| tracing::warn!(exam = %exam_id, "key asked for without an enrolled certificate"))?;
    let asked = KeyReleaseRequest { caller: PpeCode::from(me.ppe_code.as_str()), exam_id: ExamId::from(exam_id.as_str()), request, now: state.clock.now() };
    let released = blocking(move || {
        release_key(&*state.meta, state.gek_rp.as_deref(), &state.signing_key, &asked).map_err(|e| match e {
            KeyReleaseError::Refused(refusal) => {
                let (status, code, message) = key_refusal_answer(&refusal);
                HubError::Refused(status, code, message)
            }
            other => internal(other),
        })
    })
    .await?;
    Ok(Json(released))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_box_path_is_a_box_route_and_the_dashboard_is_not() {
        use crate::protocol::paths;
        let key = paths::key("ege-02");
        let package = format!("{}/ege-02/0101/manifest.json", paths::PACKAGES);
        let seed = paths::seed("ege-02", "seating");
        for box_path in [paths::TIME, paths::PLAN, paths::HEARTBEAT, paths::UPLOADS, paths::BUNDLES, "/v1/uploads/", "/v1/uploads/abc", key.as_str(), package.as_str(), seed.as_str(), paths::READINESS] {
            assert!(super::is_box_route(box_path), "{box_path} is a box route");
        }
        for dashboard in ["/", "/login", "/logout", "/ppe/ege-02/0101", "/admin/operators", "/v1/status", "/v1/events", "/metrics", "/v1/timeline", "/v1/uploadsX", "/v1/distributionX", "/readiness", "/v1/status/readiness"] {
            assert!(!super::is_box_route(dashboard), "{dashboard} is not a box route");
        }
    }

    /// What a line of a request path may not do: open or hold a database connection, or call a
    /// store function (store *types* such as `TusUploadRow` are fine).
    fn offences(text: &str) -> Vec<String> {
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let mut found = Vec::new();
        for (n, line) in code.lines().enumerate() {
            let line = line.split("//").next().unwrap_or("");
            for bad in [".db()", "DbPool", "PooledConnection", "Connection>", "store::Connection"] {
                if line.contains(bad) {
                    found.push(format!("line {}: {bad}", n + 1));
                }
            }
            let mut rest = line;
            while let Some(at) = rest.find("store::") {
                rest = &rest[at + "store::".len()..];
                let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if name.starts_with(|c: char| c.is_ascii_lowercase()) && rest[name.len()..].starts_with('(') {
                    found.push(format!("line {}: store::{name}(…)", n + 1));
                }
            }
        }
        found
    }

    #[test]
    fn the_checker_sees_a_connection_and_a_store_call() {
        let sample = "let db = ctx.db()?;\nlet b = mstore::hub_box_get(&db, code)?;\nlet r: store::TusUploadRow;\n// ctx.db() in a comment\n";
        assert_eq!(offences(sample), ["line 1: .db()", "line 2: store::hub_box_get(…)"]);
    }

    /// The hub's request paths reach the hub's metadata only through the seams
    /// (`materials::hub_meta::MaterialsMeta`, `upload::server::meta::UploadMeta`), so another
    /// database can take SQLite's place without touching a handler.
    #[test]
    fn hub_request_paths_reach_metadata_only_through_the_seams() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let files = ["hub/server.rs", "upload/server/tus.rs", "upload/server/core.rs", "upload/server/finalize.rs", "upload/server/import.rs", "upload/group_commit.rs", "materials/hub_publish.rs"];
        let mut found = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(src.join(file)).unwrap();
            found.extend(offences(&text).into_iter().map(|o| format!("src/{file} {o}")));
        }
        assert!(found.is_empty(), "database access outside the metadata seams: {found:#?}");
    }
}
