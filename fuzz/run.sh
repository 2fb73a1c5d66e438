#!/usr/bin/env bash
# The long run of one cargo-fuzz target (or all of them) under nice, with the settings
# docs/fuzzing.md records: release build with debug assertions and overflow checks, no
# sanitizer (the parsers are safe Rust: what is sought is a panic, an overflow, a broken
# property, a runaway allocation), 2 GiB RSS limit, 10 s per input.
# Usage: fuzz/run.sh TARGET|all [RUNS (default 10000000)] [SECONDS (default: no limit)]
# Seed first: fuzz/seed.sh. Logs: fuzz/target/logs/<target>.log; crashes: fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?target name or all}
runs=${2:-10000000}
secs=${3:-0}
export RUSTC_BOOTSTRAP=1
# The fuzz crate is its own workspace: start from the main lock so it builds the same versions.
[ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock
mkdir -p fuzz/target/logs
if [ "$target" = all ]; then
    targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^ppe-fuzz$')
else
    targets=$target
fi
nice -n 19 cargo fuzz build -O -a -s none
for t in $targets; do
    mkdir -p "fuzz/corpus/$t"
    log="fuzz/target/logs/$t.log"
    nice -n 19 cargo fuzz run -O -a -s none "$t" "fuzz/corpus/$t" -- \
        -runs="$runs" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1 >"$log" 2>&1 || true
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    crash=$(grep -c '^==[0-9]*== ERROR\|panicked at\|deadly signal\|out-of-memory\|Test unit written' "$log" || true)
    printf '%-18s executions %-10s exec/s %-7s corpus %5d  findings %s  (%s)\n' "$t" "${execs:-?}" "${rate:-?}" "$(ls "fuzz/corpus/$t" | wc -l)" "$crash" "$log"
done
