#!/usr/bin/env bash
# Printing benchmark: our kits against an equivalent page made by reportlab, same run.
# Writes docs/benchmarks/printing.md. Needs python3 (venv) and network access to PyPI once.
# Usage: scripts/bench-print.sh [PARTICIPANTS=300] [PRINTER_PPM=40]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-300}
ppm=${2:-40}
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet reportlab
fi
font=$(find ~/.cargo/registry/src -path '*dejavu-2.37.0*' -name DejaVuSans.ttf | head -1)
cargo bench --quiet --bench printing -- kits 1 >/dev/null 2>&1
ours=$(cargo bench --quiet --bench printing -- kits "$n" 2>/dev/null)
point=$(cargo bench --quiet --bench printing -- kits 200 2>/dev/null)
theirs=$("$venv/bin/python" scripts/bench_reportlab.py "$n" "$font")
python3 - "$ours" "$point" "$theirs" "$ppm" "$n" <<'PY' | tee docs/benchmarks/printing.md
import json, sys, platform, subprocess
ours, point, theirs, ppm, n = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ratio = ours["pages_per_second"] / theirs["pages_per_second"]
printer_s = point["pages"] / ppm * 60
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
print(f"""# Printing benchmarks

Command: `scripts/bench-print.sh {n} {ppm}` (release build, one thread; {cpu}).

## Personalized kits against reportlab (same run)

Each participant's kit is 4 A4 pages (registration sheet, answer sheet № 1 with 28×24 character
boxes, two pages of answer sheet № 2), every page with four fiducials, a QR sheet code with MAC
and DejaVu Sans embedded (subset). reportlab {theirs["version"]} makes the equivalent pages (same
text, boxes, QR code, fiducials, the same TTF embedded) in one PDF.

| maker | participants | pages | seconds | pages/s |
| --- | --- | --- | --- | --- |
| ppe (printpdf) | {ours["participants"]} | {ours["pages"]} | {ours["seconds"]:.3f} | {ours["pages_per_second"]:.0f} |
| reportlab | {theirs["participants"]} | {theirs["pages"]} | {theirs["seconds"]:.3f} | {theirs["pages_per_second"]:.0f} |

Ratio: **{ratio:.1f}×** (goal ≥ 10×); ours {ours["pages_per_second"]:.0f} pages/s per core (goal ≥ 300).

## The whole exam point against the printer

Kits for {point["participants"]} participants ({point["pages"]} pages) are made in
**{point["seconds"]:.2f} s**; a {ppm} pages/min printer needs **{printer_s/60:.0f} min** to print them
(a ФЦТ print station: 10–15 min for 15 participants). Making the PDFs is
{printer_s/point["seconds"]:.0f}× faster than printing them, so the printer never waits for us.
""")
PY
