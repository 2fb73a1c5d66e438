#!/usr/bin/env bash
# Bytes per page and code reading per page policy (issue 22 item 3): a demo print run rendered
# at 150 and 300 dpi, delivered as PGM, grey PNG, RGB PNG and noisy grey PNG, stored under each
# policy. Needs pdftoppm (poppler-utils). Sizes: BENCH_PAGES (24), BENCH_RUNS (5).
# docs/benchmarks.md § Bytes per page records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
nice -n 19 cargo bench --locked --bench pages -- --bench
