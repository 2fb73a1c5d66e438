//! The worker roster of an exam point for one exam (order 805 §19.2б): workers to posts,
//! offline and deterministic. Organizers in every auditorium in use (two up to 15
//! participants, one more for each further 15, one of them responsible), organizers outside
//! per floor, the head, technical specialists, members of ГЭК, assistants for participants who
//! need them. Rules: nobody organizes an exam in their own subject (specialization or the
//! subjects they may not organize, seed 000 note 5); no teacher of a participant sitting at
//! this exam point organizes (ГИА-11; configurable, with the exceptions a region allows);
//! nobody holds two posts. When a rule cannot be met the report names the rule and the
//! auditorium instead of breaking it silently. Replacements from the reserve are recorded
//! with the columns of form ППЭ-19. SQL in `roster/store.rs`.

pub mod cli;
pub mod ops;
pub mod store;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::model::{Exam, ExamKind, Worker, WorkerAssignment, WorkerRole};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRules {
    /// Organizers for up to `per_organizers` participants: the base number.
    pub organizers_base: usize,
    /// One more organizer for each further this many participants.
    pub participants_per_extra_organizer: usize,
    pub min_gek_members: usize,
    pub min_tech_specialists: usize,
    /// Forbid teachers of participants sitting here from organizing (ГИА-11 rule).
    pub forbid_own_teachers: bool,
    /// School codes exempted from the teacher rule (e.g. small settlements with one school).
    pub teacher_rule_exempt_schools: BTreeSet<String>,
}

impl RosterRules {
    /// The defaults for an exam: the teacher rule applies to ГИА-11 (ЕГЭ, ГВЭ-11).
    pub fn for_exam(exam: &Exam) -> Self {
        Self {
            organizers_base: 2,
            participants_per_extra_organizer: 15,
            min_gek_members: 2,
            min_tech_specialists: 1,
            forbid_own_teachers: exam.level == 11 || exam.kind == ExamKind::Ege,
            teacher_rule_exempt_schools: BTreeSet::new(),
        }
    }

    /// Organizers an auditorium with `participants` people needs.
    pub fn organizers_for(&self, participants: usize) -> usize {
        if participants == 0 {
            return 0;
        }
        let per = self.participants_per_extra_organizer.max(1);
        self.organizers_base + participants.saturating_sub(per).div_ceil(per)
    }
}

/// A post in the exam point.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "post", rename_all = "snake_case")]
pub enum Post {
    Head,
    GekMember,
    TechSpecialist,
    /// Organizer in an auditorium; `responsible` for the one in charge.
    InRoom { auditorium: String, responsible: bool },
    /// Organizer outside auditoriums on a floor.
    Outside { floor: u8 },
    /// Assistant of a participant who needs one.
    Assistant { participant_id: String },
}

impl Post {
    pub fn role(&self) -> WorkerRole {
        match self {
            Self::Head => WorkerRole::Head,
            Self::GekMember => WorkerRole::GekMember,
            Self::TechSpecialist => WorkerRole::TechSpecialist,
            Self::InRoom { .. } => WorkerRole::OrganizerInRoom,
            Self::Outside { .. } => WorkerRole::OrganizerOutside,
            Self::Assistant { .. } => WorkerRole::Assistant,
        }
    }
    pub fn title_ru(&self) -> String {
        match self {
            Self::InRoom { auditorium, responsible: true } => format!("ответственный организатор, ауд. {auditorium}"),
            Self::InRoom { auditorium, responsible: false } => format!("организатор, ауд. {auditorium}"),
            Self::Outside { floor } => format!("организатор вне аудитории, этаж {floor}"),
            Self::Assistant { participant_id } => format!("ассистент участника {participant_id}"),
            other => other.role().title_ru().to_string(),
        }
    }
}

