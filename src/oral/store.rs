//! SQL of the oral queues, their events and the expert's protocols.

use rusqlite::{params, Connection, Transaction};

use super::queue::{Event, EventKind, Place};
use super::Protocol;

fn bad_text(col: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

/// Replaces the queues of an exam at a point.
pub fn places_replace(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, places: &[Place]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM oral_place WHERE exam_id = ?1 AND ppe_code = ?2", params![exam_id, ppe_code])?;
    let mut st = tx.prepare("INSERT INTO oral_place (exam_id, ppe_code, participant_id, auditorium, position) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for p in places {
        st.execute(params![exam_id, ppe_code, p.participant_id, p.auditorium, p.position])?;
    }
    Ok(())
}

/// Puts one participant at a place (a late arrival at the end, a move to another room).
pub fn place_set(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, place: &Place) -> rusqlite::Result<bool> {
    let n = tx.execute(
        "UPDATE oral_place SET auditorium = ?4, position = ?5 WHERE exam_id = ?1 AND ppe_code = ?2 AND participant_id = ?3",
        params![exam_id, ppe_code, place.participant_id, place.auditorium, place.position],
    )?;
    Ok(n == 1)
}

pub fn places(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<Place>> {
    let mut st = conn
        .prepare("SELECT participant_id, auditorium, position FROM oral_place WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY auditorium, position")?;
    let rows = st.query_map(params![exam_id, ppe_code], |r| Ok(Place { participant_id: r.get(0)?, auditorium: r.get(1)?, position: r.get(2)? }))?;
    rows.collect()
}

pub fn event_insert(tx: &Transaction<'_>, exam_id: &str, ppe_code: &str, e: &Event, actor: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO oral_event (exam_id, ppe_code, participant_id, kind, auditorium, at, reason, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![exam_id, ppe_code, e.participant_id, e.kind.code(), e.auditorium, e.at, e.reason, actor],
    )?;
    Ok(())
}

/// The events of an exam at a point in the order recorded.
pub fn events(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<Event>> {
    let mut st =
        conn.prepare("SELECT participant_id, kind, auditorium, at, reason FROM oral_event WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY id")?;
    let rows = st.query_map(params![exam_id, ppe_code], |r| {
        let kind: String = r.get(1)?;
        Ok(Event {
            participant_id: r.get(0)?,
            kind: EventKind::parse(&kind)
                .ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, format!("unknown event {kind:?}").into()))?,
            auditorium: r.get(2)?,
            at: r.get(3)?,
            reason: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// Stores a protocol; false when the participant already has one.
pub fn protocol_insert(tx: &Transaction<'_>, p: &Protocol) -> rusqlite::Result<bool> {
    let score = serde_json::to_string(&p.score).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let n = tx.execute(
        "INSERT INTO oral_protocol (exam_id, ppe_code, participant_id, auditorium, expert_worker_id, expert_login, scale, score, scored_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
        params![p.exam_id, p.ppe_code, p.participant_id, p.auditorium, p.expert_worker_id, p.expert_login, p.scale, score, p.scored_at],
    )?;
    Ok(n == 1)
}

/// The protocols of an exam at a point, by room and participant.
pub fn protocols(conn: &Connection, exam_id: &str, ppe_code: &str) -> rusqlite::Result<Vec<Protocol>> {
    let mut st = conn.prepare(
        "SELECT exam_id, ppe_code, participant_id, auditorium, expert_worker_id, expert_login, scale, score, scored_at
         FROM oral_protocol WHERE exam_id = ?1 AND ppe_code = ?2 ORDER BY auditorium, participant_id",
    )?;
    let rows = st.query_map(params![exam_id, ppe_code], |r| {
        let score: String = r.get(7)?;
        Ok(Protocol {
            exam_id: r.get(0)?,
            ppe_code: r.get(1)?,
            participant_id: r.get(2)?,
            auditorium: r.get(3)?,
            expert_worker_id: r.get(4)?,
            expert_login: r.get(5)?,
            scale: r.get(6)?,
            score: serde_json::from_str(&score).map_err(|e| bad_text(7, e))?,
            scored_at: r.get(8)?,
        })
    })?;
    rows.collect()
}
