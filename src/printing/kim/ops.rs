//! The КИМ print use case (`ppe edge print --what kim`, the UI's print page): the exam's
//! policy and start decide for whom and from when (`kim::print_from`, `kim::plan_copies`),
//! the variant plan (`seating::variants`) which file each participant gets; the bytes are
//! decrypted in memory and sent to CUPS, one job per participant's copy; each job is recorded
//! with the hash of what was sent and the participant it carried is marked printed
//! (`variant.kim_printed`), so no copy is printed twice.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::Context;

use super::{KimPrintTimes, KimSeat};
use crate::context::EdgeContext;
use crate::materials::SignedManifest;
use crate::model::{AuditoriumCode, ExamId, KimPrint};
use crate::printing::kim;
use crate::printing::ops::{follow, target, PrintOpsError};
use crate::printing::store::PrintJobRow;
use crate::printing::PrintDocument;
use crate::store::Connection;

type Result<T, E = PrintOpsError> = std::result::Result<T, E>;

/// The exam materials to print from memory (`--what kim`).
#[derive(Debug, Clone)]
pub struct MaterialsPrintRequest {
    pub exam_id: ExamId,
    pub auditorium: Option<AuditoriumCode>,
    pub printer: Option<String>,
    pub wait: Duration,
    pub actor: String,
}

fn stored_manifest(conn: &Connection, exam_id: &ExamId) -> Result<Option<SignedManifest>> {
    let Some((_, json)) = crate::materials::store::manifest_get(conn, exam_id).context("load manifest")? else { return Ok(None) };
    Ok(Some(serde_json::from_str(&json).context("stored manifest")?))
}

/// Draws (or brings up to date) the variant plan of an exam at this point from the package's
/// КИМ variants; nothing before the package's manifest is here (kits printed earlier get the
/// variant written in by hand). Returns the variant of each seated participant.
pub fn ensure_variants(conn: &mut Connection, at: &str, actor: &str, exam_id: &ExamId, ppe_code: &str) -> Result<Option<BTreeMap<String, u16>>> {
    let Some(signed) = stored_manifest(conn, exam_id)? else { return Ok(None) };
    let variants: Vec<u16> = crate::materials::variants::kim_variants(&signed.manifest).into_keys().collect();
    if variants.is_empty() {
        return Ok(None);
    }
    let outcome = crate::seating::variants::ops::ensure(conn, at, actor, exam_id, ppe_code, &variants)?;
    Ok(Some(outcome.by_participant))
}

