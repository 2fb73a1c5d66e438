//! Seating of participants into auditoriums and seats (order 805 §19.1б), offline, pure and
//! deterministic: the same plan and seed give the same seating, so РЦОИ can re-run it. The
//! SQL lives in `seating/store.rs`, the command in `seating/cli.rs`.
//!
//! Rules: no seat twice; each room's capacity, grid and unusable seats respected; participants
//! whose conditions need a special room sit only in rooms flagged for special needs, at most
//! [`SeatingRules::max_braille_per_room`] Braille users per room; the fewest rooms the rules
//! allow; participants of one school spread so that none sit side by side or one behind the
//! other wherever the numbers allow (the remaining pairs and a lower bound are reported);
//! seats fixed by hand are kept by a re-run; ЕГЭ only in auditoriums with video; rooms another
//! exam of the point holds while this one runs are never used (`seating/day.rs`); graduates of
//! past years (no school) are never a same-school pair. Changes during the day
//! (`seating/changes.rs`) touch only the people they name.

mod changes;
pub mod cli;
pub mod day;
pub mod ops;
pub mod store;
pub mod variants;

pub use changes::{add_participant, close_auditorium, move_participant};

use std::collections::{BTreeMap, HashMap, HashSet};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{parse_seat_label, seat_label, Auditorium, Participant, SeatAssignment};
use crate::validate::split_list;

/// Limits that regions configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatingRules {
    /// At most this many participants per auditorium (order 805 practice: 25).
    pub max_per_room: u16,
    /// Blind participants (Braille) per auditorium.
    pub max_braille_per_room: u16,
}

impl Default for SeatingRules {
    fn default() -> Self {
        Self { max_per_room: 25, max_braille_per_room: 8 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeatingError {
    #[error("участнику {participant} нужна аудитория для ОВЗ ({needs}), а свободных мест в таких аудиториях нет")]
    NoRoomForSpecialNeeds { participant: String, needs: String },
    #[error("мест не хватает: участников {participants}, доступно мест {seats} (с учётом вместимости и не более {max_per_room} в аудитории)")]
    NotEnoughSeats { participants: usize, seats: usize, max_per_room: u16 },
    #[error("участник {0} не рассажен на этот экзамен")]
    UnknownParticipant(String),
    #[error("аудитории {0} нет в этом ППЭ")]
    UnknownAuditorium(String),
    #[error("место {seat} в аудитории {auditorium} не существует или не используется")]
    NoSuchSeat { auditorium: String, seat: String },
    #[error("место {seat} в аудитории {auditorium} занято")]
    SeatTaken { auditorium: String, seat: String },
    #[error("в аудитории {0} нет свободных мест")]
    AuditoriumFull(String),
    #[error("аудитория {auditorium} не предназначена для участников с ОВЗ, а участнику {participant} она нужна")]
    NotASpecialNeedsRoom { auditorium: String, participant: String },
    #[error("участник {0} уже рассажен")]
    AlreadySeated(String),
    #[error("ЕГЭ проводится только в аудиториях с видеонаблюдением: участников {participants}, мест в таких аудиториях {seats}")]
    NotEnoughVideoSeats { participants: usize, seats: usize },
    #[error("аудитория {0} без видеонаблюдения: ЕГЭ в ней не проводится")]
    NotAVideoRoom(String),
    #[error("мест не хватает: участников {participants}, свободно мест {seats}; аудитории {rooms} в это время заняты другим экзаменом ({exams})")]
    NotEnoughSeatsBesideOtherExams { participants: usize, seats: usize, rooms: String, exams: String },
    #[error("аудитория {auditorium} в это время занята экзаменом {exam_id}")]
    RoomHeldByOtherExam { auditorium: String, exam_id: String },
}

/// An auditorium another exam of the same point holds while this exam runs (their times
/// overlap: start to the end with extra time). Seating never uses it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HeldRoom {
    pub auditorium: String,
    pub exam_id: String,
}

/// Two school codes make a same-school pair only when both name a school: graduates of past
/// years have none (order 805 §11.3).
pub fn same_school(a: &str, b: &str) -> bool {
    !a.is_empty() && a == b
}

/// One participant as seating sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seatee {
    pub participant_id: String,
    pub school_code: String,
    pub special_room: bool,
    pub braille: bool,
}

impl Seatee {
    pub fn from_participant(p: &Participant) -> Self {
        Self {
            participant_id: p.participant_id.clone(),
            school_code: p.school_code.clone(),
            special_room: p.conditions.needs_special_room(),
            braille: p.conditions.braille,
        }
    }
}

/// The input of one seating run: everything the result depends on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeatingInput {
    pub exam_id: String,
    pub ppe_code: String,
    pub auditoriums: Vec<Auditorium>,
    pub participants: Vec<Seatee>,
    /// Seats fixed by hand, kept as they are.
    pub manual: Vec<SeatAssignment>,
    pub rules: SeatingRules,
    /// Rooms other exams of the point hold meanwhile (absent from the hash when empty, so the
    /// hash of a one-exam day is what it always was).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldRoom>,
    /// ЕГЭ: only auditoriums with video surveillance.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub video_only: bool,
    /// Take rooms without video first: an overlapping ЕГЭ of the point needs the video rooms.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub spare_video: bool,
}

