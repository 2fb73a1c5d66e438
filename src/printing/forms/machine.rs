//! The forms the box reads back from their scans: ППЭ-18-МАШ (the act of public observation)
//! and ППЭ-12-04-МАШ (the absence log). Their mark boxes come from [`layout`], the one
//! description the reader in `scanning::marks` uses too; times are mark grids (a mark per
//! digit) and answers «да»/«нет» pairs, so nothing handwritten has to be recognized.

pub mod layout;

use self::layout::{
    AbsenceLogLayout, ChecklistItem, MarkBox, ObservationActLayout, TimeGrid, YesNo, ABSENCE_COLUMNS, ABSENCE_HEADER_HEIGHT, ABSENCE_ROWS_PER_PAGE,
    ABSENCE_ROW_HEIGHT, ITEM_ROW, LEFT, OBSERVATION_CHECKLIST, TIME_LINE_LABELS,
};
use super::*;

/// The form codes, as the sheet-number record and the scanning side name them.
pub const OBSERVATION_ACT_FORM: &str = "ППЭ-18-МАШ";
pub const ABSENCE_LOG_FORM: &str = "ППЭ-12-04-МАШ";
/// Sheet numbers reserved for the observation acts of an exam point: one act per observer
/// accredited for the day (more than this many observers at one point is not seen).
pub const OBSERVATION_ACT_PAGES: usize = 4;

/// Width of the header text beside the sheet code block.
const HEADING_WIDTH: f32 = CODE_X - LEFT - 4.0;

/// Words of `text` in lines no wider than `width` mm at `size` pt.
pub fn wrap_lines(text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if !line.is_empty() && super::super::pdf::text_width_mm(&candidate, size, bold) > width {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn lines_at(page: &mut Page, x: f32, top: f32, width: f32, size: f32, bold: bool, leading: f32, text: &str) -> Result<(), PrintingError> {
    for (i, line) in wrap_lines(text, width, size, bold).iter().enumerate() {
        page.text(x, top + i as f32 * leading, size, bold, line)?;
    }
    Ok(())
}

fn mark_box(page: &mut Page, b: &MarkBox) {
    page.frame(b.x, b.top, b.size, b.size, 0.6);
}

/// A time grid: the digit header, the line labels (Ч Ч М М) and the boxes.
fn time_grid(page: &mut Page, grid: &TimeGrid) -> Result<(), PrintingError> {
    for d in 0..10u8 {
        let cx = grid.column_center(d);
        page.text_in(cx - 2.0, grid.top + 3.0, 4.0, 6.0, false, Align::Center, &d.to_string())?;
    }
    for (line, label) in grid.lines.iter().zip(TIME_LINE_LABELS) {
        let Some(first) = line.boxes.first() else { continue };
        page.text(grid.x + 0.6, first.top + first.size - 0.5, 6.5, true, label)?;
        for b in &line.boxes {
            mark_box(page, b);
        }
    }
    Ok(())
}

/// The box's own record of a time marked into its grid (`ЧЧ:ММ`), so a form printed after the
/// event reads back as what the box recorded; a person corrects it by hand if it is wrong.
fn mark_time(page: &mut Page, grid: &TimeGrid, time: &str) {
    let digits: Vec<u8> = time.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    if digits.len() != 4 || time.len() != 5 {
        return;
    }
    for (line, d) in grid.lines.iter().zip(digits) {
        if let Some(b) = line.boxes.get(usize::from(d)) {
            page.fill(b.x + 0.6, b.top + 0.6, b.size - 1.2, b.size - 1.2);
        }
    }
}

/// A signature: the role above, the signer's name (or a line for it) at left and the engine's
/// signature box (≥ 40 × 9 mm, tagged `/Signature`) at right, within `width` mm.
fn signature(page: &mut Page, x: f32, top: f32, width: f32, role: &str, name: &str) -> Result<(), PrintingError> {
    use crate::printing::pdf::SIGNATURE_WIDTH_MM;
    page.text(x, top, 7.5, true, role)?;
    page.signature_box(x + width - SIGNATURE_WIDTH_MM, top + 2.0)?;
    let name_width = width - SIGNATURE_WIDTH_MM - 3.0;
    lines_at(page, x, top + 5.5, name_width, 7.5, false, 3.3, name)?;
    page.line(x, top + 10.5, x + name_width, top + 10.5, 0.4);
    page.text(x, top + 13.0, 6.0, false, "фамилия, инициалы")
}

/// A labelled box with a prefilled value, shrunk (then wrapped) to fit rather than cut.
fn value_field(page: &mut Page, x: f32, top: f32, width: f32, label: &str, value: &str) -> Result<(), PrintingError> {
    page.text(x, top, 7.0, false, label)?;
    page.frame(x, top + 1.5, width, 7.5, 0.6);
    let room = width - 3.0;
    let mut size = 10.0;
    while size > 7.0 && super::super::pdf::text_width_mm(value, size, true) > room {
        size -= 0.5;
    }
    if super::super::pdf::text_width_mm(value, size, true) <= room {
        return page.text(x + 1.5, top + 6.8, size, true, value);
    }
    lines_at(page, x + 1.5, top + 4.6, room, 6.5, true, 2.8, value)
}

/// The form code, the title lines and the exam line beside the sheet code.
fn heading(page: &mut Page, form: &str, title: &[&str], exam: &ExamHeader) -> Result<(), PrintingError> {
    page.text(LEFT, 20.0, 8.0, true, form)?;
    for (i, line) in title.iter().enumerate() {
        page.text_in(LEFT, 27.0 + i as f32 * 5.5, HEADING_WIDTH, 11.5, true, Align::Left, line)?;
    }
    lines_at(page, LEFT, 40.0, HEADING_WIDTH, 8.5, false, 3.8, &exam.line())
}

/// A public observer as the act is prefilled with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObserverOnForm {
    pub name: String,
    /// Номер удостоверения общественного наблюдателя.
    pub certificate: String,
}

/// ППЭ-18-МАШ: one act per public observer accredited for the point on the day (a blank one
/// when none is, written by hand), pages numbered from `first_sheet`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObservationActInput {
    pub exam: ExamHeader,
    pub observers: Vec<ObserverOnForm>,
    pub first_sheet: SheetId,
}

