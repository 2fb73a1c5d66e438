//! cargo-fuzz target `heartbeat`: the body is `ppe::fuzzing::heartbeat` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh heartbeat` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::heartbeat(data));
