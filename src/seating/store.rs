//! SQL of seating: the seat of each participant per exam.

use rusqlite::{params, Connection, Transaction};

use crate::model::SeatAssignment;

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SeatAssignment> {
    Ok(SeatAssignment {
        exam_id: r.get(0)?,
        participant_id: r.get(1)?,
        ppe_code: r.get(2)?,
        auditorium: r.get(3)?,
        row: r.get(4)?,
        column: r.get(5)?,
        manual: r.get(6)?,
    })
}

/// Every seat of an exam, ordered by auditorium and seat.
pub fn seat_assignments_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<SeatAssignment>> {
    let mut st = conn.prepare(
        "SELECT exam_id, participant_id, ppe_code, auditorium, row, col, manual FROM seat_assignment
         WHERE exam_id = ?1 ORDER BY ppe_code, auditorium, row, col",
    )?;
    let rows = st.query_map([exam_id], from_row)?;
    rows.collect()
}

/// Every seat at an exam point, of every exam (the point's day shares its rooms).
pub fn seat_assignments_for_point(conn: &Connection, ppe_code: &str) -> rusqlite::Result<Vec<SeatAssignment>> {
    let mut st = conn.prepare(
        "SELECT exam_id, participant_id, ppe_code, auditorium, row, col, manual FROM seat_assignment
         WHERE ppe_code = ?1 ORDER BY exam_id, auditorium, row, col",
    )?;
    let rows = st.query_map([ppe_code], from_row)?;
    rows.collect()
}

/// Replaces the whole seating of an exam at an exam point (one transaction is the caller's).
pub fn replace_seating(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, seats: &[SeatAssignment]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM seat_assignment WHERE exam_id = ?1 AND ppe_code = ?2", params![exam_id, ppe_code])?;
    let mut st = tx.prepare("INSERT INTO seat_assignment (exam_id, participant_id, ppe_code, auditorium, row, col, manual) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
    for s in seats {
        st.execute(params![s.exam_id, s.participant_id, s.ppe_code, s.auditorium, s.row, s.column, s.manual])?;
    }
    Ok(())
}

/// Records a seating run (seed, input hash, quality) beside its result.
pub fn seating_run_insert(tx: &Transaction<'_>, run: &crate::seating::Seating, at: &str, actor: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO seating_run (exam_id, ppe_code, seed, input_hash, same_school_pairs, same_school_lower_bound, rooms_used, at, actor)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![run.exam_id, run.ppe_code, run.seed as i64, run.input_hash, run.same_school_pairs as i64, run.same_school_lower_bound as i64, run.rooms_used.join(";"), at, actor],
    )?;
    Ok(())
}

/// The latest run of an exam at an exam point: (seed, input hash, pairs, lower bound).
pub fn seating_run_latest(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Option<(u64, String, i64, i64)>> {
    use rusqlite::OptionalExtension;
    conn.query_row(
        "SELECT seed, input_hash, same_school_pairs, same_school_lower_bound FROM seating_run WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY id DESC LIMIT 1",
        params![exam_id, ppe_code],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .optional()
}

/// Writes one participant's seat (after a move, a closed room or a late addition).
pub fn seat_upsert(tx: &Transaction<'_>, s: &SeatAssignment) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO seat_assignment (exam_id, participant_id, ppe_code, auditorium, row, col, manual) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(exam_id, participant_id) DO UPDATE SET ppe_code=excluded.ppe_code, auditorium=excluded.auditorium, row=excluded.row, col=excluded.col, manual=excluded.manual",
        params![s.exam_id, s.participant_id, s.ppe_code, s.auditorium, s.row, s.column, s.manual],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_cannot_be_taken_twice() {
        let mut conn = crate::store::open_in_memory().unwrap();
        let plan = crate::demo::generate::generate_region(&crate::demo::generate::RegionParams { points: 1, participants: 20, ..Default::default() });
        let tx = conn.transaction().unwrap();
        crate::plan::store::replace_plan(&tx, &plan, "t", "t", "t").unwrap();
        let regs: Vec<_> = plan.registrations.iter().filter(|r| r.exam_id == "ege-02").take(2).collect();
        let seat = |pid: &str| SeatAssignment { exam_id: "ege-02".into(), participant_id: pid.into(), ppe_code: regs[0].ppe_code.clone(), auditorium: "101".into(), row: 1, column: 1, manual: false };
        replace_seating(&tx, "ege-02", &regs[0].ppe_code, &[seat(&regs[0].participant_id)]).unwrap();
        assert!(replace_seating(&tx, "ege-02", &regs[0].ppe_code, &[seat(&regs[0].participant_id), seat(&regs[1].participant_id)]).is_err());
        tx.commit().unwrap();
        assert_eq!(seat_assignments_for_exam(&conn, "ege-02").unwrap().len(), 1);
    }
}
