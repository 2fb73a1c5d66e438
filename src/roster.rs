//! The worker roster of an exam point for one exam (order 805 §19.2б, DOMAIN.md §3): workers
//! to posts, offline, in an order drawn from a seed (nobody holding the plan can tell who gets
//! which auditorium) and reproducible from plan + seed. Organizers in every auditorium in use
//! (two by default, one of them responsible; an extra one per N participants only where the
//! region configures it), organizers outside per floor, the head, members of ГЭК, technical
//! specialists and a medical worker (minimums per exam kind), assistants for participants
//! who need them. The rules are in `roster/rules.rs`: no specialist in the exam's subject and
//! no teacher of participants sitting at the point organizes or assists (every level; exempt
//! by point type and by school); one post per worker per day across the point's exams (the
//! head, ГЭК, technical specialists and medical workers keep their post through the day).
//! When a rule cannot be met the report names the rule and the auditorium instead of breaking
//! it silently. Replacements from the reserve are recorded with the columns of form ППЭ-19.
//! SQL in `roster/store.rs`.

pub mod cli;
pub mod ops;
mod rules;
pub mod store;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use rules::{conducting_room_posts, day_conflict, expert_conflict, is_organizing, organizer_conflict, tech_specialists_needed, PostConflict, RosterRules};

use crate::model::{Exam, PointType, Worker, WorkerAssignment, WorkerRole};

/// A post in the exam point.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "post", rename_all = "snake_case")]
pub enum Post {
    Head,
    GekMember,
    TechSpecialist,
    /// Medical worker on site.
    Medical,
    /// Organizer in an auditorium; `responsible` for the one in charge.
    InRoom {
        auditorium: String,
        responsible: bool,
    },
    /// Organizer outside auditoriums on a floor.
    Outside {
        floor: u8,
    },
    /// Assistant of a participant who needs one.
    Assistant {
        participant_id: String,
    },
    /// Экзаменатор-собеседник of an ИС-9 conducting room.
    Examiner {
        auditorium: String,
    },
    /// Эксперт of an ИС-9 conducting room, scoring its participants.
    Expert {
        auditorium: String,
    },
}

impl Post {
    pub fn role(&self) -> WorkerRole {
        match self {
            Self::Head => WorkerRole::Head,
            Self::GekMember => WorkerRole::GekMember,
            Self::TechSpecialist => WorkerRole::TechSpecialist,
            Self::Medical => WorkerRole::Medical,
            Self::InRoom { .. } => WorkerRole::OrganizerInRoom,
            Self::Outside { .. } => WorkerRole::OrganizerOutside,
            Self::Assistant { .. } => WorkerRole::Assistant,
            Self::Examiner { .. } => WorkerRole::Examiner,
            Self::Expert { .. } => WorkerRole::Expert,
        }
    }
    /// A post of the point's whole day, held by the same worker through all its exams of the
    /// date (the head, ГЭК, technical specialists, the medical worker serve the point, not one
    /// exam); every other post belongs to one exam, so its worker is on no other roster that day.
    pub fn is_day_post(&self) -> bool {
        matches!(self, Self::Head | Self::GekMember | Self::TechSpecialist | Self::Medical)
    }
    pub fn title_ru(&self) -> String {
        match self {
            Self::InRoom { auditorium, responsible: true } => format!("ответственный организатор, ауд. {auditorium}"),
            Self::InRoom { auditorium, responsible: false } => format!("организатор, ауд. {auditorium}"),
            Self::Outside { floor } => format!("организатор вне аудитории, этаж {floor}"),
            Self::Assistant { participant_id } => format!("ассистент участника {participant_id}"),
            Self::Examiner { auditorium } => format!("экзаменатор-собеседник, ауд. {auditorium}"),
            Self::Expert { auditorium } => format!("эксперт, ауд. {auditorium}"),
            other => other.role().title_ru().to_string(),
        }
    }
}

