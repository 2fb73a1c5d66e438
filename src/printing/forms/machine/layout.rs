//! Where the mark boxes of the machine-read forms are: one struct per form, rectangles in mm
//! from the page's top-left corner. The drawing (`machine.rs`) and the reading
//! (`scanning::marks`) both take the boxes from here, so the printed page and the reader
//! cannot drift apart. Pure geometry: no fonts, no text metrics.

use crate::printing::pdf::{FIDUCIAL_INSET_MM, FIDUCIAL_SIZE_MM, PAGE_HEIGHT_MM, PAGE_WIDTH_MM};

/// One square mark box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarkBox {
    pub x: f32,
    pub top: f32,
    pub size: f32,
}

impl MarkBox {
    /// The area the reader measures: inside the printed frame, clear of its line even on a
    /// slightly skewed scan.
    pub fn inner(&self) -> (f32, f32, f32) {
        let inset = (self.size * 0.2).max(0.6);
        (self.x + inset, self.top + inset, self.size - 2.0 * inset)
    }

    pub fn center(&self) -> (f32, f32) {
        (self.x + self.size / 2.0, self.top + self.size / 2.0)
    }
}

/// A «да» / «нет» pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YesNo {
    pub yes: MarkBox,
    pub no: MarkBox,
}

/// One digit as a line of boxes: box `i` means digit `i` (a first hour digit has 0–2 only).
#[derive(Debug, Clone, PartialEq)]
pub struct DigitLine {
    pub boxes: Vec<MarkBox>,
}

/// `ЧЧ:ММ` as four digit lines (hours tens 0–2, units 0–9, minutes tens 0–5, units 0–9), as
/// machine-read forms take times: a mark per digit, no handwriting to recognize.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeGrid {
    pub x: f32,
    pub top: f32,
    pub lines: [DigitLine; 4],
}

/// The digits each line of a time grid offers.
pub const TIME_DIGITS: [u8; 4] = [3, 10, 6, 10];
/// Labels of the four lines.
pub const TIME_LINE_LABELS: [&str; 4] = ["Ч", "Ч", "М", "М"];
const TIME_BOX: f32 = 3.4;
const TIME_PITCH: f32 = 4.2;
/// The line label column left of the boxes.
pub const TIME_LABEL_WIDTH: f32 = 4.0;

impl TimeGrid {
    /// A grid whose digit header line starts at `top` (the boxes begin one pitch lower).
    pub fn at(x: f32, top: f32) -> Self {
        let line = |l: usize| DigitLine {
            boxes: (0..TIME_DIGITS[l])
                .map(|d| MarkBox { x: x + TIME_LABEL_WIDTH + f32::from(d) * TIME_PITCH, top: top + (l + 1) as f32 * TIME_PITCH, size: TIME_BOX })
                .collect(),
        };
        Self { x, top, lines: [line(0), line(1), line(2), line(3)] }
    }

    pub const WIDTH: f32 = TIME_LABEL_WIDTH + 10.0 * TIME_PITCH;
    pub const HEIGHT: f32 = 5.0 * TIME_PITCH;

    /// Where the header digit `d` sits (its box column's centre).
    pub fn column_center(&self, d: u8) -> f32 {
        self.x + TIME_LABEL_WIDTH + f32::from(d) * TIME_PITCH + TIME_BOX / 2.0
    }
}

/// What kind of value a field holds.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldShape {
    YesNo(YesNo),
    Time(TimeGrid),
}

/// One machine-read field of a page: a stable name (stored, used by the person's
/// resolution), a Russian label naming it for people, and its boxes.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub shape: FieldShape,
}

/// The four fiducial centres of every machine-read page, in mm: top-left, top-right,
/// bottom-left, bottom-right (`pdf::Page::fiducials` draws them).
pub fn fiducial_centers() -> [(f32, f32); 4] {
    let near = FIDUCIAL_INSET_MM + FIDUCIAL_SIZE_MM / 2.0;
    let far_x = PAGE_WIDTH_MM - near;
    let far_y = PAGE_HEIGHT_MM - near;
    [(near, near), (far_x, near), (near, far_y), (far_x, far_y)]
}

/// A checklist item of ППЭ-18-МАШ: its section and text (a violation the observer noticed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecklistItem {
    pub section: &'static str,
    pub text: &'static str,
}

