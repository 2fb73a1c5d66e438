//! Distribution use cases, each write one transaction with its audit entry. Hub: release a seed
//! (drawn once from the OS CSPRNG, signed), record a box's seating report, verify it against
//! plan + seed. Box: take a signed seed, seat once from it, report the seating.

use chrono::{DateTime, Utc};
use ring::rand::SecureRandom;
use ring::signature::Ed25519KeyPair;

use super::{
    check_signed_seed, first_difference, point_offset_min, release_at, store, BadSeed, Purpose, ReleasePolicy, SeatingReport, SeedRefusal, SignedSeed,
};
use crate::audit::{self, NewEntry};
use crate::context::EdgeContext;
use crate::model::{ExamId, PpeCode};
use crate::protocol::distribution::{seed_signature_message, SeatingReportAck, MAX_REPORTED_SEATS};
use crate::seating::{Seating, SeatingRules};
use crate::store::Connection;

#[derive(Debug, thiserror::Error)]
pub enum DistributionError {
    #[error("{0}")]
    Refused(#[from] SeedRefusal),
    #[error("{0}")]
    BadSeed(#[from] BadSeed),
    #[error("РЦОИ уже выдал другое зерно ({purpose}) экзамена {exam_id}: новое отвергнуто", purpose = .purpose.title_ru())]
    SeedChanged { exam_id: String, purpose: Purpose },
    #[error("{} экзамена {exam_id} ещё не получено от РЦОИ: рассадка и распределение выполняются только по нему", purpose.title_ru())]
    NoSeed { exam_id: String, purpose: Purpose },
    #[error("рассадка экзамена {exam_id} по зерну РЦОИ уже выполнена, план с тех пор не менялся: повторный запуск не нужен (пересадка: --move с причиной)")]
    AlreadySeated { exam_id: String },
    #[error(
        "списки или комплекты экзамена {exam_id} уже напечатаны: рассадку меняют только пересадки и закрытие аудитории с причиной (--move, --close)"
    )]
    Printed { exam_id: String },
    #[error("отчёт о рассадке ППЭ {reported} не может прислать ППЭ {caller}")]
    WrongPoint { caller: String, reported: String },
    #[error("отчёт о рассадке не читается: {0}")]
    BadReport(String),
    #[error("отчёта ППЭ {ppe_code} о рассадке экзамена {exam_id} в РЦОИ нет")]
    NoReport { exam_id: String, ppe_code: String },
    #[error("{0}")]
    Hub(#[from] crate::hub_client::DistributionCallError),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

type Result<T> = std::result::Result<T, DistributionError>;

/// A seed from the operating system's CSPRNG.
fn draw_seed() -> Result<u64> {
    let mut bytes = [0u8; 8];
    ring::rand::SystemRandom::new().fill(&mut bytes).map_err(|_| anyhow::anyhow!("системный генератор случайных чисел недоступен"))?;
    Ok(u64::from_le_bytes(bytes))
}

/// The hub: the seed of `purpose` of an exam for the calling exam point, from its release time
/// on (hub clock, the point's local time): drawn on first release and kept, signed, audited.
pub fn release_seed(
    conn: &mut Connection,
    signing_key: &Ed25519KeyPair,
    policy: &ReleasePolicy,
    caller: &PpeCode,
    exam_id: &ExamId,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<SignedSeed> {
    let (exam_id, ppe_code) = (exam_id.as_str(), caller.as_str());
    let exam = crate::plan::store::exam_get(conn, exam_id)?.ok_or_else(|| SeedRefusal::UnknownExam { exam_id: exam_id.into() })?;
    if !crate::plan::store::exam_points_of_exam(conn, exam_id)?.iter().any(|p| p == ppe_code) {
        return Err(SeedRefusal::NotAssigned { exam_id: exam_id.into(), ppe_code: ppe_code.into() }.into());
    }
    let point = crate::plan::store::exam_point_get(conn, ppe_code)?;
    let from = release_at(&exam, point_offset_min(&exam, point.as_ref()), purpose, policy)
        .ok_or_else(|| SeedRefusal::BadSchedule { exam_id: exam_id.into() })?;
    super::judge_release(now, purpose, from)?;
    let at = now.to_rfc3339();
    let tx = conn.transaction()?;
    let (seed, drawn) = store::seed_draw_once(&tx, exam_id, ppe_code, purpose, draw_seed()?, &at)?;
    let release_text = from.to_rfc3339();
    audit::store::append(
        &tx,
        &at,
        NewEntry {
            actor: ppe_code,
            action: "distribution.seed_released",
            object: exam_id,
            details: serde_json::json!({ "ppe_code": ppe_code, "purpose": purpose.code(), "release_at": release_text, "drawn_now": drawn }),
        },
    )?;
    tx.commit()?;
    let seed = seed.to_string();
    let signature = crate::keys::sign_hex(signing_key, &seed_signature_message(exam_id, ppe_code, purpose, &seed, &release_text));
    Ok(SignedSeed { exam_id: exam_id.into(), ppe_code: ppe_code.into(), purpose, seed, release_at: release_text, signature })
}

/// The hub: keeps the seating a box reported for one of its exams, audited.
pub fn record_seating_report(
    conn: &mut Connection,
    caller: &PpeCode,
    exam_id: &ExamId,
    report: &SeatingReport,
    now: DateTime<Utc>,
) -> Result<SeatingReportAck> {
    if report.ppe_code != caller.as_str() {
        return Err(DistributionError::WrongPoint { caller: caller.to_string(), reported: report.ppe_code.clone() });
    }
    if report.exam_id != exam_id.as_str()
        || report.seats.len() > MAX_REPORTED_SEATS
        || report.seats.iter().any(|s| s.exam_id != report.exam_id || s.ppe_code != report.ppe_code)
    {
        return Err(DistributionError::BadReport(format!("экзамен, ППЭ или число мест (не больше {MAX_REPORTED_SEATS}) не сходятся")));
    }
    let at = now.to_rfc3339();
    let tx = conn.transaction()?;
    let hub_seed = store::seed_get(&tx, exam_id.as_str(), caller.as_str(), Purpose::Seating)?;
    let id = store::seating_report_insert(&tx, report, &at)?;
    audit::store::append(
        &tx,
        &at,
        NewEntry {
            actor: caller.as_str(),
            action: "distribution.seating_reported",
            object: exam_id.as_str(),
            details: serde_json::json!({
                "ppe_code": caller.as_str(), "report_id": id, "input_hash": report.input_hash, "seats": report.seats.len(),
                "seed_is_hubs": hub_seed.is_some_and(|s| s.to_string() == report.seed),
            }),
        },
    )?;
    tx.commit()?;
    Ok(SeatingReportAck { received_at: at, seats: report.seats.len() })
}

/// What `verify-seating` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub seats: usize,
    pub reported_at: String,
    /// The first difference; `None` when the report is the seating of the hub's plan and seed.
    pub difference: Option<String>,
}

/// The hub: recomputes the seating of an exam at a point from the hub's plan (the point's
/// slice, as the box seats from it) and the hub's seed, and compares it with the box's latest
/// report. Reads only.
pub fn verify_seating(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode) -> Result<Verification> {
    let (exam, ppe) = (exam_id.as_str(), ppe_code.as_str());
    let (report, reported_at) =
        store::seating_report_latest(conn, exam, ppe)?.ok_or_else(|| DistributionError::NoReport { exam_id: exam.into(), ppe_code: ppe.into() })?;
    let seed = store::seed_get(conn, exam, ppe, Purpose::Seating)?
        .ok_or_else(|| DistributionError::NoSeed { exam_id: exam.into(), purpose: Purpose::Seating })?;
    let plan = crate::plan::store::load_plan(conn).map_err(anyhow::Error::from)?.for_exam_point(ppe);
    let manual = report.seats.iter().filter(|s| s.manual).cloned().collect();
    let rules = SeatingRules { max_per_room: report.max_per_room, max_braille_per_room: report.max_braille_per_room };
    let mut input = crate::seating::ops::input_from_plan(plan, exam, ppe, manual, &[], rules)?;
    // The rooms other exams held meanwhile are part of the input: the ones the box reported.
    input.held = report.held.iter().map(|h| crate::seating::HeldRoom { auditorium: h.auditorium.clone(), exam_id: h.exam_id.clone() }).collect();
    let difference = match crate::seating::seat(&input, seed) {
        Ok(recomputed) => first_difference(seed, &recomputed.input_hash, &recomputed.seats, &report),
        Err(e) => Some(format!("по плану и зерну РЦОИ рассадка не получается: {e}")),
    };
    Ok(Verification { seats: report.seats.len(), reported_at, difference })
}

/// The box: takes a seed the hub answered with when it is signed by the pinned hub key for this
/// exam, point and purpose; keeps it with the signature, audited. The same seed again changes
/// nothing; a different one is refused (the hub never redraws).
pub fn accept_seed(
    conn: &mut Connection,
    hub_public_hex: &str,
    signed: &SignedSeed,
    exam_id: &ExamId,
    ppe_code: &PpeCode,
    purpose: Purpose,
    now: &str,
) -> Result<u64> {
    let seed = check_signed_seed(hub_public_hex, signed, exam_id.as_str(), ppe_code.as_str(), purpose)?;
    if let Some(held) = store::released_seed_get(conn, exam_id.as_str(), ppe_code.as_str(), purpose)? {
        if held.seed == signed.seed {
            return Ok(seed);
        }
        return Err(DistributionError::SeedChanged { exam_id: exam_id.to_string(), purpose });
    }
    let tx = conn.transaction()?;
    store::released_seed_put(&tx, signed, now)?;
    audit::store::append(
        &tx,
        now,
        NewEntry {
            actor: "hub",
            action: "distribution.seed_received",
            object: exam_id.as_str(),
            details: serde_json::json!({ "ppe_code": ppe_code.as_str(), "purpose": purpose.code(), "release_at": signed.release_at }),
        },
    )?;
    tx.commit()?;
    Ok(seed)
}

/// The box: the seed of `purpose` it received from the hub (seating here; the roster's
/// `organizer_seed` takes [`Purpose::Organizers`]).
pub fn released_seed(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode, purpose: Purpose) -> Result<u64> {
    let signed = store::released_seed_get(conn, exam_id.as_str(), ppe_code.as_str(), purpose)?
        .ok_or_else(|| DistributionError::NoSeed { exam_id: exam_id.to_string(), purpose })?;
    Ok(signed.seed.parse().map_err(|_| BadSeed::NotANumber(signed.seed.clone()))?)
}

/// The box: asks the hub for the seed of `purpose` (when it has none yet) and keeps it.
pub async fn fetch_seed(ctx: &EdgeContext, exam_id: &ExamId, purpose: Purpose) -> Result<u64> {
    let ppe_code = PpeCode::from(&ctx.config.ppe_code);
    if let Ok(seed) = released_seed(&*ctx.db()?, exam_id, &ppe_code, purpose) {
        return Ok(seed);
    }
    let client = crate::hub_client::HubClient::from_context(ctx).map_err(anyhow::Error::from)?;
    let signed = client.seed(exam_id.as_str(), purpose).await?;
    accept_seed(&mut *ctx.db()?, &ctx.config.hub.signing_public_key, &signed, exam_id, &ppe_code, purpose, &ctx.clock.now_rfc3339())
}

/// A seating request on the box.
pub struct SeatRequest<'a> {
    pub exam_id: &'a ExamId,
    pub ppe_code: &'a PpeCode,
    pub rules: SeatingRules,
    pub now: &'a str,
    pub actor: &'a str,
}

/// The box: seats an exam from the hub's seed, once. Refused without the seed, after lists or
/// kits were printed, and when the same seed already seated the same input.
pub fn seat(conn: &mut Connection, request: &SeatRequest<'_>) -> Result<Seating> {
    let (exam, ppe) = (request.exam_id.as_str(), request.ppe_code.as_str());
    let seed = released_seed(conn, request.exam_id, request.ppe_code, Purpose::Seating)?;
    if store::seating_printed(conn, exam)? {
        return Err(DistributionError::Printed { exam_id: exam.into() });
    }
    if let Some((last_seed, last_hash, _, _)) = crate::seating::store::seating_run_latest(conn, exam, ppe)? {
        let plan = crate::plan::store::load_plan(conn).map_err(anyhow::Error::from)?;
        let manual = crate::seating::store::seat_assignments_for_exam(conn, exam)?.into_iter().filter(|s| s.manual && s.ppe_code == ppe).collect();
        let point_seats = crate::seating::store::seat_assignments_for_point(conn, ppe)?;
        let input = crate::seating::ops::input_from_plan(plan, exam, ppe, manual, &point_seats, request.rules)?;
        if last_seed == seed && last_hash == input.input_hash() {
            return Err(DistributionError::AlreadySeated { exam_id: exam.into() });
        }
    }
    Ok(crate::seating::ops::run(conn, request.now, request.actor, exam, ppe, seed, request.rules)?)
}

/// The box: what it reports to the hub of an exam's current seating.
pub fn seating_report(conn: &Connection, exam_id: &ExamId, ppe_code: &PpeCode, rules: SeatingRules) -> Result<SeatingReport> {
    let (exam, ppe) = (exam_id.as_str(), ppe_code.as_str());
    let (seed, input_hash, _, _) =
        crate::seating::store::seating_run_latest(conn, exam, ppe)?.ok_or_else(|| anyhow::anyhow!("рассадка экзамена {exam} ещё не выполнена"))?;
    let seats: Vec<_> = crate::seating::store::seat_assignments_for_exam(conn, exam)?.into_iter().filter(|s| s.ppe_code == ppe).collect();
    let plan = crate::plan::store::load_plan(conn).map_err(anyhow::Error::from)?;
    let manual = seats.iter().filter(|s| s.manual).cloned().collect();
    let point_seats = crate::seating::store::seat_assignments_for_point(conn, ppe)?;
    let held = crate::seating::ops::input_from_plan(plan, exam, ppe, manual, &point_seats, rules)?
        .held
        .into_iter()
        .map(|h| crate::protocol::distribution::HeldRoomReport { auditorium: h.auditorium, exam_id: h.exam_id })
        .collect();
    Ok(SeatingReport {
        exam_id: exam.into(),
        ppe_code: ppe.into(),
        seed: seed.to_string(),
        input_hash,
        max_per_room: rules.max_per_room,
        max_braille_per_room: rules.max_braille_per_room,
        seats,
        held,
    })
}

/// The box: sends the seating report of an exam to the hub.
pub async fn report_seating(ctx: &EdgeContext, exam_id: &ExamId, rules: SeatingRules) -> Result<SeatingReportAck> {
    let report = seating_report(&*ctx.db()?, exam_id, &PpeCode::from(&ctx.config.ppe_code), rules)?;
    let client = crate::hub_client::HubClient::from_context(ctx).map_err(anyhow::Error::from)?;
    Ok(client.report_seating(&report).await?)
}

/// What seating from the hub's seed did on the box.
pub struct Seated {
    pub seating: Seating,
    /// The report to the hub: sent, or why not (the seating stands; `--report` resends it).
    pub reported: std::result::Result<SeatingReportAck, String>,
}

/// The box, as the CLI, the UI and the demo seat: the seed fetched when the box has none yet,
/// the exam seated once from it, the seating reported to the hub.
pub async fn seat_and_report(ctx: &EdgeContext, exam_id: &ExamId, rules: SeatingRules, actor: &str) -> Result<Seated> {
    fetch_seed(ctx, exam_id, Purpose::Seating).await?;
    let ppe_code = PpeCode::from(&ctx.config.ppe_code);
    let now = ctx.clock.now_rfc3339();
    let seating = seat(&mut *ctx.db()?, &SeatRequest { exam_id, ppe_code: &ppe_code, rules, now: &now, actor })?;
    let reported = report_seating(ctx, exam_id, rules).await.map_err(|e| e.to_string());
    if let Err(e) = &reported {
        tracing::warn!(exam = %exam_id, "seating report not sent: {e}");
    }
    Ok(Seated { seating, reported })
}
