//! cargo-fuzz target `sheet_code`: the body is `ppe::fuzzing::sheet_code` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh sheet_code` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::sheet_code(data));
