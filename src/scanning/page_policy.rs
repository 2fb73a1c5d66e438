//! The page policy (issue 22 item 3): fewer bytes per stored page, every code still read.
//!
//! `original` keeps the scanner's bytes. `lossless` keeps the pixels and re-encodes them as
//! PNG at their real depth: grey when the colour channels are equal (a scanner in colour mode
//! over a black-and-white form), no alpha when every pixel is opaque, 8 bits when 16-bit
//! samples are 8-bit ones widened, 1 bit when only black and white occur; maximal deflate and
//! adaptive filters of the `png` crate (already in the tree via `image`). A page whose
//! re-encoding is not smaller (a JPEG) is kept as it came. `bitonal` makes 1-bit pages (Otsu's
//! threshold of each page, or a fixed one) of the sheet kinds the configuration allows, and
//! only when the sheet code still reads off the 1-bit pixels; every other page is lossless.
//! Resolution is always the scanner's (no resampling); a PNG's pixel density is kept.
//!
//! The stored bytes are what the page's `sha256` names (the bundle's file name, the hub's
//! check); the scanner's own hash is kept beside it (`store`), so the same file is known when
//! dropped again.

pub mod store;

use std::borrow::Cow;

use image::{DynamicImage, GrayImage};

pub use crate::config::{PagePolicy, ScanningConfig};
use crate::sheet_code::SheetKind;

/// Why a page the configuration asks to be bitonal was stored lossless instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BitonalRefused {
    #[error("{}: двуцветное хранение для этого вида бланка не разрешено ([scanning] bitonal_sheets; распознавание читает его в оттенках серого), страница сохранена без потерь", .0.title_ru())]
    NotAllowed(SheetKind),
    #[error("на странице не прочитан код листа: она сохранена без потерь в оттенках серого, чтобы её разобрал человек")]
    Unidentified,
    #[error("код листа не читается на двуцветном изображении: страница сохранена без потерь")]
    CodeLost,
}

/// The policy a page gets: `bitonal` only for a sheet kind the configuration allows, and never
/// for a page whose kind is unknown (no code read: a person will look at it in grey).
pub fn policy_for(cfg: &ScanningConfig, kind: Option<SheetKind>) -> Result<PagePolicy, BitonalRefused> {
    match (cfg.page_policy, kind) {
        (PagePolicy::Bitonal, Some(k)) if cfg.bitonal_sheets.contains(&k) => Ok(PagePolicy::Bitonal),
        (PagePolicy::Bitonal, Some(k)) => Err(BitonalRefused::NotAllowed(k)),
        (PagePolicy::Bitonal, None) => Err(BitonalRefused::Unidentified),
        (policy, _) => Ok(policy),
    }
}

/// A page as it came, already decoded for its codes.
pub struct ScannedPage<'a> {
    pub bytes: &'a [u8],
    pub ext: &'a str,
    /// `None` when the bytes are no image intake reads (stored as they came).
    pub image: Option<&'a DynamicImage>,
    /// The grey pixels the codes were read from.
    pub grey: Option<&'a GrayImage>,
}

/// A page as stored.
#[derive(Debug, Clone)]
pub struct StoredPage<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub ext: &'a str,
    /// What was applied: `original` also when re-encoding gave nothing smaller.
    pub policy: PagePolicy,
    /// Set when the configuration asked for bitonal and this page is not.
    pub refused: Option<BitonalRefused>,
}