impl SeatingInput {
    /// SHA-256 of the canonical JSON of the input (recorded beside the result).
    pub fn input_hash(&self) -> String {
        let mut sorted = self.clone();
        sorted.auditoriums.sort_by(|a, b| a.auditorium.cmp(&b.auditorium));
        sorted.participants.sort_by(|a, b| a.participant_id.cmp(&b.participant_id));
        sorted.manual.sort_by(|a, b| a.participant_id.cmp(&b.participant_id));
        sorted.held.sort();
        hex::encode(Sha256::digest(serde_json::to_vec(&sorted).unwrap_or_default()))
    }
}

/// The result of a seating run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seating {
    pub exam_id: String,
    pub ppe_code: String,
    pub seed: u64,
    pub input_hash: String,
    pub seats: Vec<SeatAssignment>,
    /// Auditoriums in use, in order.
    pub rooms_used: Vec<String>,
    /// Pairs of participants of one school sitting side by side or one behind the other.
    pub same_school_pairs: usize,
    /// No seating of these people into these rooms can have fewer such pairs.
    pub same_school_lower_bound: usize,
    /// The rooms other exams held meanwhile (part of the input: a re-computation needs them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldRoom>,
}

/// A room's usable seats in seating order: a checkerboard, first the cells with an even
/// row+column (none of them adjacent to another), then the rest.
pub(crate) fn usable_seats(room: &Auditorium) -> Vec<(u16, u16)> {
    let unusable: HashSet<(u16, u16)> = split_list(&room.unusable_seats).iter().filter_map(|l| parse_seat_label(l)).collect();
    let mut seats: Vec<(u16, u16)> = (1..=room.rows).flat_map(|r| (1..=room.columns).map(move |c| (r, c))).filter(|s| !unusable.contains(s)).collect();
    seats.sort_by_key(|&(r, c)| ((r + c) % 2, r, c));
    seats
}

pub(crate) fn room_limit(room: &Auditorium, rules: &SeatingRules) -> usize {
    usize::from(room.capacity.min(rules.max_per_room)).min(usable_seats(room).len())
}

pub(crate) fn adjacent(a: (u16, u16), b: (u16, u16)) -> bool {
    (a.0 == b.0 && a.1.abs_diff(b.1) == 1) || (a.1 == b.1 && a.0.abs_diff(b.0) == 1)
}