/// What the roster needs to know about the exam point's day.
#[derive(Debug, Clone)]
pub struct RosterInput<'a> {
    pub exam: &'a Exam,
    pub ppe_code: &'a str,
    pub workers: &'a [Worker],
    pub assignments: &'a [WorkerAssignment],
    /// Participants per auditorium in use.
    pub room_sizes: BTreeMap<String, usize>,
    /// Floor of each auditorium in use.
    pub room_floors: BTreeMap<String, u8>,
    /// Schools of the participants sitting at this exam point (all exams of the day).
    pub participant_schools: BTreeSet<String>,
    /// Participants who need an assistant.
    pub need_assistant: Vec<String>,
}

/// A rule that could not be met, named with where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RosterShortfall {
    #[error("аудитория {auditorium}: нужно организаторов {needed}, допустимых по правилам нашлось {found}")]
    OrganizersInRoom { auditorium: String, needed: usize, found: usize },
    #[error("этаж {floor}: нет организатора вне аудитории")]
    OrganizerOutside { floor: u8 },
    #[error("нет руководителя ППЭ")]
    Head,
    #[error("членов ГЭК {found}, нужно не менее {needed}")]
    GekMembers { needed: usize, found: usize },
    #[error("технических специалистов {found}, нужно не менее {needed}")]
    TechSpecialists { needed: usize, found: usize },
    #[error("участнику {participant_id} нужен ассистент, свободного нет")]
    Assistant { participant_id: String },
}

/// Why a worker may not organize this exam (pure; used by assignment and tests).
pub fn organizer_conflict(worker: &Worker, exam: &Exam, input_schools: &BTreeSet<String>, rules: &RosterRules) -> Option<String> {
    if worker.specializations.contains(&exam.subject_code) || worker.forbidden_subjects.contains(&exam.subject_code) {
        return Some(format!("специалист по предмету {} не может быть организатором на этом экзамене", exam.subject_code));
    }
    if rules.forbid_own_teachers
        && !worker.workplace_school_code.is_empty()
        && input_schools.contains(&worker.workplace_school_code)
        && !rules.teacher_rule_exempt_schools.contains(&worker.workplace_school_code)
    {
        return Some(format!("учитель ОО {}, участники которой сдают экзамен в этом ППЭ", worker.workplace_school_code));
    }
    None
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub worker_id: String,
    pub post: Post,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub exam_id: String,
    pub ppe_code: String,
    pub entries: Vec<RosterEntry>,
    /// Workers of the day left without a post (the reserve for replacements).
    pub reserve: Vec<String>,
    pub shortfalls: Vec<RosterShortfall>,
}

impl Roster {
    pub fn is_complete(&self) -> bool {
        self.shortfalls.is_empty()
    }
}

