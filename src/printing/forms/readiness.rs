//! The technical readiness papers of the day before (DOMAIN.md §2, §5): the test page each
//! printing station prints (a sheet code made for the check: it passes only once scanned back
//! and decoded), the protocols ППЭ-01-01 (an auditorium's station) and ППЭ-01-02 (the staff
//! room), and the act ППЭ-01 of the point's readiness. Filled by `readiness::forms` from a run.

use super::*;

/// A station's test page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TestPageInput {
    pub exam: ExamHeader,
    /// «Штаб ППЭ», «Аудитория 0101».
    pub station_title: String,
    pub queue: String,
    pub sheet: SheetId,
    /// `ДД.ММ.ГГГГ ЧЧ:ММ` local.
    pub printed_at: String,
}

/// One page: the sheet code and its fiducials where every form has them, the station, grey
/// steps, lines and text sizes a person judges the print quality by.
pub fn readiness_test_page_pdf(input: &TestPageInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("Тестовая страница")?;
    let mut page = doc.page();
    machine_marks(&mut page, &input.sheet, key)?;
    page.text(LEFT, 24.0, 14.0, true, "Тестовая страница станции печати")?;
    page.text_in(LEFT, 31.0, CODE_X - LEFT - 4.0, 9.0, false, Align::Left, &input.exam.line())?;
    field(&mut page, LEFT, 38.0, 60.0, "Станция", &input.station_title)?;
    field(&mut page, LEFT + 64.0, 38.0, 50.0, "Очередь печати", &input.queue)?;
    field(&mut page, LEFT, 52.0, 60.0, "Напечатано", &input.printed_at)?;
    let mut top = page.paragraph(
        LEFT,
        72.0,
        174.0,
        10.0,
        "Проверка принтера засчитывается только после того, как эта страница отсканирована в штабе ППЭ \
         и её код распознан (ppe edge readiness scan). Оцените качество печати: все полосы серого различимы, \
         линии ровные, текст всех размеров читается.",
    )?;
    top += 6.0;
    for (i, level) in [0.0_f32, 0.2, 0.4, 0.6, 0.8].iter().enumerate() {
        page.gray(*level);
        page.fill(LEFT + i as f32 * 34.0, top, 32.0, 14.0);
    }
    page.gray(0.0);
    top += 22.0;
    for i in 0..8 {
        page.line(LEFT, top + i as f32 * 4.0, LEFT + 174.0, top + i as f32 * 4.0, 0.3 + i as f32 * 0.3);
    }
    top += 40.0;
    for size in [6.0_f32, 8.0, 10.0, 12.0, 16.0] {
        page.text(LEFT, top, size, false, &format!("{size} пт: Съешь же ещё этих мягких французских булок, да выпей чаю. 0123456789"))?;
        top += size * 0.5 + 3.0;
    }
    page.frame(LEFT, top + 4.0, 174.0, 268.0 - top - 4.0, 0.8);
    page.text(LEFT + 3.0, top + 10.0, 9.0, false, "Замечания технического специалиста:")?;
    page_number(&mut page, "Тестовая страница", 1, 1)?;
    doc.push(page);
    Ok(finish(doc, "", &format!("Тестовая страница, {}", input.station_title), None))
}
