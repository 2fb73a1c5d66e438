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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EntranceRow {
    pub name: String,
    pub document: String,
    pub auditorium: String,
    pub seat: String,
}

/// ППЭ-06-02: all participants of the exam point alphabetically, for the entrance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EntranceListInput {
    pub exam: ExamHeader,
    pub rows: Vec<EntranceRow>,
    pub first_sheet: SheetId,
}

pub fn entrance_list_pdf(input: &EntranceListInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut rows = input.rows.clone();
    rows.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.document.cmp(&b.document)));
    let mut doc = Document::new("ППЭ-06-02")?;
    let table = Table {
        form: "ППЭ-06-02",
        heading: vec!["Список участников экзамена в ППЭ по алфавиту".into(), input.exam.line()],
        columns: vec![
            col("№", 10.0, Align::Right),
            col("ФИО участника", 84.0, Align::Left),
            col("Документ", 44.0, Align::Left),
            col("Аудитория", 20.0, Align::Center),
            col("Место", 16.0, Align::Center),
        ],
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, r)| vec![(i + 1).to_string(), r.name.clone(), r.document.clone(), r.auditorium.clone(), r.seat.clone()])
            .collect(),
        footer: vec![format!("Всего участников: {}", rows.len())],
        ..Default::default()
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-06-02", "ППЭ-06-02 список по алфавиту", None))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkerRow {
    pub name: String,
    pub role: String,
    pub post: String,
}

/// ППЭ-07: workers of the exam point with their posts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkersListInput {
    pub exam: ExamHeader,
    pub rows: Vec<WorkerRow>,
    pub first_sheet: SheetId,
}

pub fn workers_list_pdf(input: &WorkersListInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-07")?;
    let table = Table {
        form: "ППЭ-07",
        heading: vec!["Список работников ППЭ".into(), input.exam.line()],
        columns: vec![
            col("№", 10.0, Align::Right),
            col("ФИО работника", 90.0, Align::Left),
            col("Должность в ППЭ", 60.0, Align::Left),
            col("Место работы в ППЭ", 40.0, Align::Center),
            col("Подпись", 67.0, Align::Left),
        ],
        rows: input
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| vec![(i + 1).to_string(), r.name.clone(), r.role.clone(), r.post.clone(), String::new()])
            .collect(),
        signatures: vec![Signature::blank("Руководитель ППЭ")],
        orientation: Orientation::Landscape,
        ..Default::default()
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-07", "ППЭ-07 список работников", None))
}
