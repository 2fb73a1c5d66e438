#!/usr/bin/env bash
# Builds the Debian packages from a staged tree with dpkg-deb (no network, no debhelper):
#   ppe       the `ppe` binary, its man pages (one per subcommand) and shell completions, docs;
#   ppe-edge  the exam point's box: units, /etc/ppe/ppe.toml (conffile), the ppe user, CUPS,
#             udev and journald pieces; Depends: ppe and the system parts the box drives;
#   ppe-hub   the regional hub: its unit, /etc/ppe/hub.toml (conffile), the ppe-hub user.
# The binary is shared by both roles, so it lives in its own package: a machine (CI, a test
# bench) may hold both roles without the two packages owning the same file.
#   scripts/build-deb.sh [--binary PATH] [--out DIR] [--fast]
# Default binary: a release build (cargo build --release --locked). CI passes the debug binary
# its test run built; --fast (CI, tests) compresses with gzip -1 instead of xz. Output: DIR (default target/deb)/{ppe,ppe-edge,ppe-hub}_VERSION_ARCH.deb.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=""
out=target/deb
compress=(-Zxz)
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --fast) compress=(-Zgzip -z1); shift ;;
        *) echo "build-deb.sh: unknown argument $1 (use --binary PATH, --out DIR, --fast)" >&2; exit 2 ;;
    esac
done
if [ -z "$binary" ]; then
    cargo build --release --locked --bin ppe
    binary=target/release/ppe
