//! `/scanning` — pages expected, scanned and missing (against `day::expected_sheets`), taking
//! pages in now, exactly what is missing, and the pages a person must resolve with their
//! images (`/scanning/page`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::monitoring::PagesReport;
use crate::web::access::Action;
use crate::web::{blocking, Staff, WebError, WebState};

/// A field of a machine-read form waiting for a person's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkToResolve {
    pub page_id: String,
    pub form: String,
    /// The page of the form, from 1.
    pub page: u32,
    pub field: String,
    pub reason: String,
    /// What a value looks like: `да/нет` or `ЧЧ:ММ`.
    pub hint: &'static str,
}

/// A page waiting for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToResolve {
    pub page_id: String,
    pub reason: &'static str,
    pub source: String,
}

#[derive(Template)]
#[template(path = "box/scanning.html")]
pub struct ScanningView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    pub pages: PagesReport,
    pub to_resolve_count: u64,
    pub attendance_closed: bool,
    /// Where pages come from, when this person may take them in.
    pub source: Option<String>,
    /// What is missing, one line each (at most 200).
    pub missing: Vec<String>,
    pub to_resolve: Vec<PageToResolve>,
    /// Fields of machine-read forms whose marks a person must decide.
    pub marks: Vec<MarkToResolve>,
    pub may_assign: bool,
    /// Form pages matched, each by its form, copy and page («ППЭ-05-02, аудитория 101, лист 1 из 2»).
    pub forms: Vec<String>,
}

pub async fn scanning_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let may_scan = staff.may(Action::Scan);
    render_exam_page(&state, staff, "Сканирование", q, move |ctx, conn, layout, day, _q| {
        let ppe = &ctx.config.ppe_code;
        let id = day.exam.exam_id.clone();
        let n = crate::day::gather_box_numbers(conn, &id, ppe)?;
        let expected = crate::day::expected_sheets(conn, &id, ppe)?;
        let c = crate::scanning::intake::completeness_now(conn, &id, &expected)?;
        let source = may_scan.then(|| match (&ctx.config.scanner.device, &ctx.config.scanner.inbox) {
            (d, _) if !d.is_empty() => format!("сканер {d}"),
            (_, Some(inbox)) => format!("папка сетевого сканера {} (принимается и сама)", inbox.display()),
            _ => "сканер не задан в ppe.toml".into(),
        });
        let pages = crate::scanning::store::pages_for_exam(conn, &id)?;
        let mut forms: Vec<String> = pages.iter().filter(|p| p.status == "matched").filter_map(|p| p.form_place_ru()).collect();
        forms.sort();
        let to_resolve = pages
            .into_iter()
            .filter_map(|p| {
                let status = crate::scanning::PageStatus::parse(&p.status);
                status.is_none_or(|s| s.to_resolve()).then(|| PageToResolve {
                    page_id: p.page_id,
                    reason: status.map(|s| s.title_ru()).unwrap_or("?"),
                    source: p.source,
                })
            })
            .collect();
        let marks = crate::scanning::marks::ops::waiting(conn, &id)?
            .into_iter()
            .map(|m| MarkToResolve {
                hint: match m.kind.as_str() {
                    "time" => "ЧЧ:ММ",
                    "yes_no" => "да/нет",
                    _ => "",
                },
                page_id: m.page_id,
                form: m.form,
                page: m.page_index + 1,
                field: m.field,
                reason: m.reason,
            })
            .collect();
        let view = ScanningView {
            layout,
            select: ExamSelect::new(&day.exams, &id, "/scanning"),
            exam_id: id,
            pages: n.pages,
            to_resolve_count: c.to_resolve,
            attendance_closed: n.attendance.closed,
            source,
            missing: c.lines_ru().into_iter().take(200).collect(),
            to_resolve,
            marks,
            may_assign: may_scan,
            forms,
        };
        Ok(view.render()?)
    })
    .await
}

/// The stored image of one scanned page (for a person to resolve it).
pub async fn scanning_page_get(State(state): State<WebState>, _staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let ctx = state.ctx.clone();
    let page_id = q.id.clone().unwrap_or_default();
    let (bytes, ext) = blocking(move || {
        let conn = ctx.db()?;
        let page = crate::scanning::store::page_get(&conn, &page_id)?.ok_or_else(|| anyhow::anyhow!("страница не найдена"))?;
        // Only files the intake stored, under the box's scans folder.
        let path = std::path::PathBuf::from(&page.path);
        if !path.starts_with(ctx.config.state_dir.join("scans")) {
            anyhow::bail!("страница вне папки сканов");
        }
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        Ok((std::fs::read(&path)?, ext))
    })
    .await
    .map_err(|e| match e {
        WebError::Refused(m) => WebError::NotFound(m),
        other => other,
    })?;
    let mime = match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "tif" | "tiff" => "image/tiff",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "private, max-age=600")], bytes).into_response())
}
