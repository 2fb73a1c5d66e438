//! Seating lists: who sits where (ППЭ-05-01), the entrance list (ППЭ-06) and the workers' list (ППЭ-07).

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeatingRow {
    pub seat: String,
    pub name: String,
    pub document: String,
}

/// ППЭ-05-01: who sits where in one auditorium (posted at the door, kept by the organizers).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditoriumListInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub rows: Vec<SeatingRow>,
    /// The sheet code of its first page (page `i` carries number `first + i`).
    pub first_sheet: SheetId,
}

pub fn auditorium_list_pdf(input: &AuditoriumListInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-05-01")?;
    let table = Table {
        form: "ППЭ-05-01",
        heading: vec![format!("Список участников экзамена в аудитории {}", input.auditorium), input.exam.line()],
        columns: vec![
            col("№", 10.0, Align::Right),
            col("Место", 18.0, Align::Center),
            col("ФИО участника", 92.0, Align::Left),
            col("Документ", 54.0, Align::Left),
        ],
        rows: input.rows.iter().enumerate().map(|(i, r)| vec![(i + 1).to_string(), r.seat.clone(), r.name.clone(), r.document.clone()]).collect(),
        footer: vec![format!("Всего в аудитории: {}", input.rows.len())],
        signatures: vec![Signature::blank("Руководитель ППЭ")],
        ..Default::default()
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-05-01", &format!("ППЭ-05-01 аудитория {}", input.auditorium), Some(&input.auditorium)))
}
