//! SQL of the plan: replace it as a whole in one transaction, read it back; the record of
//! every import (what it took, changed and why).

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::model::*;

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn doc_key(doc_type: DocType, series: &str, number: &str) -> String {
    format!("{}|{}|{}", doc_type.code(), series.to_uppercase(), number)
}

/// Makes `plan` the current plan and records the import with its source only (the box's
/// sync of its slice). One transaction.
pub fn replace_plan(tx: &Transaction<'_>, plan: &Plan, imported_at: &str, source: &str, sha256: &str) -> rusqlite::Result<()> {
    write_plan(tx, plan)?;
    record_import(tx, &ImportRecord { imported_at, source, sha256, counts: plan.counts(), ..ImportRecord::default() })?;
    Ok(())
}

/// One row of `plan_import`.
#[derive(Debug, Clone, Default)]
pub struct ImportRecord<'a> {
    pub imported_at: &'a str,
    pub source: &'a str,
    pub sha256: &'a str,
    pub counts: PlanCounts,
    pub actor: &'a str,
    /// The tables of the file taken, comma-separated.
    pub tables: &'a str,
    pub scope: &'a str,
    /// Keys added, changed and removed per table (no names).
    pub diff: serde_json::Value,
    pub reason: &'a str,
    pub letter: &'a str,
    /// The refusals overridden with `--force`, in words.
    pub forced: Vec<String>,
}

pub fn record_import(tx: &Transaction<'_>, r: &ImportRecord<'_>) -> rusqlite::Result<i64> {
    let diff = if r.diff.is_null() { "{}".to_string() } else { r.diff.to_string() };
    tx.execute(
        "INSERT INTO plan_import (imported_at, source, sha256, counts, actor, tables, scope, diff, reason, letter, forced)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            r.imported_at,
            r.source,
            r.sha256,
            serde_json::to_string(&r.counts).map_err(json_err)?,
            r.actor,
            r.tables,
            r.scope,
            diff,
            r.reason,
            r.letter,
            serde_json::to_string(&r.forced).map_err(json_err)?
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The id of the latest import (0 for none): an import computed outside its transaction
/// checks inside it that nobody imported in between.
pub fn last_import_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(id), 0) FROM plan_import", [], |r| r.get(0))
}

/// A stored import record, as `ppe hub plan-log` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub id: i64,
    pub imported_at: String,
    pub source: String,
    pub sha256: String,
    pub actor: String,
    pub tables: String,
    pub scope: String,
    pub diff: serde_json::Value,
    pub reason: String,
    pub letter: String,
    pub forced: Vec<String>,
}

/// The latest `limit` imports, newest first.
pub fn import_list(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<ImportRow>> {
    let mut st = conn.prepare(
        "SELECT id, imported_at, source, sha256, actor, tables, scope, diff, reason, letter, forced FROM plan_import ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = st.query_map([limit as i64], |r| {
        Ok(ImportRow {
            id: r.get(0)?,
            imported_at: r.get(1)?,
            source: r.get(2)?,
            sha256: r.get(3)?,
            actor: r.get(4)?,
            tables: r.get(5)?,
            scope: r.get(6)?,
            diff: parse_json(7, r.get(7)?)?,
            reason: r.get(8)?,
            letter: r.get(9)?,
            forced: parse_json(10, r.get(10)?)?,
        })
    })?;
    rows.collect()
}