/// What the roster needs to know about the exam point's day.
#[derive(Debug, Clone)]
pub struct RosterInput<'a> {
    pub exam: &'a Exam,
    pub ppe_code: &'a str,
    /// Ordinary, ТОМ, УИС, at home, abroad: the teacher rule's exemptions.
    pub point_type: PointType,
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
    /// Posts workers hold on the rosters of the point's other exams of the same date.
    pub held_today: BTreeMap<String, Post>,
    /// The conducting (recording) rooms of an oral exam (`model::rooms_of_kind`); none for
    /// a written one.
    pub conducting_rooms: Vec<String>,
}

impl RosterInput<'_> {
    /// Why this worker may not hold a post of this role at this exam, if anything.
    pub fn conflict(&self, worker: &Worker, role: WorkerRole, rules: &RosterRules) -> Option<PostConflict> {
        day_conflict(&worker.worker_id, role, &self.held_today).or_else(|| {
            if is_organizing(role) {
                organizer_conflict(worker, self.exam, &self.participant_schools, self.point_type, rules)
            } else if role == WorkerRole::Expert {
                expert_conflict(worker, self.exam)
            } else {
                None
            }
        })
    }
}

/// A rule that could not be met, named with where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RosterShortfall {
    #[error("аудитория {auditorium}: нужно организаторов {needed}, допустимых по правилам нашлось {found}")]
    OrganizersInRoom { auditorium: String, needed: usize, found: usize },
    #[error("этаж {floor}: нужно организаторов вне аудитории {needed}, допустимых по правилам нашлось {found}")]
    OrganizersOutside { floor: u8, needed: usize, found: usize },
    #[error("нет руководителя ППЭ")]
    Head,
    #[error("членов ГЭК {found}, нужно не менее {needed}")]
    GekMembers { needed: usize, found: usize },
    #[error("технических специалистов {found}, нужно не менее {needed}")]
    TechSpecialists { needed: usize, found: usize },
    #[error("медицинских работников {found}, нужно не менее {needed}")]
    MedicalWorkers { needed: usize, found: usize },
    #[error("участнику {participant_id} нужен ассистент, свободного допустимого по правилам нет")]
    Assistant { participant_id: String },
    #[error("аудитория проведения {auditorium}: нет допустимого по правилам работника на должность «{post}»")]
    ConductingRoom { auditorium: String, post: String },
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
    /// The seed the organizers' order was drawn from (recorded, so РЦОИ can repeat it).
    pub seed: u64,
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

