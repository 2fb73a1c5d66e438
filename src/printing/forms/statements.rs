//! Statements and acts: the auditorium protocol, the machine-read forms (absence log,
//! summary statement, observation act) and their structured records, and the event acts.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProtocolRow {
    pub seat: String,
    pub name: String,
    pub document: String,
    /// `явился`, `не явился`, …
    pub status: String,
    /// Local time of a late arrival, `ЧЧ:ММ`.
    pub late_at: Option<String>,
    pub removed: bool,
    pub early: bool,
    /// Sheets of the participant's kits (a replaced kit's too).
    pub sheets_issued: u32,
    pub sheets_replaced: u32,
    /// Additional answer sheets (ДБО № 2) issued; `None` where the exam's kit has no answer
    /// sheet № 2, so the column prints «—».
    #[serde(default)]
    pub additional: Option<u32>,
    /// The КИМ variant the participant's seat was given (empty before it was drawn).
    pub variant: String,
}

/// A defective kit replaced as a whole: the numbers voided and the numbers given instead.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KitReplacementNote {
    /// Local time, `ЧЧ:ММ`.
    pub at: String,
    pub seat: String,
    pub name: String,
    pub reason: String,
    pub voided: Vec<u32>,
    pub issued: Vec<u32>,
}

/// ППЭ-05-02: protocol of the exam in an auditorium.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditoriumProtocolInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub rows: Vec<ProtocolRow>,
    #[serde(default)]
    pub kit_replacements: Vec<KitReplacementNote>,
    /// The exam's kit as people read it (`БР, БО № 1`).
    #[serde(default)]
    pub kit: String,
    /// The sheet code of its first page (page `i` carries number `first + i`).
    pub first_sheet: SheetId,
}

/// The heading line naming the exam's kit, when known.
fn kit_line(kit: &str) -> Option<String> {
    (!kit.is_empty()).then(|| format!("Индивидуальный комплект: {kit}"))
}

/// A count that applies only to some kits: «—» where it does not.
fn count_or_dash(count: Option<u32>) -> String {
    count.map_or_else(|| "—".to_string(), |n| n.to_string())
}

/// Sheet numbers as runs: `0000013–0000016, 0000020`.
pub fn number_runs(numbers: &[u32]) -> String {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for n in sorted {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    runs.iter().map(|(a, b)| if a == b { format!("{a:07}") } else { format!("{a:07}–{b:07}") }).collect::<Vec<_>>().join(", ")
}

fn yes(flag: bool) -> String {
    if flag {
        "да".into()
    } else {
        String::new()
    }
}

pub fn auditorium_protocol_pdf(input: &AuditoriumProtocolInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-05-02")?;
    let table = Table {
        form: "ППЭ-05-02",
        heading: [format!("Протокол проведения экзамена в аудитории {}", input.auditorium), input.exam.line()]
            .into_iter()
            .chain(kit_line(&input.kit))
            .collect(),
        columns: vec![
            col("Место", 12.0, Align::Center),
            col("ФИО участника", 52.0, Align::Left),
            col("Документ", 28.0, Align::Left),
            col("Вариант", 14.0, Align::Center),
            col("Явка", 18.0, Align::Center),
            col("Опоздал", 16.0, Align::Center),
            col("Удалён", 14.0, Align::Center),
            col("Не закончил", 16.0, Align::Center),
            col("Выдано бланков", 16.0, Align::Right),
            col("Замена комплекта", 18.0, Align::Right),
            col("ДБО № 2", 14.0, Align::Right),
            col("Подпись участника", 43.0, Align::Left),
        ],
        rows: input
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.seat.clone(),
                    r.name.clone(),
                    r.document.clone(),
                    r.variant.clone(),
                    r.status.clone(),
                    r.late_at.clone().unwrap_or_default(),
                    yes(r.removed),
                    yes(r.early),
                    r.sheets_issued.to_string(),
                    r.sheets_replaced.to_string(),
                    count_or_dash(r.additional),
                ]
            })
            .collect(),
        footer: input
            .kit_replacements
            .iter()
            .flat_map(|r| {
                [
                    format!("Замена комплекта в {}, место {}: {}", r.at, r.seat, r.name),
                    format!("испорчены № {}; выданы № {}; причина: {}", number_runs(&r.voided), number_runs(&r.issued), r.reason),
                ]
            })
            .collect(),
        signatures: vec![Signature::blank("Организатор в аудитории"), Signature::blank("Организатор в аудитории")],
        orientation: Orientation::Landscape,
        ..Default::default()
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-05-02", &format!("ППЭ-05-02 аудитория {}", input.auditorium), Some(&input.auditorium)))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AbsenceRow {
    pub auditorium: String,
    pub seat: String,
    pub name: String,
    pub left_at: String,
    pub returned_at: String,
    /// куда выходил: туалет, медпункт, …
    pub reason: String,
}