/// Counts same-school neighbour pairs in a seating.
pub fn count_same_school_pairs(seats: &[SeatAssignment], school_of: &HashMap<&str, &str>) -> usize {
    let mut by_room: HashMap<&str, Vec<&SeatAssignment>> = HashMap::new();
    for s in seats {
        by_room.entry(s.auditorium.as_str()).or_default().push(s);
    }
    let mut pairs = 0;
    for room in by_room.values() {
        let at: HashMap<(u16, u16), &str> = room.iter().map(|s| ((s.row, s.column), school_of.get(s.participant_id.as_str()).copied().unwrap_or(""))).collect();
        for (&(r, c), school) in &at {
            for n in [(r, c + 1), (r + 1, c)] {
                if at.get(&n).is_some_and(|o| same_school(o, school)) {
                    pairs += 1;
                }
            }
        }
    }
    pairs
}

/// Largest number of mutually non-adjacent seats among a room's first `n` seats in seating
/// order, bounded above by the checkerboard half. Used for the lower bound.
fn independent_capacity(room: &Auditorium, n: usize) -> usize {
    let seats = usable_seats(room);
    let even = seats.iter().filter(|&&(r, c)| (r + c) % 2 == 0).count();
    n.min(even.max(seats.len() - even))
}

/// Seats everyone of `input`. Pure and deterministic in (`input`, `seed`).
pub fn seat(input: &SeatingInput, seed: u64) -> Result<Seating, SeatingError> {
    let rules = input.rules;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let registered: HashSet<&str> = input.participants.iter().map(|p| p.participant_id.as_str()).collect();
    let held: HashSet<&str> = input.held.iter().map(|h| h.auditorium.as_str()).collect();
    let rooms: BTreeMap<&str, &Auditorium> =
        input.auditoriums.iter().filter(|a| !held.contains(a.auditorium.as_str()) && (a.video || !input.video_only)).map(|a| (a.auditorium.as_str(), a)).collect();

    // Manual seats that still make sense are kept; the rest of the people are placed.
    let mut taken: HashSet<(String, u16, u16)> = HashSet::new();
    let mut seats: Vec<SeatAssignment> = Vec::new();
    for m in &input.manual {
        let valid = registered.contains(m.participant_id.as_str())
            && rooms.get(m.auditorium.as_str()).is_some_and(|r| usable_seats(r).contains(&(m.row, m.column)))
            && taken.insert((m.auditorium.clone(), m.row, m.column));
        if valid {
            seats.push(SeatAssignment { manual: true, exam_id: input.exam_id.clone(), ppe_code: input.ppe_code.clone(), ..m.clone() });
        }
    }
    let placed: HashSet<String> = seats.iter().map(|s| s.participant_id.clone()).collect();
    let mut used_per_room: HashMap<String, usize> = HashMap::new();
    let mut braille_per_room: HashMap<String, usize> = HashMap::new();
    let by_id: HashMap<&str, &Seatee> = input.participants.iter().map(|p| (p.participant_id.as_str(), p)).collect();
    for s in &seats {
        *used_per_room.entry(s.auditorium.clone()).or_default() += 1;
        if by_id.get(s.participant_id.as_str()).is_some_and(|p| p.braille) {
            *braille_per_room.entry(s.auditorium.clone()).or_default() += 1;
        }
    }

    let mut special: Vec<&Seatee> = Vec::new();
    let mut regular: Vec<&Seatee> = Vec::new();
    for p in input.participants.iter().filter(|p| !placed.contains(&p.participant_id)) {
        if p.special_room { special.push(p) } else { regular.push(p) }
    }

    // Special needs first, into special rooms only; regular participants into regular rooms.
    let special_rooms: Vec<&Auditorium> = rooms.values().copied().filter(|a| a.special_needs && !a.reserve).collect();
    let regular_rooms: Vec<&Auditorium> = rooms.values().copied().filter(|a| !a.special_needs && !a.reserve).collect();
    let mut rooms_used: Vec<String> = Vec::new();
    for (group, pool, is_special) in [(&mut special, &special_rooms, true), (&mut regular, &regular_rooms, false)] {
        if group.is_empty() {
            continue;
        }
        // Order: largest school first, people of a school shuffled by the seed; then deal
        // them round-robin into the chosen rooms, so each school is spread over all rooms.
        let mut by_school: BTreeMap<&str, Vec<&Seatee>> = BTreeMap::new();
        for p in group.iter() {
            by_school.entry(p.school_code.as_str()).or_default().push(p);
        }
        let mut schools: Vec<(&str, Vec<&Seatee>)> = by_school.into_iter().collect();
        for (_, members) in schools.iter_mut() {
            members.shuffle(&mut rng);
        }
        schools.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        let mut ordered: Vec<&Seatee> = schools.into_iter().flat_map(|(_, m)| m).collect();
        // Braille users first so the per-room cap is dealt out evenly.
        ordered.sort_by_key(|p| !p.braille);

        // Fewest rooms: rooms already holding manual seats, then the largest ones.
        let mut candidates: Vec<&Auditorium> = pool.to_vec();
        candidates.sort_by(|a, b| {
            let am = used_per_room.contains_key(&a.auditorium);
            let bm = used_per_room.contains_key(&b.auditorium);
            let video_last = |r: &Auditorium| input.spare_video && r.video;
            bm.cmp(&am).then(video_last(a).cmp(&video_last(b))).then(room_limit(b, &rules).cmp(&room_limit(a, &rules))).then(a.auditorium.cmp(&b.auditorium))
        });
        let free = |a: &Auditorium| room_limit(a, &rules).saturating_sub(used_per_room.get(&a.auditorium).copied().unwrap_or(0));
        let braille_total = ordered.iter().filter(|p| p.braille).count();
        let mut chosen: Vec<&Auditorium> = Vec::new();
        let (mut capacity, mut braille_capacity) = (0usize, 0usize);
        for room in &candidates {
            if capacity >= ordered.len() && braille_capacity >= braille_total {
                break;
            }
            let f = free(room);
            if f == 0 {
                continue;
            }
            capacity += f;
            braille_capacity += f.min(usize::from(rules.max_braille_per_room).saturating_sub(braille_per_room.get(&room.auditorium).copied().unwrap_or(0)));
            chosen.push(room);
        }
        if capacity < ordered.len() || braille_capacity < braille_total {
            if is_special {
                let p = ordered.get(capacity.min(ordered.len().saturating_sub(1))).map(|p| p.participant_id.clone()).unwrap_or_default();
                let needs = if input.video_only { "отдельная аудитория с видеонаблюдением" } else { "отдельная аудитория" };
                return Err(SeatingError::NoRoomForSpecialNeeds { participant: p, needs: needs.into() });
            }
            return Err(shortfall(input, ordered.len(), capacity));
        }
        // Deal round-robin, skipping full rooms (and rooms at their Braille cap for Braille users).
        let mut assigned: Vec<Vec<&Seatee>> = vec![Vec::new(); chosen.len()];
        let mut cursor = 0usize;
        for p in ordered {
            let mut tries = 0;
            loop {
                let i = cursor % chosen.len();
                cursor += 1;
                let room = chosen[i];
                let in_room = assigned[i].len();
                let braille_in = assigned[i].iter().filter(|x| x.braille).count() + braille_per_room.get(&room.auditorium).copied().unwrap_or(0);
                if in_room < free(room) && (!p.braille || braille_in < usize::from(rules.max_braille_per_room)) {
                    assigned[i].push(p);
                    break;
                }
                tries += 1;
                if tries > chosen.len() {
                    return Err(shortfall(input, input.participants.len(), capacity));
                }
            }
        }
        // Only manual seats can already be in a room when it is filled (each room is filled
        // once): index them per room instead of scanning every seat placed so far.
        let mut manual_in_room: HashMap<String, Vec<OccupiedSeat>> = HashMap::new();
        for s in seats.iter().filter(|s| s.manual) {
            let school = by_id.get(s.participant_id.as_str()).map(|p| p.school_code.clone()).unwrap_or_default();
            manual_in_room.entry(s.auditorium.clone()).or_default().push(((s.row, s.column), school));
        }
        for (room, people) in chosen.iter().zip(assigned) {
            if people.is_empty() && !used_per_room.contains_key(&room.auditorium) {
                continue;
            }
            rooms_used.push(room.auditorium.clone());
            let occupied = manual_in_room.get(&room.auditorium).map(Vec::as_slice).unwrap_or(&[]);
            place_in_room(room, &people, occupied, &mut seats, &taken, input);
        }
    }
    let mut in_use: HashSet<String> = rooms_used.iter().cloned().collect();
    for s in &seats {
        if in_use.insert(s.auditorium.clone()) {
            rooms_used.push(s.auditorium.clone());
        }
    }
    rooms_used.sort();
    seats.sort_by(|a, b| (a.auditorium.as_str(), a.row, a.column).cmp(&(b.auditorium.as_str(), b.row, b.column)));

    let school_of: HashMap<&str, &str> = input.participants.iter().map(|p| (p.participant_id.as_str(), p.school_code.as_str())).collect();
    let same_school_pairs = count_same_school_pairs(&seats, &school_of);
    // Lower bound: a school with k people in rooms whose used seats hold at most α mutually
    // non-adjacent seats has at least k − α neighbour pairs (a vertex cover of its pairs).
    let mut per_room_used: HashMap<&str, usize> = HashMap::new();
    for s in &seats {
        *per_room_used.entry(s.auditorium.as_str()).or_default() += 1;
    }
    let alpha: usize = per_room_used.iter().filter_map(|(r, &n)| rooms.get(r).map(|room| independent_capacity(room, n))).sum();
    let mut school_sizes: HashMap<&str, usize> = HashMap::new();
    for p in input.participants.iter().filter(|p| !p.school_code.is_empty()) {
        *school_sizes.entry(p.school_code.as_str()).or_default() += 1;
    }
    let same_school_lower_bound = school_sizes.values().map(|&k| k.saturating_sub(alpha)).sum();
    Ok(Seating {
        exam_id: input.exam_id.clone(),
        ppe_code: input.ppe_code.clone(),
        seed,
        input_hash: input.input_hash(),
        seats,
        rooms_used,
        same_school_pairs,
        same_school_lower_bound,
        held: input.held.clone(),
    })
}

