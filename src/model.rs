//! Domain types of an exam day: exams, exam points, auditoriums, participants, workers.
//!
//! Plain data shared by every room of the house. No I/O here; the field set follows order
//! 805 §11 (participants) and §16 (workers). Field names are the column names of the plan
//! formats (`docs/plan-format.md`), so serde is the single source of truth for them.

use serde::{Deserialize, Serialize};

pub mod ids;
pub mod kit;
pub use ids::{AuditoriumCode, ExamId, ParticipantId, PpeCode, WorkerId};
mod people;
pub use people::*;
mod seat;
pub use seat::{parse_seat_label, seat_label, SeatAssignment, SEAT_LETTERS};
pub mod technology;
pub mod windows;
pub use technology::{
    room_kind_for, rooms_of_kind, technology_of, RoomKind, Technology, ORAL_EXTRA_MIN, ORAL_NAME_MARKS, ORAL_SUBJECT_CODES, SPECIAL_NEEDS_EXTRA_MIN,
};

/// Kind of attestation an exam belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ExamKind {
    /// ЕГЭ
    Ege,
    /// ОГЭ
    Oge,
    /// ГВЭ
    Gve,
    /// итоговое собеседование
    Interview,
    /// итоговое сочинение (изложение)
    Essay,
}

impl ExamKind {
    pub const ALL: [ExamKind; 5] = [Self::Ege, Self::Oge, Self::Gve, Self::Interview, Self::Essay];

    pub fn code(self) -> &'static str {
        match self {
            Self::Ege => "ege",
            Self::Oge => "oge",
            Self::Gve => "gve",
            Self::Interview => "interview",
            Self::Essay => "essay",
        }
    }

    /// The Russian name used on forms and in the UI.
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Ege => "ЕГЭ",
            Self::Oge => "ОГЭ",
            Self::Gve => "ГВЭ",
            Self::Interview => "итоговое собеседование",
            Self::Essay => "итоговое сочинение",
        }
    }

    /// Accepts the code or the Russian abbreviation, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_lowercase();
        Self::ALL.into_iter().find(|k| k.code() == t || k.title_ru().to_lowercase() == t || (t == "ис" && *k == Self::Interview))
    }
}

/// An exam: one subject on one date, with its time windows as data (never hard-coded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exam {
    pub exam_id: String,
    pub kind: ExamKind,
    /// 9 (ГИА-9) or 11 (ГИА-11).
    pub level: u8,
    pub subject_code: String,
    pub subject_name: String,
    /// Stored as `ГГГГ.ММ.ДД`.
    pub date: String,
    /// Local start time, `ЧЧ:ММ`.
    pub start: String,
    pub duration_min: u32,
    /// The materials window opens this many minutes before the start.
    pub materials_open_before_min: u32,
    /// Keys are no longer released this many minutes after the start.
    pub materials_close_after_start_min: u32,
    /// The upload is due this many minutes after the (latest) end.
    pub upload_deadline_after_end_min: u32,
    /// UTC offset of the exam point's local time, minutes (Tomsk is +420).
    #[serde(default = "default_utc_offset")]
    pub utc_offset_min: i32,
    /// The kit a participant gets, sheet kind codes `;`-separated (`br;bo1;bo2;bo2`);
    /// empty means the default kit of the exam's kind and subject.
    #[serde(default)]
    pub kit: String,
    /// When КИМ is printed: in the auditorium for those present, or ahead (ТОМ model).
    #[serde(default)]
    pub kim_print: KimPrint,
    /// How the exam is held; `None` (empty column): the default of its kind and subject
    /// (`technology::default_technology`).
    #[serde(default)]
    pub technology: Option<Technology>,
    /// The КИМ window opens at this moment (`windows::DayTime`: `07:30`, `-1 18:00`); empty:
    /// the default of the kind and technology (ИС-9 07:30), else `materials_open_before_min`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub materials_open_at: String,
    /// The documents package's key from this moment until the exam's end (`-7 10:00`); empty:
    /// the default (ИС-9 a week before at 10:00; none for other exams), `нет`: no package.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub documents_open_at: String,
    /// The upload is due at this moment (`+6 23:59`); empty: the default (ИС-9 six days after
    /// by the end of the day), else `upload_deadline_after_end_min`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub upload_due_at: String,
}

