//! SQL of scanning: the pages taken in and their verdicts.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScannedPageRow {
    pub page_id: String,
    pub exam_id: String,
    pub sha256: String,
    pub size: u64,
    pub path: String,
    pub source: String,
    pub scanned_at: String,
    pub code_text: Option<String>,
    pub sheet_kind: Option<String>,
    pub sheet_number: Option<u32>,
    pub participant_id: Option<String>,
    pub status: String,
    pub reason: String,
    pub resolved_by: Option<String>,
    /// A form's page: the form, its auditorium, «лист form_page из form_pages».
    pub form: Option<String>,
    pub auditorium: Option<String>,
    pub form_page: Option<u32>,
    pub form_pages: Option<u32>,
}

impl ScannedPageRow {
    /// Sets the form columns from a matched form page (or clears them).
    pub fn with_form(self, form: Option<&super::FormPage>) -> Self {
        Self {
            form: form.map(|f| f.form.clone()),
            auditorium: form.and_then(|f| f.auditorium.clone()),
            form_page: form.map(|f| f.page),
            form_pages: form.map(|f| f.pages),
            ..self
        }
    }

    /// The form, copy and page this page was matched to, if a form's.
    pub fn form_page(&self) -> Option<super::FormPage> {
        Some(super::FormPage {
            form: self.form.clone()?,
            auditorium: self.auditorium.clone(),
            participant_id: self.participant_id.clone(),
            page: self.form_page.unwrap_or(1),
            pages: self.form_pages.unwrap_or(1),
        })
    }

    /// `ППЭ-05-02, аудитория 101, лист 2 из 2` for a form's page.
    pub fn form_place_ru(&self) -> Option<String> {
        self.form_page().map(|p| p.place_ru())
    }
}

const COLUMNS: &str = "page_id, exam_id, sha256, size, path, source, scanned_at, code_text, sheet_kind, sheet_number,
    participant_id, status, reason, resolved_by, form, auditorium, form_page, form_pages";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScannedPageRow> {
    Ok(ScannedPageRow {
        page_id: r.get(0)?,
        exam_id: r.get(1)?,
        sha256: r.get(2)?,
        size: r.get::<_, i64>(3)? as u64,
        path: r.get(4)?,
        source: r.get(5)?,
        scanned_at: r.get(6)?,
        code_text: r.get(7)?,
        sheet_kind: r.get(8)?,
        sheet_number: r.get::<_, Option<i64>>(9)?.map(|n| n as u32),
        participant_id: r.get(10)?,
        status: r.get(11)?,
        reason: r.get(12)?,
        resolved_by: r.get(13)?,
        form: r.get(14)?,
        auditorium: r.get(15)?,
        form_page: r.get(16)?,
        form_pages: r.get(17)?,
    })
}

pub fn page_insert(conn: &Connection, p: &ScannedPageRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO scanned_page ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"),
        params![
            p.page_id,
            p.exam_id,
            p.sha256,
            p.size as i64,
            p.path,
            p.source,
            p.scanned_at,
            p.code_text,
            p.sheet_kind,
            p.sheet_number.map(i64::from),
            p.participant_id,
            p.status,
            p.reason,
            p.resolved_by,
            p.form,
            p.auditorium,
            p.form_page,
            p.form_pages
        ],
    )?;
    Ok(())
}

/// The page stored as these bytes, or stored (under a page policy) from a scanner's file of them.
pub fn page_by_sha256(conn: &Connection, exam_id: &str, sha256: &str) -> rusqlite::Result<Option<ScannedPageRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM scanned_page WHERE exam_id = ?1 AND (sha256 = ?2 OR original_sha256 = ?2) LIMIT 1"),
        params![exam_id, sha256],
        from_row,
    )
    .optional()
}

pub fn page_get(conn: &Connection, page_id: &str) -> rusqlite::Result<Option<ScannedPageRow>> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM scanned_page WHERE page_id = ?1"), [page_id], from_row).optional()
}

/// Whether a matched page of this sheet exists.
pub fn sheet_is_scanned(conn: &Connection, exam_id: &str, kind: &str, number: u32) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM scanned_page WHERE exam_id = ?1 AND sheet_kind = ?2 AND sheet_number = ?3 AND status = 'matched')",
        params![exam_id, kind, i64::from(number)],
        |r| r.get(0),
    )
}

pub fn pages_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<ScannedPageRow>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM scanned_page WHERE exam_id = ?1 ORDER BY scanned_at, page_id"))?;
    let rows = stmt.query_map([exam_id], from_row)?.collect();
    rows
}

/// A person's decision on a page: it is this sheet (of this participant, or this form's page).
#[allow(clippy::too_many_arguments)]
pub fn page_resolve(
    conn: &Connection,
    page_id: &str,
    code_text: Option<&str>,
    kind: &str,
    number: u32,
    participant_id: Option<&str>,
    form: Option<&super::FormPage>,
    resolved_by: &str,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE scanned_page SET status = 'matched', reason = '', code_text = COALESCE(?2, code_text), sheet_kind = ?3,
           sheet_number = ?4, participant_id = ?5, resolved_by = ?6, form = ?7, auditorium = ?8, form_page = ?9, form_pages = ?10
         WHERE page_id = ?1",
        params![
            page_id,
            code_text,
            kind,
            i64::from(number),
            participant_id,
            resolved_by,
            form.map(|f| f.form.as_str()),
            form.and_then(|f| f.auditorium.as_deref()),
            form.map(|f| f.page),
            form.map(|f| f.pages)
        ],
    )? > 0)
}
