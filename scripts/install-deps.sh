#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/packages.txt (idempotent; needs root).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mapfile -t pkgs < <(sed -e 's/#.*//' -e '/^\s*$/d' "$here/packages.txt")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The accessibility test's checker (axe-core from npm, the version tests/it/a11y.rs pins), cached
# under target/ like the tus peers; the test fetches it itself when this step was skipped.
axe=$(grep -o 'axe-core@[0-9.]*' "$here/../tests/it/a11y.rs" | head -1)
if command -v npm >/dev/null && [ -n "$axe" ] && ! grep -qs "\"version\": \"${axe#axe-core@}\"" "$here/../target/axe-npm/node_modules/axe-core/package.json"; then
  npm install --no-audit --no-fund --prefix "$here/../target/axe-npm" "$axe" >/dev/null
fi