impl ObservationActInput {
    /// The acts to print: one per observer, or one blank.
    pub fn acts(&self) -> Vec<ObserverOnForm> {
        if self.observers.is_empty() {
            vec![ObserverOnForm { name: String::new(), certificate: String::new() }]
        } else {
            self.observers.clone()
        }
    }
}

fn yes_no(page: &mut Page, yn: &YesNo) {
    mark_box(page, &yn.yes);
    mark_box(page, &yn.no);
}

pub fn observation_act_pdf(input: &ObservationActInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let checklist: &[ChecklistItem] = &OBSERVATION_CHECKLIST;
    let layout = ObservationActLayout::new(checklist);
    let mut doc = Document::new(OBSERVATION_ACT_FORM)?;
    let acts = input.acts();
    for (i, observer) in acts.iter().enumerate() {
        let mut page = doc.page();
        let mut id = input.first_sheet.clone();
        id.number += i as u32;
        machine_marks(&mut page, &id, key)?;
        heading(&mut page, OBSERVATION_ACT_FORM, &["Акт общественного наблюдения", "за проведением экзамена в ППЭ"], &input.exam)?;
        value_field(&mut page, LEFT, 50.0, 100.0, "ФИО общественного наблюдателя", &observer.name)?;
        value_field(&mut page, LEFT + 104.0, 50.0, 52.0, "Номер удостоверения", &observer.certificate)?;
        page.text(LEFT, 65.0, 8.0, true, "Время присутствия в ППЭ: по одной отметке в каждой строке (Ч Ч : М М)")?;
        for (grid, label) in [(&layout.from, "начало наблюдения"), (&layout.to, "окончание наблюдения")] {
            time_grid(&mut page, grid)?;
            page.text(grid.x, grid.top + TimeGrid::HEIGHT + 3.5, 7.0, false, label)?;
        }
        let note_x = layout.to.x + TimeGrid::WIDTH + 6.0;
        lines_at(
            &mut page,
            note_x,
            layout.from.top + 3.0,
            CODE_X + CODE_SIZE_MM - note_x,
            7.0,
            false,
            3.2,
            "Аудитории, в которых велось наблюдение",
        )?;
        page.frame(note_x, layout.from.top + 8.0, CODE_X + CODE_SIZE_MM - note_x, 13.0, 0.6);

        let top = layout.checklist_top;
        page.text(LEFT, top + 4.5, 9.0, true, "Выявленные нарушения: отметьте «да» или «нет» по каждому пункту")?;
        if let Some((_, first)) = layout.items.first() {
            page.text_in(first.yes.x - 2.0, top + 4.5, first.yes.size + 4.0, 8.0, true, Align::Center, "да")?;
            page.text_in(first.no.x - 2.0, top + 4.5, first.no.size + 4.0, 8.0, true, Align::Center, "нет")?;
        }
        for (title, t) in &layout.sections {
            page.text(LEFT, t + 4.5, 8.5, true, title)?;
        }
        for (n, ((row_top, boxes), item)) in layout.items.iter().zip(checklist).enumerate() {
            page.line(LEFT, *row_top, layout::RIGHT, *row_top, 0.2);
            page.text(LEFT, row_top + 3.4, 8.0, false, &format!("{}.", n + 1))?;
            lines_at(&mut page, LEFT + 6.0, row_top + 3.4, layout.item_text_width - 6.0, 8.0, false, 3.5, item.text)?;
            yes_no(&mut page, boxes);
        }
        if let Some((row_top, _)) = layout.items.last() {
            page.line(LEFT, row_top + ITEM_ROW, layout::RIGHT, row_top + ITEM_ROW, 0.2);
        }
        let s = layout.signatures_top;
        signature(&mut page, LEFT, s, 84.0, "Общественный наблюдатель", &observer.name)?;
        signature(&mut page, LEFT + 90.0, s, 84.0, "Акт принял член ГЭК", "")?;
        page.text(LEFT, s + 20.0, 7.0, false, "Подробности выявленных нарушений опишите на обороте листа.")?;
        page_number(&mut page, OBSERVATION_ACT_FORM, i + 1, acts.len())?;
        doc.push(page);
    }
    Ok(finish(doc, OBSERVATION_ACT_FORM, "ППЭ-18-МАШ акт общественного наблюдения", None))
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

/// ППЭ-12-04-МАШ: log of participants' absences from the auditorium during the exam. Rows the
/// box recorded are prefilled; the rest are blank, their times marked by hand in the grids.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AbsenceLogInput {
    pub exam: ExamHeader,
    pub auditorium: String,
    pub first_sheet: SheetId,
    pub rows: Vec<AbsenceRow>,
}

