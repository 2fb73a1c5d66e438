//! cargo-fuzz target `config_toml`: the body is `ppe::fuzzing::config_toml` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh config_toml` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::config_toml(data));
