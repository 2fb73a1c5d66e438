//! The queues of an oral exam (issue 18 item 2), pure: seating places the participants into
//! the queues of the conducting (recording) rooms — deterministic, balanced by the minutes each
//! participant takes —, and each participant's turn follows from the recorded events: waiting,
//! answering (from the start time), done (with the end time), absent, or late (back at the end
//! of the queue). One participant at a time answers in a room.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A conducting (recording) room of the exam, a queue of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConductingRoom {
    pub auditorium: String,
    /// Flagged for ОВЗ participants who need a special room.
    pub special_needs: bool,
}

/// A seated participant waiting to be placed in a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub participant_id: String,
    /// Where seating put them (the waiting or preparation room) and the seat's row and column:
    /// the order they are called in.
    pub seat_room: String,
    pub seat: (u16, u16),
    /// ОВЗ extra time: a longer turn.
    pub extra_time: bool,
    pub needs_special_room: bool,
}

/// A participant's place in a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub participant_id: String,
    /// The conducting room.
    pub auditorium: String,
    /// 1-based order in the room's queue.
    pub position: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("в ППЭ нет аудитории проведения для этого экзамена (столбец room_kind = conducting или признак oral у аудитории)")]
    NoConductingRoom,
    #[error("нет рассадки: сначала ppe edge seat --exam {0}")]
    NotSeated(String),
    #[error("участник {0} не стоит в очереди этого экзамена")]
    NotQueued(String),
    #[error("участник {0} отмечен неявившимся: сначала отметьте опоздание (он встанет в конец очереди)")]
    Absent(String),
    #[error("участник {0} уже ответил")]
    AlreadyDone(String),
    #[error("участник {0} уже отвечает")]
    AlreadyAnswering(String),
    #[error("участник {0} ещё не начал отвечать")]
    NotAnswering(String),
    #[error("в аудитории {auditorium} уже отвечает участник {participant}: сначала завершите его ответ")]
    RoomBusy { auditorium: String, participant: String },
    #[error("время окончания {finished} раньше начала {started}")]
    EndBeforeStart { started: String, finished: String },
    #[error("аудитории {0} нет среди аудиторий проведения экзамена")]
    UnknownRoom(String),
    #[error("участник {participant} уже в очереди аудитории {auditorium}")]
    SameRoom { participant: String, auditorium: String },
    #[error("укажите причину перевода в другую аудиторию")]
    NoReason,
    #[error("очередь уже идёт (участники начали отвечать): построить её заново нельзя, переводите участников по одному")]
    AlreadyRunning,
}

/// Places the seated participants into the queues: in the order they sit (room, row, column),
/// each to the eligible room with the fewest minutes so far (ties: fewer people, then the room
/// code); a participant needing a special room goes to a special-needs conducting room when
/// the point has one. Deterministic in its input.
pub fn place(rooms: &[ConductingRoom], candidates: &[Candidate], minutes: u32, extra_min: u32) -> Result<Vec<Place>, QueueError> {
    if rooms.is_empty() {
        return Err(QueueError::NoConductingRoom);
    }
    let mut rooms: Vec<&ConductingRoom> = rooms.iter().collect();
    rooms.sort_by(|a, b| a.auditorium.cmp(&b.auditorium));
    let mut order: Vec<&Candidate> = candidates.iter().collect();
    order.sort_by(|a, b| (&a.seat_room, a.seat, &a.participant_id).cmp(&(&b.seat_room, b.seat, &b.participant_id)));
    let mut load: BTreeMap<&str, (u32, u32)> = rooms.iter().map(|r| (r.auditorium.as_str(), (0, 0))).collect();
    let any_special = rooms.iter().any(|r| r.special_needs);
    let mut out = Vec::with_capacity(order.len());
    for c in order {
        let eligible = |r: &&&ConductingRoom| !(c.needs_special_room && any_special) || r.special_needs;
        let Some(room) = rooms.iter().filter(eligible).min_by_key(|r| (load[r.auditorium.as_str()], r.auditorium.as_str())) else {
            return Err(QueueError::NoConductingRoom);
        };
        let entry = load.get_mut(room.auditorium.as_str()).ok_or(QueueError::NoConductingRoom)?;
        entry.0 += minutes + if c.extra_time { extra_min } else { 0 };
        entry.1 += 1;
        out.push(Place { participant_id: c.participant_id.clone(), auditorium: room.auditorium.clone(), position: entry.1 });
    }
    Ok(out)
}