/// ППЭ-12-04-МАШ: log of participants' absences from the auditorium during the exam.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AbsenceLogInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub first_sheet: SheetId,
    pub rows: Vec<AbsenceRow>,
}

pub fn absence_log_pdf(input: &AbsenceLogInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-12-04-МАШ")?;
    let table = Table {
        form: "ППЭ-12-04-МАШ",
        heading: vec![format!("Ведомость учёта времени отсутствия участников, ауд. {}", input.auditorium), input.exam.line()],
        columns: vec![
            col("Место", 12.0, Align::Center),
            col("ФИО участника", 50.0, Align::Left),
            col("Вышел", 16.0, Align::Center),
            col("Вернулся", 18.0, Align::Center),
            col("Куда", 36.0, Align::Left),
            col("Подпись организатора", 42.0, Align::Left),
        ],
        rows: input.rows.iter().map(|r| vec![r.seat.clone(), r.name.clone(), r.left_at.clone(), r.returned_at.clone(), r.reason.clone()]).collect(),
        signatures: vec![Signature::blank("Организатор в аудитории")],
        ..Default::default()
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-12-04-МАШ", &format!("ППЭ-12-04-МАШ аудитория {}", input.auditorium), Some(&input.auditorium)))
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
            count_or_dash(r.additional),
        ]
    };
    let mut rows: Vec<Vec<String>> = input.rows.iter().map(line).collect();
    rows.push(line(&total));
    let table = Table {
        form: "ППЭ-13-02-МАШ",
        heading: ["Сводная ведомость учёта участников и материалов в ППЭ".to_string(), input.exam.line()]
            .into_iter()
            .chain(kit_line(&input.kit))
            .collect(),
        columns: vec![
            col("Аудитория", 20.0, Align::Center),
            col("По плану", 20.0, Align::Right),
            col("Явились", 20.0, Align::Right),
            col("Не явились", 20.0, Align::Right),
            col("Удалены", 18.0, Align::Right),
            col("Досрочно", 20.0, Align::Right),
            col("Выдано", 18.0, Align::Right),
            col("Испорчено", 20.0, Align::Right),
            col("ДБО № 2", 18.0, Align::Right),
        ],
        rows,
        signatures: vec![Signature::blank("Руководитель ППЭ"), Signature::blank("Член ГЭК")],
        ..Default::default()
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-13-02-МАШ", "ППЭ-13-02-МАШ сводная ведомость", None))
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
}

/// ППЭ-14-02: issue and return of exam materials per auditorium.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MaterialsRecordInput {
    pub exam: ExamHeader,
    pub rows: Vec<MaterialsRow>,
    /// The exam's kit as people read it (`БР, БО № 1`): what one counted kit holds.
    #[serde(default)]
    pub kit: String,
    pub first_sheet: SheetId,
}

pub fn materials_record_pdf(input: &MaterialsRecordInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-14-02")?;
    let table = Table {
        form: "ППЭ-14-02",
        heading: ["Ведомость выдачи и возврата экзаменационных материалов по аудиториям".to_string(), input.exam.line()]
            .into_iter()
            .chain(kit_line(&input.kit))
            .collect(),
        columns: vec![
            col("Аудитория", 24.0, Align::Center),
            col("Выдано комплектов", 24.0, Align::Right),
            col("Листов", 18.0, Align::Right),
            col("Время выдачи", 20.0, Align::Center),
            col("Подпись получившего", 42.0, Align::Left),
            col("Возвращено комплектов", 26.0, Align::Right),
            col("Листов", 18.0, Align::Right),
            col("Время возврата", 20.0, Align::Center),
            col("Подпись сдавшего", 42.0, Align::Left),
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
                    String::new(),
                    r.kits_returned.to_string(),
                    r.sheets_returned.to_string(),
                    r.returned_at.clone(),
                ]
            })
            .collect(),
        signatures: vec![Signature::blank("Руководитель ППЭ")],
        orientation: Orientation::Landscape,
        ..Default::default()
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-14-02", "ППЭ-14-02 выдача и возврат материалов", None))
}

