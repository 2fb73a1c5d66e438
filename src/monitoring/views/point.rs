//! `/ppe/{exam}/{ppe}`: one exam point on one exam — its judgement, the numbers of its day,
//! the hub's receipt, the timeline with the operators' notes, and the last reports.

use chrono::{DateTime, Utc};

use super::{error_text, local_full, Frame, UploadCell};
use crate::monitoring::accounts::{OperatorRole, Session};
use crate::monitoring::store::{HistoryRow, TimelineEntry};
use crate::monitoring::{bytes_text, clock_offset_text, parse_time, seen_ago_text, time_left_text, AttendanceReport, PointRow, Stage};

#[derive(askama::Template)]
#[template(path = "hub/point.html")]
pub struct PointView {
    pub frame: Frame,
    pub exam_id: String,
    pub ppe_code: String,
    pub name: String,
    pub ate_name: String,
    pub colour: &'static str,
    pub health: &'static str,
    pub reason: String,
    pub stage: &'static str,
    pub since: String,
    pub deadline: String,
    pub left: String,
    pub seen: String,
    pub offset: String,
    pub verified_version: String,
    pub published_version: String,
    pub key_released: &'static str,
    pub key_received: &'static str,
    pub printed: &'static str,
    pub seated: &'static str,
    pub attendance: AttendanceReport,
    pub pages_expected: u64,
    pub pages_scanned: u64,
    pub pages_received: u64,
    pub pages_verified: u64,
    /// Recordings or answer files of an oral / КЕГЭ exam.
    pub files: Option<super::dashboard::FilesCell>,
    pub upload: UploadCell,
    pub error: String,
    pub receipt: Option<ReceiptView>,
    /// A receipt the box reports that the hub has no record of.
    pub claimed_receipt: Option<String>,
    pub timeline: Vec<TimelineLine>,
    /// Operators (not viewers) add notes.
    pub may_note: bool,
    pub csrf: String,
    pub history: Vec<HistoryLine>,
}

pub struct ReceiptView {
    pub manifest: String,
    pub at: String,
    pub pretty: String,
}

pub struct TimelineLine {
    pub at: String,
    pub what: String,
}

pub struct HistoryLine {
    pub received_at: String,
    pub stage: &'static str,
    pub bytes_done: String,
    pub bytes_total: String,
    pub files_done: u64,
    pub pages_scanned: u64,
    pub error: String,
}

/// What the point page shows, as the stores and the live view hold it.
pub struct PointData<'a> {
    pub row: &'a PointRow,
    pub timeline: &'a [TimelineEntry],
    pub history: &'a [HistoryRow],
    /// The hub's accepted bundle: (manifest SHA-256, received at, receipt JSON).
    pub receipt: Option<&'a (String, String, String)>,
    pub offset_min: i32,
    pub now: DateTime<Utc>,
}

fn yes(b: bool) -> &'static str {
    if b {
        "да"
    } else {
        "нет"
    }
}

fn version(v: Option<u64>) -> String {
    v.map(|v| format!("v{v}")).unwrap_or_else(|| "—".into())
}

fn timeline_text(e: &TimelineEntry) -> String {
    match e.kind.as_str() {
        "stage" => format!("этап: {}", Stage::parse(&e.detail).title_ru()),
        "error" => format!("ошибка: {}", e.detail),
        "receipt" => format!("станция получила квитанцию {}", e.detail),
        "note" => format!("заметка {}: {}", e.operator_login.as_deref().unwrap_or(""), e.detail),
        other => other.to_string(),
    }
}

