//! The technical readiness papers of the day before (DOMAIN.md §2, §5): the test page each
//! printing station prints (a sheet code made for the check: it passes only once scanned back
//! and decoded), the protocols ППЭ-01-01 (an auditorium's station) and ППЭ-01-02 (the staff
//! room), and the act ППЭ-01 of the point's readiness. Filled by `readiness::forms` from a run.

use super::*;
use crate::printing::pdf::Column;

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

/// One line of a readiness protocol: the check, what was found, whether it holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReadinessLine {
    pub title: String,
    pub seen: String,
    pub passed: bool,
    /// Why it does not hold (empty when it does).
    pub note: String,
}

/// Who signs the readiness papers, prefilled from the plan's workers of the point on the date
/// (empty: written in by hand).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ReadinessSigners {
    pub tech_specialist: String,
    pub head: String,
    pub gek_member: String,
}

/// ППЭ-01-01 (an auditorium's printing station) or ППЭ-01-02 (the staff room): the protocol
/// of technical readiness filled from a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReadinessProtocolInput {
    pub exam: ExamHeader,
    /// `None`: the staff room (ППЭ-01-02).
    pub auditorium: Option<String>,
    pub queue: String,
    /// `ДД.ММ.ГГГГ ЧЧ:ММ` local: when the checks ran.
    pub checked_at: String,
    pub lines: Vec<ReadinessLine>,
    pub signers: ReadinessSigners,
    pub first_sheet: Option<SheetId>,
}

fn readiness_rows(lines: &[ReadinessLine]) -> Vec<Vec<String>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| vec![(i + 1).to_string(), l.title.clone(), l.seen.clone(), if l.passed { "да" } else { "нет" }.to_string(), l.note.clone()])
        .collect()
}

fn readiness_columns() -> Vec<Column> {
    vec![
        col("№", 9.0, Align::Right),
        col("Что проверено", 52.0, Align::Left),
        col("Результат проверки", 50.0, Align::Left),
        col("Соответствует\n(да/нет)", 22.0, Align::Center),
        col("Примечание", 41.0, Align::Left),
    ]
}

pub fn readiness_protocol_pdf(input: &ReadinessProtocolInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let (form, title, place) = match &input.auditorium {
        Some(a) => (
            "ППЭ-01-01",
            "Протокол технической готовности аудитории для печати полного комплекта экзаменационных материалов в аудитории ППЭ",
            format!("Аудитория {a}"),
        ),
        None => {
            ("ППЭ-01-02", "Протокол технической готовности штаба ППЭ для сканирования бланков и передачи материалов в РЦОИ", "Штаб ППЭ".to_string())
        }
    };
    let ready = input.lines.iter().all(|l| l.passed);
    let verdict = match (&input.auditorium, ready) {
        (Some(_), true) => "Станция печати готова к печати экзаменационных материалов в аудитории: ДА",
        (Some(_), false) => "Станция печати готова к печати экзаменационных материалов в аудитории: НЕТ (см. примечания)",
        (None, true) => "Штаб ППЭ готов к сканированию бланков и передаче материалов: ДА",
        (None, false) => "Штаб ППЭ готов к сканированию бланков и передаче материалов: НЕТ (см. примечания)",
    };
    let mut doc = Document::new(form)?;
    Table {
        form,
        heading: vec![
            title.to_string(),
            input.exam.line(),
            format!("{place} · код ППЭ {} · очередь печати {} · проверка проведена {}", input.exam.ppe_code, input.queue, input.checked_at),
        ],
        columns: readiness_columns(),
        rows: readiness_rows(&input.lines),
        footer: vec![
            verdict.to_string(),
            "Тестовая страница печатается с кодом листа и засчитывается только после сканирования и распознавания кода в штабе ППЭ.".to_string(),
        ],
        signatures: vec![
            Signature::new("Технический специалист", input.signers.tech_specialist.clone()),
            Signature::new("Руководитель ППЭ", input.signers.head.clone()),
            Signature::new("Член ГЭК", input.signers.gek_member.clone()),
        ],
        code: form_code(input.first_sheet.as_ref(), key),
        ..Default::default()
    }
    .render(&mut doc)?;
    Ok(finish(doc, form, &format!("{form} {place}"), input.auditorium.as_deref()))
}

/// ППЭ-01: the act of the point's readiness for the exam: its rooms and stations counted, each
/// readiness item, the conclusion, signed by the head of the point and a ГЭК member.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReadinessActInput {
    pub exam: ExamHeader,
    pub checked_at: String,
    /// (what, how many): auditoriums, of them with video, for ОВЗ, reserve; printing stations.
    pub counts: Vec<(String, u32)>,
    pub lines: Vec<ReadinessLine>,
    pub signers: ReadinessSigners,
    pub first_sheet: Option<SheetId>,
}

pub fn readiness_act_pdf(input: &ReadinessActInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let form = "ППЭ-01";
    let ready = input.lines.iter().all(|l| l.passed);
    let mut rows: Vec<Vec<String>> = input
        .counts
        .iter()
        .enumerate()
        .map(|(i, (what, n))| vec![(i + 1).to_string(), what.clone(), n.to_string(), "—".into(), String::new()])
        .collect();
    let base = rows.len();
    rows.extend(readiness_rows(&input.lines).into_iter().map(|mut r| {
        r[0] = (base + r[0].parse::<usize>().unwrap_or(0)).to_string();
        r
    }));
    let conclusion = if ready {
        format!("ППЭ {} готов к проведению экзамена {}", input.exam.ppe_code, input.exam.date)
    } else {
        format!("ППЭ {} НЕ готов к проведению экзамена {}: не выполнены пункты с отметкой «нет»", input.exam.ppe_code, input.exam.date)
    };
    let mut doc = Document::new(form)?;
    Table {
        form,
        heading: vec!["Акт готовности ППЭ".to_string(), input.exam.line(), format!("Готовность проверена {}", input.checked_at)],
        columns: readiness_columns(),
        rows,
        footer: vec![conclusion],
        signatures: vec![
            Signature::new("Руководитель ППЭ", input.signers.head.clone()),
            Signature::new("Член ГЭК", input.signers.gek_member.clone()),
        ],
        code: form_code(input.first_sheet.as_ref(), key),
        ..Default::default()
    }
    .render(&mut doc)?;
    Ok(finish(doc, form, "ППЭ-01 акт готовности ППЭ", None))
}
