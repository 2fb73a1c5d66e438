//! КЕГЭ workstations (issue 18 item 2): in a computer room one seat is one workstation, its
//! number the seat's place in the grid read row by row (`(row − 1) × columns + column`), and the
//! room's reserve workstations are numbered after the last seat (their count is data:
//! `[recordings] reserve_workstations`). Seating never places anyone at a reserve workstation;
//! a participant whose workstation fails is moved to a free reserve one, a recorded move with a
//! reason. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Auditorium, SeatAssignment};

/// The workstation number of a seat.
pub fn seat_workstation(room: &Auditorium, row: u16, column: u16) -> u16 {
    row.saturating_sub(1).saturating_mul(room.columns).saturating_add(column)
}

/// The room's reserve workstation numbers, after its last seat.
pub fn reserve_workstations(room: &Auditorium, reserve: u16) -> std::ops::RangeInclusive<u16> {
    let last_seat = room.rows.saturating_mul(room.columns);
    last_seat + 1..=last_seat.saturating_add(reserve)
}

/// A recorded move to a reserve workstation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkstationMove {
    pub exam_id: String,
    pub participant_id: String,
    pub auditorium: String,
    pub from_workstation: u16,
    pub to_workstation: u16,
    pub reason: String,
    pub moved_at: String,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkstationError {
    #[error("участник {0} не рассажен на этот экзамен")]
    NotSeated(String),
    #[error("укажите причину пересадки (например, «отказ станции № 5»)")]
    ReasonRequired,
    #[error("станция № {to} не резервная в аудитории {room}: резервные станции — {reserve}")]
    NotReserve { room: String, to: u16, reserve: String },
    #[error("резервная станция № {to} аудитории {room} уже занята участником {by}")]
    Taken { room: String, to: u16, by: String },
}

/// Each seated participant's workstation now: the seat's number, or the reserve workstation of
/// their latest move.
pub fn current_workstations(rooms: &[Auditorium], seats: &[SeatAssignment], moves: &[WorkstationMove]) -> BTreeMap<String, (String, u16)> {
    let mut out = BTreeMap::new();
    for s in seats {
        if let Some(room) = rooms.iter().find(|r| r.ppe_code == s.ppe_code && r.auditorium == s.auditorium) {
            out.insert(s.participant_id.clone(), (s.auditorium.clone(), seat_workstation(room, s.row, s.column)));
        }
    }
    for m in moves {
        out.insert(m.participant_id.clone(), (m.auditorium.clone(), m.to_workstation));
    }
    out
}

/// The rule of a move: the participant is seated, a reason is given, the target is one of the
/// room's reserve workstations and nobody else is on it. Returns the workstation they leave.
pub fn check_move(
    room: &Auditorium,
    reserve: u16,
    current: &BTreeMap<String, (String, u16)>,
    participant_id: &str,
    to: u16,
    reason: &str,
) -> Result<u16, WorkstationError> {
    let Some((_, from)) = current.get(participant_id).filter(|(r, _)| *r == room.auditorium) else {
        return Err(WorkstationError::NotSeated(participant_id.to_string()));
    };
    if reason.trim().is_empty() {
        return Err(WorkstationError::ReasonRequired);
    }
    let range = reserve_workstations(room, reserve);
    if !range.contains(&to) {
        let reserve = if range.is_empty() { "нет".to_string() } else { format!("№ {}–{}", range.start(), range.end()) };
        return Err(WorkstationError::NotReserve { room: room.auditorium.clone(), to, reserve });
    }
    if let Some((by, _)) = current.iter().find(|(p, (r, w))| p.as_str() != participant_id && *r == room.auditorium && *w == to) {
        return Err(WorkstationError::Taken { room: room.auditorium.clone(), to, by: by.clone() });
    }
    Ok(*from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> Auditorium {
        Auditorium {
            ppe_code: "0101".into(),
            auditorium: "201".into(),
            rows: 4,
            columns: 5,
            capacity: 20,
            special_needs: false,
            video: true,
            oral: false,
            reserve: false,
            unusable_seats: String::new(),
            floor: 2,
            room_kind: None,
        }
    }

    fn seat(p: &str, row: u16, column: u16) -> SeatAssignment {
        SeatAssignment { exam_id: "ege-25".into(), participant_id: p.into(), ppe_code: "0101".into(), auditorium: "201".into(), row, column, manual: false }
    }

    #[test]
    fn one_seat_is_one_workstation_and_the_reserve_ones_follow_the_last_seat() {
        let r = room();
        assert_eq!(seat_workstation(&r, 1, 1), 1);
        assert_eq!(seat_workstation(&r, 2, 3), 8);
        assert_eq!(seat_workstation(&r, 4, 5), 20);
        assert_eq!(reserve_workstations(&r, 2), 21..=22);
        assert!(reserve_workstations(&r, 0).is_empty());
        // Every seat of the grid has its own number, none of them a reserve one.
        let mut all: Vec<u16> = (1..=4).flat_map(|row| (1..=5).map(move |c| (row, c))).map(|(row, c)| seat_workstation(&r, row, c)).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 20);
        assert!(all.iter().all(|w| !reserve_workstations(&r, 2).contains(w)));
    }

    #[test]
    fn a_move_goes_only_to_a_free_reserve_workstation_with_a_reason() {
        let r = room();
        let seats = [seat("p1", 1, 1), seat("p2", 1, 2)];
        let current = current_workstations(std::slice::from_ref(&r), &seats, &[]);
        assert_eq!(current["p2"], ("201".to_string(), 2));
        assert_eq!(check_move(&r, 2, &current, "p1", 21, "отказ станции № 1"), Ok(1));
        assert_eq!(check_move(&r, 2, &current, "p1", 21, " "), Err(WorkstationError::ReasonRequired));
        assert!(matches!(check_move(&r, 2, &current, "p1", 2, "отказ"), Err(WorkstationError::NotReserve { .. })));
        assert!(matches!(check_move(&r, 2, &current, "p1", 23, "отказ"), Err(WorkstationError::NotReserve { .. })));
        assert_eq!(check_move(&r, 2, &current, "p9", 21, "отказ"), Err(WorkstationError::NotSeated("p9".into())));
        let moved = WorkstationMove {
            exam_id: "ege-25".into(),
            participant_id: "p1".into(),
            auditorium: "201".into(),
            from_workstation: 1,
            to_workstation: 21,
            reason: "отказ станции № 1".into(),
            moved_at: "2027-06-19T03:10:00Z".into(),
            actor: "t".into(),
        };
        let after = current_workstations(std::slice::from_ref(&r), &seats, std::slice::from_ref(&moved));
        assert_eq!(after["p1"], ("201".to_string(), 21));
        let e = check_move(&r, 2, &after, "p2", 21, "отказ станции № 2").unwrap_err();
        assert_eq!(e, WorkstationError::Taken { room: "201".into(), to: 21, by: "p1".into() });
        assert!(e.to_string().contains("уже занята"));
        assert_eq!(check_move(&r, 2, &after, "p2", 22, "отказ станции № 2"), Ok(2));
    }
}