/// Stores a page under `cfg`. `sheet` is the kind and code read off the page's own pixels
/// (`None` when none was); `read` reads the codes of grey pixels, so a bitonal page that lost
/// its sheet code is stored lossless instead (fail closed).
pub fn apply<'a>(
    cfg: &ScanningConfig,
    page: &ScannedPage<'a>,
    sheet: Option<(SheetKind, &str)>,
    read: &dyn Fn(GrayImage) -> Vec<String>,
) -> StoredPage<'a> {
    let original = StoredPage { bytes: Cow::Borrowed(page.bytes), ext: page.ext, policy: PagePolicy::Original, refused: None };
    let (Some(image), Some(grey)) = (page.image, page.grey) else {
        return original;
    };
    if cfg.page_policy == PagePolicy::Original {
        return original;
    }
    let dims = png_pixel_dims(page.bytes);
    let chosen = policy_for(cfg, sheet.map(|s| s.0));
    let mut refused = chosen.as_ref().err().cloned();
    if chosen == Ok(PagePolicy::Bitonal) {
        let bw = bitonal(grey, cfg.bitonal_threshold);
        let code = sheet.map(|s| s.1).unwrap_or_default();
        if read(bw.clone()).iter().any(|t| t == code) {
            if let Some(png) = gray_png(&bw, dims).filter(|b| b.len() < page.bytes.len()) {
                return StoredPage { bytes: Cow::Owned(png), ext: "png", policy: PagePolicy::Bitonal, refused: None };
            }
        } else {
            refused = Some(BitonalRefused::CodeLost);
        }
    }
    match lossless_png(image, dims).filter(|b| b.len() < page.bytes.len()) {
        Some(png) => StoredPage { bytes: Cow::Owned(png), ext: "png", policy: PagePolicy::Lossless, refused },
        None => StoredPage { refused, ..original },
    }
}

/// Otsu's threshold: the grey level that best separates the page's dark and light pixels
/// (pixels at or below it are the dark class).
pub fn otsu_threshold(grey: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for &v in grey.as_raw() {
        hist[v as usize] += 1;
    }
    let total = grey.as_raw().len() as u64;
    let sum: f64 = hist.iter().enumerate().map(|(i, &c)| i as f64 * c as f64).sum();
    let (mut sum_dark, mut dark, mut best, mut best_t) = (0f64, 0u64, -1f64, 0u8);
    for (t, &count) in hist.iter().enumerate() {
        dark += count;
        if dark == 0 {
            continue;
        }
        let light = total - dark;
        if light == 0 {
            break;
        }
        sum_dark += t as f64 * count as f64;
        let (mean_dark, mean_light) = (sum_dark / dark as f64, (sum - sum_dark) / light as f64);
        let between = dark as f64 * light as f64 * (mean_dark - mean_light).powi(2);
        if between > best {
            (best, best_t) = (between, t as u8);
        }
    }
    best_t
}

/// Black (0) below `threshold`, white (255) at or above it; `threshold` 0: Otsu's.
pub fn bitonal(grey: &GrayImage, threshold: u8) -> GrayImage {
    let cut = if threshold == 0 { u16::from(otsu_threshold(grey)) + 1 } else { u16::from(threshold) };
    let pixels = grey.as_raw().iter().map(|&v| if u16::from(v) < cut { 0 } else { 255 }).collect();
    GrayImage::from_raw(grey.width(), grey.height(), pixels).expect("same dimensions")
}

/// A grey page as PNG: 1 bit when only black and white occur, else 8.
pub fn gray_png(grey: &GrayImage, dims: Option<png::PixelDimensions>) -> Option<Vec<u8>> {
    let (w, h) = grey.dimensions();
    if grey.as_raw().iter().all(|&v| v == 0 || v == 255) {
        return encode_png(w, h, png::ColorType::Grayscale, png::BitDepth::One, &pack_bits(w, grey.as_raw()), dims);
    }
    encode_png(w, h, png::ColorType::Grayscale, png::BitDepth::Eight, grey.as_raw(), dims)
}

