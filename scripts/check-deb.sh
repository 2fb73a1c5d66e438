#!/usr/bin/env bash
# The packages on this machine, as an administrator would use them (issue 21 "Done means"):
# builds ppe, ppe-edge and ppe-hub from a built binary (default the debug binary the test run
# made), installs them with apt (offline: their Depends are what scripts/packages.txt already
# installed), checks the installed result, purges them and checks nothing is left. Needs root.
# Called by .ci/run after the tests.
#   scripts/check-deb.sh [--binary PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=target/debug/ppe
[ "${1:-}" = --binary ] && binary=$2
export DEBIAN_FRONTEND=noninteractive
fail() { echo "check-deb: FAILED: $*" >&2; exit 1; }
step() { echo "check-deb: $*"; }

rm -rf target/deb
bash scripts/build-deb.sh --binary "$binary" --out target/deb --fast
step "install"
apt-get install -y --no-install-recommends ./target/deb/ppe_*.deb ./target/deb/ppe-edge_*.deb ./target/deb/ppe-hub_*.deb >target/deb/install.log 2>&1 \
    || { cat target/deb/install.log; fail "apt-get install"; }

step "ppe --version: $(ppe --version)"
[ "$(command -v ppe)" = /usr/bin/ppe ] || fail "ppe is not /usr/bin/ppe"

# The shipped config parses and is judged: a fresh box is "not enrolled", said once, in Russian.
set +e
out=$(ppe edge check-config --config /etc/ppe/ppe.toml 2>&1)
rc=$?
set -e
[ $rc -ne 0 ] || fail "check-config accepted a box that is not enrolled"
echo "$out" | grep -q 'ящик ещё не зарегистрирован' || { echo "$out"; fail "check-config does not say the box is not enrolled"; }
if echo "$out" | grep -q 'no such file'; then echo "$out"; fail "check-config lists missing key files one by one"; fi
step "check-config on the shipped config: not enrolled (exit $rc)"

# Users, folders and units as the maintainer scripts left them: enabled, not started.
id ppe >/dev/null && id ppe-hub >/dev/null || fail "system users missing"
id -nG ppe | grep -qw lp || fail "ppe is not in group lp"
[ "$(stat -c '%U:%G %a' /etc/ppe/keys)" = "root:ppe 750" ] || fail "/etc/ppe/keys: $(stat -c '%U:%G %a' /etc/ppe/keys)"
# Enabled = wanted by its target (deb-systemd-helper made the links in postinst).
for link in multi-user.target.wants/ppe-edge.service timers.target.wants/ppe-edge-wipe.timer multi-user.target.wants/ppe-hub.service; do
    [ -L "/etc/systemd/system/$link" ] || fail "$link: not enabled"
done
for unit in /lib/systemd/system/ppe-edge.service /lib/systemd/system/ppe-edge-wipe.service /lib/systemd/system/ppe-edge-wipe.timer \
    /lib/systemd/system/ppe-hub.service /lib/systemd/system/var-spool-cups.mount; do
    out=$(systemd-analyze verify --recursive-errors=no "$unit" 2>&1) || { echo "$out"; fail "systemd-analyze verify $unit"; }
done
step "units verified, enabled, not started"

# man pages and completions where man and bash find them.
man -w ppe-edge-pull >/dev/null || fail "man -w ppe-edge-pull"
man -w ppe >/dev/null || fail "man -w ppe"
man ppe-edge-pull 2>/dev/null | grep -q -- '--exam' || fail "man ppe-edge-pull lacks --exam"
bash -c 'source /usr/share/bash-completion/completions/ppe && complete -p ppe' | grep -q '_ppe' || fail "bash completion"
got=$(bash -c 'source /usr/share/bash-completion/completions/ppe; COMP_WORDS=(ppe edge pu); COMP_CWORD=2; _ppe ppe pu edge; echo "${COMPREPLY[*]}"')
echo "$got" | grep -qw pull || fail "bash completion of 'ppe edge pu': $got"
step "man ppe-edge-pull and bash completion work"

step "purge"
apt-get purge -y ppe-edge ppe-hub ppe >>target/deb/install.log 2>&1 || { cat target/deb/install.log; fail "apt-get purge"; }
for p in ppe ppe-edge ppe-hub; do
    if dpkg -L "$p" >/dev/null 2>&1; then fail "$p still known to dpkg"; fi
done
for path in /etc/ppe /usr/bin/ppe /var/lib/ppe /var/lib/ppe-hub /lib/systemd/system/ppe-edge.service \
    /etc/systemd/system/multi-user.target.wants/ppe-edge.service /etc/systemd/system/timers.target.wants/ppe-edge-wipe.timer \
    /usr/share/man/man1/ppe-edge-pull.1.gz /usr/share/bash-completion/completions/ppe; do
    [ ! -e "$path" ] && [ ! -L "$path" ] || fail "$path left after purge"
done
step "purged: nothing left"
