//! ППЭ-12-02, the statement of corrections of participants' personal data in an auditorium:
//! a participant whose printed name or document is wrong writes the correct data and signs.
//! The header is prefilled; the rows are the requests the box knows and blank rows for the
//! ones written by hand.

use super::*;

/// One correction request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct CorrectionRow {
    pub seat: String,
    /// The name as printed on the forms.
    pub printed_name: String,
    pub document: String,
    /// What is wrong: `фамилия`, `номер документа`, …
    pub field: String,
    pub correct: String,
}

/// ППЭ-12-02 for one auditorium.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CorrectionsInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub rows: Vec<CorrectionRow>,
    /// Empty rows after the known ones, for requests written by hand.
    pub blank_rows: usize,
    pub first_sheet: SheetId,
}

/// Blank rows ППЭ-12-02 prints for hand-written requests.
pub const CORRECTION_BLANK_ROWS: usize = 12;

pub fn corrections_pdf(input: &CorrectionsInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-12-02")?;
    let filled = input.rows.iter().map(|r| vec![r.seat.clone(), r.printed_name.clone(), r.document.clone(), r.field.clone(), r.correct.clone()]);
    let rows = filled.chain(std::iter::repeat_n(Vec::new(), input.blank_rows)).enumerate().map(|(i, mut r)| {
        r.insert(0, (i + 1).to_string());
        r
    });
    Table {
        form: "ППЭ-12-02",
        heading: vec![
            "Ведомость коррекции персональных данных участников экзамена в аудитории".into(),
            input.exam.line(),
            format!("Аудитория № {}", input.auditorium),
        ],
        columns: vec![
            col("№ п/п", 9.0, Align::Right),
            col("Номер места", 12.0, Align::Center),
            col("Фамилия, имя, отчество (как напечатано в бланке)", 52.0, Align::Left),
            col("Документ (серия, номер)", 30.0, Align::Left),
            col("Что исправить (фамилия, имя, отчество, документ)", 34.0, Align::Left),
            col("Верные данные", 70.0, Align::Left),
            col("Подпись участника", 54.0, Align::Left),
        ],
        rows: rows.collect(),
        footer: vec!["Исправления вносятся по документу, удостоверяющему личность; ведомость передаётся в РЦОИ вместе с бланками.".into()],
        signatures: vec![Signature::blank("Ответственный организатор в аудитории")],
        orientation: Orientation::Landscape,
        code: form_code(Some(&input.first_sheet), key),
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-12-02", &format!("ППЭ-12-02 аудитория {}", input.auditorium), Some(&input.auditorium)))
}
