//! The exam point's statements of materials and people, laid out after the collection: the
//! summary statement (ППЭ-13-02-МАШ, machine-read by РЦОИ before the blanks), the act of
//! materials received from the ГЭК member (ППЭ-14-01), the issue and return of materials by
//! auditorium (ППЭ-14-02) and the changes of workers on the day (ППЭ-19). Landscape where the
//! columns need it; every page carries the form's sheet code.

use super::*;

/// «Индивидуальный комплект: БР, БО № 1» under the title, when the kit is known.
fn kit_heading(kit: &str) -> Vec<String> {
    if kit.is_empty() {
        Vec::new()
    } else {
        vec![format!("Индивидуальный комплект: {kit}")]
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SummaryRow {
    pub auditorium: String,
    pub planned: u32,
    pub present: u32,
    pub absent: u32,
    pub removed: u32,
    pub early: u32,
    pub sheets_issued: u32,
    pub sheets_spoiled: u32,
    /// Additional answer sheets (ДБО № 2) issued; `None` where the kit has no answer sheet № 2.
    #[serde(default)]
    pub additional: Option<u32>,
}

/// ППЭ-13-02-МАШ: summary statement of the exam point, per auditorium and in total.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SummaryStatementInput {
    pub exam: ExamHeader,
    pub first_sheet: SheetId,
    pub rows: Vec<SummaryRow>,
    /// The exam's kit as people read it (`БР, БО № 1`).
    #[serde(default)]
    pub kit: String,
    /// Who signs: the head of the point and the ГЭК members (from the roster; empty: by hand).
    #[serde(default)]
    pub head: String,
    #[serde(default)]
    pub gek_members: Vec<String>,
}

/// The ГЭК members' signatures: one per member on the roster, at least one line.
pub fn gek_signatures(members: &[String]) -> Vec<Signature> {
    if members.is_empty() {
        return vec![Signature::blank("Член ГЭК")];
    }
    members.iter().map(|m| Signature::new("Член ГЭК", m.clone())).collect()
}

fn dash_unless(count: Option<u32>) -> String {
    match count {
        Some(n) => n.to_string(),
        None => "—".into(),
    }
}

pub fn summary_statement_pdf(input: &SummaryStatementInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-13-02-МАШ")?;
    let applies = input.rows.iter().any(|r| r.additional.is_some());
    let mut total = SummaryRow {
        auditorium: "Итого".into(),
        planned: 0,
        present: 0,
        absent: 0,
        removed: 0,
        early: 0,
        sheets_issued: 0,
        sheets_spoiled: 0,
        additional: applies.then_some(0),
    };
    for r in &input.rows {
        total.planned += r.planned;
        total.present += r.present;
        total.absent += r.absent;
        total.removed += r.removed;
        total.early += r.early;
        total.sheets_issued += r.sheets_issued;
        total.sheets_spoiled += r.sheets_spoiled;
        total.additional = total.additional.map(|t| t + r.additional.unwrap_or(0));
    }
    let line = |r: &SummaryRow| {
        vec![
            r.auditorium.clone(),
            r.planned.to_string(),
            r.present.to_string(),
            r.absent.to_string(),
            r.removed.to_string(),
            r.early.to_string(),
            r.sheets_issued.to_string(),
            r.sheets_spoiled.to_string(),
            dash_unless(r.additional),
        ]
    };
    let mut rows: Vec<Vec<String>> = input.rows.iter().map(line).collect();
    rows.push(line(&total));
    let mut signatures = vec![Signature::new("Руководитель ППЭ", input.head.clone())];
    signatures.extend(gek_signatures(&input.gek_members));
    let table = Table {
        form: "ППЭ-13-02-МАШ",
        heading: ["Сводная ведомость учёта участников и использования экзаменационных материалов в ППЭ".to_string(), input.exam.line()]
            .into_iter()
            .chain([format!("Код ППЭ: {} · Дата экзамена: {} · Аудиторий: {}", input.exam.ppe_code, input.exam.date, input.rows.len())])
            .chain(kit_heading(&input.kit))
            .collect(),
        columns: vec![
            col("Номер аудитории", 26.0, Align::Center),
            col("Распределено участников (по списку ППЭ-05-01)", 30.0, Align::Right),
            col("Явились на экзамен", 26.0, Align::Right),
            col("Не явились", 24.0, Align::Right),
            col("Удалены (ППЭ-21)", 26.0, Align::Right),
            col("Не закончили по объективным причинам (ППЭ-22)", 32.0, Align::Right),
            col("Выдано бланков из ИК", 28.0, Align::Right),
            col("Испорчено, с браком (заменено)", 30.0, Align::Right),
            col("Выдано ДБО № 2", 26.0, Align::Right),
        ],
        rows,
        footer: vec!["Заполняется по протоколам ППЭ-05-02 всех аудиторий; передаётся в РЦОИ до бланков участников.".into()],
        signatures,
        orientation: Orientation::Landscape,
        code: Some(FormCode { first: input.first_sheet.clone(), key }),
    };
    table.render(&mut doc)?;
    Ok(finish(doc, "ППЭ-13-02-МАШ", "ППЭ-13-02-МАШ сводная ведомость", None))
}

/// A line of ППЭ-14-01: what the ГЭК member hands over and how many.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReceivedItem {
    pub what: String,
    /// What the box knows (from the plan and the package); empty: counted by hand.
    pub count: String,
    pub note: String,
}

