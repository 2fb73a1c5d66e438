#!/usr/bin/env bash
# Runs every test: unit, property, integration (real CUPS, SANE, nginx, tus peers, Chromium
# are started by the tests themselves). One build, cached under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --all-targets -- --test-threads=2
