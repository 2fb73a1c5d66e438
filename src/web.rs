//! The box's web UI on the exam point's LAN (server-rendered HTML, no external assets).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

use crate::clock::Clock;
use crate::model::Plan;

#[derive(Clone)]
pub struct BoxPages {
    inner: Arc<Inner>,
}

struct Inner {
    plan: Plan,
    ppe_code: String,
    clock: Clock,
}

impl BoxPages {
    pub fn new(plan: Plan, ppe_code: String, clock: Clock) -> Self {
        Self { inner: Arc::new(Inner { plan, ppe_code, clock }) }
    }
}

/// The UI the daemon (`edge::serve`) serves on the LAN. The staff-room desk selection and
/// events are shared with the barcode reader.
pub fn lan_router(
    ctx: crate::edge::EdgeContext,
    _desk_selection: std::sync::Arc<std::sync::Mutex<Option<crate::serial::DeskSelection>>>,
    _desk_events: tokio::sync::broadcast::Sender<crate::serial::DeskEvent>,
) -> anyhow::Result<Router> {
    let state = ctx.clone();
    Ok(Router::new().route(
        "/",
        get(move || {
            let ctx = state.clone();
            async move {
                // The plan arrives from the hub while the daemon runs: read it per request.
                let plan = tokio::task::spawn_blocking(move || -> anyhow::Result<Plan> {
                    Ok(crate::plan::store::load_plan(&ctx.db()?)?.for_exam_point(&ctx.config.ppe_code))
                })
                .await;
                match plan {
                    Ok(Ok(plan)) => index_get(State(BoxPages::new(plan, state.config.ppe_code.clone(), state.clock.clone()))).await,
                    _ => Html("<!doctype html><p>База данных станции недоступна</p>".to_string()),
                }
            }
        }),
    ))
}

pub fn router(state: BoxPages) -> Router {
    Router::new().route("/", get(index_get)).with_state(state)
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn index_get(State(state): State<BoxPages>) -> Html<String> {
    let s = &state.inner;
    let name = s.plan.exam_points.first().map(|p| p.name.clone()).unwrap_or_default();
    let mut exams = String::new();
    for e in &s.plan.exams {
        let n = s.plan.registrations.iter().filter(|r| r.exam_id == e.exam_id).count();
        exams.push_str(&format!(
            "<li>{} — {}, {} в {} (местное время), участников: {n}</li>",
            e.kind.title_ru(),
            html_escape(&e.subject_name),
            html_escape(&e.date),
            html_escape(&e.start)
        ));
    }
    Html(format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>ППЭ {code}</title></head><body>\
         <h1>ППЭ {code}: {name}</h1><p>Время: {now}</p><h2>Экзамены</h2><ul>{exams}</ul>\
         <p>Аудиторий: {rooms}, работников: {workers}</p></body></html>",
        code = html_escape(&s.ppe_code),
        name = html_escape(&name),
        now = s.clock.now_rfc3339(),
        rooms = s.plan.auditoriums.len(),
        workers = s.plan.workers.len(),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(super::html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
