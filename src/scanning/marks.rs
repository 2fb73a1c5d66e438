//! Marks read back from the scan of a machine-read form (ППЭ-18-МАШ, ППЭ-12-04-МАШ): the page
//! is located by its four fiducials, each box of the form's layout (`printing::forms::machine::
//! layout`, the one the drawing used) is mapped into the image and its inner area measured
//! against the paper, and each field decided: a value, empty, or ambiguous. A value that
//! disagrees with the box's own record is flagged too; a flagged field waits for a person
//! (`ops::resolve`), it is never silently taken.
//!
//! Pure here; `geometry` finds the page, `store` keeps the readings, `ops` runs them from the
//! intake and takes a person's decision, `cli` is `ppe edge marks`.

pub mod cli;
pub mod draw;
pub mod geometry;
pub mod ops;
pub mod store;

use image::GrayImage;
use serde::Serialize;

use self::geometry::Homography;
use self::store::MarkFieldRow;
use crate::printing::forms::machine::layout::{fiducial_centers, Field, FieldShape, MarkBox, TimeGrid, YesNo};
use crate::printing::forms::machine::{ABSENCE_LOG_FORM, OBSERVATION_ACT_FORM};
use crate::printing::forms::AbsenceRow;
use crate::printing::inputs::StatementRecord;

/// Below this mean darkness of a box's inner area it is empty: paper, dust, the frame's
/// anti-aliased edge on a skewed scan stay under 0.03.
pub const EMPTY_BELOW: f32 = 0.06;
/// From this mean darkness the box is marked: a ballpoint cross through a box covers about
/// 0.3–0.6 of its inner area. Between the two — a faint, half or erased mark — a person decides.
pub const MARKED_FROM: f32 = 0.18;

/// What one box holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxMark {
    Empty,
    Marked,
    Unclear,
}

pub fn judge_box(darkness: f32) -> BoxMark {
    if darkness < EMPTY_BELOW {
        BoxMark::Empty
    } else if darkness >= MARKED_FROM {
        BoxMark::Marked
    } else {
        BoxMark::Unclear
    }
}

/// How a field was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldState {
    /// One clear value.
    Read,
    /// Nothing marked.
    Empty,
    /// Marks a machine cannot decide: a person must.
    Ambiguous,
    /// A clear value that contradicts the box's own record: a person must.
    Disagrees,
}

impl FieldState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Empty => "empty",
            Self::Ambiguous => "ambiguous",
            Self::Disagrees => "disagrees",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Read, Self::Empty, Self::Ambiguous, Self::Disagrees].into_iter().find(|x| x.as_str() == s)
    }

    pub fn flagged(self) -> bool {
        matches!(self, Self::Ambiguous | Self::Disagrees)
    }
}

/// One field as read from the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldReading {
    pub name: String,
    pub label: String,
    /// `time` or `yes_no`: what a person's value must look like.
    pub kind: &'static str,
    pub value: Option<String>,
    pub state: FieldState,
    /// Why a person must look (Russian, naming the field); empty when read or empty.
    pub reason: String,
}

/// Why a page's marks could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarksError {
    #[error("изображение страницы не читается")]
    Image,
    #[error("не найдена угловая метка ({0}): отметки на листе не прочитаны, проверьте лист вручную")]
    NoFiducial(&'static str),
    #[error("угловые метки стоят не как на бланке: отметки не прочитаны, проверьте лист вручную")]
    Geometry,
}

/// A scanned page located: where each millimetre of the form is in the image.
pub struct LocatedPage<'a> {
    image: &'a GrayImage,
    map: Homography,
    paper: f32,
}

impl<'a> LocatedPage<'a> {
    pub fn locate(image: &'a GrayImage) -> Result<Self, MarksError> {
        let paper = geometry::paper_level(image);
        let found = geometry::find_fiducials(image, paper).map_err(MarksError::NoFiducial)?;
        let map = Homography::from_points(&fiducial_centers(), &found).ok_or(MarksError::Geometry)?;
        Ok(Self { image, map, paper })
    }

    /// The mean darkness (0 paper … 1 black) of a box's inner area.
    pub fn darkness(&self, b: &MarkBox) -> f32 {
        let (x, top, side) = b.inner();
        let (ox, _) = self.map.apply(x, top);
        let (ex, _) = self.map.apply(x + side, top);
        // About one sample per pixel, never fewer than 6 × 6.
        let n = ((ex - ox).abs().ceil() as usize).max(6);
        let mut sum = 0.0;
        for i in 0..n {
            for j in 0..n {
                let (px, py) = self.map.apply(x + side * (i as f32 + 0.5) / n as f32, top + side * (j as f32 + 0.5) / n as f32);
                let luma = self.luma_at(px, py);
                sum += ((self.paper - luma) / self.paper).clamp(0.0, 1.0);
            }
        }
        sum / (n * n) as f32
    }

