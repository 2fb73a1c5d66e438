//! The exam point's lists, laid out after the collection's forms: participants by school
//! (ППЭ-06-01, one list per school, given to its escort), all participants alphabetically
//! (ППЭ-06-02, at the entrance) and the workers and public observers by place of work in the
//! point (ППЭ-07, signed by each on arrival). Each page carries the form's sheet code.

use super::*;
use crate::printing::pdf::Column;

/// A participant on the entrance lists.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EntranceRow {
    pub name: String,
    pub document: String,
    pub auditorium: String,
    pub seat: String,
    /// The school's code (empty for graduates of past years).
    #[serde(default)]
    pub school_code: String,
    #[serde(default)]
    pub school_name: String,
    #[serde(default)]
    pub class: String,
}

/// ППЭ-06-02: all participants of the exam point alphabetically, for the entrance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EntranceListInput {
    pub exam: ExamHeader,
    pub rows: Vec<EntranceRow>,
    /// The form's first sheet number (`None`: printed without a code).
    #[serde(default)]
    pub first_sheet: Option<SheetId>,
}

fn by_name(rows: &[EntranceRow]) -> Vec<EntranceRow> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.document.cmp(&b.document)));
    rows
}

fn school_title(row: &EntranceRow) -> String {
    match (row.school_code.is_empty(), row.school_name.is_empty()) {
        (true, true) => "выпускники прошлых лет и лица без образовательной организации".into(),
        (false, true) => row.school_code.clone(),
        (true, false) => row.school_name.clone(),
        (false, false) => format!("{} (код {})", row.school_name, row.school_code),
    }
}

pub fn entrance_list_pdf(input: &EntranceListInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let rows = by_name(&input.rows);
    let mut doc = Document::new("ППЭ-06-02")?;
    Table {
        form: "ППЭ-06-02",
        heading: vec!["Список участников экзамена в ППЭ по алфавиту".into(), input.exam.line()],
        columns: vec![
            col("№ п/п", 10.0, Align::Right),
            col("Фамилия, имя, отчество", 60.0, Align::Left),
            col("Документ, удостоверяющий личность (серия, номер)", 36.0, Align::Left),
            col("Код ОО", 16.0, Align::Center),
            col("Класс", 12.0, Align::Center),
            col("Аудитория", 20.0, Align::Center),
            col("Место", 20.0, Align::Center),
        ],
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    (i + 1).to_string(),
                    r.name.clone(),
                    r.document.clone(),
                    r.school_code.clone(),
                    r.class.clone(),
                    r.auditorium.clone(),
                    r.seat.clone(),
                ]
            })
            .collect(),
        footer: vec![format!("Всего участников в ППЭ: {}", rows.len())],
        signatures: vec![Signature::blank("Руководитель ППЭ")],
        code: form_code(input.first_sheet.as_ref(), key),
        ..Default::default()
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-06-02", "ППЭ-06-02 список участников по алфавиту", None))
}

/// ППЭ-06-01: the same participants, one list per school (a heading per school), each
/// alphabetically; the school's lists follow each other in one document, each list numbered
/// «лист N из M» on its own, the sheet codes running on through the document.
pub fn lists_by_school_pdf(input: &EntranceListInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut schools: std::collections::BTreeMap<(bool, String), Vec<EntranceRow>> = Default::default();
    for r in &input.rows {
        // Schools by code; those without a school last.
        schools.entry((r.school_code.is_empty() && r.school_name.is_empty(), r.school_code.clone())).or_default().push(r.clone());
    }
    if schools.is_empty() {
        return Err(PrintingError::NothingToPrint("ППЭ-06-01: нет участников".into()));
    }
    let mut doc = Document::new("ППЭ-06-01")?;
    let mut next_sheet = input.first_sheet.clone();
    for rows in schools.values() {
        let rows = by_name(rows);
        let table = Table {
            form: "ППЭ-06-01",
            heading: vec![
                "Список участников экзамена образовательной организации".into(),
                format!("Образовательная организация: {}", school_title(&rows[0])),
                input.exam.line(),
            ],
            columns: vec![
                col("№ п/п", 10.0, Align::Right),
                col("Фамилия, имя, отчество", 66.0, Align::Left),
                col("Документ, удостоверяющий личность (серия, номер)", 40.0, Align::Left),
                col("Класс", 16.0, Align::Center),
                col("Аудитория", 22.0, Align::Center),
                col("Место", 20.0, Align::Center),
            ],
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, r)| vec![(i + 1).to_string(), r.name.clone(), r.document.clone(), r.class.clone(), r.auditorium.clone(), r.seat.clone()])
                .collect(),
            footer: vec![format!("Всего участников от образовательной организации: {}", rows.len())],
            signatures: vec![Signature::blank("Руководитель ППЭ"), Signature::blank("Сопровождающий от образовательной организации")],
            code: form_code(next_sheet.as_ref(), key),
            ..Default::default()
        };
        let pages = table.page_count() as u32;
        table.render(&mut doc)?;
        if let Some(sheet) = next_sheet.as_mut() {
            sheet.number += pages;
        }
    }
    Ok(finish(doc, "ППЭ-06-01", "ППЭ-06-01 списки участников по образовательным организациям", None))
}

