//! `/materials` — the package of an exam (signed manifest, files verified by SHA-256), the key
//! and the ГЭК activation; pulling now (the technical specialist) and activating (ГЭК).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::web::access::Action;
use crate::web::{Staff, WebError, WebState};

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    pub name: String,
    pub plain_len: u64,
    pub verified: bool,
}

#[derive(Template)]
#[template(path = "box/materials.html")]
pub struct MaterialsView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    /// The manifest's version and files, once a signed manifest is held.
    pub package: Option<(u64, Vec<PackageFile>)>,
    pub key_received: bool,
    /// Who activated the key (ГЭК member), once activated.
    pub activated_by: Option<String>,
    /// When the materials window opens, in the exam point's time.
    pub window_opens: Option<String>,
    pub may_pull: bool,
    pub may_activate: bool,
}

pub async fn materials_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let may_pull = staff.may(Action::PullMaterials);
    let may_activate = staff.may(Action::ActivateMaterials);
    render_exam_page(&state, staff, "Материалы", q, move |_ctx, conn, layout, day, _q| {
        let exam = &day.exam;
        let id = &exam.exam_id;
        let package = match crate::materials::store::manifest_get(conn, id)? {
            Some((version, json)) => {
                let signed: crate::materials::SignedManifest = serde_json::from_str(&json)?;
                let verified = crate::materials::store::files_verified(conn, id, &signed.manifest.package_id)?;
                Some((version, signed.manifest.files.iter().map(|f| PackageFile { name: f.name.clone(), plain_len: f.plain_len, verified: verified.contains(&f.name) }).collect()))
            }
            None => None,
        };
        let key = crate::materials::store::key_get(conn, id)?;
        let activated_by = match &key {
            Some(pkg) => crate::materials::store::activation_get(conn, id, pkg)?,
            None => None,
        };
        let staged = package.as_ref().is_some_and(|(_, files): &(u64, Vec<PackageFile>)| files.iter().all(|f| f.verified));
        let view = MaterialsView {
            select: ExamSelect::new(&day.exams, id, "/materials"),
            exam_id: id.clone(),
            package,
            key_received: key.is_some(),
            // The ГЭК member's credential obtains the key: offered once the ciphertext is here.
            may_activate: may_activate && staged && activated_by.is_none(),
            activated_by,
            window_opens: exam.materials_window().map(|(start, _)| crate::day::local_time_text(start, exam.utc_offset_min)),
            may_pull,
            layout,
        };
        Ok(view.render()?)
    })
    .await
}
