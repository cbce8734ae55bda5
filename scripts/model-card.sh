#!/usr/bin/env bash
# Measures the default model for its model card: writes model/default/card.json
# (full test-set eval with IWAE k=1000, the first-1000 figures the tests check,
# retrieval figures) and the pictures samples.png / reconstructions.png.
# Usage: scripts/model-card.sh [MODEL]   (default model/default/vae.lwb; build/native must be built)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-model/default/vae.lwb}
out=$(dirname "$model")
FASHION_MNIST_DIR=$(bash scripts/fetch-data.sh)
export FASHION_MNIST_DIR
w=build/native/tools/wardrobe
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# LW_EVAL_JSON: reuse an earlier `wardrobe eval --iwae 1000 --json` of this model (it takes minutes).
if [[ -n "${LW_EVAL_JSON:-}" ]]; then full=$(cat "$LW_EVAL_JSON"); else full=$($w eval --model "$model" --iwae 1000 --json); fi
first=$($w eval --model "$model" --iwae 50 --limit 1000 --json)
$w export --model "$model" --out-dir "$tmp" >/dev/null
$w index --model "$model" --out-dir "$tmp" --no-pixels >/dev/null
retrieval=$($w eval-search --index "$tmp/index.lwb" --json)
sizes="{\"decoder_f16_bytes\":$(stat -c %s "$tmp/decoder.lwb"),\"encoder_f16_bytes\":$(stat -c %s "$tmp/encoder.lwb"),\"index_f16_bytes\":$(stat -c %s "$tmp/index.lwb")}"
node -e '
const [full, first, retrieval, sizes] = process.argv.slice(1).map(JSON.parse);
const card = {
  test: full,
  first1000_neg_elbo: first.neg_elbo,
  first1000_iwae50_nll: first.iwae_nll,
  retrieval,
  sizes,
};
process.stdout.write(JSON.stringify(card, null, 2) + "\n");
' "$full" "$first" "$retrieval" "$sizes" > "$out/card.json"
$w sample --model "$model" --out "$out/samples.png" --n 64 --cols 16 --seed 7 --scale 2 >/dev/null
$w reconstruct --model "$model" --out "$out/reconstructions.png" --n 32 --cols 16 --scale 2 --only-reconstructions >/dev/null
cat "$out/card.json"
