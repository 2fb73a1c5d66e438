use super::*;

fn cfg(policy: PagePolicy) -> ScanningConfig {
    ScanningConfig { page_policy: policy, ..Default::default() }
}

/// A grey "form": white paper, grey cells, black strokes.
fn form_page() -> GrayImage {
    GrayImage::from_fn(300, 200, |x, y| {
        image::Luma([if (x / 7 + y / 5) % 9 == 0 {
            20
        } else if x % 40 < 2 {
            150
        } else {
            250
        }])
    })
}

fn encode(image: &DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn png_header(bytes: &[u8]) -> (png::ColorType, png::BitDepth) {
    let reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    (reader.info().color_type, reader.info().bit_depth)
}

fn decoded(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

#[test]
fn lossless_keeps_every_pixel_at_the_real_depth_and_is_smaller() {
    let grey = form_page();
    // A scanner in colour mode over a black-and-white form: three equal channels.
    let rgb = DynamicImage::ImageLuma8(grey.clone()).to_rgb8();
    let rgb_png = encode(&DynamicImage::ImageRgb8(rgb.clone()), image::ImageFormat::Png);
    let out = lossless_png(&DynamicImage::ImageRgb8(rgb.clone()), None).unwrap();
    assert_eq!(png_header(&out), (png::ColorType::Grayscale, png::BitDepth::Eight));
    assert_eq!(decoded(&out).to_luma8(), grey, "the same pixels");
    assert!(out.len() < rgb_png.len(), "{} < {}", out.len(), rgb_png.len());

    // Real colour stays colour, exactly; opaque alpha is dropped; 16-bit widened is 8-bit.
    let mut colour = rgb.clone();
    colour.put_pixel(3, 3, image::Rgb([200, 10, 10]));
    let out = lossless_png(&DynamicImage::ImageRgb8(colour.clone()), None).unwrap();
    assert_eq!(png_header(&out), (png::ColorType::Rgb, png::BitDepth::Eight));
    assert_eq!(decoded(&out).to_rgb8(), colour);
    let rgba = DynamicImage::ImageRgb8(colour.clone()).to_rgba8();
    assert_eq!(png_header(&lossless_png(&DynamicImage::ImageRgba8(rgba), None).unwrap()).0, png::ColorType::Rgb);
    let wide = DynamicImage::ImageLuma8(grey.clone()).to_luma16();
    let out = lossless_png(&DynamicImage::ImageLuma16(wide.clone()), None).unwrap();
    assert_eq!(png_header(&out), (png::ColorType::Grayscale, png::BitDepth::Eight));
    assert_eq!(decoded(&out).to_luma8(), grey);
    // True 16-bit samples keep their 16 bits.
    let mut deep = wide;
    deep.put_pixel(0, 0, image::Luma([1000]));
    let out = lossless_png(&DynamicImage::ImageLuma16(deep.clone()), None).unwrap();
    assert_eq!(png_header(&out), (png::ColorType::Grayscale, png::BitDepth::Sixteen));
    assert_eq!(decoded(&out).to_luma16(), deep);
    // Only black and white: 1 bit, the same pixels.
    let bw = bitonal(&grey, 0);
    let out = lossless_png(&DynamicImage::ImageLuma8(bw.clone()), None).unwrap();
    assert_eq!(png_header(&out), (png::ColorType::Grayscale, png::BitDepth::One));
    assert_eq!(decoded(&out).to_luma8(), bw);
}

#[test]
fn a_page_keeps_its_density_and_a_jpeg_or_an_already_small_page_stays_as_it_came() {
    let grey = DynamicImage::ImageLuma8(form_page());
    let mut with_dpi = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut with_dpi, 300, 200);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_compression(png::Compression::NoCompression);
        enc.set_pixel_dims(Some(png::PixelDimensions { xppu: 11811, yppu: 11811, unit: png::Unit::Meter }));
        let mut w = enc.write_header().unwrap();
        w.write_image_data(grey.as_bytes()).unwrap();
        w.finish().unwrap();
    }
    let page = ScannedPage { bytes: &with_dpi, ext: "png", image: Some(&grey), grey: grey.as_luma8() };
    let stored = apply(&cfg(PagePolicy::Lossless), &page, None, &|_| vec![]);
    assert_eq!((stored.policy, stored.ext), (PagePolicy::Lossless, "png"));
    assert_eq!(png_pixel_dims(&stored.bytes).map(|d| d.xppu), Some(11811), "300 dpi kept");
    assert!(stored.bytes.len() < with_dpi.len());

    // A photo-like page (a smooth gradient with sensor noise): JPEG is smaller than any PNG.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let photo = GrayImage::from_fn(300, 200, |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        image::Luma([((x + y) / 3) as u8 + (state % 13) as u8])
    });
    let jpeg = encode(&DynamicImage::ImageLuma8(photo), image::ImageFormat::Jpeg);
    let as_read = decoded(&jpeg);
    let page = ScannedPage { bytes: &jpeg, ext: "jpg", image: Some(&as_read), grey: as_read.as_luma8() };
    let stored = apply(&cfg(PagePolicy::Lossless), &page, None, &|_| vec![]);
    assert_eq!((stored.policy, stored.ext), (PagePolicy::Original, "jpg"));
    assert!(stored.bytes.as_ref() == jpeg.as_slice(), "the JPEG's own bytes");
    // Not an image: as it came, whatever the policy.
    let junk = ScannedPage { bytes: b"junk", ext: "png", image: None, grey: None };
    assert_eq!(apply(&cfg(PagePolicy::Bitonal), &junk, None, &|_| vec![]).policy, PagePolicy::Original);
}