fi
[ -x "$binary" ] || { echo "build-deb.sh: $binary is not an executable" >&2; exit 1; }

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
maintainer="ppe-edge developers <ppe@rcoi.example>"
homepage="https://rcoi.example/ppe"
stage=$(mktemp -d "${TMPDIR:-/tmp}/ppe-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"

put() { # mode src package dst
    install -D -m "$1" "$2" "$stage/$3$4"
}
docs() { # package: copyright and changelog, as Debian policy wants them
    local d="$stage/$1/usr/share/doc/$1"
    mkdir -p "$d"
    cat >"$d/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ppe
Source: $homepage

Files: *
Copyright: 2026 ppe-edge developers
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this
 software and associated documentation files (the "Software"), to deal in the Software
 without restriction, including without limitation the rights to use, copy, modify, merge,
 publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
 to whom the Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
 INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
 PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
 FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
 DEALINGS IN THE SOFTWARE.
COPYRIGHT
    printf '%s (%s) unstable; urgency=medium\n\n  * Built from the ppe source tree (scripts/build-deb.sh).\n\n -- %s  %s\n' \
        "$1" "$version" "$maintainer" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" \
        | gzip -9n >"$d/changelog.gz"
}
unit() { # package unit-file: installed with the binary's path as the package has it
    put 0644 "systemd/$2" "$1" "/lib/systemd/system/$2"
}
control() { # package depends description-line description-body [recommends]
    local size
    size=$(du -k -s --exclude=DEBIAN "$stage/$1" | cut -f1)
    cat >"$stage/$1/DEBIAN/control" <<CONTROL
Package: $1
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $2
${5:+Recommends: $5
}Section: admin
Priority: optional
Homepage: $homepage
Description: $3
$4
CONTROL
}
scripts() { # package: maintainer scripts from packaging/PACKAGE
    for s in postinst prerm postrm; do
        [ -e "packaging/$1/$s" ] && install -m 0755 "packaging/$1/$s" "$stage/$1/DEBIAN/$s"
    done
    return 0
}
build() { # package
    # Every file of the package with its md5sum, as dpkg --verify and debsums read them.
    (cd "$stage/$1" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 -r md5sum >DEBIAN/md5sums)
    dpkg-deb --root-owner-group "${compress[@]}" --build "$stage/$1" "$out/${1}_${version}_${arch}.deb" >/dev/null
    echo "$out/${1}_${version}_${arch}.deb"
}

# --- ppe: the binary, man pages, completions, docs ---------------------------------------
mkdir -p "$stage/ppe/DEBIAN"
# Without its debug information (a debug build's is hundreds of MiB; release is stripped).
strip --strip-unneeded -o "$stage/ppe.bin" "$binary"
put 0755 "$stage/ppe.bin" ppe /usr/bin/ppe
mkdir -p "$stage/man"
"$binary" generate man "$stage/man" 2>/dev/null
for page in "$stage"/man/*.1; do
    gzip -9n <"$page" >"$page.gz"
    put 0644 "$page.gz" ppe "/usr/share/man/man1/$(basename "$page").gz"
done
"$binary" generate completions bash >"$stage/ppe.bash"
"$binary" generate completions zsh >"$stage/_ppe"
"$binary" generate completions fish >"$stage/ppe.fish"
put 0644 "$stage/ppe.bash" ppe /usr/share/bash-completion/completions/ppe
put 0644 "$stage/_ppe" ppe /usr/share/zsh/vendor-completions/_ppe
put 0644 "$stage/ppe.fish" ppe /usr/share/fish/vendor_completions.d/ppe.fish
for doc in README.md ARCHITECTURE.md docs/packaging.md docs/exam-day.md docs/architecture/appliance.md; do
    [ -e "$doc" ] && put 0644 "$doc" ppe "/usr/share/doc/ppe/$(basename "$doc")"
done
docs ppe
# The shared libraries the binary links, as Debian packages (dpkg-shlibdeps reads a
# debian/control of its own).
shlib=$(mktemp -d "$stage/shlibs.XXXXXX")
mkdir -p "$shlib/debian"
printf 'Source: ppe\n\nPackage: ppe\nArchitecture: any\n' >"$shlib/debian/control"
libs=$(cd "$shlib" && dpkg-shlibdeps -O "$stage/ppe/usr/bin/ppe" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
control ppe "${libs:-libc6}" "exam-day appliance of a ППЭ and the РЦОИ hub: the ppe command" \
" The ppe command of the exam point's box (ppe edge ...) and of the
 regional hub (ppe hub ...), with a man page per subcommand and bash, zsh
 and fish completions. Install ppe-edge on a box or ppe-hub on a hub for
 the services."
scripts ppe
build ppe

# --- ppe-edge: the exam point's box --------------------------------------------------------
p=ppe-edge
mkdir -p "$stage/$p/DEBIAN"
for u in ppe-edge.service ppe-edge-wipe.service ppe-edge-wipe.timer var-spool-cups.mount; do unit $p "$u"; done
put 0644 systemd/cups.service.d/ppe.conf $p /lib/systemd/system/cups.service.d/ppe.conf
grep -v 'ppe-hub' firmware-config/sysusers-ppe.conf >"$stage/sysusers-edge.conf"
put 0644 "$stage/sysusers-edge.conf" $p /usr/lib/sysusers.d/ppe-edge.conf
put 0644 packaging/ppe-edge/tmpfiles.conf $p /usr/lib/tmpfiles.d/ppe-edge.conf
put 0644 firmware-config/ppe.toml $p /etc/ppe/ppe.toml
put 0644 firmware-config/nftables.conf $p /etc/ppe/nftables.conf
put 0644 firmware-config/udev/99-ppe-barcode.rules $p /lib/udev/rules.d/99-ppe-barcode.rules
put 0644 firmware-config/journald/ppe.conf $p /usr/lib/systemd/journald.conf.d/ppe.conf
put 0755 firmware-config/cups-setup.sh $p /usr/share/ppe/cups-setup.sh
docs $p
printf '/etc/ppe/ppe.toml\n/etc/ppe/nftables.conf\n' >"$stage/$p/DEBIAN/conffiles"
control $p "ppe (= $version), systemd, cups, cups-client, sane-utils" \
    "exam-day appliance of a ППЭ: the box's services" \
" The exam point's box: the ppe-edge daemon (scheduler, web UI, printer,
 scanner and barcode reader), the retention wipe timer, the CUPS spool on
 tmpfs, the barcode reader's udev rule and journald settings. Enabled on
 install, started once the box is enrolled (ppe hub enroll) and its keys
 are in /etc/ppe/keys." \
    "nftables"
scripts $p
build $p

# --- ppe-hub: the regional hub --------------------------------------------------------------
p=ppe-hub
mkdir -p "$stage/$p/DEBIAN"
unit $p ppe-hub.service
grep 'ppe-hub' firmware-config/sysusers-ppe.conf >"$stage/sysusers-hub.conf"
put 0644 "$stage/sysusers-hub.conf" $p /usr/lib/sysusers.d/ppe-hub.conf
put 0644 packaging/ppe-hub/tmpfiles.conf $p /usr/lib/tmpfiles.d/ppe-hub.conf
put 0644 firmware-config/hub.toml $p /etc/ppe/hub.toml
docs $p
printf '/etc/ppe/hub.toml\n' >"$stage/$p/DEBIAN/conffiles"
control $p "ppe (= $version), systemd" "exam-day appliance: the РЦОИ regional hub's service" \
" The regional hub: plans, packages, keys, uploads and the operators'
 dashboard, as the ppe-hub service. Enabled on install, started once
 ppe hub init has made its keys in /etc/ppe/keys."
scripts $p
build $p
