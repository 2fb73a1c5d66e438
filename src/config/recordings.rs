//! `[recordings]` of `ppe.toml`: how the box takes in audio recordings of oral exams and КЕГЭ
//! answer files (issue 18 item 4) — the stations' file name patterns, the expected length of a
//! recording by technology, the silence threshold and the reserve workstations of a КЕГЭ
//! room. DOMAIN.md's values are the defaults; the rules that use them are `recordings`'.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingsConfig {
    /// Folders `ppe edge serve` takes recordings and answer files from by itself: a recording
    /// station's export share, a removable medium's mount point. One path or a list; a `*` or
    /// `?` in a component matches names there (`/media/*/*`: every medium the desktop mounts
    /// as /media/<user>/<label>). `<folder>/<exam_id>/…` is that exam's, `<folder>/…` the exam
    /// of the moment's. Default none (only `ppe edge recordings import`).
    #[serde(deserialize_with = "one_or_many")]
    pub inbox: Vec<PathBuf>,
    /// File name (without extension) a recording station gives a recording. Placeholders:
    /// `{ppe}` exam point code, `{room}` auditorium, `{place}` workstation number or seat
    /// label, `{participant}` participant code, `{any}` anything. Default
    /// `{ppe}_{room}_{place}_{participant}`.
    pub audio_name_pattern: String,
    /// File name (without extension) of a КЕГЭ station's answer file. Default
    /// `{ppe}_{room}_{place}_{participant}`.
    pub answer_name_pattern: String,
    /// Seconds a recording of the interview (ИС-9) lasts, `[min, max]`. Default 10–20 min.
    pub interview_seconds: [u32; 2],
    /// Seconds a recording of an ЕГЭ foreign-language oral part («Говорение») lasts. Default
    /// 14–20 min.
    pub speaking_seconds: [u32; 2],
    /// Seconds a recording of any other oral exam (oral ГВЭ) lasts. Default 1–60 min.
    pub oral_seconds: [u32; 2],
    /// A recording whose RMS level is below this (dBFS) is silent. Default −45.
    pub silence_dbfs: f64,
    /// Extensions of КЕГЭ answer files; `zip` archives are opened and listed. Default `zip`.
    pub answer_extensions: Vec<String>,
    /// Largest answer archive, uncompressed, bytes (a zip bomb is refused). Default 256 MiB.
    pub answer_max_unpacked_bytes: u64,
    /// Reserve workstations of every КЕГЭ room (numbered after its seats). Default 2.
    pub reserve_workstations: u16,
    /// Reserve workstations by auditorium, replacing `reserve_workstations` for that room.
    pub reserve_workstations_by_room: BTreeMap<String, u16>,
}

impl Default for RecordingsConfig {
    fn default() -> Self {
        Self {
            inbox: Vec::new(),
            audio_name_pattern: DEFAULT_NAME_PATTERN.into(),
            answer_name_pattern: DEFAULT_NAME_PATTERN.into(),
            interview_seconds: [600, 1200],
            speaking_seconds: [840, 1200],
            oral_seconds: [60, 3600],
            silence_dbfs: -45.0,
            answer_extensions: vec!["zip".into()],
            answer_max_unpacked_bytes: 256 << 20,
            reserve_workstations: 2,
            reserve_workstations_by_room: BTreeMap::new(),
        }
    }
}

/// The stations' default file name: `0101_103_5_P0000001.wav`.
pub const DEFAULT_NAME_PATTERN: &str = "{ppe}_{room}_{place}_{participant}";

/// `inbox = "/srv/station"` or `inbox = ["/srv/station", "/media/*/*"]`.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(PathBuf),
        Many(Vec<PathBuf>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(p) => vec![p],
        OneOrMany::Many(v) => v,
    })
}

impl RecordingsConfig {
    /// Reserve workstations of one room.
    pub fn reserve_for(&self, auditorium: &str) -> u16 {
        self.reserve_workstations_by_room.get(auditorium).copied().unwrap_or(self.reserve_workstations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inbox_is_one_folder_or_a_list() {
        let one: RecordingsConfig = toml::from_str("inbox = \"/srv/station\"").unwrap();
        assert_eq!(one.inbox, vec![PathBuf::from("/srv/station")]);
        let many: RecordingsConfig = toml::from_str("inbox = [\"/srv/station\", \"/media/*/*\"]").unwrap();
        assert_eq!(many.inbox, vec![PathBuf::from("/srv/station"), PathBuf::from("/media/*/*")]);
        assert!(RecordingsConfig::default().inbox.is_empty());
        assert!(toml::from_str::<RecordingsConfig>("inbox = 5").is_err(), "a number is no folder");
    }
}
