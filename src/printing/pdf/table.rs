//! Tables over as many pages as they need. Headers wrap by words (and shrink to fit the longest
//! word), cells wrap onto more lines (the row grows) so no header or value is ever cut; every
//! page repeats the form code, the heading (exam point, room, exam), the column header, the
//! sheet code when the form has one, and "ФОРМА · лист N из M" at the bottom. Signatures come
//! after the rows as labelled boxes ≥ 40 × 9 mm.

use ring::hmac;

use super::{leading_mm, size_to_fit_words, text_width_mm, wrap_lines, Align, Document, Orientation, Page, CODE_SIZE_MM};
use crate::printing::PrintingError;
use crate::sheet_code::SheetId;

/// A column of a table: title (`\n` forces a break), width in mm, alignment.
pub struct Column {
    pub title: &'static str,
    pub width: f32,
    pub align: Align,
}

pub const fn col(title: &'static str, width: f32, align: Align) -> Column {
    Column { title, width, align }
}

/// Who signs a form: the role as the form names it, and the name when the box knows it (empty:
/// written in by hand on the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub role: String,
    pub name: String,
}

impl Signature {
    pub fn new(role: impl Into<String>, name: impl Into<String>) -> Self {
        Self { role: role.into(), name: name.into() }
    }

    /// A signature whose signer writes their name by hand.
    pub fn blank(role: impl Into<String>) -> Self {
        Self::new(role, "")
    }
}

/// The sheet code a form's pages carry: page `i` of the form gets `first.number + i`.
pub struct FormCode<'a> {
    pub first: SheetId,
    pub key: &'a hmac::Key,
}

/// A table form. `..Default::default()` leaves out what a form does not use.
#[derive(Default)]
pub struct Table<'a> {
    /// Form code, e.g. `ППЭ-05-02`, printed at the top right and in the page numbers.
    pub form: &'a str,
    /// The first line is the title (bold, centred); the rest say exam, point, room.
    pub heading: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// Text after the last row (notes, counts), wrapped.
    pub footer: Vec<String>,
    /// Signature boxes after the footer.
    pub signatures: Vec<Signature>,
    pub orientation: Orientation,
    /// Fiducials and a sheet code on every page, so the scan is matched to the form and page.
    pub code: Option<FormCode<'a>>,
}

const MARGIN_LEFT: f32 = 18.0;
const HEADING_TOP: f32 = 20.0;
/// Tables with a code start below the code block and its number.
const CODED_TABLE_START: f32 = 48.0;
const MIN_ROW_HEIGHT: f32 = 7.0;
const MIN_HEADER_HEIGHT: f32 = 10.0;
const HEADER_SIZE: f32 = 7.0;
const HEADER_MIN_SIZE: f32 = 5.0;
const CELL_SIZE: f32 = 8.0;
const FOOTER_SIZE: f32 = 9.0;
const SIGNATURE_BLOCK: f32 = 15.0;

/// What goes on one page: a range of rows and whether the footer and signatures end it.
struct PagePlan {
    rows: std::ops::Range<usize>,
    footer: bool,
}

