#!/usr/bin/env bash
# Sets up the box's CUPS so that a decrypted КИМ never reaches persistent disk, then the queue
# `ppe` (the name in ppe.toml [printer] name) for the staff room printer, driverless (IPP
# Everywhere) when the printer supports it.
#   cups-setup.sh usb://HP/LaserJet...               USB printer (see `lpinfo -v`)
#   cups-setup.sh ipps://192.168.10.50/ipp/print     network printer, over TLS only
#   cups-setup.sh cups-pdf:/                          test: print to PDF files (in tmpfs)
#   cups-setup.sh --spool-only                        only the spool settings below
# The spool: cupsd writes every document into RequestRoot and its filters into TempDir, so
# both are on tmpfs (systemd/var-spool-cups.mount, installed by scripts/install.sh: a mount
# every process sees, so `ppe edge check-config` can verify it by statfs; a private
# TemporaryFileSystem= of cups.service would be invisible to it), PreserveJobFiles No (no
# document kept after its job) and PreserveJobHistory 86400 (a job's name and state for the
# exam day, metadata only; `ppe edge wipe` purges the exam's jobs before that).
# A plain ipp://, socket:// or lpd:// printer elsewhere on the LAN is refused: the КИМ would
# cross the network in clear.
# Options (the test runs this script against a private cupsd with them):
#   --conf-dir DIR   where cupsd.conf and cups-files.conf are (default $CUPS_SERVERROOT or /etc/cups)
#   --spool DIR      RequestRoot (default /var/spool/cups); TempDir is DIR/tmp; must be tmpfs
#   --server H:P     the cupsd to create the queue on (default the local one)
#   --pdf-out DIR    cups-pdf only: where the PDFs go (default /run/cups-pdf, tmpfs)
#   --no-restart     leave cupsd and systemd alone (the caller starts its own cupsd)
# Idempotent: re-running rewrites the same settings and replaces the queue. CUPS listens on
# localhost only.
set -euo pipefail
conf_dir=${CUPS_SERVERROOT:-/etc/cups}
spool=/var/spool/cups
server=
pdf_out=/run/cups-pdf
restart=1
spool_only=0
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --conf-dir) conf_dir=$2; shift 2 ;;
        --spool) spool=$2; shift 2 ;;
        --server) server=$2; shift 2 ;;
        --pdf-out) pdf_out=$2; shift 2 ;;
        --no-restart) restart=0; shift ;;
        --spool-only) spool_only=1; shift ;;
        -*) echo "cups-setup.sh: unknown option $1" >&2; exit 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
die() { echo "cups-setup.sh: $*" >&2; exit 1; }

# Sets `NAME VALUE` at the top level of a CUPS config file (replacing every earlier line of
# that name; VALUE `-` only removes them), written to a temporary file and renamed over the
# old one with its owner and mode.
set_directive() { # file name value
    local file=$1 name=$2 value=$3 tmp
    [ -e "$file" ] || install -m 0640 /dev/null "$file"
    tmp=$(mktemp "$file.XXXXXX")
    chmod --reference="$file" "$tmp"
    chown --reference="$file" "$tmp" 2>/dev/null || true
    awk -v name="$name" -v value="$value" '
        BEGIN { lname = tolower(name) }
        /^[[:space:]]*</ { depth += ($0 ~ /^[[:space:]]*<\//) ? -1 : 1 }
        depth == 0 && tolower($1) == lname { next }
        { print }
        END { if (value != "-") print name " " value }' "$file" >"$tmp"
    sync "$tmp" 2>/dev/null || true
    mv -f "$tmp" "$file"
}

fs_of() { stat -f -c %T "$1" 2>/dev/null || echo unknown; }

# 1. The spool in memory.
if [ "$restart" = 1 ] && [ -d /run/systemd/system ] && [ "$spool" = /var/spool/cups ]; then
    systemctl stop cups.service cups.socket cups.path 2>/dev/null || true
    if ! mountpoint -q /var/spool/cups; then
        # What an earlier cupsd left on the disk under the mount point goes first.
        find /var/spool/cups -mindepth 1 -delete 2>/dev/null || true
    fi
    systemctl daemon-reload
    systemctl enable --now var-spool-cups.mount
fi
mkdir -p "$spool"
case "$(fs_of "$spool")" in
    tmpfs|ramfs) ;;
    *) die "$spool is on $(fs_of "$spool"), not tmpfs: decrypted КИМ would reach persistent disk (systemd/var-spool-cups.mount mounts it)" ;;
