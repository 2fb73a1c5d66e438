#!/usr/bin/env bash
# Removes what scripts/install.sh installed. Keeps /etc/ppe (configs and keys) and the state
# in /var/lib/ppe* unless --purge is given: an exam point's data must not vanish by accident
# (retention decides that, see `ppe edge wipe`). Same DESTDIR/--prefix as install.sh.
set -euo pipefail
prefix=/usr
purge=no
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=$2; shift 2 ;;
        --purge) purge=yes; shift ;;
        *) echo "uninstall.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
root=${DESTDIR:-}
units="ppe-edge.service ppe-hub.service ppe-edge-wipe.service ppe-edge-wipe.timer"
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
    systemctl disable --now $units 2>/dev/null || true
fi
for unit in $units; do rm -f "$root$prefix/lib/systemd/system/$unit"; done
# The CUPS spool mount stays mounted until the next boot (unmounting it under a running cupsd
# would lose its jobs); it is no longer started after that.
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
    systemctl disable var-spool-cups.mount 2>/dev/null || true
fi
rm -f "$root$prefix/lib/systemd/system/var-spool-cups.mount" "$root$prefix/lib/systemd/system/cups.service.d/ppe.conf"
rmdir "$root$prefix/lib/systemd/system/cups.service.d" 2>/dev/null || true
rm -f "$root$prefix/bin/ppe" "$root$prefix/lib/sysusers.d/ppe.conf" \
    "$root/etc/udev/rules.d/99-ppe-barcode.rules" "$root/etc/systemd/journald.conf.d/ppe.conf"
rm -rf "$root$prefix/share/ppe" "$root$prefix/share/doc/ppe"
if [ "$purge" = yes ]; then
    rm -rf "$root/etc/ppe" "$root/var/lib/ppe" "$root/var/lib/ppe-hub"
fi
if [ -z "$root" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
echo "removed ppe from ${root:-/}$( [ "$purge" = yes ] || echo '; kept /etc/ppe and /var/lib/ppe*' )"
