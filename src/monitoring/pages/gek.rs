//! `/admin/gek` «Ключи членов ГЭК»: an operator of РЦОИ registers a plan ГЭК member's
//! hardware security key (WebAuthn) in the member's presence; the use cases are
//! `gek::webauthn::registration_{start,finish}`. Nothing on a box reaches these routes (they
//! need an operator's session on the hub).

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::{with_db, MonitoringPages, OperatorSession};
use crate::gek::ops::GekError;
use crate::http::AppError;
use crate::monitoring::accounts::OperatorRole;
use crate::monitoring::views;

pub fn routes() -> Router<MonitoringPages> {
    Router::new().route("/admin/gek", get(gek_get)).route("/admin/gek/register/start", post(start_post)).route("/admin/gek/register/finish", post(finish_post))
}

fn rp(state: &MonitoringPages) -> Result<std::sync::Arc<crate::gek::webauthn::Webauthn>, AppError> {
    state.gek_rp.clone().ok_or_else(|| AppError::Refused("ключи безопасности не настроены: раздел [gek] в hub.toml".into()))
}

fn gek_error(e: GekError) -> AppError {
    match e {
        GekError::Store(_) => AppError::internal(e),
        other => AppError::Refused(other.to_string()),
    }
}

async fn gek_get(State(state): State<MonitoringPages>, who: OperatorSession) -> Result<Response, AppError> {
    who.require(OperatorRole::Operator)?;
    let (plan, credentials) = with_db(&state.hub, |c, _| {
        let plan = crate::plan::store::load_plan(c).map_err(AppError::internal)?;
        Ok((plan, crate::gek::store::credential_list(c).map_err(AppError::internal)?))
    })
    .await?;
    let nonce = crate::http::session::random_token()?[..32].to_string();
    views::page(&views::gek::GekView::new(&who.session, &plan, &credentials, nonce.clone()), Some(&nonce))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    csrf: String,
    worker_id: String,
}

async fn start_post(State(state): State<MonitoringPages>, who: OperatorSession, Json(body): Json<StartBody>) -> Result<Json<serde_json::Value>, AppError> {
    who.check_csrf(&body.csrf)?;
    who.require(OperatorRole::Operator)?;
    let rp = rp(&state)?;
    let operator = who.session.login.clone();
    let (id, options) = with_db(&state.hub, move |c, hub| crate::gek::webauthn::registration_start(c, &rp, body.worker_id.trim(), &operator, hub.clock().now()).map_err(gek_error)).await?;
    Ok(Json(serde_json::json!({"id": id, "options": options})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FinishBody {
    csrf: String,
    id: String,
    credential: webauthn_rs::prelude::RegisterPublicKeyCredential,
}

async fn finish_post(State(state): State<MonitoringPages>, who: OperatorSession, Json(body): Json<FinishBody>) -> Result<Json<serde_json::Value>, AppError> {
    who.check_csrf(&body.csrf)?;
    who.require(OperatorRole::Operator)?;
    let rp = rp(&state)?;
    let operator = who.session.login.clone();
    let stored = with_db(&state.hub, move |c, hub| crate::gek::webauthn::registration_finish(c, &rp, &body.id, &body.credential, &operator, hub.clock().now()).map_err(gek_error)).await?;
    tracing::info!(worker = %stored.worker_id, by = %stored.enrolled_by, "ГЭК security key registered");
    Ok(Json(serde_json::json!({"message": format!("ключ безопасности члена ГЭК {} зарегистрирован", stored.worker_id)})))
}
