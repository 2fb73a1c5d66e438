#!/usr/bin/env bash
# Upload benchmark: 300 participants × 4 pages of ~300 KB over loopback, ours (box → hub tus)
# against curl -T to nginx in the same run, plus the bytes re-sent after kill -9.
# Needs curl and nginx (scripts/packages.txt). Sizes: BENCH_PARTICIPANTS, BENCH_PAGES,
# BENCH_PAGE_BYTES. Prints the results; docs/benchmarks/upload.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench upload -- --bench
