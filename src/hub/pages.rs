//! The hub's web pages (РЦОИ): the region at a glance. Thin handlers over the plan store.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::clock::Clock;
use crate::web::html_escape as esc;

#[derive(Clone)]
pub struct HubPages {
    inner: Arc<Inner>,
}

struct Inner {
    hub: super::HubContext,
}

impl HubPages {
    pub fn new(config: PathBuf, clock: Clock) -> anyhow::Result<Self> {
        let hub = super::HubContext::open(&config)?.with_clock(clock);
        Ok(Self { inner: Arc::new(Inner { hub }) })
    }
}

pub fn router(state: HubPages) -> Router {
    Router::new().route("/", get(index_get)).with_state(state)
}

async fn index_get(State(state): State<HubPages>) -> Response {
    let hub = &state.inner.hub;
    let result = tokio::task::block_in_place(|| -> anyhow::Result<(crate::model::Plan, String)> {
        let conn = hub.db()?;
        Ok((crate::plan::store::load_plan(&conn)?, hub.clock.now_rfc3339()))
    });
    match result {
        Ok((plan, now)) => Html(render_index(&plan, &now)).into_response(),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "hub index");
            (axum::http::StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Ошибка сервера</h1>".to_string())).into_response()
        }
    }
}

fn render_index(plan: &crate::model::Plan, now: &str) -> String {
    let mut rows = String::new();
    for p in &plan.exam_points {
        let rooms = plan.auditoriums.iter().filter(|a| a.ppe_code == p.ppe_code).count();
        let per_exam: Vec<String> = plan
            .exams
            .iter()
            .map(|e| {
                let n = plan.registrations.iter().filter(|r| r.ppe_code == p.ppe_code && r.exam_id == e.exam_id).count();
                format!("{} {}: {n}", e.kind.title_ru(), esc(&e.subject_name))
            })
            .collect();
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{rooms}</td><td>{}</td></tr>",
            esc(&p.ppe_code),
            esc(&p.name),
            esc(&p.ate_name),
            per_exam.join("<br>")
        ));
    }
    format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>РЦОИ — мониторинг</title></head><body>\
         <h1>РЦОИ: пункты проведения экзаменов</h1><p>Время: {now}. {}</p>\
         <table border=\"1\" cellpadding=\"4\"><tr><th>Код ППЭ</th><th>Наименование</th><th>АТЕ</th><th>Аудиторий</th><th>Участников</th></tr>{rows}</table>\
         </body></html>",
        esc(&plan.counts().to_string())
    )
}
