//! A small A4 page builder over printpdf's op list: text in the embedded DejaVu font (with a
//! glyph check that refuses characters the font lacks), lines, boxes, 2-D codes drawn from
//! filled rectangles, corner fiducials, and tables that repeat their header on each page.
//! Coordinates are millimetres from the top-left corner; pure, no I/O.

use std::sync::OnceLock;

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem,
};

use super::PrintingError;

pub const PAGE_WIDTH_MM: f32 = 210.0;
pub const PAGE_HEIGHT_MM: f32 = 297.0;
/// Fiducial squares sit this far from the paper edge (inside a printer's unprintable margin).
pub const FIDUCIAL_INSET_MM: f32 = 8.0;
pub const FIDUCIAL_SIZE_MM: f32 = 6.0;
/// Side of the sheet code on every page.
pub const CODE_SIZE_MM: f32 = 24.0;

struct Fonts {
    regular: ParsedFont,
    bold: ParsedFont,
}

/// Parsed once per process: parsing DejaVu is the slowest step of a small document.
fn fonts() -> Result<&'static Fonts, PrintingError> {
    static FONTS: OnceLock<Option<Fonts>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut warnings = Vec::new();
            Some(Fonts {
                regular: ParsedFont::from_bytes(dejavu::sans::regular(), 0, &mut warnings)?,
                bold: ParsedFont::from_bytes(dejavu::sans::bold(), 0, &mut warnings)?,
            })
        })
        .as_ref()
        .ok_or(PrintingError::FontUnreadable)
}

/// Refuses text with a character the embedded font cannot draw.
pub fn check_glyphs(text: &str) -> Result<(), PrintingError> {
    let f = fonts()?;
    for c in text.chars() {
        if c.is_control() {
            continue;
        }
        if f.regular.lookup_glyph_index(c as u32).is_none() || f.bold.lookup_glyph_index(c as u32).is_none() {
            return Err(PrintingError::MissingGlyph { character: c, codepoint: c as u32, text: text.to_string() });
        }
    }
    Ok(())
}

/// Width of `text` in mm at `size` pt.
pub fn text_width_mm(text: &str, size: f32, bold: bool) -> f32 {
    let Ok(f) = fonts() else { return 0.0 };
    let font = if bold { &f.bold } else { &f.regular };
    let upem = f32::from(font.font_metrics.units_per_em.max(1));
    let units: f32 = text
        .chars()
        .map(|c| font.lookup_glyph_index(c as u32).map(|g| f32::from(font.get_horizontal_advance(g))).unwrap_or(0.0))
        .sum();
    units / upem * size * 25.4 / 72.0
}

/// Cuts text to fit a width, marking the cut with `…`.
pub fn fit_text(text: &str, width_mm: f32, size: f32, bold: bool) -> String {
    if text_width_mm(text, size, bold) <= width_mm {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if text_width_mm(&candidate, size, bold) <= width_mm {
            return candidate;
        }
    }
    String::new()
}