/// When and where an exam's КИМ is printed (DOMAIN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KimPrint {
    /// In the auditorium in front of the participants, only for those present, from the start.
    #[default]
    InRoom,
    /// Fetched and printed in the staff room an hour before the start (remote ТОМ points).
    Ahead,
}

impl KimPrint {
    pub const ALL: [KimPrint; 2] = [Self::InRoom, Self::Ahead];
    pub fn code(self) -> &'static str {
        match self {
            Self::InRoom => "in_room",
            Self::Ahead => "ahead",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_lowercase();
        if t.is_empty() {
            return Some(Self::InRoom);
        }
        Self::ALL.into_iter().find(|k| k.code() == t).or(match t.as_str() {
            "в аудитории" => Some(Self::InRoom),
            "заранее" | "том" => Some(Self::Ahead),
            _ => None,
        })
    }
}

pub fn default_utc_offset() -> i32 {
    180
}

impl Exam {
    /// The exam's start as an instant (date and local start at the exam point's offset).
    pub fn start_utc(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let date = chrono::NaiveDate::parse_from_str(&self.date, "%Y.%m.%d").ok()?;
        let time = chrono::NaiveTime::parse_from_str(&self.start, "%H:%M").ok()?;
        let offset = chrono::FixedOffset::east_opt(self.utc_offset_min * 60)?;
        date.and_time(time).and_local_timezone(offset).single().map(|t| t.with_timezone(&chrono::Utc))
    }
    /// Planned end for a participant without extra time.
    pub fn end_utc(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(self.start_utc()? + chrono::Duration::minutes(i64::from(self.duration_min)))
    }
    /// The end for a participant with extra time (ОВЗ: `extra_time_min`).
    pub fn extended_end_utc(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(self.end_utc()? + chrono::Duration::minutes(i64::from(self.extra_time_min())))
    }
    /// The exam as held at `point`: every instant from the point's own UTC offset when the plan
    /// gives one (an exam at points in two time zones starts at the same local time in each);
    /// the exam's own offset otherwise (plans from before points had one).
    pub fn at_point(&self, point: &ExamPoint) -> Exam {
        let mut exam = self.clone();
        if let Some(offset) = point.utc_offset_min {
            exam.utc_offset_min = offset;
        }
        exam
    }
    /// The exam's technology: its own column or the default of its kind and subject.
    pub fn technology(&self) -> Technology {
        technology_of(self)
    }
    /// The exam is an oral part (ЕГЭ ИЯ «Говорение», oral ГВЭ) or the interview (ИС-9).
    pub fn is_oral(&self) -> bool {
        self.technology().is_oral()
    }
    /// Minutes a participant with extra time (ОВЗ) gets in this exam, by its technology:
    /// written and computer exams `SPECIAL_NEEDS_EXTRA_MIN`, oral ones `ORAL_EXTRA_MIN`.
    pub fn extra_time_min(&self) -> u32 {
        self.technology().profile().extra_time_min
    }
    /// Materials window: КИМ keys may be released in `[open, close)`. Opens at the exam's
    /// moment (`materials_open_at` or its default, `windows::windows_of`) or
    /// `materials_open_before_min` before the start; closes `materials_close_after_start_min`
    /// after it.
    pub fn materials_window(&self) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
        let start = self.start_utc()?;
        let open = match windows::windows_of(self).materials_open_at {
            Some(at) => at.instant(&self.date, self.utc_offset_min)?,
            None => start - chrono::Duration::minutes(i64::from(self.materials_open_before_min)),
        };
        Some((open, start + chrono::Duration::minutes(i64::from(self.materials_close_after_start_min))))
    }
    /// The documents package's window `[open, close)`: from its moment until the exam's end
    /// (with extra time); `None` when the exam has no documents package.
    pub fn documents_window(&self) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
        let at = windows::windows_of(self).documents_open_at?;
        Some((at.instant(&self.date, self.utc_offset_min)?, self.extended_end_utc()?))
    }
    /// The upload deadline given the exam point's latest end: the exam's moment
    /// (`upload_due_at` or its default) or `upload_deadline_after_end_min` after that end.
    pub fn upload_deadline(&self, latest_end: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        let minutes = latest_end + chrono::Duration::minutes(i64::from(self.upload_deadline_after_end_min));
        windows::windows_of(self).upload_due_at.and_then(|at| at.instant(&self.date, self.utc_offset_min)).unwrap_or(minutes)
    }
}