/// Assigns the workers of the exam point's day to posts. Deterministic: workers are taken in
/// id order; reserve-listed workers are used last.
pub fn assign<'a>(input: &RosterInput<'a>, rules: &RosterRules) -> Roster {
    let on_duty: Vec<(&'a Worker, bool)> = {
        let mut v: Vec<(&'a Worker, bool)> = input
            .workers
            .iter()
            .filter_map(|w| {
                input
                    .assignments
                    .iter()
                    .find(|a| a.worker_id == w.worker_id && a.ppe_code == input.ppe_code && a.date == input.exam.date)
                    .map(|a| (w, a.reserve))
            })
            .collect();
        v.sort_by(|a, b| (a.1, &a.0.worker_id).cmp(&(b.1, &b.0.worker_id)));
        v
    };
    let mut used: HashSet<&'a str> = HashSet::new();
    let mut entries = Vec::new();
    let mut shortfalls = Vec::new();
    let take = |role: WorkerRole, ok: &dyn Fn(&Worker) -> bool, used: &mut HashSet<&'a str>| -> Option<String> {
        let w = on_duty.iter().find(|(w, _)| !used.contains(w.worker_id.as_str()) && w.roles.contains(&role) && ok(w))?.0;
        used.insert(w.worker_id.as_str());
        Some(w.worker_id.clone())
    };
    let any = |_: &Worker| true;
    match take(WorkerRole::Head, &any, &mut used) {
        Some(id) => entries.push(RosterEntry { worker_id: id, post: Post::Head }),
        None => shortfalls.push(RosterShortfall::Head),
    }
    let mut gek = 0;
    while let Some(id) = take(WorkerRole::GekMember, &any, &mut used) {
        entries.push(RosterEntry { worker_id: id, post: Post::GekMember });
        gek += 1;
        if gek >= rules.min_gek_members {
            break;
        }
    }
    if gek < rules.min_gek_members {
        shortfalls.push(RosterShortfall::GekMembers { needed: rules.min_gek_members, found: gek });
    }
    let mut tech = 0;
    while tech < rules.min_tech_specialists {
        match take(WorkerRole::TechSpecialist, &any, &mut used) {
            Some(id) => {
                entries.push(RosterEntry { worker_id: id, post: Post::TechSpecialist });
                tech += 1;
            }
            None => break,
        }
    }
    if tech < rules.min_tech_specialists {
        shortfalls.push(RosterShortfall::TechSpecialists { needed: rules.min_tech_specialists, found: tech });
    }
    let allowed = |w: &Worker| organizer_conflict(w, input.exam, &input.participant_schools, rules).is_none();
    for (room, &n) in &input.room_sizes {
        let needed = rules.organizers_for(n);
        let mut found = 0;
        for k in 0..needed {
            match take(WorkerRole::OrganizerInRoom, &allowed, &mut used) {
                Some(id) => {
                    entries.push(RosterEntry { worker_id: id, post: Post::InRoom { auditorium: room.clone(), responsible: k == 0 } });
                    found += 1;
                }
                None => break,
            }
        }
        if found < needed {
            shortfalls.push(RosterShortfall::OrganizersInRoom { auditorium: room.clone(), needed, found });
        }
    }
    let floors: BTreeSet<u8> = input.room_floors.values().copied().collect();
    for floor in floors {
        match take(WorkerRole::OrganizerOutside, &allowed, &mut used) {
            Some(id) => entries.push(RosterEntry { worker_id: id, post: Post::Outside { floor } }),
            None => shortfalls.push(RosterShortfall::OrganizerOutside { floor }),
        }
    }
    for p in &input.need_assistant {
        match take(WorkerRole::Assistant, &any, &mut used) {
            Some(id) => entries.push(RosterEntry { worker_id: id, post: Post::Assistant { participant_id: p.clone() } }),
            None => shortfalls.push(RosterShortfall::Assistant { participant_id: p.clone() }),
        }
    }
    let reserve = on_duty.iter().filter(|(w, _)| !used.contains(w.worker_id.as_str())).map(|(w, _)| w.worker_id.clone()).collect();
    Roster { exam_id: input.exam.exam_id.clone(), ppe_code: input.ppe_code.into(), entries, reserve, shortfalls }
}

/// A replacement of a worker who did not come (form ППЭ-19 columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    pub exam_id: String,
    pub post: Post,
    pub absent_worker_id: String,
    pub replacement_worker_id: String,
    pub reason: String,
    /// When (RFC 3339).
    pub at: String,
    /// Who decided (the head's login).
    pub decided_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplacementError {
    #[error("работник {0} не занимает должность в этом экзамене")]
    NotOnRoster(String),
    #[error("в резерве нет работника, допустимого на должность «{0}»")]
    NoReserve(String),
}

