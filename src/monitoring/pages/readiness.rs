//! `/readiness` «Готовность ППЭ» and its JSON `/v1/status/readiness`: each point's technical
//! readiness for an exam day (the next one by default) from the reports boxes sent the day
//! before (`readiness::pages` receives them). Operators of any role read it.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::{with_db, MonitoringPages, OperatorSession};
use crate::http::AppError;
use crate::monitoring::views;
use crate::readiness::DayRow;

pub fn routes() -> Router<MonitoringPages> {
    Router::new().route("/readiness", get(readiness_get)).route("/v1/status/readiness", get(readiness_json_get))
}

#[derive(Deserialize, Default)]
struct DayQuery {
    date: Option<String>,
}

/// The JSON of a day's readiness.
#[derive(Serialize)]
pub struct ReadinessDay {
    pub date: Option<String>,
    pub points: Vec<DayRow>,
}

/// The day asked for (or the next exam day by the hub's clock), the exam days ahead, the rows
/// and each exam's offset.
async fn day(state: &MonitoringPages, asked: Option<String>) -> Result<(Option<String>, Vec<String>, Vec<DayRow>, Vec<(String, i32)>), AppError> {
    with_db(&state.hub, move |c, hub| {
        let plan = crate::plan::store::load_plan(c).map_err(AppError::internal)?;
        let date = asked.filter(|d| !d.is_empty()).or_else(|| crate::readiness::next_exam_day(&plan.exams, hub.clock().now()));
        let mut dates: Vec<String> = plan.exams.iter().map(|e| e.date.clone()).collect();
        dates.sort();
        dates.dedup();
        let mut reports = Vec::new();
        for exam in plan.exams.iter().filter(|e| Some(&e.date) == date.as_ref()) {
            reports.extend(crate::readiness::store::reports_latest_for_exam(c, &exam.exam_id).map_err(AppError::internal)?);
        }
        let rows = date.as_deref().map(|d| crate::readiness::day_table(&plan, d, &reports)).unwrap_or_default();
        let offsets = plan.exams.iter().map(|e| (e.exam_id.clone(), e.utc_offset_min)).collect();
        Ok((date, dates, rows, offsets))
    })
    .await
}

async fn readiness_get(State(state): State<MonitoringPages>, who: OperatorSession, Query(q): Query<DayQuery>) -> Result<Response, AppError> {
    let (date, dates, rows, offsets) = day(&state, q.date).await?;
    let offset_of = |exam: &str| offsets.iter().find(|(e, _)| e == exam).map(|(_, o)| *o).unwrap_or(180);
    views::page(&views::readiness::ReadinessView::new(&who.session, date.as_deref(), dates, &rows, offset_of), None)
}

async fn readiness_json_get(
    State(state): State<MonitoringPages>,
    _who: OperatorSession,
    Query(q): Query<DayQuery>,
) -> Result<Json<ReadinessDay>, AppError> {
    let (date, _, points, _) = day(&state, q.date).await?;
    Ok(Json(ReadinessDay { date, points }))
}
