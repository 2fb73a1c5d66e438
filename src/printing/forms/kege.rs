//! The КЕГЭ forms (issue 18 item 5): ППЭ-13-03-К, the point's summary of a computer exam by
//! auditorium (participants, workstations and their failures, answer files taken in), and
//! ППЭ-14-02-К, the issue and return of materials by auditorium with each room's workstation
//! numbers. Laid out after the ЕГЭ collection's forms (same sections and columns in the same
//! order, Russian headers), prefilled from the box's data, with a sheet code on every page.

use ring::hmac;
use serde::{Deserialize, Serialize};

use super::{finish, machine_table, ExamHeader};
use crate::printing::pdf::{col, Align, Document, Orientation, Signature, Table};
use crate::printing::{PrintDocument, PrintingError};
use crate::sheet_code::SheetId;

/// One КЕГЭ auditorium as both forms count it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KegeRoomRow {
    pub auditorium: String,
    /// The main workstations in use, e.g. `1–15`.
    pub workstations: String,
    /// The room's reserve workstations, e.g. `16–17` (empty: none).
    pub reserve_workstations: String,
    /// Participants seated (one per workstation).
    pub seated: u32,
    pub present: u32,
    pub absent: u32,
    pub removed: u32,
    pub finished_early: u32,
    /// Participants moved to a reserve workstation (a workstation failed).
    pub moved_to_reserve: u32,
    /// Answer files taken in and matched.
    pub answer_files: u32,
    /// Answer files kept for a person to resolve.
    pub files_to_resolve: u32,
}

/// A participant moved to a reserve workstation, as ППЭ-13-03-К lists them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KegeMoveRow {
    pub auditorium: String,
    /// The participant's full name.
    pub name: String,
    pub from_workstation: u16,
    pub to_workstation: u16,
    pub reason: String,
    /// Local `ЧЧ:ММ`.
    pub at: String,
}

impl KegeMoveRow {
    /// «ауд. 201, Иванов Иван Иванович: станция № 2 → резервная № 19 в 10:42 (отказ станции № 2)».
    pub fn line_ru(&self) -> String {
        let at = if self.at.is_empty() { String::new() } else { format!(" в {}", self.at) };
        format!(
            "ауд. {}, {}: станция № {} → резервная № {}{at} ({})",
            self.auditorium, self.name, self.from_workstation, self.to_workstation, self.reason
        )
    }
}

/// ППЭ-13-03-К.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KegeSummaryInput {
    pub exam: ExamHeader,
    pub rows: Vec<KegeRoomRow>,
    /// Every move to a reserve workstation of the day, in the order made.
    #[serde(default)]
    pub moves: Vec<KegeMoveRow>,
    /// The form's first sheet (kind statement): page `i` carries `first_sheet.number + i`.
    pub first_sheet: SheetId,
}

fn total(rows: &[KegeRoomRow], f: fn(&KegeRoomRow) -> u32) -> String {
    rows.iter().map(f).sum::<u32>().to_string()
}