fn absence_header(page: &mut Page, layout: &AbsenceLogLayout) -> Result<(), PrintingError> {
    let titles = ["№", "Место", "ФИО участника, куда выходил", "Время выхода", "Время возвращения"];
    let mut x = LEFT;
    for (width, title) in ABSENCE_COLUMNS.iter().zip(titles) {
        page.frame(x, layout.header_top, *width, ABSENCE_HEADER_HEIGHT, 0.8);
        page.text_in(x + 0.5, layout.header_top + 5.8, width - 1.0, 7.0, true, Align::Center, title)?;
        x += width;
    }
    Ok(())
}

fn absence_row(page: &mut Page, row_layout: &layout::AbsenceRowLayout, n: usize, row: Option<&AbsenceRow>) -> Result<(), PrintingError> {
    let top = row_layout.top;
    let mut x = LEFT;
    for width in ABSENCE_COLUMNS {
        page.frame(x, top, width, ABSENCE_ROW_HEIGHT, 0.4);
        x += width;
    }
    page.text_in(LEFT, top + 4.5, ABSENCE_COLUMNS[0], 8.0, false, Align::Center, &n.to_string())?;
    let name_x = LEFT + ABSENCE_COLUMNS[0] + ABSENCE_COLUMNS[1] + 1.2;
    let name_width = ABSENCE_COLUMNS[2] - 2.4;
    if let Some(r) = row {
        page.text_in(LEFT + ABSENCE_COLUMNS[0], top + 4.5, ABSENCE_COLUMNS[1], 8.0, true, Align::Center, &r.seat)?;
        let names = wrap_lines(&r.name, name_width, 7.5, true);
        for (i, line) in names.iter().take(2).enumerate() {
            page.text(name_x, top + 4.0 + i as f32 * 3.4, 7.5, true, line)?;
        }
        lines_at(page, name_x, top + 11.5, name_width, 7.0, false, 3.1, &r.reason)?;
        let journal = match (r.left_at.as_str(), r.returned_at.as_str()) {
            ("", _) => String::new(),
            (left, "") => format!("по журналу ППЭ: вышел {left}"),
            (left, back) => format!("по журналу ППЭ: {left}–{back}"),
        };
        page.text(name_x, top + ABSENCE_ROW_HEIGHT - 1.5, 6.5, false, &journal)?;
    }
    time_grid(page, &row_layout.left)?;
    time_grid(page, &row_layout.returned)?;
    if let Some(r) = row {
        mark_time(page, &row_layout.left, &r.left_at);
        mark_time(page, &row_layout.returned, &r.returned_at);
    }
    Ok(())
}

