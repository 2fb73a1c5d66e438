#!/usr/bin/env bash
# Regenerates docs/forms/: the first page of every printed form of the demo day (one PNG per
# form; the kit also its answer sheets), and docs/forms/README.md indexing them. Explicit: the
# test run never writes into docs/. Needs poppler-utils (pdftoppm, pdfinfo).
# Usage: scripts/render-forms.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=target/forms
rm -rf "$work" && mkdir -p "$work" docs/forms
# The debug build the tests use (no release build just for pictures).
cargo bench --profile dev --quiet --bench printing -- forms "$work" >"$work/list.txt"
rm -f docs/forms/*.png
index=docs/forms/README.md
{
  echo "# Печатные формы дня экзамена"
  echo
  echo "The first page of every form the box prints, rendered from the demo day by"
  echo "\`scripts/render-forms.sh\` (not by the tests). Form codes follow the ЕГЭ collection."
  echo
} >"$index"
first_room=""
for pdf in "$work"/*.pdf; do
  name=$(basename "$pdf" .pdf)
  # One auditorium is enough to show a per-room form's layout.
  room=$(echo "$name" | grep -oE -- '-[0-9]{3,}$' || true)
  if [ -n "$room" ]; then
    [ -z "$first_room" ] && first_room=$room
    [ "$room" = "$first_room" ] || continue
  fi
  pdftoppm -r 60 -f 1 -l 1 -singlefile -png "$pdf" "docs/forms/$name"
  title=$(pdfinfo "$pdf" 2>/dev/null | sed -n 's/^Title: *//p')
  pages=$(pdfinfo "$pdf" 2>/dev/null | sed -n 's/^Pages: *//p')
  echo "- [${title:-$name}]($name.png) — $pages стр." >>"$index"
done
# the other pages of a kit: answer sheets № 1 and № 2
kit=$(ls "$work"/kits-*.pdf | head -1)
kitname=$(basename "$kit" .pdf)
pdftoppm -r 60 -f 2 -l 2 -singlefile -png "$kit" "docs/forms/$kitname-answers1"
pdftoppm -r 60 -f 3 -l 3 -singlefile -png "$kit" "docs/forms/$kitname-answers2"
echo "- [Бланк ответов № 1]($kitname-answers1.png), [бланк ответов № 2]($kitname-answers2.png)" >>"$index"
ls docs/forms
