//! Changes to a seating during the day ([`move_participant`], [`close_auditorium`],
//! [`add_participant`]): each touches only the people it names, and the result is kept as
//! manual seats so a re-run keeps it. Rooms another overlapping exam holds are refused by the
//! caller (`seating::day::check_target_room`) before these run.

use std::collections::HashSet;

use super::{adjacent, room_limit, same_school, usable_seats, Seatee, SeatingError, SeatingRules};
use crate::model::{parse_seat_label, Auditorium, SeatAssignment};

fn room_of<'a>(rooms: &'a [Auditorium], auditorium: &str) -> Result<&'a Auditorium, SeatingError> {
    rooms.iter().find(|a| a.auditorium == auditorium).ok_or_else(|| SeatingError::UnknownAuditorium(auditorium.to_string()))
}

pub(crate) fn free_seats_in(room: &Auditorium, rules: &SeatingRules, seats: &[SeatAssignment]) -> Vec<(u16, u16)> {
    let in_room: Vec<&SeatAssignment> = seats.iter().filter(|s| s.auditorium == room.auditorium).collect();
    if in_room.len() >= room_limit(room, rules) {
        return Vec::new();
    }
    usable_seats(room).into_iter().filter(|&(r, c)| !in_room.iter().any(|s| s.row == r && s.column == c)).collect()
}

/// The free seat of a room with the fewest same-school neighbours for `school`.
fn best_free_seat(
    room: &Auditorium,
    rules: &SeatingRules,
    seats: &[SeatAssignment],
    school: &str,
    school_of: &dyn Fn(&str) -> String,
) -> Option<(u16, u16)> {
    let in_room: Vec<(&SeatAssignment, String)> =
        seats.iter().filter(|s| s.auditorium == room.auditorium).map(|s| (s, school_of(&s.participant_id))).collect();
    free_seats_in(room, rules, seats)
        .into_iter()
        .min_by_key(|&pos| in_room.iter().filter(|(s, sc)| adjacent((s.row, s.column), pos) && same_school(sc, school)).count())
}

/// Moves one participant to another auditorium (a given seat, or the best free one). Nobody
/// else moves. The moved seat becomes a manual one so a re-run keeps it.
pub fn move_participant(
    seats: &mut [SeatAssignment],
    rooms: &[Auditorium],
    rules: &SeatingRules,
    who: &Seatee,
    to_auditorium: &str,
    to_seat: Option<&str>,
    school_of: &dyn Fn(&str) -> String,
) -> Result<SeatAssignment, SeatingError> {
    let room = room_of(rooms, to_auditorium)?;
    if who.special_room && !room.special_needs {
        return Err(SeatingError::NotASpecialNeedsRoom { auditorium: room.auditorium.clone(), participant: who.participant_id.clone() });
    }
    let index = seats
        .iter()
        .position(|s| s.participant_id == who.participant_id)
        .ok_or_else(|| SeatingError::UnknownParticipant(who.participant_id.clone()))?;
    let others: Vec<SeatAssignment> = seats.iter().enumerate().filter(|(i, _)| *i != index).map(|(_, s)| s.clone()).collect();
    let position = match to_seat {
        Some(label) => {
            let pos = parse_seat_label(label)
                .filter(|p| usable_seats(room).contains(p))
                .ok_or_else(|| SeatingError::NoSuchSeat { auditorium: room.auditorium.clone(), seat: label.to_string() })?;
            if others.iter().any(|s| s.auditorium == room.auditorium && (s.row, s.column) == pos) {
                return Err(SeatingError::SeatTaken { auditorium: room.auditorium.clone(), seat: label.to_string() });
            }
            if free_seats_in(room, rules, &others).is_empty() {
                return Err(SeatingError::AuditoriumFull(room.auditorium.clone()));
            }
            pos
        }
        None => {
            best_free_seat(room, rules, &others, &who.school_code, school_of).ok_or_else(|| SeatingError::AuditoriumFull(room.auditorium.clone()))?
        }
    };
    let seat = &mut seats[index];
    seat.auditorium = room.auditorium.clone();
    seat.row = position.0;
    seat.column = position.1;
    seat.manual = true;
    Ok(seat.clone())
}

