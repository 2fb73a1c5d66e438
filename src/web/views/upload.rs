//! `/upload` — the upload to РЦОИ: time left to the deadline, progress, the speed and when it
//! will finish (late is called out), the signed receipt, and starting it now.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::monitoring::UploadReport;
use crate::web::access::Action;
use crate::web::{Staff, WebError, WebState};

/// The measured speed and when the upload will end at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    /// МБ/с, two decimals.
    pub rate: String,
    pub done_at: String,
    /// It would end after the deadline.
    pub late: bool,
}

/// The receipt held, as staff read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLine {
    pub file_count: u64,
    pub total_bytes: u64,
    pub received_at: String,
    pub manifest_sha256: String,
}

#[derive(Template)]
#[template(path = "box/upload.html")]
pub struct UploadView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    /// The deadline in the exam point's time and the minutes left (negative when passed).
    pub deadline: Option<(String, i64)>,
    pub upload: UploadReport,
    /// Bytes remain: the speed is measured (`None` while measuring).
    pub running: bool,
    pub estimate: Option<Estimate>,
    pub receipt: Option<ReceiptLine>,
    pub may_start: bool,
}

pub async fn upload_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let may_upload = staff.may(Action::Upload);
    render_exam_page(&state, staff, "Выгрузка", q, move |ctx, conn, layout, day, _q| {
        let now = ctx.clock.now();
        let ppe = &ctx.config.ppe_code;
        let exam = &day.exam;
        let id = exam.exam_id.clone();
        let numbers = crate::day::gather_box_numbers(conn, &id, ppe)?;
        let (u, pages_to_scan) = (numbers.upload, numbers.pages.missing);
        let schedule = day.schedule;
        // Scanning and sending overlap: the estimate is the slower of the two (the scanner's
        // pace over the pages still to scan, the link's rate over the bytes still to send).
        let eta = if u.receipt_id.is_none() { crate::upload::stream::ops::overlap_now(conn, &id, pages_to_scan)? } else { None };
        let running = u.receipt_id.is_none() && (u.bytes_total > u.bytes_done || eta.is_some_and(|e| e.seconds > 0.0));
        let mut estimate = None;
        if running {
            let link = crate::upload::stream::ops::link_measure(conn, &id)?;
            estimate = eta.zip(link).map(|(eta, link)| {
                let done_at = now + chrono::Duration::seconds(eta.seconds as i64);
                Estimate {
                    rate: format!("{:.2}", link.bytes_per_second / 1e6),
                    done_at: crate::day::local_time_text(done_at, exam.utc_offset_min),
                    late: schedule.is_some_and(|s| done_at > s.deadline),
                }
            });
        }
        let receipt = match crate::upload::store::receipt_latest(conn, &id)? {
            Some((manifest, json)) => {
                let r: crate::upload::Receipt = serde_json::from_str(&json)?;
                Some(ReceiptLine {
                    file_count: r.receipt.file_count,
                    total_bytes: r.receipt.total_bytes,
                    received_at: r.receipt.received_at,
                    manifest_sha256: manifest,
                })
            }
            None => None,
        };
        let view = UploadView {
            layout,
            select: ExamSelect::new(&day.exams, &id, "/upload"),
            exam_id: id,
            deadline: schedule.map(|s| (crate::day::local_time_text(s.deadline, exam.utc_offset_min), (s.deadline - now).num_minutes())),
            may_start: may_upload && u.receipt_id.is_none(),
            upload: u,
            running,
            estimate,
            receipt,
        };
        Ok(view.render()?)
    })
    .await
}