pub fn absence_log_pdf(input: &AbsenceLogInput, key: &hmac::Key) -> Result<PrintDocument, PrintingError> {
    let layout = AbsenceLogLayout::new();
    let mut doc = Document::new(ABSENCE_LOG_FORM)?;
    let pages = layout::absence_log_pages(input.rows.len());
    for p in 0..pages {
        let mut page = doc.page();
        let mut id = input.first_sheet.clone();
        id.number += p as u32;
        machine_marks(&mut page, &id, key)?;
        heading(&mut page, ABSENCE_LOG_FORM, &["Ведомость учёта времени отсутствия", "участников экзамена в аудитории"], &input.exam)?;
        page.text(LEFT, 48.5, 8.5, true, &format!("Аудитория {} · время отметьте по одной клетке в каждой строке (Ч Ч : М М)", input.auditorium))?;
        absence_header(&mut page, &layout)?;
        for (r, row_layout) in layout.rows.iter().enumerate() {
            let i = p * ABSENCE_ROWS_PER_PAGE + r;
            absence_row(&mut page, row_layout, i + 1, input.rows.get(i).filter(|row| !row.name.is_empty() || !row.left_at.is_empty()))?;
        }
        signature(&mut page, LEFT, layout.signatures_top, 84.0, "Организатор в аудитории", "")?;
        signature(&mut page, LEFT + 90.0, layout.signatures_top, 84.0, "Организатор в аудитории", "")?;
        page_number(&mut page, ABSENCE_LOG_FORM, p + 1, pages)?;
        doc.push(page);
    }
    Ok(finish(doc, ABSENCE_LOG_FORM, &format!("ППЭ-12-04-МАШ аудитория {}", input.auditorium), Some(&input.auditorium)))
}

pub fn absence_log_record(input: &AbsenceLogInput) -> MachineRecord<&AbsenceLogInput> {
    MachineRecord {
        form: ABSENCE_LOG_FORM.into(),
        exam_id: input.exam.exam_id.clone(),
        ppe_code: input.exam.ppe_code.clone(),
        first_sheet_number: input.first_sheet.number,
        data: input,
    }
}

/// What the record of ППЭ-18-МАШ carries besides the recognized answers: the observers the
/// acts were prefilled with and the checklist, item by item (`item1` … in the answers).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObservationActRecord {
    pub exam: ExamHeader,
    pub observers: Vec<ObserverOnForm>,
    pub items: Vec<ObservationItemRecord>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ObservationItemRecord {
    pub field: String,
    pub section: String,
    pub text: String,
}

pub fn observation_act_record(input: &ObservationActInput) -> MachineRecord<ObservationActRecord> {
    let items = OBSERVATION_CHECKLIST
        .iter()
        .enumerate()
        .map(|(i, item)| ObservationItemRecord { field: format!("item{}", i + 1), section: item.section.into(), text: item.text.into() })
        .collect();
    MachineRecord {
        form: OBSERVATION_ACT_FORM.into(),
        exam_id: input.exam.exam_id.clone(),
        ppe_code: input.exam.ppe_code.clone(),
        first_sheet_number: input.first_sheet.number,
        data: ObservationActRecord { exam: input.exam.clone(), observers: input.observers.clone(), items },
    }
}

#[cfg(test)]
mod tests {
    use super::layout::*;
    use super::*;

    #[test]
    fn every_checklist_item_fits_its_row_in_two_lines() {
        let layout = ObservationActLayout::new(&OBSERVATION_CHECKLIST);
        for item in OBSERVATION_CHECKLIST {
            let lines = wrap_lines(item.text, layout.item_text_width - 6.0, 8.0, false);
            assert!(lines.len() <= 2, "{} takes {} lines", item.text, lines.len());
        }
    }

    fn header() -> ExamHeader {
        ExamHeader {
            exam_id: "ege-02".into(),
            kind_title: "ЕГЭ".into(),
            subject_name: "Математика".into(),
            date: "2027.05.27".into(),
            ppe_code: "0101".into(),
            ppe_name: "Школа № 1".into(),
        }
    }

    fn sheet(n: u32) -> SheetId {
        SheetId { exam_id: "ege-02".into(), ppe_code: "0101".into(), kind: SheetKind::Statement, number: n }
    }

    #[test]
    fn one_act_per_observer_or_one_blank_and_the_log_takes_pages_for_its_rows() {
        let key = crate::sheet_code::sheet_key(b"k");
        let two = vec![
            ObserverOnForm { name: "Орлова Анна".into(), certificate: "ON-17".into() },
            ObserverOnForm { name: "Белова Анна".into(), certificate: "ON-18".into() },
        ];
        let doc = observation_act_pdf(&ObservationActInput { exam: header(), observers: two, first_sheet: sheet(40) }, &key).unwrap();
        assert_eq!(doc.pages, 2);
        let doc = observation_act_pdf(&ObservationActInput { exam: header(), observers: vec![], first_sheet: sheet(40) }, &key).unwrap();
        assert_eq!(doc.pages, 1);
        let row = AbsenceRow {
            auditorium: "101".into(),
            seat: "1А".into(),
            name: "Иванов Иван".into(),
            left_at: "10:20".into(),
            returned_at: String::new(),
            reason: "туалет".into(),
        };
        let log = |n: usize| {
            absence_log_pdf(&AbsenceLogInput { exam: header(), auditorium: "101".into(), first_sheet: sheet(50), rows: vec![row.clone(); n] }, &key)
                .unwrap()
                .pages
        };
        assert_eq!((log(0), log(15), log(ABSENCE_ROWS_PER_PAGE * 3)), (1, 2, 3));
    }
}
