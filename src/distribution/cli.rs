//! The commands of distribution: `ppe edge seat --exam E` (a run: the seed fetched from РЦОИ,
//! the exam seated once from it, the seating reported; `main.rs` sends a run here and a show or
//! a change to `seating::cli`), and `ppe hub verify-seating`, where РЦОИ recomputes a box's
//! reported seating from its own plan and seed.

use std::path::Path;

use clap::Args;

use crate::context::{EdgeContext, HubContext};
use crate::model::{ExamId, PpeCode};
use crate::seating::SeatingRules;

/// `ppe edge seat --exam E [--max-per-room N] [--report]`: seats from РЦОИ's seed and reports;
/// `--report` only sends the current seating again. A seed of the point's own is refused.
pub fn seat(config: &Path, exam: &str, own_seed: Option<&str>, max_per_room: u16, actor: &str, report_only: bool) -> anyhow::Result<()> {
    if own_seed.is_some() {
        anyhow::bail!(
            "--seed больше не принимается: зерно рассадки выдаёт РЦОИ (не раньше чем за один рабочий день до экзамена), ППЭ получает его сам"
        );
    }
    let ctx = EdgeContext::open(config)?;
    let rules = SeatingRules { max_per_room, ..SeatingRules::default() };
    let exam_id = ExamId::from(exam);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    if report_only {
        let ack = runtime.block_on(super::ops::report_seating(&ctx, &exam_id, rules))?;
        crate::outln!("рассадка отправлена в РЦОИ: {} мест, принята {}", ack.seats, ack.received_at);
        return Ok(());
    }
    let seated = runtime.block_on(super::ops::seat_and_report(&ctx, &exam_id, rules, actor))?;
    let s = &seated.seating;
    crate::outln!(
        "рассажено {} участников в {} аудиториях ({}); соседей из одной школы: {} (нижняя граница {}); зерно РЦОИ, входные данные {}",
        s.seats.len(),
        s.rooms_used.len(),
        s.rooms_used.join(", "),
        s.same_school_pairs,
        s.same_school_lower_bound,
        s.input_hash.get(..16).unwrap_or_default()
    );
    match &seated.reported {
        Ok(ack) => crate::outln!("рассадка отправлена в РЦОИ: {} мест", ack.seats),
        Err(e) => eprintln!("рассадка не отправлена в РЦОИ ({e}): повторите ppe edge seat --exam {exam} --report до начала экзамена"),
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct VerifySeatingArgs {
    /// Exam id (from the plan).
    #[arg(long)]
    pub exam: String,
    /// The exam point's code.
    #[arg(long)]
    pub ppe: String,
    /// Print the result as JSON (docs/cli.md); exit 1 still means a difference.
    #[arg(long)]
    pub json: bool,
}

/// Exit 0 «совпадает» when the box's latest report is the seating of the hub's plan and seed;
/// otherwise an error naming the first difference.
pub fn verify_seating(config: &Path, args: VerifySeatingArgs) -> anyhow::Result<()> {
    let ctx = HubContext::open(config)?;
    let conn = ctx.db()?;
    let found = super::ops::verify_seating(&conn, &ExamId::from(args.exam.as_str()), &PpeCode::from(args.ppe.as_str()))?;
    if args.json {
        let difference = found.difference.as_ref().map(|d| d.to_string());
        crate::cli_util::print_json(
            &serde_json::json!({ "exam_id": args.exam, "ppe_code": args.ppe, "matches": difference.is_none(), "seats": found.seats, "reported_at": found.reported_at, "difference": difference }),
        )?;
    }
    match found.difference {
        None if args.json => Ok(()),
        None => {
            crate::outln!(
                "совпадает: рассадка ППЭ {} экзамена {} ({} мест, отчёт от {}) воспроизведена по плану и зерну РЦОИ",
                args.ppe,
                args.exam,
                found.seats,
                found.reported_at
            );
            Ok(())
        }
        Some(difference) => {
            anyhow::bail!("не совпадает: рассадка ППЭ {} экзамена {} не получена из плана и зерна РЦОИ: {difference}", args.ppe, args.exam)
        }
    }
}