#[test]
fn bitonal_only_for_the_sheet_kinds_allowed_and_only_while_the_code_reads() {
    let c = cfg(PagePolicy::Bitonal);
    assert_eq!(policy_for(&c, Some(SheetKind::Answers2)), Ok(PagePolicy::Bitonal));
    assert_eq!(policy_for(&c, Some(SheetKind::Additional)), Ok(PagePolicy::Bitonal));
    for kind in [SheetKind::Registration, SheetKind::Answers1, SheetKind::Statement] {
        let refused = policy_for(&c, Some(kind)).unwrap_err();
        assert_eq!(refused, BitonalRefused::NotAllowed(kind));
        assert!(refused.to_string().contains("не разрешено") && refused.to_string().contains(kind.title_ru()), "{refused}");
    }
    assert_eq!(policy_for(&c, None), Err(BitonalRefused::Unidentified));
    assert_eq!(policy_for(&cfg(PagePolicy::Lossless), Some(SheetKind::Answers2)), Ok(PagePolicy::Lossless));
    // A region may allow it for the registration sheet: data, not code.
    let mut region = c.clone();
    region.bitonal_sheets.insert(SheetKind::Registration);
    assert_eq!(policy_for(&region, Some(SheetKind::Registration)), Ok(PagePolicy::Bitonal));

    let grey = DynamicImage::ImageLuma8(form_page());
    let original = encode(&grey, image::ImageFormat::Png);
    let page = ScannedPage { bytes: &original, ext: "png", image: Some(&grey), grey: grey.as_luma8() };
    let reads = |_: GrayImage| vec!["CODE".to_string()];
    let stored = apply(&c, &page, Some((SheetKind::Answers2, "CODE")), &reads);
    assert_eq!((stored.policy, stored.refused.clone()), (PagePolicy::Bitonal, None));
    assert_eq!(png_header(&stored.bytes), (png::ColorType::Grayscale, png::BitDepth::One));
    let lossless = apply(&cfg(PagePolicy::Lossless), &page, None, &reads);
    assert!(stored.bytes.len() < lossless.bytes.len(), "bitonal {} < lossless {}", stored.bytes.len(), lossless.bytes.len());
    let refused = apply(&c, &page, Some((SheetKind::Answers1, "CODE")), &reads);
    assert_eq!((refused.policy, refused.refused), (PagePolicy::Lossless, Some(BitonalRefused::NotAllowed(SheetKind::Answers1))));
    let lost = apply(&c, &page, Some((SheetKind::Answers2, "CODE")), &|_| vec!["OTHER".to_string()]);
    assert_eq!((lost.policy, lost.refused), (PagePolicy::Lossless, Some(BitonalRefused::CodeLost)));
    assert_eq!(decoded(&lost.bytes).to_luma8(), *grey.as_luma8().unwrap(), "fell back to the same pixels");
}

#[test]
fn otsu_separates_ink_from_paper_and_a_fixed_threshold_is_kept() {
    // Ink around 30, paper around 230, a little noise.
    let page = GrayImage::from_fn(64, 64, |x, y| image::Luma([if (x + y) % 5 == 0 { 30 + (x % 7) as u8 } else { 225 + (y % 9) as u8 }]));
    let t = otsu_threshold(&page);
    assert!((36..225).contains(&t), "threshold {t}");
    let bw = bitonal(&page, 0);
    assert!(bw.pixels().zip(page.pixels()).all(|(b, g)| b.0[0] == if g.0[0] < 128 { 0 } else { 255 }));
    let fixed = bitonal(&page, 240);
    assert!(fixed.pixels().all(|p| p.0[0] == 0), "every pixel below 240 is black");
    let white = GrayImage::from_pixel(8, 8, image::Luma([255]));
    assert!(bitonal(&white, 0).pixels().all(|p| p.0[0] == 255), "a blank page stays white");
}
