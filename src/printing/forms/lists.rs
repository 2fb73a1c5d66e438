//! Seating lists: who sits where (ППЭ-05-01), the entrance list (ППЭ-06) and the workers' list (ППЭ-07).

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeatingRow {
    pub seat: String,
    pub surname: String,
    pub name: String,
    pub patronymic: String,
    /// Series and number of the identity document.
    pub document: String,
}

/// ППЭ-05-01: who sits where in one auditorium, printed in two copies (one posted at the door,
/// one kept by the organizers), each copy with its own sheet codes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditoriumListInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub rows: Vec<SeatingRow>,
    /// The first page's code; the second copy's pages are numbered from
    /// `first_sheet + auditorium_list_copy_budget(rows)`.
    pub first_sheet: SheetId,
}

/// The copies of ППЭ-05-01 and what each is for.
pub const AUDITORIUM_LIST_COPIES: [&str; 2] = ["Экземпляр № 1 — для размещения у входа в аудиторию", "Экземпляр № 2 — для организаторов в аудитории"];

/// Sheet numbers one copy of ППЭ-05-01 may use (the list takes two copies of this).
pub fn auditorium_list_copy_budget(rows: usize) -> u32 {
    (rows / 20 + 2) as u32
}

pub fn auditorium_list_pdf(input: &AuditoriumListInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-05-01")?;
    for purpose in AUDITORIUM_LIST_COPIES.iter() {
        // The copies' pages take the holder's numbers in a row: page i of the document
        // carries number first + i, as the printed-forms record says.
        let mut first = input.first_sheet.clone();
        first.number += doc.page_count() as u32;
        Table {
            form: "ППЭ-05-01",
            heading: vec![
                "Список участников экзамена в аудитории ППЭ".into(),
                input.exam.line(),
                format!("Аудитория № {} · {purpose}", input.auditorium),
            ],
            columns: vec![
                col("№ п/п", 9.0, Align::Right),
                col("Номер места", 14.0, Align::Center),
                col("Фамилия", 42.0, Align::Left),
                col("Имя", 31.0, Align::Left),
                col("Отчество", 36.0, Align::Left),
                col("Документ\n(серия, номер)", 42.0, Align::Left),
            ],
            rows: input
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| vec![(i + 1).to_string(), r.seat.clone(), r.surname.clone(), r.name.clone(), r.patronymic.clone(), r.document.clone()])
                .collect(),
            footer: vec![format!("Всего в аудитории: {}", input.rows.len())],
            signatures: vec![Signature::blank("Руководитель ППЭ")],
            code: form_code(Some(&first), key),
            ..Default::default()
        }
        .render(&mut doc)?;
    }
    Ok(finish(doc, "ППЭ-05-01", &format!("ППЭ-05-01 аудитория {}", input.auditorium), Some(&input.auditorium)))
}