    fn luma_at(&self, x: f32, y: f32) -> f32 {
        let (w, h) = (self.image.width(), self.image.height());
        if x < 0.0 || y < 0.0 || x >= (w - 1) as f32 || y >= (h - 1) as f32 {
            return self.paper;
        }
        let (x0, y0) = (x.floor() as u32, y.floor() as u32);
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let p = |dx: u32, dy: u32| f32::from(self.image.get_pixel(x0 + dx, y0 + dy).0[0]);
        let top = p(0, 0) * (1.0 - fx) + p(1, 0) * fx;
        let bottom = p(0, 1) * (1.0 - fx) + p(1, 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    pub fn mark(&self, b: &MarkBox) -> BoxMark {
        judge_box(self.darkness(b))
    }

    /// Every field of the page's layout, in order.
    pub fn read(&self, fields: &[Field]) -> Vec<FieldReading> {
        fields
            .iter()
            .map(|f| match &f.shape {
                FieldShape::YesNo(yn) => read_yes_no(f, yn, self.mark(&yn.yes), self.mark(&yn.no)),
                FieldShape::Time(grid) => read_time(f, grid, |b| self.mark(b)),
            })
            .collect()
    }
}

fn reading(field: &Field, kind: &'static str, value: Option<String>, state: FieldState, reason: String) -> FieldReading {
    FieldReading { name: field.name.clone(), label: field.label.clone(), kind, value, state, reason }
}

fn read_yes_no(field: &Field, _boxes: &YesNo, yes: BoxMark, no: BoxMark) -> FieldReading {
    let r = |value: Option<&str>, state, why: &str| {
        reading(field, "yes_no", value.map(str::to_string), state, if why.is_empty() { String::new() } else { format!("{}: {why}", field.label) })
    };
    match (yes, no) {
        (BoxMark::Marked, BoxMark::Empty) => r(Some("да"), FieldState::Read, ""),
        (BoxMark::Empty, BoxMark::Marked) => r(Some("нет"), FieldState::Read, ""),
        (BoxMark::Empty, BoxMark::Empty) => r(None, FieldState::Empty, ""),
        (BoxMark::Marked, BoxMark::Marked) => r(None, FieldState::Ambiguous, "отмечены и «да», и «нет»"),
        (BoxMark::Unclear, _) => r(None, FieldState::Ambiguous, "неясная отметка в клетке «да»"),
        (_, BoxMark::Unclear) => r(None, FieldState::Ambiguous, "неясная отметка в клетке «нет»"),
    }
}

const DIGIT_NAMES: [&str; 4] = ["десятки часов", "единицы часов", "десятки минут", "единицы минут"];

fn read_time(field: &Field, grid: &TimeGrid, mark: impl Fn(&MarkBox) -> BoxMark) -> FieldReading {
    let mut digits = Vec::new();
    let mut problems = Vec::new();
    let mut any = false;
    for (line, name) in grid.lines.iter().zip(DIGIT_NAMES) {
        let marks: Vec<BoxMark> = line.boxes.iter().map(&mark).collect();
        let marked: Vec<usize> = marks.iter().enumerate().filter(|(_, m)| **m == BoxMark::Marked).map(|(d, _)| d).collect();
        let unclear: Vec<usize> = marks.iter().enumerate().filter(|(_, m)| **m == BoxMark::Unclear).map(|(d, _)| d).collect();
        any |= !marked.is_empty() || !unclear.is_empty();
        match (marked.as_slice(), unclear.as_slice()) {
            ([d], []) => digits.push(*d as u8),
            ([], []) => problems.push(format!("{name}: нет отметки")),
            (_, [d, ..]) => problems.push(format!("{name}: неясная отметка у цифры {d}")),
            (many, []) => problems.push(format!(
                "{name}: отмечено {} клетки ({})",
                many.len(),
                many.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    if !any {
        return reading(field, "time", None, FieldState::Empty, String::new());
    }
    if !problems.is_empty() {
        return reading(field, "time", None, FieldState::Ambiguous, format!("{}: {}", field.label, problems.join("; ")));
    }
    let (hours, minutes) = (digits[0] * 10 + digits[1], digits[2] * 10 + digits[3]);
    let value = format!("{hours:02}:{minutes:02}");
    if hours > 23 {
        return reading(field, "time", None, FieldState::Ambiguous, format!("{}: отмечено {value}, такого времени нет", field.label));
    }
    reading(field, "time", Some(value), FieldState::Read, String::new())
}

/// Whether `value` is one a person may give a field of `kind` (`""` leaves it empty).
pub fn valid_value(kind: &str, value: &str) -> bool {
    match kind {
        "yes_no" => matches!(value, "" | "да" | "нет"),
        "time" => value.is_empty() || chrono::NaiveTime::parse_from_str(value, "%H:%M").is_ok_and(|_| value.len() == 5),
        _ => true,
    }
}

/// ППЭ-12-04-МАШ against the box's own record of the auditorium's absences: each leave marked
/// on the page must be one the box recorded at that minute, and a return marked must be the
/// one the box recorded. Disagreeing fields are flagged, naming the field and both values.
pub fn check_absences(readings: &mut [FieldReading], record: &[AbsenceRow]) {
    let mut used = vec![false; record.len()];
    let value = |r: &FieldReading| (r.state == FieldState::Read).then(|| r.value.clone()).flatten();
    let rows: Vec<String> = readings.iter().filter_map(|r| r.name.strip_suffix(".left").map(str::to_string)).collect();
    for row in rows {
        let Some(li) = readings.iter().position(|r| r.name == format!("{row}.left")) else { continue };
        let Some(ri) = readings.iter().position(|r| r.name == format!("{row}.returned")) else { continue };
        let (left, back) = (value(&readings[li]), value(&readings[ri]));
        let Some(left) = left else {
            if let Some(back) = back {
                let r = &mut readings[ri];
                r.state = FieldState::Ambiguous;
                r.reason = format!("{}: отмечено {back}, а время выхода в строке не отмечено", r.label);
            }
            continue;
        };
        let Some(k) = (0..record.len()).find(|&k| !used[k] && record[k].left_at == left) else {
            let r = &mut readings[li];
            r.state = FieldState::Disagrees;
            r.reason = format!("{}: на бланке {left}, в журнале ППЭ выхода в это время нет", r.label);
            continue;
        };
        used[k] = true;
        let recorded = record[k].returned_at.as_str();
        if let Some(back) = back {
            if back != recorded {
                let r = &mut readings[ri];
                r.state = FieldState::Disagrees;
                r.reason = if recorded.is_empty() {
                    format!("{}: на бланке {back}, в журнале ППЭ возвращение не отмечено (место {})", r.label, record[k].seat)
                } else {
                    format!("{}: на бланке {back}, в журнале ППЭ {recorded} (место {})", r.label, record[k].seat)
                };
            }
        }
    }
}

/// A field's answer as the bundle carries it: a person's value over the reader's, nothing for
/// a flagged field nobody decided.
fn answer(row: &MarkFieldRow) -> serde_json::Value {
    let (value, source) = match (&row.resolved_value, FieldState::parse(&row.state)) {
        (Some(v), _) => (Some(v.clone()).filter(|v| !v.is_empty()), "person"),
        (None, Some(s)) if !s.flagged() => (row.value.clone(), "recognized"),
        (None, _) => (None, "unresolved"),
    };
    serde_json::json!({"field": row.field, "label": row.label, "value": value, "source": source})
}

/// The records with what was read from their forms' scans: each page's fields under
/// `answers` (ППЭ-18-МАШ in `ppe-18-mash.json`, ППЭ-12-04-МАШ per auditorium), from the
/// fields `store::fields_for_exam` holds. A record whose form was not scanned stays as it is.
pub fn with_answers(rows: &[MarkFieldRow], mut records: Vec<StatementRecord>) -> Vec<StatementRecord> {
    for record in &mut records {
        let of_record = |r: &&MarkFieldRow| match (r.form.as_str(), record.name.as_str()) {
            (OBSERVATION_ACT_FORM, "ppe-18-mash.json") => true,
            (ABSENCE_LOG_FORM, name) => name.strip_prefix("ppe-12-04-mash-").and_then(|n| n.strip_suffix(".json")) == r.holder.rsplit(':').next(),
            _ => false,
        };
        let mine: Vec<&MarkFieldRow> = rows.iter().filter(of_record).collect();
        let mut pages: Vec<(u32, u32, Vec<serde_json::Value>)> = Vec::new();
        for r in mine {
            match pages.iter_mut().find(|(n, _, _)| *n == r.sheet_number) {
                Some((_, _, fields)) => fields.push(answer(r)),
                None => pages.push((r.sheet_number, r.page_index, vec![answer(r)])),
            }
        }
        if pages.is_empty() {
            continue;
        }
        pages.sort_by_key(|(n, _, _)| *n);
        let answers: Vec<serde_json::Value> =
            pages.into_iter().map(|(n, i, fields)| serde_json::json!({"sheet_number": n, "page": i + 1, "fields": fields})).collect();
        if let Some(object) = record.data.as_object_mut() {
            object.insert("answers".into(), serde_json::Value::Array(answers));
        }
    }
    records
}

/// A white A4-proportioned page `width` px wide with the four fiducials where the forms print
/// them: the demo's and the tests' stand-in for a scanned form.
pub fn blank_page(width: u32) -> GrayImage {
    let scale = width as f32 / crate::printing::pdf::PAGE_WIDTH_MM;
    let height = (crate::printing::pdf::PAGE_HEIGHT_MM * scale).round() as u32;
    let mut page = GrayImage::from_pixel(width, height, image::Luma([255u8]));
    let half = crate::printing::pdf::FIDUCIAL_SIZE_MM * scale / 2.0;
    for (cx, cy) in fiducial_centers() {
        let (cx, cy) = (cx * scale, cy * scale);
        for y in (cy - half).round() as u32..(cy + half).round() as u32 {
            for x in (cx - half).round() as u32..(cx + half).round() as u32 {
                page.put_pixel(x, y, image::Luma([0u8]));
            }
        }
    }
    page
}

#[cfg(test)]
mod tests;
