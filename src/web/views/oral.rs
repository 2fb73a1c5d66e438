//! `/oral` — the queues of an oral exam (ИС-9 conducting rooms, «Говорение» recording rooms):
//! the rooms this person may open with who answers now and who is next, and one room's whole
//! order with planned and actual start and end times and the steps that may follow («Начать»,
//! «Завершить», «Не явился», «Опоздал», «Перевести»). `/oral/protocols` (in `protocols`) is
//! the ИС-9 expert's page. Which rooms a person sees or runs is `access::oral_room_rights`,
//! asked on every request against the roster and the plan (the role alone is not enough).

pub mod protocols;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::{render_exam_page, ExamSelect, Layout, PageQuery};
use crate::model::{Exam, Plan, RoomKind, Technology};
use crate::oral::{Turn, TurnState};
use crate::store::Connection;
use crate::web::access::{oral_room_rights, Action, OralStaff, Role, RoomRights};
use crate::web::{blocking, Staff, WebError, WebState};

/// The oral exam as one person may see it: its technology and the rooms with their rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub technology: Technology,
    /// (room, rights) of every conducting (recording) room of the exam at the point.
    pub rooms: Vec<(String, RoomRights)>,
}

impl Scope {
    pub fn rights(&self, room: &str) -> RoomRights {
        self.rooms.iter().find(|(r, _)| r == room).map(|(_, r)| *r).unwrap_or_default()
    }
}

/// Reads the account behind the session, the plan's assignment of its worker on the exam's
/// date and the exam's roster, and asks the rule for every room.
pub fn scope(conn: &Connection, plan: &Plan, exam: &Exam, ppe_code: &str, role: Role, login: &str) -> anyhow::Result<Scope> {
    let technology = exam.technology();
    if !technology.is_oral() {
        return Ok(Scope { technology, rooms: Vec::new() });
    }
    let account = crate::accounts::store::account_get(conn, login)?.map(|(a, _, _)| a);
    let (worker_id, assigned_today) = match &account {
        Some(a) => (a.worker_id.as_str(), plan.workers_with_role_at(ppe_code, &exam.date, a.role).iter().any(|w| w.worker_id == a.worker_id)),
        None => ("", false),
    };
    let roster = crate::roster::store::roster_get(conn, &exam.exam_id, ppe_code)?;
    let who = OralStaff { role, worker_id, assigned_today };
    let rooms = crate::model::rooms_of_kind(&plan.auditoriums, ppe_code, technology, RoomKind::Conducting)
        .into_iter()
        .map(|a| (a.auditorium.clone(), oral_room_rights(who, technology, &roster, &a.auditorium)))
        .collect();
    Ok(Scope { technology, rooms })
}

/// Refuses (403) a room this person may not use as `need` asks, checked against the store now.
pub(crate) async fn require_room(
    state: &WebState,
    staff: &Staff,
    exam: Option<&str>,
    room: &str,
    need: fn(RoomRights) -> bool,
) -> Result<(), WebError> {
    let (ctx, role, login, exam, room_code) = (state.ctx.clone(), staff.role, staff.login.clone(), exam.map(str::to_string), room.to_string());
    let allowed = blocking(move || {
        let conn = ctx.db()?;
        let Some(day) = crate::day::load_exam_day(&conn, &ctx.config.ppe_code, exam.as_deref(), ctx.clock.now())? else { return Ok(false) };
        Ok(need(scope(&conn, &day.plan, &day.exam, &ctx.config.ppe_code, role, &login)?.rights(&room_code)))
    })
    .await?;
    if allowed {
        Ok(())
    } else {
        Err(WebError::Forbidden(format!(
            "вы не назначены в аудиторию {room} на этот экзамен: её очередь и протоколы ведут работники, назначенные в неё"
        )))
    }
}

/// A room in the list: who answers, who is next, how many wait and are done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomLine {
    pub auditorium: String,
    pub answering: Option<String>,
    pub next: Option<String>,
    pub waiting: usize,
    pub done: usize,
    pub absent: usize,
    pub run: bool,
    pub selected: bool,
}

/// One step button of a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepButton {
    pub kind: &'static str,
    pub title: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRow {
    pub position: u32,
    pub participant_id: String,
    pub name: String,
    pub state: &'static str,
    pub badge: &'static str,
    pub late: bool,
    pub moved_from: String,
    pub planned: String,
    pub started: String,
    pub finished: String,
    pub buttons: Vec<StepButton>,
    /// A waiting participant may be moved to another room's queue.
    pub movable: bool,
}

