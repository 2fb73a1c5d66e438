//! `ppe demo --day is9|speaking|kege`: the demo's day of an oral or a computer exam — the
//! ИС-9 interview, the ЕГЭ English oral part («Говорение»), the КЕГЭ — played on the simulated
//! clock through the real daemon and hub like the written day (`autopilot`): queues in the
//! conducting rooms, recordings spoken by `espeak-ng` (КЕГЭ: answer archives of the
//! workstations), the bad files flagged, kept and resolved, the expert's protocols, the forms,
//! the scans, the upload and the receipt listing every file with its hash.

pub mod play;
pub mod region;
mod station;

/// The day `ppe demo` plays.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DemoDay {
    /// Two written ЕГЭ at once (математика профильная and базовая).
    #[default]
    Ege,
    /// The итоговое собеседование (ИС-9): waiting room → conducting rooms, one at a time,
    /// an эксперт scoring on the spot, every answer recorded.
    Is9,
    /// The ЕГЭ English oral part («Говорение»): preparation room → recording rooms.
    Speaking,
    /// The КЕГЭ: one workstation per participant, answer files saved at the stations.
    Kege,
}

/// The box's `[recordings]` for the demo: the daemon takes the stations' files from their
/// export folder beside `ppe.toml` (`play::STATION_DIR`), its recordings last seconds, not the
/// regulation's 10–20 minutes, and the recording station names a file by its room, turn and
/// participant.
pub const DEMO_RECORDINGS_TOML: &str = "\n[recordings]\ninbox = \"station-export\"\ninterview_seconds = [2, 300]\nspeaking_seconds = [2, 300]\naudio_name_pattern = \"{ppe}_{any}_{participant}\"\n";
