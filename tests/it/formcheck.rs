//! Checks of printed forms as a person would judge them: `pdftotext -layout` for whole headers
//! and values (nothing cut with «…»), the PDF's own geometry for signature boxes (the engine tags
//! each `/Signature`), and page renders by `pdftoppm` (optionally turned by a few degrees, as a
//! sheet fed askew) for scan-back tests. Used by the form tests of every module.

use std::process::Command;

/// A PDF's text laid out as on the page (`pdftotext -layout`).
pub fn text_layout(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("form.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output().expect("pdftotext (poppler-utils) runs");
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("pdftotext prints UTF-8")
}

/// Nothing in the text is cut with «…», and every word of every expected string is whole in it
/// (a word broken at its own hyphen counts as whole: «Иванова-» / «Петрова»).
pub fn assert_whole(text: &str, expected: &[&str]) {
    assert!(!text.contains('…'), "a header or value is cut with «…»:\n{text}");
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for value in expected {
        for word in value.split_whitespace() {
            for part in word.split_inclusive('-') {
                let part = part.trim_end_matches('-');
                if part.is_empty() {
                    continue;
                }
                assert!(tokens.iter().any(|t| t.contains(part)), "«{part}» (of «{value}») is not whole in the form's text:\n{text}");
            }
        }
    }
}

/// Every signature box of a PDF: (page from 1, width mm, height mm), from the rectangles the
/// content streams draw inside `/Signature` marked content.
pub fn signature_boxes(pdf: &[u8]) -> Vec<(usize, f32, f32)> {
    let doc = lopdf::Document::load_mem(pdf).expect("the form is a PDF lopdf can read");
    let pt = |o: &lopdf::Object| o.as_float().or_else(|_| o.as_i64().map(|i| i as f32)).expect("a number");
    let mut boxes = Vec::new();
    for (index, (_, page_id)) in doc.get_pages().into_iter().enumerate() {
        let content = doc.get_page_content(page_id);
        let ops = lopdf::content::Content::decode(&content).expect("content stream decodes").operations;
        let mut depth = 0usize;
        let mut in_signature: Vec<bool> = Vec::new();
        for op in ops {
            match op.operator.as_str() {
                "BMC" | "BDC" => {
                    let tag = op.operands.first().and_then(|o| o.as_name().ok()).map(|n| n == b"Signature").unwrap_or(false);
                    in_signature.push(tag);
                    depth += 1;
                }
                "EMC" => {
                    in_signature.pop();
                    depth = depth.saturating_sub(1);
                }
                "re" if in_signature.iter().any(|t| *t) => {
                    let (w, h) = (pt(&op.operands[2]).abs(), pt(&op.operands[3]).abs());
                    boxes.push((index + 1, w * 25.4 / 72.0, h * 25.4 / 72.0));
                }
                _ => {}
            }
        }
    }
    boxes
}

/// At least `min` signature boxes, each ≥ 35 × 8 mm.
pub fn assert_signatures(pdf: &[u8], min: usize) {
    let boxes = signature_boxes(pdf);
    assert!(boxes.len() >= min, "expected at least {min} signature boxes, found {}: {boxes:?}", boxes.len());
    for (page, w, h) in &boxes {
        assert!(*w >= 35.0 && *h >= 8.0, "signature box on page {page} is {w:.1} × {h:.1} mm, smaller than 35 × 8 mm");
    }
}

/// Every page rendered by `pdftoppm` as PNG at `dpi`, turned by `rotate_deg` (0 for none) on
/// white, as a scanner would deliver a sheet fed askew.
pub fn render_png(pdf: &[u8], dpi: u32, rotate_deg: f32) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("form.pdf");
    std::fs::write(&path, pdf).unwrap();
    let status = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray", "-png"])
        .arg(&path)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm runs");
    assert!(status.success(), "pdftoppm failed");
    let mut files: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "png")).collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).unwrap();
            if rotate_deg == 0.0 {
                bytes
            } else {
                rotated_png(&bytes, rotate_deg)
            }
        })
        .collect()
}

/// The image turned about its centre by `deg` degrees (nearest neighbour, white outside).
pub fn rotated_png(png: &[u8], deg: f32) -> Vec<u8> {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    let (sin, cos) = deg.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let out = image::GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let sx = cos * dx + sin * dy + cx;
        let sy = -sin * dx + cos * dy + cy;
        if sx >= 0.0 && sy >= 0.0 && (sx as u32) < w && (sy as u32) < h {
            *img.get_pixel(sx as u32, sy as u32)
        } else {
            image::Luma([255])
        }
    });
    let mut bytes = Vec::new();
    out.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use ppe::printing::forms::{auditorium_protocol_pdf, AuditoriumProtocolInput, ExamHeader, ProtocolRow};

    fn header() -> ExamHeader {
        ExamHeader {
            exam_id: "ege-02".into(),
            kind_title: "ЕГЭ".into(),
            subject_name: "Математика профильного уровня".into(),
            date: "2027.06.01".into(),
            ppe_code: "0101".into(),
            ppe_name: "Средняя общеобразовательная школа № 1 имени Героя Советского Союза".into(),
        }
    }

    /// The checks themselves can fail: a cut value and a small box are caught.
    #[test]
    fn the_checks_catch_a_cut_value_and_a_small_box() {
        assert!(std::panic::catch_unwind(|| assert_whole("Опозд… Удалён", &["Опоздал"])).is_err());
        assert!(std::panic::catch_unwind(|| assert_whole("Опоздал Уда лён", &["Удалён"])).is_err());
        assert_whole("Константинопольская-\nПреображенская", &["Константинопольская-Преображенская"]);
        let long = "Константинопольская-Преображенская Александра-Мария Владимировна";
        let row = ProtocolRow {
            seat: "1А".into(),
            name: long.into(),
            document: "4510 123456".into(),
            status: "явился".into(),
            late_at: Some("10:15".into()),
            removed: false,
            early: true,
            sheets_issued: 4,
            sheets_replaced: 1,
            additional: Some(2),
            variant: "2".into(),
        };
        let input = AuditoriumProtocolInput {
            exam: header(),
            auditorium: "101".into(),
            rows: vec![row; 30],
            kit_replacements: vec![],
            kit: "БР, БО № 1, БО № 2".into(),
            first_sheet: ppe::sheet_code::SheetId { exam_id: "ege-02".into(), ppe_code: "0101".into(), kind: ppe::sheet_code::SheetKind::Statement, number: 7 },
        };
        let key = ppe::sheet_code::sheet_key(b"k");
        let pdf = auditorium_protocol_pdf(&input, &key).unwrap().bytes;
        let text = text_layout(&pdf);
        if let Ok(dir) = std::env::var("PPE_FORMCHECK_DUMP") {
            std::fs::write(format!("{dir}/05-02.pdf"), &pdf).unwrap();
        }
        assert_whole(
            &text,
            &[long, "Опоздал", "Удалён", "Не закончил", "Выдано бланков", "Замена комплекта", "Подпись участника", "Математика профильного уровня"],
        );
        assert!(text.contains("ППЭ-05-02 · лист 1 из "), "{text}");
        assert_signatures(&pdf, 2);
        let boxes = signature_boxes(&pdf);
        assert!(boxes.iter().all(|(_, w, h)| (*w - 40.0).abs() < 0.5 && (*h - 9.0).abs() < 0.5), "{boxes:?}");
    }
}
