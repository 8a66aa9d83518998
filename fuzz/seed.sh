#!/usr/bin/env bash
# Fills fuzz/corpus/parse with the hand-written seeds and, when ../shared is there, the
# armory's SPL queries (read at fuzz time, never committed: fuzz/corpus is git-ignored).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/corpus/parse"
mkdir -p "$out"
cp "$here"/seeds/*.spl "$out"/
armory="$here/../../shared/corpus/armory/detections"
if [ -d "$armory" ]; then
    cargo run --quiet --manifest-path "$here/../Cargo.toml" -p rulescope-spl --example spl_seeds -- "$armory" "$out"
else
    echo "skipping armory seeds: ../shared/corpus/armory not found"
fi
echo "$(ls "$out" | wc -l) seeds in $out"
