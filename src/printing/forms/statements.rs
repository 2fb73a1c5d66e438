//! Statements and acts: the auditorium protocol, the summary statement (ППЭ-13-02-МАШ) and
//! the structured records of machine-read forms, and the event acts. ППЭ-18-МАШ and
//! ППЭ-12-04-МАШ, read back from their scans, are in `machine`.

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

pub fn summary_statement_record(input: &SummaryStatementInput) -> MachineRecord<&SummaryStatementInput> {
    MachineRecord {
        form: "ППЭ-13-02-МАШ".into(),
        exam_id: input.exam.exam_id.clone(),
        ppe_code: input.exam.ppe_code.clone(),
        first_sheet_number: input.first_sheet.number,
        data: input,
    }
}

/// How many sheet numbers a machine-read table form may use (one per page); callers reserve
/// this many so page codes never collide with another document's.
pub fn machine_table_sheet_budget(rows: usize) -> u32 {
    (rows / 25 + 2) as u32
}
