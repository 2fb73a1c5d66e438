#!/usr/bin/env bash
# The crash harness (docs/reliability.md § Crash harness): every long job of the box and the
# hub run as the real `ppe` binary, killed with SIGKILL at a seeded random moment or aborted
# at a chosen crash point (PPE_CRASH_AT), restarted, let finish, and checked: nothing lost,
# duplicated or corrupted, integrity_check ok, audit chains verified, receipts exact.
#
#   scripts/chaos.sh [--runs N] [--job NAME[,NAME…]] [--seed S]
#
# Jobs: scan-inbox scan-sane bundle-build upload hub-import pull prestage attendance print-queue.
# Prints the per-job table and writes it to target/chaos/report.md (and report-<seed>.md).
# Runs the debug test binary under nice -n 19 (the integration binary `it`, module chaos).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=20
jobs=""
seed=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --job) jobs="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "chaos.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

ulimit -c 0 # the crash points abort(): no core files
export PPE_CHAOS_RUNS="$runs" PPE_CHAOS_JOBS="$jobs"
if [ -n "$seed" ]; then export PPE_CHAOS_SEED="$seed"; fi
status=0
rm -f target/chaos/report.md
nice -n 19 cargo test --test it -- --exact --nocapture --test-threads=1 \
    chaos::every_long_job_killed_and_restarted_loses_duplicates_and_corrupts_nothing >target/chaos-run.log 2>&1 || status=$?
if [ -f target/chaos/report.md ]; then
    cat target/chaos/report.md
fi
if [ "$status" -ne 0 ]; then
    echo "chaos.sh: the harness found a failure (exit $status); the log: target/chaos-run.log" >&2
    grep -E "panicked|assert" target/chaos-run.log | head -20 >&2 || true
fi
exit "$status"
