//! The rules of the roster (DOMAIN.md §3, order 805 §19.2б), pure: how many workers each post
//! needs (the region's numbers from `[roster]`, the regulation's by default) and why a worker
//! may not hold a post — a specialist in the exam's subject, a teacher of participants sitting
//! at the point, a worker already on another post that day.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Post;
use crate::config::RosterConfig;
use crate::model::{Exam, PointType, Technology, Worker, WorkerRole};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRules {
    /// Organizers in every auditorium in use.
    pub organizers_per_room: usize,
    /// One more organizer for each further this many participants; `None`: no extra ones.
    pub participants_per_extra_organizer: Option<usize>,
    pub outside_organizers_per_floor: usize,
    pub min_gek_members: usize,
    pub min_tech_specialists: usize,
    pub min_medical_workers: usize,
    /// No teacher of participants sitting at the point organizes or assists (every level).
    pub teacher_rule: bool,
    /// Point types where the teacher rule does not apply (ТОМ, УИС, at home, abroad).
    pub teacher_rule_exempt_point_types: BTreeSet<PointType>,
    /// School codes exempted from the teacher rule (e.g. small settlements with one school).
    pub teacher_rule_exempt_schools: BTreeSet<String>,
}

impl RosterRules {
    /// The region's rules for an exam: `[roster]` of `ppe.toml`, the minimum staff by kind.
    pub fn from_config(config: &RosterConfig, exam: &Exam) -> Self {
        let staff = config.staff_for(exam.kind);
        Self {
            organizers_per_room: config.organizers_per_room,
            participants_per_extra_organizer: (config.participants_per_extra_organizer > 0).then_some(config.participants_per_extra_organizer),
            outside_organizers_per_floor: config.outside_organizers_per_floor,
            min_gek_members: staff.gek_members,
            min_tech_specialists: staff.tech_specialists,
            min_medical_workers: staff.medical_workers,
            teacher_rule: config.teacher_rule,
            teacher_rule_exempt_point_types: config.teacher_rule_exempt_point_types.clone(),
            teacher_rule_exempt_schools: config.teacher_rule_exempt_schools.clone(),
        }
    }

    /// The regulation's rules (the defaults of `[roster]`).
    pub fn for_exam(exam: &Exam) -> Self {
        Self::from_config(&RosterConfig::default(), exam)
    }

    /// Organizers an auditorium with `participants` people needs.
    pub fn organizers_for(&self, participants: usize) -> usize {
        if participants == 0 {
            return 0;
        }
        match self.participants_per_extra_organizer {
            None => self.organizers_per_room,
            Some(per) => self.organizers_per_room + participants.saturating_sub(per).div_ceil(per.max(1)),
        }
    }

    /// The teacher rule holds at a point of this type.
    pub fn teacher_rule_applies(&self, point_type: PointType) -> bool {
        self.teacher_rule && !self.teacher_rule_exempt_point_types.contains(&point_type)
    }
}

/// Why a worker may not hold a post, in the words of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PostConflict {
    #[error("специалист по предмету {subject} не может быть организатором или ассистентом на этом экзамене")]
    SubjectSpecialist { subject: String },
    #[error("учитель ОО {school}, участники которой сдают экзамены в этом ППЭ в этот день")]
    OwnTeacher { school: String },
    #[error("в этот день уже занимает должность «{post}» на другом экзамене ППЭ")]
    BusyToday { post: String },
    #[error("эксперт оценивает ответы только по своему предмету ({subject}), а его специализация другая")]
    ExpertNotInSubject { subject: String },
}

/// The posts the two rules of organizers apply to: organizers in and outside auditoriums and
/// assistants (DOMAIN.md §3 «Not an organizer or assistant»).
pub fn is_organizing(role: WorkerRole) -> bool {
    matches!(role, WorkerRole::OrganizerInRoom | WorkerRole::OrganizerOutside | WorkerRole::Assistant)
}

/// Why a worker may not organize or assist at this exam at a point of this type whose
/// participants of the day come from `schools` (pure; used by assignment and replacement).
pub fn organizer_conflict(
    worker: &Worker,
    exam: &Exam,
    schools: &BTreeSet<String>,
    point_type: PointType,
    rules: &RosterRules,
) -> Option<PostConflict> {
    if worker.specializations.contains(&exam.subject_code) || worker.forbidden_subjects.contains(&exam.subject_code) {
        return Some(PostConflict::SubjectSpecialist { subject: exam.subject_code.clone() });
    }
    let school = &worker.workplace_school_code;
    if rules.teacher_rule_applies(point_type) && !school.is_empty() && schools.contains(school) && !rules.teacher_rule_exempt_schools.contains(school)
    {
        return Some(PostConflict::OwnTeacher { school: school.clone() });
    }
    None
}

/// One post per worker per day: a worker holding a post on another exam of the point that day
/// may hold only that same kind of post again, and only a post the point's day shares across
/// its exams (head, ГЭК, technical specialist, medical worker).
pub fn day_conflict(worker_id: &str, role: WorkerRole, held_today: &BTreeMap<String, Post>) -> Option<PostConflict> {
    let held = held_today.get(worker_id)?;
    (!(held.is_day_post() && held.role() == role)).then(|| PostConflict::BusyToday { post: held.title_ru() })
}

/// An expert scores answers in their own subject only (ИС-9: a teacher of Russian).
pub fn expert_conflict(worker: &Worker, exam: &Exam) -> Option<PostConflict> {
    (!worker.specializations.contains(&exam.subject_code)).then(|| PostConflict::ExpertNotInSubject { subject: exam.subject_code.clone() })
}

/// The posts of one conducting room (issue 18 item 2): an ИС-9 room has its собеседник and
/// its эксперт; a «Говорение» recording room its organizers (one responsible); other
/// technologies have no conducting rooms.
pub fn conducting_room_posts(technology: Technology, auditorium: &str, rules: &RosterRules) -> Vec<Post> {
    match technology {
        Technology::OralInterview => vec![Post::Examiner { auditorium: auditorium.into() }, Post::Expert { auditorium: auditorium.into() }],
        Technology::OralRecorded => {
            (0..rules.organizers_per_room).map(|k| Post::InRoom { auditorium: auditorium.into(), responsible: k == 0 }).collect()
        }
        Technology::Written | Technology::Computer => Vec::new(),
    }
}

/// Technical specialists an exam needs: the region's minimum, and one per recording room of a
/// «Говорение» exam (the recording stations run with a specialist at hand).
pub fn tech_specialists_needed(technology: Technology, conducting_rooms: usize, rules: &RosterRules) -> usize {
    match technology {
        Technology::OralRecorded => rules.min_tech_specialists.max(conducting_rooms),
        _ => rules.min_tech_specialists,
    }
}
