//! SQL of attendance: issued sheets and exam-day events.

use rusqlite::{params, Connection, OptionalExtension};

use super::expected::PrintedForm;
use super::{kind_from_str, kind_str, EventKind, ExamEvent, IssuedSheet, PrintedStatement};

pub fn event_insert(conn: &Connection, e: &ExamEvent, recorded_at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO exam_event (exam_id, participant_id, kind, at, reason, gek_worker_id, actor, recorded_at, medical_worker_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![e.exam_id, e.participant_id, e.kind.code(), e.at, e.reason, e.gek_worker_id, e.actor, recorded_at, e.medical_worker_id],
    )?;
    Ok(())
}

/// Every event of an exam, in the order recorded.
pub fn events_for_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<ExamEvent>> {
    let mut st = conn.prepare(
        "SELECT exam_id, participant_id, kind, at, reason, gek_worker_id, actor, medical_worker_id FROM exam_event WHERE exam_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([exam_id], |r| {
        let kind: String = r.get(2)?;
        Ok(ExamEvent {
            exam_id: r.get(0)?,
            participant_id: r.get(1)?,
            kind: EventKind::parse(&kind)
                .ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, format!("event kind {kind}").into()))?,
            at: r.get(3)?,
            reason: r.get(4)?,
            gek_worker_id: r.get(5)?,
            actor: r.get(6)?,
            medical_worker_id: r.get(7)?,
        })
    })?;
    rows.collect()
}

/// The next free sheet number of an exam at an exam point (numbers are never reused, even
/// for voided sheets).
pub fn next_sheet_number(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<u32> {
    let max: Option<u32> =
        conn.query_row("SELECT MAX(number) FROM sheet_issue WHERE exam_id = ?1 AND ppe_code = ?2", params![exam_id, ppe_code], |r| r.get(0))?;
    Ok(max.unwrap_or(0) + 1)
}

pub fn sheet_insert(conn: &Connection, s: &IssuedSheet, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO sheet_issue (exam_id, ppe_code, kind, number, participant_id, kit, status, issued_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'issued', ?7)",
        params![s.exam_id, s.ppe_code, kind_str(s.kind), s.number, s.participant_id, s.kit, at],
    )?;
    Ok(())
}

/// Voids every issued sheet of a participant; returns how many.
pub fn sheets_void_for_participant(conn: &Connection, exam_id: &str, participant_id: &str, at: &str, reason: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE sheet_issue SET status = 'voided', voided_at = ?3, void_reason = ?4 WHERE exam_id = ?1 AND participant_id = ?2 AND status = 'issued'",
        params![exam_id, participant_id, at, reason],
    )
}

/// The newest kit number of a participant (0 when none was issued).
pub fn kit_latest(conn: &Connection, exam_id: &str, participant_id: &str) -> rusqlite::Result<u32> {
    Ok(conn
        .query_row("SELECT MAX(kit) FROM sheet_issue WHERE exam_id = ?1 AND participant_id = ?2", params![exam_id, participant_id], |r| {
            r.get::<_, Option<u32>>(0)
        })
        .optional()?
        .flatten()
        .unwrap_or(0))
}

/// Every sheet of an exam at an exam point (voided ones too), by number.
pub fn issued_sheets(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<IssuedSheet>> {
    let mut st = conn.prepare(
        "SELECT exam_id, ppe_code, kind, number, participant_id, kit, status FROM sheet_issue WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY number",
    )?;
    let rows = st.query_map(params![exam_id, ppe_code], |r| {
        let kind: String = r.get(2)?;
        let status: String = r.get(6)?;
        Ok(IssuedSheet {
            exam_id: r.get(0)?,
            ppe_code: r.get(1)?,
            kind: kind_from_str(&kind)
                .ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, format!("sheet kind {kind}").into()))?,
            number: r.get(3)?,
            participant_id: r.get(4)?,
            kit: r.get(5)?,
            voided: status == "voided",
        })
    })?;
    rows.collect()
}

/// Records the sheet numbers a printed form's pages took in this print (each with its page),
/// replacing what an earlier print of the same holder recorded.
pub fn statement_sheets_replace(
    tx: &rusqlite::Transaction<'_>,
    exam_id: &str,
    ppe_code: &str,
    printed: &PrintedStatement,
    now: &str,
) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM statement_sheet WHERE exam_id = ?1 AND ppe_code = ?2 AND holder = ?3", params![exam_id, ppe_code, printed.holder])?;
    let mut st = tx.prepare(
        "INSERT INTO statement_sheet (exam_id, ppe_code, holder, form, number, required, printed_at, auditorium, participant_id, page, pages)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let pages = printed.numbers.len() as i64;
    for (i, n) in printed.numbers.iter().enumerate() {
        st.execute(params![
            exam_id,
            ppe_code,
            printed.holder,
            printed.form,
            n,
            i64::from(printed.required),
            now,
            printed.auditorium,
            printed.participant_id,
            i as i64 + 1,
            pages
        ])?;
    }
    Ok(())
}

/// The printed-forms record of an exam at an exam point: every printed copy with its pages'
/// numbers in page order, copies in the order of their first number.
pub fn printed_forms(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<PrintedForm>> {
    let mut st = conn.prepare(
        "SELECT holder, form, auditorium, participant_id, number, required FROM statement_sheet WHERE exam_id = ?1 AND ppe_code = ?2
         ORDER BY holder, page, number",
    )?;
    let rows = st.query_map(params![exam_id, ppe_code], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, u32>(4)?,
            r.get::<_, i64>(5)? != 0,
        ))
    })?;
    let mut forms: Vec<(String, PrintedForm)> = Vec::new();
    for row in rows {
        let (holder, form, auditorium, participant_id, number, required) = row?;
        match forms.last_mut() {
            Some((h, f)) if *h == holder => f.numbers.push(number),
            _ => forms.push((holder, PrintedForm { form, auditorium, participant_id, numbers: vec![number], required })),
        }
    }
    let mut forms: Vec<PrintedForm> = forms.into_iter().map(|(_, f)| f).collect();
    forms.sort_by_key(|f| f.numbers.first().copied());
    Ok(forms)
}
