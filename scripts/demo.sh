#!/usr/bin/env bash
# Sets up what the demo needs on a fresh Debian machine and runs `ppe demo` (a hub and one
# box on loopback with a generated region). Extra arguments go to `ppe demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo run --locked --quiet -- demo "$@"