/// The point's workers of the exam's date in the order drawn from `seed`: sorted by id (so
/// the plan's row order does not matter), shuffled with ChaCha8 from the seed, the reserve
/// list last.
fn on_duty_in_seed_order<'a>(input: &RosterInput<'a>, seed: u64) -> Vec<(&'a Worker, bool)> {
    let mut on_duty: Vec<(&'a Worker, bool)> = input
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
    on_duty.sort_by(|a, b| a.0.worker_id.cmp(&b.0.worker_id));
    on_duty.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    on_duty.sort_by_key(|(_, reserve)| *reserve);
    on_duty
}

/// Assigns the workers of the exam point's day to posts. Deterministic in (input, seed): the
/// candidates are taken in the order drawn from the seed, the reserve list last; a worker who
/// holds a day post on another exam of the date is taken for that post first.
pub fn assign<'a>(input: &RosterInput<'a>, rules: &RosterRules, seed: u64) -> Roster {
    let on_duty = on_duty_in_seed_order(input, seed);
    let mut used: HashSet<&'a str> = HashSet::new();
    let mut entries = Vec::new();
    let mut shortfalls = Vec::new();
    let mut take = |post: Post, used: &mut HashSet<&'a str>| -> bool {
        let role = post.role();
        let free = |w: &&(&'a Worker, bool)| {
            !used.contains(w.0.worker_id.as_str()) && w.0.roles.contains(&role) && input.conflict(w.0, role, rules).is_none()
        };
        let kept = on_duty.iter().filter(free).find(|w| input.held_today.get(&w.0.worker_id).is_some_and(|p| p.role() == role));
        let Some(&(worker, _)) = kept.or_else(|| on_duty.iter().find(free)) else {
            return false;
        };
        used.insert(worker.worker_id.as_str());
        entries.push(RosterEntry { worker_id: worker.worker_id.clone(), post });
        true
    };
    if !take(Post::Head, &mut used) {
        shortfalls.push(RosterShortfall::Head);
    }
    let mut staff = |post: Post, needed: usize, used: &mut HashSet<&'a str>| (0..needed).take_while(|_| take(post.clone(), used)).count();
    let gek = staff(Post::GekMember, rules.min_gek_members, &mut used);
    if gek < rules.min_gek_members {
        shortfalls.push(RosterShortfall::GekMembers { needed: rules.min_gek_members, found: gek });
    }
    let technology = input.exam.technology();
    let tech_needed = tech_specialists_needed(technology, input.conducting_rooms.len(), rules);
    let tech = staff(Post::TechSpecialist, tech_needed, &mut used);
    if tech < tech_needed {
        shortfalls.push(RosterShortfall::TechSpecialists { needed: tech_needed, found: tech });
    }
    let medical = staff(Post::Medical, rules.min_medical_workers, &mut used);
    if medical < rules.min_medical_workers {
        shortfalls.push(RosterShortfall::MedicalWorkers { needed: rules.min_medical_workers, found: medical });
    }
    for (room, &n) in &input.room_sizes {
        let needed = rules.organizers_for(n);
        let found = (0..needed).take_while(|&k| take(Post::InRoom { auditorium: room.clone(), responsible: k == 0 }, &mut used)).count();
        if found < needed {
            shortfalls.push(RosterShortfall::OrganizersInRoom { auditorium: room.clone(), needed, found });
        }
    }
    for room in &input.conducting_rooms {
        for post in conducting_room_posts(technology, room, rules) {
            let title = post.title_ru();
            if !take(post, &mut used) {
                shortfalls.push(RosterShortfall::ConductingRoom { auditorium: room.clone(), post: title });
            }
        }
    }
    let floors: BTreeSet<u8> = input.room_floors.values().copied().collect();
    for floor in floors {
        let needed = rules.outside_organizers_per_floor;
        let found = (0..needed).take_while(|_| take(Post::Outside { floor }, &mut used)).count();
        if found < needed {
            shortfalls.push(RosterShortfall::OrganizersOutside { floor, needed, found });
        }
    }
    for p in &input.need_assistant {
        if !take(Post::Assistant { participant_id: p.clone() }, &mut used) {
            shortfalls.push(RosterShortfall::Assistant { participant_id: p.clone() });
        }
    }
    let reserve = on_duty
        .iter()
        .filter(|(w, _)| !used.contains(w.worker_id.as_str()) && !input.held_today.contains_key(&w.worker_id))
        .map(|(w, _)| w.worker_id.clone())
        .collect();
    Roster { exam_id: input.exam.exam_id.clone(), ppe_code: input.ppe_code.into(), seed, entries, reserve, shortfalls }
}

/// Workers holding two different posts on one date, or one exam's post on two rosters of the
/// date: (worker, one post, the other). Empty when the point's day keeps one post per worker.
pub fn day_double_bookings(rosters: &[Roster]) -> Vec<(String, Post, Post)> {
    let mut seen: BTreeMap<&str, &Post> = BTreeMap::new();
    let mut out = Vec::new();
    for entry in rosters.iter().flat_map(|r| &r.entries) {
        match seen.get(entry.worker_id.as_str()) {
            Some(first) if !(first.is_day_post() && **first == entry.post) => {
                out.push((entry.worker_id.clone(), (*first).clone(), entry.post.clone()))
            }
            Some(_) => {}
            None => {
                seen.insert(&entry.worker_id, &entry.post);
            }
        }
    }
    out
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
pub fn replace(
    roster: &Roster,
    input: &RosterInput<'_>,
    rules: &RosterRules,
    absent_worker_id: &str,
    reason: &str,
    at: &str,
    decided_by: &str,
) -> Result<(Roster, Replacement), ReplacementError> {
    let index =
        roster.entries.iter().position(|e| e.worker_id == absent_worker_id).ok_or_else(|| ReplacementError::NotOnRoster(absent_worker_id.into()))?;
    let post = roster.entries[index].post.clone();
    let role = post.role();
    let candidate = roster
        .reserve
        .iter()
        .filter_map(|id| input.workers.iter().find(|w| &w.worker_id == id))
        .find(|w| w.roles.contains(&role) && input.conflict(w, role, rules).is_none())
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