/// The checklist of ППЭ-18-МАШ after the sections of the real act: «да» means the observer
/// saw this violation. Data: a region or a year changes the list here, the layout follows.
pub const OBSERVATION_CHECKLIST: [ChecklistItem; 16] = [
    ChecklistItem {
        section: "Вход в ППЭ и штаб ППЭ", text: "Участники допускались в ППЭ без проверки документов или без металлоискателя"
    },
    ChecklistItem { section: "Вход в ППЭ и штаб ППЭ", text: "В ППЭ находились посторонние лица" },
    ChecklistItem {
        section: "Вход в ППЭ и штаб ППЭ", text: "Видеонаблюдение в штабе ППЭ не велось или не работало"
    },
    ChecklistItem {
        section: "Вход в ППЭ и штаб ППЭ", text: "Нарушен порядок хранения или вскрытия экзаменационных материалов в штабе ППЭ"
    },
    ChecklistItem {
        section: "В аудитории", text: "Участники пользовались средствами связи (телефонами), электронной техникой"
    },
    ChecklistItem {
        section: "В аудитории", text: "Участники пользовались справочными материалами, письменными заметками"
    },
    ChecklistItem {
        section: "В аудитории", text: "Участники разговаривали, пересаживались, обменивались материалами"
    },
    ChecklistItem {
        section: "В аудитории", text: "Организаторы пользовались средствами связи или оказывали содействие участникам"
    },
    ChecklistItem {
        section: "В аудитории", text: "Организаторы отвлекались, покидали аудиторию, занимались посторонними делами"
    },
    ChecklistItem {
        section: "В аудитории", text: "Инструктаж участников не проведён или проведён не полностью"
    },
    ChecklistItem {
        section: "В аудитории", text: "КИМ напечатаны не в присутствии участников или раньше начала экзамена"
    },
    ChecklistItem {
        section: "В аудитории", text: "Видеонаблюдение в аудитории не велось или не работало"
    },
    ChecklistItem {
        section: "В аудитории", text: "Участники выходили из аудитории без сопровождения организатора"
    },
    ChecklistItem {
        section: "В аудитории", text: "Экзаменационные материалы выносились из аудитории или фотографировались"
    },
    ChecklistItem {
        section: "Завершение экзамена", text: "Материалы собраны и упакованы не в присутствии участников"
    },
    ChecklistItem {
        section: "Завершение экзамена", text: "Ответы участников приняты после окончания времени экзамена"
    },
];

/// The left edge of every form's content.
pub const LEFT: f32 = 18.0;
pub const RIGHT: f32 = PAGE_WIDTH_MM - 18.0;

/// ППЭ-18-МАШ, one page per observer.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationActLayout {
    /// Where observation began and ended.
    pub from: TimeGrid,
    pub to: TimeGrid,
    /// Section titles with the top of their title row.
    pub sections: Vec<(&'static str, f32)>,
    /// One row per checklist item: its top, the text's width, its boxes.
    pub items: Vec<(f32, YesNo)>,
    /// Top of the column header row above the checklist («да», «нет»).
    pub checklist_top: f32,
    /// The width of an item's text.
    pub item_text_width: f32,
    /// Top of the signatures.
    pub signatures_top: f32,
}

const SECTION_ROW: f32 = 6.0;
pub const ITEM_ROW: f32 = 8.0;
const YES_X: f32 = RIGHT - 20.0;
const NO_X: f32 = RIGHT - 8.0;
const ITEM_BOX: f32 = 5.0;

impl ObservationActLayout {
    pub fn new(checklist: &[ChecklistItem]) -> Self {
        let from = TimeGrid::at(LEFT, 68.0);
        let to = TimeGrid::at(LEFT + 70.0, 68.0);
        let checklist_top = 96.0;
        let mut top = checklist_top + SECTION_ROW;
        let mut sections = Vec::new();
        let mut items = Vec::new();
        let mut section = "";
        for item in checklist {
            if item.section != section {
                section = item.section;
                sections.push((section, top));
                top += SECTION_ROW;
            }
            let box_top = top + (ITEM_ROW - ITEM_BOX) / 2.0;
            items.push((
                top,
                YesNo { yes: MarkBox { x: YES_X, top: box_top, size: ITEM_BOX }, no: MarkBox { x: NO_X, top: box_top, size: ITEM_BOX } },
            ));
            top += ITEM_ROW;
        }
        Self { from, to, sections, items, checklist_top, item_text_width: YES_X - LEFT - 12.0, signatures_top: top + 4.0 }
    }

    /// The fields of one act, in print order: times, then the checklist.
    pub fn fields(&self, checklist: &[ChecklistItem]) -> Vec<Field> {
        let mut fields = vec![
            Field { name: "from".into(), label: "время начала наблюдения".into(), shape: FieldShape::Time(self.from.clone()) },
            Field { name: "to".into(), label: "время окончания наблюдения".into(), shape: FieldShape::Time(self.to.clone()) },
        ];
        for (i, ((_, boxes), item)) in self.items.iter().zip(checklist).enumerate() {
            fields
                .push(Field { name: format!("item{}", i + 1), label: format!("п. {} «{}»", i + 1, item.text), shape: FieldShape::YesNo(*boxes) });
        }
        fields
    }
}

