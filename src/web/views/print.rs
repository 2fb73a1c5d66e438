//! `/print` — the print centre: print kits, seating lists, statements or the exam materials,
//! and every job with its CUPS state, to confirm as received or to repeat.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::web::{Staff, WebError, WebState};

/// One print job, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLine {
    pub print_job_id: i64,
    pub document: String,
    pub auditorium: String,
    pub pages: u32,
    pub failed: bool,
    pub state: &'static str,
    pub confirmed_by: Option<String>,
}

#[derive(Template)]
#[template(path = "box/print.html")]
pub struct PrintView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    pub printer: String,
    pub jobs: Vec<JobLine>,
}

pub async fn print_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render_exam_page(&state, staff, "Печать", q, move |ctx, conn, layout, day, _q| {
        let id = day.exam.exam_id.clone();
        let jobs = crate::printing::store::print_jobs_for_exam(conn, &id)?
            .into_iter()
            .rev()
            .map(|j| JobLine {
                print_job_id: j.print_job_id,
                document: j.document,
                auditorium: j.auditorium.unwrap_or_else(|| "все".into()),
                pages: j.pages,
                failed: j.state.is_failed(),
                state: j.state.code(),
                confirmed_by: j.confirmed_by,
            })
            .collect();
        let printer = if ctx.config.printer.name.is_empty() { "не задан в ppe.toml".to_string() } else { ctx.config.printer.name.clone() };
        let view = PrintView { layout, select: ExamSelect::new(&day.exams, &id, "/print"), exam_id: id, printer, jobs };
        Ok(view.render()?)
    })
    .await
}