/// ППЭ-18-МАШ: act of public observation, prefilled with the exam and the observer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObservationActInput {
    pub exam: ExamHeader,
    pub observer: String,
    pub sheet: SheetId,
    /// Checklist items the observer marks.
    pub items: Vec<String>,
}

pub fn observation_act_pdf(input: &ObservationActInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-18-МАШ")?;
    let mut page = doc.page();
    machine_marks(&mut page, &input.sheet, key)?;
    page.text(LEFT, 24.0, 8.0, true, "ППЭ-18-МАШ")?;
    page.text(LEFT, 32.0, 13.0, true, "Акт общественного наблюдения")?;
    page.text_in(LEFT, 40.0, CODE_X - LEFT - 4.0, 9.0, false, Align::Left, &input.exam.line())?;
    field(&mut page, LEFT, 50.0, 120.0, "Общественный наблюдатель", &input.observer)?;
    let mut top = 70.0;
    page.text(LEFT, top, 9.0, true, "Отметьте «да» или «нет» по каждому пункту")?;
    for item in &input.items {
        top += 9.0;
        page.text_in(LEFT, top, 140.0, 9.0, false, Align::Left, item)?;
        page.frame(LEFT + 145.0, top - 4.5, 5.0, 5.0, 0.6);
        page.text(LEFT + 151.0, top, 8.0, false, "да")?;
        page.frame(LEFT + 158.0, top - 4.5, 5.0, 5.0, 0.6);
        page.text(LEFT + 164.0, top, 8.0, false, "нет")?;
    }
    page.signature(LEFT, top + 14.0, "Общественный наблюдатель", &input.observer)?;
    page_number(&mut page, "ППЭ-18-МАШ", 1, 1)?;
    doc.push(page);
    Ok(finish(doc, "ППЭ-18-МАШ", "ППЭ-18-МАШ акт общественного наблюдения", None))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReplacementRow {
    pub time: String,
    pub replaced: String,
    pub replacement: String,
    pub post: String,
    pub reason: String,
}

/// ППЭ-19: record of changes of workers during the exam day.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkerReplacementInput {
    pub exam: ExamHeader,
    pub rows: Vec<ReplacementRow>,
    pub first_sheet: SheetId,
}

pub fn worker_replacement_pdf(input: &WorkerReplacementInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-19")?;
    let table = Table {
        form: "ППЭ-19",
        heading: vec!["Контроль изменения состава работников в день экзамена".into(), input.exam.line()],
        columns: vec![
            col("Время", 16.0, Align::Center),
            col("Кого заменили", 46.0, Align::Left),
            col("Кем заменили", 46.0, Align::Left),
            col("Место работы", 24.0, Align::Center),
            col("Причина", 42.0, Align::Left),
        ],
        rows: input.rows.iter().map(|r| vec![r.time.clone(), r.replaced.clone(), r.replacement.clone(), r.post.clone(), r.reason.clone()]).collect(),
        signatures: vec![Signature::blank("Руководитель ППЭ"), Signature::blank("Член ГЭК")],
        ..Default::default()
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-19", "ППЭ-19 изменения состава работников", None))
}

/// ППЭ-21 (removal) and ППЭ-22 (early finish): one participant, one event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventActInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub seat: String,
    pub participant: PersonOnForm,
    /// Local time, `ЧЧ:ММ`.
    pub at: String,
    pub reason: String,
    /// Sheet numbers of the participant's kit, so scanning can link the act.
    pub kit_sheets: Vec<String>,
    /// The member of ГЭК who drew up the act (removal requires one).
    #[serde(default)]
    pub gek_member: String,
    pub first_sheet: SheetId,
}

/// How far an act's content sits below its page's code block.
const ACT_BELOW_CODE: f32 = 28.0;