/// The named shortfall of a run: seats short beside another exam's rooms, video rooms short
/// for ЕГЭ, or simply seats short.
fn shortfall(input: &SeatingInput, participants: usize, seats: usize) -> SeatingError {
    if !input.held.is_empty() {
        let mut rooms: Vec<&str> = input.held.iter().map(|h| h.auditorium.as_str()).collect();
        let mut exams: Vec<&str> = input.held.iter().map(|h| h.exam_id.as_str()).collect();
        rooms.sort();
        exams.sort();
        exams.dedup();
        return SeatingError::NotEnoughSeatsBesideOtherExams { participants, seats, rooms: rooms.join(", "), exams: exams.join(", ") };
    }
    if input.video_only {
        return SeatingError::NotEnoughVideoSeats { participants, seats };
    }
    SeatingError::NotEnoughSeats { participants, seats, max_per_room: input.rules.max_per_room }
}

/// Places the people dealt to one room: seats in checkerboard order, people grouped by school
/// (largest first), then swaps that lower the same-school neighbour count until none helps.
/// A seat already taken in a room (a manual one) and the school of who sits there.
type OccupiedSeat = ((u16, u16), String);

/// `occupied`: the room's manual seats and their schools.
fn place_in_room(room: &Auditorium, people: &[&Seatee], occupied: &[OccupiedSeat], seats: &mut Vec<SeatAssignment>, taken: &HashSet<(String, u16, u16)>, input: &SeatingInput) {
    let free: Vec<(u16, u16)> = usable_seats(room).into_iter().filter(|&(r, c)| !taken.contains(&(room.auditorium.clone(), r, c))).collect();
    let mut group: BTreeMap<&str, Vec<&Seatee>> = BTreeMap::new();
    for p in people {
        group.entry(p.school_code.as_str()).or_default().push(p);
    }
    let mut groups: Vec<Vec<&Seatee>> = group.into_values().collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let order: Vec<&Seatee> = groups.into_iter().flatten().collect();
    let mut layout: Vec<((u16, u16), &Seatee)> = free.iter().copied().zip(order).collect();

    // Who sits where (school codes), including manual seats: neighbour checks are O(1).
    let mut at: HashMap<(u16, u16), &str> = occupied.iter().map(|(pos, s)| (*pos, s.as_str())).collect();
    for (pos, p) in &layout {
        at.insert(*pos, p.school_code.as_str());
    }
    let neighbours = |at: &HashMap<(u16, u16), &str>, pos: (u16, u16), school: &str, ignore: (u16, u16)| -> isize {
        let (r, c) = pos;
        [(r.wrapping_sub(1), c), (r + 1, c), (r, c.wrapping_sub(1)), (r, c + 1)]
            .into_iter()
            .filter(|n| *n != ignore && at.get(n).is_some_and(|s| same_school(s, school)))
            .count() as isize
    };
    // Bounded local search: swap two people, or move one to an empty seat, when it helps.
    let mut empty: Vec<(u16, u16)> = free.iter().copied().skip(layout.len()).collect();
    for _round in 0..8 {
        let mut improved = false;
        for i in 0..layout.len() {
            let (pi, si) = (layout[i].0, layout[i].1.school_code.as_str());
            let current_i = neighbours(&at, pi, si, pi);
            if current_i == 0 {
                continue;
            }
            let mut best: Option<(isize, Option<usize>, Option<usize>)> = None;
            for j in 0..layout.len() {
                let (pj, sj) = (layout[j].0, layout[j].1.school_code.as_str());
                if sj == si {
                    continue;
                }
                // After the swap i sits at pj (j's old seat counts as i's school now) and j at pi.
                let before = current_i + neighbours(&at, pj, sj, pj);
                let after_i = neighbours(&at, pj, si, pi);
                let after_j = neighbours(&at, pi, sj, pj);
                let gain = before - (after_i + after_j);
                if gain > 0 && best.is_none_or(|b| gain > b.0) {
                    best = Some((gain, Some(j), None));
                }
            }
            for (k, &e) in empty.iter().enumerate() {
                let gain = current_i - neighbours(&at, e, si, pi);
                if gain > 0 && best.is_none_or(|b| gain > b.0) {
                    best = Some((gain, None, Some(k)));
                }
            }
            match best {
                Some((_, Some(j), _)) => {
                    let pj = layout[j].0;
                    let sj = layout[j].1.school_code.as_str();
                    at.insert(pi, sj);
                    at.insert(pj, si);
                    layout[j].0 = pi;
                    layout[i].0 = pj;
                    improved = true;
                }
                Some((_, None, Some(k))) => {
                    let e = empty[k];
                    at.remove(&pi);
                    at.insert(e, si);
                    empty[k] = pi;
                    layout[i].0 = e;
                    improved = true;
                }
                _ => {}
            }
        }
        if !improved {
            break;
        }
    }
    for ((row, column), p) in layout {
        seats.push(SeatAssignment {
            exam_id: input.exam_id.clone(),
            participant_id: p.participant_id.clone(),
            ppe_code: input.ppe_code.clone(),
            auditorium: room.auditorium.clone(),
            row,
            column,
            manual: false,
        });
    }
}

/// The seating as a plain-text table (CLI `--show`).
pub fn render_table(seats: &[SeatAssignment], name_of: &dyn Fn(&str) -> String) -> String {
    let mut out = String::from("аудитория  место  участник\n");
    for s in seats {
        out.push_str(&format!("{:<10} {:<6} {} {}\n", s.auditorium, seat_label(s.row, s.column), s.participant_id, name_of(&s.participant_id)));
    }
    out
}

#[cfg(test)]
mod tests;
