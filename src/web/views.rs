//! The box UI's pages (GET), one view per page: `views/<page>.rs` holds its handler, the view
//! struct and the function that fills it from the day's read model (`crate::day`) and the
//! stores; `templates/box/<page>.html` holds its markup (askama: compiled in, escaped by
//! default). Every page extends `box/base.html` (navigation, user, alarm bar, message).
//! Nothing here changes state (see `actions`).

pub mod accounts;
pub mod attendance;
pub mod audit;
pub mod desk;
pub mod home;
pub mod materials;
pub mod oral;
pub mod phone_key;
pub mod print;
pub mod roster;
pub mod scanning;
pub mod seating;
pub mod upload;

use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{access, blocking, Staff, WebError, WebState};
use crate::context::EdgeContext;
use crate::model::Exam;
use crate::store::Connection;

/// The query every page understands.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    pub exam: Option<String>,
    pub auditorium: Option<String>,
    pub action: Option<String>,
    pub id: Option<String>,
}

/// The logged-in person in the header, with the session's CSRF token for the logout form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub login: String,
    pub role: &'static str,
    pub csrf: String,
}

/// What `box/base.html` shows around every page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub title: &'static str,
    /// (path, title) of the sections this person may open.
    pub nav: Vec<(&'static str, &'static str)>,
    pub user: Option<User>,
    pub alarms: Vec<String>,
    /// The message an action left for this session (a flash; never text from the URL).
    pub message: Option<String>,
}

impl Layout {
    pub fn new(title: &'static str, staff: &Staff, alarms: Vec<String>, message: Option<String>) -> Layout {
        Layout {
            title,
            nav: super::NAV.iter().filter(|(_, _, a)| access::allowed(staff.role, *a)).map(|(p, t, _)| (*p, *t)).collect(),
            user: Some(User { login: staff.login.clone(), role: staff.worker_role.title_ru(), csrf: staff.csrf.clone() }),
            alarms,
            message,
        }
    }

    /// The frame of a page shown before anyone logged in (no navigation, no user).
    pub fn anonymous(title: &'static str, message: Option<String>) -> Layout {
        Layout { title, nav: Vec::new(), user: None, alarms: Vec::new(), message }
    }

    /// The session's CSRF token for the page's forms.
    pub fn csrf(&self) -> &str {
        self.user.as_ref().map(|u| u.csrf.as_str()).unwrap_or("")
    }
}

/// One exam in the exam selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamOption {
    pub exam_id: String,
    pub label: String,
    pub selected: bool,
}

/// The exam selector at the top of a page (`box/_exam_select.html`), with the auditorium
/// selector on the attendance page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExamSelect {
    pub path: &'static str,
    pub options: Vec<ExamOption>,
    /// (auditorium, selected); empty where the page has no auditorium selector.
    pub rooms: Vec<(String, bool)>,
    pub with_rooms: bool,
}

impl ExamSelect {
    pub fn new(exams: &[Exam], chosen: &str, path: &'static str) -> ExamSelect {
        ExamSelect {
            path,
            options: exams.iter().map(|e| ExamOption { exam_id: e.exam_id.clone(), label: format!("{} {}, {}", e.kind.title_ru(), e.subject_name, e.date), selected: e.exam_id == chosen }).collect(),
            rooms: Vec::new(),
            with_rooms: false,
        }
    }
}

/// Shown instead of a page that needs the plan before it arrived.
#[derive(Template)]
#[template(path = "box/no_plan.html")]
pub struct NoPlanView {
    pub layout: Layout,
}

impl NoPlanView {
    pub fn new(mut layout: Layout) -> NoPlanView {
        layout.message = None;
        NoPlanView { layout }
    }
}

/// Renders a page: on the blocking pool, reads the alarms and lets `fill` build and render the
/// view from the day's stores; the session's flash, if an action left one, is shown once.
pub(crate) async fn render_page(
    state: &WebState,
    staff: Staff,
    title: &'static str,
    fill: impl FnOnce(&EdgeContext, &Connection, Layout) -> anyhow::Result<String> + Send + 'static,
) -> Result<Response, WebError> {
    let ctx = state.ctx.clone();
    let message = state.flashes.take(staff.session_id());
    let html = blocking(move || {
        let conn = ctx.db()?;
        let alarms = crate::day::alarms(&conn, &ctx.config.ppe_code, ctx.clock.now())?;
        fill(&ctx, &conn, Layout::new(title, &staff, alarms, message))
    })
    .await?;
    Ok(Html(html).into_response())
}

/// Renders a page about one exam (asked in `?exam=`, or the nearest): the plan's "not yet"
/// page until the plan arrived, else what `fill` builds from the exam's day. An exam asked
/// for that is not in this point's plan is 404.
pub(crate) async fn render_exam_page(
    state: &WebState,
    staff: Staff,
    title: &'static str,
    q: PageQuery,
    fill: impl FnOnce(&EdgeContext, &Connection, Layout, crate::day::ExamDay, &PageQuery) -> anyhow::Result<String> + Send + 'static,
) -> Result<Response, WebError> {
    if let Some(asked) = q.exam.as_deref().filter(|e| !e.is_empty()) {
        super::require_exam_here(state, asked).await?;
    }
    render_page(state, staff, title, move |ctx, conn, layout| match crate::day::load_exam_day(conn, &ctx.config.ppe_code, q.exam.as_deref(), ctx.clock.now())? {
        Some(day) => fill(ctx, conn, layout, day, &q),
        None => Ok(NoPlanView::new(layout).render()?),
    })
    .await
}

#[cfg(test)]
mod tests;
