#!/usr/bin/env bash
# Refreshes docs/screenshots/ from the Chromium tests: they write under target/screenshots/
# (a test run never touches tracked files); this copies them over the documented ones.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf target/screenshots
cargo test --locked --test it -- --test-threads=2 \
    webui::chromium_plays_a_whole_exam_day_in_the_box_ui_with_screenshots \
    monitoring::chromium_sees_a_box_go_from_pulling_to_uploaded_verified_without_reload \
    a11y::every_box_page_passes_axe_wcag_2_1_aa_and_fits_a_10_inch_tablet
shopt -s nullglob
shots=(target/screenshots/*.png)
if [ ${#shots[@]} -eq 0 ]; then
    echo "no screenshots under target/screenshots/" >&2
    exit 1
fi
mkdir -p docs/screenshots
cp -v "${shots[@]}" docs/screenshots/
