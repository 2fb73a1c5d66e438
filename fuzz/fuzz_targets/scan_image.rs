//! cargo-fuzz target `scan_image`: the body is `ppe::fuzzing::scan_image` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh scan_image` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::scan_image(data));