/// What happened to a participant in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Started,
    Finished,
    Absent,
    /// Came after their turn (or after being marked absent): back at the end of the queue.
    Late,
    /// Moved to another room's queue.
    Moved,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [Self::Started, Self::Finished, Self::Absent, Self::Late, Self::Moved];
    pub fn code(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Finished => "finished",
            Self::Absent => "absent",
            Self::Late => "late",
            Self::Moved => "moved",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == text)
    }
}

/// One recorded event of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub participant_id: String,
    pub kind: EventKind,
    /// The room the event happened in (for a move: the room moved from; the place holds the
    /// room moved to).
    pub auditorium: String,
    /// RFC 3339, the box clock.
    pub at: String,
    pub reason: String,
}

/// Where a participant's turn is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TurnState {
    Waiting,
    Answering { started_at: String },
    Done { started_at: String, finished_at: String },
    Absent,
}

impl TurnState {
    pub fn title_ru(&self) -> &'static str {
        match self {
            Self::Waiting => "ожидает",
            Self::Answering { .. } => "отвечает",
            Self::Done { .. } => "ответил",
            Self::Absent => "не явился",
        }
    }
}

/// A participant's turn: their place and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub participant_id: String,
    pub auditorium: String,
    pub position: u32,
    pub state: TurnState,
    pub late: bool,
    /// Rooms moved from, in order.
    pub moved_from: Vec<String>,
}

impl Turn {
    pub fn started_at(&self) -> Option<&str> {
        match &self.state {
            TurnState::Answering { started_at } | TurnState::Done { started_at, .. } => Some(started_at),
            _ => None,
        }
    }
    pub fn finished_at(&self) -> Option<&str> {
        match &self.state {
            TurnState::Done { finished_at, .. } => Some(finished_at),
            _ => None,
        }
    }
}

/// The turns of an exam from the places and the events (in the order recorded), sorted by
/// room and position.
pub fn turns(places: &[Place], events: &[Event]) -> Vec<Turn> {
    let mut by_id: BTreeMap<&str, Turn> = places
        .iter()
        .map(|p| {
            let turn = Turn {
                participant_id: p.participant_id.clone(),
                auditorium: p.auditorium.clone(),
                position: p.position,
                state: TurnState::Waiting,
                late: false,
                moved_from: Vec::new(),
            };
            (p.participant_id.as_str(), turn)
        })
        .collect();
    for e in events {
        let Some(turn) = by_id.get_mut(e.participant_id.as_str()) else { continue };
        match e.kind {
            EventKind::Started => turn.state = TurnState::Answering { started_at: e.at.clone() },
            EventKind::Finished => {
                if let TurnState::Answering { started_at } = &turn.state {
                    turn.state = TurnState::Done { started_at: started_at.clone(), finished_at: e.at.clone() };
                }
            }
            EventKind::Absent => turn.state = TurnState::Absent,
            EventKind::Late => {
                turn.state = TurnState::Waiting;
                turn.late = true;
            }
            EventKind::Moved => turn.moved_from.push(e.auditorium.clone()),
        }
    }
    let mut out: Vec<Turn> = by_id.into_values().collect();
    out.sort_by(|a, b| (&a.auditorium, a.position, &a.participant_id).cmp(&(&b.auditorium, b.position, &b.participant_id)));
    out
}

/// Who is next in a room: the first waiting participant by position.
pub fn next_in<'a>(turns: &'a [Turn], auditorium: &str) -> Option<&'a Turn> {
    turns.iter().filter(|t| t.auditorium == auditorium && t.state == TurnState::Waiting).min_by_key(|t| t.position)
}

