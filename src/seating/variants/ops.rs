//! The variant plan's use cases over the box database: draw (or bring up to date after moves
//! and additions) the variant of every seated participant from the seating run's seed, and
//! mark whose КИМ was printed. Each is one transaction with its audit entry.

use std::collections::BTreeMap;

use anyhow::Context;

use super::store::{self, VariantRow};
use crate::audit::{self, NewEntry};
use crate::model::seat_label;
use crate::store::Connection;

/// What [`ensure`] left in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantOutcome {
    pub by_participant: BTreeMap<String, u16>,
    /// Participants whose variant or seat was written now.
    pub changed: usize,
    /// Neighbours holding the same variant (a single-variant package, or printed copies).
    pub neighbours_sharing: usize,
}

/// Brings the variant plan of an exam at an exam point in line with its seating and the
/// package's variants: the seed is the latest seating run's; participants whose КИМ was
/// printed keep theirs. Writes and audits (`variant.assign`) only what changed.
pub fn ensure(conn: &mut Connection, now: &str, actor: &str, exam_id: &str, ppe_code: &str, variants: &[u16]) -> anyhow::Result<VariantOutcome> {
    let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, exam_id)
        .context("load seating")?
        .into_iter()
        .filter(|s| s.ppe_code == ppe_code)
        .collect();
    let seed = crate::seating::store::seating_run_latest(conn, exam_id, ppe_code).context("load seating run")?.map(|r| r.0).unwrap_or(0);
    let stored: BTreeMap<String, VariantRow> =
        store::variants_for_exam(conn, exam_id, ppe_code).context("load variants")?.into_iter().map(|v| (v.participant_id.clone(), v)).collect();
    let printed: BTreeMap<String, u16> =
        stored.values().filter(|v| v.kim_printed_at.is_some()).map(|v| (v.participant_id.clone(), v.variant)).collect();
    let plan = super::assign(&seats, variants, seed, &printed)?;
    let mut changes = Vec::new();
    for s in &seats {
        let variant = plan.by_participant[&s.participant_id];
        let row = VariantRow {
            participant_id: s.participant_id.clone(),
            auditorium: s.auditorium.clone(),
            row: s.row,
            column: s.column,
            variant,
            seed,
            kim_printed_at: None,
        };
        let before = stored.get(&s.participant_id);
        let same = before.is_some_and(|b| (b.variant, &b.auditorium, b.row, b.column, b.seed) == (variant, &s.auditorium, s.row, s.column, seed));
        if !same {
            changes.push((row, before.map(|b| b.variant)));
        }
    }
    let gone: Vec<&String> = stored.keys().filter(|p| !plan.by_participant.contains_key(*p)).collect();
    let outcome =
        VariantOutcome { by_participant: plan.by_participant.clone(), changed: changes.len(), neighbours_sharing: plan.neighbours_sharing.len() };
    if changes.is_empty() && gone.is_empty() {
        return Ok(outcome);
    }
    let tx = conn.transaction()?;
    for (row, _) in &changes {
        store::variant_upsert(&tx, exam_id, ppe_code, row, now)?;
    }
    for p in &gone {
        store::variant_delete_unprinted(&tx, exam_id, p)?;
    }
    let mut sorted = variants.to_vec();
    sorted.sort_unstable();
    audit::store::append(
        &tx,
        now,
        NewEntry {
            actor,
            action: "variant.assign",
            object: exam_id,
            details: serde_json::json!({
                "ppe_code": ppe_code, "seed": seed, "variants": sorted, "seated": seats.len(),
                "neighbours_sharing": plan.neighbours_sharing.len(), "removed": gone,
                "changed": changes.iter().map(|(r, from)| serde_json::json!({
                    "participant_id": r.participant_id, "auditorium": r.auditorium, "seat": seat_label(r.row, r.column), "variant": r.variant, "from": from,
                })).collect::<Vec<_>>(),
            }),
        },
    )?;
    tx.commit()?;
    Ok(outcome)
}

