#!/usr/bin/env bash
# Issue 11, part 4: the dataset in the layouts people have.
#   1. The four files uncompressed (names without .gz, as torchvision's raw/
#      and Kaggle ship them): `wardrobe eval --limit N --json` gives exactly
#      the figures it gives on the gzip'd files (timing field aside).
#   2. A mixed layout (training files plain, test files gzip'd): the same.
#   3. scripts/fetch-data.sh accepts FASHION_MNIST_DIR holding plain files:
#      prints it, exits 0, downloads nothing.
#   4. No dataset: one error line naming each place looked and what was there.
#
# usage: dataset_layouts.sh WARDROBE [SOURCE_DIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# The gzip'd reference layout: links to the real files (gzip'd if they are not).
mkdir gz plain mixed
for stem in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  if [[ -f $data/$stem.gz ]]; then ln -s "$data/$stem.gz" "gz/$stem.gz"; else gzip -c "$data/$stem" >"gz/$stem.gz"; fi
  plain_copy "$stem" "plain/$stem"
done
ln -s "$work/plain/train-images-idx3-ubyte" mixed/train-images-idx3-ubyte
ln -s "$work/plain/train-labels-idx1-ubyte" mixed/train-labels-idx1-ubyte
ln -s "$work/gz/t10k-images-idx3-ubyte.gz" mixed/t10k-images-idx3-ubyte.gz
ln -s "$work/gz/t10k-labels-idx1-ubyte.gz" mixed/t10k-labels-idx1-ubyte.gz

# eval's JSON without the timing field.
figures() {  # DIR
  FASHION_MNIST_DIR=$1 "$wardrobe" eval --model "$model" --limit 300 --iwae 20 --json 2>err.txt >eval.json ||
    fail "eval on $1: $(cat err.txt)"
  sed -E 's/,"iwae_seconds":[^,}]*//' eval.json
}
reference=$(figures gz)
[[ $reference == *'"test_images":300'* && $reference == *'"neg_elbo":'[0-9]* ]] || fail "unexpected reference: $reference"
for layout in plain mixed; do
  got=$(figures "$layout")
  [[ $got == "$reference" ]] || fail "$layout layout: $got, gzip'd: $reference"
  ok "$layout layout gives the gzip'd figures: $got"
done

# 3. fetch-data.sh with plain files: no download, no error.
status=0
printed=$(FASHION_MNIST_DIR=$work/plain bash "$src/scripts/fetch-data.sh" 2>fetch.err) || status=$?
((status == 0)) || fail "fetch-data.sh with plain files exited $status: $(cat fetch.err)"
[[ $printed == "$work/plain" ]] || fail "fetch-data.sh printed '$printed', expected $work/plain"
grep -q download fetch.err && fail "fetch-data.sh tried to download: $(cat fetch.err)"
ok "fetch-data.sh accepts the plain layout"

# 4. No data: each place looked, and what was found.
mkdir partial
ln -s "$work/plain/train-images-idx3-ubyte" partial/train-images-idx3-ubyte
head -c 100 "$work/gz/t10k-images-idx3-ubyte.gz" >partial/t10k-images-idx3-ubyte.gz
expect_error "Fashion-MNIST not found in $work/partial: " \
  "training images: train-images-idx3-ubyte: ok (plain)" \
  "training labels: train-labels-idx1-ubyte[.gz], train-labels.idx1-ubyte[.gz]: missing" \
  "test images: t10k-images-idx3-ubyte.gz: gzip stream truncated" \
  "FASHION_MNIST_DIR" -- eval --model "$model" --data "$work/partial"
echo "$test_name: PASS"
