//! A small A4 page builder over printpdf's op list: text in the embedded DejaVu font (with a
//! glyph check that refuses characters the font lacks), text wrapped to a width (never cut),
//! lines, boxes, signature boxes (tagged `/Signature` in the PDF, so a test finds them by their
//! geometry), 2-D codes drawn from filled rectangles, corner fiducials; portrait or landscape
//! pages; and tables (`table`) that wrap their headers and cells and repeat the heading, the
//! column header and "лист N из M" on every page. Coordinates are millimetres from the top-left
//! corner; pure, no I/O.

use std::sync::OnceLock;

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, Rgb,
    TextItem,
};

use super::PrintingError;
use crate::sheet_code::{self, SheetId};

pub const PAGE_WIDTH_MM: f32 = 210.0;
pub const PAGE_HEIGHT_MM: f32 = 297.0;
/// A signature box is at least this wide and high (a person signs inside it).
pub const SIGNATURE_WIDTH_MM: f32 = 40.0;
pub const SIGNATURE_HEIGHT_MM: f32 = 9.0;
/// The marked-content tag around every signature box.
pub const SIGNATURE_TAG: &str = "Signature";

/// Which way the A4 sheet lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    #[default]
    Portrait,
    Landscape,
}

impl Orientation {
    /// (width, height) in mm.
    pub fn size(self) -> (f32, f32) {
        match self {
            Self::Portrait => (PAGE_WIDTH_MM, PAGE_HEIGHT_MM),
            Self::Landscape => (PAGE_HEIGHT_MM, PAGE_WIDTH_MM),
        }
    }
}
/// Fiducial squares sit this far from the paper edge (inside a printer's unprintable margin).
pub const FIDUCIAL_INSET_MM: f32 = 8.0;
pub const FIDUCIAL_SIZE_MM: f32 = 6.0;
/// Side of the sheet code on every page.
pub const CODE_SIZE_MM: f32 = 24.0;
/// The sheet code's distance from the top edge.
pub const CODE_TOP_MM: f32 = 16.0;

/// A sheet's number as a person reads it under the code: `R № 0000042-6`.
pub fn sheet_number_text(id: &SheetId) -> String {
    format!("{} № {:07}-{}", id.kind.code(), id.number, sheet_code::luhn_digit(id.number))
}

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
    let units: f32 = text.chars().map(|c| font.lookup_glyph_index(c as u32).map(|g| f32::from(font.get_horizontal_advance(g))).unwrap_or(0.0)).sum();
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

/// Splits text into lines no wider than `width_mm`: at spaces, after hyphens inside long words,
/// and (only for a word wider than the line on its own) between letters. `\n` forces a break.
/// Nothing is dropped: the lines joined hold every character of the text.
pub fn wrap_lines(text: &str, width_mm: f32, size: f32, bold: bool) -> Vec<String> {
    let fits = |t: &str| text_width_mm(t, size, bold) <= width_mm;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            for piece in split_to_fit(word, &fits) {
                let candidate = if line.is_empty() {
                    piece.clone()
                } else if line.ends_with('-') {
                    format!("{line}{piece}")
                } else {
                    format!("{line} {piece}")
                };
                if line.is_empty() || fits(&candidate) {
                    line = candidate;
                } else {
                    lines.push(std::mem::take(&mut line));
                    line = piece;
                }
            }
        }
        lines.push(line);
    }
    while lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// A word as pieces that each fit: whole if it fits, else at its hyphens, else letter by letter.
