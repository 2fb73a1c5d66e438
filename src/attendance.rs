//! Attendance and exam-day events (order 805 §13.3): present, absent, late, removed for a
//! violation, finished early for a valid reason, leaving the room and coming back (ППЭ-12-04),
//! and individual kits: the sheets of the exam's kit (`model::kit`) issued to each participant,
//! replaced as a whole when defective. The state of a participant is derived from their
//! events (pure); the SQL lives in `attendance/store.rs`, the use cases (one transaction + one
//! audit entry each) in `attendance/ops.rs`.

pub mod cli;
pub mod expected;
pub mod ops;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::sheet_code::SheetKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Present,
    Absent,
    /// Came after the start; gets no extra time.
    Late,
    /// Removed for a violation (акт об удалении): reason, time, ГЭК member.
    Removed,
    /// Finished early for a valid reason (акт о досрочном завершении).
    FinishedEarly,
    /// Left the auditorium (absence log, ППЭ-12-04).
    Left,
    Returned,
    /// A defective kit replaced as a whole.
    KitReplaced,
}

impl EventKind {
    pub const ALL: [EventKind; 8] =
        [Self::Present, Self::Absent, Self::Late, Self::Removed, Self::FinishedEarly, Self::Left, Self::Returned, Self::KitReplaced];
    pub fn code(self) -> &'static str {
        match self {
            Self::Present => "present",
            Self::Absent => "absent",
            Self::Late => "late",
            Self::Removed => "removed",
            Self::FinishedEarly => "finished_early",
            Self::Left => "left",
            Self::Returned => "returned",
            Self::KitReplaced => "kit_replaced",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Present => "явился",
            Self::Absent => "не явился",
            Self::Late => "опоздал",
            Self::Removed => "удалён",
            Self::FinishedEarly => "завершил досрочно",
            Self::Left => "вышел из аудитории",
            Self::Returned => "вернулся в аудиторию",
            Self::KitReplaced => "замена комплекта",
        }
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamEvent {
    pub exam_id: String,
    pub participant_id: String,
    pub kind: EventKind,
    /// When it happened (RFC 3339, the box clock).
    pub at: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub gek_worker_id: String,
    /// The medical worker who confirmed an early finish for health reasons (ППЭ-22).
    #[serde(default)]
    pub medical_worker_id: String,
    pub actor: String,
}

/// Where a participant stands, derived from their events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Unmarked,
    Present,
    Absent,
    Removed,
    FinishedEarly,
}