/// Prints the exam materials decrypted in memory (`materials::open_decrypted`: the key must be
/// held and activated by a ГЭК member): per auditorium, one КИМ copy of their variant per
/// participant the policy prints for (a job each) and the other files once. Refused before the
/// policy's first instant (the exam point's start; an hour before it for `Ahead`).
pub async fn print_exam_materials(ctx: &EdgeContext, request: &MaterialsPrintRequest) -> Result<Vec<PrintJobRow>> {
    let exam_id = &request.exam_id;
    let auditorium = request.auditorium.as_deref();
    let room = || auditorium.map(|a| format!(" в аудитории {a}")).unwrap_or_default();
    let target = target(ctx, request.printer.as_deref())?;
    let ppe_code = ctx.config.ppe_code.clone();
    let jobs = {
        let mut conn = ctx.db()?;
        let signed = stored_manifest(&conn, exam_id)?.ok_or_else(|| PrintOpsError::NoPackage(exam_id.clone()))?;
        let exam = crate::plan::store::load_plan(&conn)
            .context("load plan")?
            .exams
            .into_iter()
            .find(|e| e.exam_id == exam_id.as_str())
            .ok_or_else(|| PrintOpsError::UnknownExam(exam_id.clone()))?;
        let start = exam.start_utc().context("exam start")?;
        let from = kim::print_from(exam.kim_print, start, KimPrintTimes::default());
        let now = ctx.clock.now();
        if now < from {
            let how = if exam.kim_print == KimPrint::Ahead { "заранее (ТОМ)" } else { "в аудитории" };
            let local = |t: chrono::DateTime<chrono::Utc>| crate::printing::inputs::local_time(&exam, &crate::clock::rfc3339(t));
            return Err(PrintOpsError::KimTooEarly { exam: exam_id.clone(), how, from: local(from), now: local(now) });
        }
        let at = ctx.clock.now_rfc3339();
        let variants = ensure_variants(&mut conn, &at, &request.actor, exam_id, &ppe_code)?.unwrap_or_default();
        let printed = crate::seating::variants::ops::printed_of(&conn, exam_id, &ppe_code)?;
        let states = crate::attendance::ops::states(&conn, exam_id)?;
        let seats: Vec<KimSeat> = crate::seating::store::seat_assignments_for_exam(&conn, exam_id)
            .context("load seating")?
            .into_iter()
            .filter(|s| s.ppe_code == ppe_code && auditorium.is_none_or(|a| a == s.auditorium))
            .map(|s| KimSeat {
                variant: variants.get(&s.participant_id).copied().unwrap_or(1),
                present: states.get(&s.participant_id).is_some_and(|st| st.status == crate::attendance::Status::Present),
                printed: printed.contains(&s.participant_id),
                seat: s.seat_label(),
                participant_id: s.participant_id,
                auditorium: s.auditorium,
            })
            .collect();
        if seats.is_empty() {
            return Err(PrintOpsError::NobodySeated { exam: exam_id.clone(), room: room() });
        }
        let kim_files = crate::materials::variants::kim_variants(&signed.manifest);
        let others: Vec<String> = signed.manifest.files.iter().filter(|f| f.role != "kim").map(|f| f.name.clone()).collect();
        let jobs = kim::plan_copies(exam.kim_print, &kim_files, &others, &seats)?;
        if jobs.is_empty() {
            let reason = if seats.iter().all(|s| s.printed) {
                "КИМ уже напечатаны для всех участников"
            } else if exam.kim_print == KimPrint::InRoom {
                "нет участников, отмеченных присутствующими, без напечатанного КИМ: сначала отметьте явку"
            } else {
                "печатать нечего"
            };
            return Err(PrintOpsError::NoKimToPrint { exam: exam_id.clone(), room: room(), reason });
        }
        jobs
    };
    // Locked in RAM and wiped on drop; each job gets its own locked copy, dropped (wiped) by
    // the IPP client once sent. The PrintDocument carries no bytes.
    let mut decrypted: HashMap<String, crate::util::plaintext::Plaintext> = HashMap::new();
    let mut rows = Vec::new();
    for job in jobs {
        if !decrypted.contains_key(&job.file_name) {
            decrypted.insert(job.file_name.clone(), crate::materials::pull::open_decrypted(ctx, exam_id, &job.file_name)?);
        }
        let what = match job.variant {
            Some(v) => format!("вариант {v} ауд. {} место {}", job.auditorium, job.seat),
            None => format!("{} ауд. {}", job.file_name, job.auditorium),
        };
        let doc = PrintDocument {
            file_name: job.file_name.clone(),
            title: format!("{exam_id} {what}"),
            form: "КИМ".into(),
            auditorium: Some(job.auditorium.clone()),
            pages: job.copies,
            bytes: Vec::new(),
        };
        let plaintext = &decrypted[&job.file_name];
        let sha = crate::util::sha256_hex(plaintext);
        let send = target.submit_copies(&doc.title, plaintext.clone(), kim::document_format(&job.file_name), job.copies);
        let row = follow(ctx, &request.actor, &target, exam_id, &doc, &sha, None, request.wait, send).await?;
        if let (Some(variant), false) = (job.variant, row.state.is_failed()) {
            let mut conn = ctx.db()?;
            crate::seating::variants::ops::mark_kim_printed(
                &mut conn,
                &ctx.clock.now_rfc3339(),
                &request.actor,
                exam_id,
                &ppe_code,
                row.print_job_id,
                variant,
                &job.participants,
            )?;
        }
        rows.push(row);
    }
    // The plaintext lived only in this map: wiped here.
    decrypted.clear();
    Ok(rows)
}
