#!/usr/bin/env bash
# Monitoring load benchmark: 5 000 simulated exam points report every 10 s to a hub process on
# loopback while the dashboard, /v1/status and a live SSE client run; the idle hub is the
# baseline in the same run. Sizes: BENCH_POINTS, BENCH_INTERVAL_SECS, BENCH_SECS.
# Prints the results (markdown) and exits non-zero if a report is lost, a p99 exceeds 100 ms
# or the hub's RSS reaches 256 MiB; docs/benchmarks/monitoring.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench monitoring -- --bench
