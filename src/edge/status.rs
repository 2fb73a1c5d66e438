//! `ppe edge status [--json]`: where the box stands on each exam of the day, and exactly what
//! is still missing before the upload (pages, statements, pages waiting for a person), with the
//! time left to the deadline and the alarms. The same numbers the heartbeat carries.

use std::path::Path;

use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;

use super::reporter::build_report;
use crate::day::{expected_sheets, gather_box_numbers, schedules_here, within_reporting_period};
use crate::monitoring::HeartbeatReport;

use crate::context::EdgeContext;

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Machine-readable output (snake_case keys).
    #[arg(long)]
    pub json: bool,
    /// Only this exam (default: every exam of this box whose day is near).
    #[arg(long)]
    pub exam: Option<String>,
    /// Simulated time (RFC 3339).
    #[arg(long, value_parser = crate::clock::parse_now)]
    pub now: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct ExamStatus {
    #[serde(flatten)]
    pub report: HeartbeatReport,
    pub start: Option<String>,
    pub upload_deadline: Option<String>,
    pub minutes_left: Option<i64>,
    /// Exactly what is missing, one line each (Russian, for the operator): sheets of present
    /// participants not scanned, sheets of absent ones that were, required statements.
    pub missing: Vec<String>,
    /// Pages that need a person (unmatched, duplicate, other exam).
    pub to_resolve: u64,
    pub complete: bool,
    /// When the upload will end, scanning and sending overlapped (`None`: receipt held, or a
    /// rate not measured yet).
    pub eta: Option<crate::upload::stream::OverlapEta>,
    /// The estimate passes the deadline.
    pub eta_late: bool,
}

/// Every exam with registrations at this box, or the one asked for.
pub fn collect(ctx: &EdgeContext, exam: Option<&str>, now: DateTime<Utc>) -> anyhow::Result<Vec<ExamStatus>> {
    let conn = ctx.db()?;
    let plan = crate::plan::store::load_plan(&conn)?;
    let ppe = &ctx.config.ppe_code;
    let mut out = Vec::new();
    // Each exam with its own schedule: two exams of one day keep their own deadlines.
    for (e, schedule) in &schedules_here(&plan, ppe) {
        if exam.is_some_and(|x| x != e.exam_id) {
            continue;
        }
        let schedule = *schedule;
        if exam.is_none() && schedule.is_some_and(|s| !within_reporting_period(&s, now)) {
            continue;
        }
        let numbers = gather_box_numbers(&conn, &e.exam_id, ppe)?;
        let expected = expected_sheets(&conn, &e.exam_id, ppe)?;
        let completeness = crate::scanning::intake::completeness_now(&conn, &e.exam_id, &expected)?;
        let files = crate::recordings::facts::completeness_now(&conn, &e.exam_id, ppe)?;
        let complete = numbers.attendance.closed && completeness.holds() && files.as_ref().is_none_or(|(_, c)| c.holds());
        let mut missing = completeness.lines_ru();
        // A missing or broken recording / answer file is named like a missing page.
        missing.extend(files.map(|(kind, c)| c.lines_ru(kind)).unwrap_or_default());
        if !numbers.attendance.closed && numbers.attendance.planned > 0 {
            let unmarked = numbers.attendance.planned.saturating_sub(numbers.attendance.present + numbers.attendance.absent);
            missing.insert(0, format!("явка не закрыта: не отмечено участников {unmarked}"));
        }
        let eta = match numbers.upload.receipt_id {
            Some(_) => None,
            None => crate::upload::stream::ops::overlap_now(&conn, &e.exam_id, numbers.pages.missing)?,
        };
        let eta_late = matches!((&eta, schedule), (Some(eta), Some(s)) if crate::upload::stream::overlap_misses_deadline(eta, now, s.deadline));
        out.push(ExamStatus {
            eta,
            eta_late,
            report: build_report(ppe, now, &numbers, schedule.as_ref()),
            start: schedule.map(|s| crate::monitoring::time_text(s.start)),
            upload_deadline: schedule.map(|s| crate::monitoring::time_text(s.deadline)),
            minutes_left: schedule.map(|s| (s.deadline - now).num_minutes()),
            missing,
            to_resolve: completeness.to_resolve,
            complete,
        });
    }
    Ok(out)
}

pub fn status(config: &Path, args: StatusArgs) -> anyhow::Result<()> {
    let ctx = EdgeContext::open(config)?;
    let now = args.now.unwrap_or_else(|| ctx.clock.now());
    let exams = collect(&ctx, args.exam.as_deref(), now)?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&serde_json::json!({ "ppe_code": ctx.config.ppe_code, "exams": exams }))?);
        return Ok(());
    }
    if exams.is_empty() {
        crate::outln!("ППЭ {}: экзаменов в ближайшие сутки нет", ctx.config.ppe_code);
        return Ok(());
    }
    for s in &exams {
        crate::out!("{}", render_text(s));
    }
    Ok(())
}

/// The terminal view of one exam.
pub fn render_text(s: &ExamStatus) -> String {
    let r = &s.report;
    let yes = |b: bool| if b { "да" } else { "нет" };
    let mut t = String::new();
    t.push_str(&format!("Экзамен {} — ППЭ {} — этап: {:?}\n", r.exam_id, r.ppe_code, r.stage));
    if let (Some(deadline), Some(left)) = (&s.upload_deadline, s.minutes_left) {
        t.push_str(&format!("  срок выгрузки {deadline}: осталось {left} мин\n"));
    }
    t.push_str(&format!(
        "  материалы: получены {}, проверены {}, ключ {}, версия {}\n",
        yes(r.materials.pulled),
        yes(r.materials.verified),
        yes(r.materials.key_received),
        r.materials.manifest_version.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
    ));
    let a = &r.attendance;
    t.push_str(&format!(
        "  рассадка {}; явка: по плану {}, присутствуют {}, отсутствуют {}, удалены {}, досрочно {}, закрыта {}\n",
        yes(r.seating_done),
        a.planned,
        a.present,
        a.absent,
        a.removed,
        a.early,
        yes(a.closed)
    ));
    t.push_str(&format!(
        "  страницы: ожидается {}, отсканировано {}, не хватает {}, к разбору {}\n",
        r.pages.expected, r.pages.scanned, r.pages.missing, s.to_resolve
    ));
    let u = &r.upload;
    match &u.receipt_id {
        Some(id) => t.push_str(&format!("  выгрузка завершена, квитанция РЦОИ (опись {id})\n")),
        None => t.push_str(&format!("  выгрузка: файлов {} из {}, байт {} из {}\n", u.files_done, u.files_total, u.bytes_done, u.bytes_total)),
    }
    if let Some(eta) = &s.eta {
        let late = if s.eta_late { " — НЕ УСПЕВАЕМ К СРОКУ" } else { "" };
        t.push_str(&format!("  {}{late}\n", crate::upload::stream::overlap_text_ru(eta)));
    }
    for alarm in &r.alarms {
        t.push_str(&format!("  ТРЕВОГА: {alarm}\n"));
    }
    if s.complete {
        t.push_str("  комплектность: всё на месте\n");
    } else {
        t.push_str("  не хватает:\n");
        for line in &s.missing {
            t.push_str(&format!("    {line}\n"));
        }
        if s.to_resolve > 0 {
            t.push_str(&format!("    страниц ждут разбора: {} (ppe edge scan --list)\n", s.to_resolve));
        }
    }
    t
}
