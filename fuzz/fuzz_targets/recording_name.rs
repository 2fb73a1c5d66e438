//! cargo-fuzz target `recording_name`: the body is `ppe::fuzzing::recording_name` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh recording_name` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::recording_name(data));
