//! The dashboard's pages as askama templates (`templates/hub/*.html`, escaping automatic), one
//! view struct per page built from plain data, so that each is rendered and snapshot-tested
//! without a hub: `dashboard` (`/`), `point` (`/ppe/{exam}/{ppe}`), `login`, `operators`,
//! and the kit's error page. Texts of times are computed here, in the exam's local time.

pub mod dashboard;
pub mod error;
pub mod gek;
pub mod login;
pub mod operators;
pub mod point;
pub mod readiness;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::accounts::{OperatorRole, Session};
use super::{bytes_text, parse_time, PointRow};
use crate::http::AppError;

/// The header every page shares: the title and who is logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub title: String,
    pub who: Option<Who>,
}

/// The logged-in operator in the header (with the session's CSRF token for logging out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub login: String,
    pub role: &'static str,
    pub admin: bool,
    pub csrf: String,
}

impl Who {
    pub fn of(session: &Session) -> Self {
        Who { login: session.login.clone(), role: session.role.title_ru(), admin: session.role.allows(OperatorRole::Admin), csrf: session.csrf_token.clone() }
    }
}

impl Frame {
    pub fn new(title: impl Into<String>, who: Option<&Session>) -> Self {
        Frame { title: title.into(), who: who.map(Who::of) }
    }
}

/// The dashboard's policy for pages without a script of their own: its CSS is inline, no
/// script runs, nothing may frame it or take its forms elsewhere.
pub const HUB_CSP: &str = "default-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";

/// What the kit needs to know of the dashboard: JSON errors under `/v1/` and on `/metrics`;
/// HSTS on every answer (the hub serves HTTPS only).
pub static HUB_UI: crate::http::Ui = crate::http::Ui { name: "hub", api_prefixes: &["/v1/", "/metrics"], csp: HUB_CSP, render_error: error::render, hsts: true };

/// A rendered page; `script_nonce` allows the page's one inline script.
pub fn page(view: &impl askama::Template, script_nonce: Option<&str>) -> Result<Response, AppError> {
    let mut resp = crate::http::render(view)?.into_response();
    if let Some(nonce) = script_nonce {
        let csp = format!("default-src 'self'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'");
        if let Ok(v) = HeaderValue::from_str(&csp) {
            resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(resp)
}

/// `HH:MM` in the exam's local time.
pub fn local_hm(t: &str, offset_min: i32) -> String {
    match (parse_time(t), chrono::FixedOffset::east_opt(offset_min * 60)) {
        (Some(t), Some(o)) => t.with_timezone(&o).format("%H:%M").to_string(),
        _ => String::new(),
    }
}

/// `DD.MM HH:MM:SS` in the exam's local time (the text itself if it is not a time).
pub fn local_full(t: &str, offset_min: i32) -> String {
    let d = parse_time(t).and_then(|t| chrono::FixedOffset::east_opt(offset_min * 60).map(|o| t.with_timezone(&o)));
    d.map(|d| d.format("%d.%m %H:%M:%S").to_string()).unwrap_or_else(|| t.to_string())
}

/// The upload of a point: a text when nothing is uploading, else a bar and its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadCell {
    pub text: Option<&'static str>,
    pub percent: u8,
    pub detail: String,
}

impl UploadCell {
    pub fn of(r: &PointRow) -> Self {
        if r.bytes_total == 0 && r.files_total == 0 {
            let text = if r.receipt_id.is_some() { "квитанция получена" } else { "—" };
            return UploadCell { text: Some(text), percent: 0, detail: String::new() };
        }
        let rate = r.rate_bytes_per_second.map(|b| format!(" · {}/с", bytes_text(b))).unwrap_or_default();
        let detail = format!("{} из {} · файлов {}/{}{rate}", bytes_text(r.bytes_done), bytes_text(r.bytes_total), r.files_done, r.files_total);
        UploadCell { text: None, percent: r.upload_percent().unwrap_or(0), detail }
    }
}

/// The last error and the alarms of a point, on one line.
pub fn error_text(r: &PointRow) -> String {
    let mut parts: Vec<String> = r.last_error.iter().cloned().collect();
    parts.extend(r.alarms.iter().cloned());
    parts.join("; ")
}

/// Fixed inputs for the snapshot tests of the views (no clock, no database).
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::monitoring::accounts::{OperatorRole, Session};
    use crate::monitoring::{AttendanceReport, Health, MaterialsReport, PointRow, Stage};

    /// The exam of the judgement tests, at Moscow time.
    pub fn exam() -> crate::model::Exam {
        crate::model::Exam { utc_offset_min: 180, ..crate::monitoring::tests::exam() }
    }

    pub fn session(role: OperatorRole) -> Session {
        Session { login: "op1".into(), role, csrf_token: "c5rf".repeat(16), expires_at: "2027-05-27T14:00:00Z".into() }
    }

    pub fn row(code: &str, health: Health, stage: Stage) -> PointRow {
        PointRow {
            exam_id: "ege-02".into(),
            ppe_code: code.into(),
            name: format!("ППЭ при школе № {code} <\"A&B\">"),
            ate_code: "01".into(),
            ate_name: "Центральный район".into(),
            stage,
            stage_since: Some("2027-05-27T06:30:00Z".into()),
            health,
            reason: health.title_ru().into(),
            deadline: "2027-05-27T07:55:00Z".into(),
            last_seen_at: Some("2027-05-27T06:59:30Z".into()),
            clock_offset_ms: Some(1500),
            last_error: (health == Health::Silent).then(|| "сканер: замятие бумаги <script>".into()),
            alarms: vec![],
            bytes_done: if stage == Stage::Uploading { 20_000_000 } else { 0 },
            bytes_total: if stage == Stage::Uploading { 40_000_000 } else { 0 },
            files_done: if stage == Stage::Uploading { 76 } else { 0 },
            files_total: if stage == Stage::Uploading { 153 } else { 0 },
            rate_bytes_per_second: (stage == Stage::Uploading).then_some(125_000),
            pages_expected: 152,
            pages_scanned: if stage >= Stage::Scanning { 152 } else { 0 },
            pages_received: if health == Health::Done { 152 } else { 0 },
            pages_verified: if health == Health::Done { 152 } else { 0 },
            files: Default::default(),
            seating_done: true,
            attendance: AttendanceReport { planned: 40, present: 38, absent: 2, removed: 0, early: 1, closed: stage >= Stage::Scanning },
            materials: MaterialsReport { pulled: true, verified: true, manifest_version: Some(2), key_received: true, printed: true },
            published_version: Some(2),
            key_released: true,
            receipt_id: (health == Health::Done).then(|| "9f2c".into()),
        }
    }
}
