#!/usr/bin/env bash
# Runs every test: unit, property, integration (real CUPS, SANE, nginx, tus peers, Chromium
# are started by the tests themselves). Installs the Debian packages the tests need first
# (scripts/packages.txt; skip with PPE_SKIP_DEPS=1). One debug build, cached under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${PPE_SKIP_DEPS:-0}" = 1 ] || bash scripts/install-deps.sh
cargo test --locked --all-targets -- --test-threads=2
