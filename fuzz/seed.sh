#!/usr/bin/env bash
# Builds the cargo-fuzz corpora under fuzz/corpus/<target>/ (git-ignored) from real samples:
# the seeds ppe::fuzzing::seeds makes with the production encoders, the committed fixtures
# (written by tests/it/fuzzsmoke.rs when PPE_FUZZ_SEED_DIR is set), and the files of a demo
# run (configs, manifests, receipts, key files, scans, recordings, plan files).
# Usage: fuzz/seed.sh            (needs the debug `ppe` binary: cargo build)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="$PWD/fuzz/corpus"
mkdir -p "$corpus"

PPE_FUZZ_SEED_DIR="$corpus" cargo test --quiet --test it fuzzsmoke:: -- --test-threads=2 >/dev/null

demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
PPE_LOG=warn target/debug/ppe demo --dir "$demo/run" --until-done --speed 600 --points 1 --participants 40 >/dev/null 2>&1 || true

put() { # target file [name]
    mkdir -p "$corpus/$1"
    cp "$2" "$corpus/$1/demo-${3:-$(basename "$2")}" 2>/dev/null || true
}
while IFS= read -r -d '' f; do
    size=$(stat -c %s "$f")
    [ "$size" -le 1048576 ] || continue
    base=$(basename "$f")
    case "$base" in
        *.toml) put config_toml "$f" ;;
        *.png|*.pnm|*.pgm|*.tif|*.tiff|*.jpg|*.jpeg) [ "$size" -le 262144 ] && put scan_image "$f" ;;
        *.wav|*.mp3|*.ogg)
            put recording_audio "$f"
            mkdir -p "$corpus/recording_name"
            printf '%s' "${base%.*}" > "$corpus/recording_name/demo-$base" ;;
        *.csv|*.xlsx) put plan_import "$f" ;;
        *.json)
            if grep -q '"nonce_prefix"' "$f"; then put package_manifest "$f"
            elif grep -q '"box_signature_hex"\|"hub_signature_hex"' "$f"; then put bundle_manifest "$f"
            elif grep -q '"wrapped_key"\|"box_public"' "$f"; then put key_release "$f"
            elif grep -q '"sealed_key"' "$f"; then put gek_keyfile "$f"
            elif grep -q '"participants"' "$f"; then put plan_import "$f"
            fi ;;
    esac
done < <(find "$demo/run" -type f -print0)

# The box keeps accepted package manifests in its database.
for db in $(find "$demo/run" -name '*.db'); do
    sqlite3 "$db" "select manifest_json from materials_manifest" 2>/dev/null | head -3 | while IFS= read -r json; do
        mkdir -p "$corpus/package_manifest"
        printf '%s' "$json" > "$corpus/package_manifest/demo-db-$(printf '%s' "$json" | sha256sum | cut -c1-12)"
    done || true
done

for d in "$corpus"/*/; do printf '%-18s %4d files\n' "$(basename "$d")" "$(ls "$d" | wc -l)"; done