impl PointView {
    pub fn new(who: &Session, d: &PointData<'_>) -> Self {
        let (r, now, local) = (d.row, d.now, |t: &str| local_full(t, d.offset_min));
        PointView {
            frame: Frame::new(format!("ППЭ {} — РЦОИ", r.ppe_code), Some(who)),
            exam_id: r.exam_id.clone(),
            ppe_code: r.ppe_code.clone(),
            name: r.name.clone(),
            ate_name: r.ate_name.clone(),
            colour: r.health.colour(),
            health: r.health.title_ru(),
            reason: r.reason.clone(),
            stage: r.stage.title_ru(),
            since: r.stage_since.as_deref().map(|t| format!("с {}", local(t))).unwrap_or_default(),
            deadline: local(&r.deadline),
            left: parse_time(&r.deadline).map(|t| time_left_text(t, now)).unwrap_or_default(),
            seen: r.last_seen_at.as_deref().map(|t| format!("{} ({})", local(t), parse_time(t).map(|p| seen_ago_text(p, now)).unwrap_or_default())).unwrap_or_else(|| "никогда".into()),
            offset: r.clock_offset_ms.map(clock_offset_text).unwrap_or_else(|| "—".into()),
            verified_version: version(r.materials.manifest_version.filter(|_| r.materials.verified)),
            published_version: version(r.published_version),
            key_released: yes(r.key_released),
            key_received: yes(r.materials.key_received),
            printed: yes(r.materials.printed),
            seated: if r.seating_done { "выполнена" } else { "нет" },
            attendance: r.attendance.clone(),
            pages_expected: r.pages_expected,
            pages_scanned: r.pages_scanned,
            pages_received: r.pages_received,
            pages_verified: r.pages_verified,
            files: super::dashboard::FilesCell::of(&r.files),
            upload: UploadCell::of(r),
            error: error_text(r),
            receipt: d.receipt.map(|(manifest, at, json)| ReceiptView {
                manifest: manifest.clone(),
                at: local(at),
                pretty: serde_json::from_str::<serde_json::Value>(json).ok().and_then(|v| serde_json::to_string_pretty(&v).ok()).unwrap_or_else(|| json.clone()),
            }),
            claimed_receipt: r.receipt_id.clone(),
            timeline: d.timeline.iter().map(|e| TimelineLine { at: local(&e.at), what: timeline_text(e) }).collect(),
            may_note: who.role.allows(OperatorRole::Operator),
            csrf: who.csrf_token.clone(),
            history: d
                .history
                .iter()
                .rev()
                .map(|h| HistoryLine {
                    received_at: local(&h.received_at),
                    stage: Stage::parse(&h.stage).title_ru(),
                    bytes_done: bytes_text(h.bytes_done),
                    bytes_total: bytes_text(h.bytes_total),
                    files_done: h.files_done,
                    pages_scanned: h.pages_scanned,
                    error: h.last_error.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::views::fixtures::{row, session};
    use crate::monitoring::Health;

    fn entry(at: &str, kind: &str, detail: &str, operator: Option<&str>) -> TimelineEntry {
        TimelineEntry { at: at.into(), kind: kind.into(), detail: detail.into(), operator_login: operator.map(str::to_string) }
    }

    fn render(who: &Session, r: &PointRow, receipt: Option<&(String, String, String)>) -> String {
        let timeline = vec![
            entry("2027-05-27T06:30:00Z", "stage", "uploading", None),
            entry("2027-05-27T06:40:00Z", "error", "tus: соединение сброшено <b>", None),
            entry("2027-05-27T06:45:00Z", "note", "дозвонились, связь восстанавливают", Some("op1")),
        ];
        let history = vec![HistoryRow { received_at: "2027-05-27T06:59:30Z".into(), stage: "uploading".into(), bytes_done: 20_000_000, bytes_total: 40_000_000, files_done: 76, pages_scanned: 152, last_error: None }];
        let data = PointData { row: r, timeline: &timeline, history: &history, receipt, offset_min: 180, now: parse_time("2027-05-27T07:00:00Z").unwrap() };
        askama::Template::render(&PointView::new(who, &data)).unwrap()
    }

    #[test]
    fn point_page_of_an_operator_while_uploading() {
        let html = render(&session(OperatorRole::Operator), &row("0101", Health::AtRisk, Stage::Uploading), None);
        assert!(html.contains("заметка op1: дозвонились") && html.contains("/ppe/ege-02/0101/note"), "an operator may add notes");
        assert!(!html.contains("<b>"), "escaped");
        insta::assert_snapshot!("point_uploading", html);
    }

    #[test]
    fn point_page_of_a_viewer_with_the_hubs_receipt() {
        let receipt = ("9f2c".to_string(), "2027-05-27T07:01:00Z".to_string(), "{\"manifest_sha256\":\"9f2c\",\"files\":153}".to_string());
        let html = render(&session(OperatorRole::Viewer), &row("0103", Health::Done, Stage::Uploaded), Some(&receipt));
        assert!(!html.contains("/note\""), "a viewer adds no notes");
        insta::assert_snapshot!("point_done", html);
    }
}