/// ППЭ-12-04-МАШ: the same rows on every page.
#[derive(Debug, Clone, PartialEq)]
pub struct AbsenceLogLayout {
    pub header_top: f32,
    pub rows: Vec<AbsenceRowLayout>,
    pub signatures_top: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AbsenceRowLayout {
    pub top: f32,
    pub left: TimeGrid,
    pub returned: TimeGrid,
}

pub const ABSENCE_ROWS_PER_PAGE: usize = 9;
pub const ABSENCE_ROW_HEIGHT: f32 = 21.0;
pub const ABSENCE_HEADER_HEIGHT: f32 = 9.0;
/// Columns of a row: №, место, ФИО и куда выходил, then the two time grids.
pub const ABSENCE_COLUMNS: [f32; 5] = [6.0, 12.0, 56.0, 50.0, 50.0];

impl AbsenceLogLayout {
    pub fn new() -> Self {
        let header_top = 52.0;
        let grid_x = |col: usize| LEFT + ABSENCE_COLUMNS[..col].iter().sum::<f32>() + 2.0;
        let rows = (0..ABSENCE_ROWS_PER_PAGE)
            .map(|r| {
                let top = header_top + ABSENCE_HEADER_HEIGHT + r as f32 * ABSENCE_ROW_HEIGHT;
                AbsenceRowLayout { top, left: TimeGrid::at(grid_x(3), top + 0.2), returned: TimeGrid::at(grid_x(4), top + 0.2) }
            })
            .collect();
        Self { header_top, rows, signatures_top: header_top + ABSENCE_HEADER_HEIGHT + ABSENCE_ROWS_PER_PAGE as f32 * ABSENCE_ROW_HEIGHT + 4.0 }
    }

    /// The fields of page `page` (0-based); rows are numbered across pages from 1.
    pub fn fields(&self, page: usize) -> Vec<Field> {
        let mut fields = Vec::new();
        for (r, row) in self.rows.iter().enumerate() {
            let n = page * ABSENCE_ROWS_PER_PAGE + r + 1;
            fields.push(Field {
                name: format!("row{n}.left"),
                label: format!("строка {n}, время выхода"),
                shape: FieldShape::Time(row.left.clone()),
            });
            fields.push(Field {
                name: format!("row{n}.returned"),
                label: format!("строка {n}, время возвращения"),
                shape: FieldShape::Time(row.returned.clone()),
            });
        }
        fields
    }
}

impl Default for AbsenceLogLayout {
    fn default() -> Self {
        Self::new()
    }
}

/// Pages of an absence log with `rows` rows.
pub fn absence_log_pages(rows: usize) -> usize {
    rows.div_ceil(ABSENCE_ROWS_PER_PAGE).max(1)
}

/// Every box of a list of fields.
pub fn boxes_of(fields: &[Field]) -> Vec<MarkBox> {
    fields
        .iter()
        .flat_map(|f| match &f.shape {
            FieldShape::YesNo(yn) => vec![yn.yes, yn.no],
            FieldShape::Time(t) => t.lines.iter().flat_map(|l| l.boxes.iter().copied()).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlap(a: &MarkBox, b: &MarkBox) -> bool {
        a.x < b.x + b.size && b.x < a.x + a.size && a.top < b.top + b.size && b.top < a.top + a.size
    }

    /// The boxes of a page never overlap one another and stay inside the fiducials, away from
    /// the sheet code block (top right) and the page number line.
    fn assert_clean(fields: &[Field]) {
        let boxes = boxes_of(fields);
        let [tl, _, _, br] = fiducial_centers();
        for (i, a) in boxes.iter().enumerate() {
            assert!(a.x > tl.0 + 4.0 && a.x + a.size < br.0 - 4.0 && a.top > tl.1 + 4.0 && a.top + a.size < 280.0, "{a:?} outside the fiducials");
            assert!(a.top > 46.0, "{a:?} under the code block");
            for b in &boxes[i + 1..] {
                assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn the_observation_act_has_two_times_and_every_checklist_item_and_fits_its_page() {
        let layout = ObservationActLayout::new(&OBSERVATION_CHECKLIST);
        let fields = layout.fields(&OBSERVATION_CHECKLIST);
        assert_eq!(fields.len(), 2 + OBSERVATION_CHECKLIST.len());
        assert_eq!(boxes_of(&fields).len(), 2 * (3 + 10 + 6 + 10) + 2 * OBSERVATION_CHECKLIST.len());
        assert_clean(&fields);
        assert_eq!(layout.sections.len(), 3);
        assert!(layout.signatures_top + 16.0 < 280.0, "signatures fit above the bottom fiducials: {}", layout.signatures_top);
        assert!(fields.iter().any(|f| f.label == "п. 5 «Участники пользовались средствами связи (телефонами), электронной техникой»"));
    }

    #[test]
    fn absence_log_rows_are_numbered_across_pages_and_fit() {
        let layout = AbsenceLogLayout::new();
        let fields = layout.fields(1);
        assert_eq!(fields[0].name, format!("row{}.left", ABSENCE_ROWS_PER_PAGE + 1));
        assert_eq!(fields.len(), 2 * ABSENCE_ROWS_PER_PAGE);
        assert_clean(&fields);
        assert!(layout.signatures_top + 16.0 < 280.0);
        assert_eq!((absence_log_pages(0), absence_log_pages(9), absence_log_pages(10), absence_log_pages(15)), (1, 1, 2, 2));
        assert!((ABSENCE_COLUMNS.iter().sum::<f32>() - 174.0).abs() < 0.01);
    }
}
