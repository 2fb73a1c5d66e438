#!/usr/bin/env bash
# Benchmark of the plan import at regional scale: 500 exam points, 100 000 participants.
# Baseline in the same run: Python's csv module only *parsing* the same file (no ФЛК, no
# database). Prints wall time and peak memory (GNU time) of each step and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
points=${POINTS:-500}
participants=${PARTICIPANTS:-100000}
cargo build --release --quiet
bin=target/release/ppe
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  read -r secs kb < "$work/time"
  printf '%-34s %7.2f s  %7.1f MiB\n' "$label" "$secs" "$(echo "$kb/1024" | bc -l)"
  echo "$secs" > "$work/last"
}
echo "plan import benchmark: $points exam points, $participants participants ($(nproc) cores)"
measure "demo-plan (generate + write CSV)" $bin hub demo-plan --out "$work/region.csv" --points "$points" --participants "$participants" --seed 1
ls -l "$work/region.csv" | awk '{printf "CSV size: %.1f MiB\n", $5/1048576}'
$bin hub init --dir "$work/hub" >/dev/null
measure "baseline: python csv parse only" /usr/bin/python3 -c "import csv,sys; sum(1 for _ in csv.reader(open(sys.argv[1], encoding='utf-8'), delimiter=';'))" "$work/region.csv"
base=$(cat "$work/last")
measure "import-plan --check (parse + ФЛК)" $bin hub import-plan "$work/region.csv" --check
measure "import-plan (parse + ФЛК + SQLite)" $bin hub import-plan "$work/region.csv" --config "$work/hub/hub.toml"
full=$(cat "$work/last")
measure "re-import (upsert over existing)" $bin hub import-plan "$work/region.csv" --config "$work/hub/hub.toml"
measure "export-plan to XLSX" $bin hub export-plan --out "$work/region.xlsx" --config "$work/hub/hub.toml"
measure "import-plan from XLSX" $bin hub import-plan "$work/region.xlsx" --config "$work/hub/hub.toml"
printf 'ratio full import / python parse-only baseline: %.2f\n' "$(echo "$full/$base" | bc -l)"