/// Writes `plan` as the current plan: upserts every record, removes records the new plan no
/// longer has, replaces registrations and worker assignments. Inside the caller's transaction.
pub fn write_plan(tx: &Transaction<'_>, plan: &Plan) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM registration", [])?;
    tx.execute("DELETE FROM worker_assignment", [])?;
    tx.execute("DELETE FROM observer_assignment", [])?;
    {
        let mut st = tx.prepare(
            "INSERT INTO exam VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
             ON CONFLICT(exam_id) DO UPDATE SET kind=excluded.kind, level=excluded.level, subject_code=excluded.subject_code,
               subject_name=excluded.subject_name, date=excluded.date, start=excluded.start, duration_min=excluded.duration_min,
               materials_open_before_min=excluded.materials_open_before_min,
               materials_close_after_start_min=excluded.materials_close_after_start_min,
               upload_deadline_after_end_min=excluded.upload_deadline_after_end_min, utc_offset_min=excluded.utc_offset_min,
               kit=excluded.kit, kim_print=excluded.kim_print, technology=excluded.technology,
               materials_open_at=excluded.materials_open_at, documents_open_at=excluded.documents_open_at, upload_due_at=excluded.upload_due_at",
        )?;
        for e in &plan.exams {
            st.execute(params![
                e.exam_id,
                e.kind.code(),
                e.level,
                e.subject_code,
                e.subject_name,
                e.date,
                e.start,
                e.duration_min,
                e.materials_open_before_min,
                e.materials_close_after_start_min,
                e.upload_deadline_after_end_min,
                e.utc_offset_min,
                e.kit,
                e.kim_print.code(),
                e.technology.map_or("", |t| t.code()),
                e.materials_open_at,
                e.documents_open_at,
                e.upload_due_at
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO exam_point VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(ppe_code) DO UPDATE SET name=excluded.name, address=excluded.address, ate_code=excluded.ate_code, ate_name=excluded.ate_name,
               point_type=excluded.point_type, utc_offset_min=excluded.utc_offset_min",
        )?;
        for p in &plan.exam_points {
            st.execute(params![p.ppe_code, p.name, p.address, p.ate_code, p.ate_name, p.point_type.code(), p.utc_offset_min])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO auditorium VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT(ppe_code, auditorium) DO UPDATE SET rows=excluded.rows, columns=excluded.columns, capacity=excluded.capacity,
               special_needs=excluded.special_needs, video=excluded.video, oral=excluded.oral, reserve=excluded.reserve,
               unusable_seats=excluded.unusable_seats, floor=excluded.floor, room_kind=excluded.room_kind",
        )?;
        for a in &plan.auditoriums {
            st.execute(params![
                a.ppe_code,
                a.auditorium,
                a.rows,
                a.columns,
                a.capacity,
                a.special_needs,
                a.video,
                a.oral,
                a.reserve,
                a.unusable_seats,
                a.floor,
                a.room_kind.map_or("", |k| k.code())
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO participant VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(participant_id) DO UPDATE SET surname=excluded.surname, name=excluded.name, school_code=excluded.school_code,
               doc_key=excluded.doc_key, record=excluded.record",
        )?;
        for p in &plan.participants {
            let record = serde_json::to_string(p).map_err(json_err)?;
            st.execute(params![p.participant_id, p.surname, p.name, p.school_code, doc_key(p.doc_type, &p.doc_series, &p.doc_number), record])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO worker VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(worker_id) DO UPDATE SET surname=excluded.surname, name=excluded.name, record=excluded.record",
        )?;
        for w in &plan.workers {
            st.execute(params![w.worker_id, w.surname, w.name, serde_json::to_string(w).map_err(json_err)?])?;
        }
        let mut st = tx.prepare("INSERT INTO registration VALUES (?1, ?2, ?3)")?;
        for r in &plan.registrations {
            st.execute(params![r.exam_id, r.participant_id, r.ppe_code])?;
        }
        let mut st = tx.prepare("INSERT INTO worker_assignment VALUES (?1, ?2, ?3, ?4)")?;
        for w in &plan.worker_assignments {
            st.execute(params![w.worker_id, w.ppe_code, w.date, w.reserve])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO observer VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(observer_id) DO UPDATE SET surname=excluded.surname, name=excluded.name, record=excluded.record",
        )?;
        for o in &plan.observers {
            st.execute(params![o.observer_id, o.surname, o.name, serde_json::to_string(o).map_err(json_err)?])?;
        }
        let mut st = tx.prepare("INSERT INTO observer_assignment VALUES (?1, ?2, ?3)")?;
        for o in &plan.observer_assignments {
            st.execute(params![o.observer_id, o.ppe_code, o.date])?;
        }
    }
    remove_absent(tx, "observer", "observer_id", plan.observers.iter().map(|o| o.observer_id.clone()))?;
    remove_absent(tx, "auditorium", "ppe_code || '/' || auditorium", plan.auditoriums.iter().map(|a| format!("{}/{}", a.ppe_code, a.auditorium)))?;
    remove_absent(tx, "participant", "participant_id", plan.participants.iter().map(|p| p.participant_id.clone()))?;
    remove_absent(tx, "worker", "worker_id", plan.workers.iter().map(|w| w.worker_id.clone()))?;
    remove_absent(tx, "exam_point", "ppe_code", plan.exam_points.iter().map(|p| p.ppe_code.clone()))?;
    remove_absent(tx, "exam", "exam_id", plan.exams.iter().map(|e| e.exam_id.clone()))?;
    Ok(())
}

fn remove_absent(tx: &Transaction<'_>, table: &str, key_sql: &str, keep: impl Iterator<Item = String>) -> rusqlite::Result<()> {
    let keep: HashSet<String> = keep.collect();
    let existing: Vec<String> = {
        let mut st = tx.prepare(&format!("SELECT {key_sql} FROM {table}"))?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut del = tx.prepare(&format!("DELETE FROM {table} WHERE {key_sql} = ?1"))?;
    for key in existing.into_iter().filter(|k| !keep.contains(k)) {
        del.execute([key])?;
    }
    Ok(())
}

fn parse_json<T: serde::de::DeserializeOwned>(col: usize, text: String) -> rusqlite::Result<T> {
    serde_json::from_str(&text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e)))
}

fn parse_code<T>(col: usize, text: String, parse: impl Fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    parse(&text).ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, format!("unknown code {text:?}").into()))
}

fn exam_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Exam> {
    Ok(Exam {
        exam_id: r.get(0)?,
        kind: parse_code(1, r.get(1)?, ExamKind::parse)?,
        level: r.get(2)?,
        subject_code: r.get(3)?,
        subject_name: r.get(4)?,
        date: r.get(5)?,
        start: r.get(6)?,
        duration_min: r.get(7)?,
        materials_open_before_min: r.get(8)?,
        materials_close_after_start_min: r.get(9)?,
        upload_deadline_after_end_min: r.get(10)?,
        utc_offset_min: r.get(11)?,
        kit: r.get(12)?,
        kim_print: parse_code(13, r.get(13)?, KimPrint::parse)?,
        technology: parse_code(14, r.get(14)?, crate::model::Technology::parse)?,
        materials_open_at: r.get(15)?,
        documents_open_at: r.get(16)?,
        upload_due_at: r.get(17)?,
    })
}

pub fn exam_get(conn: &Connection, exam_id: &str) -> rusqlite::Result<Option<Exam>> {
    conn.query_row("SELECT * FROM exam WHERE exam_id = ?1", [exam_id], exam_from_row).optional()
}

pub fn exam_list(conn: &Connection) -> rusqlite::Result<Vec<Exam>> {
    let mut st = conn.prepare("SELECT * FROM exam ORDER BY date, start, exam_id")?;
    let rows = st.query_map([], exam_from_row)?;
    rows.collect()
}

pub fn exam_point_get(conn: &Connection, ppe_code: &str) -> rusqlite::Result<Option<ExamPoint>> {
    conn.query_row(&format!("SELECT {EXAM_POINT_COLUMNS} FROM exam_point WHERE ppe_code = ?1"), [ppe_code], exam_point_from_row).optional()
}

const EXAM_POINT_COLUMNS: &str = "ppe_code, name, address, ate_code, ate_name, point_type, utc_offset_min";

fn exam_point_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExamPoint> {
    Ok(ExamPoint {
        ppe_code: r.get(0)?,
        name: r.get(1)?,
        address: r.get(2)?,
        ate_code: r.get(3)?,
        ate_name: r.get(4)?,
        point_type: parse_code(5, r.get(5)?, PointType::parse)?,
        utc_offset_min: r.get(6)?,
    })
}

pub fn exam_point_list(conn: &Connection) -> rusqlite::Result<Vec<ExamPoint>> {
    let mut st = conn.prepare(&format!("SELECT {EXAM_POINT_COLUMNS} FROM exam_point ORDER BY ppe_code"))?;
    let rows = st.query_map([], exam_point_from_row)?;
    rows.collect()
}

/// The exam points where an exam is held (those with registrations for it).
pub fn exam_points_of_exam(conn: &Connection, exam_id: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare("SELECT DISTINCT ppe_code FROM registration WHERE exam_id = ?1 ORDER BY ppe_code")?;
    let rows = st.query_map([exam_id], |r| r.get(0))?;
    rows.collect()
}

/// How many public observers are accredited for an exam point on a date (ППЭ-18-МАШ is then
/// required back from the scanner).
pub fn observers_at(conn: &Connection, ppe_code: &str, date: &str) -> rusqlite::Result<u32> {
    conn.query_row(
        "SELECT COUNT(DISTINCT observer_id) FROM observer_assignment WHERE ppe_code = ?1 AND date = ?2",
        rusqlite::params![ppe_code, date],
        |r| r.get(0),
    )
}

/// The whole plan, in a stable order.
pub fn load_plan(conn: &Connection) -> rusqlite::Result<Plan> {
    let mut plan = Plan { exams: exam_list(conn)?, ..Plan::default() };
    {
        plan.exam_points = exam_point_list(conn)?;
        let mut st = conn.prepare(
            "SELECT ppe_code, auditorium, rows, columns, capacity, special_needs, video, oral, reserve, unusable_seats, floor, room_kind
             FROM auditorium ORDER BY ppe_code, auditorium",
        )?;
        plan.auditoriums = st
            .query_map([], |r| {
                Ok(Auditorium {
                    ppe_code: r.get(0)?,
                    auditorium: r.get(1)?,
                    rows: r.get(2)?,
                    columns: r.get(3)?,
                    capacity: r.get(4)?,
                    special_needs: r.get(5)?,
                    video: r.get(6)?,
                    oral: r.get(7)?,
                    reserve: r.get(8)?,
                    unusable_seats: r.get(9)?,
                    floor: r.get(10)?,
                    room_kind: parse_code(11, r.get(11)?, crate::model::RoomKind::parse)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare("SELECT record FROM participant ORDER BY participant_id")?;
        plan.participants = st.query_map([], |r| parse_json(0, r.get(0)?))?.collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare("SELECT exam_id, participant_id, ppe_code FROM registration ORDER BY exam_id, participant_id")?;
        plan.registrations = st
            .query_map([], |r| Ok(Registration { exam_id: r.get(0)?, participant_id: r.get(1)?, ppe_code: r.get(2)? }))?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare("SELECT record FROM worker ORDER BY worker_id")?;
        plan.workers = st.query_map([], |r| parse_json(0, r.get(0)?))?.collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare("SELECT worker_id, ppe_code, date, reserve FROM worker_assignment ORDER BY ppe_code, date, worker_id")?;
        plan.worker_assignments = st
            .query_map([], |r| Ok(WorkerAssignment { worker_id: r.get(0)?, ppe_code: r.get(1)?, date: r.get(2)?, reserve: r.get(3)? }))?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare("SELECT record FROM observer ORDER BY observer_id")?;
        plan.observers = st.query_map([], |r| parse_json(0, r.get(0)?))?.collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare("SELECT observer_id, ppe_code, date FROM observer_assignment ORDER BY ppe_code, date, observer_id")?;
        plan.observer_assignments = st
            .query_map([], |r| Ok(ObserverAssignment { observer_id: r.get(0)?, ppe_code: r.get(1)?, date: r.get(2)? }))?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(plan)
}