/// ППЭ-14-01: act of receipt of the exam materials in the exam point from the ГЭК member.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MaterialsReceiptInput {
    pub exam: ExamHeader,
    pub items: Vec<ReceivedItem>,
    /// Local time the key was activated (the materials became usable), `ЧЧ:ММ`; empty: by hand.
    pub received_at: String,
    pub gek_members: Vec<String>,
    pub head: String,
    pub first_sheet: Option<SheetId>,
}

pub fn materials_receipt_pdf(input: &MaterialsReceiptInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-14-01")?;
    let mut rows: Vec<Vec<String>> = input
        .items
        .iter()
        .enumerate()
        .map(|(i, r)| vec![(i + 1).to_string(), r.what.clone(), r.count.clone(), String::new(), r.note.clone()])
        .collect();
    for i in 0..2 {
        rows.push(vec![(input.items.len() + i + 1).to_string(), String::new(), String::new(), String::new(), String::new()]);
    }
    let when = if input.received_at.is_empty() { "____ ч ____ мин".to_string() } else { input.received_at.clone() };
    let mut signatures: Vec<Signature> =
        gek_signatures(&input.gek_members).into_iter().map(|s| Signature::new("Член ГЭК (передал)", s.name)).collect();
    signatures.push(Signature::new("Руководитель ППЭ (принял)", input.head.clone()));
    Table {
        form: "ППЭ-14-01",
        heading: vec!["Акт приёмки-передачи экзаменационных материалов в ППЭ".into(), input.exam.line()],
        columns: vec![
            col("№ п/п", 10.0, Align::Right),
            col("Наименование экзаменационных материалов", 70.0, Align::Left),
            col("Количество по данным ППЭ", 24.0, Align::Right),
            col("Принято, шт.", 20.0, Align::Center),
            col("Примечание", 50.0, Align::Left),
        ],
        rows,
        footer: vec![
            format!("Дата: {} · Время получения экзаменационных материалов: {when}", input.exam.date),
            "Экзаменационные материалы получены в полном объёме, целостность упаковки не нарушена (при расхождении — указать в примечании).".into(),
        ],
        signatures,
        code: form_code(input.first_sheet.as_ref(), key),
        ..Default::default()
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-14-01", "ППЭ-14-01 акт приёмки-передачи экзаменационных материалов", None))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MaterialsRow {
    pub auditorium: String,
    /// Individual kits handed to the auditorium (a kit counts once, however many of its
    /// sheets the desk scanned).
    pub kits_issued: u32,
    /// Sheets scanned out at the staff room desk.
    pub sheets_issued: u32,
    /// Local time of the first issue, `ЧЧ:ММ`.
    pub issued_at: String,
    pub kits_returned: u32,
    pub sheets_returned: u32,
    /// Local time of the last return, `ЧЧ:ММ`.
    pub returned_at: String,
    /// The auditorium's responsible organizer (from the roster; empty: written by hand).
    #[serde(default)]
    pub organizer: String,
}

/// ППЭ-14-02: issue and return of exam materials per auditorium.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MaterialsRecordInput {
    pub exam: ExamHeader,
    pub rows: Vec<MaterialsRow>,
    /// The exam's kit as people read it (`БР, БО № 1`): what one counted kit holds.
    #[serde(default)]
    pub kit: String,
    #[serde(default)]
    pub first_sheet: Option<SheetId>,
    #[serde(default)]
    pub head: String,
}