/// Replaces a worker from the reserve, with the first reserve worker who may hold the post.
/// Pure: returns the new roster and the record.
pub fn replace(roster: &Roster, input: &RosterInput<'_>, rules: &RosterRules, absent_worker_id: &str, reason: &str, at: &str, decided_by: &str) -> Result<(Roster, Replacement), ReplacementError> {
    let index = roster.entries.iter().position(|e| e.worker_id == absent_worker_id).ok_or_else(|| ReplacementError::NotOnRoster(absent_worker_id.into()))?;
    let post = roster.entries[index].post.clone();
    let role = post.role();
    let organizes = matches!(role, WorkerRole::OrganizerInRoom | WorkerRole::OrganizerOutside);
    let candidate = roster
        .reserve
        .iter()
        .filter_map(|id| input.workers.iter().find(|w| &w.worker_id == id))
        .find(|w| w.roles.contains(&role) && (!organizes || organizer_conflict(w, input.exam, &input.participant_schools, rules).is_none()))
        .ok_or_else(|| ReplacementError::NoReserve(post.title_ru()))?;
    let mut next = roster.clone();
    next.entries[index].worker_id = candidate.worker_id.clone();
    next.reserve.retain(|id| id != &candidate.worker_id);
    let record = Replacement {
        exam_id: roster.exam_id.clone(),
        post,
        absent_worker_id: absent_worker_id.into(),
        replacement_worker_id: candidate.worker_id.clone(),
        reason: reason.into(),
        at: at.into(),
        decided_by: decided_by.into(),
    };
    Ok((next, record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DocType;

    fn exam() -> Exam {
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
        }
    }

    fn worker(id: &str, roles: &[WorkerRole], spec: &[&str], school: &str) -> Worker {
        Worker {
            worker_id: id.into(),
            surname: "Иванова".into(),
            name: "Анна".into(),
            patronymic: String::new(),
            birth_year: 1980,
            phone: String::new(),
            email: String::new(),
            snils: String::new(),
            doc_type: DocType::PassportRf,
            doc_series: "6900".into(),
            doc_number: format!("{:0>6}", id.trim_start_matches('W')),
            workplace: "школа".into(),
            workplace_school_code: school.into(),
            position: "учитель".into(),
            specializations: spec.iter().map(|s| s.to_string()).collect(),
            roles: roles.to_vec(),
            forbidden_subjects: spec.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn day(workers: &[Worker]) -> Vec<WorkerAssignment> {
        workers.iter().map(|w| WorkerAssignment { worker_id: w.worker_id.clone(), ppe_code: "0101".into(), date: "2027.05.27".into(), reserve: false }).collect()
    }

    fn input<'a>(e: &'a Exam, workers: &'a [Worker], assignments: &'a [WorkerAssignment], rooms: &[(&str, usize)]) -> RosterInput<'a> {
        RosterInput {
            exam: e,
            ppe_code: "0101",
            workers,
            assignments,
            room_sizes: rooms.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
            room_floors: rooms.iter().map(|(r, _)| (r.to_string(), 1)).collect(),
            participant_schools: ["7001001".to_string()].into_iter().collect(),
            need_assistant: Vec::new(),
        }
    }

    fn staff() -> Vec<Worker> {
        use WorkerRole::*;
        let mut v = vec![worker("W1", &[Head], &[], ""), worker("W2", &[GekMember], &[], ""), worker("W3", &[GekMember], &[], ""), worker("W4", &[TechSpecialist], &[], "")];
        for i in 5..15 {
            v.push(worker(&format!("W{i}"), &[OrganizerInRoom, OrganizerOutside], &["01"], "7002001"));
        }
        v
    }

    #[test]
    fn organizers_needed_by_room_size() {
        let r = RosterRules::for_exam(&exam());
        assert_eq!([0, 1, 15, 16, 30, 31].map(|n| r.organizers_for(n)), [0, 2, 2, 3, 3, 4]);
    }

    #[test]
    fn a_full_roster_when_the_staff_allows() {
        let e = exam();
        let w = staff();
        let a = day(&w);
        let roster = assign(&input(&e, &w, &a, &[("101", 15), ("102", 20)]), &RosterRules::for_exam(&e));
        assert!(roster.is_complete(), "{:?}", roster.shortfalls);
        let in_rooms: Vec<_> = roster.entries.iter().filter(|x| matches!(x.post, Post::InRoom { .. })).collect();
        assert_eq!(in_rooms.len(), 5, "2 for 15 participants, 3 for 20");
        assert_eq!(in_rooms.iter().filter(|x| matches!(x.post, Post::InRoom { responsible: true, .. })).count(), 2, "one responsible per room");
        let ids: HashSet<_> = roster.entries.iter().map(|x| &x.worker_id).collect();
        assert_eq!(ids.len(), roster.entries.len(), "nobody holds two posts");
    }

    #[test]
    fn subject_specialists_do_not_organize_their_subject() {
        let e = exam();
        let mut w = staff();
        for x in w.iter_mut().skip(4) {
            x.specializations = vec!["02".into()];
        }
        let a = day(&w);
        let roster = assign(&input(&e, &w, &a, &[("101", 10)]), &RosterRules::for_exam(&e));
        assert!(roster.shortfalls.contains(&RosterShortfall::OrganizersInRoom { auditorium: "101".into(), needed: 2, found: 0 }), "{:?}", roster.shortfalls);
        assert!(roster.shortfalls[0].to_string().contains("аудитория 101"));
    }

    #[test]
    fn teachers_of_participants_here_do_not_organize_unless_exempt() {
        let e = exam();
        let mut w = staff();
        for x in w.iter_mut().skip(4) {
            x.workplace_school_code = "7001001".into();
        }
        let a = day(&w);
        let mut rules = RosterRules::for_exam(&e);
        assert!(!assign(&input(&e, &w, &a, &[("101", 10)]), &rules).is_complete());
        rules.teacher_rule_exempt_schools.insert("7001001".into());
        assert!(assign(&input(&e, &w, &a, &[("101", 10)]), &rules).is_complete());
        // ГИА-9 does not apply the rule by default.
        let mut oge = e.clone();
        oge.kind = ExamKind::Oge;
        oge.level = 9;
        assert!(assign(&input(&oge, &w, &a, &[("101", 10)]), &RosterRules::for_exam(&oge)).is_complete());
    }

    #[test]
    fn too_few_gek_members_or_tech_specialists_are_reported() {
        let e = exam();
        let w: Vec<Worker> = staff().into_iter().filter(|x| x.worker_id != "W3" && x.worker_id != "W4").collect();
        let a = day(&w);
        let roster = assign(&input(&e, &w, &a, &[("101", 10)]), &RosterRules::for_exam(&e));
        assert!(roster.shortfalls.contains(&RosterShortfall::GekMembers { needed: 2, found: 1 }));
        assert!(roster.shortfalls.contains(&RosterShortfall::TechSpecialists { needed: 1, found: 0 }));
    }

    #[test]
    fn replacement_comes_from_the_reserve_and_respects_the_rules() {
        let e = exam();
        let w = staff();
        let a = day(&w);
        let inp = input(&e, &w, &a, &[("101", 10)]);
        let rules = RosterRules::for_exam(&e);
        let roster = assign(&inp, &rules);
        let absent = roster.entries.iter().find(|x| matches!(x.post, Post::InRoom { .. })).unwrap().worker_id.clone();
        let (next, record) = replace(&roster, &inp, &rules, &absent, "не явился", "2027-05-27T02:00:00Z", "head").unwrap();
        assert!(roster.reserve.contains(&record.replacement_worker_id));
        assert!(!next.reserve.contains(&record.replacement_worker_id));
        assert!(next.entries.iter().all(|x| x.worker_id != absent));
        assert!(matches!(replace(&roster, &inp, &rules, "W999", "", "", ""), Err(ReplacementError::NotOnRoster(_))));
        // No reserve worker allowed for the post: a clear refusal.
        let only: Vec<Worker> = w.iter().filter(|x| !x.roles.contains(&WorkerRole::OrganizerInRoom) || x.worker_id == "W5" || x.worker_id == "W6").cloned().collect();
        let a2 = day(&only);
        let inp2 = input(&e, &only, &a2, &[("101", 10)]);
        let r2 = assign(&inp2, &rules);
        assert!(matches!(replace(&r2, &inp2, &rules, "W5", "болезнь", "", ""), Err(ReplacementError::NoReserve(_))));
    }
}