fn find<'a>(turns: &'a [Turn], participant_id: &str) -> Result<&'a Turn, QueueError> {
    turns.iter().find(|t| t.participant_id == participant_id).ok_or_else(|| QueueError::NotQueued(participant_id.into()))
}

/// The position after the last one of a room's queue (where the late and the moved go).
pub fn end_of(turns: &[Turn], auditorium: &str) -> u32 {
    turns.iter().filter(|t| t.auditorium == auditorium).map(|t| t.position).max().unwrap_or(0) + 1
}

/// A waiting participant may start when nobody else answers in their room.
pub fn check_start<'a>(turns: &'a [Turn], participant_id: &str) -> Result<&'a Turn, QueueError> {
    let turn = find(turns, participant_id)?;
    waiting(turn)?;
    if let Some(other) = turns.iter().find(|t| t.auditorium == turn.auditorium && matches!(t.state, TurnState::Answering { .. })) {
        return Err(QueueError::RoomBusy { auditorium: turn.auditorium.clone(), participant: other.participant_id.clone() });
    }
    Ok(turn)
}

fn waiting(turn: &Turn) -> Result<(), QueueError> {
    let id = || turn.participant_id.clone();
    match turn.state {
        TurnState::Waiting => Ok(()),
        TurnState::Absent => Err(QueueError::Absent(id())),
        TurnState::Answering { .. } => Err(QueueError::AlreadyAnswering(id())),
        TurnState::Done { .. } => Err(QueueError::AlreadyDone(id())),
    }
}

/// An answering participant finishes, not before they started.
pub fn check_finish<'a>(turns: &'a [Turn], participant_id: &str, at: &str) -> Result<&'a Turn, QueueError> {
    let turn = find(turns, participant_id)?;
    match &turn.state {
        TurnState::Answering { started_at } if at_before(at, started_at) => {
            Err(QueueError::EndBeforeStart { started: started_at.clone(), finished: at.into() })
        }
        TurnState::Answering { .. } => Ok(turn),
        TurnState::Done { .. } => Err(QueueError::AlreadyDone(participant_id.into())),
        _ => Err(QueueError::NotAnswering(participant_id.into())),
    }
}

fn at_before(a: &str, b: &str) -> bool {
    match (chrono::DateTime::parse_from_rfc3339(a), chrono::DateTime::parse_from_rfc3339(b)) {
        (Ok(a), Ok(b)) => a < b,
        _ => a < b,
    }
}

/// Only a waiting participant is marked absent (one who answered or answers is here).
pub fn check_absent<'a>(turns: &'a [Turn], participant_id: &str) -> Result<&'a Turn, QueueError> {
    let turn = find(turns, participant_id)?;
    waiting(turn)?;
    Ok(turn)
}

/// A participant who comes late — waiting past their turn or marked absent — goes to the end
/// of their room's queue.
pub fn check_late<'a>(turns: &'a [Turn], participant_id: &str) -> Result<&'a Turn, QueueError> {
    let turn = find(turns, participant_id)?;
    match turn.state {
        TurnState::Waiting | TurnState::Absent => Ok(turn),
        TurnState::Answering { .. } => Err(QueueError::AlreadyAnswering(participant_id.into())),
        TurnState::Done { .. } => Err(QueueError::AlreadyDone(participant_id.into())),
    }
}

/// A waiting participant moves to the end of another conducting room's queue, with a reason.
pub fn check_move<'a>(turns: &'a [Turn], rooms: &[String], participant_id: &str, to: &str, reason: &str) -> Result<&'a Turn, QueueError> {
    let turn = find(turns, participant_id)?;
    if !rooms.iter().any(|r| r == to) {
        return Err(QueueError::UnknownRoom(to.into()));
    }
    if turn.auditorium == to {
        return Err(QueueError::SameRoom { participant: participant_id.into(), auditorium: to.into() });
    }
    if reason.trim().is_empty() {
        return Err(QueueError::NoReason);
    }
    waiting(turn)?;
    Ok(turn)
}