fn event_act(input: &EventActInput, form: &str, title: &str, reason_label: &str, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new(form)?;
    let mut page = doc.page();
    machine_marks(&mut page, &input.first_sheet, key)?;
    // Everything below the code block.
    let dy = ACT_BELOW_CODE;
    page.text_in(LEFT, dy + 20.0, 174.0, 8.0, true, Align::Right, form)?;
    page.text_in(LEFT, dy + 30.0, 174.0, 14.0, true, Align::Center, title)?;
    page.text_in(LEFT, dy + 38.0, 174.0, 9.0, false, Align::Center, &input.exam.line())?;
    field(&mut page, LEFT, dy + 48.0, 174.0, "Участник экзамена", &input.participant.full_name())?;
    field(&mut page, LEFT, dy + 62.0, 80.0, "Документ", &input.participant.document)?;
    field(&mut page, LEFT + 84.0, dy + 62.0, 30.0, "Аудитория", &input.auditorium)?;
    field(&mut page, LEFT + 118.0, dy + 62.0, 20.0, "Место", &input.seat)?;
    field(&mut page, LEFT + 142.0, dy + 62.0, 32.0, "Время", &input.at)?;
    page.text(LEFT, dy + 80.0, 8.0, false, reason_label)?;
    page.frame(LEFT, dy + 82.0, 174.0, 40.0, 0.6);
    page.paragraph(LEFT + 2.0, dy + 88.0, 170.0, 10.0, &input.reason)?;
    page.text_in(LEFT, dy + 130.0, 174.0, 8.0, false, Align::Left, &format!("Бланки участника: {}", input.kit_sheets.join("; ")))?;
    if !input.gek_member.is_empty() {
        page.text_in(LEFT, dy + 137.0, 174.0, 9.0, false, Align::Left, &format!("Член ГЭК: {}", input.gek_member))?;
    }
    let mut top = dy + 145.0;
    for who in ["Член ГЭК", "Руководитель ППЭ", "Организатор в аудитории", "Медицинский работник (при наличии)", "С актом ознакомлен(а), участник"]
    {
        top = page.signature(LEFT, top, who, if who == "Член ГЭК" { &input.gek_member } else { "" })? + 2.0;
    }
    page_number(&mut page, form, 1, 1)?;
    doc.push(page);
    Ok(finish(doc, form, &format!("{form} {title}"), Some(&input.auditorium)))
}

pub fn removal_act_pdf(input: &EventActInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    event_act(input, "ППЭ-21", "Акт об удалении участника экзамена", "Нарушение порядка проведения экзамена", key)
}

pub fn early_finish_act_pdf(input: &EventActInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    event_act(
        input,
        "ППЭ-22",
        "Акт о досрочном завершении экзамена по объективным причинам",
        "Причина (состояние здоровья или иные объективные причины)",
        key,
    )
}

/// The structured record of a machine-read form for the upload bundle: РЦОИ processes these
/// before the answer sheets, so the data travels as JSON beside the scanned images.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MachineRecord<T> {
    pub form: String,
    pub exam_id: String,
    pub ppe_code: String,
    pub first_sheet_number: u32,
    pub data: T,
}

pub fn absence_log_record(input: &AbsenceLogInput) -> MachineRecord<&AbsenceLogInput> {
    MachineRecord {
        form: "ППЭ-12-04-МАШ".into(),
        exam_id: input.exam.exam_id.clone(),
        ppe_code: input.exam.ppe_code.clone(),
        first_sheet_number: input.first_sheet.number,
        data: input,
    }
}

pub fn summary_statement_record(input: &SummaryStatementInput) -> MachineRecord<&SummaryStatementInput> {
    MachineRecord {
        form: "ППЭ-13-02-МАШ".into(),
        exam_id: input.exam.exam_id.clone(),
        ppe_code: input.exam.ppe_code.clone(),
        first_sheet_number: input.first_sheet.number,
        data: input,
    }
}

pub fn observation_act_record(input: &ObservationActInput) -> MachineRecord<&ObservationActInput> {
    MachineRecord {
        form: "ППЭ-18-МАШ".into(),
        exam_id: input.exam.exam_id.clone(),
        ppe_code: input.exam.ppe_code.clone(),
        first_sheet_number: input.sheet.number,
        data: input,
    }
}

/// How many sheet numbers a machine-read table form may use (one per page); callers reserve
/// this many so page codes never collide with another document's.
pub fn machine_table_sheet_budget(rows: usize) -> u32 {
    (rows / 25 + 2) as u32
}
