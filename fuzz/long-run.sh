#!/usr/bin/env bash
# The long run without an instrumented build: tests/it/fuzzsmoke.rs's runner (seeds, then
# deterministic random mutations; not coverage-guided) for SECONDS per target, under nice.
# Usage: fuzz/long-run.sh SECONDS [MUTATION_SEED] [TEST_FILTER]   e.g. fuzz/long-run.sh 300 1
# Prints one line per target: inputs run, seconds, inputs per second (debug test build).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:?seconds per target}
PPE_FUZZ_SECONDS="$secs" PPE_FUZZ_SEED="${2:-805}" nice -n 19 cargo test --test it "fuzzsmoke::${3:-}" -- --test-threads=1 --nocapture 2>&1 |
    grep -oE 'fuzz target .*|panicked.*|test result.*'
