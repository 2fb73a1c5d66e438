//! The activation panel's «Ключ безопасности» (JSON, for the page's script): step one asks the
//! hub for a challenge for the logged-in ГЭК member (the account's worker id: the member can
//! only activate as themselves), step two relays the member's assertion with the box's key
//! request (`materials::activation::security_key_{start,finish}`). The route table gives both to
//! the ГЭК role only; CSRF is checked in the body.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{blocking, require_exam_here, Staff, WebError, WebState};
use crate::context::EdgeContext;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    #[allow(dead_code)]
    csrf: String,
    exam: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishBody {
    #[allow(dead_code)]
    csrf: String,
    exam: String,
    challenge: String,
    credential: serde_json::Value,
}

/// The body's CSRF token checked before anything else is read from it (a body that is not JSON
/// has none and is refused like a form without one).
fn checked<T: DeserializeOwned>(staff: &Staff, body: &[u8]) -> Result<T, WebError> {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    staff.check_csrf(value.get("csrf").and_then(|c| c.as_str()).unwrap_or(""))?;
    serde_json::from_value(value).map_err(|e| WebError::from(anyhow::anyhow!("запрос страницы активации не разобран: {e}")))
}

fn account_worker(ctx: &EdgeContext, login: &str) -> anyhow::Result<String> {
    crate::accounts::store::account_get(&*ctx.db()?, login)?.map(|a| a.0.worker_id).ok_or_else(|| anyhow::anyhow!("учётная запись {login} не найдена"))
}

pub async fn start_post(State(state): State<WebState>, staff: Staff, body: Bytes) -> Result<Json<serde_json::Value>, WebError> {
    let body: StartBody = checked(&staff, &body)?;
    require_exam_here(&state, &body.exam).await?;
    let (ctx, actor, exam) = (state.ctx.clone(), staff.login.clone(), body.exam.trim().to_string());
    let (challenge, options) = blocking(move || {
        let worker = account_worker(&ctx, &actor)?;
        tokio::runtime::Handle::current().block_on(crate::materials::activation::security_key_start(&ctx, &exam, &worker, &actor)).map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await?;
    let options: serde_json::Value = serde_json::from_str(&options).map_err(|e| WebError::from(anyhow::anyhow!("ответ РЦОИ: {e}")))?;
    Ok(Json(serde_json::json!({"challenge": challenge, "options": options})))
}

pub async fn finish_post(State(state): State<WebState>, staff: Staff, body: Bytes) -> Result<Json<serde_json::Value>, WebError> {
    let body: FinishBody = checked(&staff, &body)?;
    require_exam_here(&state, &body.exam).await?;
    let (ctx, actor, exam) = (state.ctx.clone(), staff.login.clone(), body.exam.trim().to_string());
    let (challenge, assertion) = (body.challenge, body.credential.to_string());
    let report = blocking(move || {
        let pulled_by = crate::materials::ops::last_puller(&ctx, &crate::model::ExamId::from(exam.as_str()))?;
        tokio::runtime::Handle::current()
            .block_on(crate::materials::activation::security_key_finish(&ctx, &exam, &challenge, &assertion, &actor, &pulled_by))
            .map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await?;
    let msg = format!("ключ получен и активирован членом ГЭК {} (ключ безопасности)", report.gek_worker_id);
    state.flashes.put(staff.session_id(), &msg);
    Ok(Json(serde_json::json!({"message": msg})))
}