fn mm(v: f32) -> Pt {
    Mm(v).into()
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// One A4 page being drawn.
pub struct Page {
    ops: Vec<Op>,
    regular: FontId,
    bold: FontId,
}

impl Page {
    fn y(top_mm: f32) -> f32 {
        PAGE_HEIGHT_MM - top_mm
    }

    /// Text with its baseline at `top` mm from the top edge.
    pub fn text(&mut self, x: f32, top: f32, size: f32, bold: bool, text: &str) -> Result<(), PrintingError> {
        check_glyphs(text)?;
        if text.is_empty() {
            return Ok(());
        }
        let font = if bold { self.bold.clone() } else { self.regular.clone() };
        self.ops.push(Op::StartTextSection);
        self.ops.push(Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) });
        self.ops.push(Op::SetTextCursor { pos: Point { x: mm(x), y: mm(Self::y(top)) } });
        self.ops.push(Op::ShowText { items: vec![TextItem::Text(text.to_string())] });
        self.ops.push(Op::EndTextSection);
        Ok(())
    }

    /// Text aligned within `[x, x + width]`, cut to fit.
    pub fn text_in(&mut self, x: f32, top: f32, width: f32, size: f32, bold: bool, align: Align, text: &str) -> Result<(), PrintingError> {
        check_glyphs(text)?;
        let fitted = fit_text(text, width, size, bold);
        let w = text_width_mm(&fitted, size, bold);
        let x = match align {
            Align::Left => x,
            Align::Center => x + (width - w) / 2.0,
            Align::Right => x + width - w,
        };
        self.text(x, top, size, bold, &fitted)
    }

    /// Wrapped paragraph; returns the `top` below it.
    pub fn paragraph(&mut self, x: f32, top: f32, width: f32, size: f32, text: &str) -> Result<f32, PrintingError> {
        check_glyphs(text)?;
        let leading = size * 0.45;
        let mut line = String::new();
        let mut top = top;
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if !line.is_empty() && text_width_mm(&candidate, size, false) > width {
                self.text(x, top, size, false, &line)?;
                top += leading;
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            self.text(x, top, size, false, &line)?;
            top += leading;
        }
        Ok(top)
    }

    pub fn line(&mut self, x1: f32, top1: f32, x2: f32, top2: f32, thickness_pt: f32) {
        self.ops.push(Op::SetOutlineThickness { pt: Pt(thickness_pt) });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint { p: Point { x: mm(x1), y: mm(Self::y(top1)) }, bezier: false },
                    LinePoint { p: Point { x: mm(x2), y: mm(Self::y(top2)) }, bezier: false },
                ],
                is_closed: false,
            },
        });
    }

    /// An outlined box (cells, signature fields).
    pub fn frame(&mut self, x: f32, top: f32, width: f32, height: f32, thickness_pt: f32) {
        self.ops.push(Op::SetOutlineThickness { pt: Pt(thickness_pt) });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: mm(x),
                y: mm(Self::y(top + height)),
                width: mm(width),
                height: mm(height),
                mode: Some(PaintMode::Stroke),
                winding_order: None,
            },
        });
    }

    /// A filled black box (code modules, fiducials).
    pub fn fill(&mut self, x: f32, top: f32, width: f32, height: f32) {
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: mm(x),
                y: mm(Self::y(top + height)),
                width: mm(width),
                height: mm(height),
                mode: Some(PaintMode::Fill),
                winding_order: None,
            },
        });
    }

    /// Solid squares in the four corners: the scanner deskews and locates the page by them.
    pub fn fiducials(&mut self) {
        let far_x = PAGE_WIDTH_MM - FIDUCIAL_INSET_MM - FIDUCIAL_SIZE_MM;
        let far_y = PAGE_HEIGHT_MM - FIDUCIAL_INSET_MM - FIDUCIAL_SIZE_MM;
        for (x, y) in [(FIDUCIAL_INSET_MM, FIDUCIAL_INSET_MM), (far_x, FIDUCIAL_INSET_MM), (FIDUCIAL_INSET_MM, far_y), (far_x, far_y)] {
            self.fill(x, y, FIDUCIAL_SIZE_MM, FIDUCIAL_SIZE_MM);
        }
    }

    /// A QR code of `payload`, `size` mm square including its quiet zone, drawn as rectangles
    /// (one per horizontal run of dark modules, so pages stay small and fast).
    pub fn qr_code(&mut self, x: f32, top: f32, size: f32, payload: &str) -> Result<(), PrintingError> {
        let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
            .map_err(|e| PrintingError::Code(e.to_string()))?;
        let width = code.width();
        let colors = code.to_colors();
        let quiet = 4usize;
        let module = size / (width + 2 * quiet) as f32;
        for row in 0..width {
            let mut col = 0;
            while col < width {
                if colors[row * width + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < width && colors[row * width + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    self.fill(
                        x + (quiet + start) as f32 * module,
                        top + (quiet + row) as f32 * module,
                        (col - start) as f32 * module,
                        module,
                    );
                } else {
                    col += 1;
                }
            }
        }
        Ok(())
    }

    pub fn gray(&mut self, level: f32) {
        self.ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: level, g: level, b: level, icc_profile: None }) });
    }
}

