//! `/`: the region at a glance — filters, totals by colour, the page funnel, the pre-start
//! counts, a row per exam point worst first — and the script that keeps it live from
//! `/v1/events` without a reload.

use chrono::{DateTime, Utc};

use super::{error_text, local_hm, Frame, UploadCell};
use crate::model::Exam;
use crate::monitoring::live::StatusView;
use crate::monitoring::{clock_offset_text, parse_time, seen_ago_text, time_left_text, Health, PointRow, Prestart, Stage, UploadTruth};

#[derive(askama::Template)]
#[template(path = "hub/dashboard.html")]
pub struct DashboardView {
    pub frame: Frame,
    pub exams: Vec<ExamOption>,
    pub ates: Vec<AteOption>,
    pub now_text: String,
    pub truth: &'static str,
    pub cards: Vec<Card>,
    pub steps: Vec<Step>,
    /// The exam's recordings or answer files: expected → on the box → received → verified
    /// (empty for a written exam).
    pub files_steps: Vec<Step>,
    /// The summary's key the script reads them from (`recordings`, `answer_files` or "").
    pub files_json: String,
    pub prestart: Prestart,
    pub rows: Vec<RowView>,
    /// The script's nonce (the page's Content-Security-Policy names it).
    pub nonce: String,
    pub exam_json: String,
    pub ate_json: String,
    pub seq: u64,
    pub offset_min: i32,
    pub titles_json: String,
    pub now_json: String,
}

pub struct ExamOption {
    pub exam_id: String,
    pub date: String,
    pub kind: &'static str,
    pub subject: String,
    pub selected: bool,
}

pub struct AteOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

pub struct Card {
    pub id: &'static str,
    pub count: u32,
    pub label: &'static str,
    pub colour: &'static str,
}

pub struct Step {
    pub id: &'static str,
    pub count: u64,
    pub label: &'static str,
    pub percent: u64,
}

/// One exam point's row; the script rewrites the same cells from the events.
pub struct RowView {
    pub exam_id: String,
    pub ppe_code: String,
    pub severity: u8,
    pub deadline: String,
    pub seen_at: String,
    pub colour: &'static str,
    pub health: &'static str,
    pub reason: String,
    pub name: String,
    pub ate: String,
    pub stage: &'static str,
    pub since: String,
    pub upload: UploadCell,
    pub scanned: u64,
    pub expected: u64,
    pub received: u64,
    pub verified: u64,
    pub files: Option<FilesCell>,
    pub left: String,
    pub seen: String,
    pub offset: String,
    pub error: String,
}

/// A row's recordings or answer files: «записи: 3/4, принято 3, проверено 3».
pub struct FilesCell {
    pub title: &'static str,
    /// The title as a heading: «Записи», «Файлы ответов».
    pub heading: String,
    pub expected: u64,
    pub taken: u64,
    pub received: u64,
    pub verified: u64,
}

impl FilesCell {
    pub fn of(f: &crate::monitoring::FilesRow) -> Option<Self> {
        let heading = |t: &str| t.chars().take(1).flat_map(char::to_uppercase).chain(t.chars().skip(1)).collect();
        (!f.kind.is_empty()).then(|| FilesCell {
            title: f.title_ru(),
            heading: heading(f.title_ru()),
            expected: f.expected,
            taken: f.taken,
            received: f.received,
            verified: f.verified,
        })
    }
}

impl RowView {
    pub fn of(r: &PointRow, offset_min: i32, now: DateTime<Utc>) -> Self {
        RowView {
            exam_id: r.exam_id.clone(),
            ppe_code: r.ppe_code.clone(),
            severity: r.health.severity(),
            deadline: r.deadline.clone(),
            seen_at: r.last_seen_at.clone().unwrap_or_default(),
            colour: r.health.colour(),
            health: r.health.title_ru(),
            reason: r.reason.clone(),
            name: r.name.clone(),
            ate: r.ate_name.clone(),
            stage: r.stage.title_ru(),
            since: r.stage_since.as_deref().map(|t| format!("с {}", local_hm(t, offset_min))).unwrap_or_default(),
            upload: UploadCell::of(r),
            scanned: r.pages_scanned,
            expected: r.pages_expected,
            received: r.pages_received,
            verified: r.pages_verified,
            files: FilesCell::of(&r.files),
            left: parse_time(&r.deadline).map(|d| time_left_text(d, now)).unwrap_or_default(),
            seen: r.last_seen_at.as_deref().and_then(parse_time).map(|t| seen_ago_text(t, now)).unwrap_or_else(|| "никогда".into()),
            offset: r.clock_offset_ms.map(clock_offset_text).unwrap_or_default(),
            error: error_text(r),
        }
    }
}

