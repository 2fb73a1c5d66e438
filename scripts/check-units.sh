#!/usr/bin/env bash
# Checks the systemd units: `systemd-analyze verify` must be clean, and prints the
# `systemd-analyze security --offline=yes` exposure of the two daemons (goal: <= 3.0, "OK").
# Exits non-zero when verify complains or an exposure is above the goal. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null; then
    apt-get install -y --no-install-recommends systemd >/dev/null
fi
goal=3.0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# verify needs ExecStart to exist: point /usr/bin/ppe at a binary that does.
bin=${PPE_BIN:-$PWD/target/debug/ppe}
[ -x "$bin" ] || bin=/bin/true
for unit in systemd/*.service systemd/*.timer systemd/*.mount; do
    sed "s#/usr/bin/ppe#$bin#g" "$unit" >"$work/$(basename "$unit")"
done
status=0
cd "$work"
for unit in *.service *.timer *.mount; do
    if ! out=$(systemd-analyze verify --recursive-errors=no "$unit" 2>&1); then
        echo "verify $unit: FAILED"; echo "$out"; status=1
    elif [ -n "$out" ] && echo "$out" | grep -v -e 'Failed to connect' -e 'bus' >/dev/null; then
        echo "verify $unit: warnings"; echo "$out"; status=1
    else
        echo "verify $unit: clean"
    fi
done
for unit in ppe-edge.service ppe-hub.service ppe-edge-wipe.service; do
    line=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | grep 'Overall exposure level' || true)
    score=$(echo "$line" | sed -E 's/.*: ([0-9.]+).*/\1/')
    echo "security $unit: ${line#→ }"
    if [ -z "$score" ] || awk -v s="$score" -v g="$goal" 'BEGIN{exit !(s>g)}'; then
        echo "security $unit: exposure ${score:-unknown} above the goal $goal"; status=1
    fi
done
exit $status