/// A document under construction: pages in order, fonts registered once.
pub struct Document {
    doc: PdfDocument,
    regular: FontId,
    bold: FontId,
    pages: Vec<PdfPage>,
}

impl Document {
    pub fn new(title: &str) -> Result<Self, PrintingError> {
        let f = fonts()?;
        let mut doc = PdfDocument::new(title);
        let regular = doc.add_font(&f.regular);
        let bold = doc.add_font(&f.bold);
        Ok(Self { doc, regular, bold, pages: Vec::new() })
    }

    pub fn page(&self) -> Page {
        Page { ops: Vec::new(), regular: self.regular.clone(), bold: self.bold.clone() }
    }

    pub fn push(&mut self, page: Page) {
        self.pages.push(PdfPage::new(Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM), page.ops));
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub fn finish(mut self) -> Vec<u8> {
        let pages = std::mem::take(&mut self.pages);
        let mut warnings = Vec::new();
        self.doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut warnings)
    }
}

/// A column of a table: title, width in mm, alignment.
pub struct Column {
    pub title: &'static str,
    pub width: f32,
    pub align: Align,
}

pub const fn col(title: &'static str, width: f32, align: Align) -> Column {
    Column { title, width, align }
}

/// A table over as many pages as it needs; every page gets `heading` lines, the column header,
/// and "Лист N из M" at the bottom.
pub struct Table<'a> {
    pub form: &'a str,
    pub heading: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
    /// Drawn after the last row (signatures), as lines of text.
    pub footer: Vec<String>,
}

const MARGIN_LEFT: f32 = 18.0;
const TABLE_TOP_MIN: f32 = 20.0;
/// Tables of machine-read forms start below the code block and its number.
const DECORATED_TABLE_START: f32 = 48.0;
const ROW_HEIGHT: f32 = 7.0;
const TABLE_BOTTOM: f32 = 270.0;

