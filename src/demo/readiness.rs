//! The demo's technical readiness the day before: the box has no printer, so each station's
//! test page is written to a folder and "scanned" as a rendered page with its real sheet code
//! (the demo's stand-in for paper, as with the blanks); the run is reported to РЦОИ, whose
//! dashboard shows it under «Готовность ППЭ накануне».

use super::autopilot::{render_scanned_page, TECH_LOGIN};
use crate::context::EdgeContext;
use crate::model::{Exam, ExamId, PpeCode};
use crate::sheet_code::{SheetId, SheetKind};

/// Runs the checks of one exam, scans its test pages back, reports; returns the line to say.
pub async fn day_before(ctx: &EdgeContext, exam: &Exam) -> anyhow::Result<String> {
    // On a clock running N× a round trip of a few hundred milliseconds is N× as many seconds
    // of simulated offset: the demo's limit is the region's per second of wall time.
    let mut ctx = ctx.clone();
    let limit = f64::from(ctx.config.readiness.max_clock_offset_secs) * ctx.clock.speed().max(1.0);
    ctx.config.readiness.max_clock_offset_secs = limit.min(f64::from(u32::MAX)) as u32;
    let ctx = &ctx;
    let exam_id = ExamId::from(exam.exam_id.as_str());
    let out = ctx.config.state_dir.join("readiness-pages");
    if let Some(inbox) = &ctx.config.scanner.inbox {
        std::fs::create_dir_all(inbox)?;
    }
    let request = crate::readiness::ops::RunRequest { exam_id: exam_id.clone(), out: Some(out), actor: TECH_LOGIN.into() };
    let run = crate::readiness::ops::run(ctx, &request).await?;
    let key = crate::readiness::ops::sheet_key(ctx)?;
    let mut images = Vec::new();
    for station in &run.run.facts.stations {
        let Some(page) = &station.printer.test_page else { continue };
        let id =
            SheetId { exam_id: exam.exam_id.clone(), ppe_code: ctx.config.ppe_code.clone(), kind: SheetKind::Statement, number: page.sheet_number };
        images.push((format!("{}.png", station.station), render_scanned_page(&crate::sheet_code::encode(&id, &key))?));
    }
    let scanned = crate::readiness::ops::scan_back_images(ctx, &exam_id, &images, TECH_LOGIN)?;
    let view = crate::readiness::ops::latest(&*ctx.db()?, &exam_id, &PpeCode::from(&ctx.config.ppe_code))?;
    let reported = match crate::readiness::ops::report(ctx, &exam_id, TECH_LOGIN).await {
        Ok(ack) if ack.ready => "РЦОИ: готов".to_string(),
        Ok(ack) => format!("РЦОИ: не готов ({})", ack.failing.join("; ")),
        Err(e) => format!("отчёт не отправлен: {e}"),
    };
    let verdict =
        if view.summary.ready { "ППЭ готов".to_string() } else { format!("ППЭ НЕ готов: {}", view.summary.failing.join("; ")) };
    let stations = run.run.facts.stations.len();
    Ok(format!(
        "{}: готовность накануне: станций {stations}, тестовых страниц распознано со скана {}; {verdict}; {reported}",
        exam.exam_id,
        scanned.matched.len()
    ))
}

/// Runs [`day_before`] for each exam on its own task (it renders PDFs: on the simulated clock
/// the rest of the day must not wait for it), saying each verdict.
pub fn spawn_day_before(ctx: &EdgeContext, exams: &[Exam]) -> tokio::task::JoinHandle<()> {
    let (ctx, exams) = (ctx.clone(), exams.to_vec());
    tokio::spawn(async move {
        for exam in &exams {
            let line = day_before(&ctx, exam).await.unwrap_or_else(|e| format!("{}: готовность накануне не проверена: {e:#}", exam.exam_id));
            println!("[{}] ППЭ {}: {line}", ctx.clock.now().format("%d.%m %H:%M UTC"), ctx.config.ppe_code);
        }
    })
}
