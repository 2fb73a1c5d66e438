//! `/seating` — the seating of an exam: each auditorium as a grid of seats and as a list, and
//! the forms to seat, move a participant and close an auditorium.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::model::{seat_label, Participant, Plan};
use crate::web::access::Action;
use crate::web::{Staff, WebError, WebState};

/// One cell of an auditorium's grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub label: String,
    /// "Surname N." of the participant on it.
    pub taken_by: Option<String>,
    pub manual: bool,
}

/// One line of an auditorium's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatLine {
    pub label: String,
    pub name: String,
    pub participant_id: String,
    pub document: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSeating {
    pub auditorium: String,
    pub seated: usize,
    pub rows: Vec<Vec<Seat>>,
    pub list: Vec<SeatLine>,
}

#[derive(Template)]
#[template(path = "box/seating.html")]
pub struct SeatingView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    pub may_change: bool,
    pub seated: bool,
    pub rooms: Vec<RoomSeating>,
}

/// Participants of the plan by id.
pub(super) fn participants_by_id(plan: &Plan) -> HashMap<&str, &Participant> {
    plan.participants.iter().map(|p| (p.participant_id.as_str(), p)).collect()
}

/// The auditoriums of this point with their seats, in the order of the seating.
pub fn rooms_of(plan: &Plan, ppe_code: &str, seats: &[crate::model::SeatAssignment]) -> Vec<RoomSeating> {
    let by_id = participants_by_id(plan);
    let mut rooms: Vec<&str> = seats.iter().map(|s| s.auditorium.as_str()).collect();
    rooms.dedup();
    let mut out = Vec::new();
    for room in rooms {
        let Some(a) = plan.auditoriums.iter().find(|a| a.auditorium == room && a.ppe_code == ppe_code) else { continue };
        let here: HashMap<(u16, u16), &crate::model::SeatAssignment> = seats.iter().filter(|s| s.auditorium == room).map(|s| ((s.row, s.column), s)).collect();
        let rows = (1..=a.rows)
            .map(|r| {
                (1..=a.columns)
                    .map(|c| match here.get(&(r, c)) {
                        Some(s) => Seat {
                            label: seat_label(r, c),
                            taken_by: Some(by_id.get(s.participant_id.as_str()).map(|p| format!("{} {}.", p.surname, p.name.chars().next().unwrap_or(' '))).unwrap_or_default()),
                            manual: s.manual,
                        },
                        None => Seat { label: seat_label(r, c), taken_by: None, manual: false },
                    })
                    .collect()
            })
            .collect();
        let mut list: Vec<_> = here.values().collect();
        list.sort_by_key(|s| (s.row, s.column));
        let list = list
            .into_iter()
            .map(|s| {
                let p = by_id.get(s.participant_id.as_str());
                SeatLine {
                    label: seat_label(s.row, s.column),
                    name: p.map(|p| p.full_name()).unwrap_or_default(),
                    participant_id: s.participant_id.clone(),
                    document: p.map(|p| format!("{} {}", p.doc_series, p.doc_number)).unwrap_or_default(),
                }
            })
            .collect();
        out.push(RoomSeating { auditorium: room.to_string(), seated: here.len(), rows, list });
    }
    out
}

pub async fn seating_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let may_change = staff.may(Action::ChangeSeating);
    render_exam_page(&state, staff, "Рассадка", q, move |ctx, conn, layout, day, _q| {
        let ppe = &ctx.config.ppe_code;
        let id = day.exam.exam_id.clone();
        let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, &id)?.into_iter().filter(|s| &s.ppe_code == ppe).collect();
        let view = SeatingView { layout, select: ExamSelect::new(&day.exams, &id, "/seating"), exam_id: id, may_change, seated: !seats.is_empty(), rooms: rooms_of(&day.plan, ppe, &seats) };
        Ok(view.render()?)
    })
    .await
}