impl Table<'_> {
    pub fn render(&self, doc: &mut Document) -> Result<(), PrintingError> {
        self.render_with(doc, None)
    }

    /// Renders with `decorate(page, index_within_table)` called on every page (codes, marks);
    /// a decorated table keeps its heading clear of the top-right code.
    pub fn render_with(&self, doc: &mut Document, mut decorate: Option<&mut dyn FnMut(&mut Page, usize) -> Result<(), PrintingError>>) -> Result<(), PrintingError> {
        let heading_width = if decorate.is_some() { 174.0 - CODE_SIZE_MM - 4.0 } else { 174.0 };
        let header_height = 10.0;
        let heading_height = 6.0 * self.heading.len() as f32 + 6.0;
        let start = if decorate.is_some() { (TABLE_TOP_MIN + heading_height).max(DECORATED_TABLE_START) } else { TABLE_TOP_MIN + heading_height };
        let rows_per_page = (((TABLE_BOTTOM - start - header_height) / ROW_HEIGHT).floor() as usize).max(1);
        let footer_rows = self.footer.len() * 2;
        let mut chunks: Vec<&[Vec<String>]> = self.rows.chunks(rows_per_page).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        let last_fill = chunks.last().map(|c| c.len()).unwrap_or(0);
        let footer_on_new_page = last_fill + footer_rows > rows_per_page;
        let total = chunks.len() + usize::from(footer_on_new_page);
        for (index, chunk) in chunks.iter().enumerate() {
            let mut page = doc.page();
            if let Some(d) = decorate.as_mut() {
                d(&mut page, index)?;
            }
            self.draw_heading(&mut page, heading_width)?;
            let mut top = self.draw_header(&mut page, start)?;
            for row in chunk.iter() {
                self.draw_row(&mut page, top, row)?;
                top += ROW_HEIGHT;
            }
            if index + 1 == chunks.len() && !footer_on_new_page {
                self.draw_footer(&mut page, top + 8.0)?;
            }
            page_number(&mut page, self.form, index + 1, total)?;
            doc.push(page);
        }
        if footer_on_new_page {
            let mut page = doc.page();
            if let Some(d) = decorate.as_mut() {
                d(&mut page, total - 1)?;
            }
            let top = self.draw_heading(&mut page, heading_width)?;
            self.draw_footer(&mut page, top + 4.0)?;
            page_number(&mut page, self.form, total, total)?;
            doc.push(page);
        }
        Ok(())
    }

    fn draw_heading(&self, page: &mut Page, width: f32) -> Result<f32, PrintingError> {
        let mut top = TABLE_TOP_MIN;
        page.text_in(MARGIN_LEFT, top, width, 8.0, true, Align::Right, self.form)?;
        for (i, line) in self.heading.iter().enumerate() {
            let (size, bold) = if i == 0 { (12.0, true) } else { (9.0, false) };
            page.text_in(MARGIN_LEFT, top + 6.0, width, size, bold, if i == 0 { Align::Center } else { Align::Left }, line)?;
            top += 6.0;
        }
        Ok(top + 6.0)
    }

    fn draw_header(&self, page: &mut Page, top: f32) -> Result<f32, PrintingError> {
        let mut x = MARGIN_LEFT;
        for c in &self.columns {
            page.frame(x, top, c.width, 10.0, 0.8);
            page.text_in(x + 1.0, top + 6.5, c.width - 2.0, 7.0, true, Align::Center, c.title)?;
            x += c.width;
        }
        Ok(top + 10.0)
    }

    fn draw_row(&self, page: &mut Page, top: f32, row: &[String]) -> Result<(), PrintingError> {
        let mut x = MARGIN_LEFT;
        for (c, cell) in self.columns.iter().zip(row.iter().chain(std::iter::repeat(&String::new()))) {
            page.frame(x, top, c.width, ROW_HEIGHT, 0.4);
            page.text_in(x + 1.2, top + 4.8, c.width - 2.4, 8.0, false, c.align, cell)?;
            x += c.width;
        }
        Ok(())
    }

    fn draw_footer(&self, page: &mut Page, top: f32) -> Result<(), PrintingError> {
        let mut top = top;
        for line in &self.footer {
            page.text(MARGIN_LEFT, top, 9.0, false, line)?;
            top += 10.0;
        }
        Ok(())
    }
}

/// "Лист N из M" and the form code at the bottom of a page.
pub fn page_number(page: &mut Page, form: &str, number: usize, total: usize) -> Result<(), PrintingError> {
    page.text_in(MARGIN_LEFT, 287.0, 174.0, 8.0, false, Align::Center, &format!("{form} · лист {number} из {total}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_glyph_fails_loudly() {
        assert!(check_glyphs("Иванова Ёлка-Мария O'Нил").is_ok());
        let err = check_glyphs("Ли 李").unwrap_err();
        assert!(matches!(err, PrintingError::MissingGlyph { character: '李', .. }), "{err}");
        let doc = Document::new("t").unwrap();
        let mut page = doc.page();
        assert!(page.text(10.0, 10.0, 10.0, false, "𝄞").is_err());
    }

    #[test]
    fn long_text_is_cut_to_its_cell() {
        let long = "Константинопольская-Преображенская Александра Владимировна";
        let fitted = fit_text(long, 30.0, 8.0, false);
        assert!(fitted.ends_with('…'));
        assert!(text_width_mm(&fitted, 8.0, false) <= 30.0);
    }
}
