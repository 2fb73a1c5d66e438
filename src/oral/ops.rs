//! The oral-exam use cases of the box, shared by `ppe edge oral`, the UI and the bundle: build
//! the queues from the seating, record a turn's start and end, an absence, a late arrival, a
//! move to another room's queue, and the ИС-9 expert's protocol — each one transaction with its
//! audit entry (ids only, never names or points). The protocol is taken only from an account
//! whose role is expert, checked against the store on every call, of an expert of the point
//! that day (and of the participant's room when the roster names one).

use std::collections::BTreeMap;

use anyhow::Context;

use super::criteria::{self, Scale};
use super::queue::{self, Candidate, ConductingRoom, Event, EventKind, Place, QueueError, Turn, TurnState};
use super::{store, OralRecord, Protocol};
use crate::audit::{self, NewEntry};
use crate::model::{rooms_of_kind, Exam, ExamId, ParticipantId, Plan, PpeCode, RoomKind, WorkerRole};
use crate::store::Connection;

#[derive(Debug, thiserror::Error)]
pub enum OralError {
    #[error("экзамена {0} нет в плане")]
    UnknownExam(ExamId),
    #[error("экзамен {exam}: технология «{technology}» — очередей и протоколов у него нет")]
    NotOral { exam: ExamId, technology: &'static str },
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Score(#[from] criteria::ScoreError),
    #[error("учётная запись «{0}» не эксперта: протокол заполняет эксперт своей учётной записью")]
    NotExpert(String),
    #[error("учётная запись «{login}»: работник {worker} не назначен экспертом в ППЭ {ppe} на {date}")]
    ExpertNotOfPoint { login: String, worker: String, ppe: String, date: String },
    #[error("эксперт {worker} не работает в аудитории {auditorium}: протокол участника заполняет эксперт его аудитории")]
    ExpertNotOfRoom { worker: String, auditorium: String },
    #[error("протокол участника {0} заполняется после его ответа (сейчас: {1})")]
    NotAnswered(String, &'static str),
    #[error("протокол участника {0} уже заполнен")]
    AlreadyScored(String),
    #[error("экзамен {0}: протоколы эксперта ведутся только на итоговом собеседовании (технология «устная, с собеседником»)")]
    NoExpertProtocol(ExamId),
    /// A store that could not be read or written (the chain says which).
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

type Result<T, E = OralError> = std::result::Result<T, E>;

/// The exam at this point, its plan and its conducting rooms.
struct Day {
    plan: Plan,
    exam: Exam,
    rooms: Vec<ConductingRoom>,
}

fn day(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode) -> Result<Day> {
    let plan = crate::plan::store::load_plan(conn).context("load plan")?;
    let exam = plan.exams.iter().find(|e| e.exam_id == exam_id.as_str()).cloned().ok_or_else(|| OralError::UnknownExam(exam_id.clone()))?;
    let technology = exam.technology();
    if !technology.is_oral() {
        return Err(OralError::NotOral { exam: exam_id.clone(), technology: technology.title_ru() });
    }
    let rooms = rooms_of_kind(&plan.auditoriums, ppe_code, technology, RoomKind::Conducting)
        .into_iter()
        .map(|a| ConductingRoom { auditorium: a.auditorium.clone(), special_needs: a.special_needs })
        .collect();
    Ok(Day { plan, exam, rooms })
}

fn turns(conn: &Connection, exam_id: &str, ppe_code: &str) -> Result<Vec<Turn>> {
    let places = store::places(conn, exam_id, ppe_code).context("load queue")?;
    let events = store::events(conn, exam_id, ppe_code).context("load queue events")?;
    Ok(queue::turns(&places, &events))
}

/// The turns of an exam at the point, by room and position.
pub fn queue(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode) -> Result<Vec<Turn>> {
    turns(conn, exam_id, ppe_code)
}

/// The conducting rooms of an exam at the point, by code.
pub fn conducting_rooms(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode) -> Result<Vec<String>> {
    Ok(day(conn, exam_id, ppe_code)?.rooms.into_iter().map(|r| r.auditorium).collect())
}

/// Who stands where in the queue of an exam (one exam at one point).
#[derive(Debug, Clone)]
pub struct ExamRequest<'a> {
    pub exam_id: &'a ExamId,
    pub ppe_code: &'a PpeCode,
    pub at: &'a str,
    pub actor: &'a str,
}

/// Places the seated participants into the queues of the conducting rooms (again, as long as
/// nobody has started).
pub fn build(conn: &mut Connection, r: &ExamRequest<'_>) -> Result<Vec<Turn>> {
    let d = day(conn, r.exam_id, r.ppe_code)?;
    if !store::events(conn, r.exam_id, r.ppe_code).context("load queue events")?.is_empty() {
        return Err(QueueError::AlreadyRunning.into());
    }
    let seats = crate::seating::store::seat_assignments_for_exam(conn, r.exam_id).context("load seating")?;
    let seats: Vec<_> = seats.into_iter().filter(|s| s.ppe_code == r.ppe_code.as_str()).collect();
    if seats.is_empty() {
        return Err(QueueError::NotSeated(r.exam_id.to_string()).into());
    }
    let by_id: BTreeMap<&str, &crate::model::Participant> = d.plan.participants.iter().map(|p| (p.participant_id.as_str(), p)).collect();
    let candidates: Vec<Candidate> = seats
        .iter()
        .map(|s| {
            let p = by_id.get(s.participant_id.as_str());
            Candidate {
                participant_id: s.participant_id.clone(),
                seat_room: s.auditorium.clone(),
                seat: (s.row, s.column),
                extra_time: p.is_some_and(|p| p.conditions.extra_time),
                needs_special_room: p.is_some_and(|p| p.conditions.needs_special_room()),
            }
        })
        .collect();
    let profile = d.exam.technology().profile();
    let places = queue::place(&d.rooms, &candidates, profile.minutes_per_participant.unwrap_or(15), profile.extra_time_min)?;
    let tx = conn.transaction().context("start transaction")?;
    store::places_replace(&tx, r.exam_id, r.ppe_code, &places).context("store queue")?;
    let per_room: BTreeMap<&str, usize> = places.iter().fold(BTreeMap::new(), |mut m, p| {
        *m.entry(p.auditorium.as_str()).or_insert(0) += 1;
        m
    });
    audit::store::append(
        &tx,
        r.at,
        NewEntry {
            actor: r.actor,
            action: "oral.queue_built",
            object: r.exam_id,
            details: serde_json::json!({"ppe_code": r.ppe_code, "placed": places.len(), "rooms": per_room}),
        },
    )
    .context("audit")?;
    tx.commit().context("commit queue")?;
    turns(conn, r.exam_id, r.ppe_code)
}

/// A turn's step: start, finish, absent, late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Start,
    Finish,
    Absent,
    Late,
}

/// One participant's step in the queue.
#[derive(Debug, Clone)]
pub struct StepRequest<'a> {
    pub exam_id: &'a ExamId,
    pub ppe_code: &'a PpeCode,
    pub participant_id: &'a ParticipantId,
    pub step: Step,
    pub at: &'a str,
    pub actor: &'a str,
}

/// Records a step after checking it against the queue: one participant answers at a time in a
/// room, an end is not before its start, the absent are skipped, the late go to the end.
pub fn step(conn: &mut Connection, r: &StepRequest<'_>) -> Result<Turn> {
    day(conn, r.exam_id, r.ppe_code)?;
    let all = turns(conn, r.exam_id, r.ppe_code)?;
    let id = r.participant_id.as_str();
    let (turn, kind) = match r.step {
        Step::Start => (queue::check_start(&all, id)?, EventKind::Started),
        Step::Finish => (queue::check_finish(&all, id, r.at)?, EventKind::Finished),
        Step::Absent => (queue::check_absent(&all, id)?, EventKind::Absent),
        Step::Late => (queue::check_late(&all, id)?, EventKind::Late),
    };
    let event = Event { participant_id: id.into(), kind, auditorium: turn.auditorium.clone(), at: r.at.into(), reason: String::new() };
    let place = (kind == EventKind::Late).then(|| Place {
        participant_id: id.into(),
        auditorium: turn.auditorium.clone(),
        position: queue::end_of(&all, &turn.auditorium),
    });
    let details = serde_json::json!({"exam_id": r.exam_id, "ppe_code": r.ppe_code, "auditorium": turn.auditorium});
    let written = Written { exam_id: r.exam_id, ppe_code: r.ppe_code, place, event, actor: r.actor, details };
    write_event(conn, written)
}

/// One queue event to store: the participant's new place (if it changes), the event, its
/// audit entry.
struct Written<'a> {
    exam_id: &'a str,
    ppe_code: &'a str,
    place: Option<Place>,
    event: Event,
    actor: &'a str,
    details: serde_json::Value,
}

