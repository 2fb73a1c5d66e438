//! Marks drawn into a page image the way a person's pen makes them: crosses through chosen
//! boxes (solid, faint or half), and a page turned by a small angle as a feeder takes it.
//! The tests' and the demo's hand: what the reader is checked against. Pure.

use image::{GrayImage, Luma};

use crate::printing::forms::machine::layout::MarkBox;

/// How a cross is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pen {
    /// A ballpoint cross corner to corner.
    Cross,
    /// A light grey cross (a pencil barely pressed, an erased mark).
    Faint,
    /// One short stroke through a corner of the box.
    Half,
}

/// Draws a mark into box `b` of a page rendered at `scale` px per mm (no rotation yet).
pub fn mark(img: &mut GrayImage, scale: f32, b: &MarkBox, pen: Pen) {
    let (x0, y0, x1, y1) = (b.x * scale, b.top * scale, (b.x + b.size) * scale, (b.top + b.size) * scale);
    let width = 0.45 * scale;
    match pen {
        Pen::Cross => {
            stroke(img, (x0, y0), (x1, y1), width, 20);
            stroke(img, (x1, y0), (x0, y1), width, 20);
        }
        Pen::Faint => {
            stroke(img, (x0, y0), (x1, y1), width, 190);
            stroke(img, (x1, y0), (x0, y1), width, 190);
        }
        Pen::Half => stroke(img, (x0 + (x1 - x0) * 0.15, y0 + (y1 - y0) * 0.15), (x0 + (x1 - x0) * 0.5, y0 + (y1 - y0) * 0.5), width, 20),
    }
}

/// A straight stroke of `width` px from `a` to `b` in grey `ink` (never lightening a pixel).
fn stroke(img: &mut GrayImage, a: (f32, f32), b: (f32, f32), width: f32, ink: u8) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = (dx * dx + dy * dy).max(1e-6);
    let (min_x, max_x) = (a.0.min(b.0) - width, a.0.max(b.0) + width);
    let (min_y, max_y) = (a.1.min(b.1) - width, a.1.max(b.1) + width);
    for y in (min_y.max(0.0) as u32)..(max_y.max(0.0) as u32).min(img.height()) {
        for x in (min_x.max(0.0) as u32)..(max_x.max(0.0) as u32).min(img.width()) {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let t = (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0);
            let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
            if (px - cx).hypot(py - cy) <= width / 2.0 {
                let p = img.get_pixel_mut(x, y);
                p.0[0] = p.0[0].min(ink);
            }
        }
    }
}

/// The page turned by `degrees` about its centre, bilinear, paper white outside.
pub fn rotate(img: &GrayImage, degrees: f32) -> GrayImage {
    let (w, h) = (img.width(), img.height());
    let (c, s) = (degrees.to_radians().cos(), degrees.to_radians().sin());
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    GrayImage::from_fn(w, h, |x, y| {
        // The source pixel of each target pixel: the inverse rotation.
        let (tx, ty) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
        let (sx, sy) = (c * tx + s * ty + cx - 0.5, -s * tx + c * ty + cy - 0.5);
        if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 {
            return Luma([255]);
        }
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
        let p = |dx: u32, dy: u32| f32::from(img.get_pixel(x0 + dx, y0 + dy).0[0]);
        let v = (p(0, 0) * (1.0 - fx) + p(1, 0) * fx) * (1.0 - fy) + (p(0, 1) * (1.0 - fx) + p(1, 1) * fx) * fy;
        Luma([v.round().clamp(0.0, 255.0) as u8])
    })
}