#[derive(Template)]
#[template(path = "box/oral.html")]
pub struct OralView {
    pub layout: Layout,
    pub select: ExamSelect,
    pub exam_id: String,
    /// Why there is nothing to show (not an oral exam, no room of this person's).
    pub note: Option<String>,
    pub technology: &'static str,
    pub rooms: Vec<RoomLine>,
    /// The queue may be (re)built: nobody started yet and this person builds it.
    pub may_build: bool,
    pub room: Option<String>,
    pub rows: Vec<TurnRow>,
    pub run: bool,
    /// The other rooms a waiting participant may be moved to.
    pub other_rooms: Vec<String>,
    pub may_print: bool,
    pub may_protocols: bool,
    /// The waiting room's view: (participant, name, room) of everyone waiting, by room.
    pub waiting: Vec<(String, String, String)>,
}

/// The steps that may follow a turn's state (the domain re-checks each).
pub fn step_buttons(t: &Turn, room_busy: bool) -> Vec<StepButton> {
    let b = |kind, title| StepButton { kind, title };
    match t.state {
        TurnState::Waiting if room_busy => vec![b("absent", "Не явился"), b("late", "Опоздал")],
        TurnState::Waiting => vec![b("start", "Начать"), b("absent", "Не явился"), b("late", "Опоздал")],
        TurnState::Answering { .. } => vec![b("finish", "Завершить")],
        TurnState::Absent => vec![b("late", "Опоздал")],
        TurnState::Done { .. } => Vec::new(),
    }
}

fn badge(state: &TurnState) -> &'static str {
    match state {
        TurnState::Waiting => "",
        TurnState::Answering { .. } => "warn",
        TurnState::Done { .. } => "good",
        TurnState::Absent => "bad",
    }
}

/// `HH:MM` at the point of an RFC 3339 instant (the text itself when it is not one).
pub fn local_hm(at: &str, offset_min: i32) -> String {
    match (DateTime::parse_from_rfc3339(at), chrono::FixedOffset::east_opt(offset_min * 60)) {
        (Ok(t), Some(tz)) => t.with_timezone(&tz).format("%H:%M").to_string(),
        _ => at.to_string(),
    }
}

/// The planned start of every waiting or answering turn: the one answering at their actual
/// start; the waiting in queue order from the end of the current answer (its start plus its
/// minutes), else the room's last end, else the exam's start, each adding its own minutes
/// (ОВЗ extra time included).
pub fn planned_starts(turns: &[Turn], exam: &Exam, extra_time: impl Fn(&str) -> bool) -> BTreeMap<String, DateTime<Utc>> {
    let profile = exam.technology().profile();
    let minutes = |id: &str| {
        Duration::minutes(i64::from(profile.minutes_per_participant.unwrap_or(15) + if extra_time(id) { profile.extra_time_min } else { 0 }))
    };
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc));
    let mut out = BTreeMap::new();
    let mut rooms: Vec<&str> = turns.iter().map(|t| t.auditorium.as_str()).collect();
    rooms.dedup();
    for room in rooms {
        let here: Vec<&Turn> = turns.iter().filter(|t| t.auditorium == room).collect();
        let answering = here.iter().find_map(|t| match &t.state {
            TurnState::Answering { started_at } => parse(started_at).map(|at| (t.participant_id.as_str(), at)),
            _ => None,
        });
        let mut clock = match answering {
            Some((id, at)) => {
                out.insert(id.to_string(), at);
                Some(at + minutes(id))
            }
            None => here.iter().filter_map(|t| t.finished_at().and_then(parse)).max().or_else(|| exam.start_utc()),
        };
        let mut waiting: Vec<&&Turn> = here.iter().filter(|t| t.state == TurnState::Waiting).collect();
        waiting.sort_by_key(|t| t.position);
        for t in waiting {
            let Some(at) = clock else { break };
            out.insert(t.participant_id.clone(), at);
            clock = Some(at + minutes(&t.participant_id));
        }
    }
    out
}

