//! cargo-fuzz target `package_manifest`: the body is `ppe::fuzzing::package_manifest` (also run by tests/it/fuzzsmoke.rs).
//! Run: `fuzz/run.sh package_manifest` (docs/fuzzing.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ppe::fuzzing::package_manifest(data));
