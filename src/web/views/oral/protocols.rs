//! `/oral/protocols` — the ИС-9 expert's protocols of one conducting room: per participant
//! who answered, the criteria form (tasks and criteria from `oral::criteria` as data, each
//! criterion a select bounded by its maximum) with «Посчитать итог» (total and зачёт/незачёт
//! shown before saving) and «Сохранить протокол»; a protocol once entered is shown read-only.
//! The form is offered only to the room's expert (`RoomRights::score`); the point's head,
//! technical specialist and ГЭК member read the protocols.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{require_room, scope};
use crate::oral::{Protocol, Score, TurnState, CURRENT};
use crate::web::views::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::web::{Staff, WebError, WebState};

/// The points an expert is entering, before saving: their total and result, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub participant_id: String,
    pub points: BTreeMap<String, u8>,
    pub outcome: Result<Score, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionField {
    pub code: &'static str,
    pub title: &'static str,
    pub max: u8,
    /// (points, selected) from 0 to the maximum.
    pub options: Vec<(u8, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskBlock {
    pub title: &'static str,
    pub criteria: Vec<CriterionField>,
}

/// The tasks of the scale with `points` preselected (none: nothing chosen yet, shown as 0).
pub fn task_blocks(points: Option<&BTreeMap<String, u8>>) -> Vec<TaskBlock> {
    CURRENT
        .tasks
        .iter()
        .map(|t| TaskBlock {
            title: t.title,
            criteria: t
                .criteria
                .iter()
                .map(|c| {
                    let chosen = points.and_then(|p| p.get(c.code)).copied().unwrap_or(0);
                    CriterionField { code: c.code, title: c.title, max: c.max, options: (0..=c.max).map(|v| (v, v == chosen)).collect() }
                })
                .collect(),
        })
        .collect()
}

/// An entered protocol, read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entered {
    pub total: u32,
    pub result: &'static str,
    pub passed: bool,
    pub expert: String,
    pub at: String,
    /// (criterion, points) in the scale's order.
    pub points: Vec<(&'static str, u8)>,
}

impl Entered {
    pub fn of(p: &Protocol, offset_min: i32) -> Entered {
        Entered {
            total: p.score.total,
            result: p.score.result_ru(),
            passed: p.score.passed,
            expert: p.expert_worker_id.clone(),
            at: super::local_hm(&p.scored_at, offset_min),
            points: CURRENT.criteria().map(|c| (c.code, p.score.points.get(c.code).copied().unwrap_or(0))).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolRow {
    pub participant_id: String,
    pub name: String,
    pub state: &'static str,
    pub pass_points: u8,
    pub entered: Option<Entered>,
    /// The form, for the room's expert once the participant answered.
    pub form: Option<Vec<TaskBlock>>,
    /// The draft's total and result, or its refusal.
    pub draft_total: Option<String>,
    pub draft_error: Option<String>,
}

#[derive(Template)]
#[template(path = "box/oral_protocols.html")]
pub struct ProtocolsView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    pub note: Option<String>,
    /// (room, selected) of the rooms whose protocols this person sees.
    pub rooms: Vec<(String, bool)>,
    pub room: Option<String>,
    pub max_points: u32,
    pub rows: Vec<ProtocolRow>,
}

pub async fn protocols_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    protocols_page(&state, staff, q, None).await
}

/// The page, with an expert's draft when «Посчитать итог» asked for one.
pub(crate) async fn protocols_page(state: &WebState, staff: Staff, q: PageQuery, draft: Option<Draft>) -> Result<Response, WebError> {
    if let Some(room) = q.auditorium.as_deref().filter(|r| !r.is_empty()) {
        require_room(state, &staff, q.exam.as_deref().filter(|e| !e.is_empty()), room, |r| r.view).await?;
    }
    let (role, login) = (staff.role, staff.login.clone());
    render_exam_page(state, staff, "Протоколы эксперта (ИС-9)", q, move |ctx, conn, layout, day, q| {
        let ppe = &ctx.config.ppe_code;
        let (plan, exam) = (&day.plan, &day.exam);
        let id = exam.exam_id.clone();
        let scope = scope(conn, plan, exam, ppe, role, &login)?;
        let visible: Vec<&String> = scope.rooms.iter().filter(|(_, r)| r.view).map(|(r, _)| r).collect();
        let room = q.auditorium.clone().filter(|r| visible.contains(&r)).or_else(|| visible.first().map(|r| r.to_string()));
        let mut view = ProtocolsView {
            layout,
            select: ExamSelect::new(&day.exams, &id, "/oral/protocols"),
            exam_id: id.clone(),
            note: None,
            rooms: visible.iter().map(|r| (r.to_string(), Some(*r) == room.as_ref())).collect(),
            room: room.clone(),
            max_points: CURRENT.max_points(),
            rows: Vec::new(),
        };
        if scope.technology != crate::model::Technology::OralInterview {
            view.note = Some(format!(
                "протоколы эксперта ведутся только на итоговом собеседовании; экзамен «{}» — «{}»",
                exam.subject_name,
                scope.technology.title_ru()
            ));
            view.room = None;
            return Ok(view.render()?);
        }
        let Some(room) = room else {
            view.note = Some("вы не назначены экспертом ни в одну аудиторию проведения этого экзамена на этот день".into());
            return Ok(view.render()?);
        };
        let may_score = scope.rights(&room).score;
        let (exam_id, ppe_code) = (id.as_str().into(), ppe.as_str().into());
        let turns = crate::oral::ops::queue(conn, &exam_id, &ppe_code)?;
        let entered: BTreeMap<String, Protocol> =
            crate::oral::ops::protocols(conn, &exam_id, &ppe_code)?.into_iter().map(|p| (p.participant_id.clone(), p)).collect();
        let by_id = crate::web::views::seating::participants_by_id(plan);
        view.rows = turns
            .iter()
            .filter(|t| t.auditorium == room)
            .map(|t| {
                let p = by_id.get(t.participant_id.as_str());
                let mine = draft.as_ref().filter(|d| d.participant_id == t.participant_id);
                let done = matches!(t.state, TurnState::Done { .. });
                let entered = entered.get(&t.participant_id).map(|p| Entered::of(p, exam.utc_offset_min));
                ProtocolRow {
                    participant_id: t.participant_id.clone(),
                    name: p.map(|p| p.full_name()).unwrap_or_default(),
                    state: t.state.title_ru(),
                    pass_points: CURRENT.pass_points_for(p.map(|p| p.health).unwrap_or_default()),
                    form: (may_score && done && entered.is_none()).then(|| task_blocks(mine.map(|d| &d.points))),
                    entered,
                    draft_total: mine
                        .and_then(|d| d.outcome.as_ref().ok())
                        .map(|s| format!("{} из {} — {}", s.total, CURRENT.max_points(), s.result_ru())),
                    draft_error: mine.and_then(|d| d.outcome.as_ref().err()).cloned(),
                }
            })
            .collect();
        Ok(view.render()?)
    })
    .await
}