pub async fn oral_get(State(state): State<WebState>, staff: Staff, Query(q): Query<PageQuery>) -> Result<Response, WebError> {
    if let Some(room) = q.auditorium.as_deref().filter(|r| !r.is_empty()) {
        require_room(&state, &staff, q.exam.as_deref().filter(|e| !e.is_empty()), room, |r| r.view).await?;
    }
    let (role, login) = (staff.role, staff.login.clone());
    let (may_build, may_print, may_protocols) = (staff.may(Action::ChangeSeating), staff.may(Action::Print), staff.may(Action::ViewProtocols));
    render_exam_page(&state, staff, "Устный экзамен: очереди", q, move |ctx, conn, layout, day, q| {
        let ppe = &ctx.config.ppe_code;
        let (plan, exam) = (&day.plan, &day.exam);
        let id = exam.exam_id.clone();
        let scope = scope(conn, plan, exam, ppe, role, &login)?;
        let mut view = OralView {
            layout,
            select: ExamSelect::new(&day.exams, &id, "/oral"),
            exam_id: id.clone(),
            note: None,
            technology: scope.technology.title_ru(),
            rooms: Vec::new(),
            may_build: false,
            room: None,
            rows: Vec::new(),
            run: false,
            other_rooms: Vec::new(),
            may_print: false,
            may_protocols: false,
            waiting: Vec::new(),
        };
        if !scope.technology.is_oral() {
            view.note = Some(format!(
                "экзамен «{}» — технология «{}»: очередей у него нет; выберите устный экзамен",
                exam.subject_name,
                scope.technology.title_ru()
            ));
            return Ok(view.render()?);
        }
        let turns = crate::oral::ops::queue(conn, &id.as_str().into(), &ppe.as_str().into())?;
        let by_id = super::seating::participants_by_id(plan);
        let name = |pid: &str| by_id.get(pid).map(|p| p.full_name()).unwrap_or_default();
        let visible: Vec<&(String, RoomRights)> = scope.rooms.iter().filter(|(_, r)| r.view).collect();
        let room = q.auditorium.clone().filter(|r| visible.iter().any(|(v, _)| v == r)).or_else(|| visible.first().map(|(r, _)| r.clone()));
        view.may_build = may_build && !turns.iter().any(|t| t.state != TurnState::Waiting || t.late || !t.moved_from.is_empty());
        view.rooms = visible
            .iter()
            .map(|(r, rights)| {
                let here: Vec<&Turn> = turns.iter().filter(|t| &t.auditorium == r).collect();
                let count = |f: fn(&TurnState) -> bool| here.iter().filter(|t| f(&t.state)).count();
                RoomLine {
                    auditorium: r.clone(),
                    answering: here.iter().find(|t| matches!(t.state, TurnState::Answering { .. })).map(|t| name(&t.participant_id)),
                    next: crate::oral::queue::next_in(&turns, r).map(|t| name(&t.participant_id)),
                    waiting: count(|s| *s == TurnState::Waiting),
                    done: count(|s| matches!(s, TurnState::Done { .. })),
                    absent: count(|s| *s == TurnState::Absent),
                    run: rights.run,
                    selected: Some(r) == room.as_ref(),
                }
            })
            .collect();
        view.waiting = turns
            .iter()
            .filter(|t| t.state == TurnState::Waiting && visible.iter().any(|(v, _)| *v == t.auditorium))
            .map(|t| (t.participant_id.clone(), name(&t.participant_id), t.auditorium.clone()))
            .collect();
        let Some(room) = room else {
            view.note = Some(if scope.rooms.is_empty() {
                "в ППЭ нет аудиторий проведения этого экзамена".to_string()
            } else {
                "вы не назначены ни в одну аудиторию проведения этого экзамена на этот день: обратитесь к руководителю ППЭ".to_string()
            });
            return Ok(view.render()?);
        };
        let rights = scope.rights(&room);
        let offset = exam.utc_offset_min;
        let extra = |pid: &str| by_id.get(pid).is_some_and(|p| p.conditions.extra_time);
        let planned = planned_starts(&turns, exam, extra);
        let busy = turns.iter().any(|t| t.auditorium == room && matches!(t.state, TurnState::Answering { .. }));
        view.rows = turns
            .iter()
            .filter(|t| t.auditorium == room)
            .map(|t| TurnRow {
                position: t.position,
                participant_id: t.participant_id.clone(),
                name: name(&t.participant_id),
                state: t.state.title_ru(),
                badge: badge(&t.state),
                late: t.late,
                moved_from: t.moved_from.join(", "),
                planned: planned.get(&t.participant_id).map(|p| local_hm(&p.to_rfc3339(), offset)).unwrap_or_else(|| "—".into()),
                started: t.started_at().map(|s| local_hm(s, offset)).unwrap_or_default(),
                finished: t.finished_at().map(|s| local_hm(s, offset)).unwrap_or_default(),
                buttons: if rights.run { step_buttons(t, busy) } else { Vec::new() },
                movable: rights.run && t.state == TurnState::Waiting,
            })
            .collect();
        view.other_rooms = scope.rooms.iter().map(|(r, _)| r.clone()).filter(|r| *r != room).collect();
        view.run = rights.run;
        view.may_print = may_print && scope.technology == Technology::OralInterview;
        view.may_protocols = may_protocols && scope.technology == Technology::OralInterview;
        view.room = Some(room);
        Ok(view.render()?)
    })
    .await
}

#[cfg(test)]
mod tests;
