//! ППЭ-05-02, the protocol of the exam in an auditorium, laid out after the collection's form:
//! landscape, the exam's planned and actual start and end in the room, then a row per seated
//! participant (seat, full name, document, registration sheet and КИМ variant, the marks —
//! attendance, late arrival with its time, removal, not finished for a valid reason — sheets,
//! kit replacement, ДБО № 2 count, the participant's signature) and the organizers' signatures.

use super::statements::{count_or_dash, kit_line, number_runs, yes};
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
    /// The number of the participant's valid registration sheet (БР), tying the row to the kit.
    #[serde(default)]
    pub registration: String,
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

/// The exam's times in the room, local `ЧЧ:ММ`: planned from the plan, actual when the box
/// knows them (else the organizers write them in).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RoomTimes {
    pub planned_start: String,
    pub planned_end: String,
    /// The end for participants with extra time, when anyone in the room has it.
    #[serde(default)]
    pub planned_end_extra: Option<String>,
    #[serde(default)]
    pub actual_start: Option<String>,
    #[serde(default)]
    pub actual_end: Option<String>,
}

impl RoomTimes {
    fn lines(&self) -> [String; 2] {
        let blank = || "____:____".to_string();
        let actual = |t: &Option<String>| t.clone().unwrap_or_else(blank);
        let planned = |t: &String| if t.is_empty() { blank() } else { t.clone() };
        let extra = self.planned_end_extra.as_ref().map(|t| format!(" (с дополнительным временем {t})")).unwrap_or_default();
        [
            format!("Начало выполнения экзаменационной работы: по плану {}, фактически {}", planned(&self.planned_start), actual(&self.actual_start)),
            format!(
                "Окончание выполнения экзаменационной работы: по плану {}{extra}, фактически {}",
                planned(&self.planned_end),
                actual(&self.actual_end)
            ),
        ]
    }
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
    #[serde(default)]
    pub times: RoomTimes,
    /// The first page's code (page `i` carries `first_sheet + i`).
    pub first_sheet: SheetId,
}

fn totals(rows: &[ProtocolRow]) -> String {
    let count = |f: &dyn Fn(&ProtocolRow) -> bool| rows.iter().filter(|r| f(r)).count();
    let additional: Option<u32> = rows.iter().map(|r| r.additional).sum();
    format!(
        "Всего по списку: {}; явились: {}; не явились: {}; опоздали: {}; удалены: {}; не закончили по уважительной причине: {}; замен комплектов: {}; ДБО № 2: {}",
        rows.len(),
        count(&|r| r.status == "явился"),
        count(&|r| r.status == "не явился"),
        count(&|r| r.late_at.is_some()),
        count(&|r| r.removed),
        count(&|r| r.early),
        rows.iter().map(|r| r.sheets_replaced).sum::<u32>(),
        count_or_dash(additional),
    )
}

pub fn auditorium_protocol_pdf(input: &AuditoriumProtocolInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-05-02")?;
    let room = match kit_line(&input.kit) {
        Some(kit) => format!("Аудитория № {} · {kit}", input.auditorium),
        None => format!("Аудитория № {}", input.auditorium),
    };
    Table {
        form: "ППЭ-05-02",
        heading: [format!("Протокол проведения экзамена в аудитории № {}", input.auditorium), input.exam.line(), room]
            .into_iter()
            .chain(input.times.lines())
            .collect(),
        columns: vec![
            col("Номер места", 11.0, Align::Center),
            col("ФИО участника", 46.0, Align::Left),
            col("Документ (серия, номер)", 25.0, Align::Left),
            col("Номер бланка регистрации", 18.0, Align::Center),
            col("Вариант КИМ", 12.0, Align::Center),
            col("Явка", 15.0, Align::Center),
            col("Опоздание (время)", 15.0, Align::Center),
            col("Удалён", 13.0, Align::Center),
            col("Не закончил по уважительной причине", 20.0, Align::Center),
            col("Выдано бланков", 13.0, Align::Right),
            col("Замена комплекта", 14.0, Align::Right),
            col("ДБО № 2 (кол-во)", 13.0, Align::Right),
            col("Подпись участника", 46.0, Align::Left),
        ],
        rows: input
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.seat.clone(),
                    r.name.clone(),
                    r.document.clone(),
                    r.registration.clone(),
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
        footer: std::iter::once(totals(&input.rows))
            .chain(input.kit_replacements.iter().flat_map(|r| {
                [
                    format!("Замена комплекта в {}, место {}: {}", r.at, r.seat, r.name),
                    format!("испорчены № {}; выданы № {}; причина: {}", number_runs(&r.voided), number_runs(&r.issued), r.reason),
                ]
            }))
            .collect(),
        signatures: vec![Signature::blank("Ответственный организатор в аудитории"), Signature::blank("Организатор в аудитории")],
        orientation: Orientation::Landscape,
        code: form_code(Some(&input.first_sheet), key),
    }
    .render(&mut doc)?;
    Ok(finish(doc, "ППЭ-05-02", &format!("ППЭ-05-02 аудитория {}", input.auditorium), Some(&input.auditorium)))
}
