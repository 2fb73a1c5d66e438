//! The rows of the КЕГЭ forms (ППЭ-13-03-К, ППЭ-14-02-К) from the day's data: each room's
//! workstation numbers (one seat = one workstation, the reserve ones after the last seat), who
//! came, who was moved to a reserve workstation, and the answer files taken in. Pure.

use crate::attendance::Status;
use crate::model::{Auditorium, SeatAssignment};
use crate::printing::forms::KegeRoomRow;
use crate::recordings::store::RecordingFileRow;
use crate::recordings::workstations::{reserve_workstations, seat_workstation, WorkstationMove};

/// `1–15`, `7`, or empty.
fn range_text(numbers: &[u16]) -> String {
    match (numbers.iter().min(), numbers.iter().max()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) if usize::from(b - a) + 1 == numbers.len() => format!("{a}–{b}"),
        _ => numbers.iter().map(u16::to_string).collect::<Vec<_>>().join(", "),
    }
}

/// One row per auditorium with seats, in auditorium order. `status` is a participant's
/// attendance now; `reserve` the room's reserve workstations (config).
pub fn kege_room_rows(
    rooms: &[Auditorium],
    seats: &[SeatAssignment],
    status: &dyn Fn(&str) -> Status,
    moves: &[WorkstationMove],
    files: &[RecordingFileRow],
    reserve: &dyn Fn(&str) -> u16,
) -> Vec<KegeRoomRow> {
    let mut codes: Vec<&str> = seats.iter().map(|s| s.auditorium.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .filter_map(|code| {
            let room = rooms.iter().find(|r| r.auditorium == code)?;
            let here: Vec<&SeatAssignment> = seats.iter().filter(|s| s.auditorium == code).collect();
            let mut numbers: Vec<u16> = here.iter().map(|s| seat_workstation(room, s.row, s.column)).collect();
            numbers.sort_unstable();
            let count = |want: Status| here.iter().filter(|s| status(&s.participant_id) == want).count() as u32;
            let is_here = |p: &Option<String>| p.as_deref().is_some_and(|p| here.iter().any(|s| s.participant_id == p));
            let mut moved: Vec<&str> = moves.iter().filter(|m| m.auditorium == code).map(|m| m.participant_id.as_str()).collect();
            moved.sort_unstable();
            moved.dedup();
            Some(KegeRoomRow {
                auditorium: code.to_string(),
                workstations: range_text(&numbers),
                reserve_workstations: range_text(&reserve_workstations(room, reserve(code)).collect::<Vec<_>>()),
                seated: here.len() as u32,
                present: count(Status::Present),
                absent: count(Status::Absent),
                removed: count(Status::Removed),
                finished_early: count(Status::FinishedEarly),
                moved_to_reserve: moved.len() as u32,
                answer_files: files.iter().filter(|f| f.status == "matched" && is_here(&f.participant_id)).count() as u32,
                files_to_resolve: files.iter().filter(|f| f.status == "to_resolve" && is_here(&f.participant_id)).count() as u32,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workstation_numbers_read_as_ranges() {
        assert_eq!(range_text(&[1, 2, 3, 4]), "1–4");
        assert_eq!(range_text(&[7]), "7");
        assert_eq!(range_text(&[1, 2, 5]), "1, 2, 5");
        assert_eq!(range_text(&[]), "");
    }
}
