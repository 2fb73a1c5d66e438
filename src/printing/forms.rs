//! The printed forms of an exam point, each a pure function from a plain input struct to PDF
//! bytes. Names follow the forms used in exam points (ППЭ-05-01 …); layouts are our own.
//! Adapters that fill the inputs from the seating, roster and attendance stores live with
//! the caller (`printing::ops`), so these functions never touch a database.

use ring::hmac;
use serde::{Deserialize, Serialize};

use super::pdf::{col, page_number, sheet_number_text, Align, Document, FormCode, Orientation, Page, Signature, Table, CODE_SIZE_MM, PAGE_WIDTH_MM};
use super::{PrintDocument, PrintingError};
use crate::sheet_code::{SheetId, SheetKind};

mod appeal_forms;
mod kege;
mod lists;
pub mod machine;
mod acts;
mod corrections;
mod envelope;
mod protocol;
mod readiness;
mod point_lists;
mod point_reports;
mod point_statements;
mod oral;
mod statements;

pub use appeal_forms::*;
pub use kege::*;
pub use lists::*;
pub use machine::{absence_log_pdf, absence_log_record, observation_act_pdf, observation_act_record, AbsenceLogInput, AbsenceRow, ObservationActInput, ObserverOnForm};
pub use acts::*;
pub use corrections::*;
pub use envelope::*;
pub use protocol::*;
pub use readiness::*;
pub use point_lists::*;
pub use point_reports::*;
pub use point_statements::*;
pub use oral::*;
pub use statements::*;

/// What every form says about the exam and the exam point.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExamHeader {
    pub exam_id: String,
    /// e.g. `ЕГЭ`
    pub kind_title: String,
    pub subject_name: String,
    /// `ГГГГ.ММ.ДД`
    pub date: String,
    pub ppe_code: String,
    pub ppe_name: String,
}

impl ExamHeader {
    fn line(&self) -> String {
        format!("{} · {} · {} · ППЭ {} {}", self.kind_title, self.subject_name, self.date, self.ppe_code, self.ppe_name)
    }
}

/// A participant as printed: names and identity document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PersonOnForm {
    pub participant_id: String,
    pub surname: String,
    pub name: String,
    pub patronymic: String,
    pub document: String,
}

impl PersonOnForm {
    pub fn full_name(&self) -> String {
        [self.surname.as_str(), self.name.as_str(), self.patronymic.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ")
    }
}

/// One participant's individual kit: the sheets tied together by their codes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KitInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub seat_label: String,
    pub participant: PersonOnForm,
    /// In print order: registration, answers № 1, answers № 2 pages, additional sheets.
    pub sheets: Vec<SheetId>,
    /// The participant's КИМ variant: in every sheet's code and in the БР's «Вариант» field
    /// (`None` before the package came: written in by hand).
    pub variant: Option<u16>,
    /// The exam's subject code (ФИС ГИА), printed on the БР beside the subject's name.
    #[serde(default)]
    pub subject_code: String,
    /// The participant's school (ОО) code and class, from the plan (empty for graduates of
    /// past years).
    #[serde(default)]
    pub school_code: String,
    #[serde(default)]
    pub class: String,
}

const LEFT: f32 = 18.0;
const CODE_X: f32 = PAGE_WIDTH_MM - 18.0 - CODE_SIZE_MM;

/// The code block of a machine-matched page: fiducials, the QR code, its sheet number in digits.
pub fn machine_marks(page: &mut Page, id: &SheetId, key: &hmac::Key) -> Result<(), PrintingError> {
    page.sheet_code(id, None, key)
}

fn machine_marks_with_variant(page: &mut Page, id: &SheetId, variant: Option<u16>, key: &hmac::Key) -> Result<(), PrintingError> {
    page.sheet_code(id, variant, key)
}

/// The engine's code for a form whose first sheet is `first` (`None`: a form printed without one).
pub fn form_code<'k>(first: Option<&SheetId>, key: &'k hmac::Key) -> Option<FormCode<'k>> {
    first.map(|first| FormCode { first: first.clone(), key })
}

/// A form with a code on every page, numbered from `first_sheet`.
fn machine_table(doc: &mut Document, table: Table<'_>, first_sheet: &SheetId, key: &hmac::Key) -> Result<(), PrintingError> {
    Table { code: Some(FormCode { first: first_sheet.clone(), key }), ..table }.render(doc)
}

fn field(page: &mut Page, x: f32, top: f32, width: f32, label: &str, value: &str) -> Result<(), PrintingError> {
    page.text(x, top, 7.0, false, label)?;
    page.frame(x, top + 1.5, width, 7.5, 0.6);
    page.text_in(x + 1.5, top + 6.8, width - 3.0, 10.0, true, Align::Left, value)
}

const WIDTH: f32 = PAGE_WIDTH_MM - 2.0 * LEFT;
const VALUE_SIZE: f32 = 10.0;

