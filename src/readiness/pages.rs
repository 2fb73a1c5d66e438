//! The hub's readiness route for boxes (merged into the hub's server; the identity layer of
//! `hub::server` refuses it without an enrolled certificate before it runs): `POST
//! /v1/readiness`, a box's report of its stations the day before an exam, judged and kept.
//! The operators' view of the reports is the dashboard's (`monitoring::pages`).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};

use super::ops::{self, ReadinessError};
use super::{BadReport, ReadinessReport};
use crate::context::{BoxIdentity, HubContext};
use crate::model::PpeCode;
use crate::protocol::{paths, ErrorBody};

/// A report of a point with a few dozen stations is a few tens of KiB.
const REPORT_BODY_LIMIT: usize = 512 << 10;

/// What the readiness route shares.
#[derive(Clone)]
pub struct ReadinessRoutes {
    pub ctx: HubContext,
}

pub fn router(state: ReadinessRoutes) -> Router {
    Router::new().route(paths::READINESS, post(report_post)).layer(DefaultBodyLimit::max(REPORT_BODY_LIMIT)).with_state(state)
}

struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody::new(self.1, self.2))).into_response()
    }
}

fn refusal(e: ReadinessError) -> Refusal {
    let text = e.to_string();
    match &e {
        ReadinessError::BadReport(BadReport::WrongPoint { .. }) => Refusal(StatusCode::FORBIDDEN, "wrong_exam_point", text),
        ReadinessError::BadReport(BadReport::Shape(_)) => Refusal(StatusCode::BAD_REQUEST, "bad_report", text),
        _ => {
            tracing::error!("readiness: {text}");
            Refusal(StatusCode::INTERNAL_SERVER_ERROR, "internal", "внутренняя ошибка РЦОИ".into())
        }
    }
}

async fn report_post(
    State(state): State<ReadinessRoutes>,
    identity: Option<Extension<BoxIdentity>>,
    Json(report): Json<ReadinessReport>,
) -> Result<Response, Refusal> {
    let me = identity
        .ok_or_else(|| Refusal(StatusCode::FORBIDDEN, "no_certificate", "клиентский сертификат не предъявлен или не зарегистрирован в РЦОИ".into()))?
        .0;
    let caller = PpeCode::from(me.ppe_code.as_str());
    let now = state.ctx.clock.now();
    let ack = tokio::task::spawn_blocking(move || {
        let mut conn = state.ctx.db()?;
        ops::record_report(&mut conn, &caller, &report, now)
    })
    .await
    .map_err(|e| refusal(ReadinessError::Other(e.into())))?
    .map_err(refusal)?;
    tracing::info!(ppe = %me.ppe_code, ready = ack.ready, "readiness report received");
    Ok(Json(ack).into_response())
}
