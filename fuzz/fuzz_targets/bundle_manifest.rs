//! cargo-fuzz target `bundle_manifest`: the body is `ppe::fuzzing::bundle_manifest` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh bundle_manifest` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::bundle_manifest(data));