/// A worker or public observer on ППЭ-07.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkerRow {
    pub name: String,
    /// Должность в ППЭ: руководитель, организатор в аудитории, общественный наблюдатель, …
    pub role: String,
    /// Место работы в ППЭ: «штаб ППЭ», «аудитория 101», «этаж 2», «резерв».
    pub post: String,
    /// The worker's main workplace (an observer's accrediting body and certificate).
    #[serde(default)]
    pub workplace: String,
}

/// ППЭ-07: workers of the exam point by place of work in it (the staff room, each auditorium
/// as the organizers' distribution put them, outside the auditoriums), then the public
/// observers; each signs on arrival.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkersListInput {
    pub exam: ExamHeader,
    pub rows: Vec<WorkerRow>,
    #[serde(default)]
    pub first_sheet: Option<SheetId>,
    /// The head of the exam point (prefilled under the list; empty: written by hand).
    #[serde(default)]
    pub head: String,
}

/// ППЭ-07's columns: the signature column is at least 35 mm wide, so a person can sign in it.
pub fn workers_list_columns() -> Vec<Column> {
    vec![
        col("№ п/п", 10.0, Align::Right),
        col("Фамилия, имя, отчество", 58.0, Align::Left),
        col("Должность в ППЭ", 48.0, Align::Left),
        col("Место работы в ППЭ", 34.0, Align::Center),
        col("Основное место работы", 66.0, Align::Left),
        col("Подпись", 45.0, Align::Left),
    ]
}

pub fn workers_list_pdf(input: &WorkersListInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-07")?;
    let observers = input.rows.iter().filter(|r| r.role == crate::printing::observers::OBSERVER_ROLE).count();
    Table {
        form: "ППЭ-07",
        heading: vec!["Список работников ППЭ и общественных наблюдателей".into(), input.exam.line()],
        columns: workers_list_columns(),
        rows: input
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| vec![(i + 1).to_string(), r.name.clone(), r.role.clone(), r.post.clone(), r.workplace.clone(), String::new()])
            .collect(),
        footer: vec![format!("Работников ППЭ: {}; общественных наблюдателей: {observers}", input.rows.len() - observers)],
        signatures: vec![Signature::new("Руководитель ППЭ", input.head.clone())],
        orientation: Orientation::Landscape,
        code: form_code(input.first_sheet.as_ref(), key),
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-07", "ППЭ-07 список работников ППЭ и общественных наблюдателей", None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_column_of_the_workers_list_is_wide_enough_to_sign_and_the_place_of_work_is_one_column() {
        let columns = workers_list_columns();
        let sign = columns.iter().find(|c| c.title == "Подпись").expect("a signature column");
        assert!(sign.width >= 35.0, "{} mm", sign.width);
        assert!(columns.iter().any(|c| c.title == "Место работы в ППЭ"));
        let width: f32 = columns.iter().map(|c| c.width).sum();
        assert!(width <= Orientation::Landscape.size().0 - 36.0, "the columns fit a landscape page: {width} mm");
    }
}