impl Status {
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Unmarked => "не отмечен",
            Self::Present => "присутствует",
            Self::Absent => "не явился",
            Self::Removed => "удалён",
            Self::FinishedEarly => "завершил досрочно",
        }
    }
    /// Whether the participant sat the exam (their sheets are expected in the scans).
    pub fn sat(self) -> bool {
        matches!(self, Self::Present | Self::Removed | Self::FinishedEarly)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ParticipantState {
    pub status: Status,
    pub late_at: Option<String>,
    /// Out of the room now (left without coming back).
    pub out_of_room: bool,
    pub kits_replaced: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttendanceError {
    #[error("участник {participant}: «{event}» невозможно, статус «{status}»")]
    NotAllowed { participant: String, event: &'static str, status: &'static str },
    #[error("участник {0}: укажите причину")]
    ReasonRequired(String),
    #[error("участник {0}: удаление оформляется с членом ГЭК (укажите его)")]
    GekRequired(String),
    #[error("участник {0}: досрочное завершение оформляется членом ГЭК и медицинским работником (укажите обоих)")]
    EarlyFinishWitnesses(String),
    #[error("участник {0}: уже вне аудитории")]
    AlreadyOut(String),
    #[error("участник {0}: не выходил из аудитории")]
    NotOut(String),
}

/// Applies one event to a state, or says why it cannot happen. Pure.
pub fn apply(state: &ParticipantState, e: &ExamEvent) -> Result<ParticipantState, AttendanceError> {
    let not_allowed =
        || AttendanceError::NotAllowed { participant: e.participant_id.clone(), event: e.kind.title_ru(), status: state.status.title_ru() };
    let mut next = state.clone();
    match e.kind {
        EventKind::Present => {
            if !matches!(state.status, Status::Unmarked | Status::Absent) {
                return Err(not_allowed());
            }
            next.status = Status::Present;
        }
        EventKind::Late => {
            if !matches!(state.status, Status::Unmarked | Status::Absent) {
                return Err(not_allowed());
            }
            next.status = Status::Present;
            next.late_at = Some(e.at.clone());
        }
        EventKind::Absent => {
            if !matches!(state.status, Status::Unmarked | Status::Present) || state.late_at.is_some() {
                return Err(not_allowed());
            }
            next.status = Status::Absent;
        }
        EventKind::Removed => {
            if state.status != Status::Present {
                return Err(not_allowed());
            }
            if e.reason.trim().is_empty() {
                return Err(AttendanceError::ReasonRequired(e.participant_id.clone()));
            }
            if e.gek_worker_id.trim().is_empty() {
                return Err(AttendanceError::GekRequired(e.participant_id.clone()));
            }
            next.status = Status::Removed;
            next.out_of_room = false;
        }
        EventKind::FinishedEarly => {
            if state.status != Status::Present {
                return Err(not_allowed());
            }
            if e.reason.trim().is_empty() {
                return Err(AttendanceError::ReasonRequired(e.participant_id.clone()));
            }
            if e.gek_worker_id.trim().is_empty() || e.medical_worker_id.trim().is_empty() {
                return Err(AttendanceError::EarlyFinishWitnesses(e.participant_id.clone()));
            }
            next.status = Status::FinishedEarly;
            next.out_of_room = false;
        }
        EventKind::Left => {
            if state.status != Status::Present {
                return Err(not_allowed());
            }
            if state.out_of_room {
                return Err(AttendanceError::AlreadyOut(e.participant_id.clone()));
            }
            next.out_of_room = true;
        }
        EventKind::Returned => {
            if !state.out_of_room {
                return Err(AttendanceError::NotOut(e.participant_id.clone()));
            }
            next.out_of_room = false;
        }
        EventKind::KitReplaced => {
            if state.status != Status::Present {
                return Err(not_allowed());
            }
            next.kits_replaced += 1;
        }
    }
    Ok(next)
}

/// The state after a participant's events in order.
pub fn state_of<'a>(events: impl IntoIterator<Item = &'a ExamEvent>) -> Result<ParticipantState, AttendanceError> {
    events.into_iter().try_fold(ParticipantState::default(), |s, e| apply(&s, e))
}

/// A sheet issued to a participant (or a statement to nobody).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSheet {
    pub exam_id: String,
    pub ppe_code: String,
    pub kind: SheetKind,
    pub number: u32,
    pub participant_id: Option<String>,
    /// 1 for the first kit, 2 after one replacement, …
    pub kit: u32,
    pub voided: bool,
}

/// Counts per status for statements and the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AttendanceCounts {
    pub planned: usize,
    pub present: usize,
    pub absent: usize,
    pub unmarked: usize,
    pub removed: usize,
    pub finished_early: usize,
    pub late: usize,
}

pub fn counts<'a>(states: impl IntoIterator<Item = &'a ParticipantState>) -> AttendanceCounts {
    let mut c = AttendanceCounts::default();
    for s in states {
        c.planned += 1;
        match s.status {
            Status::Present => c.present += 1,
            Status::Absent => c.absent += 1,
            Status::Unmarked => c.unmarked += 1,
            Status::Removed => c.removed += 1,
            Status::FinishedEarly => c.finished_early += 1,
        }
        if s.late_at.is_some() {
            c.late += 1;
        }
    }
    c
}

/// A sheet kind as the stores write it (`registration`, `answers1`, …).
pub fn kind_str(kind: SheetKind) -> &'static str {
    match kind {
        SheetKind::Registration => "registration",
        SheetKind::Answers1 => "answers1",
        SheetKind::Answers2 => "answers2",
        SheetKind::Additional => "additional",
        SheetKind::Statement => "statement",
    }
}