/// An exam point (ППЭ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamPoint {
    pub ppe_code: String,
    pub name: String,
    pub address: String,
    /// АТЕ (administrative-territorial unit) code and name.
    pub ate_code: String,
    pub ate_name: String,
    /// Ordinary, ТОМ, УИС, at home, abroad (order 805 §18); exemptions of the roster rules.
    #[serde(default)]
    pub point_type: PointType,
    /// The point's own UTC offset, minutes (Tomsk is +420). Required in new plans.
    #[serde(default)]
    pub utc_offset_min: Option<i32>,
}

/// Type of an exam point (order 805 §18; DOMAIN.md §3 exemptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum PointType {
    #[default]
    Ordinary,
    /// ППЭ на дому или в медицинской организации
    Home,
    /// ППЭ в труднодоступной и отдалённой местности
    Tom,
    /// ППЭ в учреждении уголовно-исполнительной системы
    Uis,
    /// ППЭ за пределами территории РФ
    Abroad,
}

impl PointType {
    pub const ALL: [PointType; 5] = [Self::Ordinary, Self::Home, Self::Tom, Self::Uis, Self::Abroad];
    pub fn code(self) -> &'static str {
        match self {
            Self::Ordinary => "ordinary",
            Self::Home => "home",
            Self::Tom => "tom",
            Self::Uis => "uis",
            Self::Abroad => "abroad",
        }
    }
    pub fn title_ru(self) -> &'static str {
        match self {
            Self::Ordinary => "обычный",
            Self::Home => "на дому",
            Self::Tom => "ТОМ",
            Self::Uis => "УИС",
            Self::Abroad => "за рубежом",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().to_lowercase();
        if t.is_empty() {
            return Some(Self::Ordinary);
        }
        Self::ALL.into_iter().find(|p| p.code() == t || p.title_ru().to_lowercase() == t)
    }
}

/// An auditorium of an exam point with its seat grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Auditorium {
    pub ppe_code: String,
    /// Number as printed on the door and on forms, e.g. `0101`.
    pub auditorium: String,
    pub rows: u16,
    pub columns: u16,
    pub capacity: u16,
    #[serde(default)]
    pub special_needs: bool,
    #[serde(default)]
    pub video: bool,
    #[serde(default)]
    pub oral: bool,
    #[serde(default)]
    pub reserve: bool,
    /// Seat labels that must not be used, `;`-separated (e.g. `1А;3Г`).
    #[serde(default)]
    pub unusable_seats: String,
    /// Floor, for posts of organizers outside auditoriums.
    #[serde(default)]
    pub floor: u8,
    /// How the room is equipped for oral and computer exams; `None`: from the `oral` flag
    /// (`technology::room_kind_for` gives its kind in one exam).
    #[serde(default)]
    pub room_kind: Option<RoomKind>,
}

/// A whole plan as imported from РЦОИ: the unit of import, export and sync to a box.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Plan {
    #[serde(default)]
    pub exams: Vec<Exam>,
    #[serde(default)]
    pub exam_points: Vec<ExamPoint>,
    #[serde(default)]
    pub auditoriums: Vec<Auditorium>,
    #[serde(default)]
    pub participants: Vec<Participant>,
    #[serde(default)]
    pub registrations: Vec<Registration>,
    #[serde(default)]
    pub workers: Vec<Worker>,
    #[serde(default)]
    pub worker_assignments: Vec<WorkerAssignment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observers: Vec<Observer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observer_assignments: Vec<ObserverAssignment>,
}

