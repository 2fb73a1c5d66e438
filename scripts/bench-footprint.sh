#!/usr/bin/env bash
# Box footprint (issue 21 item 6; goals: idle <= 64 MiB, busy <= 128 MiB resident):
#   busy  `ppe demo --until-done`: one process holding the hub, the box and the simulated staff
#         plays an exam day to the hub's receipt — seating, printing every kit, taking in every
#         scanned page (rxing on each), upload. Its peak RSS (VmHWM) bounds the box's from
#         above: the box alone does the same work without the hub beside it.
#   idle  `ppe edge serve` of the box that demo enrolled, its hub (`ppe hub serve`) running,
#         for BENCH_IDLE_SECS (30): VmHWM and the last VmRSS.
# Uses target/release/ppe (PPE_BIN to change; built if absent). Prints MiB; docs/benchmarks.md
# records a run. BENCH_POINTS (1) and BENCH_PARTICIPANTS (300) size the demo region.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${PPE_BIN:-target/release/ppe}
[ -x "$bin" ] || cargo build --release --locked --bin ppe
idle_secs=${BENCH_IDLE_SECS:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/ppe-footprint.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

kib() { # pid field: the field of /proc/PID/status in KiB (0 once the process is gone)
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
watch_peak() { # pid: VmHWM sampled until the process ends; prints the largest seen
    local peak=0 now
    while kill -0 "$1" 2>/dev/null; do
        now=$(kib "$1" VmHWM)
        [ "${now:-0}" -gt "$peak" ] && peak=$now
        sleep 0.2
    done
    echo "$peak"
}

echo "binary: $bin ($(mib $(( $(stat -c %s "$bin") / 1024 ))) MiB); load: $(cut -d' ' -f1-3 /proc/loadavg)"

# Busy: the whole day in one process.
started=$(date +%s)
PPE_LOG=warn "$bin" demo --dir "$work/day" --until-done --speed 2000 --points "${BENCH_POINTS:-1}" \
    --participants "${BENCH_PARTICIPANTS:-300}" >"$work/demo.log" 2>&1 &
demo=$!
pids+=("$demo")
busy=$(watch_peak "$demo")
wait "$demo" || { cat "$work/demo.log"; echo "bench-footprint: the demo failed" >&2; exit 1; }
pages=$(find "$work/day/box" -path '*scans*' -type f 2>/dev/null | wc -l)
echo "busy: demo day (hub + box + staff) to the receipt in $(( $(date +%s) - started )) s, $pages scanned pages: VmHWM $(mib "$busy") MiB"

# Idle: the enrolled box serving, its hub up.
PPE_LOG=warn "$bin" hub serve --config "$work/day/hub/hub.toml" >"$work/hub.log" 2>&1 &
pids+=("$!")
sleep 1
PPE_LOG=warn "$bin" edge serve --config "$work/day/box/ppe.toml" --listen 127.0.0.1:0 >"$work/box.log" 2>&1 &
box=$!
pids+=("$box")
sleep "$idle_secs"
kill -0 "$box" 2>/dev/null || { cat "$work/box.log"; echo "bench-footprint: edge serve ended" >&2; exit 1; }
echo "idle: edge serve for ${idle_secs} s: VmHWM $(mib "$(kib "$box" VmHWM)") MiB, VmRSS $(mib "$(kib "$box" VmRSS)") MiB"