pub fn kind_from_str(s: &str) -> Option<SheetKind> {
    SheetKind::ALL.into_iter().find(|k| kind_str(*k) == s)
}

/// The sheet numbers a printed form's pages took (page `i` from 1 carries `numbers[i - 1]`),
/// with the copy they belong to: the printed-forms record scanning matches pages against.
/// Which copies completeness requires is `expected::required_forms`'s; `required` records
/// what the table said when it was printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedStatement {
    pub holder: String,
    pub form: String,
    pub auditorium: Option<String>,
    pub participant_id: Option<String>,
    pub numbers: Vec<u32>,
    pub required: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: EventKind) -> ExamEvent {
        ExamEvent {
            medical_worker_id: String::new(),
            exam_id: "e".into(),
            participant_id: "P1".into(),
            kind,
            at: "2027-05-27T03:10:00Z".into(),
            reason: String::new(),
            gek_worker_id: String::new(),
            actor: "org".into(),
        }
    }

    #[test]
    fn a_normal_day_and_its_counts() {
        let s = state_of(&[ev(EventKind::Present), ev(EventKind::Left), ev(EventKind::Returned), ev(EventKind::KitReplaced)]).unwrap();
        assert_eq!((s.status, s.out_of_room, s.kits_replaced), (Status::Present, false, 1));
        let late = state_of(&[ev(EventKind::Late)]).unwrap();
        assert_eq!(late.late_at.as_deref(), Some("2027-05-27T03:10:00Z"));
        let c = counts([&s, &late, &ParticipantState::default()]);
        assert_eq!((c.planned, c.present, c.late, c.unmarked), (3, 2, 1, 1));
    }

    #[test]
    fn removal_needs_reason_and_gek_member_and_presence() {
        let mut removal = ev(EventKind::Removed);
        assert!(matches!(state_of(&[ev(EventKind::Present), removal.clone()]), Err(AttendanceError::ReasonRequired(_))));
        removal.reason = "телефон".into();
        assert!(matches!(state_of(&[ev(EventKind::Present), removal.clone()]), Err(AttendanceError::GekRequired(_))));
        removal.gek_worker_id = "W1".into();
        assert_eq!(state_of(&[ev(EventKind::Present), removal.clone()]).unwrap().status, Status::Removed);
        assert!(matches!(state_of(&[ev(EventKind::Absent), removal]), Err(AttendanceError::NotAllowed { .. })));
    }

    #[test]
    fn early_finish_needs_reason_gek_member_and_medical_worker() {
        let mut early = ev(EventKind::FinishedEarly);
        early.reason = "плохое самочувствие".into();
        assert!(matches!(state_of(&[ev(EventKind::Present), early.clone()]), Err(AttendanceError::EarlyFinishWitnesses(_))));
        early.gek_worker_id = "W1".into();
        assert!(
            matches!(state_of(&[ev(EventKind::Present), early.clone()]), Err(AttendanceError::EarlyFinishWitnesses(_))),
            "the medical worker too"
        );
        early.medical_worker_id = "M1".into();
        assert_eq!(state_of(&[ev(EventKind::Present), early]).unwrap().status, Status::FinishedEarly);
    }

    #[test]
    fn impossible_sequences_are_refused() {
        let mut early = ev(EventKind::FinishedEarly);
        early.reason = "плохое самочувствие".into();
        (early.gek_worker_id, early.medical_worker_id) = ("W1".into(), "M1".into());
        assert!(state_of(&[ev(EventKind::Present), early.clone()]).is_ok());
        assert!(state_of(&[early]).is_err(), "finished early without being present");
        assert!(state_of(&[ev(EventKind::Present), ev(EventKind::Returned)]).is_err());
        assert!(state_of(&[ev(EventKind::Present), ev(EventKind::Left), ev(EventKind::Left)]).is_err());
        assert!(state_of(&[ev(EventKind::Late), ev(EventKind::Absent)]).is_err(), "a late arrival cannot become absent");
        assert!(state_of(&[ev(EventKind::Absent), ev(EventKind::Present)]).is_ok(), "a mistaken absence can be corrected");
    }
}
