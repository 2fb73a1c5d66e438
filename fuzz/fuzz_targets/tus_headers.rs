//! cargo-fuzz target `tus_headers`: the body is `ppe::fuzzing::tus_headers` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh tus_headers` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::tus_headers(data));