fn split_to_fit(word: &str, fits: &dyn Fn(&str) -> bool) -> Vec<String> {
    if fits(word) {
        return vec![word.to_string()];
    }
    let mut out = Vec::new();
    for part in word.split_inclusive('-') {
        if fits(part) {
            out.push(part.to_string());
            continue;
        }
        let mut piece = String::new();
        for c in part.chars() {
            piece.push(c);
            if !fits(&piece) && piece.chars().count() > 1 {
                piece.pop();
                out.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        if !piece.is_empty() {
            out.push(piece);
        }
    }
    // Hyphen-split pieces are glued back where they fit together ("Иванова-" + "Петрова").
    let mut glued: Vec<String> = Vec::new();
    for p in out {
        match glued.last_mut() {
            Some(last) if last.ends_with('-') && fits(&format!("{last}{p}")) => last.push_str(&p),
            _ => glued.push(p),
        }
    }
    glued
}

/// The largest size from `size` down to `min` at which every word of `text` fits `width_mm`
/// on its own (so a header wraps only between words).
pub fn size_to_fit_words(text: &str, width_mm: f32, size: f32, min: f32, bold: bool) -> f32 {
    let mut s = size;
    while s > min {
        if text.split_whitespace().all(|w| text_width_mm(w, s, bold) <= width_mm) {
            return s;
        }
        s -= 0.5;
    }
    min
}

/// Line height in mm for text of `size` pt.
pub fn leading_mm(size: f32) -> f32 {
    size * 0.42
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
    width: f32,
    height: f32,
}

impl Page {
    fn y(&self, top_mm: f32) -> f32 {
        self.height - top_mm
    }

    pub fn width(&self) -> f32 {
        self.width
    }

    pub fn height(&self) -> f32 {
        self.height
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
        self.ops.push(Op::SetTextCursor { pos: Point { x: mm(x), y: mm(self.y(top)) } });
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
        self.wrapped(x, top, width, size, false, Align::Left, text)
    }

    /// Text wrapped to `width` (never cut), each line aligned; the first baseline at `top`.
    /// Returns the `top` below the last line.
    #[allow(clippy::too_many_arguments)]
    pub fn wrapped(&mut self, x: f32, top: f32, width: f32, size: f32, bold: bool, align: Align, text: &str) -> Result<f32, PrintingError> {
        check_glyphs(text)?;
        let mut top = top;
        for line in wrap_lines(text, width, size, bold) {
            let w = text_width_mm(&line, size, bold);
            let lx = match align {
                Align::Left => x,
                Align::Center => x + (width - w) / 2.0,
                Align::Right => x + width - w,
            };
            self.text(lx, top, size, bold, &line)?;
            top += leading_mm(size);
        }
        Ok(top)
    }

    /// A labelled signature line: the role (wrapped in `role_width`), the signer's name (printed
    /// above a line, or a blank line for it), and the box to sign in, ≥ 40 × 9 mm, tagged
    /// `/Signature`. Returns the `top` below the block.
    pub fn signature(&mut self, x: f32, top: f32, role: &str, name: &str) -> Result<f32, PrintingError> {
        let role_width = 62.0;
        let name_width = 58.0;
        let bottom_role = self.wrapped(x, top + 4.0, role_width, 8.0, false, Align::Left, role)?;
        let name_x = x + role_width + 3.0;
        let line_top = top + 7.5;
        let name_bottom = self.wrapped(name_x, top + 6.0, name_width, 9.0, false, Align::Left, name)?;
        self.line(name_x, line_top.max(name_bottom - 2.0), name_x + name_width, line_top.max(name_bottom - 2.0), 0.4);
        self.text(name_x, line_top.max(name_bottom - 2.0) + 3.0, 6.0, false, "фамилия, инициалы")?;
        let box_x = name_x + name_width + 4.0;
        self.signature_box(box_x, top)?;
        self.text(box_x, top + SIGNATURE_HEIGHT_MM + 3.0, 6.0, false, "подпись")?;
        Ok((top + SIGNATURE_HEIGHT_MM + 5.0).max(bottom_role + 1.0).max(line_top + 5.0))
    }

    /// The box a person signs in: ≥ 40 × 9 mm, tagged `/Signature` in the content stream.
    pub fn signature_box(&mut self, x: f32, top: f32) -> Result<(), PrintingError> {
        self.ops.push(Op::BeginMarkedContent { tag: SIGNATURE_TAG.to_string() });
        self.frame(x, top, SIGNATURE_WIDTH_MM, SIGNATURE_HEIGHT_MM, 0.6);
        self.ops.push(Op::EndMarkedContent);
        Ok(())
    }

    pub fn line(&mut self, x1: f32, top1: f32, x2: f32, top2: f32, thickness_pt: f32) {
        self.ops.push(Op::SetOutlineThickness { pt: Pt(thickness_pt) });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![
                    LinePoint { p: Point { x: mm(x1), y: mm(self.y(top1)) }, bezier: false },
                    LinePoint { p: Point { x: mm(x2), y: mm(self.y(top2)) }, bezier: false },
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
                y: mm(self.y(top + height)),
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
                y: mm(self.y(top + height)),
                width: mm(width),
                height: mm(height),
                mode: Some(PaintMode::Fill),
                winding_order: None,
            },
        });
    }

    /// Solid squares in the four corners: the scanner deskews and locates the page by them.
    pub fn fiducials(&mut self) {
        let far_x = self.width - FIDUCIAL_INSET_MM - FIDUCIAL_SIZE_MM;
        let far_y = self.height - FIDUCIAL_INSET_MM - FIDUCIAL_SIZE_MM;
        for (x, y) in [(FIDUCIAL_INSET_MM, FIDUCIAL_INSET_MM), (far_x, FIDUCIAL_INSET_MM), (FIDUCIAL_INSET_MM, far_y), (far_x, far_y)] {
            self.fill(x, y, FIDUCIAL_SIZE_MM, FIDUCIAL_SIZE_MM);
        }
    }

    /// A QR code of `payload`, `size` mm square including its quiet zone, drawn as rectangles
    /// (one per horizontal run of dark modules, so pages stay small and fast).
    pub fn qr_code(&mut self, x: f32, top: f32, size: f32, payload: &str) -> Result<(), PrintingError> {
        let code =
            qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M).map_err(|e| PrintingError::Code(e.to_string()))?;
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
                    self.fill(x + (quiet + start) as f32 * module, top + (quiet + row) as f32 * module, (col - start) as f32 * module, module);
                } else {
                    col += 1;
                }
            }
        }
        Ok(())
    }

    /// The code block of a machine-matched page: the four fiducials, the sheet code as a QR
    /// code at the top right (with the КИМ variant for a kit sheet), and its number in digits
    /// under it for a person.
    pub fn sheet_code(&mut self, id: &SheetId, variant: Option<u16>, key: &ring::hmac::Key) -> Result<(), PrintingError> {
        self.fiducials();
        let x = self.width - 18.0 - CODE_SIZE_MM;
        self.qr_code(x, CODE_TOP_MM, CODE_SIZE_MM, &sheet_code::encode_with_variant(id, variant, key))?;
        self.text_in(x - 10.0, CODE_TOP_MM + CODE_SIZE_MM + 3.5, CODE_SIZE_MM + 10.0, 7.0, false, Align::Right, &sheet_number_text(id))
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

    /// A portrait page.
    pub fn page(&self) -> Page {
        self.page_for(Orientation::Portrait)
    }

    pub fn page_for(&self, orientation: Orientation) -> Page {
        let (width, height) = orientation.size();
        Page { ops: Vec::new(), regular: self.regular.clone(), bold: self.bold.clone(), width, height }
    }

    pub fn push(&mut self, page: Page) {
        self.pages.push(PdfPage::new(Mm(page.width), Mm(page.height), page.ops));
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

mod table;
pub use table::*;

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
