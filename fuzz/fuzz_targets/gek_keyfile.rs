//! cargo-fuzz target `gek_keyfile`: the body is `ppe::fuzzing::gek_keyfile` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh gek_keyfile` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::gek_keyfile(data));
