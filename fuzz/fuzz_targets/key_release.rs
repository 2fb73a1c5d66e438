//! cargo-fuzz target `key_release`: the body is `ppe::fuzzing::key_release` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh key_release` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::key_release(data));