/// JSON safe inside a `<script>` element: `<`, `>` and `&` escaped, so a value (an АТЕ code
/// from the query string) can never close the element.
pub fn script_json(v: &serde_json::Value) -> String {
    v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

impl DashboardView {
    /// The page of `view` (an exam, maybe an АТЕ) at the hub's `now`.
    pub fn new(frame: Frame, view: &StatusView, exams: &[Exam], ates: &[(String, String)], now: DateTime<Utc>, nonce: String) -> Self {
        let exam_id = view.exam_id.clone().unwrap_or_default();
        let ate = view.ate_code.clone().unwrap_or_default();
        let offset_min = exams.iter().find(|e| e.exam_id == exam_id).map(|e| e.utc_offset_min).unwrap_or(180);
        let t = &view.summary.totals;
        let mut cards = vec![Card { id: "points", count: t.points, label: "ППЭ всего", colour: "#1a237e" }];
        for h in [Health::Done, Health::OnTrack, Health::AtRisk, Health::Stalled, Health::Late, Health::Silent, Health::NotStarted] {
            cards.push(Card { id: h.code(), count: t.count(h), label: h.title_ru(), colour: h.colour() });
        }
        let f = &view.summary.funnel;
        let step = |id, count: u64, label| Step { id, count, label, percent: (count.min(f.expected) * 100).checked_div(f.expected).unwrap_or(0) };
        let steps = vec![
            step("expected", f.expected, "страниц ожидается (явка × листы)"),
            step("scanned", f.scanned, "отсканировано"),
            step("received", f.received, "получено РЦОИ"),
            step("verified", f.verified, "проверено (готово)"),
        ];
        let collects = exams.iter().find(|e| e.exam_id == exam_id).and_then(crate::recordings::collected_for).map(|k| k.code());
        let (files_key, files) = match collects {
            Some(crate::monitoring::files::RECORDING) => ("recordings", Some(view.summary.recordings)),
            Some(crate::monitoring::files::ANSWER_FILE) => ("answer_files", Some(view.summary.answer_files)),
            _ => ("", None),
        };
        let files_steps = files
            .map(|g| {
                let title = crate::monitoring::files::kind_title_ru(collects.unwrap_or_default());
                let step =
                    |id, count: u64, label| Step { id, count, label, percent: (count.min(g.expected) * 100).checked_div(g.expected).unwrap_or(0) };
                let expected = if title == "записи" {
                    "записей ожидается (по явке)"
                } else {
                    "файлов ответов ожидается (по явке)"
                };
                vec![
                    step("expected", g.expected, expected),
                    step("taken", g.taken, "принято в ППЭ"),
                    step("received", g.received, "получено РЦОИ"),
                    step("verified", g.verified, "проверено (готово)"),
                ]
            })
            .unwrap_or_default();
        let titles = serde_json::json!({
            "stage": Stage::ALL.iter().map(|s| (s.code(), s.title_ru())).collect::<std::collections::BTreeMap<_, _>>(),
            "health": Health::ALL.iter().map(|h| (h.code(), (h.title_ru(), h.colour(), h.severity()))).collect::<std::collections::BTreeMap<_, _>>(),
        });
        DashboardView {
            frame,
            exams: exams
                .iter()
                .map(|e| ExamOption { exam_id: e.exam_id.clone(), date: e.date.clone(), kind: e.kind.title_ru(), subject: e.subject_name.clone(), selected: e.exam_id == exam_id })
                .collect(),
            ates: ates.iter().map(|(code, name)| AteOption { code: code.clone(), name: name.clone(), selected: *code == ate }).collect(),
            now_text: local_hm(&view.hub_time, offset_min),
            truth: match view.upload_truth {
                UploadTruth::HubRecords => "получено и проверено — по записям РЦОИ",
                UploadTruth::BoxReports => "получено и проверено — по сообщениям станций",
            },
            cards,
            steps,
            files_steps,
            files_json: script_json(&serde_json::Value::String(files_key.into())),
            prestart: view.summary.prestart,
            rows: view.rows.iter().map(|r| RowView::of(r, offset_min, now)).collect(),
            nonce,
            exam_json: script_json(&serde_json::Value::String(exam_id)),
            ate_json: script_json(&serde_json::Value::String(ate)),
            seq: view.seq,
            offset_min,
            titles_json: script_json(&titles),
            now_json: script_json(&serde_json::Value::String(view.hub_time.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::accounts::OperatorRole;
    use crate::monitoring::views::fixtures::{row, session};
    use crate::monitoring::{summarize, Stage};

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let v = serde_json::Value::String("</script><script>alert(1)</script>".into());
        let out = script_json(&v);
        assert!(!out.contains('<') && !out.contains('>'), "{out}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), v, "still the same JSON value");
    }

    #[test]
    fn dashboard_of_a_region_in_every_colour() {
        let mut rows = vec![
            row("0101", Health::AtRisk, Stage::Uploading),
            row("0102", Health::Silent, Stage::Scanning),
            row("0103", Health::Done, Stage::Uploaded),
            row("0104", Health::OnTrack, Stage::Exam),
        ];
        crate::monitoring::sort_worst_first(&mut rows);
        let view = StatusView {
            hub_time: "2027-05-27T07:00:00Z".into(),
            exam_id: Some("ege-02".into()),
            ate_code: Some("</script>".into()),
            upload_truth: UploadTruth::HubRecords,
            summary: summarize(&rows),
            rows,
            seq: 7,
        };
        let exam = crate::monitoring::views::fixtures::exam();
        let ates = vec![("01".to_string(), "Центральный район".to_string()), ("02".to_string(), "Северный <район>".to_string())];
        let page = DashboardView::new(Frame::new("Мониторинг — РЦОИ", Some(&session(OperatorRole::Admin))), &view, &[exam], &ates, crate::monitoring::parse_time("2027-05-27T07:00:00Z").unwrap(), "n0nce".into());
        let html = askama::Template::render(&page).unwrap();
        assert!(!html.contains("<script>alert") && !html.contains("<\"A&B\">") && !html.contains("Северный <район>"), "escaped");
        insta::assert_snapshot!("dashboard", html);
    }
}
