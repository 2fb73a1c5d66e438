//! `/` — the plan of the day: the one next thing to do, the timeline of the exam with
//! countdowns on the box's clock, and where the exam stands.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::{render_page, ExamSelect, Layout, PageQuery};
use crate::day::{local_time_text, utc_time_text, BoxNumbers, Progress};
use crate::model::Exam;
use crate::monitoring::Schedule;
use crate::web::{Staff, WebError, WebState};

/// One point of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelinePoint {
    pub title: &'static str,
    /// RFC 3339, for the script's live countdown.
    pub at_iso: String,
    pub countdown: String,
    pub local: String,
    pub past: bool,
}

/// The exam the home page is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeExam {
    pub select: ExamSelect,
    pub next_step: String,
    pub timeline: Vec<TimelinePoint>,
    pub heading: String,
    pub materials: &'static str,
    pub seating: &'static str,
    pub numbers: BoxNumbers,
    pub upload: String,
}

#[derive(Template)]
#[template(path = "box/home.html")]
pub struct HomeView {
    pub layout: Layout,
    pub now_iso: String,
    pub speed: f64,
    pub ppe_code: String,
    pub now_text: String,
    /// No exam of this point in the plan yet.
    pub no_plan: bool,
    pub exam: Option<HomeExam>,
}

impl HomeExam {
    /// The home page's facts of one exam, from its numbers and what people did.
    pub fn new(exams: &[Exam], exam: &Exam, s: &Schedule, n: BoxNumbers, progress: &Progress, now: DateTime<Utc>) -> HomeExam {
        let points = [("Окно материалов", s.window_open), ("Начало экзамена", s.start), ("Окончание (с учётом ОВЗ)", s.end), ("Срок выгрузки", s.deadline)];
        HomeExam {
            select: ExamSelect::new(exams, &exam.exam_id, "/"),
            next_step: crate::day::next_step(&n, progress, s, now, exam.utc_offset_min),
            timeline: points
                .into_iter()
                .map(|(title, t)| TimelinePoint { title, at_iso: crate::monitoring::time_text(t), countdown: countdown_text(t - now), local: local_time_text(t, exam.utc_offset_min), past: t < now })
                .collect(),
            heading: format!("{} {}, {}", exam.kind.title_ru(), exam.subject_name, exam.date),
            materials: if progress.activated {
                "получены, ключ активирован"
            } else if n.materials.key_received {
                "ключ получен, ждёт активации ГЭК"
            } else if n.materials.verified {
                "загружены и проверены, ключа ещё нет"
            } else {
                "не получены"
            },
            seating: if n.seating_done { "готова" } else { "нет" },
            upload: match &n.upload.receipt_id {
                Some(_) => "завершена, квитанция получена".to_string(),
                None if n.upload.bytes_total > 0 => format!("{} из {} байт", n.upload.bytes_done, n.upload.bytes_total),
                None => "не начата".to_string(),
            },
            numbers: n,
        }
    }
}

pub async fn home_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let speed = state.ctx.clock.speed();
    if let Some(asked) = q.exam.as_deref().filter(|e| !e.is_empty()) {
        crate::web::require_exam_here(&state, asked).await?;
    }
    render_page(&state, staff, "План дня", move |ctx, conn, layout| {
        let now = ctx.clock.now();
        let ppe = &ctx.config.ppe_code;
        let plan = crate::plan::store::load_plan(conn)?;
        let exams = crate::day::exams_here(&plan, ppe);
        let mut exam = None;
        if let Some(e) = crate::day::pick_exam(&plan, ppe, q.exam.as_deref(), now) {
            if let Some(s) = crate::day::schedule_here(&plan, &e, ppe) {
                let n = crate::day::gather_box_numbers(conn, &e.exam_id, ppe)?;
                let progress = Progress::load(conn, &e.exam_id, ppe)?;
                exam = Some(HomeExam::new(&exams, &e, &s, n, &progress, now));
            }
        }
        let view = HomeView { layout, now_iso: crate::monitoring::time_text(now), speed, ppe_code: ppe.clone(), now_text: utc_time_text(now), no_plan: exams.is_empty(), exam };
        Ok(view.render()?)
    })
    .await
}

/// "через 1 ч 15 мин", "5 мин назад".
pub fn countdown_text(d: chrono::Duration) -> String {
    let s = d.num_seconds().abs();
    let (h, m) = (s / 3600, s % 3600 / 60);
    let t = if h > 0 { format!("{h} ч {m} мин") } else { format!("{m} мин") };
    if d.num_seconds() >= 0 {
        format!("через {t}")
    } else {
        format!("{t} назад")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(countdown_text(chrono::Duration::minutes(75)), "через 1 ч 15 мин");
        assert_eq!(countdown_text(chrono::Duration::minutes(-5)), "5 мин назад");
    }
}