impl Table<'_> {
    fn size(&self) -> (f32, f32) {
        self.orientation.size()
    }

    fn content_width(&self) -> f32 {
        self.size().0 - 2.0 * MARGIN_LEFT
    }

    fn heading_width(&self) -> f32 {
        if self.code.is_some() {
            self.content_width() - CODE_SIZE_MM - 4.0
        } else {
            self.content_width()
        }
    }

    fn bottom(&self) -> f32 {
        self.size().1 - 25.0
    }

    fn heading_lines(&self) -> Vec<(f32, bool, Align, Vec<String>)> {
        let width = self.heading_width();
        self.heading
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let (size, bold, align) = if i == 0 { (12.0, true, Align::Center) } else { (9.0, false, Align::Left) };
                (size, bold, align, wrap_lines(line, width, size, bold))
            })
            .collect()
    }

    /// Where the heading ends (the first page and every other page alike).
    fn heading_bottom(&self) -> f32 {
        let mut top = HEADING_TOP + 6.0;
        for (size, _, _, lines) in self.heading_lines() {
            top += lines.len() as f32 * leading_mm(size).max(if size > 10.0 { 6.0 } else { 4.5 });
        }
        top + 3.0
    }

    fn table_start(&self) -> f32 {
        let start = self.heading_bottom();
        if self.code.is_some() {
            start.max(CODED_TABLE_START)
        } else {
            start
        }
    }

    fn header_cells(&self) -> Vec<(f32, Vec<String>)> {
        self.columns
            .iter()
            .map(|c| {
                let size = size_to_fit_words(c.title, c.width - 2.0, HEADER_SIZE, HEADER_MIN_SIZE, true);
                (size, wrap_lines(c.title, c.width - 2.0, size, true))
            })
            .collect()
    }

    fn header_height(&self) -> f32 {
        self.header_cells().iter().map(|(size, lines)| lines.len() as f32 * leading_mm(*size) + 4.0).fold(MIN_HEADER_HEIGHT, f32::max)
    }

    fn row_cells(&self, row: &[String]) -> Vec<Vec<String>> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| wrap_lines(row.get(i).map(String::as_str).unwrap_or(""), c.width - 2.4, CELL_SIZE, false))
            .collect()
    }

    fn row_height(&self, row: &[String]) -> f32 {
        self.row_cells(row).iter().map(|lines| lines.len() as f32 * leading_mm(CELL_SIZE) + 3.4).fold(MIN_ROW_HEIGHT, f32::max)
    }

    fn footer_height(&self) -> f32 {
        let lines: usize = self.footer.iter().map(|l| wrap_lines(l, self.content_width(), FOOTER_SIZE, false).len()).sum();
        let gap = if self.footer.is_empty() && self.signatures.is_empty() { 0.0 } else { 6.0 };
        gap + lines as f32 * leading_mm(FOOTER_SIZE) + self.footer.len() as f32 * 2.0 + self.signatures.len() as f32 * SIGNATURE_BLOCK
    }

    /// Rows per page by their own heights; the footer on the last page if it fits, else a page
    /// of its own.
    fn plan(&self) -> Vec<PagePlan> {
        let start = self.table_start() + self.header_height();
        let bottom = self.bottom();
        let mut pages = Vec::new();
        let mut first = 0;
        let mut top = start;
        for (i, row) in self.rows.iter().enumerate() {
            let h = self.row_height(row);
            if top + h > bottom && i > first {
                pages.push(PagePlan { rows: first..i, footer: false });
                first = i;
                top = start;
            }
            top += h;
        }
        let footer_fits = top + self.footer_height() <= bottom;
        pages.push(PagePlan { rows: first..self.rows.len(), footer: footer_fits });
        if !footer_fits {
            pages.push(PagePlan { rows: self.rows.len()..self.rows.len(), footer: true });
        }
        pages
    }

    /// How many pages the table takes (a form reserves this many sheet numbers at least).
    pub fn page_count(&self) -> usize {
        self.plan().len()
    }

    pub fn render(&self, doc: &mut Document) -> Result<(), PrintingError> {
        let plan = self.plan();
        let total = plan.len();
        for (index, p) in plan.iter().enumerate() {
            let mut page = doc.page_for(self.orientation);
            if let Some(code) = &self.code {
                let mut id = code.first.clone();
                id.number += index as u32;
                page.sheet_code(&id, None, code.key)?;
            }
            self.draw_heading(&mut page)?;
            let mut top = self.table_start();
            let has_rows = !p.rows.is_empty() || (index == 0 && self.rows.is_empty());
            if has_rows {
                top = self.draw_header(&mut page, top)?;
                for row in &self.rows[p.rows.clone()] {
                    top = self.draw_row(&mut page, top, row)?;
                }
            }
            if p.footer {
                self.draw_footer(&mut page, top + 6.0)?;
            }
            page_number(&mut page, self.form, index + 1, total)?;
            doc.push(page);
        }
        Ok(())
    }

    fn draw_heading(&self, page: &mut Page) -> Result<(), PrintingError> {
        page.text_in(MARGIN_LEFT, HEADING_TOP, self.heading_width(), 8.0, true, Align::Right, self.form)?;
        let mut top = HEADING_TOP + 6.0;
        for (size, bold, align, lines) in self.heading_lines() {
            let step = leading_mm(size).max(if size > 10.0 { 6.0 } else { 4.5 });
            for line in lines {
                let w = text_width_mm(&line, size, bold);
                let x = match align {
                    Align::Left => MARGIN_LEFT,
                    Align::Center => MARGIN_LEFT + (self.heading_width() - w) / 2.0,
                    Align::Right => MARGIN_LEFT + self.heading_width() - w,
                };
                page.text(x, top, size, bold, &line)?;
                top += step;
            }
        }
        Ok(())
    }

    fn draw_header(&self, page: &mut Page, top: f32) -> Result<f32, PrintingError> {
        let height = self.header_height();
        let mut x = MARGIN_LEFT;
        for (c, (size, lines)) in self.columns.iter().zip(self.header_cells()) {
            page.frame(x, top, c.width, height, 0.8);
            let lead = leading_mm(size);
            let mut t = top + (height - lines.len() as f32 * lead) / 2.0 + lead * 0.8;
            for line in lines {
                let w = text_width_mm(&line, size, true);
                page.text(x + (c.width - w) / 2.0, t, size, true, &line)?;
                t += lead;
            }
            x += c.width;
        }
        Ok(top + height)
    }

    fn draw_row(&self, page: &mut Page, top: f32, row: &[String]) -> Result<f32, PrintingError> {
        let height = self.row_height(row);
        let lead = leading_mm(CELL_SIZE);
        let mut x = MARGIN_LEFT;
        for (c, lines) in self.columns.iter().zip(self.row_cells(row)) {
            page.frame(x, top, c.width, height, 0.4);
            let mut t = top + 1.7 + lead * 0.85;
            for line in lines {
                let w = text_width_mm(&line, CELL_SIZE, false);
                let lx = match c.align {
                    Align::Left => x + 1.2,
                    Align::Center => x + (c.width - w) / 2.0,
                    Align::Right => x + c.width - 1.2 - w,
                };
                page.text(lx, t, CELL_SIZE, false, &line)?;
                t += lead;
            }
            x += c.width;
        }
        Ok(top + height)
    }

    fn draw_footer(&self, page: &mut Page, top: f32) -> Result<(), PrintingError> {
        let mut top = top;
        for line in &self.footer {
            top = page.wrapped(MARGIN_LEFT, top, self.content_width(), FOOTER_SIZE, false, Align::Left, line)? + 2.0;
        }
        for s in &self.signatures {
            top = page.signature(MARGIN_LEFT, top, &s.role, &s.name)? + 1.0;
        }
        Ok(())
    }
}

/// "ФОРМА · лист N из M" at the bottom of a page.
pub fn page_number(page: &mut Page, form: &str, number: usize, total: usize) -> Result<(), PrintingError> {
    let (width, height) = (page.width(), page.height());
    page.text_in(MARGIN_LEFT, height - 10.0, width - 2.0 * MARGIN_LEFT, 8.0, false, Align::Center, &format!("{form} · лист {number} из {total}"))
}
