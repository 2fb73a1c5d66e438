//! The point's day: the exams of one exam point on one date share its auditoriums. The rule is
//! the simplest true one: an auditorium holds one exam at a time. While two exams' times
//! overlap (start to the end with extra time, in the point's own local time), every room one of
//! them uses is held for the other; exams that do not overlap may reuse rooms. ЕГЭ is held only
//! in rooms with video. Only participants with допуск к ГИА are seated. Pure.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::{HeldRoom, Seatee, Seating, SeatingError, SeatingInput, SeatingRules};
use crate::model::{Auditorium, Exam, ExamKind, Participant, SeatAssignment};

/// When the exam occupies its rooms, in the point's local time: from the start to the end with
/// the exam's own extra time (+90 written, +30 oral parts and ИС-9; both exams of a comparison
/// are at one point, so no offset is needed).
pub fn occupied(exam: &Exam) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let date = NaiveDate::parse_from_str(&exam.date, "%Y.%m.%d").ok()?;
    let time = NaiveTime::parse_from_str(&exam.start, "%H:%M").ok()?;
    let start = date.and_time(time);
    Some((start, start + Duration::minutes(i64::from(exam.duration_min) + i64::from(exam.extra_time_min()))))
}

/// Whether two exams of one point overlap in time. An exam whose date or start cannot be read
/// overlaps every other (its rooms are never shared).
pub fn overlap(a: &Exam, b: &Exam) -> bool {
    match (occupied(a), occupied(b)) {
        (Some((start_a, end_a)), Some((start_b, end_b))) => start_a < end_b && start_b < end_a,
        _ => true,
    }
}

/// ЕГЭ auditoriums have online video surveillance (DOMAIN.md §3); other kinds sit anywhere.
pub fn needs_video(exam: &Exam) -> bool {
    exam.kind == ExamKind::Ege
}

/// The people seating takes: only those with допуск к ГИА (order 805 §11.2ж). A participant
/// without it is never seated, so never printed or expected either.
pub fn admitted(participants: &[Participant]) -> Vec<Participant> {
    participants.iter().filter(|p| p.admitted).cloned().collect()
}

/// The rooms that seats of the point's other exams (`seats`, any exam) hold while `exam` runs.
/// Seats of an exam the plan no longer has hold nothing.
pub fn held_rooms(exam: &Exam, point_exams: &[&Exam], seats: &[SeatAssignment]) -> Vec<HeldRoom> {
    let mut held = BTreeSet::new();
    for s in seats.iter().filter(|s| s.exam_id != exam.exam_id) {
        if point_exams.iter().any(|o| o.exam_id == s.exam_id && overlap(exam, o)) {
            held.insert(HeldRoom { auditorium: s.auditorium.clone(), exam_id: s.exam_id.clone() });
        }
    }
    held.into_iter().collect()
}

/// A room a change (a move, a closed room's reserve, a late addition) may put someone of this
/// exam into: not held by an overlapping exam, and with video for ЕГЭ.
pub fn check_target_room(room: &Auditorium, held: &[HeldRoom], video_only: bool) -> Result<(), SeatingError> {
    if let Some(h) = held.iter().find(|h| h.auditorium == room.auditorium) {
        return Err(SeatingError::RoomHeldByOtherExam { auditorium: room.auditorium.clone(), exam_id: h.exam_id.clone() });
    }
    if video_only && !room.video {
        return Err(SeatingError::NotAVideoRoom(room.auditorium.clone()));
    }
    Ok(())
}

/// The input of one exam's run at a point: its admitted people and manual seats, the rooms the
/// other exams hold meanwhile, the video rule, and whether to spare the video rooms for an
/// overlapping ЕГЭ.
pub struct ExamAtPoint<'a> {
    pub exam: &'a Exam,
    pub ppe_code: &'a str,
    pub auditoriums: &'a [Auditorium],
    pub participants: &'a [Participant],
    pub manual: Vec<SeatAssignment>,
    /// Every exam held at this point (any date).
    pub point_exams: &'a [&'a Exam],
    /// Every seat at this point (any exam).
    pub point_seats: &'a [SeatAssignment],
    pub rules: SeatingRules,
}

pub fn input_for(e: ExamAtPoint<'_>) -> SeatingInput {
    let exam = e.exam;
    let spare_video = !needs_video(exam) && e.point_exams.iter().any(|o| o.exam_id != exam.exam_id && needs_video(o) && overlap(exam, o));
    SeatingInput {
        exam_id: exam.exam_id.clone(),
        ppe_code: e.ppe_code.to_string(),
        auditoriums: e.auditoriums.to_vec(),
        participants: e.participants.iter().filter(|p| p.admitted).map(Seatee::from_participant).collect(),
        manual: e.manual,
        rules: e.rules,
        held: held_rooms(exam, e.point_exams, e.point_seats),
        video_only: needs_video(exam),
        spare_video,
    }
}

/// One exam of a point's day with the people registered for it there.
pub struct DayExam {
    pub exam: Exam,
    pub participants: Vec<Participant>,
}