pub fn kege_summary_pdf(input: &KegeSummaryInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-13-03-К")?;
    let mut rows: Vec<Vec<String>> = input
        .rows
        .iter()
        .map(|r| {
            vec![
                r.auditorium.clone(),
                r.workstations.clone(),
                r.reserve_workstations.clone(),
                r.seated.to_string(),
                r.present.to_string(),
                r.absent.to_string(),
                r.removed.to_string(),
                r.finished_early.to_string(),
                r.moved_to_reserve.to_string(),
                r.answer_files.to_string(),
                r.files_to_resolve.to_string(),
            ]
        })
        .collect();
    let rs = &input.rows;
    rows.push(vec![
        "Итого".into(),
        String::new(),
        String::new(),
        total(rs, |r| r.seated),
        total(rs, |r| r.present),
        total(rs, |r| r.absent),
        total(rs, |r| r.removed),
        total(rs, |r| r.finished_early),
        total(rs, |r| r.moved_to_reserve),
        total(rs, |r| r.answer_files),
        total(rs, |r| r.files_to_resolve),
    ]);
    let table = Table {
        form: "ППЭ-13-03-К",
        heading: vec!["Сводная ведомость учёта участников и использования экзаменационных материалов в ППЭ (КЕГЭ)".into(), input.exam.line()],
        columns: vec![
            col("Номер аудитории", 20.0, Align::Center),
            col("Номера рабочих станций", 26.0, Align::Center),
            col("Резервные станции", 22.0, Align::Center),
            col("Распределено участников", 22.0, Align::Right),
            col("Явились", 18.0, Align::Right),
            col("Не явились", 18.0, Align::Right),
            col("Удалены", 18.0, Align::Right),
            col("Не закончили по уважительной причине", 26.0, Align::Right),
            col("Пересажены на резервную станцию", 26.0, Align::Right),
            col("Получено файлов ответов", 24.0, Align::Right),
            col("Файлов к разбору", 20.0, Align::Right),
        ],
        rows,
        footer: summary_footer(&input.moves),
        signatures: vec![Signature::blank("Руководитель ППЭ"), Signature::blank("Технический специалист"), Signature::blank("Член ГЭК")],
        orientation: Orientation::Landscape,
        code: None,
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-13-03-К", "ППЭ-13-03-К сводная ведомость КЕГЭ", None))
}

fn summary_footer(moves: &[KegeMoveRow]) -> Vec<String> {
    let mut footer =
        vec!["Каждый участник работает на одной рабочей станции; пересадка на резервную станцию оформляется с указанием причины.".into()];
    if moves.is_empty() {
        footer.push("Пересадок на резервные станции не было.".into());
    } else {
        footer.push(format!("Пересадки на резервные станции ({}):", moves.len()));
        footer.extend(moves.iter().map(KegeMoveRow::line_ru));
    }
    footer
}

/// One auditorium's issue and return of КЕГЭ materials.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KegeMaterialsRow {
    pub room: KegeRoomRow,
    /// Registration forms (БР) handed to the room: one per seated participant.
    pub forms_issued: u32,
    /// Local time of the issue, `ЧЧ:ММ` (empty: written by hand).
    pub issued_at: String,
    pub forms_returned: u32,
    pub returned_at: String,
}

/// ППЭ-14-02-К.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KegeMaterialsInput {
    pub exam: ExamHeader,
    pub rows: Vec<KegeMaterialsRow>,
    pub first_sheet: SheetId,
}

pub fn kege_materials_pdf(input: &KegeMaterialsInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let mut doc = Document::new("ППЭ-14-02-К")?;
    let table = Table {
        form: "ППЭ-14-02-К",
        heading: vec!["Ведомость выдачи и возврата экзаменационных материалов по аудиториям ППЭ (КЕГЭ)".into(), input.exam.line()],
        columns: vec![
            col("Номер аудитории", 20.0, Align::Center),
            col("Номера рабочих станций", 26.0, Align::Center),
            col("Резервные станции", 22.0, Align::Center),
            col("Выдано бланков регистрации", 24.0, Align::Right),
            col("Черновики", 18.0, Align::Right),
            col("Время выдачи", 18.0, Align::Center),
            col("Подпись получившего организатора", 34.0, Align::Left),
            col("Возвращено бланков регистрации", 26.0, Align::Right),
            col("Время возврата", 18.0, Align::Center),
            col("Подпись сдавшего организатора", 34.0, Align::Left),
        ],
        rows: input
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.room.auditorium.clone(),
                    r.room.workstations.clone(),
                    r.room.reserve_workstations.clone(),
                    r.forms_issued.to_string(),
                    String::new(),
                    r.issued_at.clone(),
                    String::new(),
                    r.forms_returned.to_string(),
                    r.returned_at.clone(),
                    String::new(),
                ]
            })
            .collect(),
        footer: vec![],
        signatures: vec![Signature::blank("Руководитель ППЭ"), Signature::blank("Технический специалист")],
        orientation: Orientation::Landscape,
        code: None,
    };
    machine_table(&mut doc, table, &input.first_sheet, key)?;
    Ok(finish(doc, "ППЭ-14-02-К", "ППЭ-14-02-К выдача и возврат материалов КЕГЭ", None))
}
