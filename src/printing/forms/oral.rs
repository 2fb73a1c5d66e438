//! The forms of oral exams (issue 18 item 5): the ИС-9 ведомость учёта проведения and the
//! expert's protocol per conducting room; the «Говорение» protocols of the preparation room
//! (ППЭ-05-03-У) and of the recording room (ППЭ-05-04-У) and the point's summary of the oral
//! part (ППЭ-13-03-У). Each carries its sheet code on every page; pure.

use super::*;

/// One participant's turn as the ведомость and the room protocols print it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TurnRow {
    pub position: u32,
    pub name: String,
    /// Class (ИС-9) or identity document («Говорение»).
    pub class_or_document: String,
    /// The conducting room (on the preparation room's protocol).
    pub auditorium: String,
    /// Local `ЧЧ:ММ`, empty before it happened.
    pub started: String,
    pub finished: String,
    /// «не явился», «опоздал», «переведён из ауд. …».
    pub note: String,
}

/// The ИС-9 ведомость учёта проведения итогового собеседования in one conducting room, or a
/// «Говорение» room protocol (`form` says which).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OralRoomInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub rows: Vec<TurnRow>,
    /// Who works in the room, prefilled from the roster: (role as the form names it, name).
    pub staff: Vec<(String, String)>,
    pub first_sheet: Option<SheetId>,
}

/// The forms of a room's turns: ИС-02 (ИС-9 conducting room), ППЭ-05-03-У (preparation room),
/// ППЭ-05-04-У (recording room).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OralRoomForm {
    InterviewConduct,
    Preparation,
    Recording,
}

impl OralRoomForm {
    pub fn code(self) -> &'static str {
        match self {
            Self::InterviewConduct => "ИС-02",
            Self::Preparation => "ППЭ-05-03-У",
            Self::Recording => "ППЭ-05-04-У",
        }
    }
    fn title(self, auditorium: &str) -> String {
        match self {
            Self::InterviewConduct => format!("Ведомость учёта проведения итогового собеседования в аудитории {auditorium}"),
            Self::Preparation => format!("Протокол проведения экзамена в аудитории подготовки {auditorium}"),
            Self::Recording => format!("Протокол проведения экзамена в аудитории проведения {auditorium}"),
        }
    }
}

pub fn oral_room_pdf(form: OralRoomForm, input: &OralRoomInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let code = form.code();
    let mut doc = Document::new(code)?;
    let (who, start, end) = match form {
        OralRoomForm::InterviewConduct => ("Класс", "Время начала\nответа", "Время окончания\nответа"),
        OralRoomForm::Preparation => ("Документ", "Время начала\nподготовки", "Время выхода\nв аудиторию проведения"),
        OralRoomForm::Recording => ("Документ", "Время начала\nзаписи ответа", "Время окончания\nзаписи ответа"),
    };
    let mut columns = vec![col("№ п/п", 12.0, Align::Right), col("ФИО участника", 70.0, Align::Left), col(who, 34.0, Align::Left)];
    if form == OralRoomForm::Preparation {
        columns.push(col("Аудитория\nпроведения", 24.0, Align::Center));
    }
    columns.extend([
        col(start, 26.0, Align::Center),
        col(end, 30.0, Align::Center),
        col("Отметка", 36.0, Align::Left),
        col("Подпись\nучастника", 30.0, Align::Left),
    ]);
    let rows = input
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![r.position.to_string(), r.name.clone(), r.class_or_document.clone()];
            if form == OralRoomForm::Preparation {
                row.push(r.auditorium.clone());
            }
            row.extend([r.started.clone(), r.finished.clone(), r.note.clone(), String::new()]);
            row
        })
        .collect();
    let answered = input.rows.iter().filter(|r| !r.finished.is_empty()).count();
    let absent = input.rows.iter().filter(|r| r.note.contains("не явился")).count();
    Table {
        form: code,
        heading: vec![form.title(&input.auditorium), input.exam.line()],
        columns,
        rows,
        footer: vec![format!("Участников в очереди: {}; ответили: {answered}; не явились: {absent}", input.rows.len())],
        signatures: input.staff.iter().map(|(role, name)| Signature::new(role.clone(), name.clone())).collect(),
        orientation: Orientation::Landscape,
        code: form_code(input.first_sheet.as_ref(), key),
    }
    .render(&mut doc)?;
    Ok(finish(doc, code, &format!("{code} аудитория {}", input.auditorium), Some(&input.auditorium)))
}

