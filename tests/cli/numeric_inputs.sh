#!/usr/bin/env bash
# Issue 11, part 6, the CLI's numeric inputs beyond flag parsing: inside each
# domain the results are finite; outside it one error line names the value.
#   search: --z at the latent domain's edge (|z_k| = 10,000) ranks with finite
#           scores; beyond it, NaN, wrong length; --item and --k out of range.
#   eval:   --limit 0 and beyond the test set; --iwae 0 skips the estimate.
#   train:  a batch larger than the training set; --train-limit beyond it.
#   reconstruct --n beyond the test set; sample --temperature 0 and beyond 10.
#   export and index on a test set smaller than the 100 stored anomalies.
#   an encoder that ignores its input: eval, search ties, eval-search finite.
#   posteriors beyond the latent domain: export, index and eval refuse.
# Errors of the flag parser itself (ranges of --k, --item, ...) are matched
# loosely (flag and value named), since the parser's wording is its own.
# A small dataset (slices of the real files: 400 training, 200 test images)
# keeps it fast.
#
# usage: numeric_inputs.sh WARDROBE SOURCE_DIR LW_MODEL_VARIANT
set -euo pipefail
source "$(dirname "$0")/lib.sh"

slice_dataset small 400 200
export FASHION_MNIST_DIR=$work/small
run index --model "$model" --out-dir idx --no-pixels --dtype f32
grep -q "indexed 600 garments" out.txt || fail "index: $(cat out.txt)"

# search: the edge of the latent domain is inside; scores finite, best first.
edge=$(printf '10000,%.0s' {1..15})-10000
run search --index idx/index.lwb --z "$edge" --k 10 --json
grep -q null out.txt && fail "non-finite score at the domain's edge: $(cat out.txt)"
scores=$(grep -o '"score":[^}]*' out.txt | cut -d: -f2)
[[ $(wc -l <<<"$scores") == 10 ]] || fail "expected 10 results: $(cat out.txt)"
sort -g -r -c <<<"$scores" || fail "scores not in descending order: $scores"
ok "search at |z_k| = 10000: 10 finite scores, best $(head -1 <<<"$scores")"
run search --index idx/index.lwb --z "$edge" --k 5 --metric euclidean --json
grep -q null out.txt && fail "non-finite distance: $(cat out.txt)"
beyond=$(printf '0,%.0s' {1..15})15000
expect_error "query value 15 is 15000, outside the latent domain +-10000" -- search --index idx/index.lwb --z "$beyond"
expect_error "query value 0 is -1e+30, outside the latent domain +-10000" -- \
  search --index idx/index.lwb --z "-1e30$(printf ',0%.0s' {1..15})"
expect_error "--z" "nan" -- search --index idx/index.lwb --z "0,0,0,nan,0"
expect_error "query has 15 values, the index has 16 latent dimensions" -- \
  search --index idx/index.lwb --z "$(printf '0,%.0s' {1..14})0"
expect_error "--item" "600" -- search --index idx/index.lwb --item 600
expect_error "--item" "-1" -- search --index idx/index.lwb --item -1
expect_error "--k" "0" -- search --index idx/index.lwb --item 3 --k 0
expect_error "--k" "601" -- search --index idx/index.lwb --item 3 --k 601
expect_error "search: k = 600 exceeds the" "items matching the filter (split test, label 3)" -- \
  search --index idx/index.lwb --item 3 --k 600 --split test --class 3

# eval
expect_error "--limit" "0" -- eval --model "$model" --limit 0
expect_error "--limit 201 exceeds the 200 test images in the dataset" -- eval --model "$model" --limit 201
run eval --model "$model" --limit 20 --iwae 0 --json
grep -q '"iwae_k":0,"iwae_nll":null' out.txt || fail "--iwae 0 should skip the estimate: $(cat out.txt)"
grep -q '"neg_elbo":[0-9]' out.txt || fail "eval: $(cat out.txt)"
ok "eval --iwae 0 skips IWAE: $(grep -o '"neg_elbo":[^,]*' out.txt)"

# train
small=(--hidden 16 --latent 2 --threads 1 --quiet --epochs 1 --test-limit 50)
expect_error "--batch 500 exceeds the 350 training images (50 of the 400 are held out for validation)" -- \
  train --out m.lwb --train-limit 400 --validation 50 --batch 500 "${small[@]}"
