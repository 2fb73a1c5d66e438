//! Which КИМ variant each seated participant solves (DOMAIN.md §6): neighbours in an
//! auditorium — left and right, in front and behind — never share a variant. Pure and
//! deterministic in (seats, variants, seating seed), so РЦОИ can recompute it from the plan and
//! the seed. The SQL is in `variants/store.rs`, the use case (one transaction + `variant.assign`)
//! in `variants/ops.rs`.
//!
//! The variant of a seat is a function of the seat: `(row + column) mod k` over an order of the
//! variants shuffled per auditorium by the seed. Adjacent seats differ by one in `row + column`,
//! so for any `k ≥ 2` they get different variants (with 2 variants this is a checkerboard);
//! unusable or empty seats change nothing. A participant moved or added later gets the
//! variant of their new seat, which differs from the new neighbours' for the same reason. Only
//! a participant whose КИМ is already printed keeps the variant they hold; a neighbour not yet
//! printed then takes another variant if one is left.

pub mod ops;
pub mod store;

use std::collections::{BTreeMap, HashMap};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::model::SeatAssignment;

/// The largest variant number a package may carry (three digits on the forms).
pub const MAX_VARIANT: u16 = 999;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VariantError {
    #[error("в пакете нет ни одного варианта КИМ: распределить варианты по местам нельзя")]
    NoVariants,
    #[error("номер варианта КИМ {0} недопустим (от 1 до {MAX_VARIANT})")]
    OutOfRange(u16),
    #[error("вариант КИМ {0} указан в пакете дважды")]
    Duplicate(u16),
}

/// The variant of every seated participant, and the neighbours that could not be kept apart
/// (only when a single variant exists, or printed copies already sit side by side).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VariantPlan {
    pub by_participant: BTreeMap<String, u16>,
    /// Pairs of neighbouring participants with the same variant, each pair once.
    pub neighbours_sharing: Vec<(String, String)>,
}

/// The variants sorted, checked: at least one, each in range, none twice.
pub fn checked_variants(variants: &[u16]) -> Result<Vec<u16>, VariantError> {
    let mut sorted = variants.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Err(VariantError::NoVariants);
    }
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            return Err(VariantError::Duplicate(w[0]));
        }
    }
    if let Some(&v) = sorted.iter().find(|&&v| v == 0 || v > MAX_VARIANT) {
        return Err(VariantError::OutOfRange(v));
    }
    Ok(sorted)
}

/// The order of the variants in one auditorium, shuffled by the seed: each room starts its
/// pattern elsewhere, and nobody at the point can choose it.
fn room_order(variants: &[u16], seed: u64, auditorium: &str) -> Vec<u16> {
    let mut h = Sha256::new();
    h.update(b"ppe variants v1\0");
    h.update(seed.to_be_bytes());
    h.update(auditorium.as_bytes());
    let digest: [u8; 32] = h.finalize().into();
    let mut order = variants.to_vec();
    order.shuffle(&mut ChaCha8Rng::from_seed(digest));
    order
}

/// The variant the pattern gives a seat (variants sorted and checked).
pub fn variant_for_seat(variants: &[u16], seed: u64, auditorium: &str, row: u16, column: u16) -> u16 {
    let order = room_order(variants, seed, auditorium);
    order[(usize::from(row) + usize::from(column)) % order.len()]
}

/// Left/right or front/back in the same auditorium.
pub fn are_neighbours(a: &SeatAssignment, b: &SeatAssignment) -> bool {
    a.ppe_code == b.ppe_code && a.auditorium == b.auditorium && a.row.abs_diff(b.row) + a.column.abs_diff(b.column) == 1
}

fn neighbour_positions(s: &SeatAssignment) -> impl Iterator<Item = (u16, u16)> {
    let (r, c) = (s.row, s.column);
    [(r.wrapping_sub(1), c), (r + 1, c), (r, c.wrapping_sub(1)), (r, c + 1)].into_iter()
}

