#!/usr/bin/env bash
# Sets up the box's CUPS queue `ppe` (the name in ppe.toml [printer] name) for the staff room
# printer, driverless (IPP Everywhere) when the printer supports it.
#   cups-setup.sh ipp://192.168.10.50/ipp/print      network printer
#   cups-setup.sh usb://HP/LaserJet...               USB printer (see `lpinfo -v`)
#   cups-setup.sh cups-pdf:/                          test: print to PDF files
# Idempotent: re-running replaces the queue. CUPS listens on localhost only.
set -euo pipefail
uri=${1:?usage: cups-setup.sh DEVICE-URI [QUEUE]}
queue=${2:-ppe}
command -v lpadmin >/dev/null || { echo "install cups: apt-get install cups cups-client" >&2; exit 1; }
case "$uri" in
    cups-pdf:*) model=(-P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd) ;;
    *) model=(-m everywhere) ;;
esac
lpadmin -p "$queue" -v "$uri" "${model[@]}" -E \
    -o printer-error-policy=stop-printer -o media-default=iso_a4_210x297mm -o sides-default=one-sided
lpadmin -d "$queue"
# No sharing, no remote administration: the box prints, nothing else does.
cupsctl --no-share-printers --no-remote-admin --no-remote-any
lpstat -p "$queue"
