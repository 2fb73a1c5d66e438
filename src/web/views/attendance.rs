//! `/attendance` — one auditorium of an exam: each participant's status with the events that
//! may follow it (present, late, absent, left/returned, kit replaced, finished early, removed
//! with a ГЭК member), the acts ППЭ-21/22, and issuing the kits.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::attendance::{ParticipantState, Status};
use crate::web::access::Action;
use crate::web::{Staff, WebError, WebState};

/// One event button in a participant's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventButton {
    pub kind: &'static str,
    pub title: &'static str,
    /// The placeholder of the required reason field, when the event needs a reason.
    pub reason: Option<&'static str>,
    /// A removal and an early finish name the ГЭК member.
    pub with_gek: bool,
    /// An early finish names the medical worker.
    pub with_medical: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantRow {
    pub seat: String,
    pub name: String,
    pub participant_id: String,
    /// The badge's class: good, warn, bad or none.
    pub badge: &'static str,
    pub status: &'static str,
    pub late_at: Option<String>,
    pub out_of_room: bool,
    pub buttons: Vec<EventButton>,
    /// The act to print for this participant (ППЭ-21 or ППЭ-22).
    pub act: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "box/attendance.html")]
pub struct AttendanceView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    pub may_issue_kits: bool,
    pub auditorium: Option<String>,
    /// (worker id, name) of the ГЭК members of the day at this point.
    pub gek_members: Vec<(String, String)>,
    /// (worker id, name) of the medical workers of the day at this point.
    pub medical_workers: Vec<(String, String)>,
    pub rows: Vec<ParticipantRow>,
}

/// The events a person may record next for a participant in this state.
pub fn event_buttons(st: &ParticipantState) -> Vec<EventButton> {
    let b = |kind, title, reason, with_gek| EventButton { kind, title, reason, with_gek, with_medical: kind == "finished_early" };
    match st.status {
        Status::Unmarked => vec![b("present", "Явился", None, false), b("late", "Опоздал", None, false), b("absent", "Не явился", None, false)],
        Status::Present => vec![
            if st.out_of_room { b("returned", "Вернулся", None, false) } else { b("left", "Вышел", None, false) },
            b("kit_replaced", "Заменить комплект", Some("причина"), false),
            b("finished_early", "Досрочно", Some("причина"), true),
            b("removed", "Удалить", Some("нарушение"), true),
        ],
        _ => Vec::new(),
    }
}

/// The badge class of a status: good, warn, bad or none.
pub fn badge(status: Status) -> &'static str {
    match status {
        Status::Present => "good",
        Status::Unmarked => "",
        Status::Absent => "warn",
        _ => "bad",
    }
}

pub async fn attendance_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    let may_seat = staff.may(Action::ChangeSeating);
    let may_record = staff.may(Action::RecordAttendance);
    let may_print = staff.may(Action::Print);
    render_exam_page(&state, staff, "Явка и события", q, move |ctx, conn, layout, day, q| {
        let ppe = &ctx.config.ppe_code;
        let (plan, exam) = (&day.plan, &day.exam);
        let id = exam.exam_id.clone();
        let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, &id)?.into_iter().filter(|s| &s.ppe_code == ppe).collect();
        let mut rooms: Vec<String> = seats.iter().map(|s| s.auditorium.clone()).collect();
        rooms.dedup();
        let room = q.auditorium.clone().filter(|r| rooms.contains(r)).or_else(|| rooms.first().cloned());
        let mut select = ExamSelect::new(&day.exams, &id, "/attendance");
        select.with_rooms = true;
        select.rooms = rooms.iter().map(|r| (r.clone(), Some(r) == room.as_ref())).collect();
        let issued = crate::attendance::store::issued_sheets(conn, &id, ppe)?;
        let mut view = AttendanceView { layout, select, exam_id: id.clone(), may_issue_kits: issued.is_empty() && may_seat && !seats.is_empty(), auditorium: room.clone(), gek_members: Vec::new(), medical_workers: Vec::new(), rows: Vec::new() };
        let Some(room) = room else { return Ok(view.render()?) };
        let states = crate::attendance::ops::states(conn, &id)?;
        let by_id = super::seating::participants_by_id(plan);
        let staff_of = |role| plan.workers_with_role_at(ppe, &exam.date, role).into_iter().map(|w| (w.worker_id.clone(), w.full_name())).collect();
        view.gek_members = staff_of(crate::model::WorkerRole::GekMember);
        view.medical_workers = staff_of(crate::model::WorkerRole::Medical);
        let mut here: Vec<_> = seats.iter().filter(|s| s.auditorium == room).collect();
        here.sort_by_key(|s| (s.row, s.column));
        view.rows = here
            .into_iter()
            .map(|s| {
                let st = states.get(&s.participant_id).cloned().unwrap_or_default();
                ParticipantRow {
                    seat: crate::model::seat_label(s.row, s.column),
                    name: by_id.get(s.participant_id.as_str()).map(|p| p.full_name()).unwrap_or_default(),
                    participant_id: s.participant_id.clone(),
                    badge: badge(st.status),
                    status: st.status.title_ru(),
                    buttons: if may_record { event_buttons(&st) } else { Vec::new() },
                    act: match st.status {
                        Status::Removed if may_record && may_print => Some("ППЭ-21"),
                        Status::FinishedEarly if may_record && may_print => Some("ППЭ-22"),
                        _ => None,
                    },
                    late_at: st.late_at,
                    out_of_room: st.out_of_room,
                }
            })
            .collect();
        Ok(view.render()?)
    })
    .await
}