fn write_event(conn: &mut Connection, w: Written<'_>) -> Result<Turn> {
    let tx = conn.transaction().context("start transaction")?;
    if let Some(place) = &w.place {
        store::place_set(&tx, w.exam_id, w.ppe_code, place).context("store place")?;
    }
    store::event_insert(&tx, w.exam_id, w.ppe_code, &w.event, w.actor).context("store event")?;
    let action = format!("oral.{}", w.event.kind.code());
    let entry = NewEntry { actor: w.actor, action: &action, object: &w.event.participant_id, details: w.details };
    audit::store::append(&tx, &w.event.at, entry).context("audit")?;
    tx.commit().context("commit queue event")?;
    find(conn, w.exam_id, w.ppe_code, &w.event.participant_id)
}

fn find(conn: &Connection, exam_id: &str, ppe_code: &str, participant_id: &str) -> Result<Turn> {
    turns(conn, exam_id, ppe_code)?
        .into_iter()
        .find(|t| t.participant_id == participant_id)
        .ok_or_else(|| QueueError::NotQueued(participant_id.into()).into())
}

/// A waiting participant moved to the end of another conducting room's queue.
#[derive(Debug, Clone)]
pub struct MoveRequest<'a> {
    pub exam_id: &'a ExamId,
    pub ppe_code: &'a PpeCode,
    pub participant_id: &'a ParticipantId,
    pub to_auditorium: &'a str,
    pub reason: &'a str,
    pub at: &'a str,
    pub actor: &'a str,
}