[[ ! -e m.lwb.ckpt && ! -e m.lwb ]] || fail "train wrote files before refusing the batch"
expect_error "--train-limit 500 exceeds the 400 training images in the dataset" -- \
  train --out m.lwb --train-limit 500 "${small[@]}"
run train --out m.lwb --train-limit 400 --validation 0 --batch 400 "${small[@]}"
grep -q '"val_neg_elbo":null' m.lwb.log.jsonl || fail "no validation should log null: $(cat m.lwb.log.jsonl)"
ok "train with --validation 0 logs val_neg_elbo null"

# reconstruct, sample
expect_error "--n 300 exceeds the 200 test images in the dataset" -- reconstruct --model "$model" --out r.png --n 300
run sample --model "$model" --out t0.png --n 4 --temperature 0
grep -q "temperature 0.00" out.txt || fail "sample: $(cat out.txt)"
expect_error "--temperature" "10.5" -- sample --model "$model" --out t.png --temperature 10.5
expect_error "--temperature" "-1" -- sample --model "$model" --out t.png --temperature -1

# export and index with 50 test images (fewer than the 100 stored anomalies)
slice_dataset tiny 100 50
FASHION_MNIST_DIR=$work/tiny run export --model "$model" --out-dir tiny-out --anomaly-k 2
FASHION_MNIST_DIR=$work/tiny run index --model "$model" --out-dir tiny-out --no-pixels
grep -q "indexed 150 garments" out.txt || fail "index on the tiny set: $(cat out.txt)"
ok "export and index on 50 test images"
# Degenerate data: an encoder that ignores its input (every garment the same
# posterior). eval: finite, no active unit; the index: search ties ranked by
# id with equal finite scores; eval-search: finite figures.
[[ -x $variant ]] || fail "lw_model_variant not given (third argument)"
"$variant" "$model" same.lwb ignore-input
run eval --model same.lwb --limit 50 --iwae 5 --json
grep -q null out.txt && fail "eval of the input-blind model: $(cat out.txt)"
grep -q '"active_units":0,' out.txt || fail "an input-blind encoder has no active unit: $(cat out.txt)"
run index --model same.lwb --out-dir same --no-pixels --dtype f32
run search --index same/index.lwb --z "$(printf '0.5,%.0s' {1..15})0.5" --k 4 --json
[[ $(grep -o '"id":[0-9]*' out.txt | cut -d: -f2 | tr '\n' ' ') == "0 1 2 3 " ]] || fail "ties not ranked by id: $(cat out.txt)"
[[ $(grep -o '"score":[^}]*' out.txt | sort -u | wc -l) == 1 ]] || fail "tied scores differ: $(cat out.txt)"
grep -q null out.txt && fail "non-finite tied score: $(cat out.txt)"
run eval-search --index same/index.lwb --limit 50 --json
grep -q null out.txt && fail "eval-search on the input-blind index: $(cat out.txt)"
ok "input-blind model: ties ranked by id; eval-search $(cat out.txt)"

# Posteriors beyond the latent domain: sigma = e^-125 (0 in float) and e^50
# (its square overflows float). Before, export wrote a decoder.lwb with KL
# inf that no page could load, and eval printed "neg_elbo":null.
"$variant" "$model" vanishing.lwb logvar=-250
"$variant" "$model" exploding.lwb logvar=100
expect_error "vanishing.lwb: test garment 0 dim 0: sigma 0 is outside [1e-09, 1e+09]" -- \
  export --model vanishing.lwb --out-dir bad-out --anomaly-k 2
expect_error "exploding.lwb: test garment 0 dim 0: sigma 5.18" "e+21 is outside [1e-09, 1e+09]" -- \
  export --model exploding.lwb --out-dir bad-out --anomaly-k 2
expect_error "latent index: item 0 dim 0: sigma 0 is outside [1e-09, 1e+09]" -- \
  index --model vanishing.lwb --out-dir bad-out --no-pixels
expect_error "the model's figures are not finite" "KL inf" "sigma ranges 5.185e+21..5.185e+21" -- \
  eval --model exploding.lwb --limit 20 --iwae 2
[[ ! -e bad-out/decoder.lwb && ! -e bad-out/index.lwb ]] || fail "blobs written for out-of-domain posteriors"
echo "$test_name: PASS"
