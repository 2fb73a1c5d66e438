#!/usr/bin/env bash
# Upload benchmark: 300 participants × 4 pages of ~300 KB over loopback, ours (box → hub tus)
# against curl -T to nginx in the same run, plus the bytes re-sent after kill -9.
# Needs curl and nginx (scripts/packages.txt). Sizes: BENCH_PARTICIPANTS, BENCH_PAGES,
# BENCH_PAGE_BYTES, BENCH_REPS (5), BENCH_PARALLEL (8), BENCH_KILL=0 skips the kill -9 part.
# Prints the results; docs/benchmarks.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench upload -- --bench