/// Closes an auditorium: its people move to `reserve`, to the same seat labels where the
/// grid allows, else to the best free seats. Returns the moved seats.
pub fn close_auditorium(
    seats: &mut [SeatAssignment],
    rooms: &[Auditorium],
    rules: &SeatingRules,
    closed: &str,
    reserve: &str,
) -> Result<Vec<SeatAssignment>, SeatingError> {
    room_of(rooms, closed)?;
    let target = room_of(rooms, reserve)?;
    let moving: Vec<usize> = seats.iter().enumerate().filter(|(_, s)| s.auditorium == closed).map(|(i, _)| i).collect();
    let already = seats.iter().filter(|s| s.auditorium == reserve).count();
    if already + moving.len() > room_limit(target, rules) {
        return Err(SeatingError::AuditoriumFull(reserve.to_string()));
    }
    let usable = usable_seats(target);
    let mut occupied: HashSet<(u16, u16)> = seats.iter().filter(|s| s.auditorium == reserve).map(|s| (s.row, s.column)).collect();
    let mut moved = Vec::new();
    // Keep the same seat where possible; then fill the rest.
    let mut pending = Vec::new();
    for &i in &moving {
        let pos = (seats[i].row, seats[i].column);
        if usable.contains(&pos) && occupied.insert(pos) {
            seats[i].auditorium = reserve.to_string();
            seats[i].manual = true;
            moved.push(seats[i].clone());
        } else {
            pending.push(i);
        }
    }
    for i in pending {
        let pos = usable.iter().copied().find(|p| !occupied.contains(p)).ok_or_else(|| SeatingError::AuditoriumFull(reserve.to_string()))?;
        occupied.insert(pos);
        seats[i].auditorium = reserve.to_string();
        seats[i].row = pos.0;
        seats[i].column = pos.1;
        seats[i].manual = true;
        moved.push(seats[i].clone());
    }
    Ok(moved)
}

/// Seats a participant who appears with a late plan change: the free seat with the fewest
/// same-school neighbours in a room already in use (special rooms for special needs), else
/// the first room not yet in use. Nobody else moves.
pub fn add_participant(
    seats: &mut Vec<SeatAssignment>,
    rooms: &[Auditorium],
    rules: &SeatingRules,
    exam_id: &str,
    ppe_code: &str,
    who: &Seatee,
    school_of: &dyn Fn(&str) -> String,
) -> Result<SeatAssignment, SeatingError> {
    if seats.iter().any(|s| s.participant_id == who.participant_id) {
        return Err(SeatingError::AlreadySeated(who.participant_id.clone()));
    }
    let in_use: HashSet<&str> = seats.iter().map(|s| s.auditorium.as_str()).collect();
    let fits = |a: &&Auditorium| !a.reserve && a.special_needs == who.special_room;
    let mut candidates: Vec<&Auditorium> = rooms.iter().filter(fits).collect();
    candidates.sort_by_key(|a| (!in_use.contains(a.auditorium.as_str()), a.auditorium.clone()));
    let best = candidates
        .iter()
        .filter_map(|room| {
            let pos = best_free_seat(room, rules, seats, &who.school_code, school_of)?;
            let neighbours = seats
                .iter()
                .filter(|s| {
                    s.auditorium == room.auditorium
                        && adjacent((s.row, s.column), pos)
                        && same_school(&school_of(&s.participant_id), &who.school_code)
                })
                .count();
            Some((!in_use.contains(room.auditorium.as_str()), neighbours, room, pos))
        })
        .min_by_key(|(unused, n, room, _)| (*unused, *n, room.auditorium.clone()));
    let Some((_, _, room, pos)) = best else {
        return Err(if who.special_room {
            SeatingError::NoRoomForSpecialNeeds { participant: who.participant_id.clone(), needs: "отдельная аудитория".into() }
        } else {
            SeatingError::NotEnoughSeats { participants: seats.len() + 1, seats: seats.len(), max_per_room: rules.max_per_room }
        });
    };
    let seat = SeatAssignment {
        exam_id: exam_id.into(),
        participant_id: who.participant_id.clone(),
        ppe_code: ppe_code.into(),
        auditorium: room.auditorium.clone(),
        row: pos.0,
        column: pos.1,
        manual: true,
    };
    seats.push(seat.clone());
    Ok(seat)
}
