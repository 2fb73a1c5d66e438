//! The exam point's journal and report: the journal of participants who came to the medical
//! worker (ППЭ-08, from the day's medical events with blank rows for hand entries) and the
//! ГЭК member's report on the exam at the point (ППЭ-10: who, times, counts, the day's events,
//! sections filled by hand). Each page carries the form's sheet code.

use super::*;

/// One visit to the medical worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MedicalRow {
    pub name: String,
    pub auditorium: String,
    /// Local time, `ЧЧ:ММ`.
    pub at: String,
    /// The complaint, in the organizer's words.
    pub reason: String,
    /// What was done («завершил экзамен досрочно, акт ППЭ-22», «вернулся в аудиторию»).
    pub outcome: String,
    /// Whether an early-finish act (ППЭ-22) was drawn up.
    pub early_finish: bool,
}

/// Blank rows of ППЭ-08 for visits written by hand.
pub const MEDICAL_BLANK_ROWS: usize = 8;

/// ППЭ-08: journal of participants who came to the medical worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MedicalJournalInput {
    pub exam: ExamHeader,
    pub rows: Vec<MedicalRow>,
    /// The medical worker(s) on the roster (empty: written by hand).
    pub medical_workers: Vec<String>,
    pub first_sheet: Option<SheetId>,
}

pub fn medical_journal_pdf(input: &MedicalJournalInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-08")?;
    let mut rows: Vec<Vec<String>> = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                r.name.clone(),
                r.auditorium.clone(),
                format!("{} {}", input.exam.date, r.at),
                r.reason.clone(),
                r.outcome.clone(),
                if r.early_finish { "да".into() } else { "нет".into() },
            ]
        })
        .collect();
    for i in 0..MEDICAL_BLANK_ROWS {
        rows.push(vec![(input.rows.len() + i + 1).to_string()]);
    }
    let workers = if input.medical_workers.is_empty() { vec![String::new()] } else { input.medical_workers.clone() };
    Table {
        form: "ППЭ-08",
        heading: vec!["Журнал учёта участников экзамена, обратившихся к медицинскому работнику".into(), input.exam.line()],
        columns: vec![
            col("№ п/п", 10.0, Align::Right),
            col("ФИО участника экзамена", 48.0, Align::Left),
            col("Номер аудитории", 18.0, Align::Center),
            col("Дата и время обращения", 24.0, Align::Center),
            col("Причина обращения (жалобы)", 46.0, Align::Left),
            col("Оказанная помощь, принятые меры", 44.0, Align::Left),
            col("Составлен акт о досрочном завершении (ППЭ-22)", 26.0, Align::Center),
            col("Подпись участника экзамена", 36.0, Align::Left),
        ],
        rows,
        footer: vec![format!("Обращений по данным ППЭ: {}", input.rows.len())],
        signatures: workers.into_iter().map(|w| Signature::new("Медицинский работник", w)).collect(),
        orientation: Orientation::Landscape,
        code: form_code(input.first_sheet.as_ref(), key),
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-08", "ППЭ-08 журнал обращений к медицинскому работнику", None))
}

/// One event of the day on ППЭ-10.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReportEvent {
    /// Local time, `ЧЧ:ММ`.
    pub at: String,
    /// «Удаление (ППЭ-21)», «Досрочное завершение (ППЭ-22)», «Апелляция (ППЭ-02)», …
    pub kind: String,
    pub auditorium: String,
    pub who: String,
    pub what: String,
}

/// ППЭ-10: the ГЭК member's report on the exam at the point.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GekReportInput {
    pub exam: ExamHeader,
    pub gek_members: Vec<String>,
    pub head: String,
    /// (what, value) in the form's order: times and counts the box knows; an empty value is
    /// written by hand.
    pub facts: Vec<(String, String)>,
    pub events: Vec<ReportEvent>,
    pub first_sheet: Option<SheetId>,
}

/// The sections of ППЭ-10 the ГЭК member writes by hand.
pub const GEK_REPORT_HAND_SECTIONS: [&str; 3] = [
    "Нарушения порядка проведения экзамена, выявленные членом ГЭК, и принятые меры:",
    "Технические сбои (печать, сканирование, видеонаблюдение, передача данных) и их устранение:",
    "Иные замечания по проведению экзамена в ППЭ:",
];

pub fn gek_report_pdf(input: &GekReportInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-10")?;
    let members = if input.gek_members.is_empty() { String::new() } else { input.gek_members.join("; ") };
    let mut rows: Vec<Vec<String>> = vec![vec!["1".into(), "Член(ы) ГЭК в ППЭ".into(), members, String::new()]];
    rows.push(vec!["2".into(), "Руководитель ППЭ".into(), input.head.clone(), String::new()]);
    for (i, (what, value)) in input.facts.iter().enumerate() {
        rows.push(vec![(i + 3).to_string(), what.clone(), value.clone(), String::new()]);
    }
    let mut n = rows.len();
    if input.events.is_empty() {
        n += 1;
        rows.push(vec![n.to_string(), "События в ППЭ (удаления, досрочные завершения, апелляции)".into(), "не зафиксированы".into(), String::new()]);
    }
    for e in &input.events {
        n += 1;
        let place = if e.auditorium.is_empty() { String::new() } else { format!(", ауд. {}", e.auditorium) };
        rows.push(vec![n.to_string(), format!("{} в {}{place}", e.kind, e.at), e.who.clone(), e.what.clone()]);
    }
    let mut footer: Vec<String> = Vec::new();
    for section in GEK_REPORT_HAND_SECTIONS {
        footer.push(section.to_string());
        footer.push("_".repeat(100));
        footer.push("_".repeat(100));
    }
    Table {
        form: "ППЭ-10",
        heading: vec!["Отчёт члена ГЭК о проведении экзамена в ППЭ".into(), input.exam.line()],
        columns: vec![
            col("№ п/п", 10.0, Align::Right),
            col("Сведения", 62.0, Align::Left),
            col("Данные ППЭ", 52.0, Align::Left),
            col("Отметка члена ГЭК", 50.0, Align::Left),
        ],
        rows,
        footer,
        signatures: gek_signatures(&input.gek_members),
        code: form_code(input.first_sheet.as_ref(), key),
        ..Default::default()
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-10", "ППЭ-10 отчёт члена ГЭК о проведении экзамена", None))
}
