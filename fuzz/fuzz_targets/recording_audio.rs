//! cargo-fuzz target `recording_audio`: the body is `ppe::fuzzing::recording_audio` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh recording_audio` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::recording_audio(data));
