#!/usr/bin/env bash
# Golden outputs of the wardrobe CLI on a model, for refactors that must not
# change behaviour (issue 13). Writes everything into OUT (default
# build/golden/current) and a summary of hashes there (hashes.txt):
#   [LW_GOLDEN_MODEL=PATH] tests/golden/make_golden.sh [OUT]
# LW_GOLDEN_MODEL defaults to model/default/vae.lwb; tests/golden/expected/ was
# made with the default model of commit b988bd4 (README.md here).
# Then `node tests/golden/compare.mjs EXPECTED_DIR OUT` compares two runs:
# JSON figures number by number, blobs tensor by tensor, PNGs pixel by pixel.
# Needs the native build (build/native) and $FASHION_MNIST_DIR. Dataset-derived
# images stay in OUT (never committed); tests/golden/expected/ keeps only the
# hashes and figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build/golden/current}
w=${WARDROBE:-build/native/tools/wardrobe}
model=${LW_GOLDEN_MODEL:-model/default/vae.lwb}
: "${FASHION_MNIST_DIR:?set FASHION_MNIST_DIR}"
mkdir -p "$out/web-f16" "$out/web-f32"

$w sample --model "$model" --out "$out/sample.png" --n 64 --seed 7 --temperature 1 > /dev/null
$w sample --model "$model" --out "$out/sample-t05.png" --n 16 --seed 3 --temperature 0.5 > /dev/null
$w reconstruct --model "$model" --out "$out/reconstruct.png" --n 32 --only-reconstructions > /dev/null
$w eval --model "$model" --limit 2000 --iwae 100 --json | sed 's/,"iwae_seconds":[^}]*//' > "$out/eval.json"
$w export --model "$model" --out-dir "$out/web-f16" --dtype f16 --anomaly-k 30 > /dev/null
$w export --model "$model" --out-dir "$out/web-f32" --dtype f32 --anomaly-k 10 > /dev/null
$w index --model "$model" --out-dir "$out/web-f16" --dtype f16 --no-pixels > /dev/null
$w index --model "$model" --out-dir "$out/web-f32" --dtype f32 --no-pixels > /dev/null
for dtype in f16 f32; do
  ix="$out/web-$dtype/index.lwb"
  for metric in likelihood euclidean; do
    $w search --index "$ix" --item 0 --k 10 --metric $metric --json > "$out/search-$dtype-$metric-item0.json"
    $w search --index "$ix" --item 61234 --k 25 --metric $metric --split train --json > "$out/search-$dtype-$metric-item61234-train.json"
    $w search --index "$ix" --item 777 --k 5 --metric $metric --class 3 --json > "$out/search-$dtype-$metric-item777-class3.json"
    $w search --index "$ix" --z 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 --k 10 --metric $metric --json > "$out/search-$dtype-$metric-z0.json"
    $w search --index "$ix" --z 1.5,-0.5,0.25,2,-1,0,0.75,-2,0.1,0.2,-0.3,1,-1.25,0.5,0,-0.7 --k 10 --metric $metric \
      --split test --json > "$out/search-$dtype-$metric-z1.json"
  done
done
$w eval-search --index "$out/web-f16/index.lwb" --limit 1000 --json > "$out/eval-search.json"
$w anomalies --model "$model" --out "$out/anomalies.png" --top 20 --k 20 --split test --json > "$out/anomalies.json"

(cd "$out" && sha256sum sample.png sample-t05.png reconstruct.png anomalies.png web-f16/*.lwb web-f32/*.lwb *.json) \
  > "$out/hashes.txt"
echo "golden: outputs in $out" >&2