pub fn move_to(conn: &mut Connection, r: &MoveRequest<'_>) -> Result<Turn> {
    let d = day(conn, r.exam_id, r.ppe_code)?;
    let rooms: Vec<String> = d.rooms.iter().map(|r| r.auditorium.clone()).collect();
    let all = turns(conn, r.exam_id, r.ppe_code)?;
    let id = r.participant_id.as_str();
    let turn = queue::check_move(&all, &rooms, id, r.to_auditorium, r.reason)?;
    let from = turn.auditorium.clone();
    let place = Place { participant_id: id.into(), auditorium: r.to_auditorium.into(), position: queue::end_of(&all, r.to_auditorium) };
    let event =
        Event { participant_id: id.into(), kind: EventKind::Moved, auditorium: from.clone(), at: r.at.into(), reason: r.reason.trim().into() };
    let details = serde_json::json!({"exam_id": r.exam_id, "ppe_code": r.ppe_code, "from": from, "to": r.to_auditorium});
    write_event(conn, Written { exam_id: r.exam_id, ppe_code: r.ppe_code, place: Some(place), event, actor: r.actor, details })
}

/// The expert's protocol of one participant, entered with the expert's own account.
#[derive(Debug, Clone)]
pub struct ScoreRequest<'a> {
    pub exam_id: &'a ExamId,
    pub ppe_code: &'a PpeCode,
    pub participant_id: &'a ParticipantId,
    /// The login of the account entering it (authenticated by the caller; its role and worker
    /// are read from the store here, every time).
    pub login: &'a str,
    pub points: &'a BTreeMap<String, u8>,
    pub at: &'a str,
}