/// A labelled box with its value wrapped to the box (it grows); returns the `top` below it.
fn wrapped_field(page: &mut Page, x: f32, top: f32, width: f32, label: &str, value: &str) -> Result<f32, PrintingError> {
    page.text(x, top, 7.0, false, label)?;
    let lines = super::pdf::wrap_lines(value, width - 3.0, VALUE_SIZE, true).len().max(1);
    let height = (lines as f32 * super::pdf::leading_mm(VALUE_SIZE) + 3.2).max(7.5);
    page.frame(x, top + 1.5, width, height, 0.6);
    page.wrapped(x + 1.5, top + 6.3, width - 3.0, VALUE_SIZE, true, Align::Left, value)?;
    Ok(top + 1.5 + height + 4.5)
}

/// A row of labelled boxes sharing the width; returns the `top` below the tallest.
fn field_row(page: &mut Page, top: f32, fields: &[(f32, &str, &str)]) -> Result<f32, PrintingError> {
    let total: f32 = fields.iter().map(|f| f.0).sum();
    let gap = 3.0;
    let scale = (WIDTH - gap * (fields.len() as f32 - 1.0)) / total;
    let mut x = LEFT;
    let mut bottom = top;
    for (share, label, value) in fields {
        let w = share * scale;
        bottom = bottom.max(wrapped_field(page, x, top, w, label, value)?);
        x += w + gap;
    }
    Ok(bottom)
}

/// A row of character boxes prefilled with `value` (as the scanning station reads them).
fn char_boxes(page: &mut Page, x: f32, top: f32, count: usize, label: &str, value: &str) -> Result<(), PrintingError> {
    page.text(x, top, 7.0, false, label)?;
    let chars: Vec<char> = value.to_uppercase().chars().collect();
    // A value longer than the row gets narrower cells, never a cut name.
    let count = count.max(chars.len());
    let pitch = (WIDTH / count as f32).min(5.5);
    for i in 0..count {
        let bx = x + i as f32 * pitch;
        page.frame(bx, top + 1.5, pitch - 0.5, 6.5, 0.5);
        if let Some(c) = chars.get(i) {
            page.text_in(bx, top + 6.5, pitch - 0.5, if pitch < 5.5 { 9.0 } else { 10.0 }, false, Align::Center, &c.to_string())?;
        }
    }
    Ok(())
}

fn kit_header(page: &mut Page, kit: &KitInput, title: &str, id: &SheetId, key: &hmac::Key) -> Result<f32, PrintingError> {
    machine_marks_with_variant(page, id, kit.variant, key)?;
    page.text(LEFT, 22.0, 14.0, true, title)?;
    page.wrapped(LEFT, 28.5, CODE_X - LEFT - 4.0, 8.0, false, Align::Left, &kit.exam.line())?;
    field(page, LEFT, 36.0, 30.0, "Код ППЭ", &kit.exam.ppe_code)?;
    field(page, LEFT + 34.0, 36.0, 30.0, "Аудитория", &kit.auditorium)?;
    field(page, LEFT + 68.0, 36.0, 20.0, "Место", &kit.seat_label)?;
    field(page, LEFT + 92.0, 36.0, 40.0, "Дата", &kit.exam.date)?;
    let others: Vec<String> = kit.sheets.iter().filter(|s| *s != id).map(sheet_number_text).collect();
    page.text_in(LEFT, 51.0, 174.0, 6.5, false, Align::Left, &format!("Комплект: {}", others.join("; ")))?;
    Ok(58.0)
}

fn registration_page(doc: &Document, kit: &KitInput, id: &SheetId, key: &hmac::Key) -> Result<Page, PrintingError> {
    let mut page = doc.page();
    let mut top = kit_header(&mut page, kit, "Бланк регистрации", id, key)?;
    let p = &kit.participant;
    for (label, value) in [("Фамилия", &p.surname), ("Имя", &p.name), ("Отчество (при наличии)", &p.patronymic)] {
        char_boxes(&mut page, LEFT, top, 30, label, value)?;
        top += 12.0;
    }
    let variant = kit.variant.map(|v| v.to_string()).unwrap_or_default();
    top = field_row(
        &mut page,
        top,
        &[(22.0, "Код предмета", &kit.subject_code), (100.0, "Название предмета", &kit.exam.subject_name), (24.0, "Вариант", &variant)],
    )?;
    top = field_row(
        &mut page,
        top,
        &[(28.0, "Код ОО", &kit.school_code), (18.0, "Класс", &kit.class), (100.0, "Документ, удостоверяющий личность", &p.document)],
    )?;
    top += 2.0;
    top = page.paragraph(
        LEFT,
        top,
        174.0,
        9.0,
        "Я ознакомлен(а) с порядком проведения экзамена. С моими персональными данными в бланке согласен(а). \
         Подтверждаю, что сведения в бланке верны.",
    )?;
    top += 4.0;
    page.text(LEFT, top, 8.0, false, "Подпись участника строго внутри окошка")?;
    page.frame(LEFT, top + 2.0, 70.0, 18.0, 0.8);
    top += 30.0;
    page.text(LEFT, top, 8.0, false, "Заполняется организатором в аудитории")?;
    for (i, mark) in ["Удалён с экзамена", "Не закончил экзамен по уважительной причине", "Замена бланка"].iter().enumerate()
    {
        let t = top + 6.0 + i as f32 * 8.0;
        page.frame(LEFT, t - 4.0, 5.0, 5.0, 0.6);
        page.text(LEFT + 8.0, t, 9.0, false, mark)?;
    }
    page.signature(LEFT, top + 30.0, "Организатор в аудитории", "")?;
    Ok(page)
}