/// Assigns a variant to every seat. `printed` are participants whose КИМ was already printed:
/// they keep that variant wherever they sit now. Everyone else gets the pattern's variant of
/// their seat, or — when a printed neighbour holds it — the first other variant in the room's
/// order that no neighbour has.
pub fn assign(seats: &[SeatAssignment], variants: &[u16], seed: u64, printed: &BTreeMap<String, u16>) -> Result<VariantPlan, VariantError> {
    let variants = checked_variants(variants)?;
    let mut ordered: Vec<&SeatAssignment> = seats.iter().collect();
    ordered.sort_by(|a, b| {
        (&a.ppe_code, &a.auditorium, a.row, a.column, &a.participant_id).cmp(&(&b.ppe_code, &b.auditorium, b.row, b.column, &b.participant_id))
    });
    let at: HashMap<(&str, &str, u16, u16), &SeatAssignment> =
        ordered.iter().map(|s| ((s.ppe_code.as_str(), s.auditorium.as_str(), s.row, s.column), *s)).collect();
    let mut by_participant: BTreeMap<String, u16> = BTreeMap::new();
    for s in &ordered {
        if let Some(&v) = printed.get(&s.participant_id) {
            by_participant.insert(s.participant_id.clone(), v);
        }
    }
    for s in &ordered {
        if by_participant.contains_key(&s.participant_id) {
            continue;
        }
        let order = room_order(&variants, seed, &s.auditorium);
        let own = (usize::from(s.row) + usize::from(s.column)) % order.len();
        // The neighbours already decided: printed copies, and everyone earlier in seat order.
        let taken: Vec<u16> = neighbour_positions(s)
            .filter_map(|(r, c)| at.get(&(s.ppe_code.as_str(), s.auditorium.as_str(), r, c)))
            .filter_map(|n| by_participant.get(&n.participant_id).copied())
            .collect();
        let pick = (0..order.len()).map(|i| order[(own + i) % order.len()]).find(|v| !taken.contains(v)).unwrap_or(order[own]);
        by_participant.insert(s.participant_id.clone(), pick);
    }
    let neighbours_sharing = sharing_pairs(seats, &by_participant);
    Ok(VariantPlan { by_participant, neighbours_sharing })
}

