//! `/audit` — the box's hash-chained log, newest first, filtered by the start of the action,
//! with the head of the chain.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{render_page, Layout, PageQuery};
use crate::audit::AuditEntry;
use crate::web::{Staff, WebError, WebState};

#[derive(Template)]
#[template(path = "box/audit.html")]
pub struct AuditView {
    pub layout: Layout,
    pub prefix: String,
    pub head: String,
    /// Newest first.
    pub entries: Vec<AuditEntry>,
}

pub async fn audit_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render_page(&state, staff, "Журнал", move |_ctx, conn, layout| {
        let prefix = q.action.clone().unwrap_or_default();
        let mut entries = crate::audit::store::list(conn, Some(prefix.as_str()), 500)?;
        entries.reverse();
        let (_, head) = crate::audit::store::head(conn)?;
        Ok(AuditView { layout, prefix, head, entries }.render()?)
    })
    .await
}