pub fn materials_record_pdf(input: &MaterialsRecordInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-14-02")?;
    Table {
        form: "ППЭ-14-02",
        heading: ["Ведомость выдачи и возврата экзаменационных материалов по аудиториям ППЭ".to_string(), input.exam.line()]
            .into_iter()
            .chain(kit_heading(&input.kit))
            .collect(),
        columns: vec![
            col("Аудитория", 18.0, Align::Center),
            col("Выдано ИК", 15.0, Align::Right),
            col("Листов", 14.0, Align::Right),
            col("Время выдачи", 16.0, Align::Center),
            col("Организатор в аудитории (ФИО)", 38.0, Align::Left),
            col("Подпись получившего", 36.0, Align::Left),
            col("Возвращено ИК", 22.0, Align::Right),
            col("Листов", 14.0, Align::Right),
            col("Время возврата", 16.0, Align::Center),
            col("Подпись сдавшего", 36.0, Align::Left),
            col("Подпись принявшего (руководитель ППЭ)", 36.0, Align::Left),
        ],
        rows: input
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.auditorium.clone(),
                    r.kits_issued.to_string(),
                    r.sheets_issued.to_string(),
                    r.issued_at.clone(),
                    r.organizer.clone(),
                    String::new(),
                    r.kits_returned.to_string(),
                    r.sheets_returned.to_string(),
                    r.returned_at.clone(),
                ]
            })
            .collect(),
        footer: vec![format!(
            "Всего выдано ИК: {}, возвращено ИК: {}",
            input.rows.iter().map(|r| r.kits_issued).sum::<u32>(),
            input.rows.iter().map(|r| r.kits_returned).sum::<u32>()
        )],
        signatures: vec![Signature::new("Руководитель ППЭ", input.head.clone())],
        orientation: Orientation::Landscape,
        code: form_code(input.first_sheet.as_ref(), key),
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-14-02", "ППЭ-14-02 выдача и возврат материалов", None))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReplacementRow {
    pub time: String,
    pub replaced: String,
    pub replacement: String,
    pub post: String,
    pub reason: String,
}

/// Blank rows of ППЭ-19 for changes written by hand after it was printed.
pub const REPLACEMENT_BLANK_ROWS: usize = 3;

/// ППЭ-19: record of changes of workers during the exam day.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkerReplacementInput {
    pub exam: ExamHeader,
    pub rows: Vec<ReplacementRow>,
    #[serde(default)]
    pub first_sheet: Option<SheetId>,
    #[serde(default)]
    pub head: String,
    #[serde(default)]
    pub gek_members: Vec<String>,
}

pub fn worker_replacement_pdf(input: &WorkerReplacementInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-19")?;
    let mut rows: Vec<Vec<String>> = input
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| vec![(i + 1).to_string(), r.time.clone(), r.replaced.clone(), r.post.clone(), r.reason.clone(), r.replacement.clone()])
        .collect();
    for i in 0..REPLACEMENT_BLANK_ROWS {
        rows.push(vec![(input.rows.len() + i + 1).to_string()]);
    }
    let mut signatures = vec![Signature::new("Руководитель ППЭ", input.head.clone())];
    signatures.extend(gek_signatures(&input.gek_members));
    Table {
        form: "ППЭ-19",
        heading: vec!["Контроль изменения состава работников ППЭ в день экзамена".into(), input.exam.line()],
        columns: vec![
            col("№ п/п", 10.0, Align::Right),
            col("Время", 16.0, Align::Center),
            col("ФИО работника, которого заменили (не явился, отстранён)", 50.0, Align::Left),
            col("Место работы в ППЭ", 40.0, Align::Left),
            col("Причина замены", 46.0, Align::Left),
            col("ФИО работника, назначенного на замену", 50.0, Align::Left),
            col("Подпись назначенного работника", 38.0, Align::Left),
        ],
        rows,
        signatures,
        orientation: Orientation::Landscape,
        code: form_code(input.first_sheet.as_ref(), key),
        ..Default::default()
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-19", "ППЭ-19 изменения состава работников", None))
}
