//! `/roster` — the workers of an exam on their posts, assigning by the rules and replacing an
//! absent worker from the reserve (ППЭ-19); the last assignment's seed and every rule it could
//! not meet.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::roster::store::RosterRun;
use crate::roster::Replacement;
use crate::web::access::Action;
use crate::web::{Staff, WebError, WebState};

/// One post and who holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostLine {
    pub post: String,
    pub worker_name: String,
    pub worker_id: String,
}

#[derive(Template)]
#[template(path = "box/roster.html")]
pub struct RosterView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    pub may_change: bool,
    pub posts: Vec<PostLine>,
    /// The last assignment: its seed, numbers and shortfalls.
    pub run: Option<RosterRun>,
    pub replacements: Vec<Replacement>,
}

pub async fn roster_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let may_change = staff.may(Action::ChangeRoster);
    render_exam_page(&state, staff, "Работники", q, move |ctx, conn, layout, day, _q| {
        let ppe = &ctx.config.ppe_code;
        let id = day.exam.exam_id.clone();
        let workers: HashMap<&str, &crate::model::Worker> = day.plan.workers.iter().map(|w| (w.worker_id.as_str(), w)).collect();
        let posts = crate::roster::store::roster_get(conn, &id, ppe)?
            .into_iter()
            .map(|e| PostLine {
                post: e.post.title_ru().to_string(),
                worker_name: workers.get(e.worker_id.as_str()).map(|w| w.full_name()).unwrap_or_default(),
                worker_id: e.worker_id,
            })
            .collect();
        let run = crate::roster::store::roster_run_latest(conn, &id, ppe)?;
        let replacements = crate::roster::store::replacements(conn, &id)?;
        let view = RosterView { layout, select: ExamSelect::new(&day.exams, &id, "/roster"), exam_id: id, may_change, posts, run, replacements };
        Ok(view.render()?)
    })
    .await
}
