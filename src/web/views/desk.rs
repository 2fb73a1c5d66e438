//! `/desk` — the staff-room desk: which auditorium and direction the barcode reader records
//! now, the live feed of scans (`/desk/events`, server-sent events) and what was recorded.

use std::convert::Infallible;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;

use super::{render_exam_page, Layout, PageQuery};
use crate::serial::Movement;
use crate::web::{Staff, WebError, WebState};

#[derive(Template)]
#[template(path = "box/desk.html")]
pub struct DeskView {
    pub layout: Layout,
    pub exam_id: String,
    /// "exam — аудитория N (выдача…)", or none chosen.
    pub selection: Option<String>,
    pub serial_port: String,
    /// Newest first, at most 300.
    pub movements: Vec<Movement>,
}

pub async fn desk_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let selection = state.desk_selection.lock().map(|s| s.clone()).unwrap_or(None);
    render_exam_page(&state, staff, "Штаб: выдача и возврат материалов", q, move |ctx, conn, layout, day, _q| {
        let id = day.exam.exam_id.clone();
        let movements = crate::serial::store::movements_for_exam(conn, &id)?.into_iter().rev().take(300).collect();
        let view = DeskView {
            layout,
            exam_id: id,
            selection: selection.map(|s| format!("{} — аудитория {} ({})", s.exam_id, s.auditorium, s.direction.title_ru())),
            serial_port: if ctx.config.serial.port.is_empty() { "не задан в ppe.toml".to_string() } else { ctx.config.serial.port.clone() },
            movements,
        };
        Ok(view.render()?)
    })
    .await
}

/// Every scan at the staff-room desk, as it happens (server-sent events).
pub async fn desk_events_get(State(state): State<WebState>, _staff: Staff) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = state.desk_events.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    let data = serde_json::to_string(&ev).unwrap_or_default();
                    return Some((Ok(Event::default().data(data)), rx));
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