impl Plan {
    pub fn counts(&self) -> PlanCounts {
        PlanCounts {
            exams: self.exams.len(),
            exam_points: self.exam_points.len(),
            auditoriums: self.auditoriums.len(),
            participants: self.participants.len(),
            registrations: self.registrations.len(),
            workers: self.workers.len(),
            worker_assignments: self.worker_assignments.len(),
            observers: self.observers.len(),
            observer_assignments: self.observer_assignments.len(),
        }
    }

    /// The workers of `role` assigned to an exam point on a date (reserve included): who may
    /// sign as the point's ГЭК member or medical worker that day.
    pub fn workers_with_role_at(&self, ppe_code: &str, date: &str, role: WorkerRole) -> Vec<&Worker> {
        self.workers
            .iter()
            .filter(|w| w.roles.contains(&role))
            .filter(|w| self.worker_assignments.iter().any(|a| a.worker_id == w.worker_id && a.ppe_code == ppe_code && a.date == date))
            .collect()
    }

    /// The part of the plan one exam point needs: its exams, auditoriums, registered
    /// participants, and assigned workers. This is what is synced to a box.
    pub fn for_exam_point(&self, ppe_code: &str) -> Plan {
        use std::collections::HashSet;
        let registrations: Vec<Registration> = self.registrations.iter().filter(|r| r.ppe_code == ppe_code).cloned().collect();
        let exam_ids: HashSet<&str> = registrations.iter().map(|r| r.exam_id.as_str()).collect();
        let participant_ids: HashSet<&str> = registrations.iter().map(|r| r.participant_id.as_str()).collect();
        let worker_assignments: Vec<WorkerAssignment> = self.worker_assignments.iter().filter(|w| w.ppe_code == ppe_code).cloned().collect();
        let worker_ids: HashSet<&str> = worker_assignments.iter().map(|w| w.worker_id.as_str()).collect();
        let observer_assignments: Vec<ObserverAssignment> = self.observer_assignments.iter().filter(|o| o.ppe_code == ppe_code).cloned().collect();
        let observer_ids: HashSet<&str> = observer_assignments.iter().map(|o| o.observer_id.as_str()).collect();
        let exam_points: Vec<ExamPoint> = self.exam_points.iter().filter(|p| p.ppe_code == ppe_code).cloned().collect();
        Plan {
            // The box's exams carry its own instants (its point's time zone).
            exams: self
                .exams
                .iter()
                .filter(|e| exam_ids.contains(e.exam_id.as_str()))
                .map(|e| exam_points.first().map_or_else(|| e.clone(), |p| e.at_point(p)))
                .collect(),
            exam_points,
            auditoriums: self.auditoriums.iter().filter(|a| a.ppe_code == ppe_code).cloned().collect(),
            participants: self.participants.iter().filter(|p| participant_ids.contains(p.participant_id.as_str())).cloned().collect(),
            registrations,
            workers: self.workers.iter().filter(|w| worker_ids.contains(w.worker_id.as_str())).cloned().collect(),
            worker_assignments,
            observers: self.observers.iter().filter(|o| observer_ids.contains(o.observer_id.as_str())).cloned().collect(),
            observer_assignments,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlanCounts {
    pub exams: usize,
    pub exam_points: usize,
    pub auditoriums: usize,
    pub participants: usize,
    pub registrations: usize,
    pub workers: usize,
    pub worker_assignments: usize,
    #[serde(default)]
    pub observers: usize,
    #[serde(default)]
    pub observer_assignments: usize,
}

impl std::fmt::Display for PlanCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exams {}, exam points {}, auditoriums {}, participants {}, registrations {}, workers {}, worker assignments {}, observers {}",
            self.exams,
            self.exam_points,
            self.auditoriums,
            self.participants,
            self.registrations,
            self.workers,
            self.worker_assignments,
            self.observers
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The sample exam of the unit tests: ЕГЭ математика, 2027.05.27 10:00 at Tomsk (+420).
    pub(crate) fn sample_exam() -> Exam {
        Exam {
            exam_id: "ege-02".into(),
            kind: ExamKind::Ege,
            level: 11,
            subject_code: "02".into(),
            subject_name: "Математика".into(),
            date: "2027.05.27".into(),
            start: "10:00".into(),
            duration_min: 235,
            materials_open_before_min: 60,
            materials_close_after_start_min: 30,
            upload_deadline_after_end_min: 60,
            utc_offset_min: 420,
            kim_print: Default::default(),
            kit: String::new(),
            technology: None,
            materials_open_at: String::new(),
            documents_open_at: String::new(),
            upload_due_at: String::new(),
        }
    }

    fn exam(kind: ExamKind, code: &str, name: &str) -> Exam {
        Exam { kind, subject_code: code.into(), subject_name: name.into(), utc_offset_min: 180, ..sample_exam() }
    }

    /// An exam point with its own offset (or none, as in plans from before points had one).
    pub(crate) fn point(code: &str, offset: Option<i32>) -> ExamPoint {
        ExamPoint {
            ppe_code: code.into(),
            name: "n".into(),
            address: "a".into(),
            ate_code: "1".into(),
            ate_name: "a".into(),
            point_type: PointType::Ordinary,
            utc_offset_min: offset,
        }
    }

    #[test]
    fn extra_time_is_90_minutes_in_written_exams_and_30_in_oral_parts_and_the_interview() {
        assert_eq!(exam(ExamKind::Ege, "02", "Математика (профильный уровень)").extra_time_min(), 90);
        assert_eq!(exam(ExamKind::Ege, "09", "Английский язык (письменная часть)").extra_time_min(), 90);
        assert_eq!(exam(ExamKind::Oge, "01", "Русский язык").extra_time_min(), 90);
        assert_eq!(exam(ExamKind::Essay, "20", "Итоговое сочинение").extra_time_min(), 90);
        assert_eq!(exam(ExamKind::Ege, "29", "Английский язык").extra_time_min(), 30, "by the subject code");
        assert_eq!(exam(ExamKind::Ege, "99", "Немецкий язык (устная часть)").extra_time_min(), 30, "by the name");
        assert_eq!(exam(ExamKind::Ege, "99", "Английский язык. Говорение").extra_time_min(), 30);
        assert_eq!(exam(ExamKind::Gve, "01", "Русский язык (устно)").extra_time_min(), 30);
        assert_eq!(exam(ExamKind::Interview, "01", "Итоговое собеседование").extra_time_min(), 30);
        assert_eq!(exam(ExamKind::Oge, "29", "Английский язык").extra_time_min(), 90, "code 29 marks the oral part of ЕГЭ only");
        let e = exam(ExamKind::Ege, "29", "Английский язык");
        assert_eq!((e.extended_end_utc().unwrap() - e.end_utc().unwrap()).num_minutes(), 30);
    }

    #[test]
    fn an_exam_at_a_point_takes_the_points_own_offset() {
        let e = exam(ExamKind::Ege, "02", "Математика");
        let (tomsk, moscow, legacy) =
            (e.at_point(&point("0101", Some(420))), e.at_point(&point("0101", Some(180))), e.at_point(&point("0101", None)));
        assert_eq!(tomsk.start_utc().unwrap().to_rfc3339(), "2027-05-27T03:00:00+00:00", "10:00 in Tomsk");
        assert_eq!(moscow.start_utc().unwrap().to_rfc3339(), "2027-05-27T07:00:00+00:00", "10:00 in Moscow");
        assert_eq!(legacy, e, "a point without an offset keeps the exam's");
        assert_eq!(tomsk.at_point(&point("0101", Some(420))), tomsk, "idempotent");
        let mut plan = Plan { exams: vec![e.clone()], exam_points: vec![point("0101", Some(420))], ..Default::default() };
        plan.registrations.push(Registration { exam_id: e.exam_id.clone(), participant_id: "p".into(), ppe_code: "0101".into() });
        assert_eq!(plan.for_exam_point("0101").exams, vec![tomsk], "the box's slice carries its point's instants");
    }

    #[test]
    fn kinds_parse_from_russian() {
        assert_eq!(ExamKind::parse("ЕГЭ"), Some(ExamKind::Ege));
        assert_eq!(ExamKind::parse("огэ"), Some(ExamKind::Oge));
        assert_eq!(ExamKind::parse("итоговое собеседование"), Some(ExamKind::Interview));
        assert_eq!(ExamKind::parse("xyz"), None);
    }
}
