//! Where the page is in a scan: the four corner fiducials found as solid squares near their
//! places, and the projective map from the form's millimetres to the image's pixels they give
//! (scale, shift, rotation, skew). Pure, over a grey image.

use image::GrayImage;

use crate::printing::forms::machine::layout::fiducial_centers;
use crate::printing::pdf::{FIDUCIAL_SIZE_MM, PAGE_WIDTH_MM};

/// How far from its place a fiducial is looked for, in mm: a page fed 1–2° askew and a few
/// millimetres off moves a corner by well under this.
const SEARCH_RADIUS_MM: f32 = 16.0;
/// A fiducial's found area may differ this much from a 6 mm square (scanner scale, toner).
const AREA_RATIO: (f32, f32) = (0.45, 1.9);
/// A solid square fills its bounding box (≥ 0.9 up to a few degrees of rotation); a QR finder
/// ring or a letter does not.
const MIN_FILL: f32 = 0.72;

/// The map from form millimetres to image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Homography {
    h: [f64; 9],
}

impl Homography {
    /// The map taking each `from[i]` to `to[i]` (four points, no three on a line).
    pub fn from_points(from: &[(f32, f32); 4], to: &[(f32, f32); 4]) -> Option<Self> {
        let mut a = [[0f64; 9]; 8];
        for i in 0..4 {
            let (x, y) = (f64::from(from[i].0), f64::from(from[i].1));
            let (u, v) = (f64::from(to[i].0), f64::from(to[i].1));
            a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
            a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
        }
        // Gaussian elimination with partial pivoting on the 8×8 system (last column = rhs).
        for col in 0..8 {
            let pivot = (col..8).max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))?;
            if a[pivot][col].abs() < 1e-12 {
                return None;
            }
            a.swap(col, pivot);
            for row in 0..8 {
                if row != col {
                    let f = a[row][col] / a[col][col];
                    for k in col..9 {
                        a[row][k] -= f * a[col][k];
                    }
                }
            }
        }
        let mut h = [1f64; 9];
        for (i, row) in a.iter().enumerate() {
            h[i] = row[8] / row[i];
        }
        Some(Self { h })
    }

    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let (x, y) = (f64::from(x), f64::from(y));
        let h = &self.h;
        let w = h[6] * x + h[7] * y + h[8];
        (((h[0] * x + h[1] * y + h[2]) / w) as f32, ((h[3] * x + h[4] * y + h[5]) / w) as f32)
    }
}

/// The corners in the order of [`fiducial_centers`], named for people.
pub const CORNER_NAMES: [&str; 4] = ["верхний левый", "верхний правый", "нижний левый", "нижний правый"];

/// The paper's grey level: a high percentile of the page (most of a form is paper).
pub fn paper_level(img: &GrayImage) -> f32 {
    let mut histogram = [0u64; 256];
    for (i, p) in img.pixels().enumerate() {
        if i % 3 == 0 {
            histogram[usize::from(p.0[0])] += 1;
        }
    }
    let total: u64 = histogram.iter().sum();
    let mut seen = 0;
    for level in (0..256).rev() {
        seen += histogram[level];
        if seen * 10 >= total {
            return (level as f32).max(96.0);
        }
    }
    255.0
}

/// The fiducials' centres in pixels, or the corner where none was found.
pub fn find_fiducials(img: &GrayImage, paper: f32) -> Result<[(f32, f32); 4], &'static str> {
    let scale = img.width() as f32 / PAGE_WIDTH_MM;
    let dark = (paper * 0.5) as u8;
    let mut found = [(0f32, 0f32); 4];
    for (i, (cx, cy)) in fiducial_centers().into_iter().enumerate() {
        found[i] = find_square(img, (cx * scale, cy * scale), SEARCH_RADIUS_MM * scale, FIDUCIAL_SIZE_MM * scale, dark).ok_or(CORNER_NAMES[i])?;
    }
    Ok(found)
}

/// The solid dark square of side about `side` px nearest to `near` within `radius` px.
fn find_square(img: &GrayImage, near: (f32, f32), radius: f32, side: f32, dark: u8) -> Option<(f32, f32)> {
    let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max);
    let (x0, x1) = (clamp(near.0 - radius, img.width()), clamp(near.0 + radius, img.width()));
    let (y0, y1) = (clamp(near.1 - radius, img.height()), clamp(near.1 + radius, img.height()));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let (w, h) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let is_dark = |x: usize, y: usize| img.get_pixel(x0 + x as u32, y0 + y as u32).0[0] < dark;
    let mut seen = vec![false; w * h];
    let expected = side * side;
    let mut best: Option<((f32, f32), f32)> = None;
    let mut stack = Vec::new();
    for start in 0..w * h {
        if seen[start] || !is_dark(start % w, start / w) {
            continue;
        }
        // One 4-connected dark component.
        seen[start] = true;
        stack.push(start);
        let (mut area, mut sx, mut sy) = (0usize, 0f64, 0f64);
        let (mut min_x, mut max_x, mut min_y, mut max_y) = (usize::MAX, 0, usize::MAX, 0);
        while let Some(p) = stack.pop() {
            let (x, y) = (p % w, p / w);
            area += 1;
            sx += x as f64;
            sy += y as f64;
            (min_x, max_x, min_y, max_y) = (min_x.min(x), max_x.max(x), min_y.min(y), max_y.max(y));
            let mut visit = |q: usize| {
                if !seen[q] && is_dark(q % w, q / w) {
                    seen[q] = true;
                    stack.push(q);
                }
            };
            if x > 0 {
                visit(p - 1);
            }
            if x + 1 < w {
                visit(p + 1);
            }
            if y > 0 {
                visit(p - w);
            }
            if y + 1 < h {
                visit(p + w);
            }
        }
        let (bw, bh) = ((max_x - min_x + 1) as f32, (max_y - min_y + 1) as f32);
        let area = area as f32;
        let square = (0.7..=1.4).contains(&(bw / bh)) && area / (bw * bh) >= MIN_FILL;
        if !square || area < expected * AREA_RATIO.0 || area > expected * AREA_RATIO.1 {
            continue;
        }
        let center = (x0 as f32 + (sx / f64::from(area)) as f32, y0 as f32 + (sy / f64::from(area)) as f32);
        let distance = (center.0 - near.0).hypot(center.1 - near.1);
        if best.is_none_or(|(_, d)| distance < d) {
            best = Some((center, distance));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_points_give_the_map_that_takes_them_and_the_points_between() {
        let from = [(0.0, 0.0), (100.0, 0.0), (0.0, 200.0), (100.0, 200.0)];
        // Scaled by 3, rotated by 2°, shifted.
        let (c, s) = (2f32.to_radians().cos(), 2f32.to_radians().sin());
        let map = |(x, y): (f32, f32)| (3.0 * (c * x - s * y) + 40.0, 3.0 * (s * x + c * y) + 25.0);
        let to = from.map(map);
        let h = Homography::from_points(&from, &to).unwrap();
        for p in [(50.0, 100.0), (12.5, 190.0), (99.0, 1.0)] {
            let (got, want) = (h.apply(p.0, p.1), map(p));
            assert!((got.0 - want.0).abs() < 0.01 && (got.1 - want.1).abs() < 0.01, "{got:?} != {want:?}");
        }
        assert!(Homography::from_points(&[(0.0, 0.0); 4], &to).is_none(), "degenerate points give no map");
    }
}