/// Every pair of neighbours with the same variant (each pair once, in seat order).
pub fn sharing_pairs(seats: &[SeatAssignment], by_participant: &BTreeMap<String, u16>) -> Vec<(String, String)> {
    let at: HashMap<(&str, &str, u16, u16), &SeatAssignment> =
        seats.iter().map(|s| ((s.ppe_code.as_str(), s.auditorium.as_str(), s.row, s.column), s)).collect();
    let mut pairs = Vec::new();
    for s in seats {
        // Right and behind only: each pair is seen once.
        for (r, c) in [(s.row + 1, s.column), (s.row, s.column + 1)] {
            if let Some(n) = at.get(&(s.ppe_code.as_str(), s.auditorium.as_str(), r, c)) {
                let (a, b) = (by_participant.get(&s.participant_id), by_participant.get(&n.participant_id));
                if a.is_some() && a == b {
                    pairs.push((s.participant_id.clone(), n.participant_id.clone()));
                }
            }
        }
    }
    pairs.sort();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seat(pid: &str, room: &str, row: u16, column: u16) -> SeatAssignment {
        SeatAssignment {
            exam_id: "ege-02".into(),
            participant_id: pid.into(),
            ppe_code: "0101".into(),
            auditorium: room.into(),
            row,
            column,
            manual: false,
        }
    }

    fn grid(room: &str, rows: u16, columns: u16) -> Vec<SeatAssignment> {
        let mut out = Vec::new();
        for r in 1..=rows {
            for c in 1..=columns {
                out.push(seat(&format!("{room}-{r}-{c}"), room, r, c));
            }
        }
        out
    }

    #[test]
    fn two_variants_make_a_checkerboard_and_neighbours_never_share() {
        let seats = grid("101", 5, 6);
        let plan = assign(&seats, &[1, 2], 7, &BTreeMap::new()).unwrap();
        assert!(plan.neighbours_sharing.is_empty(), "{:?}", plan.neighbours_sharing);
        for s in &seats {
            let v = plan.by_participant[&s.participant_id];
            let corner = plan.by_participant["101-1-1"];
            assert_eq!(v == corner, (s.row + s.column) % 2 == 0, "checkerboard at {}", s.seat_label());
        }
        // Both variants are used in equal numbers on an even grid.
        assert_eq!(plan.by_participant.values().filter(|&&v| v == 1).count(), 15);
    }

    #[test]
    fn the_same_seed_gives_the_same_plan_and_the_seed_chooses_the_pattern() {
        let seats: Vec<_> = ["101", "102", "103", "104", "105", "106"].iter().flat_map(|r| grid(r, 3, 3)).collect();
        let a = assign(&seats, &[1, 2, 3], 42, &BTreeMap::new()).unwrap();
        assert_eq!(a, assign(&seats, &[3, 1, 2], 42, &BTreeMap::new()).unwrap(), "deterministic in (seats, variants, seed)");
        let other =
            (0..20).map(|seed| assign(&seats, &[1, 2, 3], seed, &BTreeMap::new()).unwrap()).filter(|p| p.by_participant != a.by_participant).count();
        assert!(other > 0, "the seed never changed the pattern");
    }

    #[test]
    fn a_single_variant_is_given_to_all_and_its_shared_neighbours_are_named() {
        let seats = grid("101", 1, 3);
        let plan = assign(&seats, &[1], 1, &BTreeMap::new()).unwrap();
        assert!(plan.by_participant.values().all(|&v| v == 1));
        assert_eq!(plan.neighbours_sharing.len(), 2);
    }

    #[test]
    fn bad_variant_lists_are_refused_with_a_named_reason() {
        assert_eq!(assign(&grid("101", 1, 1), &[], 1, &BTreeMap::new()), Err(VariantError::NoVariants));
        assert_eq!(assign(&grid("101", 1, 1), &[1, 2, 2], 1, &BTreeMap::new()), Err(VariantError::Duplicate(2)));
        assert_eq!(assign(&grid("101", 1, 1), &[0, 1], 1, &BTreeMap::new()), Err(VariantError::OutOfRange(0)));
        assert!(VariantError::Duplicate(2).to_string().contains("дважды"));
    }

    #[test]
    fn a_moved_participant_gets_a_variant_other_than_the_new_neighbours() {
        let mut seats = grid("101", 3, 3);
        // Everybody's КИМ is printed except the one who moves into the free seat 2Б.
        seats.retain(|s| !(s.row == 2 && s.column == 2));
        let before = assign(&seats, &[1, 2], 5, &BTreeMap::new()).unwrap();
        let printed = before.by_participant.clone();
        let mover = seats.iter_mut().find(|s| s.participant_id == "101-1-1").unwrap();
        (mover.row, mover.column) = (2, 2);
        let mut printed_others = printed.clone();
        printed_others.remove("101-1-1");
        let after = assign(&seats, &[1, 2], 5, &printed_others).unwrap();
        assert!(after.neighbours_sharing.is_empty(), "{:?}", after.neighbours_sharing);
        assert_ne!(after.by_participant["101-1-1"], after.by_participant["101-1-2"]);
        // Nobody else changed.
        for (p, v) in &printed_others {
            assert_eq!(after.by_participant[p], *v);
        }
    }

    #[test]
    fn a_printed_copy_keeps_its_variant_and_an_unprinted_neighbour_avoids_it() {
        let seats = grid("101", 1, 3);
        let pattern = assign(&seats, &[1, 2, 3], 9, &BTreeMap::new()).unwrap();
        // The middle one holds the variant its left neighbour's seat would get.
        let forced = pattern.by_participant["101-1-1"];
        let printed: BTreeMap<String, u16> = [("101-1-2".to_string(), forced)].into();
        let plan = assign(&seats, &[1, 2, 3], 9, &printed).unwrap();
        assert_eq!(plan.by_participant["101-1-2"], forced);
        assert_ne!(plan.by_participant["101-1-1"], forced);
        assert!(plan.neighbours_sharing.is_empty());
    }

    proptest! {
        #[test]
        fn neighbours_never_share_a_variant(
            rows in 1u16..8, columns in 1u16..8, rooms in 1usize..4,
            unusable in proptest::collection::vec(any::<bool>(), 64),
            k in 2u16..=4, seed in any::<u64>(),
        ) {
            let variants: Vec<u16> = (1..=k).collect();
            let mut seats = Vec::new();
            for room in 0..rooms {
                let name = format!("10{room}");
                for s in grid(&name, rows, columns) {
                    if !unusable[usize::from((s.row - 1) * columns + (s.column - 1)) % 64] {
                        seats.push(s);
                    }
                }
            }
            let plan = assign(&seats, &variants, seed, &BTreeMap::new()).unwrap();
            prop_assert_eq!(plan.by_participant.len(), seats.len());
            for a in &seats {
                for b in &seats {
                    if are_neighbours(a, b) {
                        prop_assert_ne!(plan.by_participant[&a.participant_id], plan.by_participant[&b.participant_id]);
                    }
                }
            }
            prop_assert!(plan.neighbours_sharing.is_empty());
            prop_assert!(plan.by_participant.values().all(|v| variants.contains(v)));
        }
    }
}
