//! `[scanning]` of `ppe.toml`: the bytes a scanned page is stored and sent to РЦОИ as (issue 22
//! item 3). Only the data; the rules that use it are `scanning::page_policy`'s, so the shared
//! kernel stays below the domains.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::sheet_code::SheetKind;

/// How a page is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PagePolicy {
    /// The scanner's bytes as they came (the default: nothing is re-encoded).
    #[default]
    Original,
    /// The same pixels, re-encoded as PNG at their real bit depth (grey when the colour
    /// channels are equal, 1 bit when only black and white occur) with maximal deflate; the
    /// original bytes when that is not smaller (a JPEG page).
    Lossless,
    /// 1 bit per pixel (Otsu's threshold of the page, or a fixed one) for the sheet kinds in
    /// `bitonal_sheets`; every other page lossless.
    Bitonal,
}

impl PagePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Lossless => "lossless",
            Self::Bitonal => "bitonal",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScanningConfig {
    /// `original` (default), `lossless` or `bitonal`.
    #[serde(default)]
    pub page_policy: PagePolicy,
    /// The grey level below which a pixel is black on a bitonal page; 0 (default): Otsu's
    /// threshold of each page.
    #[serde(default)]
    pub bitonal_threshold: u8,
    /// Sheet kinds that may be stored bitonal. Default: answer sheets № 2 and their additional
    /// sheets (`answers2`, `additional`), whose extended answers experts read as images. Not by
    /// default: the registration sheet and answer sheet № 1 (РЦОИ's recognition reads the
    /// handwritten characters in their cells from grey) and the -МАШ statements (hand-entered
    /// digits and marks recognized, by РЦОИ and by the box's mark reader).
    #[serde(default = "d_bitonal_sheets")]
    pub bitonal_sheets: BTreeSet<SheetKind>,
}

impl Default for ScanningConfig {
    fn default() -> Self {
        Self { page_policy: PagePolicy::default(), bitonal_threshold: 0, bitonal_sheets: d_bitonal_sheets() }
    }
}

fn d_bitonal_sheets() -> BTreeSet<SheetKind> {
    BTreeSet::from([SheetKind::Answers2, SheetKind::Additional])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_parses_with_defaults_and_refuses_an_unknown_policy_or_sheet_kind() {
        let empty: ScanningConfig = toml::from_str("").unwrap();
        assert_eq!(empty, ScanningConfig::default());
        assert_eq!(empty.page_policy, PagePolicy::Original);
        let set: ScanningConfig = toml::from_str("page_policy = \"bitonal\"\nbitonal_threshold = 140\nbitonal_sheets = [\"statement\"]").unwrap();
        assert_eq!((set.page_policy, set.bitonal_threshold), (PagePolicy::Bitonal, 140));
        assert_eq!(set.bitonal_sheets, BTreeSet::from([SheetKind::Statement]));
        assert!(toml::from_str::<ScanningConfig>("page_policy = \"jpeg\"").is_err());
        assert!(toml::from_str::<ScanningConfig>("bitonal_sheets = [\"kim\"]").is_err());
    }
}
