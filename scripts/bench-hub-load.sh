#!/usr/bin/env bash
# Hub load benchmark (issue 15 hole 3): the real `ppe hub serve` under 1 000 stalled
# unauthenticated connections and ~100 MB/s of junk uploads while a genuine box uploads pages;
# the hub's RSS sampled from /proc against its idle RSS in the same run; median of 5 runs.
# Sizes: BENCH_RUNS (5), BENCH_SECS (20), BENCH_STALLED (1000), BENCH_JUNK_MBPS (100);
# PPE_BIN (default target/debug/ppe, built here). Needs python3 (standard library only).
# Prints one JSON line per run and a table of medians; exits non-zero if a genuine page failed
# or the hub's RSS reached 256 MiB. docs/benchmarks.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PPE_BIN:-}" ]; then
    cargo build --bin ppe
fi
# Each stalled connection is a descriptor here and in the hub.
ulimit -n 20000 2>/dev/null || true
exec python3 scripts/bench_hub_load.py