/// Seats every exam of a point's day, each against the rooms the exams seated before it hold
/// meanwhile: ЕГЭ first (they need the video rooms), then by start and exam id. Returns each
/// exam's seating or its named shortfall, in that order. Deterministic in (input, seeds).
pub fn seat_day(
    ppe_code: &str,
    auditoriums: &[Auditorium],
    exams: &[DayExam],
    rules: SeatingRules,
    seed_of: &dyn Fn(&str) -> u64,
) -> Vec<(String, Result<Seating, SeatingError>)> {
    let mut order: Vec<&DayExam> = exams.iter().collect();
    order.sort_by(|a, b| {
        (!needs_video(&a.exam), occupied(&a.exam), &a.exam.exam_id).cmp(&(!needs_video(&b.exam), occupied(&b.exam), &b.exam.exam_id))
    });
    let point_exams: Vec<&Exam> = exams.iter().map(|d| &d.exam).collect();
    let mut seats: Vec<SeatAssignment> = Vec::new();
    let mut out = Vec::new();
    for d in order {
        let input = input_for(ExamAtPoint {
            exam: &d.exam,
            ppe_code,
            auditoriums,
            participants: &d.participants,
            manual: Vec::new(),
            point_exams: &point_exams,
            point_seats: &seats,
            rules,
        });
        let result = super::seat(&input, seed_of(&d.exam.exam_id));
        if let Ok(s) = &result {
            seats.extend(s.seats.iter().cloned());
        }
        out.push((d.exam.exam_id.clone(), result));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exam(id: &str, kind: ExamKind, date: &str, start: &str, minutes: u32) -> Exam {
        let mut e =
            crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 10, ..Default::default() })
                .exams
                .remove(0);
        e.exam_id = id.into();
        e.kind = kind;
        e.date = date.into();
        e.start = start.into();
        e.duration_min = minutes;
        e
    }

    #[test]
    fn exams_overlap_from_start_to_the_end_with_extra_time() {
        let a = exam("a", ExamKind::Ege, "2027.05.27", "10:00", 235);
        // 10:00 + 235 + 90 = 15:25: an exam from 15:00 overlaps, one from 15:25 does not.
        assert!(overlap(&a, &exam("b", ExamKind::Oge, "2027.05.27", "15:00", 60)));
        assert!(!overlap(&a, &exam("b", ExamKind::Oge, "2027.05.27", "15:25", 60)));
        assert!(!overlap(&a, &exam("b", ExamKind::Ege, "2027.05.28", "10:00", 235)), "another day never overlaps");
        assert!(overlap(&a, &exam("b", ExamKind::Oge, "2027.05.27", "утром", 60)), "an unreadable start shares no room");
        // An oral part holds its rooms for its own extra time only (+30): 10:00 + 30 + 30 = 11:00.
        let mut oral = exam("oral", ExamKind::Ege, "2027.05.27", "10:00", 30);
        oral.subject_code = "29".into();
        oral.subject_name = "Английский язык (устная часть)".into();
        assert!(overlap(&oral, &exam("b", ExamKind::Ege, "2027.05.27", "10:55", 60)));
        assert!(!overlap(&oral, &exam("b", ExamKind::Ege, "2027.05.27", "11:00", 60)), "not the written +90");
    }

    #[test]
    fn only_overlapping_exams_hold_rooms_and_a_change_into_one_is_refused() {
        let a = exam("a", ExamKind::Ege, "2027.05.27", "10:00", 235);
        let b = exam("b", ExamKind::Ege, "2027.05.27", "10:00", 180);
        let c = exam("c", ExamKind::Oge, "2027.05.28", "10:00", 235);
        let seat = |exam_id: &str, room: &str| SeatAssignment {
            exam_id: exam_id.into(),
            participant_id: format!("P-{exam_id}"),
            ppe_code: "0101".into(),
            auditorium: room.into(),
            row: 1,
            column: 1,
            manual: false,
        };
        let seats = vec![seat("a", "101"), seat("b", "102"), seat("c", "103"), seat("gone", "104")];
        let held = held_rooms(&a, &[&a, &b, &c], &seats);
        assert_eq!(
            held,
            vec![HeldRoom { auditorium: "102".into(), exam_id: "b".into() }],
            "its own room, another day's and a removed exam's hold nothing"
        );
        let room = |n: &str, video: bool| Auditorium {
            ppe_code: "0101".into(),
            auditorium: n.into(),
            rows: 5,
            columns: 3,
            capacity: 15,
            special_needs: false,
            video,
            oral: false,
            reserve: false,
            unusable_seats: String::new(),
            floor: 1,
            room_kind: None,
        };
        assert_eq!(
            check_target_room(&room("102", true), &held, true),
            Err(SeatingError::RoomHeldByOtherExam { auditorium: "102".into(), exam_id: "b".into() })
        );
        assert_eq!(check_target_room(&room("103", false), &held, true), Err(SeatingError::NotAVideoRoom("103".into())));
        assert_eq!(check_target_room(&room("103", false), &held, false), Ok(()), "other kinds sit anywhere");
        assert_eq!(check_target_room(&room("101", true), &held, true), Ok(()));
    }
}