/// One participant's line of the expert's protocol.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExpertRow {
    pub name: String,
    pub class: String,
    /// Points in the order of `ExpertProtocolInput::criteria`; empty before scoring.
    pub points: Vec<String>,
    pub total: String,
    /// «зачёт» / «незачёт», empty before scoring.
    pub result: String,
}

/// ИС-03: the expert's protocol of one conducting room — the criteria of every task per
/// participant, the total and зачёт/незачёт.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExpertProtocolInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    /// Criterion codes in print order.
    pub criteria: Vec<String>,
    /// The criteria's legend: `ИЧ — интонация; …`.
    pub legend: Vec<String>,
    pub rows: Vec<ExpertRow>,
    pub expert: String,
    pub first_sheet: Option<SheetId>,
}

pub fn expert_protocol_pdf(input: &ExpertProtocolInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let code = "ИС-03";
    let mut doc = Document::new(code)?;
    // The criteria columns share what the name, class and result columns leave of the page.
    let width = (261.0 - 8.0 - 52.0 - 12.0 - 14.0 - 18.0) / input.criteria.len().max(1) as f32;
    let mut columns = vec![col("№", 8.0, Align::Right), col("ФИО участника", 52.0, Align::Left), col("Класс", 12.0, Align::Center)];
    columns.extend(input.criteria.iter().map(|c| col(crate::oral::criterion_title(c), width, Align::Center)));
    columns.extend([col("Итого", 14.0, Align::Center), col("Зачёт /\nнезачёт", 18.0, Align::Center)]);
    let rows = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut row = vec![(i + 1).to_string(), r.name.clone(), r.class.clone()];
            row.extend((0..input.criteria.len()).map(|k| r.points.get(k).cloned().unwrap_or_default()));
            row.extend([r.total.clone(), r.result.clone()]);
            row
        })
        .collect();
    Table {
        form: code,
        heading: vec![
            format!("Протокол эксперта по оцениванию ответов участников итогового собеседования, аудитория {}", input.auditorium),
            input.exam.line(),
        ],
        columns,
        rows,
        footer: input.legend.clone(),
        signatures: vec![Signature::new("Эксперт", input.expert.clone())],
        orientation: Orientation::Landscape,
        code: form_code(input.first_sheet.as_ref(), key),
    }
    .render(&mut doc)?;
    Ok(finish(doc, code, &format!("{code} аудитория {}", input.auditorium), Some(&input.auditorium)))
}

/// One room's line of ППЭ-13-03-У.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OralSummaryRow {
    pub auditorium: String,
    /// «аудитория подготовки» / «аудитория проведения (запись ответов)».
    pub kind: String,
    pub listed: usize,
    pub answered: usize,
    pub absent: usize,
}

/// ППЭ-13-03-У: the point's summary of the oral part, by room.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OralSummaryInput {
    pub exam: ExamHeader,
    pub rows: Vec<OralSummaryRow>,
    pub first_sheet: Option<SheetId>,
}

pub fn oral_summary_pdf(input: &OralSummaryInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let code = "ППЭ-13-03-У";
    let mut doc = Document::new(code)?;
    let total = |f: fn(&OralSummaryRow) -> usize| input.rows.iter().map(f).sum::<usize>();
    Table {
        form: code,
        heading: vec!["Сводная ведомость учёта участников и использования экзаменационных материалов в ППЭ (устная часть)".into(), input.exam.line()],
        columns: vec![
            col("Аудитория", 22.0, Align::Center),
            col("Вид аудитории", 58.0, Align::Left),
            col("Участников\nпо списку", 30.0, Align::Right),
            col("Записано\nответов", 30.0, Align::Right),
            col("Не явились", 30.0, Align::Right),
        ],
        rows: input
            .rows
            .iter()
            .map(|r| vec![r.auditorium.clone(), r.kind.clone(), r.listed.to_string(), r.answered.to_string(), r.absent.to_string()])
            .collect(),
        footer: vec![format!("Всего записано ответов: {}; не явились: {}", total(|r| r.answered), total(|r| r.absent))],
        signatures: vec![Signature::blank("Руководитель ППЭ"), Signature::blank("Член ГЭК")],
        orientation: Orientation::Portrait,
        code: form_code(input.first_sheet.as_ref(), key),
    }
    .render(&mut doc)?;
    Ok(finish(doc, code, code, None))
}