/// The pixels of `image` exactly, as PNG at their real depth; `None` for sample types no
/// scanner delivers (floating point).
pub fn lossless_png(image: &DynamicImage, dims: Option<png::PixelDimensions>) -> Option<Vec<u8>> {
    use png::ColorType::{Grayscale, GrayscaleAlpha, Rgb, Rgba};
    let (w, h) = (image.width(), image.height());
    let opaque = |data: &[u8], n: usize| data.chunks_exact(n).all(|p| p[n - 1] == 255);
    let first_of = |data: &[u8], n: usize| -> Vec<u8> { data.chunks_exact(n).map(|p| p[0]).collect() };
    let (color, data): (png::ColorType, Cow<[u8]>) = match image {
        DynamicImage::ImageLuma8(i) => return gray_png(i, dims),
        DynamicImage::ImageLumaA8(i) if opaque(i.as_raw(), 2) => (Grayscale, Cow::Owned(first_of(i.as_raw(), 2))),
        DynamicImage::ImageLumaA8(i) => (GrayscaleAlpha, Cow::Borrowed(i.as_raw().as_slice())),
        DynamicImage::ImageRgb8(i) => (Rgb, Cow::Borrowed(i.as_raw().as_slice())),
        DynamicImage::ImageRgba8(i) if opaque(i.as_raw(), 4) => {
            (Rgb, Cow::Owned(i.as_raw().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()))
        }
        DynamicImage::ImageRgba8(i) => (Rgba, Cow::Borrowed(i.as_raw().as_slice())),
        DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA16(_) | DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgba16(_) => {
            return lossless_png16(image, dims);
        }
        _ => return None,
    };
    if color == Rgb && data.chunks_exact(3).all(|p| p[0] == p[1] && p[1] == p[2]) {
        return gray_png(&GrayImage::from_raw(w, h, first_of(&data, 3))?, dims);
    }
    encode_png(w, h, color, png::BitDepth::Eight, &data, dims)
}

/// 16-bit pages: 8 bits when every sample is an 8-bit one widened (v = 257·k), else 16 bits
/// as they are.
fn lossless_png16(image: &DynamicImage, dims: Option<png::PixelDimensions>) -> Option<Vec<u8>> {
    let (w, h) = (image.width(), image.height());
    let (color, samples): (png::ColorType, &[u16]) = match image {
        DynamicImage::ImageLuma16(i) => (png::ColorType::Grayscale, i.as_raw()),
        DynamicImage::ImageLumaA16(i) => (png::ColorType::GrayscaleAlpha, i.as_raw()),
        DynamicImage::ImageRgb16(i) => (png::ColorType::Rgb, i.as_raw()),
        DynamicImage::ImageRgba16(i) => (png::ColorType::Rgba, i.as_raw()),
        _ => return None,
    };
    if samples.iter().all(|v| v % 257 == 0) {
        let eight: Vec<u8> = samples.iter().map(|v| (v / 257) as u8).collect();
        let narrowed = match color {
            png::ColorType::Grayscale => DynamicImage::ImageLuma8(image::ImageBuffer::from_raw(w, h, eight)?),
            png::ColorType::GrayscaleAlpha => DynamicImage::ImageLumaA8(image::ImageBuffer::from_raw(w, h, eight)?),
            png::ColorType::Rgb => DynamicImage::ImageRgb8(image::ImageBuffer::from_raw(w, h, eight)?),
            _ => DynamicImage::ImageRgba8(image::ImageBuffer::from_raw(w, h, eight)?),
        };
        return lossless_png(&narrowed, dims);
    }
    let big_endian: Vec<u8> = samples.iter().flat_map(|v| v.to_be_bytes()).collect();
    encode_png(w, h, color, png::BitDepth::Sixteen, &big_endian, dims)
}

/// Rows of 0/255 pixels as 1-bit PNG rows (1 = white), each padded to a byte.
fn pack_bits(width: u32, grey: &[u8]) -> Vec<u8> {
    let w = width as usize;
    let stride = w.div_ceil(8);
    let mut out = vec![0u8; stride * grey.len().checked_div(w).unwrap_or(0)];
    for (y, row) in grey.chunks_exact(w.max(1)).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            if v >= 128 {
                out[y * stride + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    out
}

fn encode_png(w: u32, h: u32, color: png::ColorType, depth: png::BitDepth, data: &[u8], dims: Option<png::PixelDimensions>) -> Option<Vec<u8>> {
    if w == 0 || h == 0 {
        return None;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(color);
    encoder.set_depth(depth);
    encoder.set_compression(png::Compression::High);
    encoder.set_filter(png::Filter::Adaptive);
    encoder.set_pixel_dims(dims);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(data).ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// The pixel density of a PNG page (its dpi), to keep on the re-encoded page.
fn png_pixel_dims(bytes: &[u8]) -> Option<png::PixelDimensions> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return None;
    }
    png::Decoder::new(std::io::Cursor::new(bytes)).read_info().ok()?.info().pixel_dims
}

#[cfg(test)]
mod tests;
