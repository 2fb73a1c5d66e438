//! Targets for bytes that come from devices and files at either end: plan files, sheet codes
//! read from scans, a serial barcode reader's lines, scanned images, config files, the
//! stations' recordings (file names and audio) and a ГЭК member's key file.

use super::fuzz_keys;
use crate::config::{self, EdgeFileConfig, HubFileConfig, ResolvePaths};
use crate::serial::{LineEnding, LineSplitter, ReaderSettings, MAX_CODE_LEN};
use crate::sheet_code::{decode_with_variant, encode_with_variant, looks_like_sheet_code};

/// A plan file in each format РЦОИ imports, and the plan JSON a box receives.
pub fn plan_import(data: &[u8]) {
    use crate::plan::{parse_plan, PlanFormat};
    for format in [PlanFormat::Csv, PlanFormat::Xlsx, PlanFormat::Json] {
        if let Err(e) = parse_plan(format, data, "fuzz") {
            assert!(!e.to_string().is_empty(), "a plan refused without a reason");
        }
    }
    let _ = serde_json::from_slice::<crate::model::Plan>(data);
}

/// Codes read off a page, one per line, as scanning classifies them. A code that verifies is
/// exactly the text the box prints for that sheet (no second spelling of one sheet passes).
pub fn sheet_code(data: &[u8]) {
    let key = &fuzz_keys().sheet;
    let text = String::from_utf8_lossy(data);
    let codes: Vec<String> = text.lines().map(str::to_string).collect();
    for code in &codes {
        let _ = looks_like_sheet_code(code);
        if let Ok((id, variant)) = decode_with_variant(code, key) {
            let printed = encode_with_variant(&id, variant, key);
            assert!(printed.eq_ignore_ascii_case(code.trim()), "sheet code {code:?} verified, but the box prints it as {printed:?}");
        }
    }
    let _ = crate::scanning::classify_page(&codes, key, "ege-02", "0101", None, &|_| false);
}

/// A serial barcode reader's byte stream: the same codes however the bytes are split across
/// reads, each trimmed, non-empty and within the length bound; then each decoded.
pub fn serial_lines(data: &[u8]) {
    let split = usize::from(data.first().copied().unwrap_or(0)) % (data.len() + 1);
    for ending in [LineEnding::Lf, LineEnding::Cr, LineEnding::CrLf] {
        let whole = LineSplitter::new(ending).push(data);
        let mut reader = LineSplitter::new(ending);
        let mut pieces = reader.push(&data[..split]);
        pieces.extend(reader.push(&data[split..]));
        assert_eq!(whole, pieces, "codes depend on how the bytes arrived ({ending:?}, split at {split})");
        for code in &whole {
            assert!(!code.is_empty() && code.len() <= MAX_CODE_LEN && code.trim() == code, "code {code:?} out of shape");
            let _ = crate::sheet_code::decode(code, &fuzz_keys().sheet);
        }
    }
}

/// `ppe.toml` and `hub.toml` as read at start: what parses writes back (as `hub enroll` and
/// `hub init` write them) and reads again the same; then what start-up derives from them.
pub fn config_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(mut cfg) = config::parse::<EdgeFileConfig>(text, "fuzz/ppe.toml") {
        written_reads_back(&cfg);
        let _ = ReaderSettings::from_config(&cfg.serial);
        cfg.resolve_paths(std::path::Path::new("/fuzz"));
    }
    if let Ok(mut cfg) = config::parse::<HubFileConfig>(text, "fuzz/hub.toml") {
        written_reads_back(&cfg);
        let _ = crate::monitoring::StatusRules::from_config(&cfg);
        cfg.resolve_paths(std::path::Path::new("/fuzz"));
    }
}

fn written_reads_back<T: serde::Serialize + serde::de::DeserializeOwned>(cfg: &T) {
    // Compared as text: a float key may hold NaN, which is not equal to itself.
    let once = toml::to_string(cfg);
    let again = once.as_ref().ok().and_then(|t| config::parse::<T>(t, "again").ok()).map(|c| toml::to_string(&c).ok());
    assert_eq!(again, Some(once.as_ref().ok().cloned()), "a config written as TOML does not read back: {once:?}");
}

/// A recording's file name as the stations write it: the first line a pattern, the rest the
/// stem (also read by the default pattern). Every field read is non-empty text of the stem.
pub fn recording_name(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (pattern, stem) = text.split_once('\n').unwrap_or((config::DEFAULT_NAME_PATTERN, text.as_ref()));
    for pattern in [pattern, config::DEFAULT_NAME_PATTERN] {
        if let Some(parts) = crate::recordings::parse_name(stem, pattern) {
            for field in [&parts.ppe, &parts.room, &parts.place, &parts.participant].into_iter().flatten() {
                assert!(!field.is_empty() && stem.contains(field.as_str()), "field {field:?} is not part of {stem:?}");
            }
        }
    }
}

/// A recording's bytes through the decoder the box checks every recording with.
pub fn recording_audio(data: &[u8]) {
    let ext = crate::recordings::AUDIO_EXTENSIONS[usize::from(data.first().copied().unwrap_or(0)) % crate::recordings::AUDIO_EXTENSIONS.len()];
    let _ = crate::recordings::check::decode_audio(data, ext);
}

/// A scanned page's image (PNG, PNM, TIFF, JPEG) through intake's code reader.
pub fn scan_image(data: &[u8]) {
    for text in crate::scanning::intake::decode_codes(data) {
        let _ = decode_with_variant(&text, &fuzz_keys().sheet);
    }
}

/// A ГЭК member's key file as the box reads it (opening it costs an argon2id run of 19 MiB,
/// bounded by the file's checked parameters, so only the parse is fuzzed).
pub fn gek_keyfile(data: &[u8]) {
    if let Ok(file) = crate::gek::keyfile::parse(data) {
        let text = serde_json::to_vec(&file).unwrap_or_default();
        assert_eq!(crate::gek::keyfile::parse(&text).ok().as_ref(), Some(&file), "a key file does not read back as written");
    }
}