fn answers1_page(doc: &Document, kit: &KitInput, id: &SheetId, key: &hmac::Key) -> Result<Page, PrintingError> {
    let mut page = doc.page();
    let top = kit_header(&mut page, kit, "Бланк ответов № 1", id, key)?;
    page.text(LEFT, top, 8.0, false, "Ответы на задания с кратким ответом: каждый символ в отдельной клетке, начиная с первой.")?;
    // 28 rows keep the replacement block clear of the bottom fiducials and the paper edge.
    let rows = 28;
    let cells = 24;
    for r in 0..rows {
        let t = top + 4.0 + r as f32 * 6.6;
        page.text_in(LEFT, t + 4.6, 8.0, 8.0, true, Align::Right, &(r + 1).to_string())?;
        for c in 0..cells {
            page.frame(LEFT + 10.0 + c as f32 * 5.5, t, 5.0, 5.8, 0.4);
        }
    }
    let t = top + 8.0 + rows as f32 * 6.6;
    page.text(LEFT, t, 8.0, false, "Замена ошибочных ответов: номер задания и новый ответ.")?;
    for r in 0..3 {
        page.frame(LEFT, t + 2.0 + r as f32 * 7.0, 8.0, 5.8, 0.4);
        for c in 0..cells {
            page.frame(LEFT + 10.0 + c as f32 * 5.5, t + 2.0 + r as f32 * 7.0, 5.0, 5.8, 0.4);
        }
    }
    Ok(page)
}

fn lined_page(doc: &Document, kit: &KitInput, id: &SheetId, key: &hmac::Key, title: &str) -> Result<Page, PrintingError> {
    let mut page = doc.page();
    let top = kit_header(&mut page, kit, title, id, key)?;
    page.text(LEFT, top, 8.0, false, "Ответы на задания с развёрнутым ответом. Пишите разборчиво, чёрными чернилами, внутри поля.")?;
    page.frame(LEFT, top + 3.0, 174.0, 268.0 - top - 3.0, 0.8);
    let mut t = top + 11.0;
    while t < 266.0 {
        page.line(LEFT + 2.0, t, LEFT + 172.0, t, 0.3);
        t += 8.0;
    }
    page.text(LEFT, 275.0, 7.0, false, "При недостатке места попросите дополнительный бланк; его номер впишет организатор.")?;
    Ok(page)
}

/// Every page of every kit in one document, in the order given.
pub fn kits_pdf(kits: &[KitInput], key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    if kits.is_empty() {
        return Err(PrintingError::NothingToPrint("нет участников для печати комплектов".into()));
    }
    let mut doc = Document::new("Индивидуальные комплекты")?;
    for kit in kits {
        let a2_total = kit.sheets.iter().filter(|s| s.kind == SheetKind::Answers2).count();
        let mut a2_index = 0;
        for id in &kit.sheets {
            let page = match id.kind {
                SheetKind::Registration => registration_page(&doc, kit, id, key)?,
                SheetKind::Answers1 => answers1_page(&doc, kit, id, key)?,
                SheetKind::Answers2 => {
                    a2_index += 1;
                    lined_page(&doc, kit, id, key, &format!("Бланк ответов № 2, лист {a2_index} из {a2_total}"))?
                }
                SheetKind::Additional => lined_page(&doc, kit, id, key, "Дополнительный бланк ответов № 2")?,
                SheetKind::Statement => lined_page(&doc, kit, id, key, "Лист")?,
            };
            doc.push(page);
        }
    }
    let pages = doc.page_count() as u32;
    let audience = kits.first().map(|k| k.auditorium.clone());
    Ok(PrintDocument {
        file_name: String::new(),
        title: "Индивидуальные комплекты".into(),
        form: String::new(),
        auditorium: audience,
        pages,
        bytes: doc.finish(),
    })
}

fn finish(doc: Document, form: &str, title: &str, auditorium: Option<&str>) -> PrintDocument {
    let pages = doc.page_count() as u32;
    PrintDocument {
        file_name: String::new(),
        title: title.to_string(),
        form: form.to_string(),
        auditorium: auditorium.map(str::to_string),
        pages,
        bytes: doc.finish(),
    }
}
