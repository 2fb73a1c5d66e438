#!/usr/bin/env bash
# Scan intake decoding benchmark: printed kits rendered at 150 dpi, the demo's scans and blank
# pages, decoded by `decode_codes` (QR first) against rxing's thorough search alone in the
# same run. Needs pdftoppm (poppler-utils, scripts/packages.txt). docs/benchmarks.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked --bench intake -- --bench
