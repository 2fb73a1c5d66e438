//! cargo-fuzz target `serial_lines`: the body is `ppe::fuzzing::serial_lines` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh serial_lines` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::serial_lines(data));
