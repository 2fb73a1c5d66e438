//! The marks use cases: read a scanned page of a machine-read form as the intake stores it
//! (inside the intake's transaction, with an audit entry), a person's value for a flagged
//! field (one transaction with its audit entry), and the answers the bundle's records carry.

use anyhow::Context;

use super::store::{self as marks_store, MarkFieldRow};
use super::{check_absences, valid_value, FieldReading, FieldState, LocatedPage, MarksError};
use crate::model::ExamId;
use crate::printing::forms::machine::layout::{AbsenceLogLayout, ObservationActLayout, OBSERVATION_CHECKLIST};
use crate::printing::forms::machine::{ABSENCE_LOG_FORM, OBSERVATION_ACT_FORM};
use crate::store::Connection;

/// A matched page as the intake has it.
pub struct ScannedStatement<'a> {
    pub exam_id: &'a str,
    pub ppe_code: &'a str,
    pub page_id: &'a str,
    pub sheet_number: u32,
    pub image: &'a [u8],
}

/// Reads the marks of a page when its sheet number is one of a printed ППЭ-18-МАШ or
/// ППЭ-12-04-МАШ, and stores every field on `conn` (the intake's transaction) with an audit
/// entry. Returns how many fields wait for a person, or `None` for a page of another form.
pub fn read_page(conn: &Connection, now: &str, actor: &str, page: &ScannedStatement<'_>) -> anyhow::Result<Option<usize>> {
    let Some((holder, form, page_index)) =
        marks_store::statement_form_of(conn, page.exam_id, page.ppe_code, page.sheet_number).context("load the form of the sheet")?
    else {
        return Ok(None);
    };
    let fields = match form.as_str() {
        OBSERVATION_ACT_FORM => ObservationActLayout::new(&OBSERVATION_CHECKLIST).fields(&OBSERVATION_CHECKLIST),
        ABSENCE_LOG_FORM => AbsenceLogLayout::new().fields(page_index as usize),
        _ => return Ok(None),
    };
    let readings = match image::load_from_memory(page.image).map(|i| i.to_luma8()) {
        Err(_) => Err(MarksError::Image),
        Ok(image) => LocatedPage::locate(&image).map(|located| located.read(&fields)),
    };
    let mut readings = match readings {
        Ok(readings) => readings,
        Err(e) => vec![FieldReading {
            name: "page".into(),
            label: "лист целиком".into(),
            kind: "page",
            value: None,
            state: FieldState::Ambiguous,
            reason: e.to_string(),
        }],
    };
    if form == ABSENCE_LOG_FORM && readings.iter().all(|r| r.kind != "page") {
        let auditorium = holder.rsplit(':').next().unwrap_or_default();
        let record = crate::printing::records::absence_rows_now(conn, page.exam_id, page.ppe_code, auditorium)?;
        check_absences(&mut readings, &record);
    }
    let flagged = readings.iter().filter(|r| r.state.flagged()).count();
    for r in &readings {
        let row = MarkFieldRow {
            page_id: page.page_id.into(),
            exam_id: page.exam_id.into(),
            form: form.clone(),
            holder: holder.clone(),
            sheet_number: page.sheet_number,
            page_index,
            field: r.name.clone(),
            label: r.label.clone(),
            kind: r.kind.into(),
            value: r.value.clone(),
            state: r.state.as_str().into(),
            reason: r.reason.clone(),
            resolved_value: None,
            resolved_by: None,
            resolved_at: None,
        };
        marks_store::field_insert(conn, &row).context("store a field read")?;
    }
    let read = readings.iter().filter(|r| r.state == FieldState::Read).count();
    crate::audit::store::append(
        conn,
        now,
        crate::audit::NewEntry {
            actor,
            action: "marks.page_read",
            object: page.page_id,
            details: serde_json::json!({"exam_id": page.exam_id, "form": form, "sheet_number": page.sheet_number, "read": read, "flagged": flagged}),
        },
    )
    .context("audit")?;
    Ok(Some(flagged))
}

/// Why a person's value was refused.
#[derive(Debug, thiserror::Error)]
pub enum MarksOpsError {
    #[error("на странице {page} нет поля {field}")]
    UnknownField { page: String, field: String },
    #[error("страница {page} относится к экзамену {exam}")]
    OtherExam { page: String, exam: String },
    #[error("значение «{value}» не подходит полю «{label}»: {want}")]
    BadValue { label: String, value: String, want: &'static str },
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// A person's value for a field of a scanned page (`""` leaves it empty).
#[derive(Debug, Clone)]
pub struct ResolveRequest {
    pub exam_id: ExamId,
    pub page_id: String,
    pub field: String,
    pub value: String,
    pub actor: String,
}

/// Takes a person's value for a field: checked against the field's kind, stored with who
/// decided, in one transaction with its audit entry.
pub fn resolve(conn: &Connection, now: &str, request: &ResolveRequest) -> Result<(), MarksOpsError> {
    let row = marks_store::field_get(conn, &request.page_id, &request.field)
        .context("load the field")?
        .ok_or_else(|| MarksOpsError::UnknownField { page: request.page_id.clone(), field: request.field.clone() })?;
    if row.exam_id != request.exam_id.as_str() {
        return Err(MarksOpsError::OtherExam { page: request.page_id.clone(), exam: row.exam_id });
    }
    let value = request.value.trim();
    if !valid_value(&row.kind, value) {
        let want = if row.kind == "time" {
            "нужно время ЧЧ:ММ или пусто"
        } else {
            "нужно «да», «нет» или пусто"
        };
        return Err(MarksOpsError::BadValue { label: row.label, value: value.into(), want });
    }
    let tx = conn.unchecked_transaction().context("start transaction")?;
    marks_store::field_resolve(&tx, &request.page_id, &request.field, value, &request.actor, now).context("store the decision")?;
    crate::audit::store::append(
        &tx,
        now,
        crate::audit::NewEntry {
            actor: &request.actor,
            action: "marks.field_resolved",
            object: &request.page_id,
            details: serde_json::json!({"exam_id": row.exam_id, "form": row.form, "sheet_number": row.sheet_number, "field": row.field, "was": row.state, "value": value}),
        },
    )
    .context("audit")?;
    tx.commit().context("commit")?;
    Ok(())
}

/// The flagged fields no person has decided yet.
pub fn waiting(conn: &Connection, exam_id: &str) -> anyhow::Result<Vec<MarkFieldRow>> {
    let rows = marks_store::fields_for_exam(conn, exam_id).context("load fields read")?;
    Ok(rows.into_iter().filter(|r| FieldState::parse(&r.state).is_some_and(FieldState::flagged) && r.resolved_at.is_none()).collect())
}
