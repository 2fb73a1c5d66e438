#!/usr/bin/env bash
# Installs ppe on Debian: the binary, the system users, the systemd units (with the tmpfs mount
# of CUPS's spool and a cups.service drop-in), the example configs
# (never overwriting ones already there), the udev rule, journald settings and the firewall
# ruleset. Idempotent. For packaging and tests: DESTDIR=/tmp/root scripts/install.sh and
# --prefix (default /usr). Without DESTDIR and as root it also creates the users and reloads
# systemd and udev; it never starts or enables anything (see the end of its output).
#   scripts/install.sh [--prefix /usr] [--bin target/release/ppe]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr
bin=target/release/ppe
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
root=${DESTDIR:-}
[ -x "$bin" ] || bin=target/debug/ppe
[ -x "$bin" ] || { echo "install.sh: build first (cargo build --release)" >&2; exit 1; }

inst() { # mode src dst
    install -D -m "$1" "$2" "$root$3"
}
inst_config() { # src dst: an example, never over a file someone edited
    if [ -e "$root$2" ] && cmp -s "$1" "$root$2"; then
        return 0
    elif [ -e "$root$2" ]; then
        install -D -m 0640 "$1" "$root$2.example"
    else
        install -D -m 0640 "$1" "$root$2"
    fi
}

inst 0755 "$bin" "$prefix/bin/ppe"
unitdir=$prefix/lib/systemd/system
for unit in systemd/*.service systemd/*.timer systemd/*.mount; do
    sed "s#/usr/bin/ppe#$prefix/bin/ppe#g" "$unit" >"$unit.tmp.$$"
    inst 0644 "$unit.tmp.$$" "$unitdir/$(basename "$unit")"
    rm -f "$unit.tmp.$$"
done
# cups.service: the spool mount before cupsd, no core dumps of filters (issue 15).
inst 0644 systemd/cups.service.d/ppe.conf "$unitdir/cups.service.d/ppe.conf"
inst 0644 firmware-config/sysusers-ppe.conf "$prefix/lib/sysusers.d/ppe.conf"
inst_config firmware-config/ppe.toml /etc/ppe/ppe.toml
inst_config firmware-config/hub.toml /etc/ppe/hub.toml
install -d -m 0750 "$root/etc/ppe/keys"
inst 0644 firmware-config/udev/99-ppe-barcode.rules /etc/udev/rules.d/99-ppe-barcode.rules
inst 0644 firmware-config/journald/ppe.conf /etc/systemd/journald.conf.d/ppe.conf
inst_config firmware-config/nftables.conf /etc/ppe/nftables.conf
inst 0755 firmware-config/cups-setup.sh "$prefix/share/ppe/cups-setup.sh"
for doc in README.md ARCHITECTURE.md docs/architecture/appliance.md; do
    [ -e "$doc" ] && inst 0644 "$doc" "$prefix/share/doc/ppe/$(basename "$doc")"
done

if [ -z "$root" ] && [ "$(id -u)" = 0 ]; then
    if command -v systemd-sysusers >/dev/null; then
        systemd-sysusers "$prefix/lib/sysusers.d/ppe.conf"
    else
        getent group ppe >/dev/null || groupadd --system ppe
        id ppe >/dev/null 2>&1 || useradd --system --gid ppe --home-dir /var/lib/ppe --shell /usr/sbin/nologin ppe
        for g in lp scanner dialout; do getent group "$g" >/dev/null && usermod -aG "$g" ppe; done
        getent group ppe-hub >/dev/null || groupadd --system ppe-hub
        id ppe-hub >/dev/null 2>&1 || useradd --system --gid ppe-hub --home-dir /var/lib/ppe-hub --shell /usr/sbin/nologin ppe-hub
    fi
    chgrp -R ppe /etc/ppe 2>/dev/null || true
    command -v udevadm >/dev/null && { udevadm control --reload || true; }
    [ -d /run/systemd/system ] && systemctl daemon-reload
fi
cat <<MSG
installed ppe into ${root:-/} (prefix $prefix). Next, on the box:
  edit /etc/ppe/ppe.toml (or copy the one from \`ppe hub enroll\`) and its keys into /etc/ppe/keys
  $prefix/share/ppe/cups-setup.sh usb://…   (CUPS spool on tmpfs, PreserveJobFiles No, the queue)
  ppe edge check-config --config /etc/ppe/ppe.toml
  systemctl enable --now ppe-edge.service ppe-edge-wipe.timer
  cp /etc/ppe/nftables.conf /etc/nftables.conf && systemctl enable --now nftables
MSG