esac
[ -d "$conf_dir" ] || die "$conf_dir: no CUPS configuration folder (apt-get install cups)"
set_directive "$conf_dir/cups-files.conf" RequestRoot "$spool"
# TempDir stays cupsd's default, RequestRoot/tmp: cupsd creates it at each start (the tmpfs is
# empty after a boot), which it does not for an explicit TempDir.
set_directive "$conf_dir/cups-files.conf" TempDir -
set_directive "$conf_dir/cupsd.conf" PreserveJobFiles No
set_directive "$conf_dir/cupsd.conf" PreserveJobHistory 86400
if [ "$restart" = 1 ] && [ -d /run/systemd/system ]; then
    systemctl restart cups.service
fi
echo "CUPS spool $spool and temp $spool/tmp on $(fs_of "$spool"); PreserveJobFiles No ($conf_dir)"
[ "$spool_only" = 1 ] && exit 0

# 2. The queue.
uri=${args[0]:?usage: cups-setup.sh [options] DEVICE-URI [QUEUE]}
queue=${args[1]:-ppe}
command -v lpadmin >/dev/null || die "install cups: apt-get install cups cups-client"
host() { # the host of a device URI, port and user stripped
    local h=${1#*://}; h=${h%%/*}; h=${h##*@}
    case "$h" in \[*\]*) h=${h%%]*}; h=${h#[} ;; *) h=${h%%:*} ;; esac
    echo "$h"
}
case "$uri" in
    usb:*|parallel:*|serial:*|cups-pdf:*|ipps:*|https:*) ;;
    ipp:*|http:*|socket:*|lpd:*|smb:*)
        case "$(host "$uri")" in
            localhost|127.*|::1) ;;
            *) die "$uri: a network printer in clear — the КИМ would cross the exam point's LAN unencrypted; use ipps:// or USB" ;;
        esac ;;
    *) die "$uri: unknown connection — only usb://, ipps:// (or cups-pdf:/ for tests)" ;;
esac
h=()
[ -n "$server" ] && h=(-h "$server")
case "$uri" in
    cups-pdf:*)
        model=(-P /usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd)
        # cups-pdf reads /etc/cups/cups-pdf-<queue>.conf for `cups-pdf:/<queue>`: its output
        # and its own spool go to memory too.
        case "$(fs_of "$(dirname "$pdf_out")")" in
            tmpfs|ramfs) ;;
            *) die "$pdf_out is not on tmpfs: cups-pdf's PDFs would reach persistent disk" ;;
        esac
        install -d -m 1777 "$pdf_out"
        install -d -m 0751 "$pdf_out/.spool"
        uri=cups-pdf:/$queue
        printf 'Out %s\nAnonDirName %s\nSpool %s\nLabel 2\n' "$pdf_out" "$pdf_out" "$pdf_out/.spool" >"/etc/cups/cups-pdf-$queue.conf"
        ;;
    *) model=(-m everywhere) ;;
esac
lpadmin "${h[@]}" -p "$queue" -v "$uri" "${model[@]}" -E \
    -o printer-error-policy=stop-printer -o media-default=iso_a4_210x297mm -o sides-default=one-sided
lpadmin "${h[@]}" -d "$queue"
# No sharing, no remote administration: the box prints, nothing else does (the system cupsd).
[ -z "$server" ] && cupsctl --no-share-printers --no-remote-admin --no-remote-any
lpstat "${h[@]}" -p "$queue"