/// The worker behind an expert's account, checked: the account's role is expert and the plan
/// makes its worker an expert of the point on the exam's date.
fn expert_of(conn: &Connection, plan: &Plan, exam: &Exam, ppe_code: &str, login: &str) -> Result<String> {
    let account = crate::accounts::store::account_get(conn, login).context("load account")?.map(|(a, _, _)| a);
    let Some(account) = account.filter(|a| a.role == WorkerRole::Expert) else {
        return Err(OralError::NotExpert(login.into()));
    };
    if !plan.workers_with_role_at(ppe_code, &exam.date, WorkerRole::Expert).iter().any(|w| w.worker_id == account.worker_id) {
        return Err(OralError::ExpertNotOfPoint { login: login.into(), worker: account.worker_id, ppe: ppe_code.into(), date: exam.date.clone() });
    }
    Ok(account.worker_id)
}

pub fn score(conn: &mut Connection, r: &ScoreRequest<'_>) -> Result<Protocol> {
    let d = day(conn, r.exam_id, r.ppe_code)?;
    if d.exam.technology() != crate::model::Technology::OralInterview {
        return Err(OralError::NoExpertProtocol(r.exam_id.clone()));
    }
    let worker = expert_of(conn, &d.plan, &d.exam, r.ppe_code, r.login)?;
    let turn = find(conn, r.exam_id, r.ppe_code, r.participant_id)?;
    if !matches!(turn.state, TurnState::Done { .. }) {
        return Err(OralError::NotAnswered(turn.participant_id.clone(), turn.state.title_ru()));
    }
    let roster = crate::roster::store::roster_get(conn, r.exam_id, r.ppe_code).context("load roster")?;
    let room_experts: Vec<&str> = roster
        .iter()
        .filter(|e| matches!(&e.post, crate::roster::Post::Expert { auditorium } if *auditorium == turn.auditorium))
        .map(|e| e.worker_id.as_str())
        .collect();
    if !room_experts.is_empty() && !room_experts.contains(&worker.as_str()) {
        return Err(OralError::ExpertNotOfRoom { worker, auditorium: turn.auditorium });
    }
    let health = d.plan.participants.iter().find(|p| p.participant_id == r.participant_id.as_str()).map(|p| p.health).unwrap_or_default();
    let scale: &Scale = &super::CURRENT;
    let score = criteria::score(scale, r.points, health)?;
    let protocol = Protocol {
        exam_id: r.exam_id.to_string(),
        ppe_code: r.ppe_code.to_string(),
        participant_id: r.participant_id.to_string(),
        auditorium: turn.auditorium.clone(),
        expert_worker_id: worker.clone(),
        expert_login: r.login.into(),
        scale: scale.version.into(),
        score,
        scored_at: r.at.into(),
    };
    let tx = conn.transaction().context("start transaction")?;
    if !store::protocol_insert(&tx, &protocol).context("store protocol")? {
        return Err(OralError::AlreadyScored(protocol.participant_id));
    }
    audit::store::append(
        &tx,
        r.at,
        NewEntry {
            actor: r.login,
            action: "oral.scored",
            object: r.participant_id,
            details: serde_json::json!({"exam_id": r.exam_id, "ppe_code": r.ppe_code, "expert_worker_id": worker, "auditorium": turn.auditorium}),
        },
    )
    .context("audit")?;
    tx.commit().context("commit protocol")?;
    Ok(protocol)
}

pub fn protocols(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode) -> Result<Vec<Protocol>> {
    Ok(store::protocols(conn, exam_id, ppe_code).context("load protocols")?)
}

/// The bundle's record of an oral exam (`records-oral.json`): `None` for an exam that is not
/// oral or has no queue.
pub fn record(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode) -> Result<Option<OralRecord>> {
    // No plan, no exam: nothing oral to record (the bundle goes without it).
    let Some(exam) = crate::plan::store::exam_get(conn, exam_id).context("load exam")? else { return Ok(None) };
    let technology = exam.technology();
    let turns = turns(conn, exam_id, ppe_code)?;
    if !technology.is_oral() || turns.is_empty() {
        return Ok(None);
    }
    Ok(Some(OralRecord {
        format: OralRecord::FORMAT.into(),
        exam_id: exam_id.to_string(),
        ppe_code: ppe_code.to_string(),
        technology,
        scale: super::CURRENT.version.into(),
        max_points: super::CURRENT.max_points(),
        turns,
        protocols: protocols(conn, exam_id, ppe_code)?,
    }))
}
