//! cargo-fuzz target `plan_import`: the body is `ppe::fuzzing::plan_import` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh plan_import` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::plan_import(data));