/// The stored variant of each participant of an exam at an exam point (empty before [`ensure`]).
pub fn variants_of(conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<BTreeMap<String, u16>> {
    Ok(store::variants_for_exam(conn, exam_id, ppe_code).context("load variants")?.into_iter().map(|v| (v.participant_id, v.variant)).collect())
}

/// The participants whose КИМ was printed: never printed for them again.
pub fn printed_of(conn: &Connection, exam_id: &str, ppe_code: &str) -> anyhow::Result<std::collections::BTreeSet<String>> {
    Ok(store::variants_for_exam(conn, exam_id, ppe_code)
        .context("load variants")?
        .into_iter()
        .filter(|v| v.kim_printed_at.is_some())
        .map(|v| v.participant_id)
        .collect())
}

/// Records that one print job carried the КИМ of these participants (all of one variant).
#[allow(clippy::too_many_arguments)]
pub fn mark_kim_printed(
    conn: &mut Connection,
    now: &str,
    actor: &str,
    exam_id: &str,
    ppe_code: &str,
    print_job: i64,
    variant: u16,
    participants: &[String],
) -> anyhow::Result<()> {
    let tx = conn.transaction()?;
    store::kim_printed_mark(&tx, exam_id, participants, now)?;
    audit::store::append(
        &tx,
        now,
        NewEntry {
            actor,
            action: "variant.kim_printed",
            object: exam_id,
            details: serde_json::json!({"ppe_code": ppe_code, "print_job": print_job, "variant": variant, "participants": participants}),
        },
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seating::ops::Change;

    fn seated_box() -> (Connection, String) {
        let mut conn = crate::store::open_in_memory().unwrap();
        let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 30, ..Default::default() });
        let ppe = plan.exam_points[0].ppe_code.clone();
        let tx = conn.transaction().unwrap();
        crate::plan::store::replace_plan(&tx, &plan, "t", "t", "t").unwrap();
        tx.commit().unwrap();
        crate::seating::ops::run(&mut conn, "2027-05-26T00:00:00Z", "t", "ege-02", &ppe, 77, crate::seating::SeatingRules::default()).unwrap();
        (conn, ppe)
    }

    fn audits(conn: &Connection, action: &str) -> Vec<serde_json::Value> {
        crate::audit::store::all(conn).unwrap().into_iter().filter(|e| e.action == action).map(|e| e.details).collect()
    }

    #[test]
    fn the_plan_is_drawn_once_audited_and_followed_by_a_move() {
        let (mut conn, ppe) = seated_box();
        let first = ensure(&mut conn, "2027-05-27T02:00:00Z", "t", "ege-02", &ppe, &[2, 1]).unwrap();
        let seats = crate::seating::store::seat_assignments_for_exam(&conn, "ege-02").unwrap();
        assert_eq!((first.changed, first.by_participant.len(), first.neighbours_sharing), (seats.len(), seats.len(), 0));
        let entry = &audits(&conn, "variant.assign")[0];
        assert_eq!((entry["seed"].as_u64(), entry["variants"].clone()), (Some(77), serde_json::json!([1, 2])));
        // Nothing changed: nothing written, no second entry.
        assert_eq!(ensure(&mut conn, "2027-05-27T02:01:00Z", "t", "ege-02", &ppe, &[1, 2]).unwrap().changed, 0);
        assert_eq!(audits(&conn, "variant.assign").len(), 1);

        // A recorded move to a free seat: only the mover changes, and differs from the new neighbours.
        let mover = seats[0].participant_id.clone();
        let room = seats[0].auditorium.clone();
        let taken: Vec<(u16, u16)> = seats.iter().filter(|s| s.auditorium == room).map(|s| (s.row, s.column)).collect();
        let free = (1..=10u16)
            .flat_map(|r| (1..=6u16).map(move |c| (r, c)))
            .find(|p| !taken.contains(p) && taken.iter().any(|t| t.0.abs_diff(p.0) + t.1.abs_diff(p.1) == 1))
            .unwrap();
        let label = crate::model::seat_label(free.0, free.1);
        let change = Change::Move { participant_id: &mover, to_auditorium: &room, to_seat: Some(&label) };
        crate::seating::ops::change(
            &mut conn,
            "2027-05-27T02:02:00Z",
            "t",
            "пересадка по медицинским показаниям",
            "ege-02",
            &ppe,
            change,
            crate::seating::SeatingRules::default(),
        )
        .unwrap();
        let after = ensure(&mut conn, "2027-05-27T02:03:00Z", "t", "ege-02", &ppe, &[1, 2]).unwrap();
        assert_eq!(after.changed, 1);
        assert_eq!(after.neighbours_sharing, 0);
        let seats = crate::seating::store::seat_assignments_for_exam(&conn, "ege-02").unwrap();
        let moved = seats.iter().find(|s| s.participant_id == mover).unwrap();
        for n in seats.iter().filter(|n| super::super::are_neighbours(moved, n)) {
            assert_ne!(after.by_participant[&mover], after.by_participant[&n.participant_id]);
        }
        assert_eq!(variants_of(&conn, "ege-02", &ppe).unwrap(), after.by_participant);
    }

    #[test]
    fn a_printed_copy_keeps_its_variant_when_the_package_changes() {
        let (mut conn, ppe) = seated_box();
        let first = ensure(&mut conn, "2027-05-27T02:00:00Z", "t", "ege-02", &ppe, &[1, 2]).unwrap();
        let (who, held) = first.by_participant.iter().next().map(|(p, v)| (p.clone(), *v)).unwrap();
        mark_kim_printed(&mut conn, "2027-05-27T03:00:00Z", "t", "ege-02", &ppe, 1, held, std::slice::from_ref(&who)).unwrap();
        assert_eq!(printed_of(&conn, "ege-02", &ppe).unwrap().into_iter().collect::<Vec<_>>(), vec![who.clone()]);
        assert_eq!(audits(&conn, "variant.kim_printed").len(), 1);
        // A republished package with other variants: everyone else follows it; the printed copy stays.
        let again = ensure(&mut conn, "2027-05-27T03:05:00Z", "t", "ege-02", &ppe, &[3, 4, 5]).unwrap();
        assert_eq!(again.by_participant[&who], held);
        assert!(again.by_participant.iter().filter(|(p, _)| **p != who).all(|(_, v)| [3, 4, 5].contains(v)));
    }
}