/// Planned minutes from the start until each waiting or answering participant's turn, per room
/// in queue order (done and absent ones take no more time).
pub fn planned_offsets(turns: &[Turn], minutes: u32, extra_min: u32, extra_time: impl Fn(&str) -> bool) -> BTreeMap<String, u32> {
    let mut clock: BTreeMap<&str, u32> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for t in turns.iter().filter(|t| matches!(t.state, TurnState::Waiting | TurnState::Answering { .. })) {
        let at = clock.entry(t.auditorium.as_str()).or_insert(0);
        out.insert(t.participant_id.clone(), *at);
        *at += minutes + if extra_time(&t.participant_id) { extra_min } else { 0 };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, room: &str, row: u16, col: u16) -> Candidate {
        Candidate { participant_id: id.into(), seat_room: room.into(), seat: (row, col), extra_time: false, needs_special_room: false }
    }
    fn rooms(codes: &[&str]) -> Vec<ConductingRoom> {
        codes.iter().map(|c| ConductingRoom { auditorium: c.to_string(), special_needs: false }).collect()
    }
    fn ev(id: &str, kind: EventKind, room: &str, at: &str) -> Event {
        Event { participant_id: id.into(), kind, auditorium: room.into(), at: at.into(), reason: String::new() }
    }

    #[test]
    fn seating_order_fills_the_rooms_evenly_and_deterministically() {
        let cands: Vec<Candidate> = (0..7).map(|i| cand(&format!("P{i}"), "101", i / 3 + 1, i % 3 + 1)).collect();
        let placed = place(&rooms(&["202", "201"]), &cands, 15, 30).unwrap();
        let in_room = |r: &str| placed.iter().filter(|p| p.auditorium == r).map(|p| (p.participant_id.as_str(), p.position)).collect::<Vec<_>>();
        assert_eq!(in_room("201"), [("P0", 1), ("P2", 2), ("P4", 3), ("P6", 4)]);
        assert_eq!(in_room("202"), [("P1", 1), ("P3", 2), ("P5", 3)]);
        let mut shuffled = cands.clone();
        shuffled.reverse();
        assert_eq!(place(&rooms(&["201", "202"]), &shuffled, 15, 30).unwrap(), placed, "the input order does not matter");
    }

    #[test]
    fn a_longer_turn_weighs_more_and_special_needs_go_to_their_room() {
        let mut a = cand("A", "101", 1, 1);
        a.extra_time = true;
        let mut s = cand("S", "101", 1, 4);
        s.needs_special_room = true;
        let cands = vec![a, cand("B", "101", 1, 2), cand("C", "101", 1, 3), s];
        let mut rs = rooms(&["201", "202"]);
        let placed = place(&rs, &cands, 15, 30).unwrap();
        let room_of = |id: &str| placed.iter().find(|p| p.participant_id == id).unwrap().auditorium.clone();
        assert_eq!((room_of("A"), room_of("B"), room_of("C")), ("201".into(), "202".into(), "202".into()), "A's 45 minutes outweigh B's 15");
        rs[0].special_needs = true;
        let placed = place(&rs, &cands, 15, 30).unwrap();
        assert_eq!(placed.iter().find(|p| p.participant_id == "S").unwrap().auditorium, "201", "the special-needs room");
        assert_eq!(place(&[], &cands, 15, 30), Err(QueueError::NoConductingRoom));
    }

    #[test]
    fn one_participant_at_a_time_with_start_and_end_times() {
        let places = place(&rooms(&["201"]), &[cand("A", "101", 1, 1), cand("B", "101", 1, 2)], 15, 30).unwrap();
        let t = turns(&places, &[]);
        assert_eq!(next_in(&t, "201").unwrap().participant_id, "A");
        assert!(check_start(&t, "A").is_ok());
        assert_eq!(check_finish(&t, "A", "2027-02-14T09:10:00Z"), Err(QueueError::NotAnswering("A".into())));
        let t = turns(&places, &[ev("A", EventKind::Started, "201", "2027-02-14T09:00:00Z")]);
        assert_eq!(check_start(&t, "B"), Err(QueueError::RoomBusy { auditorium: "201".into(), participant: "A".into() }));
        assert_eq!(check_start(&t, "A"), Err(QueueError::AlreadyAnswering("A".into())));
        assert!(matches!(check_finish(&t, "A", "2027-02-14T08:59:00Z"), Err(QueueError::EndBeforeStart { .. })));
        assert_eq!(next_in(&t, "201").unwrap().participant_id, "B");
        let t = turns(
            &places,
            &[ev("A", EventKind::Started, "201", "2027-02-14T09:00:00Z"), ev("A", EventKind::Finished, "201", "2027-02-14T09:15:00Z")],
        );
        assert_eq!(t[0].started_at(), Some("2027-02-14T09:00:00Z"));
        assert_eq!(t[0].finished_at(), Some("2027-02-14T09:15:00Z"));
        assert!(check_start(&t, "B").is_ok(), "the room is free again");
        assert_eq!(check_absent(&t, "A"), Err(QueueError::AlreadyDone("A".into())));
        assert_eq!(check_start(&t, "Z"), Err(QueueError::NotQueued("Z".into())));
    }

    #[test]
    fn the_absent_are_skipped_and_the_late_go_to_the_end() {
        let places = place(&rooms(&["201"]), &[cand("A", "101", 1, 1), cand("B", "101", 1, 2)], 15, 30).unwrap();
        let t = turns(&places, &[ev("A", EventKind::Absent, "201", "2027-02-14T09:00:00Z")]);
        assert_eq!(next_in(&t, "201").unwrap().participant_id, "B", "the absent one is skipped");
        assert_eq!(check_start(&t, "A"), Err(QueueError::Absent("A".into())));
        assert!(check_late(&t, "A").is_ok());
        assert_eq!(end_of(&t, "201"), 3);
        let moved = [Place { position: 3, ..places[0].clone() }, places[1].clone()];
        let t = turns(&moved, &[ev("A", EventKind::Absent, "201", "t1"), ev("A", EventKind::Late, "201", "t2")]);
        assert!(t.iter().find(|x| x.participant_id == "A").is_some_and(|x| x.late && x.state == TurnState::Waiting));
        assert_eq!(next_in(&t, "201").unwrap().participant_id, "B", "the late one waits at the end");
    }

    #[test]
    fn a_move_needs_another_conducting_room_a_reason_and_a_waiting_participant() {
        let rs = vec!["201".to_string(), "202".to_string()];
        let places = place(&rooms(&["201", "202"]), &[cand("A", "101", 1, 1), cand("B", "101", 1, 2)], 15, 30).unwrap();
        let t = turns(&places, &[]);
        assert!(check_move(&t, &rs, "A", "202", "неисправна гарнитура").is_ok());
        assert_eq!(check_move(&t, &rs, "A", "303", "x"), Err(QueueError::UnknownRoom("303".into())));
        assert!(matches!(check_move(&t, &rs, "A", "201", "x"), Err(QueueError::SameRoom { .. })));
        assert_eq!(check_move(&t, &rs, "A", "202", " "), Err(QueueError::NoReason));
        let moved = [Place { auditorium: "202".into(), position: 2, ..places[0].clone() }, places[1].clone()];
        let t = turns(&moved, &[ev("A", EventKind::Moved, "201", "t1")]);
        let a = t.iter().find(|x| x.participant_id == "A").unwrap();
        assert_eq!((a.auditorium.as_str(), a.moved_from.as_slice()), ("202", ["201".to_string()].as_slice()));
        let t = turns(&places, &[ev("A", EventKind::Started, "201", "t1")]);
        assert_eq!(check_move(&t, &rs, "A", "202", "x"), Err(QueueError::AlreadyAnswering("A".into())));
    }

    #[test]
    fn planned_times_add_each_turns_minutes_in_queue_order() {
        let places = place(&rooms(&["201"]), &[cand("A", "101", 1, 1), cand("B", "101", 1, 2), cand("C", "101", 1, 3)], 15, 30).unwrap();
        let t = turns(&places, &[]);
        let offsets = planned_offsets(&t, 15, 30, |id| id == "A");
        assert_eq!((offsets["A"], offsets["B"], offsets["C"]), (0, 45, 60));
    }
}
