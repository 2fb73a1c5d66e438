//! The hub's distribution routes for boxes (merged into the hub's server; the identity layer of
//! `hub::server` refuses them without an enrolled certificate before they run):
//! `GET /v1/distribution/{exam_id}/{purpose}` the signed seed from its release time on (425
//! with the Russian reason before), `POST /v1/distribution/{exam_id}/seating` the seating the
//! box made from it.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use ring::signature::Ed25519KeyPair;

use super::ops::{self, DistributionError};
use super::{Purpose, ReleasePolicy, SeatingReport, SeedRefusal};
use crate::context::{BoxIdentity, HubContext};
use crate::model::{ExamId, PpeCode};
use crate::protocol::{paths, ErrorBody};

/// A seating report of the largest exam point is well under this.
const REPORT_BODY_LIMIT: usize = 8 << 20;

/// What the distribution routes share.
#[derive(Clone)]
pub struct DistributionRoutes {
    pub ctx: HubContext,
    pub signing_key: Arc<Ed25519KeyPair>,
    pub policy: ReleasePolicy,
}

impl DistributionRoutes {
    /// The routes' state from the hub's context (`[distribution]` of `hub.toml` checked here).
    pub fn from_context(ctx: &HubContext, signing_key: Arc<Ed25519KeyPair>) -> anyhow::Result<Self> {
        let policy = ReleasePolicy::from_config(&ctx.config.distribution).map_err(|e| anyhow::anyhow!("{}: {e}", ctx.config_path.display()))?;
        Ok(Self { ctx: ctx.clone(), signing_key, policy })
    }
}

pub fn router(state: DistributionRoutes) -> Router {
    Router::new()
        .route(&format!("{}/{{exam_id}}/{{purpose}}", paths::DISTRIBUTION), get(seed_get).post(seating_report_post))
        .layer(DefaultBodyLimit::max(REPORT_BODY_LIMIT))
        .with_state(state)
}

/// A refusal as the hub answers it: a status, a stable code, the Russian reason.
struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody::new(self.1, self.2))).into_response()
    }
}

fn refusal(e: DistributionError) -> Refusal {
    let text = e.to_string();
    match &e {
        DistributionError::Refused(r) => {
            let status = match r {
                SeedRefusal::NotYet { .. } => StatusCode::TOO_EARLY,
                SeedRefusal::UnknownExam { .. } => StatusCode::NOT_FOUND,
                SeedRefusal::NotAssigned { .. } => StatusCode::FORBIDDEN,
                SeedRefusal::BadSchedule { .. } => StatusCode::CONFLICT,
            };
            Refusal(status, r.code(), text)
        }
        DistributionError::WrongPoint { .. } => Refusal(StatusCode::FORBIDDEN, "wrong_exam_point", text),
        DistributionError::BadReport(_) => Refusal(StatusCode::BAD_REQUEST, "bad_report", text),
        _ => {
            tracing::error!("distribution: {text}");
            Refusal(StatusCode::INTERNAL_SERVER_ERROR, "internal", "внутренняя ошибка РЦОИ".into())
        }
    }
}

fn no_certificate() -> Refusal {
    Refusal(StatusCode::FORBIDDEN, "no_certificate", "клиентский сертификат не предъявлен или не зарегистрирован в РЦОИ".into())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, DistributionError> + Send + 'static) -> Result<T, Refusal> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(refusal),
        Err(e) => Err(refusal(DistributionError::Other(e.into()))),
    }
}

async fn seed_get(
    State(state): State<DistributionRoutes>,
    identity: Option<Extension<BoxIdentity>>,
    Path((exam_id, purpose)): Path<(String, String)>,
) -> Result<Response, Refusal> {
    let me = identity.ok_or_else(no_certificate)?.0;
    let purpose = Purpose::parse(&purpose).ok_or_else(|| Refusal(StatusCode::NOT_FOUND, "not_found", format!("нет такого зерна: {purpose}")))?;
    let (caller, exam) = (PpeCode::from(me.ppe_code.as_str()), ExamId::from(exam_id.as_str()));
    let now = state.ctx.clock.now();
    let signed = blocking(move || {
        let mut conn = state.ctx.db()?;
        ops::release_seed(&mut conn, &state.signing_key, &state.policy, &caller, &exam, purpose, now)
    })
    .await
    .inspect_err(|r| tracing::info!(exam = %exam_id, ppe = %me.ppe_code, code = r.1, "seed refused"))?;
    Ok(Json(signed).into_response())
}

async fn seating_report_post(
    State(state): State<DistributionRoutes>,
    identity: Option<Extension<BoxIdentity>>,
    Path((exam_id, purpose)): Path<(String, String)>,
    Json(report): Json<SeatingReport>,
) -> Result<Response, Refusal> {
    let me = identity.ok_or_else(no_certificate)?.0;
    if Purpose::parse(&purpose) != Some(Purpose::Seating) {
        return Err(Refusal(StatusCode::NOT_FOUND, "not_found", "отчёт принимается только о рассадке".into()));
    }
    let (caller, exam) = (PpeCode::from(me.ppe_code.as_str()), ExamId::from(exam_id.as_str()));
    let now = state.ctx.clock.now();
    let ack = blocking(move || {
        let mut conn = state.ctx.db()?;
        ops::record_seating_report(&mut conn, &caller, &exam, &report, now)
    })
    .await?;
    Ok(Json(ack).into_response())
}
