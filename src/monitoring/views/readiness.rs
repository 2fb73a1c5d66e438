//! `/readiness`: the technical readiness of every point for an exam day (by default the next
//! one): ready, not ready with the failing checks, or no report. Times in the exam's zone.

use super::{local_full, Frame};
use crate::monitoring::accounts::Session;
use crate::readiness::{DayRow, PointReadiness};

#[derive(askama::Template)]
#[template(path = "hub/readiness.html")]
pub struct ReadinessView {
    pub frame: Frame,
    /// `ГГГГ.ММ.ДД`, empty when no exam lies ahead.
    pub date: String,
    pub dates: Vec<String>,
    pub ready: usize,
    pub not_ready: usize,
    pub not_reported: usize,
    pub lines: Vec<ReadinessLine>,
}

pub struct ReadinessLine {
    pub exam_id: String,
    pub exam_title: String,
    pub ppe_code: String,
    pub ppe_name: String,
    pub ate_name: String,
    pub state: &'static str,
    pub colour: &'static str,
    pub received: String,
    pub offset: String,
    pub failing: Vec<String>,
}

impl ReadinessView {
    /// `offset_of(exam_id)`: the exam's UTC offset (minutes) for the times shown.
    pub fn new(who: &Session, date: Option<&str>, dates: Vec<String>, rows: &[DayRow], offset_of: impl Fn(&str) -> i32) -> Self {
        let lines: Vec<ReadinessLine> = rows
            .iter()
            .map(|r| {
                let (colour, received, failing) = match &r.readiness {
                    PointReadiness::Ready { received_at } => ("#2e7d32", local_full(received_at, offset_of(&r.exam_id)), Vec::new()),
                    PointReadiness::NotReady { received_at, failing } => ("#c62828", local_full(received_at, offset_of(&r.exam_id)), failing.clone()),
                    PointReadiness::NotReported => ("#757575", "—".to_string(), Vec::new()),
                };
                ReadinessLine {
                    exam_id: r.exam_id.clone(),
                    exam_title: r.exam_title.clone(),
                    ppe_code: r.ppe_code.clone(),
                    ppe_name: r.ppe_name.clone(),
                    ate_name: r.ate_name.clone(),
                    state: r.readiness.title_ru(),
                    colour,
                    received,
                    offset: r.clock_offset_ms.map(|ms| format!("{:+.1} с", ms as f64 / 1000.0)).unwrap_or_else(|| "—".into()),
                    failing,
                }
            })
            .collect();
        let count = |t: &str| lines.iter().filter(|l| l.state == t).count();
        let (ready, not_ready, not_reported) = (count("готов"), count("не готов"), count("нет отчёта"));
        ReadinessView {
            frame: Frame::new("Готовность ППЭ — РЦОИ", Some(who)),
            date: date.unwrap_or_default().to_string(),
            dates,
            ready,
            not_ready,
            not_reported,
            lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::monitoring::accounts::OperatorRole;
    use crate::readiness::{DayRow, PointReadiness};

    #[test]
    fn readiness_of_the_next_exam_day() {
        let row = |code: &str, readiness| DayRow {
            exam_id: "ege-02".into(),
            exam_title: "ЕГЭ Математика".into(),
            ppe_code: code.into(),
            ppe_name: format!("ППЭ при школе № {code} <\"A&B\">"),
            ate_name: "Центральный район".into(),
            readiness,
            clock_offset_ms: Some(1500),
        };
        let rows = vec![
            row("0101", PointReadiness::Ready { received_at: "2027-05-26T10:00:00Z".into() }),
            row(
                "0102",
                PointReadiness::NotReady {
                    received_at: "2027-05-26T10:05:00Z".into(),
                    failing: vec!["Аудитория 0101: тестовая страница (лист № 0000002) не отсканирована <b>".into()],
                },
            ),
            DayRow { clock_offset_ms: None, ..row("0103", PointReadiness::NotReported) },
        ];
        let session = crate::monitoring::views::fixtures::session(OperatorRole::Viewer);
        let view = super::ReadinessView::new(&session, Some("2027.05.27"), vec!["2027.05.27".into(), "2027.05.31".into()], &rows, |_| 180);
        assert_eq!((view.ready, view.not_ready, view.not_reported), (1, 1, 1));
        insta::assert_snapshot!("readiness", askama::Template::render(&view).unwrap());
    }
}
