//! `/accounts` — the box's local accounts and creating one (login, worker, role, password).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{render_page, Layout};
use crate::model::WorkerRole;
use crate::web::{Staff, WebError, WebState};

/// One account: login, worker id, role as staff read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLine {
    pub login: String,
    pub worker_id: String,
    pub role: &'static str,
}

#[derive(Template)]
#[template(path = "box/accounts.html")]
pub struct AccountsView {
    pub layout: Layout,
    pub accounts: Vec<AccountLine>,
    /// (code, title) of every role an account may have.
    pub roles: Vec<(&'static str, &'static str)>,
}

pub async fn accounts_get(State(state): State<WebState>, staff: Staff) -> Result<Response, WebError> {
    render_page(&state, staff, "Учётные записи", move |_ctx, conn, layout| {
        let accounts = crate::accounts::store::account_list(conn)?
            .into_iter()
            .map(|(login, worker_id, role)| AccountLine { login, worker_id, role: WorkerRole::parse(&role).map(|r| r.title_ru()).unwrap_or("?") })
            .collect();
        Ok(AccountsView { layout, accounts, roles: WorkerRole::ALL.iter().map(|r| (r.code(), r.title_ru())).collect() }.render()?)
    })
    .await
}
