//! The hub's route for the key by phone (merged into the hub's server; the identity layer of
//! `hub::server` refuses it without an enrolled certificate before it runs): `POST
//! /v1/exams/{exam_id}/phone-seal`, a pre-staging box's signed request for its sealed key.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use ring::signature::Ed25519KeyPair;

use super::ops::{seal_for_box, PhoneCodeError};
use crate::context::{BoxIdentity, HubContext};
use crate::model::{ExamId, PpeCode};
use crate::protocol::key::KeyRequest;
use crate::protocol::{paths, ErrorBody};

/// What the route shares: the hub's database and signing key.
#[derive(Clone)]
pub struct PhoneSealRoutes {
    pub ctx: HubContext,
    pub signing_key: Arc<Ed25519KeyPair>,
}

pub fn router(state: PhoneSealRoutes) -> Router {
    Router::new().route(paths::PHONE_SEAL, post(phone_seal_post)).layer(DefaultBodyLimit::max(16 << 10)).with_state(state)
}

struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody::new(self.1, self.2))).into_response()
    }
}

fn refusal(e: PhoneCodeError) -> Refusal {
    match e.refusal() {
        Some(r) => Refusal(StatusCode::FORBIDDEN, r.code(), r.message_ru()),
        None => {
            tracing::error!("phone seal: {e}");
            Refusal(StatusCode::INTERNAL_SERVER_ERROR, "internal", "внутренняя ошибка РЦОИ".into())
        }
    }
}

async fn phone_seal_post(
    State(state): State<PhoneSealRoutes>,
    identity: Option<Extension<BoxIdentity>>,
    Path(exam_id): Path<String>,
    Json(request): Json<KeyRequest>,
) -> Result<Response, Refusal> {
    let me = identity
        .ok_or_else(|| Refusal(StatusCode::FORBIDDEN, "no_certificate", "клиентский сертификат не предъявлен или не зарегистрирован в РЦОИ".into()))?
        .0;
    let caller = PpeCode::from(me.ppe_code.as_str());
    let exam_id = ExamId::from(exam_id.as_str());
    let seal = tokio::task::spawn_blocking(move || seal_for_box(&state.ctx, &state.signing_key, &caller, &exam_id, &request))
        .await
        .map_err(|e| refusal(PhoneCodeError::Other(e.into())))?
        .map_err(refusal)?;
    Ok(Json(seal).into_response())
}
