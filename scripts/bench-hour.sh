#!/usr/bin/env bash
# The hour on a slow link (issue 22): 300 participants × 4 pages of ~300 KB (the size of a
# 150 dpi grayscale page, the demo's scans) taken in at 40 pages/min while the box streams them
# to the hub through a throttling proxy (2 Mbit/s, 200 ms RTT), then the bundle; against scan
# all, then upload, in the same run. Then the same at 1 Mbit/s.
#
#   scripts/bench-hour.sh [--scale 0.1] [--pace 40] [--mbit 2] [--rtt-ms 200] [--participants 300]
#
# --scale S plays S × the pages at pace ÷ S over a link ÷ S faster (RTT and page size real),
# so a run takes S × the hour. BENCH_PROFILE=release runs the optimized build (`cargo bench`);
# the default reuses the test build's artifacts. Prints Markdown rows; docs/benchmarks.md
# § The hour records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
run() {
  if [[ ${BENCH_PROFILE:-test} == release ]]; then
    nice -n 19 cargo bench --bench hour -- --bench "$@"
  else
    nice -n 19 cargo test --bench hour -- --bench "$@"
  fi
}
run "${args[@]}"
# The second case: half the link (unless the caller chose the link).
if [[ " ${args[*]} " != *" --mbit "* ]]; then
  run "${args[@]}" --mbit 1
fi
