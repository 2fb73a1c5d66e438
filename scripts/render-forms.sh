#!/usr/bin/env bash
# Regenerates docs/forms/*.png: the first page of every printed form, from the demo data.
# Needs poppler-utils (pdftoppm). Usage: scripts/render-forms.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/forms
rm -rf "$work" && mkdir -p "$work" docs/forms
cargo bench --quiet --bench printing -- forms "$work" >/dev/null
rm -f docs/forms/*.png
for pdf in "$work"/*.pdf; do
  name=$(basename "$pdf" .pdf)
  # one kit page set and one list per kind is enough to show the layout
  case "$name" in *-102) continue ;; esac
  pdftoppm -r 60 -f 1 -l 1 -singlefile -png "$pdf" "docs/forms/$name"
done
# the other pages of a kit: answer sheets № 1 and № 2
pdftoppm -r 60 -f 2 -l 2 -singlefile -png "$work/kits-101.pdf" docs/forms/kits-101-answers1
pdftoppm -r 60 -f 3 -l 3 -singlefile -png "$work/kits-101.pdf" docs/forms/kits-101-answers2
ls docs/forms
