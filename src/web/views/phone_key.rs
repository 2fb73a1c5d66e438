//! `/materials/phone` — «Ключ по телефону»: when the box cannot reach РЦОИ in the window, the
//! ГЭК member (or the head of the point), in their own session, types the code РЦОИ dictates;
//! each group is checked by its check digit as it is typed (`app.js`) and again on the box
//! (`materials::phone_code`), and the code opens the key the box pre-staged sealed for itself.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::materials::phone_code::{GROUPS, GROUP_LEN, MAX_WRONG_CODES};
use crate::web::{Staff, WebError, WebState};

#[derive(Template)]
#[template(path = "box/phone_key.html")]
pub struct PhoneKeyView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    /// The version of the package whose key is sealed for this box, if one is.
    pub sealed_version: Option<u64>,
    pub wrong_codes: u32,
    pub max_wrong: u32,
    pub locked: bool,
    /// Who activated the key (online or by phone), once activated.
    pub activated_by: Option<String>,
    pub groups: usize,
    pub group_len: usize,
}

pub async fn phone_key_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    render_exam_page(&state, staff, "Ключ по телефону", q, move |_ctx, conn, layout, day, _q| {
        let id = &day.exam.exam_id;
        let seal = crate::materials::phone_code::store::seal_get(conn, id)?;
        let activated_by = match crate::materials::store::key_get(conn, id)? {
            Some(pkg) => crate::materials::store::activation_get(conn, id, &pkg)?,
            None => None,
        };
        let view = PhoneKeyView {
            select: ExamSelect::new(&day.exams, id, "/materials/phone"),
            exam_id: id.clone(),
            sealed_version: seal.as_ref().map(|s| s.version),
            wrong_codes: seal.as_ref().map_or(0, |s| s.wrong_codes),
            max_wrong: MAX_WRONG_CODES,
            locked: seal.as_ref().is_some_and(|s| s.locked_at.is_some()),
            activated_by,
            groups: GROUPS,
            group_len: GROUP_LEN,
            layout,
        };
        Ok(view.render()?)
    })
    .await
}
