#!/usr/bin/env bash
# Pull and upload at the machine's limits (issue 22 item 4), same-run baselines, REPS runs each
# (default 5), medians:
#   pull: scripts/bench-pull.sh — `ppe edge pull` of a SIZE_MIB package over loopback mutual TLS
#         against the slower of (curl of the same ciphertext to /dev/null, dd of the same bytes
#         to disk with conv=fdatasync); goal <= 1.1x;
#   upload: `cargo bench --bench upload` (scripts/bench-upload.sh) — the tus upload with fsync
#         before every acknowledgement against `curl -T` to nginx (no fsync); goal >= 1.0x
#         curl's throughput.
# Usage: [REPS=5] [SKIP_UPLOAD=1] scripts/bench-limits.sh [SIZE_MIB] (default 1024). Needs curl,
# nginx, python3, bc. docs/benchmarks.md § Pull and upload at the limits records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS="${REPS:-5}" nice -n 19 scripts/bench-pull.sh "${1:-1024}"
if [ "${SKIP_UPLOAD:-0}" != 1 ]; then
  BENCH_KILL=0 BENCH_REPS="${REPS:-5}" nice -n 19 cargo bench --bench upload -- --bench
fi
